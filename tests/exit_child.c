/* exit_child <mode>: what happens to running threads when the process
 * ends. CTest judges the output (tests/CMakeLists.txt), because the
 * interesting part happens after main is gone:
 *   main_returns  a non-daemon thread still working when main returns
 *                 finishes: "main returns" then "worker done".
 *   daemon        a daemon thread asleep for 60 s is simply ended: the
 *                 process exits at once, "daemon done" never appears.
 *   exit_main     exit() from main waits for a working non-daemon thread.
 *   exit_thread   exit() from a non-daemon thread waits for the other
 *                 non-daemon threads but not for itself.
 *   shutdown      weft_shutdown(0.1) with a thread running times out; a
 *                 longer one succeeds (judged by the exit status).
 *   join_main     a non-daemon thread that joins the main thread returns
 *                 from the join when main returns: "main last line" then
 *                 "worker after main".
 *   join_main_exit  the same when main calls exit().
 *   late_start    threads and timers started after weft's exit wait (from
 *                 an exit handler that runs after it) are refused; threads
 *                 that a waited-for thread starts during the wait are
 *                 waited for: "main returns", "grandchild done", "late
 *                 start refused".
 * Lines are written unbuffered so that their order is the order of events. */
#include "child.h"
#include "weft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void worker(void *arg) {
  weft_sleep(*(double *)arg);
  say("worker done");
}

static void daemon_body(void *arg) {
  (void)arg;
  weft_sleep(60);
  say("daemon done");
}

static void exit_from_thread(void *arg) {
  (void)arg;
  weft_sleep(0.05);
  say("thread calls exit");
  exit(0);
}

static void after_main(void *arg) {
  (void)arg;
  if (weft_thread_join(weft_thread_main(), WEFT_FOREVER) != WEFT_OK) fail("join of main");
  if (weft_thread_is_alive(weft_thread_main())) fail("main alive after its join");
  say("worker after main");
}

static weft_thread *start(weft_fn fn, void *arg, bool daemon);

static void grandchild(void *arg) {
  (void)arg;
  weft_sleep(0.2);
  say("grandchild done");
}

static void starts_grandchild(void *arg) {
  (void)arg;
  weft_sleep(0.1); /* the exit wait has begun */
  weft_thread_unref(start(grandchild, NULL, false));
}

static void never(void *arg) {
  (void)arg;
  say("FAIL: a late thread or timer ran");
}

/* Registered before weft's exit wait, so it runs after it. */
static void late_start(void) {
  weft_thread *t = weft_thread_new(never, NULL);
  weft_timer *tm = weft_timer_new(0, never, NULL);
  if (!t || !tm) fail("new");
  if (weft_thread_start(t) != WEFT_ESHUTDOWN) fail("weft_thread_start after the exit wait");
  if (weft_start_new_thread(never, NULL) != WEFT_ESHUTDOWN)
    fail("weft_start_new_thread after the exit wait");
  if (weft_timer_start(tm) != WEFT_ESHUTDOWN) fail("weft_timer_start after the exit wait");
  if (weft_thread_is_alive(t)) fail("refused thread alive");
  weft_thread_unref(t);
  weft_timer_unref(tm);
  say("late start refused");
}

static weft_thread *start(weft_fn fn, void *arg, bool daemon) {
  weft_thread *t = weft_thread_new(fn, arg);
  if (!t) fail("weft_thread_new");
  if (weft_thread_set_daemon(t, daemon) != WEFT_OK) fail("weft_thread_set_daemon");
  if (weft_thread_start(t) != WEFT_OK) fail("weft_thread_start");
  return t;
}

int main(int argc, char **argv) {
  static double half_second = 0.5;
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "main_returns") == 0) {
    weft_thread_unref(start(worker, &half_second, false));
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "daemon") == 0) {
    weft_thread_unref(start(daemon_body, NULL, true));
    weft_sleep(0.05); /* let it be asleep for sure */
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "exit_main") == 0) {
    weft_thread_unref(start(worker, &half_second, false));
    say("main calls exit");
    exit(0);
  }
  if (strcmp(mode, "exit_thread") == 0) {
    weft_thread_unref(start(worker, &half_second, false));
    weft_thread *t = start(exit_from_thread, NULL, false);
    /* Blocks until the process ends: the exiting thread never finishes. */
    weft_thread_join(t, WEFT_FOREVER);
    fail("join returned while the thread was exiting");
  }
  if (strcmp(mode, "shutdown") == 0) {
    static double long_wait = 1.0;
    weft_thread *t = start(worker, &long_wait, false);
    double t0 = weft_monotonic();
    int rc = weft_shutdown(0.1);
    double e = weft_monotonic() - t0;
    if (rc != WEFT_TIMEOUT) fail("weft_shutdown(0.1) did not time out");
    if (e < 0.1 - 1e-6) fail("weft_shutdown(0.1) returned early");
    if (!weft_thread_is_alive(t)) fail("the worker ended early");
    if (weft_shutdown(30.0) != WEFT_OK) fail("weft_shutdown(30) did not succeed");
    if (weft_thread_is_alive(t)) fail("a thread is alive after weft_shutdown");
    weft_thread_unref(t);
    say("shutdown ok");
    return 0;
  }
  if (strcmp(mode, "join_main") == 0 || strcmp(mode, "join_main_exit") == 0) {
    weft_thread_unref(start(after_main, NULL, false));
    weft_sleep(0.05);
    say("main last line");
    if (strcmp(mode, "join_main_exit") == 0) exit(0);
    return 0;
  }
  if (strcmp(mode, "late_start") == 0) {
    atexit(late_start); /* before weft registers its wait at the first start */
    weft_thread_unref(start(starts_grandchild, NULL, false));
    say("main returns");
    return 0;
  }
  printf("unknown mode '%s'\n", mode);
  return 2;
}
