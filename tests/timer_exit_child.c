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
 *   periodic_many   hundreds of periodic timers pending among one-shot ones
 *                   (dues shuffled through the heap) all stop when exit
 *                   begins: no tick that falls due later is called, though
 *                   one-shot timers keep the exit wait going for 1.2 s.
 *   exit_in_callback  a non-daemon timer's callback calls exit(): the
 *                   process waits for the other pending timer, not for the
 *                   calling one: "callback calls exit" then "timer fired".
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

enum { MANY = 400 };
static _Atomic double exit_began; /* weft_monotonic() when exit began; 0 before */
static atomic_int stale_calls, late_calls;

typedef struct periodic_info {
  double start, interval;
} periodic_info;
static periodic_info infos[MANY];

/* A call after exit began is allowed only for a tick that fell due before
 * (give or take the 50 ms weft may take to get to its walk): such a call
 * was already on its way. A later tick means the timer was never stopped. */
static void periodic_counts(void *arg) {
  periodic_info *p = arg;
  double began = atomic_load(&exit_began);
  if (began == 0) return;
  double now = weft_monotonic();
  double due = p->start + (double)(long)((now - p->start) / p->interval) * p->interval;
  atomic_fetch_add(&late_calls, 1);
  if (due > began + 0.05) atomic_fetch_add(&stale_calls, 1);
}

static void mark_exit(void) {
  atomic_store(&exit_began, weft_monotonic());
}

static void nothing(void *arg) {
  (void)arg;
}

/* The last one-shot timer: by now every periodic timer has come due at
 * least once more (its interval is at most 0.5 s). */
static void report_periodic(void *arg) {
  (void)arg;
  if (atomic_load(&stale_calls) > 0) {
    printf("FAIL: %d periodic calls came due after exit began (%d calls in all)\n",
           atomic_load(&stale_calls), atomic_load(&late_calls));
    fflush(stdout);
    return;
  }
  say("periodic timers stopped");
}

static void many_timers(void) {
  uint32_t r = 12345; /* shuffled, but the same every run */
  for (int i = 0; i < MANY; i++) {
    r = r * 1103515245u + 12345u;
    double due = 0.1 + (double)(r >> 16 & 1023) / 1023.0 * 0.4;
    r = r * 1103515245u + 12345u;
    infos[i].interval = 0.1 + (double)(r >> 16 & 1023) / 1023.0 * 0.4;
    infos[i].start = weft_monotonic();
    weft_timer *p = weft_timer_new(infos[i].interval, periodic_counts, &infos[i]);
    if (!p || weft_timer_set_periodic(p, true) != WEFT_OK || weft_timer_start(p) != WEFT_OK)
      fail("periodic timer");
    weft_timer_unref(p);
    weft_timer_unref(start(due, nothing, 0, false));
  }
  weft_timer_unref(start(1.2, report_periodic, 0, false));
  atexit(mark_exit); /* after weft's wait was registered: runs before it */
}

static void calls_exit(void *arg) {
  (void)arg;
  say("callback calls exit");
  exit(0);
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
  if (strcmp(mode, "periodic_many") == 0) {
    many_timers();
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "exit_in_callback") == 0) {
    weft_timer_unref(start(0.3, fired, 0, false));
    weft_timer_unref(start(0.05, calls_exit, 0, false));
    weft_sleep(30);
    fail("main woke: exit() never ended the process");
  }
  printf("unknown mode '%s'\n", mode);
  return 2;
}
