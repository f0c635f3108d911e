/* weft_sem: value, release(n) waking up to n waiters, the bounds, timed-out
 * acquires, misuse. */
#include "test.h"

#include <limits.h>
#include <math.h>

/* ---- initialisation and value --------------------------------------------- */

static weft_sem static_sem; /* zero-initialised */

void test_sem_zero_init(void) {
  weft_sem stack_sem, init_sem = WEFT_SEM_INIT;
  memset(&stack_sem, 0, sizeof stack_sem);
  weft_sem *all[] = {&static_sem, &stack_sem, &init_sem};
  for (int i = 0; i < 3; i++) {
    weft_sem *s = all[i];
    CHECK_EQ(weft_sem_value(s), 0);
    CHECK_STATUS(weft_sem_acquire(s, 0), WEFT_TIMEOUT);
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_sem_acquire(s, 0.02), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, 0.02, TEST_SLOW);
    CHECK_EQ(weft_sem_value(s), 0);
    CHECK_STATUS(weft_sem_release(s, 1), WEFT_OK);
    CHECK_EQ(weft_sem_value(s), 1);
    CHECK_STATUS(weft_sem_acquire(s, 0), WEFT_OK);
    CHECK_EQ(weft_sem_value(s), 0);
    CHECK_STATUS(weft_sem_acquire(s, 0), WEFT_TIMEOUT);
    /* Unbounded: it may go above where it started. */
    CHECK_STATUS(weft_sem_release(s, 3), WEFT_OK);
    CHECK_STATUS(weft_sem_release(s, 2), WEFT_OK);
    CHECK_EQ(weft_sem_value(s), 5);
    for (int j = 0; j < 5; j++)
      CHECK_STATUS(weft_sem_acquire(s, j % 2 ? 0 : WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_sem_acquire(s, 0), WEFT_TIMEOUT);
  }
}

void test_sem_init_value(void) {
  const unsigned values[] = {0, 1, 3, 100};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    weft_sem s;
    memset(&s, 0xA5, sizeof s);
    weft_sem_init(&s, values[i]);
    CHECK_EQ(weft_sem_value(&s), values[i]);
    for (unsigned j = 0; j < values[i]; j++)
      CHECK_STATUS(weft_sem_acquire(&s, j % 2 ? 0 : 1.0), WEFT_OK);
    CHECK_EQ(weft_sem_value(&s), 0);
    CHECK_STATUS(weft_sem_acquire(&s, 0), WEFT_TIMEOUT);
    /* Re-initialising sets the value again. */
    weft_sem_init(&s, 2);
    CHECK_EQ(weft_sem_value(&s), 2);
  }
  weft_sem s;
  weft_sem_init(&s, UINT_MAX);
  CHECK_EQ(weft_sem_value(&s), UINT_MAX);
  CHECK_STATUS(weft_sem_acquire(&s, 0), WEFT_OK);
  CHECK_EQ(weft_sem_value(&s), UINT_MAX - 1);
}

void test_sem_timeout_short(void) {
  weft_sem s = WEFT_SEM_INIT;
  const double waits[] = {0.1, 0.01, 0.001, 1e-7, 0};
  for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_sem_acquire(&s, waits[i]), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
    CHECK_EQ(weft_sem_value(&s), 0);
  }
}

/* ---- waking waiters ------------------------------------------------------- */

enum { WAITERS = 5 };

typedef struct crowd {
  weft_sem sem;
  double timeout;
  atomic_int started, passed, timed_out;
} crowd;

static void crowd_acquire(void *arg) {
  crowd *c = arg;
  atomic_fetch_add(&c->started, 1);
  int r = weft_sem_acquire(&c->sem, c->timeout);
  CHECK(r == WEFT_OK || r == WEFT_TIMEOUT);
  atomic_fetch_add(r == WEFT_OK ? &c->passed : &c->timed_out, 1);
}

/* Wait for `want` passes, give extra ones time to show, check none did. */
static void await_exactly(atomic_int *v, int want) {
  test_await_count(v, want);
  weft_sleep(0.2);
  CHECK_EQ(atomic_load(v), want);
}

void test_sem_release_wakes_n(void) {
  static crowd c;
  c.timeout = 60.0; /* past test_join's 30 s: a lost wake-up fails */
  weft_thread *t[WAITERS];
  for (int i = 0; i < WAITERS; i++)
    t[i] = test_spawn(crowd_acquire, &c);
  test_await_count(&c.started, WAITERS);
  weft_sleep(0.1); /* let them block */
  CHECK_EQ(atomic_load(&c.passed), 0);
  CHECK_STATUS(weft_sem_release(&c.sem, 2), WEFT_OK);
  await_exactly(&c.passed, 2);
  CHECK_EQ(weft_sem_value(&c.sem), 0);
  CHECK_STATUS(weft_sem_release(&c.sem, 1), WEFT_OK);
  await_exactly(&c.passed, 3);
  CHECK_EQ(weft_sem_value(&c.sem), 0);
  /* More than are waiting: the rest pass, the surplus stays in the value. */
  CHECK_STATUS(weft_sem_release(&c.sem, 5), WEFT_OK);
  for (int i = 0; i < WAITERS; i++)
    test_join(t[i]);
  CHECK_EQ(atomic_load(&c.passed), WAITERS);
  CHECK_EQ(atomic_load(&c.timed_out), 0);
  CHECK_EQ(weft_sem_value(&c.sem), 3);
}

void test_sem_release_one_by_one(void) {
  /* Each release(1) lets exactly one blocked waiter through. */
  static crowd c;
  c.timeout = 60.0; /* past test_join's 30 s: a lost wake-up fails */
  weft_thread *t[WAITERS];
  for (int i = 0; i < WAITERS; i++)
    t[i] = test_spawn(crowd_acquire, &c);
  test_await_count(&c.started, WAITERS);
  weft_sleep(0.1);
  for (int i = 1; i <= WAITERS; i++) {
    CHECK_STATUS(weft_sem_release(&c.sem, 1), WEFT_OK);
    test_await_count(&c.passed, i);
    weft_sleep(0.05);
    CHECK_EQ(atomic_load(&c.passed), i);
    CHECK_EQ(weft_sem_value(&c.sem), 0);
  }
  for (int i = 0; i < WAITERS; i++)
    test_join(t[i]);
}

typedef struct releaser {
  weft_sem *sem;
  double delay;
} releaser;

static void release_later(void *arg) {
  releaser *r = arg;
  weft_sleep(r->delay);
  CHECK_STATUS(weft_sem_release(r->sem, 1), WEFT_OK);
}

void test_sem_acquire_waits(void) {
  const double forever[] = {WEFT_FOREVER, INFINITY, 1e10, WEFT_TIMEOUT_MAX * 2, 20.0};
  weft_sem s = WEFT_SEM_INIT;
  for (size_t i = 0; i < sizeof forever / sizeof forever[0]; i++) {
    releaser r = {&s, 0.05};
    double t0 = weft_monotonic();
    weft_thread *t = test_spawn(release_later, &r);
    CHECK_STATUS(weft_sem_acquire(&s, forever[i]), WEFT_OK);
    CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
    CHECK_EQ(weft_sem_value(&s), 0);
    test_join(t);
  }
}

/* ---- timed-out acquires change nothing ------------------------------------ */

void test_sem_timeout_unchanged(void) {
  static crowd c;
  c.timeout = 0.1;
  weft_thread *t[WAITERS];
  double t0 = weft_monotonic();
  for (int i = 0; i < WAITERS; i++)
    t[i] = test_spawn(crowd_acquire, &c);
  for (int i = 0; i < WAITERS; i++)
    test_join(t[i]);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  CHECK_EQ(atomic_load(&c.timed_out), WAITERS);
  CHECK_EQ(weft_sem_value(&c.sem), 0);
  /* The timed-out waiters left no claim behind: a release is all there. */
  CHECK_STATUS(weft_sem_release(&c.sem, 2), WEFT_OK);
  CHECK_EQ(weft_sem_value(&c.sem), 2);
  CHECK_STATUS(weft_sem_acquire(&c.sem, 0), WEFT_OK);
  CHECK_STATUS(weft_sem_acquire(&c.sem, 0), WEFT_OK);
  CHECK_STATUS(weft_sem_acquire(&c.sem, 0), WEFT_TIMEOUT);
}

void test_sem_timeout_then_live_waiter(void) {
  /* One waiter gives up; the release must reach the one still waiting. */
  static crowd slow;
  slow.timeout = 60.0;
  weft_sem *s = &slow.sem;
  weft_thread *ts = test_spawn(crowd_acquire, &slow);
  test_await_count(&slow.started, 1);
  weft_sleep(0.02);
  /* A second waiter on the same semaphore that times out meanwhile. */
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_sem_acquire(s, 0.1), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  CHECK_EQ(atomic_load(&slow.passed), 0);
  CHECK_STATUS(weft_sem_release(s, 1), WEFT_OK);
  test_join(ts);
  CHECK_EQ(atomic_load(&slow.passed), 1);
  CHECK_EQ(weft_sem_value(s), 0);
}

/* A release racing a timing-out acquire: either the acquire got the unit
 * or the unit is still there, never both or neither. */
typedef struct racer {
  weft_sem sem;
  double timeout;
  atomic_int status;
  test_flag go;
} racer;

static void race_acquire(void *arg) {
  racer *r = arg;
  test_flag_wait(&r->go);
  atomic_store(&r->status, weft_sem_acquire(&r->sem, r->timeout));
}

void test_sem_timeout_race(void) {
  static const double timeouts[] = {1e-4, 5e-4, 1e-3, 2e-3};
  long rounds = test_scaled(200);
  int got = 0, missed = 0;
  for (long i = 0; i < rounds; i++) {
    racer r;
    memset(&r, 0, sizeof r);
    r.timeout = timeouts[i % 4];
    atomic_store(&r.status, -1);
    weft_thread *t = test_spawn(race_acquire, &r);
    test_flag_set(&r.go);
    weft_sleep(timeouts[(i / 4) % 4]);
    CHECK_STATUS(weft_sem_release(&r.sem, 1), WEFT_OK);
    test_join(t);
    int st = atomic_load(&r.status);
    CHECK(st == WEFT_OK || st == WEFT_TIMEOUT);
    CHECK_EQ(weft_sem_value(&r.sem), st == WEFT_OK ? 0 : 1);
    if (st == WEFT_OK)
      got++;
    else
      missed++;
  }
  CHECK_EQ(got + missed, rounds);
}

/* ---- bounds ----------------------------------------------------------------- */

void test_sem_bounded(void) {
  weft_sem s;
  weft_sem_init_bounded(&s, 2);
  CHECK_EQ(weft_sem_value(&s), 2);
  CHECK_STATUS(weft_sem_release(&s, 1), WEFT_EOVERFLOW);
  CHECK_EQ(weft_sem_value(&s), 2);
  CHECK_STATUS(weft_sem_acquire(&s, 0), WEFT_OK);
  CHECK_STATUS(weft_sem_release(&s, 2), WEFT_EOVERFLOW); /* all or nothing */
  CHECK_EQ(weft_sem_value(&s), 1);
  CHECK_STATUS(weft_sem_acquire(&s, 0), WEFT_OK);
  CHECK_STATUS(weft_sem_acquire(&s, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_sem_release(&s, 3), WEFT_EOVERFLOW);
  CHECK_EQ(weft_sem_value(&s), 0);
  CHECK_STATUS(weft_sem_release(&s, 2), WEFT_OK);
  CHECK_EQ(weft_sem_value(&s), 2);
  CHECK_STATUS(weft_sem_release(&s, UINT_MAX), WEFT_EOVERFLOW);
  CHECK_EQ(weft_sem_value(&s), 2);
  /* Still usable after the refusals. */
  CHECK_STATUS(weft_sem_acquire(&s, 0), WEFT_OK);
  CHECK_STATUS(weft_sem_release(&s, 1), WEFT_OK);
  CHECK_EQ(weft_sem_value(&s), 2);
  /* Bounded at 0: no release at all. */
  weft_sem_init_bounded(&s, 0);
  CHECK_EQ(weft_sem_value(&s), 0);
  CHECK_STATUS(weft_sem_release(&s, 1), WEFT_EOVERFLOW);
  CHECK_EQ(weft_sem_value(&s), 0);
  /* Re-initialised unbounded: the old bound is gone. */
  weft_sem_init(&s, 2);
  CHECK_STATUS(weft_sem_release(&s, 5), WEFT_OK);
  CHECK_EQ(weft_sem_value(&s), 7);
  /* The initial value is the bound, even when it is large. */
  weft_sem_init_bounded(&s, UINT_MAX);
  CHECK_STATUS(weft_sem_release(&s, 1), WEFT_EOVERFLOW);
  CHECK_STATUS(weft_sem_acquire(&s, 0), WEFT_OK);
  CHECK_STATUS(weft_sem_release(&s, 1), WEFT_OK);
  CHECK_EQ(weft_sem_value(&s), UINT_MAX);
}

void test_sem_bounded_waiters(void) {
  /* A bounded semaphore taken to 0 by waiters, released back to its bound,
   * then once too often. */
  static crowd c;
  weft_sem_init_bounded(&c.sem, 2);
  c.timeout = 60.0; /* past test_join's 30 s: a lost wake-up fails */
  CHECK_STATUS(weft_sem_acquire(&c.sem, 0), WEFT_OK);
  CHECK_STATUS(weft_sem_acquire(&c.sem, 0), WEFT_OK);
  weft_thread *t[2];
  for (int i = 0; i < 2; i++)
    t[i] = test_spawn(crowd_acquire, &c);
  test_await_count(&c.started, 2);
  weft_sleep(0.05);
  CHECK_STATUS(weft_sem_release(&c.sem, 2), WEFT_OK); /* wakes both */
  for (int i = 0; i < 2; i++)
    test_join(t[i]);
  CHECK_EQ(atomic_load(&c.passed), 2);
  CHECK_EQ(weft_sem_value(&c.sem), 0);
  CHECK_STATUS(weft_sem_release(&c.sem, 2), WEFT_OK);
  CHECK_STATUS(weft_sem_release(&c.sem, 1), WEFT_EOVERFLOW);
  CHECK_EQ(weft_sem_value(&c.sem), 2);
}

void test_sem_unbounded_overflow(void) {
  weft_sem s;
  weft_sem_init(&s, UINT_MAX - 1);
  CHECK_STATUS(weft_sem_release(&s, 2), WEFT_EOVERFLOW);
  CHECK_EQ(weft_sem_value(&s), UINT_MAX - 1);
  CHECK_STATUS(weft_sem_release(&s, 1), WEFT_OK);
  CHECK_EQ(weft_sem_value(&s), UINT_MAX);
  CHECK_STATUS(weft_sem_release(&s, 1), WEFT_EOVERFLOW);
  CHECK_STATUS(weft_sem_release(&s, UINT_MAX), WEFT_EOVERFLOW);
  CHECK_EQ(weft_sem_value(&s), UINT_MAX);
  CHECK_STATUS(weft_sem_acquire(&s, 0), WEFT_OK);
  CHECK_EQ(weft_sem_value(&s), UINT_MAX - 1);
  /* From 0, UINT_MAX at once fits exactly; from 1 it does not. */
  weft_sem_init(&s, 0);
  CHECK_STATUS(weft_sem_release(&s, UINT_MAX), WEFT_OK);
  CHECK_EQ(weft_sem_value(&s), UINT_MAX);
  weft_sem_init(&s, 1);
  CHECK_STATUS(weft_sem_release(&s, UINT_MAX), WEFT_EOVERFLOW);
  CHECK_EQ(weft_sem_value(&s), 1);
  CHECK_STATUS(weft_sem_release(&s, UINT_MAX - 1), WEFT_OK);
  CHECK_EQ(weft_sem_value(&s), UINT_MAX);
}

/* ---- misuse ------------------------------------------------------------------ */

void test_sem_release_zero(void) {
  weft_sem s = WEFT_SEM_INIT;
  CHECK_STATUS(weft_sem_release(&s, 0), WEFT_EINVAL);
  CHECK_EQ(weft_sem_value(&s), 0);
  weft_sem_init(&s, 3);
  CHECK_STATUS(weft_sem_release(&s, 0), WEFT_EINVAL);
  CHECK_EQ(weft_sem_value(&s), 3);
  weft_sem_init_bounded(&s, 3);
  CHECK_STATUS(weft_sem_release(&s, 0), WEFT_EINVAL);
  CHECK_EQ(weft_sem_value(&s), 3);
}

void test_sem_null(void) {
  CHECK_STATUS(weft_sem_acquire(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_sem_acquire(NULL, WEFT_FOREVER), WEFT_EINVAL);
  CHECK_STATUS(weft_sem_release(NULL, 1), WEFT_EINVAL);
  CHECK_STATUS(weft_sem_release(NULL, 0), WEFT_EINVAL);
  weft_sem_init(NULL, 1);
  weft_sem_init_bounded(NULL, 1);
}

void test_sem_timeout_invalid(void) {
  const double bad[] = {NAN, -0.5, -1e-9, -2.0, -INFINITY};
  weft_sem s = WEFT_SEM_INIT;
  for (int v = 0; v < 2; v++) {
    /* Rejected whether or not a unit is there, and nothing is taken. */
    weft_sem_init(&s, (unsigned)v);
    double t0 = weft_monotonic();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
      CHECK_STATUS(weft_sem_acquire(&s, bad[i]), WEFT_EINVAL);
    CHECK_ELAPSED(t0, 0, 1.0);
    CHECK_EQ(weft_sem_value(&s), v);
  }
}

/* ---- stress: a semaphore caps concurrency ----------------------------------- */

enum { CAP_THREADS = 16, CAP_COUNT = 3 };

typedef struct capped {
  weft_sem sem;
  long per_thread;
  atomic_int inside, max_inside, ready, timeouts;
  atomic_long entries;
  test_flag go;
  atomic_int next_id;
} capped;

static void capped_worker(void *arg) {
  capped *c = arg;
  int id = atomic_fetch_add(&c->next_id, 1);
  atomic_fetch_add(&c->ready, 1);
  while (!test_flag_get(&c->go))
    weft_yield();
  for (long i = 0; i < c->per_thread; i++) {
    /* Half the threads wait with short timeouts and retry: a timed-out
     * acquire must leave the count as it was. */
    if (id % 2) {
      int r;
      while ((r = weft_sem_acquire(&c->sem, (double)(1 + i % 3) * 1e-4)) == WEFT_TIMEOUT)
        atomic_fetch_add(&c->timeouts, 1);
      CHECK_STATUS(r, WEFT_OK);
    } else {
      CHECK_STATUS(weft_sem_acquire(&c->sem, WEFT_FOREVER), WEFT_OK);
    }
    int now = atomic_fetch_add(&c->inside, 1) + 1;
    int seen = atomic_load(&c->max_inside);
    while (now > seen && !atomic_compare_exchange_weak(&c->max_inside, &seen, now)) {
    }
    atomic_fetch_add(&c->entries, 1);
    if (i % 8 == 0) weft_yield();
    atomic_fetch_sub(&c->inside, 1);
    CHECK_STATUS(weft_sem_release(&c->sem, 1), WEFT_OK);
  }
}

void test_sem_stress_cap(void) {
  static capped c;
  weft_sem_init_bounded(&c.sem, CAP_COUNT);
  c.per_thread = (test_scaled(10000) + CAP_THREADS - 1) / CAP_THREADS;
  weft_thread *t[CAP_THREADS];
  for (int i = 0; i < CAP_THREADS; i++)
    t[i] = test_spawn(capped_worker, &c);
  while (atomic_load(&c.ready) < CAP_THREADS)
    weft_yield();
  test_flag_set(&c.go);
  for (int i = 0; i < CAP_THREADS; i++) {
    CHECK_STATUS(weft_thread_join(t[i], 300.0), WEFT_OK);
    weft_thread_unref(t[i]);
  }
  CHECK_EQ(atomic_load(&c.entries), CAP_THREADS * c.per_thread);
  CHECK(atomic_load(&c.max_inside) >= 1);
  if (atomic_load(&c.max_inside) > CAP_COUNT)
    test_fail_(__FILE__, __LINE__, "%d threads inside at once, the semaphore allows %d",
               atomic_load(&c.max_inside), CAP_COUNT);
  CHECK_EQ(atomic_load(&c.inside), 0);
  CHECK_EQ(weft_sem_value(&c.sem), CAP_COUNT);
  printf("max inside %d of %d, %d timed-out acquires\n", atomic_load(&c.max_inside), CAP_COUNT,
         atomic_load(&c.timeouts));
}
