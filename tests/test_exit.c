/* weft_shutdown: the wait for non-daemon threads that process exit does.
 * (Real process exits are tested by exit_child.c, one process per case.) */
#include "test.h"
#include "foreign.h"

#include <math.h>

typedef struct sleeper {
  test_flag running, finish;
} sleeper;

static void sleeper_body(void *arg) {
  sleeper *s = arg;
  test_flag_set(&s->running);
  test_flag_wait(&s->finish);
}

void test_exit_shutdown_none(void) {
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_shutdown(0), WEFT_OK);
  CHECK_STATUS(weft_shutdown(WEFT_FOREVER), WEFT_OK);
  CHECK_ELAPSED(t0, 0, 1.0);
  CHECK_STATUS(weft_shutdown(NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_shutdown(-0.5), WEFT_EINVAL);
}

void test_exit_shutdown_timeout(void) {
  sleeper s;
  memset(&s, 0, sizeof s);
  weft_thread *t = test_spawn(sleeper_body, &s);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_shutdown(0.1), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  CHECK_STATUS(weft_shutdown(0), WEFT_TIMEOUT);
  CHECK(weft_thread_is_alive(t));
  test_flag_set(&s.finish);
  CHECK_STATUS(weft_shutdown(30.0), WEFT_OK);
  CHECK(!weft_thread_is_alive(t));
  weft_thread_unref(t); /* no reference needed for shutdown to see it */
  /* Threads whose handles were dropped are waited for too. */
  memset(&s, 0, sizeof s);
  weft_thread_unref(test_spawn(sleeper_body, &s));
  test_flag_wait(&s.running);
  CHECK_STATUS(weft_shutdown(0.05), WEFT_TIMEOUT);
  test_flag_set(&s.finish);
  CHECK_STATUS(weft_shutdown(30.0), WEFT_OK);
  CHECK_EQ(weft_active_count(), 1);
}

static void foreign_sleeper(void *arg) {
  CHECK(weft_thread_current() != NULL); /* registered as a Dummy */
  sleeper_body(arg);
}

void test_exit_shutdown_daemon(void) {
  /* Daemons are not waited for: weft threads, start_new_thread threads and
   * foreign (Dummy) threads. */
  /* Static: the start_new_thread one is never joined, and may still read
   * its sleeper as the test returns. */
  static sleeper a, b, c;
  weft_thread *t = weft_thread_new(sleeper_body, &a);
  CHECK_STATUS(weft_thread_set_daemon(t, true), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  CHECK_STATUS(weft_start_new_thread(sleeper_body, &b), WEFT_OK);
  test_foreign *f = test_foreign_start(foreign_sleeper, &c);
  test_flag_wait(&b.running);
  test_flag_wait(&c.running);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_shutdown(10.0), WEFT_OK);
  CHECK_ELAPSED(t0, 0, 5.0);
  CHECK(weft_thread_is_alive(t));
  test_flag_set(&a.finish);
  test_flag_set(&b.finish);
  test_flag_set(&c.finish);
  test_join(t);
  test_foreign_join(f);
}

typedef struct self_shutdown {
  int rc;
  double elapsed;
  sleeper *other;
} self_shutdown;

static void shutdown_inside(void *arg) {
  self_shutdown *s = arg;
  double t0 = weft_monotonic();
  s->rc = weft_shutdown(20.0);
  s->elapsed = weft_monotonic() - t0;
}

static void finish_later(void *arg) {
  sleeper *s = arg;
  weft_sleep(0.1);
  test_flag_set(&s->finish);
}

void test_exit_shutdown_from_thread(void) {
  /* A thread's shutdown waits for the others but not for itself (which
   * would time out) nor for main (which would deadlock: main joins it). */
  sleeper other;
  memset(&other, 0, sizeof other);
  weft_thread *o = test_spawn(sleeper_body, &other);
  self_shutdown s = {-1, 0, &other};
  weft_thread *t = test_spawn(shutdown_inside, &s);
  weft_thread *f = test_spawn(finish_later, &other);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK_STATUS(s.rc, WEFT_OK);
  CHECK(s.elapsed < 15.0);
  CHECK(!weft_thread_is_alive(o));
  weft_thread_unref(t);
  test_join(o);
  test_join(f);
}
