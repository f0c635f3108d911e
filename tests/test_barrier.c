/* weft_barrier: indices, the action, abort, reset, timeouts, cycles. */
#include "test.h"

#include <math.h>

enum { MAX_THREADS = 8 };

/* Parties wait this long: past test_join's 30 s, so that one that missed
 * its wake-up (and would only notice at its timeout) fails the test. */
#define PARTY_WAIT 60.0

/* Poll n_waiting (bounded) until it shows `want`. */
static void await_n_waiting(weft_barrier *b, unsigned want) {
  double t0 = weft_monotonic();
  while (weft_barrier_n_waiting(b) != want) {
    if (weft_monotonic() - t0 > 30.0)
      test_fail_(__FILE__, __LINE__, "n_waiting %u, expected %u after 30 s",
                 weft_barrier_n_waiting(b), want);
    weft_sleep(0.001);
  }
}

/* ---- one waiting thread ----------------------------------------------------- */

typedef struct party {
  weft_barrier *b;
  double timeout;
  test_flag started;
  atomic_int status; /* -1 until the wait returns */
  atomic_int index;
} party;

static void party_run(void *arg) {
  party *p = arg;
  test_flag_set(&p->started);
  unsigned index = 12345;
  int r = weft_barrier_wait(p->b, p->timeout, &index);
  atomic_store(&p->index, (int)index);
  atomic_store(&p->status, r);
}

static void party_init(party *p, weft_barrier *b, double timeout) {
  memset(p, 0, sizeof *p);
  p->b = b;
  p->timeout = timeout;
  atomic_store(&p->status, -1);
}

/* Start n parties and return once all are counted as waiting. */
static void start_parties(party *p, weft_thread **t, int n, weft_barrier *b, double timeout) {
  for (int i = 0; i < n; i++) {
    party_init(&p[i], b, timeout);
    t[i] = test_spawn(party_run, &p[i]);
    await_n_waiting(b, (unsigned)i + 1);
  }
}

static void join_all(weft_thread **t, int n) {
  for (int i = 0; i < n; i++)
    test_join(t[i]);
}

/* ---- init and misuse ------------------------------------------------------- */

void test_barrier_init_invalid(void) {
  weft_barrier b;
  memset(&b, 0, sizeof b);
  CHECK_STATUS(weft_barrier_init(&b, 0, NULL, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_barrier_init(NULL, 3, NULL, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_barrier_init(NULL, 0, NULL, NULL), WEFT_EINVAL);
  /* A failed init leaves nothing usable behind. */
  CHECK_STATUS(weft_barrier_wait(&b, 0, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_barrier_init(&b, 1, NULL, NULL), WEFT_OK);
  CHECK_STATUS(weft_barrier_wait(&b, 0, NULL), WEFT_OK);
}

static weft_barrier static_barrier; /* zeroed, never initialised */

void test_barrier_uninitialised(void) {
  weft_barrier stack_barrier;
  memset(&stack_barrier, 0, sizeof stack_barrier);
  weft_barrier *all[] = {&static_barrier, &stack_barrier};
  for (int i = 0; i < 2; i++) {
    unsigned index = 77;
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_barrier_wait(all[i], 0, &index), WEFT_EINVAL);
    CHECK_STATUS(weft_barrier_wait(all[i], 0.1, &index), WEFT_EINVAL);
    CHECK_STATUS(weft_barrier_wait(all[i], WEFT_FOREVER, &index), WEFT_EINVAL);
    CHECK_ELAPSED(t0, 0, 1.0);
  }
}

void test_barrier_null(void) {
  unsigned index;
  CHECK_STATUS(weft_barrier_wait(NULL, 0, &index), WEFT_EINVAL);
  CHECK_STATUS(weft_barrier_wait(NULL, WEFT_FOREVER, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_barrier_reset(NULL), WEFT_EINVAL);
  weft_barrier_abort(NULL);
  CHECK_EQ(weft_barrier_n_waiting(NULL), 0);
  CHECK(!weft_barrier_broken(NULL));
}

void test_barrier_timeout_invalid(void) {
  const double bad[] = {NAN, -0.5, -1e-9, -2.0, -INFINITY};
  weft_barrier b;
  for (unsigned parties = 1; parties <= 2; parties++) {
    CHECK_STATUS(weft_barrier_init(&b, parties, NULL, NULL), WEFT_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
      CHECK_STATUS(weft_barrier_wait(&b, bad[i], NULL), WEFT_EINVAL);
    /* Rejected before it counted: the barrier is unharmed. */
    CHECK(!weft_barrier_broken(&b));
    CHECK_EQ(weft_barrier_n_waiting(&b), 0);
  }
  CHECK_STATUS(weft_barrier_init(&b, 1, NULL, NULL), WEFT_OK);
  CHECK_STATUS(weft_barrier_wait(&b, 0, NULL), WEFT_OK);
}

/* ---- cycles and indices ---------------------------------------------------- */

typedef struct action_log {
  atomic_int runs;
  atomic_int abort_on;              /* abort in this run (1-based), 0: never */
  atomic_uint_least64_t ran_in[64]; /* ident of the thread that ran it */
  weft_barrier *b;
  atomic_int saw_broken, saw_waiting;
} action_log;

static void log_action(void *arg) {
  action_log *a = arg;
  int run = atomic_fetch_add(&a->runs, 1) + 1;
  if (run <= 64) atomic_store(&a->ran_in[run - 1], weft_get_ident());
  if (a->b) {
    /* No weft lock is held: the barrier can be queried, even aborted. */
    atomic_store(&a->saw_broken, weft_barrier_broken(a->b));
    atomic_store(&a->saw_waiting, (int)weft_barrier_n_waiting(a->b));
    if (run == atomic_load(&a->abort_on)) weft_barrier_abort(a->b);
  }
}

void test_barrier_one_party(void) {
  weft_barrier b;
  action_log a;
  memset(&a, 0, sizeof a);
  CHECK_STATUS(weft_barrier_init(&b, 1, log_action, &a), WEFT_OK);
  for (int i = 0; i < 20; i++) {
    unsigned index = 99;
    CHECK_STATUS(weft_barrier_wait(&b, i % 2 ? 0 : WEFT_FOREVER, &index), WEFT_OK);
    CHECK_EQ(index, 0);
    CHECK_EQ(atomic_load(&a.runs), i + 1);
    CHECK_EQ(atomic_load(&a.ran_in[i]), weft_get_ident());
  }
  CHECK_STATUS(weft_barrier_wait(&b, 0.5, NULL), WEFT_OK);
  CHECK(!weft_barrier_broken(&b));
  CHECK_EQ(weft_barrier_n_waiting(&b), 0);
}

/* Threads that each wait `cycles` times; their k-th waits form cycle k. */
typedef struct cycler {
  weft_barrier b;
  action_log a;
  int parties, cycles;
  int *indices; /* [thread][cycle] */
  atomic_int next_id, ready;
  test_flag go;
  uint64_t idents[MAX_THREADS];
} cycler;

static void cycle_run(void *arg) {
  cycler *c = arg;
  int id = atomic_fetch_add(&c->next_id, 1);
  c->idents[id] = weft_get_ident();
  atomic_fetch_add(&c->ready, 1);
  while (!test_flag_get(&c->go))
    weft_yield();
  for (int k = 0; k < c->cycles; k++) {
    unsigned index = 12345;
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_barrier_wait(&c->b, 60.0, &index), WEFT_OK);
    /* A missed wake-up would show only at the timeout. */
    CHECK_ELAPSED(t0, 0, 20.0);
    /* The action ran before anyone was released, exactly once a cycle: the
     * next cycle cannot finish without this thread. */
    CHECK_EQ(atomic_load(&c->a.runs), k + 1);
    c->indices[id * c->cycles + k] = (int)index;
  }
}

static void run_cycles(cycler *c, int parties, int cycles) {
  memset(c, 0, sizeof *c);
  c->parties = parties;
  c->cycles = cycles;
  c->indices = calloc((size_t)parties * (size_t)cycles, sizeof *c->indices);
  CHECK(c->indices != NULL);
  CHECK_STATUS(weft_barrier_init(&c->b, (unsigned)parties, log_action, &c->a), WEFT_OK);
  weft_thread *t[MAX_THREADS];
  for (int i = 0; i < parties; i++)
    t[i] = test_spawn(cycle_run, c);
  while (atomic_load(&c->ready) < parties)
    weft_yield();
  test_flag_set(&c->go);
  for (int i = 0; i < parties; i++) {
    CHECK_STATUS(weft_thread_join(t[i], 300.0), WEFT_OK);
    weft_thread_unref(t[i]);
  }
  CHECK_EQ(atomic_load(&c->a.runs), cycles);
  /* Each cycle hands out 0..parties-1, each once. */
  for (int k = 0; k < cycles; k++) {
    unsigned mask = 0;
    for (int i = 0; i < parties; i++) {
      int index = c->indices[i * cycles + k];
      if (index < 0 || index >= parties)
        test_fail_(__FILE__, __LINE__, "cycle %d: index %d out of 0..%d", k, index, parties - 1);
      if (mask & (1u << index))
        test_fail_(__FILE__, __LINE__, "cycle %d: index %d handed out twice", k, index);
      mask |= 1u << index;
    }
  }
  /* The action ran in one of the parties. */
  for (int k = 0; k < cycles && k < 64; k++) {
    uint64_t who = atomic_load(&c->a.ran_in[k]);
    bool found = false;
    for (int i = 0; i < parties; i++)
      found |= who == c->idents[i];
    CHECK(found);
  }
  CHECK(!weft_barrier_broken(&c->b));
  CHECK_EQ(weft_barrier_n_waiting(&c->b), 0);
  free(c->indices);
}

void test_barrier_indices(void) {
  static cycler c;
  run_cycles(&c, 4, 200);
  run_cycles(&c, 2, 200);
  run_cycles(&c, 3, 100);
}

/* More threads than parties: arrivals for the next cycle wait while the
 * previous one drains, so every cycle still hands out each index once.
 * Threads draw tickets for their waits from one pool, a multiple of the
 * parties, so the last cycle is always full. */
typedef struct crowd {
  weft_barrier b;
  atomic_int actions, per_index[MAX_THREADS], bad_index;
  atomic_long tickets;
} crowd;

static void crowd_action(void *arg) {
  crowd *c = arg;
  atomic_fetch_add(&c->actions, 1);
}

static void crowd_run(void *arg) {
  crowd *c = arg;
  while (atomic_fetch_sub(&c->tickets, 1) > 0) {
    unsigned index = 12345;
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_barrier_wait(&c->b, 60.0, &index), WEFT_OK);
    CHECK_ELAPSED(t0, 0, 20.0);
    if (index >= MAX_THREADS)
      atomic_fetch_add(&c->bad_index, 1);
    else
      atomic_fetch_add(&c->per_index[index], 1);
  }
}

void test_barrier_more_threads(void) {
  enum { PARTIES = 3, THREADS = 5 };
  static crowd c;
  int cycles = (int)test_scaled(300);
  atomic_store(&c.tickets, (long)cycles * PARTIES);
  CHECK_STATUS(weft_barrier_init(&c.b, PARTIES, crowd_action, &c), WEFT_OK);
  weft_thread *t[THREADS];
  for (int i = 0; i < THREADS; i++)
    t[i] = test_spawn(crowd_run, &c);
  for (int i = 0; i < THREADS; i++) {
    CHECK_STATUS(weft_thread_join(t[i], 300.0), WEFT_OK);
    weft_thread_unref(t[i]);
  }
  CHECK_EQ(atomic_load(&c.actions), cycles);
  CHECK_EQ(atomic_load(&c.bad_index), 0);
  for (int i = 0; i < PARTIES; i++)
    CHECK_EQ(atomic_load(&c.per_index[i]), cycles);
  for (int i = PARTIES; i < MAX_THREADS; i++)
    CHECK_EQ(atomic_load(&c.per_index[i]), 0);
  CHECK(!weft_barrier_broken(&c.b));
  CHECK_EQ(weft_barrier_n_waiting(&c.b), 0);
}

/* ---- the action ------------------------------------------------------------ */

/* The action of a 3-party barrier holds its cycle: until it returns,
 * nobody is released and the next cycle's arrivals wait. */
typedef struct slow_action {
  test_flag running, finish;
  atomic_int runs;
} slow_action;

static void slow_action_run(void *arg) {
  slow_action *s = arg;
  atomic_fetch_add(&s->runs, 1);
  test_flag_set(&s->running);
  test_flag_wait(&s->finish);
}

void test_barrier_action_before_release(void) {
  weft_barrier b;
  slow_action s;
  memset(&s, 0, sizeof s);
  CHECK_STATUS(weft_barrier_init(&b, 3, slow_action_run, &s), WEFT_OK);
  party p[3];
  weft_thread *t[3];
  start_parties(p, t, 2, &b, PARTY_WAIT);
  party_init(&p[2], &b, PARTY_WAIT);
  t[2] = test_spawn(party_run, &p[2]);
  test_flag_wait(&s.running);
  weft_sleep(0.1);
  for (int i = 0; i < 3; i++)
    CHECK_EQ(atomic_load(&p[i].status), -1);
  /* An arrival for the next cycle does not join this one. */
  party late;
  party_init(&late, &b, 0.5);
  weft_thread *lt = test_spawn(party_run, &late);
  weft_sleep(0.1);
  CHECK_EQ(atomic_load(&late.status), -1);
  CHECK(!weft_barrier_broken(&b));
  test_flag_set(&s.finish);
  join_all(t, 3);
  unsigned mask = 0;
  for (int i = 0; i < 3; i++) {
    CHECK_STATUS(atomic_load(&p[i].status), WEFT_OK);
    mask |= 1u << atomic_load(&p[i].index);
  }
  CHECK_EQ(mask, 7);
  CHECK_EQ(atomic_load(&s.runs), 1);
  /* The late one then waits in the next cycle, alone: its 0.5 s runs out
   * there, which breaks the barrier. */
  test_join(lt);
  CHECK_STATUS(atomic_load(&late.status), WEFT_TIMEOUT);
  CHECK(weft_barrier_broken(&b));
  CHECK_EQ(atomic_load(&s.runs), 1);
}

void test_barrier_action_abort(void) {
  /* The action may call weft_barrier_abort (no lock is held while it runs):
   * that cycle is broken for everyone. */
  enum { PARTIES = 3 };
  weft_barrier b;
  action_log a;
  memset(&a, 0, sizeof a);
  a.b = &b;
  atomic_store(&a.abort_on, 3);
  CHECK_STATUS(weft_barrier_init(&b, PARTIES, log_action, &a), WEFT_OK);
  for (int cycle = 1; cycle <= 3; cycle++) {
    party p[PARTIES];
    weft_thread *t[PARTIES];
    start_parties(p, t, PARTIES - 1, &b, PARTY_WAIT);
    unsigned index = 99;
    int r = weft_barrier_wait(&b, 30.0, &index);
    join_all(t, PARTIES - 1);
    int want = cycle < 3 ? WEFT_OK : WEFT_EBROKEN;
    CHECK_STATUS(r, want);
    for (int i = 0; i < PARTIES - 1; i++)
      CHECK_STATUS(atomic_load(&p[i].status), want);
    CHECK_EQ(atomic_load(&a.runs), cycle);
    /* What the action saw, from inside its cycle, before any abort. */
    CHECK_EQ(atomic_load(&a.saw_broken), 0);
    CHECK_EQ(weft_barrier_broken(&b), cycle == 3);
  }
  /* Broken: later waits fail at once, and the action does not run. */
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_barrier_wait(&b, 30.0, NULL), WEFT_EBROKEN);
  CHECK_STATUS(weft_barrier_wait(&b, 0, NULL), WEFT_EBROKEN);
  CHECK_ELAPSED(t0, 0, 1.0);
  CHECK_EQ(atomic_load(&a.runs), 3);
}

/* ---- abort, reset, timeouts ------------------------------------------------- */

void test_barrier_abort(void) {
  enum { PARTIES = 3 };
  weft_barrier b;
  action_log a;
  memset(&a, 0, sizeof a);
  CHECK_STATUS(weft_barrier_init(&b, PARTIES, log_action, &a), WEFT_OK);
  party p[PARTIES];
  weft_thread *t[PARTIES];
  start_parties(p, t, PARTIES - 1, &b, PARTY_WAIT);
  CHECK(!weft_barrier_broken(&b));
  weft_barrier_abort(&b);
  join_all(t, PARTIES - 1);
  for (int i = 0; i < PARTIES - 1; i++)
    CHECK_STATUS(atomic_load(&p[i].status), WEFT_EBROKEN);
  CHECK(weft_barrier_broken(&b));
  /* Later waits fail at once, whatever their timeout. */
  const double timeouts[] = {0, 0.1, 30.0, WEFT_FOREVER};
  double t0 = weft_monotonic();
  for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++)
    CHECK_STATUS(weft_barrier_wait(&b, timeouts[i], NULL), WEFT_EBROKEN);
  CHECK_ELAPSED(t0, 0, 1.0);
  CHECK_EQ(atomic_load(&a.runs), 0);
  CHECK(weft_barrier_broken(&b));
  weft_barrier_abort(&b); /* again: still broken, no harm */
  CHECK(weft_barrier_broken(&b));
  /* reset repairs it. */
  CHECK_STATUS(weft_barrier_reset(&b), WEFT_OK);
  CHECK(!weft_barrier_broken(&b));
  start_parties(p, t, PARTIES - 1, &b, PARTY_WAIT);
  CHECK_STATUS(weft_barrier_wait(&b, 30.0, NULL), WEFT_OK);
  join_all(t, PARTIES - 1);
  for (int i = 0; i < PARTIES - 1; i++)
    CHECK_STATUS(atomic_load(&p[i].status), WEFT_OK);
  CHECK_EQ(atomic_load(&a.runs), 1);
}

void test_barrier_reset(void) {
  enum { PARTIES = 4 };
  weft_barrier b;
  action_log a;
  memset(&a, 0, sizeof a);
  CHECK_STATUS(weft_barrier_init(&b, PARTIES, log_action, &a), WEFT_OK);
  /* Reset with nobody waiting: nothing to fail, still usable. */
  CHECK_STATUS(weft_barrier_reset(&b), WEFT_OK);
  CHECK(!weft_barrier_broken(&b));
  party p[PARTIES];
  weft_thread *t[PARTIES];
  for (int round = 0; round < 3; round++) {
    /* Reset fails the current waiters... */
    start_parties(p, t, PARTIES - 1, &b, PARTY_WAIT);
    CHECK_STATUS(weft_barrier_reset(&b), WEFT_OK);
    join_all(t, PARTIES - 1);
    for (int i = 0; i < PARTIES - 1; i++)
      CHECK_STATUS(atomic_load(&p[i].status), WEFT_EBROKEN);
    CHECK_EQ(atomic_load(&a.runs), round);
    /* ...and leaves the barrier usable: a full cycle succeeds, with fresh
     * indices. */
    CHECK(!weft_barrier_broken(&b));
    await_n_waiting(&b, 0);
    start_parties(p, t, PARTIES - 1, &b, PARTY_WAIT);
    unsigned index = 99;
    CHECK_STATUS(weft_barrier_wait(&b, 30.0, &index), WEFT_OK);
    join_all(t, PARTIES - 1);
    unsigned mask = 1u << index;
    for (int i = 0; i < PARTIES - 1; i++) {
      CHECK_STATUS(atomic_load(&p[i].status), WEFT_OK);
      mask |= 1u << atomic_load(&p[i].index);
    }
    CHECK_EQ(mask, (1u << PARTIES) - 1);
    CHECK_EQ(atomic_load(&a.runs), round + 1);
  }
}

void test_barrier_timeout(void) {
  enum { PARTIES = 3 };
  weft_barrier b;
  action_log a;
  memset(&a, 0, sizeof a);
  CHECK_STATUS(weft_barrier_init(&b, PARTIES, log_action, &a), WEFT_OK);
  party p[PARTIES];
  weft_thread *t[PARTIES];
  start_parties(p, t, 1, &b, PARTY_WAIT);
  /* This wait times out (never early): it gets WEFT_TIMEOUT, the other
   * waiter WEFT_EBROKEN, and the barrier stays broken. */
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_barrier_wait(&b, 0.1, NULL), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  join_all(t, 1);
  CHECK_STATUS(atomic_load(&p[0].status), WEFT_EBROKEN);
  CHECK(weft_barrier_broken(&b));
  CHECK_STATUS(weft_barrier_wait(&b, 0.1, NULL), WEFT_EBROKEN);
  CHECK_EQ(atomic_load(&a.runs), 0);
  /* A waiting thread's own timeout: it gets WEFT_TIMEOUT. */
  CHECK_STATUS(weft_barrier_reset(&b), WEFT_OK);
  start_parties(p, t, 1, &b, PARTY_WAIT);
  party_init(&p[1], &b, 0.1);
  t0 = weft_monotonic();
  t[1] = test_spawn(party_run, &p[1]);
  join_all(t, 2);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  CHECK_STATUS(atomic_load(&p[1].status), WEFT_TIMEOUT);
  CHECK_STATUS(atomic_load(&p[0].status), WEFT_EBROKEN);
  CHECK(weft_barrier_broken(&b));
  /* Timeout 0 with others missing: would block, so it times out and
   * breaks the barrier. */
  CHECK_STATUS(weft_barrier_reset(&b), WEFT_OK);
  CHECK_STATUS(weft_barrier_wait(&b, 0, NULL), WEFT_TIMEOUT);
  CHECK(weft_barrier_broken(&b));
  CHECK_STATUS(weft_barrier_reset(&b), WEFT_OK);
  /* Short timeouts are never early. */
  const double waits[] = {0.01, 0.001, 1e-7};
  for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
    t0 = weft_monotonic();
    CHECK_STATUS(weft_barrier_wait(&b, waits[i], NULL), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
    CHECK_STATUS(weft_barrier_reset(&b), WEFT_OK);
  }
  CHECK_EQ(atomic_load(&a.runs), 0);
}

void test_barrier_timeout_completes(void) {
  /* A wait with a timeout that the cycle completes in time is a plain
   * success; the barrier is not broken. */
  weft_barrier b;
  CHECK_STATUS(weft_barrier_init(&b, 2, NULL, NULL), WEFT_OK);
  party p[1];
  weft_thread *t[1];
  start_parties(p, t, 1, &b, 20.0);
  CHECK_STATUS(weft_barrier_wait(&b, 0.5, NULL), WEFT_OK);
  join_all(t, 1);
  CHECK_STATUS(atomic_load(&p[0].status), WEFT_OK);
  CHECK(!weft_barrier_broken(&b));
}

void test_barrier_n_waiting(void) {
  enum { PARTIES = 4 };
  weft_barrier b;
  CHECK_STATUS(weft_barrier_init(&b, PARTIES, NULL, NULL), WEFT_OK);
  CHECK_EQ(weft_barrier_n_waiting(&b), 0);
  CHECK(!weft_barrier_broken(&b));
  for (int round = 0; round < 2; round++) {
    party p[PARTIES];
    weft_thread *t[PARTIES];
    start_parties(p, t, PARTIES - 1, &b, PARTY_WAIT); /* checks 1, 2, 3 */
    weft_sleep(0.05);
    CHECK_EQ(weft_barrier_n_waiting(&b), PARTIES - 1);
    CHECK(!weft_barrier_broken(&b));
    CHECK_STATUS(weft_barrier_wait(&b, 30.0, NULL), WEFT_OK);
    join_all(t, PARTIES - 1);
    CHECK_EQ(weft_barrier_n_waiting(&b), 0);
    CHECK(!weft_barrier_broken(&b));
  }
  /* Aborting empties it. */
  party p[PARTIES];
  weft_thread *t[PARTIES];
  start_parties(p, t, 2, &b, PARTY_WAIT);
  weft_barrier_abort(&b);
  join_all(t, 2);
  CHECK_EQ(weft_barrier_n_waiting(&b), 0);
  CHECK(weft_barrier_broken(&b));
}

/* ---- stress: many cycles ----------------------------------------------------- */

void test_barrier_stress_cycles(void) {
  static cycler c;
  run_cycles(&c, 8, (int)test_scaled(1000));
}
