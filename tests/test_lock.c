/* weft_lock, and the timeout conventions (checked on lock acquire). */
#include "test.h"

#include <math.h>

/* A thread that takes a lock, says so, and holds it until told. */
typedef struct holder {
  weft_lock *lock;
  test_flag held, release;
} holder;

static void hold_lock(void *arg) {
  holder *h = arg;
  CHECK_STATUS(weft_lock_acquire(h->lock, WEFT_FOREVER), WEFT_OK);
  test_flag_set(&h->held);
  test_flag_wait(&h->release);
  CHECK_STATUS(weft_lock_release(h->lock), WEFT_OK);
}

/* ---- timeouts ------------------------------------------------------------ */

void test_lock_timeout_invalid(void) {
  weft_lock l = WEFT_LOCK_INIT;
  const double bad[] = {NAN, -0.5, -1e-9, -2.0, -INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    /* Rejected even when the lock is free, and the lock stays free. */
    CHECK_STATUS(weft_lock_acquire(&l, bad[i]), WEFT_EINVAL);
    CHECK(!weft_lock_locked(&l));
  }
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
  double t0 = weft_monotonic();
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_STATUS(weft_lock_acquire(&l, bad[i]), WEFT_EINVAL);
  CHECK_ELAPSED(t0, 0, 1.0);
  CHECK(weft_lock_locked(&l));
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
}

void test_lock_timeout_zero(void) {
  weft_lock l = WEFT_LOCK_INIT;
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
  double t0 = weft_monotonic();
  for (int i = 0; i < 100; i++) {
    CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_TIMEOUT);
    CHECK_STATUS(weft_lock_acquire(&l, -0.0), WEFT_TIMEOUT);
  }
  CHECK_ELAPSED(t0, 0, 1.0);
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
}

void test_lock_timeout_short(void) {
  weft_lock l = WEFT_LOCK_INIT;
  CHECK_STATUS(weft_lock_acquire(&l, WEFT_FOREVER), WEFT_OK);
  const double waits[] = {0.1, 0.01, 0.001, 1e-7};
  for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_lock_acquire(&l, waits[i]), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
  }
  CHECK(weft_lock_locked(&l));
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
}

typedef struct delayed {
  weft_lock *lock;
  double delay;
} delayed;

static void release_later(void *arg) {
  delayed *d = arg;
  weft_sleep(d->delay);
  CHECK_STATUS(weft_lock_release(d->lock), WEFT_OK);
}

void test_lock_timeout_forever(void) {
  /* All of these mean "forever": none may time out (1e10 s is 1e19 ns,
   * past INT64_MAX: a naive conversion overflows into the past). */
  const double forever[] = {WEFT_FOREVER, INFINITY, 1e10, WEFT_TIMEOUT_MAX * 2, 9.3e9, 1e300};
  weft_lock l = WEFT_LOCK_INIT;
  for (size_t i = 0; i < sizeof forever / sizeof forever[0]; i++) {
    CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
    delayed d = {&l, 0.05};
    double t0 = weft_monotonic();
    weft_thread *t = test_spawn(release_later, &d);
    CHECK_STATUS(weft_lock_acquire(&l, forever[i]), WEFT_OK);
    CHECK_ELAPSED(t0, 0.05, 30.0);
    test_join(t);
    CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
  }
  /* A long finite timeout on a lock that is released also just works. */
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
  delayed d = {&l, 0.05};
  weft_thread *t = test_spawn(release_later, &d);
  CHECK_STATUS(weft_lock_acquire(&l, WEFT_TIMEOUT_MAX), WEFT_OK);
  test_join(t);
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
}

/* ---- lock ----------------------------------------------------------------- */

static weft_lock static_lock; /* zero-initialised, never touched by an init */

void test_lock_zero_init(void) {
  weft_lock stack_lock, init_lock = WEFT_LOCK_INIT;
  memset(&stack_lock, 0, sizeof stack_lock);
  weft_lock *locks[] = {&static_lock, &stack_lock, &init_lock};
  for (int i = 0; i < 3; i++) {
    weft_lock *l = locks[i];
    CHECK(!weft_lock_locked(l));
    CHECK_STATUS(weft_lock_acquire(l, WEFT_FOREVER), WEFT_OK);
    CHECK(weft_lock_locked(l));
    CHECK_STATUS(weft_lock_release(l), WEFT_OK);
    CHECK(!weft_lock_locked(l));
    /* Uncontended and unlocked again: all zero, as it started. */
    weft_lock zero;
    memset(&zero, 0, sizeof zero);
    CHECK(memcmp(l, &zero, sizeof zero) == 0);
  }
  CHECK_EQ(sizeof(weft_lock), sizeof(void *));
}

void test_lock_acquire_release(void) {
  weft_lock l = WEFT_LOCK_INIT;
  for (int i = 0; i < 1000; i++) {
    CHECK_STATUS(weft_lock_acquire(&l, i % 2 ? 0 : WEFT_FOREVER), WEFT_OK);
    CHECK(weft_lock_locked(&l));
    /* Not recursive: the holder itself cannot take it again. */
    CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_TIMEOUT);
    CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
    CHECK(!weft_lock_locked(&l));
  }
}

void test_lock_release_unlocked(void) {
  weft_lock l = WEFT_LOCK_INIT;
  CHECK_STATUS(weft_lock_release(&l), WEFT_ESTATE);
  CHECK(!weft_lock_locked(&l));
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&l), WEFT_ESTATE);
  CHECK(!weft_lock_locked(&l));
  /* Still a working lock after the misuse. */
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
}

static void release_it(void *arg) {
  CHECK_STATUS(weft_lock_release(arg), WEFT_OK);
}

void test_lock_release_other_thread(void) {
  weft_lock l = WEFT_LOCK_INIT;
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
  test_join(test_spawn(release_it, &l));
  CHECK(!weft_lock_locked(&l));
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
  /* And the other way round: taken by a thread, released here. */
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
  holder h = {&l, {0}, {0}};
  weft_thread *t = weft_thread_new(hold_lock, &h);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  test_flag_wait(&h.held);
  CHECK(weft_lock_locked(&l));
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK); /* steal the release... */
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK); /* ...so its own succeeds */
  test_flag_set(&h.release);
  test_join(t);
  CHECK(!weft_lock_locked(&l));
}

void test_lock_null(void) {
  CHECK_STATUS(weft_lock_acquire(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_lock_acquire(NULL, WEFT_FOREVER), WEFT_EINVAL);
  CHECK_STATUS(weft_lock_release(NULL), WEFT_EINVAL);
  CHECK(!weft_lock_locked(NULL));
}

void test_lock_held_by_other(void) {
  weft_lock l = WEFT_LOCK_INIT;
  holder h = {&l, {0}, {0}};
  weft_thread *t = test_spawn(hold_lock, &h);
  test_flag_wait(&h.held);
  CHECK(weft_lock_locked(&l));
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_TIMEOUT);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_lock_acquire(&l, 0.1), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  CHECK(weft_lock_locked(&l));
  test_flag_set(&h.release);
  CHECK_STATUS(weft_lock_acquire(&l, 30.0), WEFT_OK);
  test_join(t);
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
}

/* Several threads queue on a held lock; one release each lets them all
 * through, one at a time (no lost wake-up, no two inside together). */
enum { CONTENDERS = 6 };

typedef struct contended {
  weft_lock lock;
  atomic_int waiting, inside, done;
} contended;

static void contend(void *arg) {
  contended *c = arg;
  atomic_fetch_add(&c->waiting, 1);
  CHECK_STATUS(weft_lock_acquire(&c->lock, WEFT_FOREVER), WEFT_OK);
  CHECK_EQ(atomic_fetch_add(&c->inside, 1), 0);
  weft_sleep(0.002);
  atomic_fetch_sub(&c->inside, 1);
  atomic_fetch_add(&c->done, 1);
  CHECK_STATUS(weft_lock_release(&c->lock), WEFT_OK);
}

void test_lock_contended(void) {
  contended c;
  memset(&c, 0, sizeof c);
  CHECK_STATUS(weft_lock_acquire(&c.lock, 0), WEFT_OK);
  weft_thread *t[CONTENDERS];
  for (int i = 0; i < CONTENDERS; i++)
    t[i] = test_spawn(contend, &c);
  while (atomic_load(&c.waiting) < CONTENDERS)
    weft_yield();
  weft_sleep(0.05); /* let them park */
  CHECK_EQ(atomic_load(&c.done), 0);
  CHECK_STATUS(weft_lock_release(&c.lock), WEFT_OK);
  for (int i = 0; i < CONTENDERS; i++)
    test_join(t[i]);
  CHECK_EQ(atomic_load(&c.done), CONTENDERS);
  CHECK(!weft_lock_locked(&c.lock));
}

/* Two threads release one held lock at the same moment while a third is
 * parked on it (in odd rounds it releases again at once once it has it).
 * Any thread may release a weft_lock, so a release succeeds only if the
 * lock was acquired again before it; every status is counted, and once the
 * round settles the books must match the lock: acquisitions - releases ==
 * (locked ? 1 : 0). Two successes for one hold leave the lock free while
 * its last taker believes it holds it (or free it under a new holder). */
typedef struct release_race {
  weft_lock l;
  atomic_int round, go, ready, done; /* ready/done: arrivals in this round */
  atomic_long acquired, released, refused;
  long rounds;
} release_race;

static void count_release(release_race *r) {
  int status = weft_lock_release(&r->l);
  CHECK(status == WEFT_OK || status == WEFT_ESTATE);
  atomic_fetch_add(status == WEFT_OK ? &r->released : &r->refused, 1);
}

static void race_release(void *arg) {
  release_race *r = arg;
  for (int round = 1; round <= r->rounds; round++) {
    while (atomic_load(&r->go) < round)
      weft_yield();
    atomic_fetch_add(&r->ready, 1);
    while (atomic_load(&r->ready) < 2) {
    }
    count_release(r);
    atomic_fetch_add(&r->done, 1);
  }
}

static void race_acquire(void *arg) {
  release_race *r = arg;
  for (int round = 1; round <= r->rounds; round++) {
    while (atomic_load(&r->round) < round)
      weft_yield();
    CHECK_STATUS(weft_lock_acquire(&r->l, 10.0), WEFT_OK);
    atomic_fetch_add(&r->acquired, 1);
    if (round % 2) count_release(r);
    atomic_fetch_add(&r->done, 1);
  }
}

void test_lock_release_race(void) {
  static release_race r;
  r.rounds = test_scaled(1000);
  weft_thread *t[3] = {test_spawn(race_release, &r), test_spawn(race_release, &r),
                       test_spawn(race_acquire, &r)};
  for (int round = 1; round <= r.rounds; round++) {
    CHECK_STATUS(weft_lock_acquire(&r.l, 0), WEFT_OK);
    atomic_fetch_add(&r.acquired, 1);
    atomic_store(&r.ready, 0);
    atomic_store(&r.done, 0);
    atomic_store(&r.round, round); /* the acquirer blocks on the lock */
    weft_sleep(0.0005);            /* and parks, after its yields */
    atomic_store(&r.go, round);    /* then the two releases race */
    test_await_count(&r.done, 3);
    long held = atomic_load(&r.acquired) - atomic_load(&r.released);
    if (held != (weft_lock_locked(&r.l) ? 1 : 0))
      test_fail_(__FILE__, __LINE__, "round %d: %ld acquired, %ld released, lock %s", round,
                 atomic_load(&r.acquired), atomic_load(&r.released),
                 weft_lock_locked(&r.l) ? "held" : "free");
    if (held == 1) {
      CHECK_STATUS(weft_lock_release(&r.l), WEFT_OK);
      atomic_fetch_add(&r.released, 1);
    }
    CHECK(!weft_lock_locked(&r.l));
  }
  for (int i = 0; i < 3; i++)
    test_join(t[i]);
  /* Each round: 2 acquisitions and as many releases in all. */
  CHECK_EQ(atomic_load(&r.acquired), 2 * r.rounds);
  CHECK_EQ(atomic_load(&r.released), 2 * r.rounds);
}
