/* debug_child <mode>: the debug tools where a test needs a process of its
 * own, judged by its output (tests/CMakeLists.txt): real deadlocks, the
 * WEFT_DEBUG environment variable (read at load), abort, reports at exit.
 *   hang_locks    two threads deadlock on two locks; the watchdog
 *                 (weft_set_debug(0, 1)) names the cycle and both threads.
 *   hang_join     main holds a lock and joins a thread that waits for it:
 *                 the cycle runs through a join.
 *   hang_future   main holds a lock and waits for a pool task's result; the
 *                 task waits for the lock: the cycle runs through a future
 *                 and the worker that runs it.
 *   hang_env      WEFT_DEBUG=hang=1: one thread waits for ever on an event,
 *                 a hang without a cycle.
 *   order_env     WEFT_DEBUG=lock-order: the two-lock inversion reported.
 *   order_abort   WEFT_DEBUG=lock-order,abort: reported, then abort().
 *   contention_exit  WEFT_DEBUG=contention: the report at exit.
 *   env_bad       WEFT_DEBUG with words it does not know: warned about.
 * Deadlocked threads are daemons: the process ends without them. */
#include "child.h"
#include "weft.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

static weft_lock lock_a = WEFT_LOCK_INIT, lock_b = WEFT_LOCK_INIT;

/* ---- what the tools report, kept and echoed ----------------------------- */

static atomic_flag report_busy = ATOMIC_FLAG_INIT;
static char report[1 << 16];
static size_t report_len;

static void keep_report(const char *text, size_t len, void *arg) {
  (void)arg;
  fwrite(text, 1, len, stdout);
  fflush(stdout);
  while (atomic_flag_test_and_set(&report_busy)) {
  }
  if (report_len + len < sizeof report) {
    memcpy(report + report_len, text, len);
    report_len += len;
    report[report_len] = '\0';
  }
  atomic_flag_clear(&report_busy);
}

static bool report_has(const char *needle) {
  while (atomic_flag_test_and_set(&report_busy)) {
  }
  bool found = strstr(report, needle) != NULL;
  atomic_flag_clear(&report_busy);
  return found;
}

/* Wait (polling, not with weft) for the report to contain needle. */
static void await_report(const char *needle, double timeout) {
  double t0 = weft_monotonic();
  while (!report_has(needle)) {
    if (weft_monotonic() - t0 > timeout) fail("the report never came");
    weft_sleep(0.01);
  }
}

static weft_thread *start(weft_fn fn, void *arg, const char *name) {
  weft_thread *t = weft_thread_new(fn, arg);
  if (!t || weft_thread_set_name(t, name) != WEFT_OK ||
      weft_thread_set_daemon(t, true) != WEFT_OK || weft_thread_start(t) != WEFT_OK)
    fail("start");
  return t;
}

/* ---- a deadlock on two locks ---------------------------------------------- */

static atomic_int holding;

typedef struct pair {
  weft_lock *first, *second;
} pair;

static void take_both(void *arg) {
  pair *p = arg;
  weft_lock_acquire(p->first, WEFT_FOREVER);
  atomic_fetch_add(&holding, 1);
  while (atomic_load(&holding) < 2) /* both hold their first lock */
    weft_sleep(0.001);
  weft_lock_acquire(p->second, WEFT_FOREVER); /* never returns */
  say("FAIL: got the second lock");
}

static void hang_locks(void) {
  weft_set_report(keep_report, NULL);
  if (weft_set_debug(0, 1.0) != WEFT_OK) fail("set_debug");
  weft_debug_name(&lock_a, "A");
  weft_debug_name(&lock_b, "B");
  static pair ab = {&lock_a, &lock_b}, ba = {&lock_b, &lock_a};
  start(take_both, &ab, "teller-1");
  start(take_both, &ba, "teller-2");
  await_report("end of dump", 20);
  if (!report_has("weft: deadlock: 2 threads wait for each other in a cycle\n"))
    fail("no cycle reported");
  if (!report_has("\"teller-1\" (ident ") || !report_has("\"teller-2\" (ident "))
    fail("a thread is not named");
  if (!report_has(" waits on lock \"A\" (") || !report_has(" waits on lock \"B\" ("))
    fail("a lock is not named");
  say("the watchdog named the cycle");
}

/* ---- a cycle through a join ---------------------------------------------- */

static void take_a(void *arg) {
  (void)arg;
  weft_lock_acquire(&lock_a, WEFT_FOREVER); /* main holds it and joins us */
}

/* Main is one of the deadlocked: the report ends the process. */
static void check_join_report(const char *text, size_t len, void *arg) {
  keep_report(text, len, arg);
  if (!report_has("end of dump")) return;
  if (!report_has("weft: deadlock: 2 threads wait for each other in a cycle\n"))
    fail("no cycle reported");
  if (!report_has("\"MainThread\" (ident 1) waits on join of \"joined\" (ident "))
    fail("the join is not in the cycle");
  if (!report_has("\"joined\" (ident ") || !report_has(", held by \"MainThread\" (ident 1)\n"))
    fail("the lock is not in the cycle");
  say("the watchdog named the cycle through the join");
  _Exit(0);
}

static void hang_join(void) {
  weft_set_report(check_join_report, NULL);
  if (weft_set_debug(0, 1.0) != WEFT_OK) fail("set_debug");
  weft_debug_name(&lock_a, "A");
  weft_lock_acquire(&lock_a, WEFT_FOREVER);
  weft_thread *t = start(take_a, NULL, "joined");
  weft_thread_join(t, 30.0);
  fail("the join returned");
}

/* ---- a cycle through a future ---------------------------------------------- */

static atomic_int task_running;

static void *task_takes_a(void *arg) {
  atomic_store(&task_running, 1);
  weft_lock_acquire(&lock_a, WEFT_FOREVER); /* main holds it and waits for us */
  return arg;
}

static void check_future_report(const char *text, size_t len, void *arg) {
  keep_report(text, len, arg);
  if (!report_has("end of dump")) return;
  if (!report_has("weft: deadlock: 2 threads wait for each other in a cycle\n"))
    fail("no cycle reported");
  if (!report_has("\"MainThread\" (ident 1) waits on future ") ||
      !report_has(", run by \"worker_0\" (ident "))
    fail("the future is not in the cycle");
  if (!report_has("\"worker_0\" (ident ") || !report_has(", held by \"MainThread\" (ident 1)\n"))
    fail("the lock is not in the cycle");
  say("the watchdog named the cycle through the future");
  _Exit(0);
}

static void hang_future(void) {
  weft_set_report(check_future_report, NULL);
  if (weft_set_debug(0, 1.0) != WEFT_OK) fail("set_debug");
  weft_debug_name(&lock_a, "A");
  weft_pool *p = weft_pool_new(1);
  if (!p || weft_pool_set_name_prefix(p, "worker") != WEFT_OK) fail("pool");
  weft_lock_acquire(&lock_a, WEFT_FOREVER);
  weft_future *f = NULL;
  if (weft_pool_submit(p, task_takes_a, NULL, &f) != WEFT_OK) fail("submit");
  /* A result's waiter shows the worker that ran the task when it parked. */
  while (!atomic_load(&task_running))
    weft_sleep(0.001);
  weft_future_result(f, 30.0, NULL);
  fail("the result came");
}

/* ---- a hang without a cycle (WEFT_DEBUG=hang=1) --------------------------- */

static weft_event never;

static void wait_never(void *arg) {
  (void)arg;
  weft_event_wait(&never, WEFT_FOREVER);
}

static void hang_env(void) {
  weft_set_report(keep_report, NULL);
  weft_debug_name(&never, "never");
  start(wait_never, NULL, "patient");
  await_report("end of dump", 20);
  if (!report_has("weft: hang: 1 thread has waited longer than 1.000 s (WEFT_DEBUG hang)\n"))
    fail("no hang reported");
  if (!report_has("  \"patient\" (ident ")) fail("the thread is not named");
  if (report_has("weft: deadlock")) fail("a cycle where there is none");
  say("the watchdog reported the hang");
}

/* ---- lock order from the environment -------------------------------------- */

static void take_pair(void *arg) {
  pair *p = arg;
  weft_lock_acquire(p->first, WEFT_FOREVER);
  weft_lock_acquire(p->second, WEFT_FOREVER);
  weft_lock_release(p->second);
  weft_lock_release(p->first);
}

/* One after the other: the inversion never deadlocks. */
static void inversion(void) {
  static pair ab = {&lock_a, &lock_b}, ba = {&lock_b, &lock_a};
  weft_thread *t = start(take_pair, &ab, "alice");
  weft_thread_join(t, 30.0);
  weft_thread_unref(t);
  t = start(take_pair, &ba, "bob");
  weft_thread_join(t, 30.0);
  weft_thread_unref(t);
}

static void order_env(void) {
  weft_debug_name(&lock_a, "A");
  weft_debug_name(&lock_b, "B");
  inversion();
  say("inversion done");
}

/* abort() raises SIGABRT in the thread that found the cycle, after the
 * report was written: say so and end well (CTest counts a death by signal
 * as a failure, whatever the output). That thread is main here: musl
 * starts C11 threads with every signal blocked. */
static void on_abort(int sig) {
  (void)sig;
  fputs("abort() called\n", stdout);
  fflush(stdout);
  _Exit(0);
}

static void order_abort(void) {
  signal(SIGABRT, on_abort);
  static pair ab = {&lock_a, &lock_b};
  weft_thread *t = start(take_pair, &ab, "alice");
  weft_thread_join(t, 30.0);
  weft_thread_unref(t);
  weft_lock_acquire(&lock_b, WEFT_FOREVER);
  weft_lock_acquire(&lock_a, WEFT_FOREVER); /* closes the cycle: reported, aborts */
  say("FAIL: not aborted");
}

/* ---- contention at exit ---------------------------------------------------- */

static void contention_exit(void) {
  static weft_lock work = WEFT_LOCK_INIT;
  weft_debug_name(&work, "work");
  for (int i = 0; i < 100; i++) {
    weft_lock_acquire(&work, WEFT_FOREVER);
    weft_lock_release(&work);
  }
  say("main returns");
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "hang_locks") == 0)
    hang_locks();
  else if (strcmp(mode, "hang_join") == 0)
    hang_join();
  else if (strcmp(mode, "hang_future") == 0)
    hang_future();
  else if (strcmp(mode, "hang_env") == 0)
    hang_env();
  else if (strcmp(mode, "order_env") == 0)
    order_env();
  else if (strcmp(mode, "order_abort") == 0)
    order_abort();
  else if (strcmp(mode, "contention_exit") == 0)
    contention_exit();
  else if (strcmp(mode, "env_bad") == 0)
    say("main runs");
  else
    fail("unknown mode");
  return 0;
}
