/* timer_exit_child <mode>: what happens to pending timers (and the main
 * thread's local values) when the process ends. CTest judges the output
 * (tests/CMakeLists.txt), because the interesting part happens after main
 * is gone:
 *   oneshot         a pending non-daemon one-shot timer fires before the
 *                   process ends: "main returns" then "timer fired".
 *   exit_call       the same when main calls exit(): "main calls exit"
 *                   then "timer fired".
 *   daemon          a daemon timer is dropped: "timer fired" never appears
 *                   (nor does the process wait for it). Its 5 s outlast
 *                   TSan's 1 s sleep at exit.
 *   daemon_inherit  a timer made on a daemon weft thread is a daemon too.
 *   periodic        a non-daemon periodic timer does not keep the process
 *                   alive: it exits (CTest's timeout catches a hang).
 *   local_main      the main thread's local values are not destroyed at
 *                   exit: "dtor ran" never appears.
 * Lines are written unbuffered so that their order is the order of events. */
#include "child.h"
#include "weft.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fired(void *arg) {
  (void)arg;
  say("timer fired");
}

static atomic_int ticks;

static void tick(void *arg) {
  (void)arg;
  atomic_fetch_add(&ticks, 1);
}

static weft_timer *start(double interval, weft_fn fn, int daemon, bool periodic) {
  weft_timer *t = weft_timer_new(interval, fn, NULL);
  if (!t) fail("weft_timer_new");
  if (daemon >= 0 && weft_timer_set_daemon(t, daemon != 0) != WEFT_OK)
    fail("weft_timer_set_daemon");
  if (periodic && weft_timer_set_periodic(t, true) != WEFT_OK) fail("weft_timer_set_periodic");
  if (weft_timer_start(t) != WEFT_OK) fail("weft_timer_start");
  return t;
}

static atomic_int made;

static void make_in_daemon(void *arg) {
  (void)arg;
  weft_timer_unref(start(5.0, fired, -1, false));
  atomic_store(&made, 1);
  weft_sleep(60);
}

static void dtor_says(void *value) {
  (void)value;
  say("dtor ran");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "oneshot") == 0) {
    weft_timer_unref(start(0.3, fired, -1, false));
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "exit_call") == 0) {
    weft_timer_unref(start(0.3, fired, -1, false));
    say("main calls exit");
    exit(0);
  }
  if (strcmp(mode, "daemon") == 0) {
    weft_timer_unref(start(5.0, fired, 1, false));
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "daemon_inherit") == 0) {
    weft_thread *t = weft_thread_new(make_in_daemon, NULL);
    if (!t || weft_thread_set_daemon(t, true) != WEFT_OK || weft_thread_start(t) != WEFT_OK)
      fail("daemon thread");
    weft_thread_unref(t);
    double t0 = weft_monotonic();
    while (!atomic_load(&made)) {
      if (weft_monotonic() - t0 > 10.0) fail("no timer made");
      weft_sleep(0.001);
    }
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "periodic") == 0) {
    weft_timer_unref(start(0.01, tick, 0, true));
    double t0 = weft_monotonic();
    while (atomic_load(&ticks) < 2) {
      if (weft_monotonic() - t0 > 10.0) fail("no ticks");
      weft_sleep(0.001);
    }
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "local_main") == 0) {
    static int value;
    static weft_local *l; /* reachable at exit: kept on purpose, not leaked */
    l = weft_local_new(dtor_says);
    if (!l || weft_local_set(l, &value) != WEFT_OK) fail("weft_local");
    /* weft's exit wait runs: a timer was started. */
    weft_timer_unref(start(0.01, tick, -1, false));
    say("main returns");
    return 0;
  }
  printf("unknown mode '%s'\n", mode);
  return 2;
}
