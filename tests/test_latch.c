/* weft_latch: every call and bad input, waking every waiter at zero, and a
 * round-counting protocol (rounds.h) in which every round uses the latches
 * again. */
#include "rounds.h"

#include <math.h>

void test_latch_zero_init(void) {
  weft_latch a = WEFT_LATCH_INIT, b;
  memset(&b, 0, sizeof b);
  CHECK(weft_latch_try_wait(&a));
  CHECK(weft_latch_try_wait(&b));
  CHECK_STATUS(weft_latch_wait(&a, 0), WEFT_OK);
  CHECK_STATUS(weft_latch_wait(&b, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_latch_count_down(&a, 0), WEFT_OK);
  CHECK_STATUS(weft_latch_count_down(&a, 1), WEFT_EOVERFLOW);
  CHECK(sizeof(weft_latch) == sizeof(uintptr_t));
}

void test_latch_null(void) {
  CHECK_STATUS(weft_latch_init(NULL, 1), WEFT_EINVAL);
  CHECK_STATUS(weft_latch_count_down(NULL, 1), WEFT_EINVAL);
  CHECK_STATUS(weft_latch_wait(NULL, 0), WEFT_EINVAL);
  CHECK(!weft_latch_try_wait(NULL));
}

void test_latch_timeout_invalid(void) {
  weft_latch l;
  CHECK_STATUS(weft_latch_init(&l, 1), WEFT_OK);
  CHECK_STATUS(weft_latch_wait(&l, NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_latch_wait(&l, -0.5), WEFT_EINVAL);
  CHECK_STATUS(weft_latch_wait(&l, -INFINITY), WEFT_EINVAL);
  /* even on a released latch */
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_OK);
  CHECK_STATUS(weft_latch_wait(&l, NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_latch_wait(&l, INFINITY), WEFT_OK);
}

void test_latch_count_down(void) {
  weft_latch l;
  CHECK_STATUS(weft_latch_init(&l, 3), WEFT_OK);
  CHECK(!weft_latch_try_wait(&l));
  CHECK_STATUS(weft_latch_wait(&l, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_latch_count_down(&l, 4), WEFT_EOVERFLOW); /* unchanged: */
  CHECK_STATUS(weft_latch_count_down(&l, 2), WEFT_OK);
  CHECK(!weft_latch_try_wait(&l));
  CHECK_STATUS(weft_latch_count_down(&l, 2), WEFT_EOVERFLOW);
  CHECK_STATUS(weft_latch_count_down(&l, 0), WEFT_OK);
  CHECK(!weft_latch_try_wait(&l));
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_OK);
  CHECK(weft_latch_try_wait(&l));
  CHECK_STATUS(weft_latch_wait(&l, 0), WEFT_OK);
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_EOVERFLOW);
  /* init again: a new count */
  CHECK_STATUS(weft_latch_init(&l, 1), WEFT_OK);
  CHECK(!weft_latch_try_wait(&l));
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_OK);
  CHECK(weft_latch_try_wait(&l));
}

void test_latch_limits(void) {
  weft_latch l;
  CHECK_STATUS(weft_latch_init(&l, (size_t)WEFT_LATCH_MAX), WEFT_OK);
  CHECK_STATUS(weft_latch_count_down(&l, SIZE_MAX), WEFT_EOVERFLOW);
  CHECK_STATUS(weft_latch_count_down(&l, (size_t)WEFT_LATCH_MAX - 1), WEFT_OK);
  CHECK(!weft_latch_try_wait(&l));
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_OK);
  CHECK(weft_latch_try_wait(&l));
  if ((uintmax_t)SIZE_MAX > WEFT_LATCH_MAX) {
    CHECK_STATUS(weft_latch_init(&l, (size_t)WEFT_LATCH_MAX + 1), WEFT_EOVERFLOW);
    CHECK(weft_latch_try_wait(&l)); /* unchanged */
  }
}

void test_latch_timeout_short(void) {
  weft_latch l;
  CHECK_STATUS(weft_latch_init(&l, 1), WEFT_OK);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_latch_wait(&l, 0.05), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
  CHECK(!weft_latch_try_wait(&l));
}

typedef struct latch_waiter {
  weft_latch *l;
  double timeout;
  int status;
  double waited;
  atomic_int *started;
} latch_waiter;

static void wait_on_latch(void *arg) {
  latch_waiter *w = arg;
  atomic_fetch_add(w->started, 1);
  double t0 = weft_monotonic();
  w->status = weft_latch_wait(w->l, w->timeout);
  w->waited = weft_monotonic() - t0;
}

/* Reaching zero wakes every waiter, forever or timed; nothing earlier. */
void test_latch_wakes_all(void) {
  weft_latch l;
  CHECK_STATUS(weft_latch_init(&l, 3), WEFT_OK);
  atomic_int started = 0;
  latch_waiter w[4];
  weft_thread *t[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (latch_waiter){&l, i % 2 ? 30.0 : WEFT_FOREVER, -1, 0, &started};
    t[i] = test_spawn(wait_on_latch, &w[i]);
  }
  test_await_count(&started, 4);
  weft_sleep(0.05);
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_OK);
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_OK);
  weft_sleep(0.05);
  for (int i = 0; i < 4; i++)
    CHECK_EQ(w[i].status, -1); /* still waiting at one */
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_OK);
  for (int i = 0; i < 4; i++) {
    test_join(t[i]);
    CHECK_STATUS(w[i].status, WEFT_OK);
    CHECK(w[i].waited >= 0.1 - TEST_CLOCK_EPS);
  }
  CHECK_ELAPSED(t0, 0, TEST_SLOW);
}

/* A waiter whose wait timed out is gone: the count-down to zero wakes the
 * others and returns OK. */
void test_latch_timeout_then_zero(void) {
  weft_latch l;
  CHECK_STATUS(weft_latch_init(&l, 1), WEFT_OK);
  atomic_int started = 0;
  latch_waiter shortw = {&l, 0.05, -1, 0, &started}, longw = {&l, 30.0, -1, 0, &started};
  weft_thread *ts = test_spawn(wait_on_latch, &shortw);
  weft_thread *tl = test_spawn(wait_on_latch, &longw);
  test_join(ts);
  CHECK_STATUS(shortw.status, WEFT_TIMEOUT);
  CHECK(shortw.waited >= 0.05 - TEST_CLOCK_EPS);
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_OK);
  test_join(tl);
  CHECK_STATUS(longw.status, WEFT_OK);
}

/* Many threads count down at once; exactly the total brings it to zero. */
typedef struct downer {
  weft_latch *l;
  atomic_int *go;
  int bad;
} downer;

static void count_down_many(void *arg) {
  downer *d = arg;
  while (!atomic_load(d->go))
    weft_yield();
  for (int i = 0; i < 1000; i++)
    if (weft_latch_count_down(d->l, 1) != WEFT_OK) d->bad++;
}

void test_latch_concurrent(void) {
  weft_latch l;
  CHECK_STATUS(weft_latch_init(&l, 4000), WEFT_OK);
  atomic_int go = 0, started = 0;
  downer d[4];
  weft_thread *t[4];
  latch_waiter w = {&l, 30.0, -1, 0, &started};
  weft_thread *tw = test_spawn(wait_on_latch, &w);
  for (int i = 0; i < 4; i++) {
    d[i] = (downer){&l, &go, 0};
    t[i] = test_spawn(count_down_many, &d[i]);
  }
  atomic_store(&go, 1);
  for (int i = 0; i < 4; i++) {
    test_join(t[i]);
    CHECK_EQ(d[i].bad, 0);
  }
  test_join(tw);
  CHECK_STATUS(w.status, WEFT_OK);
  CHECK(weft_latch_try_wait(&l));
  CHECK_STATUS(weft_latch_count_down(&l, 1), WEFT_EOVERFLOW);
}

/* ---- protocol ------------------------------------------------------------ */

/* Round k uses go[k % 2] (count 1, the leader's) and done[k % 2] (count
 * n - 1, one each for the others). The others wait on go, check that the
 * leader is at round k, finish their round and count done down; the leader
 * waits on done and checks that every other thread finished round k. The
 * leader sets both latches of round k + 1 before it releases round k: by
 * then nobody waits on them any more (they were round k - 1's). */
typedef struct latches {
  weft_latch go[2], done[2];
} latches;

static latches the_latches;

static void latch_setup(rounds_run *r) {
  latches *s = r->state;
  memset(s, 0, sizeof *s);
  CHECK_STATUS(weft_latch_init(&s->go[1], 1), WEFT_OK);
  CHECK_STATUS(weft_latch_init(&s->done[1], (size_t)r->n - 1), WEFT_OK);
}

static void latch_body(rounds_run *r, int self) {
  latches *s = r->state;
  bool timed = r->v->mode;
  for (long k = 1;; k++) {
    int i = (int)(k % 2);
    if (self == 0) {
      bool last = rounds_leader_decides(r, k);
      atomic_store(&r->round[0], k);
      rounds_ok(r, 0, k, weft_latch_init(&s->go[1 - i], 1), "init");
      rounds_ok(r, 0, k, weft_latch_init(&s->done[1 - i], (size_t)r->n - 1), "init");
      rounds_ok(r, 0, k, weft_latch_count_down(&s->go[i], 1), "count_down");
      if (timed)
        rounds_ok(r, 0, k, weft_latch_wait(&s->done[i], ROUNDS_WAIT_BOUND), "wait");
      else
        rounds_ok(r, 0, k, weft_latch_wait(&s->done[i], WEFT_FOREVER), "wait");
      if (!weft_latch_try_wait(&s->done[i]))
        ROUNDS_FAIL(r, 0, k, "wait returned OK with the count above zero");
      for (int j = 0; j < r->n; j++)
        rounds_expect(r, 0, k, j, k, "the count reached zero");
      if (last) return;
    } else {
      rounds_ok(r, self, k, weft_latch_wait(&s->go[i], ROUNDS_WAIT_BOUND), "wait");
      rounds_expect(r, self, k, 0, k, "the leader's go");
      for (int j = 1; j < r->n; j++)
        if (atomic_load(&r->round[j]) < k - 1)
          ROUNDS_FAIL(r, self, k, "thread %d is behind, at round %ld", j,
                      atomic_load(&r->round[j]));
      bool last = rounds_is_last(r, k);
      atomic_store(&r->round[self], k);
      rounds_ok(r, self, k, weft_latch_count_down(&s->done[i], 1), "count_down");
      if (last) return;
    }
  }
}

static const rounds_variant latch_variants[] = {
    {"leader and one, forever", 2, latch_setup, latch_body, NULL, 0},
    {"leader and one, timed", 2, latch_setup, latch_body, NULL, 1},
    {"leader and three, forever", 4, latch_setup, latch_body, NULL, 0},
    {"leader and three, timed", 4, latch_setup, latch_body, NULL, 1},
};

#define LATCH_PROTOCOL(kind, kname, where, wname)                                                  \
  void test_latch_protocol_##kname##_##wname(void) {                                               \
    rounds_run_family("latch", latch_variants, sizeof latch_variants / sizeof latch_variants[0],   \
                      kind, where, &the_latches);                                                  \
  }

LATCH_PROTOCOL(ROUNDS_WEFT, weft, ROUNDS_SAME_CPU, same_cpu)
LATCH_PROTOCOL(ROUNDS_WEFT, weft, ROUNDS_OTHER_CPUS, other_cpus)
LATCH_PROTOCOL(ROUNDS_WEFT, weft, ROUNDS_UNPINNED, unpinned)
LATCH_PROTOCOL(ROUNDS_FOREIGN, foreign, ROUNDS_SAME_CPU, same_cpu)
LATCH_PROTOCOL(ROUNDS_FOREIGN, foreign, ROUNDS_OTHER_CPUS, other_cpus)
LATCH_PROTOCOL(ROUNDS_FOREIGN, foreign, ROUNDS_UNPINNED, unpinned)
