/* weft_event: set, clear, is_set, wait; set wakes every waiter even if
 * clear follows at once. */
#include "test.h"

#include <math.h>

static weft_event static_event; /* zero-initialised */

void test_event_zero_init(void) {
  weft_event stack_event, init_event = WEFT_EVENT_INIT;
  memset(&stack_event, 0, sizeof stack_event);
  weft_event *all[] = {&static_event, &stack_event, &init_event};
  for (int i = 0; i < 3; i++) {
    weft_event *e = all[i];
    CHECK(!weft_event_is_set(e));
    CHECK_STATUS(weft_event_wait(e, 0), WEFT_TIMEOUT);
    CHECK(!weft_event_is_set(e));
  }
}

void test_event_set_clear(void) {
  weft_event e = WEFT_EVENT_INIT;
  for (int round = 0; round < 3; round++) {
    weft_event_set(&e);
    CHECK(weft_event_is_set(&e));
    weft_event_set(&e); /* idempotent */
    CHECK(weft_event_is_set(&e));
    CHECK_STATUS(weft_event_wait(&e, 0), WEFT_OK);
    CHECK(weft_event_is_set(&e)); /* wait does not consume it */
    weft_event_clear(&e);
    CHECK(!weft_event_is_set(&e));
    weft_event_clear(&e);
    CHECK(!weft_event_is_set(&e));
    CHECK_STATUS(weft_event_wait(&e, 0), WEFT_TIMEOUT);
  }
}

void test_event_wait_set_immediate(void) {
  /* Every timeout, even forever, returns at once on a set event. */
  const double timeouts[] = {0, 1e-7, 0.1, 30.0, WEFT_FOREVER, INFINITY, 1e10};
  weft_event e = WEFT_EVENT_INIT;
  weft_event_set(&e);
  double t0 = weft_monotonic();
  for (int i = 0; i < 100; i++)
    for (size_t j = 0; j < sizeof timeouts / sizeof timeouts[0]; j++)
      CHECK_STATUS(weft_event_wait(&e, timeouts[j]), WEFT_OK);
  CHECK_ELAPSED(t0, 0, 1.0);
  CHECK(weft_event_is_set(&e));
}

void test_event_timeout_short(void) {
  weft_event e = WEFT_EVENT_INIT;
  const double waits[] = {0.1, 0.01, 0.001, 1e-7, 0};
  for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_event_wait(&e, waits[i]), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
    CHECK(!weft_event_is_set(&e));
  }
}

/* ---- waking ---------------------------------------------------------------- */

enum { WAITERS = 8 };

typedef struct crowd {
  weft_event ev;
  double timeout;
  atomic_int started, ok, timed_out;
} crowd;

static void crowd_wait(void *arg) {
  crowd *c = arg;
  atomic_fetch_add(&c->started, 1);
  int r = weft_event_wait(&c->ev, c->timeout);
  CHECK(r == WEFT_OK || r == WEFT_TIMEOUT);
  atomic_fetch_add(r == WEFT_OK ? &c->ok : &c->timed_out, 1);
}

typedef struct setter {
  weft_event *ev;
  double delay;
} setter;

static void set_later(void *arg) {
  setter *s = arg;
  weft_sleep(s->delay);
  weft_event_set(s->ev);
}

void test_event_set_wakes_waiter(void) {
  const double timeouts[] = {WEFT_FOREVER, 20.0, INFINITY, 1e10, WEFT_TIMEOUT_MAX * 2};
  for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
    weft_event e = WEFT_EVENT_INIT;
    setter s = {&e, 0.05};
    double t0 = weft_monotonic();
    weft_thread *t = test_spawn(set_later, &s);
    CHECK_STATUS(weft_event_wait(&e, timeouts[i]), WEFT_OK);
    CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
    CHECK(weft_event_is_set(&e));
    test_join(t);
  }
}

void test_event_set_wakes_all(void) {
  /* Waiters that missed the wake-up would see the flag at their timeout:
   * it is long enough for test_join to fail first. */
  static crowd c;
  c.timeout = 60.0;
  weft_thread *t[WAITERS];
  for (int i = 0; i < WAITERS; i++)
    t[i] = test_spawn(crowd_wait, &c);
  test_await_count(&c.started, WAITERS);
  weft_sleep(0.1);
  CHECK_EQ(atomic_load(&c.ok), 0);
  double t0 = weft_monotonic();
  weft_event_set(&c.ev);
  for (int i = 0; i < WAITERS; i++)
    test_join(t[i]);
  CHECK_ELAPSED(t0, 0, TEST_SLOW);
  CHECK_EQ(atomic_load(&c.ok), WAITERS);
  CHECK(weft_event_is_set(&c.ev));
}

void test_event_set_then_clear(void) {
  /* Blocked waiters all return OK, although the flag is clear again before
   * any of them could look at it. Several rounds on the same event. */
  static crowd c;
  c.timeout = 60.0;
  for (int round = 0; round < 5; round++) {
    atomic_store(&c.started, 0);
    atomic_store(&c.ok, 0);
    weft_thread *t[WAITERS];
    for (int i = 0; i < WAITERS; i++)
      t[i] = test_spawn(crowd_wait, &c);
    test_await_count(&c.started, WAITERS);
    weft_sleep(0.2); /* let them block */
    CHECK_EQ(atomic_load(&c.ok), 0);
    weft_event_set(&c.ev);
    weft_event_clear(&c.ev);
    CHECK(!weft_event_is_set(&c.ev));
    for (int i = 0; i < WAITERS; i++)
      test_join(t[i]);
    CHECK_EQ(atomic_load(&c.ok), WAITERS);
    CHECK_EQ(atomic_load(&c.timed_out), 0);
    CHECK(!weft_event_is_set(&c.ev));
  }
}

void test_event_clear_then_wait(void) {
  /* After clear, a new wait blocks again for its full timeout. */
  weft_event e = WEFT_EVENT_INIT;
  weft_event_set(&e);
  weft_event_clear(&e);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_event_wait(&e, 0.1), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  /* Timed-out waiters elsewhere do not get in the way of a later set. */
  static crowd c;
  c.timeout = 0.05;
  weft_thread *t[WAITERS];
  for (int i = 0; i < WAITERS; i++)
    t[i] = test_spawn(crowd_wait, &c);
  for (int i = 0; i < WAITERS; i++)
    test_join(t[i]);
  CHECK_EQ(atomic_load(&c.timed_out), WAITERS);
  setter s = {&c.ev, 0.05};
  t0 = weft_monotonic();
  weft_thread *st = test_spawn(set_later, &s);
  CHECK_STATUS(weft_event_wait(&c.ev, 20.0), WEFT_OK);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
  test_join(st);
}

/* ---- misuse ---------------------------------------------------------------- */

void test_event_null(void) {
  CHECK_STATUS(weft_event_wait(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_event_wait(NULL, WEFT_FOREVER), WEFT_EINVAL);
  weft_event_set(NULL);
  weft_event_clear(NULL);
  CHECK(!weft_event_is_set(NULL));
}

void test_event_timeout_invalid(void) {
  const double bad[] = {NAN, -0.5, -1e-9, -2.0, -INFINITY};
  weft_event e = WEFT_EVENT_INIT;
  for (int set = 0; set < 2; set++) {
    if (set) weft_event_set(&e);
    double t0 = weft_monotonic();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
      CHECK_STATUS(weft_event_wait(&e, bad[i]), WEFT_EINVAL);
    CHECK_ELAPSED(t0, 0, 1.0);
    CHECK_EQ(weft_event_is_set(&e), set);
  }
}

/* ---- stress: set/clear races with waiters ----------------------------------- */

enum { RACE_WAITERS = 4 };

typedef struct race {
  weft_event ev;
  test_flag stop;
  atomic_long waits;
  atomic_int ready;
} race;

static void race_waiter(void *arg) {
  race *r = arg;
  atomic_fetch_add(&r->ready, 1);
  for (;;) {
    bool last = test_flag_get(&r->stop); /* set only after the final set() */
    /* Bounded: while the setter runs a set comes within microseconds; after
     * it, the event stays set. Either way the answer is OK, and long before
     * the timeout (a waiter that missed the final set would see the flag
     * only when its timeout ran out). */
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_event_wait(&r->ev, 20.0), WEFT_OK);
    CHECK_ELAPSED(t0, 0, 10.0);
    atomic_fetch_add(&r->waits, 1);
    if (last) return;
  }
}

void test_event_stress_set_clear(void) {
  static race r;
  long rounds = test_scaled(10000);
  weft_thread *t[RACE_WAITERS];
  for (int i = 0; i < RACE_WAITERS; i++)
    t[i] = test_spawn(race_waiter, &r);
  while (atomic_load(&r.ready) < RACE_WAITERS)
    weft_yield();
  for (long i = 0; i < rounds; i++) {
    weft_event_set(&r.ev);
    weft_event_clear(&r.ev);
    if (i % 64 == 0) weft_yield(); /* let waiters park now and then */
  }
  weft_event_set(&r.ev);
  test_flag_set(&r.stop);
  for (int i = 0; i < RACE_WAITERS; i++) {
    CHECK_STATUS(weft_thread_join(t[i], 120.0), WEFT_OK);
    weft_thread_unref(t[i]);
  }
  CHECK(weft_event_is_set(&r.ev));
  CHECK(atomic_load(&r.waits) >= RACE_WAITERS);
}
