/* weft_bench: weft's lock and threads against the backend's own (raw.h),
 * in one run (weft_bench_sync does conditions, queues, timers and locals).
 *
 *   weft_bench [--quick]
 *
 * Three measurements, each on weft and on the raw primitive:
 *   - lock+unlock on one thread (ns per pair);
 *   - 2 and 4 threads doing lock, ++counter, unlock for a fixed time
 *     (operations per second; the counter must equal the operations done);
 *   - thread start+join of a thread that does nothing (us per thread).
 * Each figure is the median of several samples (harness.h). The ratio is
 * always weft's cost over raw's cost: time per operation, so for the ops/s
 * rows it is raw ops/s over weft ops/s. A ratio at or below the goal means
 * weft meets it.
 *
 * Exit status: 0, or 1 when a count came out wrong or a call failed. Slow
 * ratios never fail the run (the CI machines are too noisy for that);
 * --quick (under 2 s) is what the test suite runs on every row. */
#include "harness.h"
#include "raw.h"
#include "weft.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifndef WEFT_BENCH_CONFIG
#define WEFT_BENCH_CONFIG ""
#endif

enum { MAX_THREADS = 4, BATCH = 64 };

typedef struct config {
  int repeats;
  double lock_sample;      /* seconds per uncontended sample */
  double contended_sample; /* seconds per contended sample */
  double thread_sample;    /* seconds per start+join sample */
} config;

static const config full_run = {7, 0.100, 0.200, 0.120};
static const config quick_run = {3, 0.003, 0.015, 0.010};

/* The two locks and the counter on cache lines of their own. */
static struct { _Alignas(64) weft_lock l; } weft_mutex;
static struct { _Alignas(64) raw_mutex m; } raw_mutex_line;
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

static int raw_loop(uint64_t *c, uint64_t n) {
  return raw_mutex_loop(&raw_mutex_line.m, c, n);
}

typedef int (*loop_fn)(uint64_t *counter, uint64_t n);
static const loop_fn loops[] = {[WEFT_SIDE] = weft_loop, [RAW_SIDE] = raw_loop};

/* -- 1. uncontended lock+unlock -- */

static double sample_uncontended(const job *j) {
  counter.v = 0;
  double t0 = weft_monotonic();
  int bad = loops[j->side](&counter.v, j->n);
  double t = weft_monotonic() - t0;
  if (bad) bench_fail("lock or unlock failed", j->side);
  if (counter.v != j->n) bench_fail("uncontended count is wrong", j->side);
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
      bench_fail("cannot start a worker thread", j->side);
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
    if (raw_thread_join(&w[i].thread) != 0) bench_fail("cannot join a worker thread", j->side);
    if (w[i].bad) bench_fail("lock or unlock failed", j->side);
    ops += w[i].ops;
  }
  double t = weft_monotonic() - t0;
  if (counter.v != ops) {
    fprintf(stderr, "weft_bench: counter %llu after %llu increments\n",
            (unsigned long long)counter.v, (unsigned long long)ops);
    bench_fail("contended count is wrong", j->side);
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
  if (done < j->n) bench_fail("thread start or join failed", j->side);
  if (atomic_load(&ran) != done) bench_fail("a thread did not run exactly once", j->side);
  return done ? t / (double)done : 1.0;
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
  bench_init("weft_bench");
  if (raw_mutex_init(&raw_mutex_line.m) != 0) {
    fprintf(stderr, "weft_bench: cannot initialise the raw mutex\n");
    return 1;
  }

  /* glibc's mutex skips its atomic instructions while the process has never
   * had a second thread (__libc_single_threaded); a program that needs a
   * lock has threads, so measure both sides in that state. */
  if (!raw_start_join()) bench_fail("cannot start a first thread", RAW_SIDE);
  if (!weft_start_join()) bench_fail("cannot start a first thread", WEFT_SIDE);

  double start = weft_monotonic();
  printf("weft_bench: weft %s, backend %s, %u CPUs, build %s, median of %d samples%s\n",
         weft_version(), weft_backend(), weft_cpu_count(),
         WEFT_BENCH_CONFIG[0] ? WEFT_BENCH_CONFIG : "(none)", cfg->repeats,
         cfg == &quick_run ? " (--quick)" : "");
  printf("raw side: %s, %s\n", raw_mutex_name, raw_thread_name);
  printf("ratio = weft cost / raw cost (time per operation; for ops/s rows, raw ops/s "
         "/ weft ops/s):\n<= 1.00 means weft is at least as fast as raw.\n\n");
  bench_print_header();

  double cost[2];
  job j = {.threads = 1};
  j.n = bench_calibrate(sample_uncontended, j, 1024, cfg->lock_sample);
  bench_measure(sample_uncontended, j, cfg->repeats, cost);
  bench_print_row(&(row){"lock+unlock, 1 thread (ns)", 1e9, 1.00, 2}, cost);

  static const row contended_rows[] = {{"lock, 2 threads (Mops/s)", 0, 1.00, 2},
                                       {"lock, 4 threads (Mops/s)", 0, 1.00, 2}};
  for (unsigned i = 0; i < 2; i++) {
    j = (job){.threads = 2u << i, .seconds = cfg->contended_sample};
    bench_measure(sample_contended, j, cfg->repeats, cost);
    bench_print_row(&contended_rows[i], cost);
  }

  j = (job){.threads = 1};
  j.n = bench_calibrate(sample_threads, j, 4, cfg->thread_sample);
  bench_measure(sample_threads, j, cfg->repeats, cost);
  bench_print_row(&(row){"thread start+join (us)", 1e6, 1.20, 1}, cost);

  raw_mutex_destroy(&raw_mutex_line.m);
  return bench_finish(start);
}
