/* Protocol tests: hand-off loops between 2 or 4 threads through each
 * blocking primitive, every round counted on both sides.
 *
 * Each thread keeps its round counter in a C11 atomic (not in weft) and,
 * after every wait that returns, checks the other threads' counters against
 * the exact values the protocol allows at that point. A wait that returns
 * early (a stale, spurious or extra wake-up) fails that check at once; a
 * wait that times out (WAIT_BOUND, never forever) is a lost wake-up, and
 * fails naming the round. Each family of protocols runs with weft threads
 * and with foreign threads, all pinned to one CPU, pinned to different CPUs,
 * and unpinned: one CTest entry per family x thread kind x placement.
 *
 * Rounds: until ROUND_BUDGET seconds have passed or MAX_ROUNDS are done
 * (whichever first), but at least MIN_ROUNDS, so slow rows (TSan, qemu,
 * wine) stay bounded and fast ones do many rounds. One thread, the leader
 * (thread 0), decides which round is the last; it stores the decision
 * before the hand-off that starts that round, and the others read it after
 * receiving that hand-off (and checking the sender's counter), so every
 * thread stops after the same round. */
#include "foreign.h"
#include "test.h"

#include <limits.h>
#include <stdarg.h>

enum { MAX_THREADS = 4, MAX_BURST = 3, SPACE = 3 };

#define WAIT_BOUND 10.0    /* a wait this long is a lost wake-up */
#define ROUND_BUDGET 0.025 /* seconds per protocol variant */
#define MIN_ROUNDS 30
#define MAX_ROUNDS 20000 /* scaled by WEFT_STRESS_SCALE */

typedef enum { WEFT_THREADS, FOREIGN_THREADS } thread_kind;
typedef enum { SAME_CPU, OTHER_CPUS, UNPINNED } placement;

static const char *const kind_names[] = {"weft", "foreign"};
static const char *const placement_names[] = {"same_cpu", "other_cpus", "unpinned"};

typedef struct run run;

/* A ring: thread i receives round k from thread i-1 and passes it on to
 * i+1; thread 0 starts each round and receives it back at the end. */
typedef struct ring_ops {
  void (*pass)(run *r, int self, int to, long k);
  void (*receive)(run *r, int self, long k);
} ring_ops;

enum { QUEUE_FIFO, QUEUE_LIFO, QUEUE_PRIORITY };
enum { COND_OWN_NOTIFY, COND_LOCK_NOTIFY_ALL, COND_RING_NOTIFY, COND_RLOCK_NOTIFY_ALL };

typedef struct variant {
  const char *name;
  int n; /* threads */
  void (*body)(run *r, int self);
  void (*setup)(run *r);  /* may be NULL */
  void (*finish)(run *r); /* final checks; may be NULL */
  const ring_ops *ops;    /* ring_body only */
  int mode;               /* queue kind, condition mode, barrier action */
  size_t maxsize;         /* queues */
  int burst;              /* queues: items per hand-off */
} variant;

/* How many rounds: until `budget` seconds have passed or `max` rounds are
 * done, but at least `min`; and never past `cap` seconds. */
typedef struct rounds {
  long min, max;
  double budget, cap;
} rounds;

typedef struct slot {
  run *r;
  int self;
} slot;

enum { POOL_RESULT, POOL_FIRE, POOL_CALLBACK, POOL_CANCEL };
enum { FUT_RESULT, FUT_CALLBACK, FUT_WAIT, FUT_AS_COMPLETED };

struct run {
  const variant *v;
  char label[160];
  int n;
  placement where;
  unsigned cpus; /* CPUs used by OTHER_CPUS: thread i runs on i % cpus */
  slot slots[MAX_THREADS];
  atomic_int ready;
  double t0;
  rounds limits;
  atomic_long stop;                  /* the last round, once the leader decided; 0 before */
  atomic_long round[MAX_THREADS];    /* each thread's finished (or started) round */
  atomic_long rounds_done;           /* the leader's count, for the report */
  atomic_long acquired[MAX_THREADS]; /* lock and rlock acquisitions */
  atomic_int in_cs;                  /* who is inside the critical section (self + 1) */
  long cs_count;                     /* plain: only ever changed inside it */

  weft_event ev[MAX_THREADS];
  weft_sem sem[MAX_THREADS];
  weft_lock baton[MAX_THREADS];
  weft_lock lock;
  weft_rlock rlock;
  weft_cond cond[MAX_THREADS];
  weft_queue *queue[MAX_THREADS];
  weft_barrier barrier;

  /* Conditions: under the condition's lock (plain on purpose). */
  int turn;
  int queued[MAX_THREADS]; /* in wait and not yet notified */
  int owed[MAX_THREADS];   /* notified, wait not yet returned */
  long wakes[MAX_THREADS], notified;

  /* Semaphore producer/consumer. */
  weft_sem items, space;
  atomic_long produced, released, consumed, final_count;
  atomic_long space_taken, space_freed, consumer_got[MAX_THREADS];
  atomic_int producers_done;

  /* Barrier. */
  atomic_long actions;
  atomic_uint index_mask[2];

  /* Pool: tasks and callbacks count the rounds on the workers' side. */
  weft_pool *pool;
  atomic_int workers_seen;
  atomic_long task_round[MAX_THREADS], callback_round[MAX_THREADS];
  atomic_long cancels[MAX_THREADS], runs[MAX_THREADS], cancel_mark[MAX_THREADS][64];

  /* Standalone futures: each thread's inbox (two for the waits on many). */
  _Atomic(weft_future *) inbox[MAX_THREADS][2];
  weft_as_completed *iter[MAX_THREADS];
};

/* ---- failing with the variant, thread and round named ---------------------- */

#define PROTO_FAIL(r, self, k, ...) proto_fail_(__LINE__, (r), (self), (k), __VA_ARGS__)

static _Noreturn void proto_fail_(int line, run *r, int self, long k, const char *fmt, ...)
    TEST_PRINTF(5, 6);

static void proto_fail_(int line, run *r, int self, long k, const char *fmt, ...) {
  char msg[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (self < 0) /* the barrier's action, or a count at the end */
    test_fail_(__FILE__, line, "%s: round %ld: %s", r->label, k, msg);
  test_fail_(__FILE__, line, "%s: thread %d, round %ld: %s", r->label, self, k, msg);
}

/* A call's status; for a bounded wait, WEFT_TIMEOUT is a lost wake-up. */
static void expect_ok(run *r, int self, long k, int status, const char *what) {
  if (status == WEFT_OK) return;
  if (status == WEFT_TIMEOUT)
    PROTO_FAIL(r, self, k, "lost wake-up: %s timed out after %.0f s", what, WAIT_BOUND);
  PROTO_FAIL(r, self, k, "%s returned %d %s", what, status, test_status_name(status));
}

/* When thread `pos` of a ring holds round k (pos == n: round k is back at
 * thread 0), threads before it have finished round k and the rest,
 * including itself, round k - 1. Anything else is an early or late
 * wake-up. */
static void check_ring(run *r, int self, int pos, long k, const char *after) {
  for (int j = 0; j < r->n; j++) {
    long want = j < pos ? k : k - 1, got = atomic_load(&r->round[j]);
    if (got != want)
      PROTO_FAIL(r, self, k,
                 "out of step after %s: thread %d is at round %ld, expected %ld "
                 "(an early, extra or stale wake-up)",
                 after, j, got, want);
  }
}

/* ---- rounds ------------------------------------------------------------------ */

static bool out_of_rounds(run *r, long k) {
  double t = weft_monotonic() - r->t0;
  if (k >= r->limits.max || t >= r->limits.cap) return true;
  return k >= r->limits.min && t >= r->limits.budget;
}

/* The leader, at the start of round k: is it the last? */
static bool leader_decides(run *r, long k) {
  atomic_store(&r->rounds_done, k);
  if (!out_of_rounds(r, k)) return false;
  atomic_store(&r->stop, k);
  return true;
}

/* The others, once round k has reached them. */
static bool is_last(run *r, long k) {
  return atomic_load(&r->stop) == k;
}

/* ---- threads and placement --------------------------------------------------- */

static void pin_or_fail(run *r, int self, unsigned cpu) {
  const char *why = "?";
  if (!test_pin_self(cpu, &why)) PROTO_FAIL(r, self, 0, "cannot pin to CPU %u: %s", cpu, why);
}

static void proto_thread(void *arg) {
  slot *s = arg;
  run *r = s->r;
  if (r->where == SAME_CPU) pin_or_fail(r, s->self, 0);
  if (r->where == OTHER_CPUS) pin_or_fail(r, s->self, (unsigned)s->self % r->cpus);
  /* Start together, so the round budget is not spent on thread start. */
  atomic_fetch_add(&r->ready, 1);
  double t0 = weft_monotonic();
  while (atomic_load(&r->ready) < r->n) {
    if (weft_monotonic() - t0 > 30.0) PROTO_FAIL(r, s->self, 0, "threads did not start");
    weft_yield();
  }
  r->v->body(r, s->self);
}

typedef struct probe {
  placement where;
  unsigned cpus;
  const char *why;
} probe;

static void probe_pinning(void *arg) {
  probe *p = arg;
  unsigned want = p->where == SAME_CPU ? 1 : MAX_THREADS;
  p->cpus = 0;
  while (p->cpus < want && test_pin_self(p->cpus, &p->why))
    p->cpus++;
}

/* Skip unless the placement is possible here; returns the CPUs to spread
 * threads over. Probed on a thread of its own, so the main thread (whose
 * affinity new threads inherit) stays unpinned. */
static unsigned check_placement(placement where) {
  if (where == UNPINNED) return 1;
  if (where == OTHER_CPUS && test_cpu_count() < 2)
    test_skip("one CPU only: threads cannot be pinned to different CPUs");
  probe p = {where, 0, "?"};
  test_foreign_join(test_foreign_start(probe_pinning, &p));
  if (p.cpus == 0 || (where == OTHER_CPUS && p.cpus < 2)) {
    static char why[200];
    snprintf(why, sizeof why, "cannot pin threads to %s: %s",
             where == SAME_CPU ? "a CPU" : "two different CPUs", p.why);
    test_skip(why);
  }
  return p.cpus;
}

static run the_run; /* one at a time; weft's objects start all-zero */

/* Run one variant; `test` (the CTest name) and the variant name label
 * every failure. */
static void run_variant(const variant *v, const char *test, thread_kind kind, placement where,
                        unsigned cpus, rounds limits) {
  run *r = &the_run;
  memset(r, 0, sizeof *r);
  r->v = v;
  r->n = v->n;
  r->where = where;
  r->cpus = cpus;
  r->limits = limits;
  snprintf(r->label, sizeof r->label, "%s [%s]", test, v->name);
  if (v->setup) v->setup(r);
  weft_thread *w[MAX_THREADS] = {NULL};
  test_foreign *f[MAX_THREADS] = {NULL};
  r->t0 = weft_monotonic();
  for (int i = 0; i < r->n; i++) {
    r->slots[i] = (slot){r, i};
    if (kind == WEFT_THREADS)
      w[i] = test_spawn(proto_thread, &r->slots[i]);
    else
      f[i] = test_foreign_start(proto_thread, &r->slots[i]);
  }
  for (int i = 0; i < r->n; i++) {
    if (kind == WEFT_THREADS)
      test_join(w[i]);
    else
      test_foreign_join(f[i]);
  }
  double took = weft_monotonic() - r->t0;
  if (v->finish) v->finish(r);
  printf("%s: %ld rounds in %.3f s\n", r->label, atomic_load(&r->rounds_done), took);
}

typedef struct family {
  const char *name;
  const variant *variants;
  size_t count;
} family;

static void run_family(const family *fam, thread_kind kind, placement where) {
  unsigned cpus = check_placement(where);
  char test[80];
  snprintf(test, sizeof test, "protocol.%s_%s_%s", fam->name, kind_names[kind],
           placement_names[where]);
  rounds limits = {MIN_ROUNDS, test_scaled(MAX_ROUNDS), ROUND_BUDGET, 1e9 /* no cap */};
  for (size_t i = 0; i < fam->count; i++)
    run_variant(&fam->variants[i], test, kind, where, cpus, limits);
}

/* ---- rings of pure hand-offs: event, semaphore, lock as baton, queue --------- */

static void ring_body(run *r, int self) {
  const ring_ops *ops = r->v->ops;
  for (long k = 1;; k++) {
    if (self == 0) {
      bool last = leader_decides(r, k);
      atomic_store(&r->round[0], k);
      ops->pass(r, 0, 1, k);
      ops->receive(r, 0, k);
      check_ring(r, 0, r->n, k, "the hand-off back to thread 0");
      if (last) return;
    } else {
      ops->receive(r, self, k);
      check_ring(r, self, self, k, "the hand-off");
      bool last = is_last(r, k);
      atomic_store(&r->round[self], k);
      ops->pass(r, self, (self + 1) % r->n, k);
      if (last) return;
    }
  }
}

/* Every round is back where it started: each ring member finished it. */
static void ring_finish_counts(run *r) {
  long rounds = atomic_load(&r->stop);
  CHECK(rounds >= 1);
  for (int j = 0; j < r->n; j++)
    if (atomic_load(&r->round[j]) != rounds)
      PROTO_FAIL(r, j, rounds, "finished at round %ld", atomic_load(&r->round[j]));
}

/* Event: thread i waits for ev[i], clears it and sets ev[i+1]. Only thread
 * i clears ev[i], so a wait that returns with it clear was woken by a set
 * of an earlier round. */
static void event_pass(run *r, int self, int to, long k) {
  (void)self;
  (void)k;
  weft_event_set(&r->ev[to]);
}

static void event_receive(run *r, int self, long k) {
  expect_ok(r, self, k, weft_event_wait(&r->ev[self], WAIT_BOUND), "event_wait");
  if (!weft_event_is_set(&r->ev[self]))
    PROTO_FAIL(r, self, k, "event_wait returned OK on a clear event: a stale wake-up");
  weft_event_clear(&r->ev[self]);
}

static void event_finish(run *r) {
  ring_finish_counts(r);
  for (int j = 0; j < r->n; j++)
    if (weft_event_is_set(&r->ev[j])) PROTO_FAIL(r, j, 0, "its event is still set at the end");
}

static const ring_ops event_ops = {event_pass, event_receive};

/* Semaphore: thread i takes sem[i] and releases sem[i+1]; nobody else
 * releases sem[i], so it is 0 again once taken. */
static void sem_pass(run *r, int self, int to, long k) {
  expect_ok(r, self, k, weft_sem_release(&r->sem[to], 1), "sem_release");
}

static void sem_receive(run *r, int self, long k) {
  expect_ok(r, self, k, weft_sem_acquire(&r->sem[self], WAIT_BOUND), "sem_acquire");
  unsigned left = weft_sem_value(&r->sem[self]);
  if (left != 0) PROTO_FAIL(r, self, k, "value %u after sem_acquire, expected 0", left);
}

static void sem_finish(run *r) {
  ring_finish_counts(r);
  for (int j = 0; j < r->n; j++)
    if (weft_sem_value(&r->sem[j]) != 0)
      PROTO_FAIL(r, j, 0, "semaphore value %u at the end", weft_sem_value(&r->sem[j]));
}

static const ring_ops sem_ops = {sem_pass, sem_receive};

/* Lock as baton: every baton[i] starts held; thread i acquires baton[i]
 * (waiting for thread i-1 to release it) and releases baton[i+1], which
 * thread i+1 acquired: a weft_lock may be released by any thread. */
static void baton_setup(run *r) {
  for (int j = 0; j < r->n; j++)
    CHECK_STATUS(weft_lock_acquire(&r->baton[j], 0), WEFT_OK);
}

static void baton_pass(run *r, int self, int to, long k) {
  int st = weft_lock_release(&r->baton[to]);
  if (st == WEFT_ESTATE) PROTO_FAIL(r, self, k, "baton %d was not held: handed on twice", to);
  expect_ok(r, self, k, st, "lock_release");
}

static void baton_receive(run *r, int self, long k) {
  expect_ok(r, self, k, weft_lock_acquire(&r->baton[self], WAIT_BOUND), "lock_acquire");
  if (!weft_lock_locked(&r->baton[self]))
    PROTO_FAIL(r, self, k, "lock_acquire returned OK on a free lock");
}

static void baton_finish(run *r) {
  ring_finish_counts(r);
  for (int j = 0; j < r->n; j++) {
    if (!weft_lock_locked(&r->baton[j])) PROTO_FAIL(r, j, 0, "its baton is free at the end");
    CHECK_STATUS(weft_lock_release(&r->baton[j]), WEFT_OK);
  }
}

static const ring_ops baton_ops = {baton_pass, baton_receive};

/* Queue: thread i puts `burst` numbered items into queue[i+1] and gets as
 * many from queue[i], each checked in order. With maxsize 1 the queue holds
 * one item at a time, so every kind gives them back in put order; the
 * unbounded LIFO and priority queues get one item per hand-off. */
static uintptr_t item_value(long k, int sender, int m) {
  return ((uintptr_t)k * MAX_THREADS + (uintptr_t)sender) * MAX_BURST + (uintptr_t)m + 1;
}

static int item_cmp(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return x < y ? -1 : x > y;
}

static void queue_setup(run *r) {
  for (int j = 0; j < r->n; j++) {
    size_t maxsize = r->v->maxsize;
    r->queue[j] = r->v->mode == QUEUE_FIFO   ? weft_queue_new(maxsize)
                  : r->v->mode == QUEUE_LIFO ? weft_queue_new_lifo(maxsize)
                                             : weft_queue_new_priority(maxsize, item_cmp);
    CHECK(r->queue[j] != NULL);
  }
}

static void queue_pass(run *r, int self, int to, long k) {
  for (int m = 0; m < r->v->burst; m++)
    expect_ok(r, self, k, weft_queue_put(r->queue[to], (void *)item_value(k, self, m), WAIT_BOUND),
              "queue_put");
}

static void queue_receive(run *r, int self, long k) {
  int from = (self + r->n - 1) % r->n;
  for (int m = 0; m < r->v->burst; m++) {
    void *item = NULL;
    expect_ok(r, self, k, weft_queue_get(r->queue[self], &item, WAIT_BOUND), "queue_get");
    uintptr_t want = item_value(k, from, m);
    if ((uintptr_t)item != want)
      PROTO_FAIL(r, self, k, "queue_get gave item %lu, expected %lu",
                 (unsigned long)(uintptr_t)item, (unsigned long)want);
  }
  size_t left = weft_queue_qsize(r->queue[self]);
  if (left != 0) PROTO_FAIL(r, self, k, "%lu items left after the hand-off", (unsigned long)left);
}

static void queue_finish(run *r) {
  ring_finish_counts(r);
  for (int j = 0; j < r->n; j++) {
    CHECK(weft_queue_empty(r->queue[j]));
    weft_queue_free(r->queue[j]);
    r->queue[j] = NULL;
  }
}

static const ring_ops queue_ops = {queue_pass, queue_receive};

/* ---- lock and rlock: a turn variable handed round under the lock -------------- */

/* Inside the critical section: nobody else may be. */
static void enter_cs(run *r, int self, long k) {
  int other = atomic_exchange(&r->in_cs, self + 1);
  if (other != 0)
    PROTO_FAIL(r, self, k, "mutual exclusion broken: thread %d is inside too", other - 1);
  atomic_fetch_add(&r->acquired[self], 1);
  r->cs_count++;
}

static void leave_cs(run *r, int self, long k) {
  int was = atomic_exchange(&r->in_cs, 0);
  if (was != self + 1)
    PROTO_FAIL(r, self, k, "mutual exclusion broken: found %d inside on leaving", was - 1);
}

typedef struct turn_lock {
  int (*acquire)(run *r, double timeout);
  int (*release)(run *r);
} turn_lock;

static int plain_acquire(run *r, double timeout) {
  return weft_lock_acquire(&r->lock, timeout);
}
static int plain_release(run *r) {
  return weft_lock_release(&r->lock);
}
static int recursive_acquire(run *r, double timeout) {
  return weft_rlock_acquire(&r->rlock, timeout);
}
static int recursive_release(run *r) {
  return weft_rlock_release(&r->rlock);
}

static const turn_lock plain_lock = {plain_acquire, plain_release};
static const turn_lock recursive_lock = {recursive_acquire, recursive_release};

/* Acquire until it is this thread's turn; returns holding the lock. Each
 * acquisition is counted, and each must be exclusive. */
static void acquire_turn(run *r, const turn_lock *l, int self, long k) {
  double t0 = weft_monotonic();
  for (;;) {
    expect_ok(r, self, k, l->acquire(r, WAIT_BOUND), "acquire");
    enter_cs(r, self, k);
    if (r->turn == self) return;
    leave_cs(r, self, k);
    expect_ok(r, self, k, l->release(r), "release");
    if (weft_monotonic() - t0 > WAIT_BOUND)
      PROTO_FAIL(r, self, k, "its turn did not come in %.0f s", WAIT_BOUND);
    weft_yield();
  }
}

/* One step of the ring, under the lock: check, count, pass the turn on.
 * Thread 0 takes the turn first in each round, so when thread i has it in
 * round k, threads before it are at k and the rest at k - 1. */
static bool take_turn(run *r, int self, long k) {
  check_ring(r, self, self, k, "its turn came");
  bool last = self == 0 ? leader_decides(r, k) : is_last(r, k);
  atomic_store(&r->round[self], k);
  r->turn = (self + 1) % r->n;
  return last;
}

static void lock_turn_body(run *r, int self) {
  for (long k = 1;; k++) {
    acquire_turn(r, &plain_lock, self, k);
    bool last = take_turn(r, self, k);
    leave_cs(r, self, k);
    expect_ok(r, self, k, weft_lock_release(&r->lock), "lock_release");
    if (last) return;
  }
}

static void rlock_turn_body(run *r, int self) {
  for (long k = 1;; k++) {
    acquire_turn(r, &recursive_lock, self, k);
    /* Its turn: go 2 or 3 deep, which must not block. */
    int depth = 2 + (int)((k + self) % 2);
    for (int d = 1; d < depth; d++)
      expect_ok(r, self, k, weft_rlock_acquire(&r->rlock, 0), "recursive rlock_acquire");
    bool last = take_turn(r, self, k);
    leave_cs(r, self, k);
    for (int d = depth; d > 0; d--) {
      if (!weft_rlock_is_owned(&r->rlock))
        PROTO_FAIL(r, self, k, "rlock not owned at depth %d of %d", d, depth);
      expect_ok(r, self, k, weft_rlock_release(&r->rlock), "rlock_release");
    }
    if (weft_rlock_is_owned(&r->rlock)) PROTO_FAIL(r, self, k, "rlock still owned after release");
    if (last) return;
  }
}

static void turn_finish(run *r) {
  ring_finish_counts(r);
  long total = 0, rounds = atomic_load(&r->stop);
  for (int j = 0; j < r->n; j++) {
    long got = atomic_load(&r->acquired[j]);
    if (got < rounds) PROTO_FAIL(r, j, rounds, "only %ld acquisitions", got);
    total += got;
  }
  if (r->cs_count != total)
    PROTO_FAIL(r, -1, rounds, "critical sections counted %ld, acquisitions %ld", r->cs_count,
               total);
  CHECK_EQ(r->turn, 0);
  CHECK(!weft_lock_locked(&r->lock));
  CHECK_STATUS(weft_rlock_acquire(&r->rlock, 0), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&r->rlock), WEFT_OK);
}

/* ---- condition: a turn handed round, every return from wait counted ----------- */

/* Which condition thread i waits on. */
static weft_cond *cond_of(run *r, int i) {
  return r->v->mode == COND_RING_NOTIFY ? &r->cond[i] : &r->cond[0];
}

static void cond_setup(run *r) {
  switch (r->v->mode) {
  case COND_OWN_NOTIFY:
    weft_cond_init(&r->cond[0]);
    break;
  case COND_LOCK_NOTIFY_ALL:
    weft_cond_init_lock(&r->cond[0], &r->lock);
    break;
  case COND_RING_NOTIFY: /* one condition per thread, all on one lock */
    for (int j = 0; j < r->n; j++)
      weft_cond_init_lock(&r->cond[j], &r->lock);
    break;
  default:
    weft_cond_init_rlock(&r->cond[0], &r->rlock);
  }
}

/* Depth at which the lock is held: the caller's rlock twice, to check that
 * wait releases it fully and restores it. */
static int cond_depth(run *r) {
  return r->v->mode == COND_RLOCK_NOTIFY_ALL ? 2 : 1;
}

/* Notify under the lock. Each thread still queued on the condition that
 * this notify wakes is owed exactly one WEFT_OK return from wait. */
static void cond_notify_next(run *r, int self, long k) {
  int next = (self + 1) % r->n;
  weft_cond *c = cond_of(r, next);
  bool all = r->v->mode == COND_LOCK_NOTIFY_ALL || r->v->mode == COND_RLOCK_NOTIFY_ALL;
  for (int j = 0; j < r->n; j++) {
    /* notify(1) on a condition that only `next` can be waiting on (its own,
     * or the shared one of a pair) wakes it; notify_all wakes everyone. */
    if (j == self || !r->queued[j] || (!all && j != next)) continue;
    r->queued[j] = 0;
    r->owed[j]++;
    r->notified++;
  }
  expect_ok(r, self, k, all ? weft_cond_notify_all(c) : weft_cond_notify(c, 1), "notify");
}

static void cond_body(run *r, int self) {
  weft_cond *c = cond_of(r, self);
  int depth = cond_depth(r);
  for (long k = 1;; k++) {
    for (int d = 0; d < depth; d++)
      expect_ok(r, self, k, weft_cond_acquire(c, WAIT_BOUND), "cond_acquire");
    while (r->turn != self) {
      r->queued[self] = 1;
      int st = weft_cond_wait(c, WAIT_BOUND); /* not wait_for: each return counts */
      r->wakes[self]++;
      expect_ok(r, self, k, st, "cond_wait");
      if (r->owed[self] != 1 || r->queued[self])
        PROTO_FAIL(r, self, k, "extra wake-up: cond_wait returned OK with %d notifies for it",
                   r->owed[self]);
      r->owed[self] = 0;
      if (depth == 2 && !weft_rlock_is_owned(&r->rlock))
        PROTO_FAIL(r, self, k, "cond_wait returned without the rlock");
    }
    bool last = take_turn(r, self, k);
    cond_notify_next(r, self, k);
    for (int d = 0; d < depth; d++)
      expect_ok(r, self, k, weft_cond_release(c), "cond_release");
    if (last) return;
  }
}

static void cond_finish(run *r) {
  ring_finish_counts(r);
  long wakes = 0;
  for (int j = 0; j < r->n; j++) {
    wakes += r->wakes[j];
    if (r->owed[j] || r->queued[j]) PROTO_FAIL(r, j, 0, "a notify for it was never returned");
  }
  if (wakes != r->notified)
    PROTO_FAIL(r, -1, atomic_load(&r->stop), "%ld returns from cond_wait for %ld notified waiters",
               wakes, r->notified);
  CHECK_EQ(r->turn, 0);
}

/* ---- semaphore producer/consumer: units conserved ---------------------------- */

/* Threads 0..n/2-1 produce, the rest consume. Producers take one unit of
 * `space` (bounded at SPACE) per item and release items in batches of 1 or
 * 2; consumers take one item and give back one unit of space. The last
 * producer to finish records the total, then releases one extra unit per
 * consumer: the unit a consumer takes past the total tells it to stop.
 * A producer holds the space it took while it waits for the rest of its
 * batch, so SPACE exceeds producers x (largest batch - 1): never a
 * deadlock of half-taken batches. */
static void pc_setup(run *r) {
  weft_sem_init_bounded(&r->space, SPACE);
  atomic_store(&r->final_count, -1);
}

static void producer(run *r, int self) {
  int producers = r->n / 2, consumers = r->n - producers;
  long k = 1;
  for (;; k++) {
    int batch = 1 + (int)((k + self) % 2);
    for (int b = 0; b < batch; b++) {
      expect_ok(r, self, k, weft_sem_acquire(&r->space, WAIT_BOUND), "sem_acquire(space)");
      long taken = atomic_fetch_add(&r->space_taken, 1) + 1;
      long freed = atomic_load(&r->space_freed);
      if (taken > freed + SPACE)
        PROTO_FAIL(r, self, k, "took space unit %ld but only %ld + %d exist", taken, freed, SPACE);
    }
    atomic_fetch_add(&r->produced, batch);
    atomic_fetch_add(&r->released, batch);
    expect_ok(r, self, k, weft_sem_release(&r->items, (unsigned)batch), "sem_release(items)");
    atomic_store(&r->round[self], k);
    if (self == 0) atomic_store(&r->rounds_done, k);
    if (out_of_rounds(r, k)) break;
  }
  if (atomic_fetch_add(&r->producers_done, 1) + 1 < producers) return;
  atomic_store(&r->final_count, atomic_load(&r->produced));
  atomic_fetch_add(&r->released, consumers);
  expect_ok(r, self, k, weft_sem_release(&r->items, (unsigned)consumers), "sem_release(stop)");
}

static void consumer(run *r, int self) {
  for (long k = 1;; k++) {
    expect_ok(r, self, k, weft_sem_acquire(&r->items, WAIT_BOUND), "sem_acquire(items)");
    long unit = atomic_fetch_add(&r->consumed, 1) + 1;
    long released = atomic_load(&r->released);
    if (unit > released)
      PROTO_FAIL(r, self, k, "took unit %ld of items but only %ld were released", unit, released);
    long total = atomic_load(&r->final_count);
    if (total >= 0 && unit > total) return; /* a stop unit */
    atomic_fetch_add(&r->consumer_got[self], 1);
    atomic_fetch_add(&r->space_freed, 1);
    int st = weft_sem_release(&r->space, 1);
    if (st == WEFT_EOVERFLOW) PROTO_FAIL(r, self, k, "space would pass its bound of %d", SPACE);
    expect_ok(r, self, k, st, "sem_release(space)");
  }
}

static void pc_body(run *r, int self) {
  if (self < r->n / 2)
    producer(r, self);
  else
    consumer(r, self);
}

static void pc_finish(run *r) {
  long total = atomic_load(&r->final_count), got = 0;
  int consumers = r->n - r->n / 2;
  for (int j = r->n / 2; j < r->n; j++)
    got += atomic_load(&r->consumer_got[j]);
  if (got != total || atomic_load(&r->produced) != total)
    PROTO_FAIL(r, -1, 0, "produced %ld, consumed %ld, total %ld", atomic_load(&r->produced), got,
               total);
  CHECK_EQ(atomic_load(&r->consumed), total + consumers);
  CHECK_EQ(atomic_load(&r->released), total + consumers);
  CHECK_EQ(atomic_load(&r->space_taken), total);
  CHECK_EQ(atomic_load(&r->space_freed), total);
  CHECK_EQ(weft_sem_value(&r->items), 0);
  CHECK_EQ(weft_sem_value(&r->space), SPACE);
}

/* ---- barrier ------------------------------------------------------------------ */

/* Thread i stores the cycle it arrives at before waiting. Once a cycle k
 * wait returns, every party has arrived at k, and none can be past k + 1
 * (the next cycle needs this thread); the action, run before anyone leaves,
 * sees all of them at exactly k. The indices of one cycle must be a
 * permutation: each sets its bit in the cycle's mask, the one that completes
 * it clears it for cycle k + 2. */
static void barrier_action(void *arg) {
  run *r = arg;
  long cycle = atomic_fetch_add(&r->actions, 1) + 1;
  for (int j = 0; j < r->n; j++) {
    long at = atomic_load(&r->round[j]);
    if (at != cycle) PROTO_FAIL(r, -1, cycle, "the action ran with thread %d at cycle %ld", j, at);
  }
}

static void barrier_setup(run *r) {
  CHECK_STATUS(
      weft_barrier_init(&r->barrier, (unsigned)r->n, r->v->mode ? barrier_action : NULL, r),
      WEFT_OK);
}

static void barrier_body(run *r, int self) {
  unsigned full = (1u << r->n) - 1;
  for (long k = 1;; k++) {
    bool last = self == 0 && leader_decides(r, k);
    atomic_store(&r->round[self], k);
    unsigned index = 12345;
    int st = weft_barrier_wait(&r->barrier, WAIT_BOUND, &index);
    if (st == WEFT_EBROKEN)
      PROTO_FAIL(r, self, k, "barrier broken (another party's wait timed out)");
    expect_ok(r, self, k, st, "barrier_wait");
    if (index >= (unsigned)r->n) PROTO_FAIL(r, self, k, "index %u out of range", index);
    for (int j = 0; j < r->n; j++) {
      long at = atomic_load(&r->round[j]);
      if (at != k && at != k + 1)
        PROTO_FAIL(r, self, k, "cycle %ld released with thread %d at cycle %ld", k, j, at);
    }
    if (r->v->mode) {
      long actions = atomic_load(&r->actions);
      if (actions != k)
        PROTO_FAIL(r, self, k, "%ld actions ran by the end of cycle %ld", actions, k);
    }
    atomic_uint *mask = &r->index_mask[k % 2];
    unsigned bit = 1u << index, before = atomic_fetch_or(mask, bit);
    if (before & bit) PROTO_FAIL(r, self, k, "index %u given twice in one cycle", index);
    if ((before | bit) == full) atomic_store(mask, 0);
    if (self != 0) last = is_last(r, k);
    if (last) return;
  }
}

static void barrier_finish(run *r) {
  ring_finish_counts(r);
  CHECK_EQ(atomic_load(&r->index_mask[0]), 0);
  CHECK_EQ(atomic_load(&r->index_mask[1]), 0);
  if (r->v->mode) CHECK_EQ(atomic_load(&r->actions), atomic_load(&r->stop));
  CHECK(!weft_barrier_broken(&r->barrier));
  CHECK_EQ(weft_barrier_n_waiting(&r->barrier), 0);
}

/* ---- pool: submit, run, result, counted on the submitter's and the task's side ---- */

/* A task's argument: its round and its submitter, in one word. The tasks
 * reach the run through the_run. */

static void *task_arg(long k, int self) {
  return (void *)((uintptr_t)k * MAX_THREADS + (uintptr_t)self);
}

static long task_round_of(void *arg, int *self) {
  *self = (int)((uintptr_t)arg % MAX_THREADS);
  return (long)((uintptr_t)arg / MAX_THREADS);
}

/* Pin each worker in its initializer: workers are created by a submitter
 * (whose pinning they inherit) and placed here beside the submitters. */
static void pin_worker(void *arg) {
  run *r = arg;
  int j = atomic_fetch_add(&r->workers_seen, 1);
  if (r->where == SAME_CPU) pin_or_fail(r, -1, 0);
  if (r->where == OTHER_CPUS) pin_or_fail(r, -1, (unsigned)(r->n + j) % r->cpus);
}

static void pool_setup(run *r) {
  r->pool = weft_pool_new(r->v->maxsize);
  CHECK(r->pool != NULL);
  CHECK_STATUS(weft_pool_set_name_prefix(r->pool, "proto"), WEFT_OK);
  CHECK_STATUS(weft_pool_set_initializer(r->pool, pin_worker, r), WEFT_OK);
}

/* Every submitter did its rounds, and every task ran once (the cancel
 * race: every task that was not cancelled). */
static void pool_finish(run *r) {
  CHECK_STATUS(weft_pool_shutdown(r->pool, true, false), WEFT_OK);
  CHECK_STATUS(weft_pool_free(r->pool), WEFT_OK);
  r->pool = NULL;
  CHECK(atomic_load(&r->workers_seen) <= (int)r->v->maxsize);
  for (int j = 0; j < r->n; j++) {
    long rounds = atomic_load(&r->round[j]);
    CHECK(rounds >= 1);
    if (r->v->mode == POOL_CANCEL) {
      long runs = atomic_load(&r->runs[j]), cancels = atomic_load(&r->cancels[j]);
      if (runs + cancels != rounds)
        PROTO_FAIL(r, j, rounds, "%ld tasks ran and %ld were cancelled of %ld", runs, cancels,
                   rounds);
      printf("%s: submitter %d: %ld tasks ran, %ld cancelled in time\n", r->label, j, runs,
             cancels);
      continue;
    }
    if (atomic_load(&r->task_round[j]) != rounds)
      PROTO_FAIL(r, j, rounds, "its last task ran for round %ld", atomic_load(&r->task_round[j]));
    if (r->v->mode == POOL_CALLBACK && atomic_load(&r->callback_round[j]) != rounds)
      PROTO_FAIL(r, j, rounds, "its last callback ran for round %ld",
                 atomic_load(&r->callback_round[j]));
  }
}

/* In the task: its submitter is at its round (it stored it before the
 * submit and waits for this task), and the task before it ran. */
static void check_task(run *r, void *arg) {
  int s;
  long k = task_round_of(arg, &s);
  long at = atomic_load(&r->round[s]);
  if (at != k)
    PROTO_FAIL(r, s, k, "its task runs while it is at round %ld (a stale or early task)", at);
  long before = atomic_exchange(&r->task_round[s], k);
  if (before != k - 1)
    PROTO_FAIL(r, s, k, "its task ran after the one of round %ld (lost or run twice)", before);
}

static void *round_task(void *arg) {
  check_task(&the_run, arg);
  return arg;
}

/* A fire-and-forget task tells its submitter through its semaphore. */
static void *signal_task(void *arg) {
  run *r = &the_run;
  check_task(r, arg);
  int s;
  long k = task_round_of(arg, &s);
  expect_ok(r, s, k, weft_sem_release(&r->sem[s], 1), "sem_release (in the task)");
  return NULL;
}

/* A done callback, in whichever thread runs it, tells the submitter. */
static void signal_callback(weft_future *f, void *arg) {
  run *r = &the_run;
  int s;
  long k = task_round_of(arg, &s);
  if (!weft_future_done(f)) PROTO_FAIL(r, s, k, "a callback runs on a future not done");
  long before = atomic_exchange(&r->callback_round[s], k);
  if (before != k - 1)
    PROTO_FAIL(r, s, k, "its callback ran after the one of round %ld (lost or run twice)", before);
  expect_ok(r, s, k, weft_sem_release(&r->sem[s], 1), "sem_release (in the callback)");
}

/* The cancel race: a task that runs must not have been cancelled. */
static void *cancel_task(void *arg) {
  run *r = &the_run;
  int s;
  long k = task_round_of(arg, &s);
  long at = atomic_load(&r->round[s]);
  if (at != k) PROTO_FAIL(r, s, k, "its task runs while it is at round %ld", at);
  if (atomic_load(&r->cancel_mark[s][k % 64]) == k)
    PROTO_FAIL(r, s, k, "a task runs whose cancel returned WEFT_OK");
  atomic_fetch_add(&r->runs[s], 1);
  return arg;
}

static void *expect_result(run *r, int self, long k, weft_future *f, double timeout) {
  void *got = NULL;
  expect_ok(r, self, k, weft_future_result(f, timeout, &got), "future_result");
  if (got != task_arg(k, self)) PROTO_FAIL(r, self, k, "a result that is not its task's");
  return got;
}

static void pool_round(run *r, int self, long k) {
  weft_future *f = NULL;
  void *arg = task_arg(k, self);
  switch (r->v->mode) {
  case POOL_RESULT:
    expect_ok(r, self, k, weft_pool_submit(r->pool, round_task, arg, &f), "pool_submit");
    expect_result(r, self, k, f, WAIT_BOUND);
    break;
  case POOL_FIRE:
    expect_ok(r, self, k, weft_pool_submit(r->pool, signal_task, arg, NULL), "pool_submit");
    expect_ok(r, self, k, weft_sem_acquire(&r->sem[self], WAIT_BOUND), "sem_acquire");
    break;
  case POOL_CALLBACK:
    expect_ok(r, self, k, weft_pool_submit(r->pool, round_task, arg, &f), "pool_submit");
    expect_ok(r, self, k, weft_future_add_done_callback(f, signal_callback, arg),
              "add_done_callback");
    expect_ok(r, self, k, weft_sem_acquire(&r->sem[self], WAIT_BOUND), "sem_acquire");
    if (atomic_load(&r->callback_round[self]) != k)
      PROTO_FAIL(r, self, k, "woken before its callback ran");
    expect_result(r, self, k, f, 0);
    break;
  default: /* POOL_CANCEL */
    expect_ok(r, self, k, weft_pool_submit(r->pool, cancel_task, arg, &f), "pool_submit");
    for (long i = 0; i < k % 4; i++) /* now and then, give the worker time to win */
      weft_yield();
    if (weft_future_cancel(f) == WEFT_OK) {
      atomic_store(&r->cancel_mark[self][k % 64], k);
      atomic_fetch_add(&r->cancels[self], 1);
      if (!weft_future_cancelled(f)) PROTO_FAIL(r, self, k, "cancelled, yet not cancelled");
      int st = weft_future_result(f, 0, NULL);
      if (st != WEFT_ECANCELED) PROTO_FAIL(r, self, k, "result %d after cancel", st);
    } else {
      expect_result(r, self, k, f, WAIT_BOUND);
    }
  }
  if (r->v->mode != POOL_CANCEL && atomic_load(&r->task_round[self]) != k)
    PROTO_FAIL(r, self, k, "its round is over, its task ran for round %ld",
               atomic_load(&r->task_round[self]));
  if (weft_sem_value(&r->sem[self]) != 0) PROTO_FAIL(r, self, k, "a hand-off too many");
  weft_future_unref(f);
}

/* Each submitter goes its own way (the pool is what they share); the
 * leader's rounds are the ones reported. */
static void pool_body(run *r, int self) {
  for (long k = 1;; k++) {
    if (self == 0) atomic_store(&r->rounds_done, k);
    bool last = out_of_rounds(r, k);
    atomic_store(&r->round[self], k);
    pool_round(r, self, k);
    if (last) return;
  }
}

/* ---- standalone futures: an inbox per thread, completed by the one before -------- */

/* Thread i waits on its inbox future (or two: FUT_WAIT, FUT_AS_COMPLETED),
 * then puts a new one in its place before it passes the round on by
 * completing the next thread's. A completion that reached a stale or the
 * wrong future fails the set_result (done already) or the round check. */
static uintptr_t fut_value(long k, int sender) {
  return (uintptr_t)k * MAX_THREADS + (uintptr_t)sender + 1;
}

static void inbox_callback(weft_future *f, void *arg) {
  run *r = &the_run;
  int self = (int)(uintptr_t)arg;
  void *v = NULL;
  if (weft_future_result(f, 0, &v) != WEFT_OK)
    PROTO_FAIL(r, self, 0, "a callback on a future without its result");
  long k = (long)(((uintptr_t)v - 1) / MAX_THREADS);
  long before = atomic_exchange(&r->callback_round[self], k);
  if (before != k - 1) PROTO_FAIL(r, self, k, "its callback follows the one of round %ld", before);
  expect_ok(r, self, k, weft_sem_release(&r->sem[self], 1), "sem_release (in the callback)");
}

static void new_inbox(run *r, int self) {
  int n = r->v->mode == FUT_WAIT || r->v->mode == FUT_AS_COMPLETED ? 2 : 1;
  weft_future *fs[2] = {NULL, NULL};
  for (int i = 0; i < n; i++) {
    fs[i] = weft_future_new();
    if (!fs[i]) PROTO_FAIL(r, self, 0, "weft_future_new failed");
  }
  if (r->v->mode == FUT_CALLBACK)
    expect_ok(r, self, 0,
              weft_future_add_done_callback(fs[0], inbox_callback, (void *)(uintptr_t)self),
              "add_done_callback");
  if (r->v->mode == FUT_AS_COMPLETED) {
    r->iter[self] = weft_as_completed_new(fs, 2);
    if (!r->iter[self]) PROTO_FAIL(r, self, 0, "weft_as_completed_new failed");
  }
  for (int i = 0; i < 2; i++)
    atomic_store(&r->inbox[self][i], fs[i]);
}

static void fut_setup(run *r) {
  for (int j = 0; j < r->n; j++)
    new_inbox(r, j);
}

/* Second first: a wait for the first, and as_completed, must see it first. */
static void fut_pass(run *r, int self, int to, long k) {
  void *v = (void *)fut_value(k, self);
  for (int i = 1; i >= 0; i--) {
    weft_future *f = atomic_load(&r->inbox[to][i]);
    if (!f) continue;
    int st = weft_future_set_result(f, v);
    if (st == WEFT_ESTATE) PROTO_FAIL(r, self, k, "thread %d's inbox is done already", to);
    expect_ok(r, self, k, st, "future_set_result");
  }
}

static void check_value(run *r, int self, long k, weft_future *f) {
  void *v = NULL;
  expect_ok(r, self, k, weft_future_result(f, 0, &v), "future_result (done)");
  uintptr_t want = fut_value(k, (self + r->n - 1) % r->n);
  if ((uintptr_t)v != want)
    PROTO_FAIL(r, self, k, "result %lu, expected %lu", (unsigned long)(uintptr_t)v,
               (unsigned long)want);
}

static void fut_receive(run *r, int self, long k) {
  weft_future *f0 = atomic_load(&r->inbox[self][0]), *f1 = atomic_load(&r->inbox[self][1]);
  weft_future *fs[2] = {f0, f1}, *got = NULL;
  switch (r->v->mode) {
  case FUT_RESULT:
    expect_ok(r, self, k, weft_future_result(f0, WAIT_BOUND, NULL), "future_result");
    break;
  case FUT_CALLBACK:
    expect_ok(r, self, k, weft_sem_acquire(&r->sem[self], WAIT_BOUND), "sem_acquire");
    if (atomic_load(&r->callback_round[self]) != k)
      PROTO_FAIL(r, self, k, "woken before its callback ran");
    break;
  case FUT_WAIT:
    expect_ok(r, self, k, weft_wait(fs, 2, WEFT_FIRST_COMPLETED, WAIT_BOUND), "wait (first)");
    if (!weft_future_done(f1)) PROTO_FAIL(r, self, k, "the first wait returned, f1 not done");
    expect_ok(r, self, k, weft_wait(fs, 2, WEFT_ALL_COMPLETED, WAIT_BOUND), "wait (all)");
    check_value(r, self, k, f1);
    break;
  default: /* FUT_AS_COMPLETED */
    for (int i = 1; i >= 0; i--) {
      expect_ok(r, self, k, weft_as_completed_next(r->iter[self], WAIT_BOUND, &got),
                "as_completed_next");
      if (got != fs[i]) PROTO_FAIL(r, self, k, "as_completed out of finishing order");
    }
    if (weft_as_completed_next(r->iter[self], 0, &got) != WEFT_ESTATE)
      PROTO_FAIL(r, self, k, "as_completed yields a third future of two");
    weft_as_completed_free(r->iter[self]);
    r->iter[self] = NULL;
  }
  check_value(r, self, k, f0);
  new_inbox(r, self);
  weft_future_unref(f0);
  weft_future_unref(f1);
}

static void fut_finish(run *r) {
  ring_finish_counts(r);
  for (int j = 0; j < r->n; j++) {
    for (int i = 0; i < 2; i++) {
      weft_future *f = atomic_load(&r->inbox[j][i]);
      if (f && weft_future_done(f)) PROTO_FAIL(r, j, 0, "its inbox is done at the end");
      weft_future_unref(f);
    }
    weft_as_completed_free(r->iter[j]);
    if (r->v->mode == FUT_CALLBACK) CHECK_EQ(weft_sem_value(&r->sem[j]), 0);
  }
}

static const ring_ops fut_ops = {fut_pass, fut_receive};

/* ---- the families --------------------------------------------------------------- */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const variant event_variants[] = {
    {.name = "ping-pong", .n = 2, .body = ring_body, .finish = event_finish, .ops = &event_ops},
    {.name = "ring of 4", .n = 4, .body = ring_body, .finish = event_finish, .ops = &event_ops},
};

static const variant cond_variants[] = {
    {.name = "pair, own rlock, notify(1)",
     .n = 2,
     .body = cond_body,
     .setup = cond_setup,
     .finish = cond_finish,
     .mode = COND_OWN_NOTIFY},
    {.name = "pair, lock, notify_all",
     .n = 2,
     .body = cond_body,
     .setup = cond_setup,
     .finish = cond_finish,
     .mode = COND_LOCK_NOTIFY_ALL},
    {.name = "ring of 4, a condition each, notify(1)",
     .n = 4,
     .body = cond_body,
     .setup = cond_setup,
     .finish = cond_finish,
     .mode = COND_RING_NOTIFY},
    {.name = "ring of 4, rlock 2 deep, notify_all",
     .n = 4,
     .body = cond_body,
     .setup = cond_setup,
     .finish = cond_finish,
     .mode = COND_RLOCK_NOTIFY_ALL},
};

static const variant sem_variants[] = {
    {.name = "ping-pong", .n = 2, .body = ring_body, .finish = sem_finish, .ops = &sem_ops},
    {.name = "ring of 4", .n = 4, .body = ring_body, .finish = sem_finish, .ops = &sem_ops},
    {.name = "producer/consumer 1+1",
     .n = 2,
     .body = pc_body,
     .setup = pc_setup,
     .finish = pc_finish},
    {.name = "producer/consumer 2+2",
     .n = 4,
     .body = pc_body,
     .setup = pc_setup,
     .finish = pc_finish},
};

static const variant lock_variants[] = {
    {.name = "turn, pair", .n = 2, .body = lock_turn_body, .finish = turn_finish},
    {.name = "turn, ring of 4", .n = 4, .body = lock_turn_body, .finish = turn_finish},
    {.name = "baton, pair",
     .n = 2,
     .body = ring_body,
     .setup = baton_setup,
     .finish = baton_finish,
     .ops = &baton_ops},
    {.name = "baton, ring of 4",
     .n = 4,
     .body = ring_body,
     .setup = baton_setup,
     .finish = baton_finish,
     .ops = &baton_ops},
};

static const variant rlock_variants[] = {
    {.name = "turn, pair", .n = 2, .body = rlock_turn_body, .finish = turn_finish},
    {.name = "turn, ring of 4", .n = 4, .body = rlock_turn_body, .finish = turn_finish},
};

#define QUEUE_VARIANT(label, kind, size, threads, items)                                           \
  {                                                                                                \
    .name = label, .n = threads, .body = ring_body, .setup = queue_setup, .finish = queue_finish,  \
    .ops = &queue_ops, .mode = kind, .maxsize = size, .burst = items                               \
  }

static const variant queue_variants[] = {
    QUEUE_VARIANT("FIFO, maxsize 1, pair", QUEUE_FIFO, 1, 2, 3),
    QUEUE_VARIANT("FIFO, unbounded, pair", QUEUE_FIFO, 0, 2, 3),
    QUEUE_VARIANT("FIFO, maxsize 1, ring of 4", QUEUE_FIFO, 1, 4, 3),
    QUEUE_VARIANT("FIFO, unbounded, ring of 4", QUEUE_FIFO, 0, 4, 3),
    QUEUE_VARIANT("LIFO, maxsize 1, pair", QUEUE_LIFO, 1, 2, 3),
    QUEUE_VARIANT("LIFO, unbounded, pair", QUEUE_LIFO, 0, 2, 1),
    QUEUE_VARIANT("LIFO, maxsize 1, ring of 4", QUEUE_LIFO, 1, 4, 3),
    QUEUE_VARIANT("priority, maxsize 1, pair", QUEUE_PRIORITY, 1, 2, 3),
    QUEUE_VARIANT("priority, unbounded, pair", QUEUE_PRIORITY, 0, 2, 1),
    QUEUE_VARIANT("priority, maxsize 1, ring of 4", QUEUE_PRIORITY, 1, 4, 3),
};

static const variant barrier_variants[] = {
    {.name = "2 parties",
     .n = 2,
     .body = barrier_body,
     .setup = barrier_setup,
     .finish = barrier_finish},
    {.name = "4 parties",
     .n = 4,
     .body = barrier_body,
     .setup = barrier_setup,
     .finish = barrier_finish},
    {.name = "4 parties, with action",
     .n = 4,
     .body = barrier_body,
     .setup = barrier_setup,
     .finish = barrier_finish,
     .mode = 1},
};

#define POOL_VARIANT(label, kind, submitters, workers)                                             \
  {                                                                                                \
    .name = label, .n = submitters, .body = pool_body, .setup = pool_setup, .finish = pool_finish, \
    .mode = kind, .maxsize = workers                                                               \
  }

static const variant pool_variants[] = {
    POOL_VARIANT("submit and result, 1 submitter, 1 worker", POOL_RESULT, 1, 1),
    POOL_VARIANT("submit and result, 2 submitters, 2 workers", POOL_RESULT, 2, 2),
    POOL_VARIANT("submit and result, 4 submitters, 2 workers", POOL_RESULT, 4, 2),
    POOL_VARIANT("fire and forget, the task signals, 1 worker", POOL_FIRE, 1, 1),
    POOL_VARIANT("fire and forget, the task signals, 2 submitters, 4 workers", POOL_FIRE, 2, 4),
    POOL_VARIANT("done callback signals, 1 worker", POOL_CALLBACK, 1, 1),
    POOL_VARIANT("done callback signals, 2 submitters, 2 workers", POOL_CALLBACK, 2, 2),
    POOL_VARIANT("cancel at once, 1 worker", POOL_CANCEL, 1, 1),
    POOL_VARIANT("cancel at once, 2 submitters, 2 workers", POOL_CANCEL, 2, 2),
};

#define FUTURE_VARIANT(label, kind, threads)                                                       \
  {                                                                                                \
    .name = label, .n = threads, .body = ring_body, .setup = fut_setup, .finish = fut_finish,      \
    .ops = &fut_ops, .mode = kind                                                                  \
  }

static const variant future_variants[] = {
    FUTURE_VARIANT("set_result and result, pair", FUT_RESULT, 2),
    FUTURE_VARIANT("set_result and result, ring of 4", FUT_RESULT, 4),
    FUTURE_VARIANT("done callback, pair", FUT_CALLBACK, 2),
    FUTURE_VARIANT("done callback, ring of 4", FUT_CALLBACK, 4),
    FUTURE_VARIANT("wait first, then all, pair", FUT_WAIT, 2),
    FUTURE_VARIANT("as_completed, pair", FUT_AS_COMPLETED, 2),
    FUTURE_VARIANT("as_completed, ring of 4", FUT_AS_COMPLETED, 4),
};

static const family event_family = {"event", event_variants, COUNT(event_variants)};
static const family cond_family = {"cond", cond_variants, COUNT(cond_variants)};
static const family sem_family = {"sem", sem_variants, COUNT(sem_variants)};
static const family lock_family = {"lock", lock_variants, COUNT(lock_variants)};
static const family rlock_family = {"rlock", rlock_variants, COUNT(rlock_variants)};
static const family queue_family = {"queue", queue_variants, COUNT(queue_variants)};
static const family barrier_family = {"barrier", barrier_variants, COUNT(barrier_variants)};
static const family pool_family = {"pool", pool_variants, COUNT(pool_variants)};
static const family future_family = {"future", future_variants, COUNT(future_variants)};

/* Six entries per family: thread kind x placement. */
#define PROTOCOL_ENTRIES(fam)                                                                      \
  void test_protocol_##fam##_weft_same_cpu(void) {                                                 \
    run_family(&fam##_family, WEFT_THREADS, SAME_CPU);                                             \
  }                                                                                                \
  void test_protocol_##fam##_weft_other_cpus(void) {                                               \
    run_family(&fam##_family, WEFT_THREADS, OTHER_CPUS);                                           \
  }                                                                                                \
  void test_protocol_##fam##_weft_unpinned(void) {                                                 \
    run_family(&fam##_family, WEFT_THREADS, UNPINNED);                                             \
  }                                                                                                \
  void test_protocol_##fam##_foreign_same_cpu(void) {                                              \
    run_family(&fam##_family, FOREIGN_THREADS, SAME_CPU);                                          \
  }                                                                                                \
  void test_protocol_##fam##_foreign_other_cpus(void) {                                            \
    run_family(&fam##_family, FOREIGN_THREADS, OTHER_CPUS);                                        \
  }                                                                                                \
  void test_protocol_##fam##_foreign_unpinned(void) {                                              \
    run_family(&fam##_family, FOREIGN_THREADS, UNPINNED);                                          \
  }

PROTOCOL_ENTRIES(event)
PROTOCOL_ENTRIES(cond)
PROTOCOL_ENTRIES(sem)
PROTOCOL_ENTRIES(lock)
PROTOCOL_ENTRIES(rlock)
PROTOCOL_ENTRIES(queue)
PROTOCOL_ENTRIES(barrier)
PROTOCOL_ENTRIES(pool)
PROTOCOL_ENTRIES(future)

/* ---- stress: the event ping-pong, long, across CPUs ----------------------------- */

/* Two raw foreign threads on different CPUs: at least 200k rounds, then on
 * until STRESS_BUDGET seconds have passed (natively 200k rounds take about
 * 0.15 s), never past STRESS_CAP seconds on slow rows. It reproduces a
 * stale wake-up: a set that makes the flag visible before it wakes the
 * waiters can wake the other side's next wait, which then returns on a
 * clear event. */
#define STRESS_BUDGET 1.0
#define STRESS_CAP 20.0

void test_protocol_event_stress(void) {
  unsigned cpus = check_placement(OTHER_CPUS);
  rounds limits = {test_scaled(200000), LONG_MAX, STRESS_BUDGET, STRESS_CAP};
  run_variant(&event_variants[0], "protocol.event_stress", FOREIGN_THREADS, OTHER_CPUS, cpus,
              limits);
}
