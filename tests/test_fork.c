/* fork: only the forking thread goes on in the child, and weft must work
 * there as in a new process (the forking thread is its main thread, the
 * parent's other threads are gone, a new timer scheduler starts). */
#include "test.h"
#include "foreign.h"

static weft_event release;
static weft_thread *parent_waiter;
static long counter;
static weft_lock counter_lock;
static atomic_int fired;

static void wait_release(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_event_wait(&release, 60.0), WEFT_OK);
}

static void count(void *arg) {
  (void)arg;
  for (int i = 0; i < 10000; i++) {
    CHECK_STATUS(weft_lock_acquire(&counter_lock, WEFT_FOREVER), WEFT_OK);
    counter++;
    CHECK_STATUS(weft_lock_release(&counter_lock), WEFT_OK);
  }
}

static void fire(void *arg) {
  (void)arg;
  atomic_fetch_add(&fired, 1);
}

static uint64_t parent_native_id; /* of the thread that forks */

/* In the child, the forking thread is the main thread, whatever it was in
 * the parent, as in Python: listed alone, named MainThread, not a daemon,
 * with this process's ids. */
static void check_alone_as_main(void) {
  weft_thread *me = weft_thread_current();
  CHECK(me != NULL);
  CHECK(me == weft_thread_main());
  CHECK_STR(weft_thread_name(me), "MainThread");
  CHECK(!weft_thread_daemon(me));
  CHECK(weft_thread_is_alive(me));
  CHECK_EQ(weft_thread_ident(me), weft_get_ident());
  CHECK_EQ(weft_thread_native_id(me), weft_get_native_id());
  if (TEST_EXPECT_NATIVE_ID) CHECK(weft_get_native_id() != parent_native_id);
  weft_thread *all[4];
  CHECK_EQ(weft_enumerate(all, 4), 1);
  CHECK(all[0] == me);
  weft_thread_unref(all[0]);
  CHECK_EQ(weft_active_count(), 1);
}

static void child(void) {
  check_alone_as_main();
  /* The parent's thread is gone here: its handle reads as finished. */
  if (parent_waiter) {
    CHECK(!weft_thread_is_alive(parent_waiter));
    CHECK_STATUS(weft_thread_join(parent_waiter, 1.0), WEFT_OK);
  }
  CHECK_STATUS(weft_shutdown(1.0), WEFT_OK);
  /* Threads, locks and the parking lot work. */
  weft_thread *a = test_spawn(count, NULL), *b = test_spawn(count, NULL);
  test_join(a);
  test_join(b);
  CHECK_EQ(counter, 20000);
  /* Timers get a new scheduler. */
  weft_timer *t = weft_timer_new(0.01, fire, NULL);
  CHECK_STATUS(weft_timer_start(t), WEFT_OK);
  CHECK_STATUS(weft_timer_join(t, 10.0), WEFT_OK);
  CHECK_EQ(atomic_load(&fired), 1);
  weft_timer_unref(t);
  /* Queues hand items across threads. */
  weft_queue *q = weft_queue_new(4);
  CHECK(q != NULL);
  CHECK_STATUS(weft_queue_put(q, &counter, 0), WEFT_OK);
  void *item = NULL;
  CHECK_STATUS(weft_queue_get(q, &item, 1.0), WEFT_OK);
  CHECK(item == &counter);
  weft_queue_free(q);
}

void test_fork_child_works(void) {
  /* The parent has threads parked in the lot and a pending timer. */
  parent_waiter = test_spawn(wait_release, NULL);
  weft_thread *other = test_spawn(wait_release, NULL);
  weft_timer *pending = weft_timer_new(60.0, fire, NULL);
  CHECK_STATUS(weft_timer_set_daemon(pending, true), WEFT_OK);
  CHECK_STATUS(weft_timer_start(pending), WEFT_OK);
  weft_sleep(0.05);
  const char *why = NULL;
  parent_native_id = weft_get_native_id();
  int status = test_fork(child, &why);
  if (status == -1) test_skip(why);
  CHECK_EQ(status, 0);
  /* And the parent goes on as before. */
  CHECK_EQ(weft_active_count(), 3);
  weft_event_set(&release);
  test_join(parent_waiter);
  test_join(other);
  CHECK_STATUS(weft_timer_cancel(pending), WEFT_OK);
  weft_timer_unref(pending);
  CHECK_EQ(atomic_load(&fired), 0);
}

/* ---- the forking thread becomes the child's main thread ---------------- */

typedef struct fork_from {
  bool dummy; /* a foreign thread: make it a Dummy first */
  int status;
  const char *why;
} fork_from;

static void fork_here(void *arg) {
  fork_from *f = arg;
  if (f->dummy) CHECK(weft_thread_current() != NULL); /* now Dummy-N */
  parent_native_id = weft_get_native_id();
  f->status = test_fork(child, &f->why);
}

static void check_forked(fork_from *f) {
  if (f->status == -1) test_skip(f->why);
  CHECK_EQ(f->status, 0);
  CHECK_STR(weft_thread_name(weft_thread_main()), "MainThread");
  CHECK(weft_thread_main() == weft_thread_current()); /* the parent is as it was */
}

void test_fork_from_thread(void) {
  fork_from f = {false, 0, NULL};
  test_join(test_spawn(fork_here, &f));
  check_forked(&f);
}

void test_fork_from_foreign(void) {
  /* A thread weft has never seen (no record at all), then a Dummy one. */
  for (int dummy = 0; dummy < 2; dummy++) {
    fork_from f = {dummy != 0, 0, NULL};
    test_foreign_join(test_foreign_start(fork_here, &f));
    check_forked(&f);
  }
}

/* ---- timers across fork ------------------------------------------------- */

static test_flag cb_started, cb_release;
static weft_timer *running_timer, *pending_timer;

static void blocking_cb(void *arg) {
  (void)arg;
  test_flag_set(&cb_started);
  test_flag_wait(&cb_release);
}

static void child_with_running_timer(void) {
  /* Its call runs in a helper that the child does not have: finished. */
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_timer_join(running_timer, 5.0), WEFT_OK);
  CHECK_ELAPSED(t0, 0, 1.0);
  CHECK_STATUS(weft_timer_cancel(running_timer), WEFT_ESTATE);
  /* A pending one never fires here. */
  CHECK_STATUS(weft_timer_join(pending_timer, 5.0), WEFT_OK);
  CHECK_STATUS(weft_timer_cancel(pending_timer), WEFT_ESTATE);
  CHECK_STATUS(weft_shutdown(1.0), WEFT_OK);
  child();
}

void test_fork_timer_running(void) {
  running_timer = weft_timer_new(0, blocking_cb, NULL);
  pending_timer = weft_timer_new(60.0, blocking_cb, NULL);
  CHECK(running_timer && pending_timer);
  CHECK_STATUS(weft_timer_start(running_timer), WEFT_OK);
  CHECK_STATUS(weft_timer_start(pending_timer), WEFT_OK);
  test_flag_wait(&cb_started);
  const char *why = NULL;
  parent_native_id = weft_get_native_id();
  int status = test_fork(child_with_running_timer, &why);
  test_flag_set(&cb_release);
  CHECK_STATUS(weft_timer_join(running_timer, 30.0), WEFT_OK);
  CHECK_STATUS(weft_timer_cancel(pending_timer), WEFT_OK);
  weft_timer_unref(running_timer);
  weft_timer_unref(pending_timer);
  if (status == -1) test_skip(why);
  CHECK_EQ(status, 0);
}

static long callback_child = -1;
static const char *callback_why;
static weft_timer *forking_timer;

static void exit_soon(void *arg) {
  (void)arg;
  weft_sleep(0.05);
  exit(0); /* waits for nothing: the timer's call has ended by now */
}

/* Forks from inside its call. In the child this thread, still in the
 * call, is the main thread; the call then ends there as it does in the
 * parent, and a thread it started ends the child with exit(). */
static void forking_cb(void *arg) {
  (void)arg;
  parent_native_id = weft_get_native_id();
  long pid = test_fork_begin(&callback_why);
  if (pid != 0) {
    callback_child = pid;
    return;
  }
  check_alone_as_main();
  CHECK_STATUS(weft_timer_join(forking_timer, 1.0), WEFT_EDEADLK);
  weft_thread *t = weft_thread_new(exit_soon, NULL);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_set_daemon(t, false), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  weft_thread_unref(t);
}

void test_fork_from_timer_callback(void) {
  forking_timer = weft_timer_new(0.01, forking_cb, NULL);
  CHECK(forking_timer != NULL);
  CHECK_STATUS(weft_timer_set_daemon(forking_timer, false), WEFT_OK);
  CHECK_STATUS(weft_timer_start(forking_timer), WEFT_OK);
  CHECK_STATUS(weft_timer_join(forking_timer, 30.0), WEFT_OK);
  weft_timer_unref(forking_timer);
  if (callback_child == -1) test_skip(callback_why);
  int status = test_fork_wait(callback_child, 20.0);
  if (status == -2) test_fail_(__FILE__, __LINE__, "the child's exit() hung");
  CHECK_EQ(status, 0);
}
