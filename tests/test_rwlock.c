/* weft_rwlock: every call and bad input, the policy (a stream of readers
 * cannot starve a writer, a stream of writers cannot starve a reader, a
 * writer's release lets in the readers that queued before the next writer),
 * racing misuse, and round-counting hand-off protocols (rounds.h). */
#include "rounds.h"

#include <math.h>

/* The state word's bits (src/rwlock.c), read only to learn that a waiter
 * has announced itself before the test goes on. */
#define RW_WWAIT ((uintptr_t)2)
#define RW_RWAIT ((uintptr_t)4)

static uintptr_t rw_bits(weft_rwlock *rw) {
  return atomic_load((_Atomic uintptr_t *)&rw->state_);
}

/* Wait until the bit is set (the waiter is parked or about to park), then
 * give it time to finish parking. */
static void await_bit(weft_rwlock *rw, uintptr_t bit) {
  double t0 = weft_monotonic();
  while (!(rw_bits(rw) & bit)) {
    if (weft_monotonic() - t0 > 30.0) test_fail_(__FILE__, __LINE__, "no waiter after 30 s");
    weft_sleep(0.001);
  }
  weft_sleep(0.1);
}

void test_rwlock_zero_init(void) {
  weft_rwlock a = WEFT_RWLOCK_INIT, b;
  memset(&b, 0, sizeof b);
  weft_rwlock *both[] = {&a, &b};
  for (int i = 0; i < 2; i++) {
    CHECK_STATUS(weft_rwlock_acquire_exclusive(both[i], 0), WEFT_OK);
    CHECK_STATUS(weft_rwlock_release_exclusive(both[i]), WEFT_OK);
    CHECK_STATUS(weft_rwlock_acquire_shared(both[i], 0), WEFT_OK);
    CHECK_STATUS(weft_rwlock_release_shared(both[i]), WEFT_OK);
  }
  CHECK(sizeof(weft_rwlock) == 2 * sizeof(uintptr_t));
}

void test_rwlock_null(void) {
  CHECK_STATUS(weft_rwlock_acquire_shared(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(NULL, 1.0), WEFT_EINVAL);
  CHECK_STATUS(weft_rwlock_release_shared(NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_rwlock_release_exclusive(NULL), WEFT_EINVAL);
}

void test_rwlock_timeout_invalid(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  const double bad[] = {NAN, -0.5, -2.0, -INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_STATUS(weft_rwlock_acquire_shared(&rw, bad[i]), WEFT_EINVAL);
    CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, bad[i]), WEFT_EINVAL);
  }
  /* nothing was taken */
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_ESTATE);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_ESTATE);
  /* forever and above the maximum are valid */
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, INFINITY), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 2e9), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
}

void test_rwlock_release_unheld(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_ESTATE);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_ESTATE);
  /* read-held: an exclusive release is refused and changes nothing */
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_ESTATE);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_ESTATE);
  /* write-held: a shared release is refused and changes nothing */
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_ESTATE);
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_ESTATE);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
}

/* -- sharing and excluding, across threads -- */

typedef struct shared_ctx {
  weft_rwlock *rw;
  test_flag held, go;
  int status;
} shared_ctx;

static void hold_shared(void *arg) {
  shared_ctx *c = arg;
  c->status = weft_rwlock_acquire_shared(c->rw, 0);
  test_flag_set(&c->held);
  test_flag_wait(&c->go);
  if (c->status == WEFT_OK) c->status = weft_rwlock_release_shared(c->rw);
}

void test_rwlock_shared_many(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_OK); /* the same thread again */
  shared_ctx c[3];
  weft_thread *t[3];
  for (int i = 0; i < 3; i++) {
    memset(&c[i], 0, sizeof c[i]);
    c[i].rw = &rw;
    t[i] = test_spawn(hold_shared, &c[i]);
  }
  for (int i = 0; i < 3; i++)
    test_flag_wait(&c[i].held);
  for (int i = 0; i < 3; i++)
    CHECK_STATUS(c[i].status, WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_TIMEOUT);
  for (int i = 0; i < 3; i++)
    test_flag_set(&c[i].go);
  for (int i = 0; i < 3; i++) {
    test_join(t[i]);
    CHECK_STATUS(c[i].status, WEFT_OK);
  }
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
}

typedef struct try_ctx {
  weft_rwlock *rw;
  int shared, exclusive;
} try_ctx;

static void try_both(void *arg) {
  try_ctx *c = arg;
  c->shared = weft_rwlock_acquire_shared(c->rw, 0);
  c->exclusive = weft_rwlock_acquire_exclusive(c->rw, 0);
}

void test_rwlock_exclusive_excludes(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_TIMEOUT); /* not recursive */
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_TIMEOUT);
  try_ctx c = {&rw, -1, -1};
  test_join(test_spawn(try_both, &c));
  CHECK_STATUS(c.shared, WEFT_TIMEOUT);
  CHECK_STATUS(c.exclusive, WEFT_TIMEOUT);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
}

void test_rwlock_timeout_short(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0.05), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
  t0 = weft_monotonic();
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0.05), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_OK);
  t0 = weft_monotonic();
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0.05), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
  /* the writer that gave up does not keep readers out */
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
}

/* A thread that acquires one way, records when, and releases. */
typedef struct waiter_ctx {
  weft_rwlock *rw;
  bool exclusive;
  double timeout;
  atomic_int *order; /* a shared sequence: who got in when */
  int got;           /* its place in the sequence */
  int status;
  double waited;
  test_flag started;
  test_flag *hold; /* if set: keep the lock until this flag is set */
} waiter_ctx;

static void acquire_and_release(void *arg) {
  waiter_ctx *c = arg;
  test_flag_set(&c->started);
  double t0 = weft_monotonic();
  c->status = c->exclusive ? weft_rwlock_acquire_exclusive(c->rw, c->timeout)
                           : weft_rwlock_acquire_shared(c->rw, c->timeout);
  c->waited = weft_monotonic() - t0;
  if (c->status != WEFT_OK) return;
  if (c->order) c->got = atomic_fetch_add(c->order, 1);
  if (c->hold) test_flag_wait(c->hold);
  c->status =
      c->exclusive ? weft_rwlock_release_exclusive(c->rw) : weft_rwlock_release_shared(c->rw);
}

static waiter_ctx waiter_of(weft_rwlock *rw, bool exclusive, double timeout, atomic_int *order) {
  waiter_ctx c;
  memset(&c, 0, sizeof c);
  c.rw = rw;
  c.exclusive = exclusive;
  c.timeout = timeout;
  c.order = order;
  c.got = -1;
  return c;
}

void test_rwlock_timeout_forever(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  waiter_ctx r = waiter_of(&rw, false, WEFT_FOREVER, NULL);
  waiter_ctx w = waiter_of(&rw, true, 1e12, NULL);
  weft_thread *tr = test_spawn(acquire_and_release, &r);
  weft_thread *tw = test_spawn(acquire_and_release, &w);
  test_flag_wait(&r.started);
  test_flag_wait(&w.started);
  weft_sleep(0.05);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
  test_join(tr);
  test_join(tw);
  CHECK_STATUS(r.status, WEFT_OK);
  CHECK_STATUS(w.status, WEFT_OK);
  CHECK(r.waited >= 0.05 - TEST_CLOCK_EPS);
}

static void release_exclusive_checked(void *rw) {
  CHECK_STATUS(weft_rwlock_release_exclusive(rw), WEFT_OK);
}

static void release_shared_checked(void *rw) {
  CHECK_STATUS(weft_rwlock_release_shared(rw), WEFT_OK);
}

/* Any thread may release a hold. */
void test_rwlock_release_other_thread(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  waiter_ctx r = waiter_of(&rw, false, 10.0, NULL);
  weft_thread *t = test_spawn(acquire_and_release, &r);
  await_bit(&rw, RW_RWAIT);
  test_join(test_spawn(release_exclusive_checked, &rw));
  test_join(t);
  CHECK_STATUS(r.status, WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_OK);
  test_join(test_spawn(release_shared_checked, &rw));
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
}

/* -- the policy -- */

/* A waiting writer keeps new readers out (no reader can starve it), and
 * gets the lock as soon as the readers holding it are gone. */
void test_rwlock_writer_blocks_readers(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  atomic_int order = 0;
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_OK);
  waiter_ctx w = waiter_of(&rw, true, 10.0, &order);
  weft_thread *tw = test_spawn(acquire_and_release, &w);
  await_bit(&rw, RW_WWAIT);
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_TIMEOUT);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0.05), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
  waiter_ctx r = waiter_of(&rw, false, 10.0, &order);
  weft_thread *tr = test_spawn(acquire_and_release, &r);
  await_bit(&rw, RW_RWAIT);
  CHECK_EQ(atomic_load(&order), 0);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  test_join(tw);
  test_join(tr);
  CHECK_STATUS(w.status, WEFT_OK);
  CHECK_STATUS(r.status, WEFT_OK);
  CHECK_EQ(w.got, 0); /* the writer first, then the reader that came after it */
  CHECK_EQ(r.got, 1);
}

/* A writer's release lets in the readers that queued while it held the
 * lock, before a writer that queued after them. */
void test_rwlock_writer_release_admits_readers(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  atomic_int order = 0;
  test_flag hold = {0};
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  waiter_ctx r1 = waiter_of(&rw, false, 10.0, &order);
  waiter_ctx r2 = waiter_of(&rw, false, 10.0, &order);
  r1.hold = r2.hold = &hold; /* both inside at once: a read phase */
  weft_thread *t1 = test_spawn(acquire_and_release, &r1);
  weft_thread *t2 = test_spawn(acquire_and_release, &r2);
  test_flag_wait(&r1.started);
  test_flag_wait(&r2.started);
  await_bit(&rw, RW_RWAIT);
  weft_sleep(0.1);
  waiter_ctx w = waiter_of(&rw, true, 10.0, &order);
  weft_thread *tw = test_spawn(acquire_and_release, &w);
  await_bit(&rw, RW_WWAIT);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
  test_await_count(&order, 2); /* both readers are in, together */
  weft_sleep(0.02);
  CHECK_EQ(atomic_load(&order), 2); /* the writer waits for them */
  test_flag_set(&hold);
  test_join(t1);
  test_join(t2);
  test_join(tw);
  CHECK_STATUS(r1.status, WEFT_OK);
  CHECK_STATUS(r2.status, WEFT_OK);
  CHECK_STATUS(w.status, WEFT_OK);
  CHECK(r1.got < 2 && r2.got < 2);
  CHECK_EQ(w.got, 2);
}

/* A writer that gives up lets in the readers it kept out. */
void test_rwlock_writer_timeout_admits_readers(void) {
  weft_rwlock rw = WEFT_RWLOCK_INIT;
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, 0), WEFT_OK);
  waiter_ctx w = waiter_of(&rw, true, 0.3, NULL);
  weft_thread *tw = test_spawn(acquire_and_release, &w);
  await_bit(&rw, RW_WWAIT);
  waiter_ctx r = waiter_of(&rw, false, 10.0, NULL);
  weft_thread *tr = test_spawn(acquire_and_release, &r);
  test_join(tw);
  CHECK_STATUS(w.status, WEFT_TIMEOUT);
  CHECK(w.waited >= 0.3 - TEST_CLOCK_EPS);
  test_join(tr); /* while this thread still holds its read lock */
  CHECK_STATUS(r.status, WEFT_OK);
  CHECK(r.waited < TEST_SLOW);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
}

/* Streams: `holders` threads keep the lock held one way, overlapping, so
 * that it is never free for long; another thread of the other kind must
 * still get in, every time, within STREAM_BOUND. */
#define STREAM_BOUND 2.0

typedef struct stream {
  weft_rwlock rw;
  bool exclusive; /* the streaming threads' kind */
  atomic_int stop;
  atomic_long ops;
  atomic_int inside_writers, inside_readers;
  int bad;
} stream;

static void stream_body(void *arg) {
  stream *s = arg;
  while (!atomic_load(&s->stop)) {
    int st = s->exclusive ? weft_rwlock_acquire_exclusive(&s->rw, ROUNDS_WAIT_BOUND)
                          : weft_rwlock_acquire_shared(&s->rw, ROUNDS_WAIT_BOUND);
    if (st != WEFT_OK) {
      s->bad = st;
      return;
    }
    atomic_fetch_add(s->exclusive ? &s->inside_writers : &s->inside_readers, 1);
    weft_sleep(0.0005);
    atomic_fetch_sub(s->exclusive ? &s->inside_writers : &s->inside_readers, 1);
    atomic_fetch_add(&s->ops, 1);
    st = s->exclusive ? weft_rwlock_release_exclusive(&s->rw) : weft_rwlock_release_shared(&s->rw);
    if (st != WEFT_OK) s->bad = st;
  }
}

static void run_stream(bool exclusive, int holders) {
  static stream s;
  memset(&s, 0, sizeof s);
  s.exclusive = exclusive;
  weft_thread *t[4];
  for (int i = 0; i < holders; i++)
    t[i] = test_spawn(stream_body, &s);
  long tries = test_scaled(20);
  double worst = 0;
  for (long i = 0; i < tries; i++) {
    weft_sleep(0.01);
    long before = atomic_load(&s.ops);
    double t0 = weft_monotonic();
    int st = exclusive ? weft_rwlock_acquire_shared(&s.rw, 30.0)
                       : weft_rwlock_acquire_exclusive(&s.rw, 30.0);
    double took = weft_monotonic() - t0;
    CHECK_STATUS(st, WEFT_OK);
    if (took > worst) worst = took;
    if (exclusive) {
      CHECK_EQ(atomic_load(&s.inside_writers), 0);
      CHECK_STATUS(weft_rwlock_release_shared(&s.rw), WEFT_OK);
    } else {
      CHECK_EQ(atomic_load(&s.inside_readers), 0);
      CHECK_STATUS(weft_rwlock_release_exclusive(&s.rw), WEFT_OK);
    }
    (void)before;
  }
  atomic_store(&s.stop, 1);
  for (int i = 0; i < holders; i++)
    test_join(t[i]);
  CHECK_STATUS(s.bad, WEFT_OK);
  printf("%ld %s operations meanwhile; the %s waited at most %.4f s\n", atomic_load(&s.ops),
         exclusive ? "write" : "read", exclusive ? "reader" : "writer", worst);
  if (worst > STREAM_BOUND)
    test_fail_(__FILE__, __LINE__, "starved: waited %.3f s (bound %.1f s)", worst, STREAM_BOUND);
}

void test_rwlock_reader_stream(void) {
  run_stream(false, 3);
}

void test_rwlock_writer_stream(void) {
  run_stream(true, 2);
}

/* -- racing misuse: two releases of one hold, exactly one succeeds -- */

typedef struct race {
  weft_rwlock rw;
  atomic_int go, done, quit;
  bool exclusive;
  int status[2];
} race;

typedef struct race_slot {
  race *r;
  int me;
} race_slot;

static void racer(void *arg) {
  race_slot *s = arg;
  race *r = s->r;
  for (int seen = 0;;) {
    while (atomic_load(&r->go) == seen && !atomic_load(&r->quit))
      weft_yield(); /* two spinners and the main thread share two CPUs */
    if (atomic_load(&r->quit)) return;
    seen = atomic_load(&r->go);
    r->status[s->me] =
        r->exclusive ? weft_rwlock_release_exclusive(&r->rw) : weft_rwlock_release_shared(&r->rw);
    atomic_fetch_add(&r->done, 1);
  }
}

void test_rwlock_release_race(void) {
  static race r;
  memset(&r, 0, sizeof r);
  race_slot slots[2] = {{&r, 0}, {&r, 1}};
  weft_thread *t[2] = {test_spawn(racer, &slots[0]), test_spawn(racer, &slots[1])};
  long n = test_scaled(2000);
  for (long i = 1; i <= n; i++) {
    r.exclusive = i % 2;
    CHECK_STATUS(r.exclusive ? weft_rwlock_acquire_exclusive(&r.rw, 0)
                             : weft_rwlock_acquire_shared(&r.rw, 0),
                 WEFT_OK);
    atomic_store(&r.go, (int)i);
    test_await_count(&r.done, (int)(2 * i));
    int ok = (r.status[0] == WEFT_OK) + (r.status[1] == WEFT_OK);
    int estate = (r.status[0] == WEFT_ESTATE) + (r.status[1] == WEFT_ESTATE);
    if (ok != 1 || estate != 1)
      test_fail_(__FILE__, __LINE__, "iteration %ld: releases returned %d and %d", i, r.status[0],
                 r.status[1]);
  }
  atomic_store(&r.quit, 1);
  test_join(t[0]);
  test_join(t[1]);
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&r.rw, 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&r.rw), WEFT_OK);
}

/* ---- protocols: batons and exclusion, every round counted --------------- */

/* Baton: lock L[i] is held ("armed") for thread i, shared or exclusive;
 * thread i receives round k by acquiring L[i] the other way or exclusively
 * (waiting for the arm to be released), lets it go, arms it again itself
 * (this must never wait), and passes the round on by releasing L[i+1]'s
 * arm: any thread may release a hold. Thread 0 starts each round. A
 * receive that returns before its arm was released, or one that is never
 * woken, fails the counts. */
enum { SHARED, EXCLUSIVE };

typedef struct proto {
  weft_rwlock lock[ROUNDS_THREADS];
  int arm[ROUNDS_THREADS], recv[ROUNDS_THREADS];
  /* exclusion */
  atomic_int writers_in, readers_in;
  long a, b; /* changed by writers only, read by readers: always equal */
  atomic_long writes;
} proto;

static proto the_proto;

static const int kinds_of_mode[][2][ROUNDS_THREADS] = {
    /* arm, receive */
    {{EXCLUSIVE, EXCLUSIVE}, {SHARED, SHARED}},       /* writer to reader */
    {{EXCLUSIVE, EXCLUSIVE}, {EXCLUSIVE, EXCLUSIVE}}, /* writer to writer */
    {{SHARED, SHARED}, {EXCLUSIVE, EXCLUSIVE}},       /* reader to writer */
    {{EXCLUSIVE, SHARED, EXCLUSIVE, EXCLUSIVE}, {SHARED, EXCLUSIVE, EXCLUSIVE, SHARED}},
};

static int acquire_kind(weft_rwlock *rw, int kind, double timeout) {
  return kind == EXCLUSIVE ? weft_rwlock_acquire_exclusive(rw, timeout)
                           : weft_rwlock_acquire_shared(rw, timeout);
}

static int release_kind(weft_rwlock *rw, int kind) {
  return kind == EXCLUSIVE ? weft_rwlock_release_exclusive(rw) : weft_rwlock_release_shared(rw);
}

static void baton_setup(rounds_run *r) {
  proto *p = r->state;
  memset(p, 0, sizeof *p);
  for (int j = 0; j < r->n; j++) {
    p->arm[j] = kinds_of_mode[r->v->mode][0][j];
    p->recv[j] = kinds_of_mode[r->v->mode][1][j];
    CHECK_STATUS(acquire_kind(&p->lock[j], p->arm[j], 0), WEFT_OK);
  }
}

static void baton_receive(rounds_run *r, int self, long k) {
  proto *p = r->state;
  weft_rwlock *l = &p->lock[self];
  rounds_ok(r, self, k, acquire_kind(l, p->recv[self], ROUNDS_WAIT_BOUND), "acquire");
  /* it holds now what it received: the other kind (or another writer) is out */
  if (acquire_kind(l, EXCLUSIVE, 0) != WEFT_TIMEOUT)
    ROUNDS_FAIL(r, self, k, "an exclusive try succeeded while it held the lock");
  if (p->recv[self] == EXCLUSIVE && acquire_kind(l, SHARED, 0) != WEFT_TIMEOUT)
    ROUNDS_FAIL(r, self, k, "a shared try succeeded while it held the lock exclusively");
  rounds_ok(r, self, k, release_kind(l, p->recv[self]), "release");
  if (acquire_kind(l, p->arm[self], 0) != WEFT_OK)
    ROUNDS_FAIL(r, self, k, "could not arm its own lock again at once");
}

static void baton_pass(rounds_run *r, int self, long k) {
  proto *p = r->state;
  int to = (self + 1) % r->n;
  int st = release_kind(&p->lock[to], p->arm[to]);
  if (st == WEFT_ESTATE) ROUNDS_FAIL(r, self, k, "lock %d was not armed: handed on twice", to);
  rounds_ok(r, self, k, st, "release (pass)");
}

static void baton_body(rounds_run *r, int self) {
  for (long k = 1;; k++) {
    if (self == 0) {
      bool last = rounds_leader_decides(r, k);
      atomic_store(&r->round[0], k);
      baton_pass(r, 0, k);
      baton_receive(r, 0, k);
      for (int j = 0; j < r->n; j++)
        rounds_expect(r, 0, k, j, k, "the hand-off back to thread 0");
      if (last) return;
    } else {
      baton_receive(r, self, k);
      for (int j = 0; j < r->n; j++)
        rounds_expect(r, self, k, j, j < self ? k : k - 1, "the hand-off");
      bool last = rounds_is_last(r, k);
      atomic_store(&r->round[self], k);
      baton_pass(r, self, k);
      if (last) return;
    }
  }
}

static void baton_finish(rounds_run *r) {
  proto *p = r->state;
  for (int j = 0; j < r->n; j++) {
    CHECK_STATUS(release_kind(&p->lock[j], p->arm[j]), WEFT_OK);
    CHECK_STATUS(weft_rwlock_acquire_exclusive(&p->lock[j], 0), WEFT_OK);
    CHECK_STATUS(weft_rwlock_release_exclusive(&p->lock[j]), WEFT_OK);
  }
}

/* Exclusion: the first `mode` threads write, the rest read, all on
 * lock[0], as fast as they can; every acquisition is checked against who
 * else is inside, and the writes are counted. */
static void exclusion_body(rounds_run *r, int self) {
  proto *p = r->state;
  weft_rwlock *l = &p->lock[0];
  bool writer = self < r->v->mode;
  for (long k = 1;; k++) {
    bool last = self == 0 ? rounds_leader_decides(r, k) : atomic_load(&r->stop) != 0;
    rounds_ok(r, self, k, acquire_kind(l, writer ? EXCLUSIVE : SHARED, ROUNDS_WAIT_BOUND),
              "acquire");
    if (writer) {
      int w = atomic_fetch_add(&p->writers_in, 1), rd = atomic_load(&p->readers_in);
      if (w != 0 || rd != 0)
        ROUNDS_FAIL(r, self, k, "writer inside with %d writers, %d readers", w, rd);
      p->a++;
      weft_yield();
      p->b++;
      atomic_fetch_add(&p->writes, 1);
      atomic_fetch_sub(&p->writers_in, 1);
    } else {
      atomic_fetch_add(&p->readers_in, 1);
      int w = atomic_load(&p->writers_in);
      long a = p->a, b = p->b;
      if (w != 0 || a != b) ROUNDS_FAIL(r, self, k, "reader inside with a writer (%ld, %ld)", a, b);
      atomic_fetch_sub(&p->readers_in, 1);
    }
    rounds_ok(r, self, k, release_kind(l, writer ? EXCLUSIVE : SHARED), "release");
    if (last) {
      /* the others stop where thread 0 did, for the harness's final count */
      long stop;
      while ((stop = atomic_load(&r->stop)) == 0)
        weft_yield();
      atomic_store(&r->round[self], stop);
      return;
    }
  }
}

static void exclusion_setup(rounds_run *r) {
  memset(r->state, 0, sizeof(proto));
}

static void exclusion_finish(rounds_run *r) {
  proto *p = r->state;
  CHECK_EQ(p->a, atomic_load(&p->writes));
  CHECK_EQ(p->b, atomic_load(&p->writes));
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&p->lock[0], 0), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&p->lock[0]), WEFT_OK);
}

static const rounds_variant rwlock_variants[] = {
    {"baton writer to reader, pair", 2, baton_setup, baton_body, baton_finish, 0},
    {"baton writer to writer, pair", 2, baton_setup, baton_body, baton_finish, 1},
    {"baton reader to writer, pair", 2, baton_setup, baton_body, baton_finish, 2},
    {"baton mixed ring of 4", 4, baton_setup, baton_body, baton_finish, 3},
    {"exclusion 1 writer + 2 readers", 3, exclusion_setup, exclusion_body, exclusion_finish, 1},
    {"exclusion 2 writers + 2 readers", 4, exclusion_setup, exclusion_body, exclusion_finish, 2},
};

#define RWLOCK_PROTOCOL(kind, kname, where, wname)                                                 \
  void test_rwlock_protocol_##kname##_##wname(void) {                                              \
    rounds_run_family("rwlock", rwlock_variants,                                                   \
                      sizeof rwlock_variants / sizeof rwlock_variants[0], kind, where,             \
                      &the_proto);                                                                 \
  }

RWLOCK_PROTOCOL(ROUNDS_WEFT, weft, ROUNDS_SAME_CPU, same_cpu)
RWLOCK_PROTOCOL(ROUNDS_WEFT, weft, ROUNDS_OTHER_CPUS, other_cpus)
RWLOCK_PROTOCOL(ROUNDS_WEFT, weft, ROUNDS_UNPINNED, unpinned)
RWLOCK_PROTOCOL(ROUNDS_FOREIGN, foreign, ROUNDS_SAME_CPU, same_cpu)
RWLOCK_PROTOCOL(ROUNDS_FOREIGN, foreign, ROUNDS_OTHER_CPUS, other_cpus)
RWLOCK_PROTOCOL(ROUNDS_FOREIGN, foreign, ROUNDS_UNPINNED, unpinned)
