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

static void child(void) {
  /* Alone: the forking thread is the main thread now. */
  CHECK_EQ(weft_active_count(), 1);
  CHECK(weft_thread_main() == weft_thread_current());
  /* The parent's thread is gone here: its handle reads as finished. */
  CHECK(!weft_thread_is_alive(parent_waiter));
  CHECK_STATUS(weft_thread_join(parent_waiter, 1.0), WEFT_OK);
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
