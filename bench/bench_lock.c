/* The lock area: weft_lock against the raw mutex (pthread_mutex_t, mtx_t,
 * an exclusive SRWLOCK).
 *
 * 1. lock+unlock on one thread, ns per pair; and again with lock-order
 *    checking on for weft's side (weft_set_debug), which must add at most
 *    200 ns per pair.
 * 2. Contended, as a user's program runs it: N threads (2, 4, 16, 64),
 *    unpinned, for a fixed time window; each operation takes the lock,
 *    increments a shared counter and does a few dozen ns of work on shared
 *    state, releases, then does a little work of its own. Reported:
 *    throughput (ratio: raw ops / weft ops in the window), CPU per
 *    operation, fairness (max / min operations per thread in the window)
 *    and acquire latency p50 / p99 / max (every 16th acquire timed).
 * 3. The same 2-thread contention measured each way the figures in the
 *    field were taken: fixed work (each thread does n operations, the time
 *    is until the last ends) or a time window; pinned to two CPUs or not;
 *    an empty critical section (just ++counter) or the work of 2; and the
 *    user's case with both threads on one CPU, where an unpinned program's
 *    threads often are.
 *
 * Both sides run lock_loop.h's loop on raw threads, so only the lock
 * differs; the counter must come out equal to the operations done. */
#include "bench.h"
#include "harness.h"
#include "lock_loop.h"
#include "raw.h"
#include "weft.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum {
  MAX_THREADS = 64,
  SAMPLE_EVERY = 16, /* time every 16th acquire */
  LAT_CAP = 8192,    /* kept per thread (a ring) */
  WORK_IN = 24,      /* bench_work rounds inside the lock (a few dozen ns) */
  WORK_OUT = 48,     /* and outside it */
};

/* The extras a contended sample reports. */
enum { X_FAIRNESS, X_P50, X_P99, X_MAX, X_FIRST_DONE, X_CPU_FAIRNESS };

/* The two locks and what they protect, each on cache lines of their own. */
static struct { _Alignas(64) weft_lock l; } weft_line;
static struct { _Alignas(64) raw_mutex m; } raw_line;
static lock_shared shared;

static int weft_acquire(void *l) {
  return weft_lock_acquire(l, WEFT_FOREVER);
}

static int weft_release(void *l) {
  return weft_lock_release(l);
}

static void run_side(int side, lock_worker *w) {
  if (side == WEFT_SIDE)
    lock_worker_run(w, weft_acquire, weft_release, &weft_line.l);
  else
    raw_mutex_run(&raw_line.m, w);
}

/* -- 1. uncontended lock+unlock -- */

/* ctx set: weft's side runs with lock-order checking on. */
static cost sample_uncontended(const job *j) {
  bool order = j->ctx && j->side == WEFT_SIDE;
  if (order && weft_set_debug(WEFT_DEBUG_LOCK_ORDER, 0) != WEFT_OK)
    bench_fail("cannot turn lock order on", j->side);
  shared.counter = 0;
  lock_worker w = {.shared = &shared, .n = j->n};
  meter m = bench_start();
  run_side(j->side, &w);
  cost c = bench_stop(m, (double)j->n);
  if (order) weft_set_debug(0, 0);
  if (w.bad) bench_fail("lock or unlock failed", j->side);
  if (shared.counter != j->n) bench_fail("uncontended count is wrong", j->side);
  return c;
}

/* -- 2 and 3. contended -- */

enum { UNPINNED, APART, SHARED };

typedef struct lock_case {
  bool window;     /* a time window (else fixed work: j->n per thread) */
  int pinned;      /* APART: thread i on CPU i (mod the CPUs); SHARED: all on CPU 0 */
  bool work;       /* WORK_IN / WORK_OUT rounds (else an empty section) */
  bool latency;    /* time every SAMPLE_EVERY-th acquire */
  const char *tag; /* CSV variant */
} lock_case;

typedef struct worker {
  _Alignas(64) raw_thread thread;
  lock_worker loop;
  int side;
  int cpu; /* -1: unpinned */
  bool pin_failed;
  double done_at; /* bench_now() when its loop ended */
  double cpu_s;   /* the thread's CPU seconds in its loop; < 0: unknown */
} worker;

static worker workers[MAX_THREADS];
static uint32_t lat_store[MAX_THREADS][LAT_CAP];
static atomic_uint ready;
static atomic_bool go, stop;

static void worker_main(void *arg) {
  worker *w = arg;
  if (w->cpu >= 0 && !bench_pin(w->cpu)) w->pin_failed = true;
  atomic_fetch_add(&ready, 1);
  while (!atomic_load_explicit(&go, memory_order_acquire))
    weft_yield();
  double cpu0 = raw_thread_cpu();
  run_side(w->side, &w->loop);
  w->done_at = bench_now();
  double cpu1 = raw_thread_cpu();
  w->cpu_s = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
}

typedef struct weighted {
  double v, w;
} weighted;

static int compare_weighted(const void *a, const void *b) {
  double x = ((const weighted *)a)->v, y = ((const weighted *)b)->v;
  return (x > y) - (x < y);
}

/* p50 and p99 of the sampled acquires of all workers. A worker that took
 * more samples than its ring keeps stands for the ones it dropped: each
 * kept sample weighs count / kept, so every acquire counts alike. */
static void latency_quantiles(unsigned n, double *p50, double *p99) {
  static weighted all[MAX_THREADS * LAT_CAP];
  size_t len = 0;
  double total = 0;
  for (unsigned i = 0; i < n; i++) {
    lock_worker *w = &workers[i].loop;
    size_t kept = w->lat_count < LAT_CAP ? (size_t)w->lat_count : LAT_CAP;
    double weight = kept ? (double)w->lat_count / (double)kept : 0;
    for (size_t k = 0; k < kept; k++)
      all[len++] = (weighted){w->lat[k] * 1e-9, weight};
    total += (double)w->lat_count;
  }
  *p50 = *p99 = 0;
  if (!len) return;
  qsort(all, len, sizeof *all, compare_weighted);
  double sum = 0;
  bool have50 = false;
  for (size_t k = 0; k < len; k++) {
    sum += all[k].w;
    if (!have50 && sum >= 0.50 * total) {
      *p50 = all[k].v;
      have50 = true;
    }
    if (sum >= 0.99 * total) {
      *p99 = all[k].v;
      return;
    }
  }
  *p99 = all[len - 1].v;
}

static cost sample_contended(const job *j) {
  const lock_case *c = j->ctx;
  unsigned started = 0, n = j->threads < MAX_THREADS ? j->threads : MAX_THREADS;
  shared.counter = 0;
  atomic_store(&ready, 0);
  atomic_store(&go, false);
  atomic_store(&stop, false);
  for (; started < n; started++) {
    worker *w = &workers[started];
    *w = (worker){.side = j->side,
                  .cpu = !bench_pin_cpus || c->pinned == UNPINNED ? -1
                         : c->pinned == SHARED                    ? 0
                                               : (int)(started % bench_pin_cpus)};
    w->loop = (lock_worker){.shared = &shared,
                            .stop = c->window ? &stop : NULL,
                            .n = j->n,
                            .work_in = c->work ? WORK_IN : 0,
                            .work_out = c->work ? WORK_OUT : 0,
                            .sample_every = c->latency ? SAMPLE_EVERY : 0,
                            .lat = lat_store[started],
                            .lat_cap = LAT_CAP};
    if (raw_thread_start(&w->thread, worker_main, w) != 0) {
      bench_fail("cannot start a worker thread", j->side);
      break;
    }
  }
  while (atomic_load(&ready) < started)
    weft_yield();
  meter m = bench_start();
  atomic_store_explicit(&go, true, memory_order_release);
  if (c->window) {
    weft_sleep(j->seconds);
    atomic_store_explicit(&stop, true, memory_order_relaxed);
  }
  uint64_t ops = 0, most = 0, least = UINT64_MAX;
  double cpu_most = 0, cpu_least = INFINITY;
  double worst = 0, first_done = INFINITY, last_done = 0;
  bool pin_failed = false;
  for (unsigned i = 0; i < started; i++) {
    worker *w = &workers[i];
    if (raw_thread_join(&w->thread) != 0) bench_fail("cannot join a worker thread", j->side);
    if (w->loop.bad) bench_fail("lock or unlock failed", j->side);
    pin_failed |= w->pin_failed;
    ops += w->loop.ops;
    if (w->loop.ops > most) most = w->loop.ops;
    if (w->loop.ops < least) least = w->loop.ops;
    if (w->loop.lat_max > worst) worst = w->loop.lat_max;
    if (w->cpu_s > cpu_most) cpu_most = w->cpu_s;
    if (w->cpu_s < cpu_least) cpu_least = w->cpu_s;
    if (w->done_at < first_done) first_done = w->done_at;
    if (w->done_at > last_done) last_done = w->done_at;
  }
  cost out = bench_stop(m, (double)ops);
  if (pin_failed) bench_fail("cannot pin a worker thread", j->side);
  if (shared.counter != ops) {
    fprintf(stderr, "lock: counter %llu after %llu increments\n",
            (unsigned long long)shared.counter, (unsigned long long)ops);
    bench_fail("contended count is wrong", j->side);
  }
  if (!c->window && ops != (uint64_t)started * j->n)
    bench_fail("a worker did not do its share", j->side);
  out.extra[X_FAIRNESS] = least ? (double)most / (double)least : INFINITY;
  /* The threads' shares of CPU time likewise: where these are as uneven as
   * the operations, the scheduler's placement made the difference. */
  out.extra[X_CPU_FAIRNESS] = cpu_least > 0 ? cpu_most / cpu_least : NAN;
  if (c->latency) latency_quantiles(started, &out.extra[X_P50], &out.extra[X_P99]);
  out.extra[X_MAX] = worst;
  /* With fixed work, how far into the run the first thread was done: the
   * rest of the run had one thread left, uncontended. */
  out.extra[X_FIRST_DONE] = last_done > m.wall ? (first_done - m.wall) / (last_done - m.wall) : 1;
  return out;
}

/* -- the rows -- */

/* How long WORK_IN and WORK_OUT rounds take here, for the report. */
static volatile uint64_t work_sink;

static void print_work(void) {
  uint64_t x = 1;
  int n = 20000;
  double in = INFINITY;
  for (int trial = 0; trial < 5; trial++) { /* the quickest: preemption only adds */
    double t0 = bench_now();
    for (int i = 0; i < n; i++)
      x = bench_work(x, WORK_IN);
    double t = (bench_now() - t0) / n;
    if (t < in) in = t;
  }
  work_sink = x;
  char line[160];
  snprintf(line, sizeof line,
           "contended: inside the lock ++counter + %d rounds of work (%.0f ns), outside %d "
           "(%.0f ns)",
           WORK_IN, in * 1e9, WORK_OUT, in * 1e9 * WORK_OUT / WORK_IN);
  bench_print_text(line);
}

static void run_uncontended(const bench_config *cfg) {
  static const row r = {.name = "lock+unlock, 1 thread",
                        .benchmark = "lock.uncontended",
                        .metric = "time",
                        .threads = 1,
                        .unit = "ns",
                        .scale = 1e9,
                        .precision = 2,
                        .goal = 1.00,
                        .cpu_goal = 1.00};
  static const row order = {.name = "lock+unlock, 1 thread, lock order on",
                            .benchmark = "lock.uncontended",
                            .variant = "lock-order",
                            .metric = "time",
                            .threads = 1,
                            .unit = "ns",
                            .scale = 1e9,
                            .precision = 2};
  if (!bench_wanted(r.name)) return;
  job j = {.threads = 1};
  j.n = bench_calibrate(sample_uncontended, j, 1024, cfg->lock_sample);
  cost c[2];
  bench_measure(sample_uncontended, j, cfg->repeats, c);
  bench_print_row(&r, c, NULL);
  if (!bench_wanted(order.name)) return;
  job checked = j;
  checked.ctx = &order;
  cost k[2];
  bench_measure(sample_uncontended, checked, cfg->repeats, k);
  /* CPU time per pair: on a loaded machine it wanders far less than wall
   * time (a single thread that is not running is not charged). */
  bool cpu = k[0].cpu == k[0].cpu && c[0].cpu == c[0].cpu;
  double extra = (cpu ? k[0].cpu - c[0].cpu : k[0].wall - c[0].wall) * 1e9;
  char note[96];
  snprintf(note, sizeof note, "checking adds %.1f ns%s a pair (goal <= 200): %s", extra,
           cpu ? " of CPU" : "", extra <= 200 ? "met" : "MISSED");
  bench_print_row(&order, k, note);
}

static void run_contended(const bench_config *cfg, unsigned threads) {
  static const lock_case user = {true, UNPINNED, true, true, "window+work"};
  char name[6][64];
  snprintf(name[0], sizeof name[0], "lock, %u threads", threads);
  if (!bench_wanted(name[0])) return;
  snprintf(name[1], sizeof name[1], "lock, %u threads: fairness", threads);
  snprintf(name[2], sizeof name[2], "lock, %u threads: acquire p50", threads);
  snprintf(name[3], sizeof name[3], "lock, %u threads: acquire p99", threads);
  snprintf(name[4], sizeof name[4], "lock, %u threads: acquire max", threads);
  snprintf(name[5], sizeof name[5], "lock, %u threads: CPU time", threads);
  job j = {.threads = threads, .seconds = cfg->lock_window, .ctx = &user};
  cost c[2];
  bench_measure(sample_contended, j, cfg->repeats, c);
  row r = {.name = name[0],
           .benchmark = "lock.contended",
           .variant = user.tag,
           .metric = "throughput",
           .threads = threads,
           .placement = "unpinned",
           .unit = "Mops/s",
           .precision = 2,
           .goal = threads <= 4 ? 1.00 : 1 / 1.5,
           .cpu_goal = threads <= 4 ? 1.00 : 0};
  char note[64];
  snprintf(note, sizeof note, "CPUs busy weft %.2f raw %.2f", c[0].cpu / c[0].wall,
           c[1].cpu / c[1].wall);
  bench_print_row(&r, c, note);
  double fair[2] = {c[0].extra[X_FAIRNESS], c[1].extra[X_FAIRNESS]};
  r = (row){.name = name[1],
            .benchmark = "lock.contended",
            .variant = user.tag,
            .metric = "fairness",
            .threads = threads,
            .placement = "unpinned",
            .unit = "max/min",
            .precision = 2,
            .goal = 1.00};
  bench_print_stat(&r, fair, NULL, "per-thread ops in the window");
  r.name = name[5];
  r.metric = "cpu-fairness";
  r.goal = 0;
  double cpu_fair[2] = {c[0].extra[X_CPU_FAIRNESS], c[1].extra[X_CPU_FAIRNESS]};
  bench_print_stat(&r, cpu_fair, NULL, "per-thread CPU time in the window");
  static const char *const metric[3] = {"p50", "p99", "max"};
  for (int k = 0; k < 3; k++) {
    double v[2] = {c[0].extra[X_P50 + k] * 1e6, c[1].extra[X_P50 + k] * 1e6};
    r = (row){.name = name[2 + k],
              .benchmark = "lock.contended",
              .variant = user.tag,
              .metric = metric[k],
              .threads = threads,
              .placement = "unpinned",
              .unit = "us",
              .precision = 2,
              .goal = k == 2 ? 1.00 : 0};
    bench_print_stat(&r, v, NULL, k == 2 ? "median over samples of each's longest" : NULL);
  }
}

/* The eight ways to measure 2-thread contention, and the two threads on
 * one CPU. */
static void run_methods(const bench_config *cfg) {
  static const lock_case cases[] = {
      {false, APART, false, false, "fixed+pinned+empty"},
      {false, UNPINNED, false, false, "fixed+unpinned+empty"},
      {true, APART, false, false, "window+pinned+empty"},
      {true, UNPINNED, false, false, "window+unpinned+empty"},
      {false, APART, true, false, "fixed+pinned+work"},
      {false, UNPINNED, true, false, "fixed+unpinned+work"},
      {true, APART, true, false, "window+pinned+work"},
      {true, UNPINNED, true, false, "window+unpinned+work"},
      /* Where an unpinned program's two threads often end up: one CPU. */
      {true, SHARED, true, false, "window+one-cpu+work"},
  };
  bench_print_text("2-thread contention, each way of measuring it (fixed work: time until the "
                   "last thread is done):");
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const lock_case *c = &cases[i];
    char name[64];
    snprintf(name, sizeof name, "lock 2t %s", c->tag);
    if (!bench_wanted(name)) continue;
    row r = {.name = name,
             .benchmark = "lock.method",
             .variant = c->tag,
             .metric = "throughput",
             .threads = 2,
             .placement = c->pinned == APART    ? "pinned"
                          : c->pinned == SHARED ? "same-cpu"
                                                : "unpinned",
             .unit = "Mops/s",
             .precision = 2};
    if (c->pinned != UNPINNED && bench_pin_cpus < (c->pinned == APART ? 2u : 1u)) {
      bench_print_text(bench_pin_cpus ? "  (pinned rows skipped: one CPU)"
                                      : "  (pinned rows skipped: no pinning here)");
      continue;
    }
    job j = {.threads = 2, .seconds = cfg->method_sample, .ctx = c};
    if (!c->window) j.n = bench_calibrate(sample_contended, j, 1024, cfg->method_sample) / 2;
    cost k[2];
    bench_measure(sample_contended, j, cfg->repeats, k);
    char note[128];
    int len = snprintf(note, sizeof note, "CPUs busy weft %.2f raw %.2f; ", k[0].cpu / k[0].wall,
                       k[1].cpu / k[1].wall);
    if (c->window)
      snprintf(note + len, sizeof note - (size_t)len, "fairness weft %.2f raw %.2f",
               k[0].extra[X_FAIRNESS], k[1].extra[X_FAIRNESS]);
    else
      snprintf(note + len, sizeof note - (size_t)len,
               "first thread done at weft %.0f%% raw %.0f%% of the run",
               100 * k[0].extra[X_FIRST_DONE], 100 * k[1].extra[X_FIRST_DONE]);
    bench_print_row(&r, k, note);
  }
}

void bench_lock(const bench_config *cfg) {
  if (raw_mutex_init(&raw_line.m) != 0) {
    bench_fail("cannot initialise the raw mutex", RAW_SIDE);
    return;
  }
  run_uncontended(cfg);
  print_work();
  for (unsigned i = 0; i < LOCK_COUNTS; i++)
    run_contended(cfg, cfg->lock_threads[i]);
  run_methods(cfg);
  raw_mutex_destroy(&raw_line.m);
}
