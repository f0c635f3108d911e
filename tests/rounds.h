/* Round-counting hand-off runs for test_rwlock.c and test_latch.c, in the
 * style of test_protocol.c: n threads (weft or foreign), pinned to one CPU,
 * to different CPUs, or unpinned, each keeping its round in a C11 atomic
 * and checking the others' after every wait that returns. A wait is bounded
 * (ROUNDS_WAIT_BOUND): one that times out is a lost wake-up.
 *
 * Rounds: until ROUNDS_BUDGET seconds have passed or ROUNDS_MAX are done,
 * but at least ROUNDS_MIN. The leader (thread 0) decides the last round
 * and stores it before the hand-off that starts it; the others read it
 * after receiving that hand-off. Static functions: each test file that
 * includes this has its own copy. */
#ifndef WEFT_TEST_ROUNDS_H
#define WEFT_TEST_ROUNDS_H

#include "foreign.h"
#include "test.h"

#include <stdarg.h>

enum { ROUNDS_THREADS = 4 };

#define ROUNDS_WAIT_BOUND 10.0
#define ROUNDS_BUDGET 0.025
#define ROUNDS_MIN 30
#define ROUNDS_MAX 20000 /* scaled by WEFT_STRESS_SCALE */

typedef enum { ROUNDS_WEFT, ROUNDS_FOREIGN } rounds_kind;
typedef enum { ROUNDS_SAME_CPU, ROUNDS_OTHER_CPUS, ROUNDS_UNPINNED } rounds_placement;

typedef struct rounds_run rounds_run;

typedef struct rounds_variant {
  const char *name;
  int n;
  void (*setup)(rounds_run *r);          /* may be NULL */
  void (*body)(rounds_run *r, int self); /* runs in each thread */
  void (*finish)(rounds_run *r);         /* final checks; may be NULL */
  int mode;                              /* the variant's own choice */
} rounds_variant;

typedef struct rounds_slot {
  rounds_run *r;
  int self;
} rounds_slot;

struct rounds_run {
  const rounds_variant *v;
  char label[160];
  int n;
  rounds_placement where;
  unsigned cpus;
  rounds_slot slots[ROUNDS_THREADS];
  atomic_int ready;
  double t0;
  long max_rounds;
  atomic_long stop;                  /* the last round, once decided; 0 before */
  atomic_long round[ROUNDS_THREADS]; /* each thread's finished (or started) round */
  atomic_long rounds_done;
  void *state; /* the test file's objects */
};

#define ROUNDS_FAIL(r, self, k, ...) rounds_fail_(__LINE__, (r), (self), (k), __VA_ARGS__)

static _Noreturn void rounds_fail_(int line, rounds_run *r, int self, long k, const char *fmt, ...)
    TEST_PRINTF(5, 6);

static void rounds_fail_(int line, rounds_run *r, int self, long k, const char *fmt, ...) {
  char msg[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  test_fail_(__FILE__, line, "%s: thread %d, round %ld: %s", r->label, self, k, msg);
}

/* A bounded wait's status: WEFT_TIMEOUT is a lost wake-up. */
static void rounds_ok(rounds_run *r, int self, long k, int status, const char *what) {
  if (status == WEFT_OK) return;
  if (status == WEFT_TIMEOUT)
    ROUNDS_FAIL(r, self, k, "lost wake-up: %s timed out after %.0f s", what, ROUNDS_WAIT_BOUND);
  ROUNDS_FAIL(r, self, k, "%s returned %d %s", what, status, test_status_name(status));
}

/* Thread j must be at round want[j]; anything else is an early, extra or
 * stale wake-up. */
static void rounds_expect(rounds_run *r, int self, long k, int j, long want, const char *after) {
  long got = atomic_load(&r->round[j]);
  if (got != want)
    ROUNDS_FAIL(r, self, k,
                "out of step after %s: thread %d is at round %ld, expected %ld "
                "(an early, extra or stale wake-up)",
                after, j, got, want);
}

/* The leader, at the start of round k: is it the last? */
static bool rounds_leader_decides(rounds_run *r, long k) {
  atomic_store(&r->rounds_done, k);
  double t = weft_monotonic() - r->t0;
  bool last = k >= r->max_rounds || (k >= ROUNDS_MIN && t >= ROUNDS_BUDGET);
  if (last) atomic_store(&r->stop, k);
  return last;
}

/* The others, once round k has reached them. */
static bool rounds_is_last(rounds_run *r, long k) {
  return atomic_load(&r->stop) == k;
}

static void rounds_pin(rounds_run *r, int self, unsigned cpu) {
  const char *why = "?";
  if (!test_pin_self(cpu, &why)) ROUNDS_FAIL(r, self, 0, "cannot pin to CPU %u: %s", cpu, why);
}

static void rounds_thread(void *arg) {
  rounds_slot *s = arg;
  rounds_run *r = s->r;
  if (r->where == ROUNDS_SAME_CPU) rounds_pin(r, s->self, 0);
  if (r->where == ROUNDS_OTHER_CPUS) rounds_pin(r, s->self, (unsigned)s->self % r->cpus);
  atomic_fetch_add(&r->ready, 1);
  double t0 = weft_monotonic();
  while (atomic_load(&r->ready) < r->n) {
    if (weft_monotonic() - t0 > 30.0) ROUNDS_FAIL(r, s->self, 0, "threads did not start");
    weft_yield();
  }
  r->v->body(r, s->self);
}

typedef struct rounds_probe {
  rounds_placement where;
  unsigned cpus;
  const char *why;
} rounds_probe;

static void rounds_probe_pinning(void *arg) {
  rounds_probe *p = arg;
  unsigned want = p->where == ROUNDS_SAME_CPU ? 1 : ROUNDS_THREADS;
  p->cpus = 0;
  while (p->cpus < want && test_pin_self(p->cpus, &p->why))
    p->cpus++;
}

/* Skip unless the placement is possible; the CPUs to spread threads over. */
static unsigned rounds_placement_cpus(rounds_placement where) {
  if (where == ROUNDS_UNPINNED) return 1;
  if (where == ROUNDS_OTHER_CPUS && test_cpu_count() < 2)
    test_skip("one CPU only: threads cannot be pinned to different CPUs");
  rounds_probe p = {where, 0, "?"};
  test_foreign_join(test_foreign_start(rounds_probe_pinning, &p));
  if (p.cpus == 0 || (where == ROUNDS_OTHER_CPUS && p.cpus < 2)) {
    static char why[200];
    snprintf(why, sizeof why, "cannot pin threads to %s: %s",
             where == ROUNDS_SAME_CPU ? "a CPU" : "two different CPUs", p.why);
    test_skip(why);
  }
  return p.cpus;
}

static rounds_run rounds_the_run;

static void rounds_run_variant(const rounds_variant *v, const char *test, rounds_kind kind,
                               rounds_placement where, unsigned cpus, void *state) {
  rounds_run *r = &rounds_the_run;
  memset(r, 0, sizeof *r);
  r->v = v;
  r->n = v->n;
  r->where = where;
  r->cpus = cpus;
  r->max_rounds = test_scaled(ROUNDS_MAX);
  r->state = state;
  snprintf(r->label, sizeof r->label, "%s [%s]", test, v->name);
  if (v->setup) v->setup(r);
  weft_thread *w[ROUNDS_THREADS] = {NULL};
  test_foreign *f[ROUNDS_THREADS] = {NULL};
  r->t0 = weft_monotonic();
  for (int i = 0; i < r->n; i++) {
    r->slots[i] = (rounds_slot){r, i};
    if (kind == ROUNDS_WEFT)
      w[i] = test_spawn(rounds_thread, &r->slots[i]);
    else
      f[i] = test_foreign_start(rounds_thread, &r->slots[i]);
  }
  for (int i = 0; i < r->n; i++) {
    if (kind == ROUNDS_WEFT)
      test_join(w[i]);
    else
      test_foreign_join(f[i]);
  }
  double took = weft_monotonic() - r->t0;
  long stop = atomic_load(&r->stop);
  CHECK(stop >= 1);
  for (int j = 0; j < r->n; j++)
    if (atomic_load(&r->round[j]) != stop)
      ROUNDS_FAIL(r, j, stop, "finished at round %ld", atomic_load(&r->round[j]));
  if (v->finish) v->finish(r);
  printf("%s: %ld rounds in %.3f s\n", r->label, atomic_load(&r->rounds_done), took);
}

/* Every variant of a family, as one CTest entry "<area>.protocol_<kind>_<placement>". */
static void rounds_run_family(const char *area, const rounds_variant *vs, size_t count,
                              rounds_kind kind, rounds_placement where, void *state) {
  static const char *const kinds[] = {"weft", "foreign"};
  static const char *const places[] = {"same_cpu", "other_cpus", "unpinned"};
  unsigned cpus = rounds_placement_cpus(where);
  char test[80];
  snprintf(test, sizeof test, "%s.protocol_%s_%s", area, kinds[kind], places[where]);
  for (size_t i = 0; i < count; i++)
    rounds_run_variant(&vs[i], test, kind, where, cpus, state);
}

#endif
