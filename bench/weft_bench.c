/* weft_bench: weft against the backend's own primitives (raw.h), in one run.
 *
 *   weft_bench [--quick]
 *
 * Three measurements, each on weft and on the raw primitive:
 *   - lock+unlock on one thread (ns per pair);
 *   - 2 and 4 threads doing lock, ++counter, unlock for a fixed time
 *     (operations per second; the counter must equal the operations done);
 *   - thread start+join of a thread that does nothing (us per thread).
 * Each figure is the median of several samples, with weft and raw taking
 * turns to go first so that drift (clock boost, a noisy neighbour) hits
 * both sides alike. The ratio is always weft's cost over raw's cost: time
 * per operation, so for the ops/s rows it is raw ops/s over weft ops/s.
 * A ratio at or below the goal means weft meets it.
 *
 * Exit status: 0, or 1 when a count came out wrong or a call failed. Slow
 * ratios never fail the run (the CI machines are too noisy for that);
 * --quick (under 2 s) is what the test suite runs on every row. */
#include "raw.h"
#include "weft.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WEFT_BENCH_CONFIG
#define WEFT_BENCH_CONFIG ""
#endif

enum { WEFT_SIDE, RAW_SIDE };
enum { MAX_REPEATS = 15, MAX_THREADS = 4, BATCH = 64 };

typedef struct config {
  int repeats;
  double lock_sample;      /* seconds per uncontended sample */
  double contended_sample; /* seconds per contended sample */
  double thread_sample;    /* seconds per start+join sample */
} config;

static const config full_run = {7, 0.100, 0.200, 0.120};
static const config quick_run = {3, 0.003, 0.015, 0.010};

static int failures;

static void fail(const char *what, int side) {
  fprintf(stderr, "weft_bench: %s (%s)\n", what, side == WEFT_SIDE ? "weft" : "raw");
  failures++;
}

/* One sample: side, threads, and either a count or a duration. */
typedef struct job {
  int side;
  unsigned threads;
  uint64_t n;
  double seconds;
} job;

/* Each sample returns seconds per operation. */
typedef double (*sample_fn)(const job *j);

/* weft's lock and the counter on cache lines of their own, as raw's mutex. */
static struct { _Alignas(64) weft_lock l; } weft_mutex;
static struct { _Alignas(64) uint64_t v; } counter;

static int weft_loop(uint64_t *c, uint64_t n) {
  int bad = 0;
  for (uint64_t i = 0; i < n; i++) {
    bad |= weft_lock_acquire(&weft_mutex.l, WEFT_FOREVER);
    ++*c;
    bad |= weft_lock_release(&weft_mutex.l);
  }
  return bad;
}

typedef int (*loop_fn)(uint64_t *counter, uint64_t n);
static const loop_fn loops[] = {[WEFT_SIDE] = weft_loop, [RAW_SIDE] = raw_mutex_loop};

/* -- 1. uncontended lock+unlock -- */

static double sample_uncontended(const job *j) {
  counter.v = 0;
  double t0 = weft_monotonic();
  int bad = loops[j->side](&counter.v, j->n);
  double t = weft_monotonic() - t0;
  if (bad) fail("lock or unlock failed", j->side);
  if (counter.v != j->n) fail("uncontended count is wrong", j->side);
  return t / (double)j->n;
}

/* -- 2. contended throughput -- */

typedef struct worker {
  _Alignas(64) raw_thread thread;
  loop_fn loop;
  uint64_t ops;
  int bad;
} worker;

static atomic_uint ready;
static atomic_bool go, stop;

static void work(void *arg) {
  worker *w = arg;
  atomic_fetch_add(&ready, 1);
  while (!atomic_load_explicit(&go, memory_order_acquire))
    weft_yield();
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    w->bad |= w->loop(&counter.v, BATCH);
    w->ops += BATCH;
  }
}

/* The workers are raw threads for both sides, so only the lock differs.
 * Time runs from the start signal until every worker has been joined. */
static double sample_contended(const job *j) {
  worker w[MAX_THREADS];
  unsigned started = 0;
  counter.v = 0;
  atomic_store(&ready, 0);
  atomic_store(&go, false);
  atomic_store(&stop, false);
  for (; started < j->threads; started++) {
    w[started] = (worker){.loop = loops[j->side]};
    if (raw_thread_start(&w[started].thread, work, &w[started]) != 0) {
      fail("cannot start a worker thread", j->side);
      break;
    }
  }
  while (atomic_load(&ready) < started)
    weft_yield();
  double t0 = weft_monotonic();
  atomic_store_explicit(&go, true, memory_order_release);
  weft_sleep(j->seconds);
  atomic_store_explicit(&stop, true, memory_order_relaxed);
  uint64_t ops = 0;
  for (unsigned i = 0; i < started; i++) {
    if (raw_thread_join(&w[i].thread) != 0) fail("cannot join a worker thread", j->side);
    if (w[i].bad) fail("lock or unlock failed", j->side);
    ops += w[i].ops;
  }
  double t = weft_monotonic() - t0;
  if (counter.v != ops) {
    fprintf(stderr, "weft_bench: counter %llu after %llu increments\n",
            (unsigned long long)counter.v, (unsigned long long)ops);
    fail("contended count is wrong", j->side);
  }
  return ops ? t / (double)ops : 1.0;
}

/* -- 3. thread start+join -- */

static atomic_ulong ran;

static void noop(void *arg) {
  (void)arg;
  atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed);
}

static bool weft_start_join(void) {
  weft_thread *t = weft_thread_new(noop, NULL);
  if (!t) return false;
  bool ok = weft_thread_start(t) == WEFT_OK && weft_thread_join(t, WEFT_FOREVER) == WEFT_OK;
  weft_thread_unref(t);
  return ok;
}

static bool raw_start_join(void) {
  raw_thread t;
  return raw_thread_start(&t, noop, NULL) == 0 && raw_thread_join(&t) == 0;
}

static double sample_threads(const job *j) {
  bool (*start_join)(void) = j->side == WEFT_SIDE ? weft_start_join : raw_start_join;
  atomic_store(&ran, 0);
  double t0 = weft_monotonic();
  uint64_t done = 0;
  while (done < j->n && start_join())
    done++;
  double t = weft_monotonic() - t0;
  if (done < j->n) fail("thread start or join failed", j->side);
  if (atomic_load(&ran) != done) fail("a thread did not run exactly once", j->side);
  return done ? t / (double)done : 1.0;
}

/* -- measuring -- */

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A count of operations that takes the raw side about `seconds`. */
static uint64_t calibrate(sample_fn sample, job j, uint64_t n, double seconds) {
  j.side = RAW_SIDE;
  for (;;) {
    j.n = n;
    double per_op = sample(&j);
    if ((per_op > 0 && per_op * (double)n >= seconds / 8) || n >= UINT64_MAX / 4) {
      double want = per_op > 0 ? seconds / per_op : (double)n;
      return want < 1 ? 1 : (uint64_t)want;
    }
    n *= 4;
  }
}

/* Median seconds per operation for each side, after one short warm-up. */
static void measure(sample_fn sample, job j, int repeats, double cost[2]) {
  double samples[2][MAX_REPEATS];
  job warm = j;
  warm.n = j.n / 8 ? j.n / 8 : 1;
  warm.seconds = j.seconds / 8;
  for (int side = 0; side < 2; side++) {
    warm.side = side;
    sample(&warm);
  }
  for (int r = 0; r < repeats; r++) {
    for (int k = 0; k < 2; k++) {
      j.side = (r + k) % 2; /* alternate who goes first */
      samples[j.side][r] = sample(&j);
    }
  }
  for (int side = 0; side < 2; side++)
    cost[side] = median(samples[side], repeats);
}

/* -- the report -- */

typedef struct row {
  const char *name;
  double scale;  /* cost (s/op) to shown value, or 0 for ops/s */
  double goal;   /* the ratio to stay at or below */
  int precision; /* decimals shown */
} row;

static int goals_met, goals_total;

static double shown(const row *r, double cost) {
  return r->scale ? cost * r->scale : 1e-6 / cost;
}

static void print_row(const row *r, const double cost[2]) {
  double ratio = cost[WEFT_SIDE] / cost[RAW_SIDE];
  bool met = ratio <= r->goal;
  goals_met += met;
  goals_total++;
  printf("%-30s %12.*f %12.*f %7.2f  <= %.2f %s\n", r->name, r->precision,
         shown(r, cost[WEFT_SIDE]), r->precision, shown(r, cost[RAW_SIDE]), ratio, r->goal,
         met ? "met" : "MISSED");
  fflush(stdout);
}

static int usage(FILE *out, int status) {
  fprintf(out, "usage: weft_bench [--quick]\n"
               "  --quick  a smoke run of under 2 s (the test suite runs it)\n");
  return status;
}

int main(int argc, char **argv) {
  const config *cfg = &full_run;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      cfg = &quick_run;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return usage(stdout, 0);
    else
      return usage(stderr, 2);
  }
  if (raw_mutex_init() != 0) {
    fprintf(stderr, "weft_bench: cannot initialise the raw mutex\n");
    return 1;
  }

  /* glibc's mutex skips its atomic instructions while the process has never
   * had a second thread (__libc_single_threaded); a program that needs a
   * lock has threads, so measure both sides in that state. */
  if (!raw_start_join()) fail("cannot start a first thread", RAW_SIDE);
  if (!weft_start_join()) fail("cannot start a first thread", WEFT_SIDE);

  double start = weft_monotonic();
  printf("weft_bench: weft %s, backend %s, %u CPUs, build %s, median of %d samples%s\n",
         weft_version(), weft_backend(), weft_cpu_count(),
         WEFT_BENCH_CONFIG[0] ? WEFT_BENCH_CONFIG : "(none)", cfg->repeats,
         cfg == &quick_run ? " (--quick)" : "");
  printf("raw side: %s, %s\n", raw_mutex_name, raw_thread_name);
  printf("ratio = weft cost / raw cost (time per operation; for ops/s rows, raw ops/s "
         "/ weft ops/s):\n<= 1.00 means weft is at least as fast as raw.\n\n");
  printf("%-30s %12s %12s %7s  %s\n", "benchmark", "weft", "raw", "ratio", "goal");

  double cost[2];
  job j = {.threads = 1};
  j.n = calibrate(sample_uncontended, j, 1024, cfg->lock_sample);
  measure(sample_uncontended, j, cfg->repeats, cost);
  print_row(&(row){"lock+unlock, 1 thread (ns)", 1e9, 1.00, 2}, cost);

  static const row contended_rows[] = {{"lock, 2 threads (Mops/s)", 0, 1.00, 2},
                                       {"lock, 4 threads (Mops/s)", 0, 1.00, 2}};
  for (unsigned i = 0; i < 2; i++) {
    j = (job){.threads = 2u << i, .seconds = cfg->contended_sample};
    measure(sample_contended, j, cfg->repeats, cost);
    print_row(&contended_rows[i], cost);
  }

  j = (job){.threads = 1};
  j.n = calibrate(sample_threads, j, 4, cfg->thread_sample);
  measure(sample_threads, j, cfg->repeats, cost);
  print_row(&(row){"thread start+join (us)", 1e6, 1.20, 1}, cost);

  raw_mutex_destroy();
  printf("\ngoals met: %d of %d; %s; %.1f s\n", goals_met, goals_total,
         failures ? "SOME COUNTS OR CALLS FAILED" : "all counts exact", weft_monotonic() - start);
  return failures ? 1 : 0;
}
