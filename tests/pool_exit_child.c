/* pool_exit_child <mode>: what happens to a pool's tasks when the process
 * ends. CTest judges the output (tests/CMakeLists.txt):
 *   pending        a non-daemon pool's running and queued tasks finish
 *                  after main returns: "main returns", "task 1 done",
 *                  "task 2 done".
 *   exit_main      the same when main calls exit().
 *   daemon         a daemon pool's tasks are dropped: the process ends at
 *                  once, "daemon task" never appears.
 *   daemon_inherit a pool made in a daemon thread is a daemon pool.
 *   exit_in_task   exit() from a task waits for the pool's other tasks but
 *                  not for itself: "task calls exit", "other task done".
 *   submit_in_exit a task that submits during the exit wait: that task is
 *                  waited for too: "main returns", "first done",
 *                  "second done".
 *   late_submit    submits after weft's exit wait (from an exit handler
 *                  that runs after it) are refused: "main returns",
 *                  "task done", "late submit refused".
 * Lines are written unbuffered so that their order is the order of events. */
#include "child.h"
#include "weft.h"

#include <string.h>

static weft_pool *pool;

static void *nap_then_say(void *arg) {
  weft_sleep(0.2);
  say((const char *)arg);
  return NULL;
}

static void *say_now(void *arg) {
  say((const char *)arg);
  return NULL;
}

static void *sleep_long(void *arg) {
  (void)arg;
  weft_sleep(60);
  say("FAIL: daemon task ran to its end");
  return NULL;
}

static void *exit_from_task(void *arg) {
  (void)arg;
  weft_sleep(0.05);
  say("task calls exit");
  exit(0);
}

static void *second(void *arg) {
  (void)arg;
  weft_sleep(0.1);
  say("second done");
  return NULL;
}

static void *submits_later(void *arg) {
  (void)arg;
  weft_sleep(0.1); /* the exit wait has begun */
  if (weft_pool_submit(pool, second, NULL, NULL) != WEFT_OK) fail("submit during the exit wait");
  say("first done");
  return NULL;
}

static void *never(void *arg) {
  (void)arg;
  say("FAIL: a late task ran");
  return NULL;
}

/* Registered before weft's exit wait, so it runs after it. */
static void late_submit(void) {
  if (weft_pool_submit(pool, never, NULL, NULL) != WEFT_ESHUTDOWN)
    fail("weft_pool_submit after the exit wait");
  weft_pool *fresh = weft_pool_new(1);
  if (!fresh) fail("weft_pool_new");
  weft_future *f = NULL;
  if (weft_pool_submit(fresh, never, NULL, &f) != WEFT_ESHUTDOWN || f)
    fail("weft_pool_submit to a new pool after the exit wait");
  say("late submit refused");
}

static void submit(weft_task fn, void *arg) {
  if (weft_pool_submit(pool, fn, arg, NULL) != WEFT_OK) fail("weft_pool_submit");
}

static void make_pool(void *arg) {
  (void)arg;
  pool = weft_pool_new(1);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "daemon_inherit") == 0) {
    weft_thread *t = weft_thread_new(make_pool, NULL);
    if (!t || weft_thread_set_daemon(t, true) != WEFT_OK || weft_thread_start(t) != WEFT_OK ||
        weft_thread_join(t, 10.0) != WEFT_OK)
      fail("daemon thread");
    weft_thread_unref(t);
  } else {
    pool = weft_pool_new(strcmp(mode, "exit_in_task") == 0 ? 2 : 1);
  }
  if (!pool) fail("weft_pool_new");
  if (strcmp(mode, "pending") == 0 || strcmp(mode, "exit_main") == 0) {
    submit(nap_then_say, "task 1 done");
    submit(say_now, "task 2 done");
    if (strcmp(mode, "exit_main") == 0) {
      say("main calls exit");
      exit(0);
    }
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "daemon") == 0 || strcmp(mode, "daemon_inherit") == 0) {
    if (strcmp(mode, "daemon") == 0 && weft_pool_set_daemon(pool, true) != WEFT_OK)
      fail("weft_pool_set_daemon");
    submit(sleep_long, NULL);
    submit(say_now, "FAIL: a queued daemon task ran");
    weft_sleep(0.05); /* the first is asleep for sure */
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "exit_in_task") == 0) {
    submit(nap_then_say, "other task done");
    submit(exit_from_task, NULL);
    weft_sleep(30);
    fail("main outlived exit()");
  }
  if (strcmp(mode, "submit_in_exit") == 0) {
    weft_pool *idle = weft_pool_new(1); /* with a worker, idle: never waited for */
    weft_future *f = NULL;
    if (!idle || weft_pool_submit(idle, say_now, "idle pool used", &f) != WEFT_OK ||
        weft_future_result(f, 10.0, NULL) != WEFT_OK)
      fail("the idle pool");
    weft_future_unref(f);
    submit(submits_later, NULL);
    say("main returns");
    return 0;
  }
  if (strcmp(mode, "late_submit") == 0) {
    atexit(late_submit); /* before weft registers its wait at the first start */
    submit(nap_then_say, "task done");
    say("main returns");
    return 0;
  }
  printf("unknown mode '%s'\n", mode);
  return 2;
}
