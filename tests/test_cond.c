/* weft_cond: the three lock kinds, full release of an rlock while waiting,
 * FIFO wake-ups, notify(n) counts, wait_for, ownership, timeouts. */
#include "test.h"

#include <math.h>

/* Every test runs over the three kinds of lock a condition can use. */
enum { OWN_RLOCK, PLAIN_LOCK, CALLER_RLOCK, KINDS };

typedef struct locks {
  weft_lock l;
  weft_rlock r;
} locks;

static void cond_setup(weft_cond *c, int kind, locks *k) {
  memset(k, 0, sizeof *k);
  if (kind == OWN_RLOCK)
    weft_cond_init(c);
  else if (kind == PLAIN_LOCK)
    weft_cond_init_lock(c, &k->l);
  else
    weft_cond_init_rlock(c, &k->r);
}

/* How deep the kind's lock can be held: a plain lock is not recursive. */
static int max_depth(int kind) {
  return kind == PLAIN_LOCK ? 1 : 3;
}

/* Release `depth` levels, then check the caller holds nothing more. */
static void release_depth(weft_cond *c, int kind, int depth) {
  for (int i = 0; i < depth; i++)
    CHECK_STATUS(weft_cond_release(c), WEFT_OK);
  CHECK_STATUS(weft_cond_release(c), kind == PLAIN_LOCK ? WEFT_ESTATE : WEFT_EPERM);
}

/* ---- a waiting thread ------------------------------------------------------ */

enum { MAX_PARTIES = 8, WAITING = -1 };

typedef struct wake_log {
  atomic_int n;
  atomic_int order[MAX_PARTIES];
} wake_log;

typedef struct party {
  weft_cond *c;
  int kind;
  int depth; /* hold the lock this deep while waiting */
  double timeout;
  int id;
  wake_log *log;
  test_flag entered;
  atomic_int status; /* the wait's result, WAITING until it returns */
  test_flag done;    /* back with the lock restored */
  atomic_int returned_depth_ok;
} party;

static void party_run(void *arg) {
  party *p = arg;
  for (int i = 0; i < p->depth; i++)
    CHECK_STATUS(weft_cond_acquire(p->c, WEFT_FOREVER), WEFT_OK);
  test_flag_set(&p->entered);
  int r = weft_cond_wait(p->c, p->timeout);
  CHECK(r == WEFT_OK || r == WEFT_TIMEOUT);
  if (p->log) {
    /* Under the lock again: write the slot first, then publish the count,
     * so a reader that sees the count sees the id too. */
    int at = atomic_load(&p->log->n);
    atomic_store(&p->log->order[at], p->id);
    atomic_store(&p->log->n, at + 1);
  }
  atomic_store(&p->status, r);
  /* A plain lock has no owner: one release too many could free another
   * party's hold, so only an rlock's depth is checked here. */
  if (p->kind == PLAIN_LOCK)
    CHECK_STATUS(weft_cond_release(p->c), WEFT_OK);
  else
    release_depth(p->c, p->kind, p->depth);
  test_flag_set(&p->done);
}

static void party_init(party *p, weft_cond *c, int kind, double timeout, int id, wake_log *log) {
  memset(p, 0, sizeof *p);
  p->c = c;
  p->kind = kind;
  p->depth = 1;
  p->timeout = timeout;
  p->id = id;
  p->log = log;
  atomic_store(&p->status, WAITING);
}

/* Start the party and return once it is inside wait(): it announced itself
 * while holding the lock, so once we get the lock it has let go of it in
 * wait(), after joining the queue. */
static weft_thread *party_start(party *p) {
  weft_thread *t = test_spawn(party_run, p);
  test_flag_wait(&p->entered);
  CHECK_STATUS(weft_cond_acquire(p->c, 30.0), WEFT_OK);
  CHECK_STATUS(weft_cond_release(p->c), WEFT_OK);
  return t;
}

static int party_result(party *p) {
  test_flag_wait(&p->done);
  return atomic_load(&p->status);
}

static void notify_locked(weft_cond *c, size_t n) {
  CHECK_STATUS(weft_cond_acquire(c, 30.0), WEFT_OK);
  CHECK_STATUS(weft_cond_notify(c, n), WEFT_OK);
  CHECK_STATUS(weft_cond_release(c), WEFT_OK);
}

static void notify_all_locked(weft_cond *c) {
  CHECK_STATUS(weft_cond_acquire(c, 30.0), WEFT_OK);
  CHECK_STATUS(weft_cond_notify_all(c), WEFT_OK);
  CHECK_STATUS(weft_cond_release(c), WEFT_OK);
}

/* ---- initialisation and the lock ----------------------------------------- */

static weft_cond static_cond; /* zero-initialised */

void test_cond_zero_init(void) {
  weft_cond stack_cond, init_cond = WEFT_COND_INIT;
  memset(&stack_cond, 0, sizeof stack_cond);
  weft_cond *all[] = {&static_cond, &stack_cond, &init_cond};
  for (int i = 0; i < 3; i++) {
    weft_cond *c = all[i];
    /* Its own lock is recursive, like Condition(). */
    CHECK_STATUS(weft_cond_acquire(c, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_cond_acquire(c, 0), WEFT_OK);
    CHECK_STATUS(weft_cond_acquire(c, 0.5), WEFT_OK);
    CHECK_STATUS(weft_cond_notify(c, 1), WEFT_OK);
    CHECK_STATUS(weft_cond_notify_all(c), WEFT_OK);
    release_depth(c, OWN_RLOCK, 3);
  }
  /* weft_cond_init gives the same: a condition with its own rlock. */
  weft_cond c;
  memset(&c, 0xA5, sizeof c);
  weft_cond_init(&c);
  CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
  CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
  release_depth(&c, OWN_RLOCK, 2);
}

/* A thread that tries the condition's lock and reports what it got. */
typedef struct prober {
  weft_cond *c;
  int got;
} prober;

static void probe(void *arg) {
  prober *p = arg;
  p->got = weft_cond_acquire(p->c, 0);
  if (p->got == WEFT_OK) CHECK_STATUS(weft_cond_release(p->c), WEFT_OK);
}

static int probe_from_thread(weft_cond *c) {
  prober p = {c, -1};
  test_join(test_spawn(probe, &p));
  return p.got;
}

void test_cond_own_lock_owned(void) {
  /* The own rlock has an owner: another thread cannot take it or release
   * it while we hold it. */
  weft_cond c = WEFT_COND_INIT;
  CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
  CHECK_STATUS(probe_from_thread(&c), WEFT_TIMEOUT);
  release_depth(&c, OWN_RLOCK, 1);
  CHECK_STATUS(probe_from_thread(&c), WEFT_OK);
}

void test_cond_init_lock(void) {
  weft_lock l = WEFT_LOCK_INIT;
  weft_cond c;
  weft_cond_init_lock(&c, &l);
  /* The condition's lock is the caller's lock, both ways round. */
  CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
  CHECK(weft_lock_locked(&l));
  CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_TIMEOUT); /* not recursive */
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_cond_notify(&c, 1), WEFT_OK);
  CHECK_STATUS(weft_cond_release(&c), WEFT_OK);
  CHECK(!weft_lock_locked(&l));
  CHECK_STATUS(weft_lock_acquire(&l, 0), WEFT_OK);
  CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_cond_notify(&c, 1), WEFT_OK); /* held: notify is allowed */
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_cond_wait(&c, 0.02), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.02, TEST_SLOW);
  CHECK(weft_lock_locked(&l));
  CHECK_STATUS(weft_lock_release(&l), WEFT_OK);
  CHECK_STATUS(weft_cond_release(&c), WEFT_ESTATE);
}

void test_cond_init_rlock(void) {
  weft_rlock r = WEFT_RLOCK_INIT;
  weft_cond c;
  weft_cond_init_rlock(&c, &r);
  CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
  CHECK(weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_OK); /* the same lock, one level deeper */
  CHECK_STATUS(weft_cond_release(&c), WEFT_OK);
  CHECK(weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_cond_notify_all(&c), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
  CHECK(!weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_cond_release(&c), WEFT_EPERM);
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_OK);
  CHECK_STATUS(weft_cond_notify(&c, 1), WEFT_OK);
  CHECK_STATUS(probe_from_thread(&c), WEFT_TIMEOUT);
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
  CHECK_STATUS(probe_from_thread(&c), WEFT_OK);
  /* Re-initialising binds it to its own lock again, not to r. */
  weft_cond_init(&c);
  CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
  CHECK(!weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_cond_release(&c), WEFT_OK);
}

/* ---- wait releases the lock fully and restores it ------------------------ */

void test_cond_wait_releases_fully(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    party p;
    party_init(&p, &c, kind, 30.0, 0, NULL);
    p.depth = max_depth(kind);
    weft_thread *t = test_spawn(party_run, &p);
    test_flag_wait(&p.entered);
    /* Held p.depth deep by the party, yet free while it waits. */
    CHECK_STATUS(weft_cond_acquire(&c, 10.0), WEFT_OK);
    if (kind == PLAIN_LOCK) CHECK(weft_lock_locked(&k.l));
    if (kind == CALLER_RLOCK) CHECK(weft_rlock_is_owned(&k.r));
    CHECK_EQ(atomic_load(&p.status), WAITING);
    CHECK_STATUS(weft_cond_notify(&c, 1), WEFT_OK);
    /* The woken party needs the lock back before it returns. */
    weft_sleep(0.05);
    CHECK_EQ(atomic_load(&p.status), WAITING);
    CHECK_STATUS(weft_cond_release(&c), WEFT_OK);
    /* It returns holding the lock p.depth deep again: for an rlock, the
     * party checks that p.depth releases succeed and one more fails
     * (wait_restores_depth checks that it holds a plain lock). */
    CHECK_STATUS(party_result(&p), WEFT_OK);
    test_join(t);
    CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
    release_depth(&c, kind, 1);
  }
}

/* The woken waiter holds the lock, at its old depth, until it lets go. */
typedef struct restorer {
  weft_cond *c;
  int kind;
  test_flag entered, restored, checked;
  atomic_int status;
} restorer;

static void restore_run(void *arg) {
  restorer *s = arg;
  int depth = max_depth(s->kind);
  for (int i = 0; i < depth; i++)
    CHECK_STATUS(weft_cond_acquire(s->c, WEFT_FOREVER), WEFT_OK);
  test_flag_set(&s->entered);
  atomic_store(&s->status, weft_cond_wait(s->c, 30.0));
  test_flag_set(&s->restored);
  test_flag_wait(&s->checked);
  release_depth(s->c, s->kind, depth);
}

void test_cond_wait_restores_depth(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    restorer s;
    memset(&s, 0, sizeof s);
    s.c = &c;
    s.kind = kind;
    weft_thread *t = test_spawn(restore_run, &s);
    test_flag_wait(&s.entered);
    notify_locked(&c, 1);
    test_flag_wait(&s.restored);
    CHECK_STATUS(atomic_load(&s.status), WEFT_OK);
    CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_TIMEOUT);
    CHECK_STATUS(weft_cond_acquire(&c, 0.02), WEFT_TIMEOUT);
    test_flag_set(&s.checked);
    test_join(t);
    CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
    CHECK_STATUS(weft_cond_release(&c), WEFT_OK);
  }
}

void test_cond_timeout_keeps_depth(void) {
  const double waits[] = {0.1, 0.01, 0.001, 1e-7, 0};
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    int depth = max_depth(kind);
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
      for (int d = 0; d < depth; d++)
        CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
      double t0 = weft_monotonic();
      CHECK_STATUS(weft_cond_wait(&c, waits[i]), WEFT_TIMEOUT);
      CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
      release_depth(&c, kind, depth);
    }
  }
}

/* ---- who is woken --------------------------------------------------------- */

enum { FIFO_N = 6 };

void test_cond_fifo(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    wake_log log;
    memset(&log, 0, sizeof log);
    party p[FIFO_N];
    weft_thread *t[FIFO_N];
    /* They join the queue one at a time, in id order. */
    for (int i = 0; i < FIFO_N; i++) {
      party_init(&p[i], &c, kind, 30.0, i, &log);
      t[i] = party_start(&p[i]);
    }
    for (int i = 0; i < FIFO_N; i++) {
      notify_locked(&c, 1);
      test_await_count(&log.n, i + 1);
      CHECK_EQ(atomic_load(&log.order[i]), i);
      CHECK_STATUS(party_result(&p[i]), WEFT_OK);
    }
    for (int i = 0; i < FIFO_N; i++)
      test_join(t[i]);
    CHECK_EQ(atomic_load(&log.n), FIFO_N);
  }
}

void test_cond_fifo_interleaved(void) {
  /* Later arrivals queue behind the ones still waiting. */
  weft_cond c = WEFT_COND_INIT;
  wake_log log;
  memset(&log, 0, sizeof log);
  party p[MAX_PARTIES];
  weft_thread *t[MAX_PARTIES];
  for (int i = 0; i < 3; i++) {
    party_init(&p[i], &c, OWN_RLOCK, 30.0, i, &log);
    t[i] = party_start(&p[i]);
  }
  notify_locked(&c, 1);
  test_await_count(&log.n, 1);
  for (int i = 3; i < MAX_PARTIES; i++) {
    party_init(&p[i], &c, OWN_RLOCK, 30.0, i, &log);
    t[i] = party_start(&p[i]);
  }
  for (int i = 1; i < MAX_PARTIES; i++) {
    notify_locked(&c, 1);
    test_await_count(&log.n, i + 1);
  }
  for (int i = 0; i < MAX_PARTIES; i++) {
    CHECK_EQ(atomic_load(&log.order[i]), i);
    CHECK_STATUS(party_result(&p[i]), WEFT_OK);
    test_join(t[i]);
  }
}

static int count_returned(party *p, int n) {
  int r = 0;
  for (int i = 0; i < n; i++)
    r += atomic_load(&p[i].status) != WAITING;
  return r;
}

/* Wait until `want` of the n parties have returned; then give any extra
 * ones time to show up, and check that they did not. */
static void await_exactly(party *p, int n, int want) {
  double t0 = weft_monotonic();
  while (count_returned(p, n) < want) {
    if (weft_monotonic() - t0 > 30.0)
      test_fail_(__FILE__, __LINE__, "%d of %d returned, expected %d after 30 s",
                 count_returned(p, n), n, want);
    weft_sleep(0.001);
  }
  weft_sleep(0.2);
  if (count_returned(p, n) != want)
    test_fail_(__FILE__, __LINE__, "%d of %d returned, expected exactly %d", count_returned(p, n),
               n, want);
}

enum { NOTIFY_N = 5 };

void test_cond_notify_n(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    party p[NOTIFY_N];
    weft_thread *t[NOTIFY_N];
    for (int i = 0; i < NOTIFY_N; i++) {
      party_init(&p[i], &c, kind, 30.0, i, NULL);
      t[i] = party_start(&p[i]);
    }
    /* notify(0) wakes nobody. */
    notify_locked(&c, 0);
    weft_sleep(0.05);
    CHECK_EQ(count_returned(p, NOTIFY_N), 0);
    /* notify(2) wakes exactly two, the two that waited longest. */
    notify_locked(&c, 2);
    await_exactly(p, NOTIFY_N, 2);
    CHECK_STATUS(atomic_load(&p[0].status), WEFT_OK);
    CHECK_STATUS(atomic_load(&p[1].status), WEFT_OK);
    /* notify(1): one more. */
    notify_locked(&c, 1);
    await_exactly(p, NOTIFY_N, 3);
    CHECK_STATUS(atomic_load(&p[2].status), WEFT_OK);
    /* notify(10) with two waiting wakes both... */
    notify_locked(&c, 10);
    for (int i = 0; i < NOTIFY_N; i++) {
      CHECK_STATUS(party_result(&p[i]), WEFT_OK);
      test_join(t[i]);
    }
    /* ...and the 8 left over are not kept for the next waiter. */
    party late;
    party_init(&late, &c, kind, 0.1, 99, NULL);
    double t0 = weft_monotonic();
    weft_thread *lt = party_start(&late);
    CHECK_STATUS(party_result(&late), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
    test_join(lt);
  }
}

void test_cond_notify_all(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    wake_log log;
    memset(&log, 0, sizeof log);
    party p[MAX_PARTIES];
    weft_thread *t[MAX_PARTIES];
    for (int round = 0; round < 2; round++) {
      atomic_store(&log.n, 0);
      for (int i = 0; i < MAX_PARTIES; i++) {
        party_init(&p[i], &c, kind, 30.0, i, &log);
        t[i] = party_start(&p[i]);
      }
      notify_all_locked(&c);
      for (int i = 0; i < MAX_PARTIES; i++) {
        CHECK_STATUS(party_result(&p[i]), WEFT_OK);
        test_join(t[i]);
      }
      CHECK_EQ(atomic_load(&log.n), MAX_PARTIES);
    }
    /* notify_all with nobody waiting is fine, and not remembered. */
    CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
    CHECK_STATUS(weft_cond_notify_all(&c), WEFT_OK);
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_cond_wait(&c, 0.05), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
    CHECK_STATUS(weft_cond_release(&c), WEFT_OK);
  }
}

void test_cond_notify_not_remembered(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
    CHECK_STATUS(weft_cond_notify(&c, 1), WEFT_OK);
    CHECK_STATUS(weft_cond_notify(&c, 5), WEFT_OK);
    CHECK_STATUS(weft_cond_notify(&c, SIZE_MAX), WEFT_OK);
    CHECK_STATUS(weft_cond_notify_all(&c), WEFT_OK);
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_cond_wait(&c, 0.1), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
    CHECK_STATUS(weft_cond_release(&c), WEFT_OK);
  }
}

void test_cond_timed_out_leaves(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    party p[3];
    weft_thread *t[3];
    /* The first in line gives up; notifies must then reach the others. */
    party_init(&p[0], &c, kind, 0.2, 0, NULL);
    party_init(&p[1], &c, kind, 30.0, 1, NULL);
    party_init(&p[2], &c, kind, 30.0, 2, NULL);
    double t0 = weft_monotonic();
    for (int i = 0; i < 3; i++)
      t[i] = party_start(&p[i]);
    CHECK_STATUS(party_result(&p[0]), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, 0.2, TEST_SLOW);
    notify_locked(&c, 1);
    CHECK_STATUS(party_result(&p[1]), WEFT_OK);
    weft_sleep(0.1);
    CHECK_EQ(atomic_load(&p[2].status), WAITING);
    notify_locked(&c, 1);
    CHECK_STATUS(party_result(&p[2]), WEFT_OK);
    for (int i = 0; i < 3; i++)
      test_join(t[i]);
  }
}

/* A waiter must return as soon as it is notified, not at its timeout. */
void test_cond_wait_notified_early(void) {
  weft_cond c = WEFT_COND_INIT;
  party p;
  party_init(&p, &c, OWN_RLOCK, 20.0, 0, NULL);
  double t0 = weft_monotonic();
  weft_thread *t = party_start(&p);
  notify_locked(&c, 1);
  CHECK_STATUS(party_result(&p), WEFT_OK);
  CHECK_ELAPSED(t0, 0, TEST_SLOW);
  test_join(t);
}

/* ---- wait_for ------------------------------------------------------------- */

typedef struct predicate {
  atomic_int value; /* the predicate holds when nonzero */
  atomic_int calls;
} predicate;

static bool pred_check(void *arg) {
  predicate *p = arg;
  atomic_fetch_add(&p->calls, 1);
  return atomic_load(&p->value) != 0;
}

void test_cond_wait_for_true_first(void) {
  const double timeouts[] = {0, WEFT_FOREVER, 30.0, 1e-7};
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
      predicate pr;
      memset(&pr, 0, sizeof pr);
      atomic_store(&pr.value, 1);
      double t0 = weft_monotonic();
      CHECK_STATUS(weft_cond_wait_for(&c, pred_check, &pr, timeouts[i]), WEFT_OK);
      CHECK_ELAPSED(t0, 0, 1.0);
      CHECK_EQ(atomic_load(&pr.calls), 1); /* checked once, no wait */
    }
    release_depth(&c, kind, 1);
  }
}

void test_cond_wait_for_timeout(void) {
  const double waits[] = {0.1, 0.01, 1e-7, 0};
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
      predicate pr;
      memset(&pr, 0, sizeof pr);
      double t0 = weft_monotonic();
      CHECK_STATUS(weft_cond_wait_for(&c, pred_check, &pr, waits[i]), WEFT_TIMEOUT);
      CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
      CHECK(atomic_load(&pr.calls) >= 1);
    }
    release_depth(&c, kind, 1);
  }
}

/* Notifies that do not make the predicate true must not end wait_for. */
typedef struct nagger {
  weft_cond *c;
  test_flag stop;
  atomic_int notifies;
} nagger;

static void nag(void *arg) {
  nagger *n = arg;
  while (!test_flag_get(&n->stop)) {
    CHECK_STATUS(weft_cond_acquire(n->c, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(n->notifies & 1 ? weft_cond_notify(n->c, 1) : weft_cond_notify_all(n->c), WEFT_OK);
    atomic_fetch_add(&n->notifies, 1);
    CHECK_STATUS(weft_cond_release(n->c), WEFT_OK);
    weft_sleep(0.002);
  }
}

void test_cond_wait_for_woken_false(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    nagger n;
    memset(&n, 0, sizeof n);
    n.c = &c;
    predicate pr;
    memset(&pr, 0, sizeof pr);
    weft_thread *t = test_spawn(nag, &n);
    CHECK_STATUS(weft_cond_acquire(&c, WEFT_FOREVER), WEFT_OK);
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_cond_wait_for(&c, pred_check, &pr, 0.3), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, 0.3, TEST_SLOW);
    /* It was woken and re-checked in between. */
    CHECK(atomic_load(&pr.calls) >= 2);
    CHECK(atomic_load(&n.notifies) >= 1);
    CHECK_STATUS(weft_cond_release(&c), WEFT_OK);
    test_flag_set(&n.stop);
    test_join(t);
  }
}

typedef struct truther {
  weft_cond *c;
  predicate *pr;
  double delay;
  bool notify;
} truther;

static void make_true(void *arg) {
  truther *tr = arg;
  weft_sleep(tr->delay);
  CHECK_STATUS(weft_cond_acquire(tr->c, WEFT_FOREVER), WEFT_OK);
  atomic_store(&tr->pr->value, 1);
  if (tr->notify) CHECK_STATUS(weft_cond_notify(tr->c, 1), WEFT_OK);
  CHECK_STATUS(weft_cond_release(tr->c), WEFT_OK);
}

void test_cond_wait_for_notified(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    predicate pr;
    memset(&pr, 0, sizeof pr);
    truther tr = {&c, &pr, 0.05, true};
    CHECK_STATUS(weft_cond_acquire(&c, WEFT_FOREVER), WEFT_OK);
    double t0 = weft_monotonic();
    weft_thread *t = test_spawn(make_true, &tr);
    CHECK_STATUS(weft_cond_wait_for(&c, pred_check, &pr, 20.0), WEFT_OK);
    CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
    CHECK(atomic_load(&pr.value) != 0);
    release_depth(&c, kind, 1);
    test_join(t);
  }
}

void test_cond_wait_for_true_at_deadline(void) {
  /* Made true without a notify: at the deadline the predicate holds, so the
   * answer is WEFT_OK (what holds on return counts, as in Python). */
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    predicate pr;
    memset(&pr, 0, sizeof pr);
    truther tr = {&c, &pr, 0.02, false};
    CHECK_STATUS(weft_cond_acquire(&c, WEFT_FOREVER), WEFT_OK);
    double t0 = weft_monotonic();
    weft_thread *t = test_spawn(make_true, &tr);
    CHECK_STATUS(weft_cond_wait_for(&c, pred_check, &pr, 0.2), WEFT_OK);
    CHECK_ELAPSED(t0, 0.2, TEST_SLOW);
    release_depth(&c, kind, 1);
    test_join(t);
  }
}

/* ---- misuse ---------------------------------------------------------------- */

static bool pred_true(void *arg) {
  (void)arg;
  return true;
}

static bool pred_false(void *arg) {
  (void)arg;
  return false;
}

/* Every call that needs the lock, made without it: WEFT_EPERM, at once. */
static void check_eperm(weft_cond *c) {
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_cond_wait(c, 0), WEFT_EPERM);
  CHECK_STATUS(weft_cond_wait(c, 0.1), WEFT_EPERM);
  CHECK_STATUS(weft_cond_wait(c, WEFT_FOREVER), WEFT_EPERM);
  CHECK_STATUS(weft_cond_wait_for(c, pred_false, NULL, 0.1), WEFT_EPERM);
  CHECK_STATUS(weft_cond_wait_for(c, pred_false, NULL, WEFT_FOREVER), WEFT_EPERM);
  CHECK_STATUS(weft_cond_wait_for(c, pred_true, NULL, WEFT_FOREVER), WEFT_EPERM);
  CHECK_STATUS(weft_cond_notify(c, 1), WEFT_EPERM);
  CHECK_STATUS(weft_cond_notify(c, 0), WEFT_EPERM);
  CHECK_STATUS(weft_cond_notify_all(c), WEFT_EPERM);
  CHECK_ELAPSED(t0, 0, 1.0);
}

void test_cond_unlocked_eperm(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    check_eperm(&c);
    /* Held and let go again: still refused. */
    CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
    CHECK_STATUS(weft_cond_release(&c), WEFT_OK);
    check_eperm(&c);
    /* Nothing was left taken. */
    CHECK_STATUS(probe_from_thread(&c), WEFT_OK);
    if (kind == PLAIN_LOCK) CHECK(!weft_lock_locked(&k.l));
    if (kind == CALLER_RLOCK) CHECK(!weft_rlock_is_owned(&k.r));
  }
}

/* An rlock has an owner: holding it in another thread does not count. */
typedef struct other_holder {
  weft_cond *c;
  test_flag held, release;
} other_holder;

static void hold_other(void *arg) {
  other_holder *h = arg;
  CHECK_STATUS(weft_cond_acquire(h->c, WEFT_FOREVER), WEFT_OK);
  test_flag_set(&h->held);
  test_flag_wait(&h->release);
  CHECK_STATUS(weft_cond_release(h->c), WEFT_OK);
}

void test_cond_other_owner_eperm(void) {
  for (int kind = 0; kind < KINDS; kind++) {
    if (kind == PLAIN_LOCK) continue; /* a plain lock has no owner to tell apart */
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    other_holder h;
    memset(&h, 0, sizeof h);
    h.c = &c;
    weft_thread *t = test_spawn(hold_other, &h);
    test_flag_wait(&h.held);
    check_eperm(&c);
    CHECK_STATUS(weft_cond_release(&c), WEFT_EPERM);
    test_flag_set(&h.release);
    test_join(t);
  }
}

void test_cond_null(void) {
  bool (*pred)(void *) = pred_true;
  CHECK_STATUS(weft_cond_acquire(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_cond_acquire(NULL, WEFT_FOREVER), WEFT_EINVAL);
  CHECK_STATUS(weft_cond_release(NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_cond_wait(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_cond_wait(NULL, WEFT_FOREVER), WEFT_EINVAL);
  CHECK_STATUS(weft_cond_wait_for(NULL, pred, NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_cond_notify(NULL, 1), WEFT_EINVAL);
  CHECK_STATUS(weft_cond_notify_all(NULL), WEFT_EINVAL);
  /* The initialisers ignore a NULL condition. */
  weft_lock l = WEFT_LOCK_INIT;
  weft_rlock r = WEFT_RLOCK_INIT;
  weft_cond_init(NULL);
  weft_cond_init_lock(NULL, &l);
  weft_cond_init_rlock(NULL, &r);
  CHECK(!weft_lock_locked(&l));
  /* A NULL predicate, with the lock held. */
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
    CHECK_STATUS(weft_cond_wait_for(&c, NULL, NULL, 0), WEFT_EINVAL);
    CHECK_STATUS(weft_cond_wait_for(&c, NULL, NULL, WEFT_FOREVER), WEFT_EINVAL);
    release_depth(&c, kind, 1);
  }
}

void test_cond_timeout_invalid(void) {
  const double bad[] = {NAN, -0.5, -1e-9, -2.0, -INFINITY};
  for (int kind = 0; kind < KINDS; kind++) {
    locks k;
    weft_cond c;
    cond_setup(&c, kind, &k);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
      CHECK_STATUS(weft_cond_acquire(&c, bad[i]), WEFT_EINVAL);
    CHECK_STATUS(probe_from_thread(&c), WEFT_OK); /* nothing was taken */
    int depth = max_depth(kind);
    for (int d = 0; d < depth; d++)
      CHECK_STATUS(weft_cond_acquire(&c, 0), WEFT_OK);
    double t0 = weft_monotonic();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      predicate pr;
      memset(&pr, 0, sizeof pr);
      CHECK_STATUS(weft_cond_wait(&c, bad[i]), WEFT_EINVAL);
      CHECK_STATUS(weft_cond_wait_for(&c, pred_check, &pr, bad[i]), WEFT_EINVAL);
      for (int d = 0; d < depth; d++)
        CHECK_STATUS(weft_cond_acquire(&c, bad[i]), WEFT_EINVAL);
    }
    CHECK_ELAPSED(t0, 0, 1.0);
    /* Still held exactly `depth` deep. */
    CHECK_STATUS(probe_from_thread(&c), WEFT_TIMEOUT);
    release_depth(&c, kind, depth);
  }
}

void test_cond_timeout_forever(void) {
  /* Every spelling of "forever" waits for the notify. */
  const double forever[] = {WEFT_FOREVER, INFINITY, 1e10, WEFT_TIMEOUT_MAX * 2, WEFT_TIMEOUT_MAX};
  weft_cond c = WEFT_COND_INIT;
  for (size_t i = 0; i < sizeof forever / sizeof forever[0]; i++) {
    party p;
    party_init(&p, &c, OWN_RLOCK, forever[i], 0, NULL);
    weft_thread *t = party_start(&p);
    weft_sleep(0.02);
    CHECK_EQ(atomic_load(&p.status), WAITING);
    notify_locked(&c, 1);
    CHECK_STATUS(party_result(&p), WEFT_OK);
    test_join(t);
  }
}

/* ---- stress: a bounded buffer on one condition ----------------------------- */

enum { PC_CAP = 16, PC_PRODUCERS = 2, PC_CONSUMERS = 2 };

typedef struct pc {
  weft_cond c;
  long buf[PC_CAP];
  size_t head, count;  /* guarded by c */
  long n_items, taken; /* taken: guarded by c */
  atomic_uchar *seen;
  atomic_llong sum;
  atomic_long got;
  atomic_int next_producer;
} pc;

static bool pc_can_take(void *arg) {
  pc *q = arg;
  return q->count > 0 || q->taken == q->n_items;
}

static void pc_produce(void *arg) {
  pc *q = arg;
  long me = atomic_fetch_add(&q->next_producer, 1);
  for (long item = me + 1; item <= q->n_items; item += PC_PRODUCERS) {
    CHECK_STATUS(weft_cond_acquire(&q->c, WEFT_FOREVER), WEFT_OK);
    while (q->count == PC_CAP)
      CHECK_STATUS(weft_cond_wait(&q->c, 30.0), WEFT_OK);
    q->buf[(q->head + q->count) % PC_CAP] = item;
    q->count++;
    CHECK_STATUS(weft_cond_notify_all(&q->c), WEFT_OK);
    CHECK_STATUS(weft_cond_release(&q->c), WEFT_OK);
  }
}

static void pc_consume(void *arg) {
  pc *q = arg;
  for (;;) {
    CHECK_STATUS(weft_cond_acquire(&q->c, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_cond_wait_for(&q->c, pc_can_take, q, 30.0), WEFT_OK);
    if (q->count == 0) {
      CHECK_STATUS(weft_cond_release(&q->c), WEFT_OK);
      return;
    }
    long item = q->buf[q->head];
    q->head = (q->head + 1) % PC_CAP;
    q->count--;
    q->taken++;
    CHECK_STATUS(weft_cond_notify_all(&q->c), WEFT_OK);
    CHECK_STATUS(weft_cond_release(&q->c), WEFT_OK);
    CHECK(item >= 1 && item <= q->n_items);
    CHECK_EQ(atomic_fetch_add(&q->seen[item - 1], 1), 0); /* no duplicate */
    atomic_fetch_add(&q->sum, item);
    atomic_fetch_add(&q->got, 1);
  }
}

void test_cond_stress_bounded_buffer(void) {
  static pc q;
  q.n_items = test_scaled(1000000);
  q.seen = calloc((size_t)q.n_items, sizeof *q.seen);
  CHECK(q.seen != NULL);
  weft_thread *t[PC_PRODUCERS + PC_CONSUMERS];
  for (int i = 0; i < PC_CONSUMERS; i++)
    t[i] = test_spawn(pc_consume, &q);
  for (int i = 0; i < PC_PRODUCERS; i++)
    t[PC_CONSUMERS + i] = test_spawn(pc_produce, &q);
  for (int i = 0; i < PC_PRODUCERS + PC_CONSUMERS; i++) {
    CHECK_STATUS(weft_thread_join(t[i], 300.0), WEFT_OK);
    weft_thread_unref(t[i]);
  }
  long long n = q.n_items;
  CHECK_EQ(atomic_load(&q.got), n);
  CHECK_EQ(atomic_load(&q.sum), n * (n + 1) / 2);
  CHECK_EQ(q.count, 0);
  CHECK_EQ(q.taken, n);
  for (long i = 0; i < q.n_items; i++)
    if (atomic_load(&q.seen[i]) != 1)
      test_fail_(__FILE__, __LINE__, "item %ld seen %d times", i + 1, atomic_load(&q.seen[i]));
  free(q.seen);
}
