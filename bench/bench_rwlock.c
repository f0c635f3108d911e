/* weft_bench_rwlock: weft_rwlock against the OS's reader-writer lock
 * (raw_rwlock.h: pthread_rwlock_t, or SRWLOCK on Windows) in one run.
 *
 *   weft_bench_rwlock [--quick]
 *
 * Rows, each measured on both sides:
 *   - uncontended read acquire+release on one thread (ns per pair);
 *   - read-mostly throughput: 4 and 16 reader threads reading as fast as
 *     they can, one writer thread writing 1% of all operations (it writes,
 *     then waits outside the lock until the readers have done 99 more
 *     reads per write); Mops/s of reads + writes.
 * Every row shows wall time and CPU time (the whole process's, from
 * getrusage / GetProcessTimes) per operation, and the ratios weft / raw:
 * for throughput rows the ratio of operations per second (>= 1.00: weft
 * moves at least as many), for the rest the ratio of costs (<= 1.00: weft
 * is at least as cheap). Each figure is the median of several samples, the
 * sides taking turns to go first. Goals: uncontended <= 1.00, read-mostly
 * throughput >= 1.00.
 *
 * Readers check that the writer's two fields are equal (a torn read means
 * the lock let a reader in beside a writer) and the writes are counted:
 * exit status 1 on a wrong count or a failed call, never on a ratio.
 * --quick (well under 2 s) is the smoke run the test suite runs. */
#include "raw_rwlock.h"
#include "weft.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WEFT_BENCH_CONFIG
#define WEFT_BENCH_CONFIG ""
#endif

enum { WEFT_SIDE, RAW_SIDE, SIDES };
enum { MAX_READERS = 16, BATCH = 64, MAX_REPEATS = 15 };

typedef struct config {
  int repeats;
  double uncontended; /* seconds per uncontended sample */
  double mixed;       /* seconds per read-mostly sample */
} config;

static const config full_run = {7, 0.100, 0.250};
static const config quick_run = {3, 0.005, 0.020};

static struct { _Alignas(64) weft_rwlock l; } weft_line;
static struct { _Alignas(64) raw_rwlock l; } raw_line;
static struct { _Alignas(64) rw_data d; } data;
static int failures;

static const char *const side_names[] = {"weft", "raw"};

static void fail(const char *what, int side) {
  fprintf(stderr, "weft_bench_rwlock: %s (%s side)\n", what, side_names[side]);
  failures++;
}

/* Seconds per operation: wall clock and the process's CPU time. */
typedef struct cost {
  double wall, cpu;
} cost;

typedef struct clocks {
  double wall, cpu;
} clocks;

static clocks now(void) {
  clocks c = {weft_monotonic(), raw_cpu_seconds()};
  return c;
}

static cost per_op(clocks t0, uint64_t ops) {
  clocks t1 = now();
  cost c = {1.0, 1.0};
  if (ops) {
    c.wall = (t1.wall - t0.wall) / (double)ops;
    c.cpu = (t1.cpu - t0.cpu) / (double)ops;
  }
  return c;
}

/* -- weft's side of the loops, as raw_rwlock_*.c writes the raw side -- */

static uint64_t weft_read_loop(const rw_data *d, uint64_t n, int *bad) {
  const volatile rw_data *v = d;
  uint64_t torn = 0;
  for (uint64_t i = 0; i < n; i++) {
    *bad |= weft_rwlock_acquire_shared(&weft_line.l, WEFT_FOREVER);
    torn += v->a != v->b;
    *bad |= weft_rwlock_release_shared(&weft_line.l);
  }
  return torn;
}

static int weft_write(rw_data *d) {
  volatile rw_data *v = d;
  int bad = weft_rwlock_acquire_exclusive(&weft_line.l, WEFT_FOREVER);
  v->a++;
  v->b++;
  return bad | weft_rwlock_release_exclusive(&weft_line.l);
}

static uint64_t read_loop(int side, uint64_t n, int *bad) {
  return side == WEFT_SIDE ? weft_read_loop(&data.d, n, bad)
                           : raw_rwlock_read_loop(&raw_line.l, &data.d, n, bad);
}

static int write_once(int side) {
  return side == WEFT_SIDE ? weft_write(&data.d) : raw_rwlock_write(&raw_line.l, &data.d);
}

/* -- 1. uncontended read acquire+release -- */

static cost sample_uncontended(int side, uint64_t n) {
  int bad = 0;
  clocks t0 = now();
  uint64_t torn = read_loop(side, n, &bad);
  cost c = per_op(t0, n);
  if (bad) fail("a read acquire or release failed", side);
  if (torn) fail("a torn read without any writer", side);
  return c;
}

/* Operations that take about `seconds` on the raw side. */
static uint64_t calibrate(double seconds) {
  uint64_t n = 1024;
  for (;;) {
    double t = sample_uncontended(RAW_SIDE, n).wall * (double)n;
    if (t >= seconds / 4 || n >= (UINT64_C(1) << 34)) {
      double want = (double)n * seconds / (t > 0 ? t : 1e-9);
      return want < 1024 ? 1024 : (uint64_t)want;
    }
    n *= 4;
  }
}

/* -- 2. read-mostly: readers plus one writer doing 1% of the operations -- */

typedef struct reader {
  _Alignas(64) atomic_ullong ops;
  uint64_t torn;
  int bad;
} reader;

typedef struct mixed {
  int side;
  unsigned readers;
  atomic_uint ready;
  atomic_bool go, stop;
  reader r[MAX_READERS];
  uint64_t writes;
  int writer_bad;
} mixed;

static mixed run;

static void wait_for_go(void) {
  atomic_fetch_add(&run.ready, 1);
  while (!atomic_load_explicit(&run.go, memory_order_acquire))
    weft_yield();
}

static void read_body(void *arg) {
  reader *r = arg;
  wait_for_go();
  while (!atomic_load_explicit(&run.stop, memory_order_relaxed)) {
    r->torn += read_loop(run.side, BATCH, &r->bad);
    atomic_fetch_add_explicit(&r->ops, BATCH, memory_order_relaxed);
  }
}

static uint64_t reads_so_far(void) {
  uint64_t sum = 0;
  for (unsigned i = 0; i < run.readers; i++)
    sum += atomic_load_explicit(&run.r[i].ops, memory_order_relaxed);
  return sum;
}

static void write_body(void *arg) {
  (void)arg;
  wait_for_go();
  while (!atomic_load_explicit(&run.stop, memory_order_relaxed)) {
    run.writer_bad |= write_once(run.side);
    run.writes++;
    while (reads_so_far() < 99 * run.writes &&
           !atomic_load_explicit(&run.stop, memory_order_relaxed))
      weft_yield();
  }
}

static cost sample_mixed(int side, unsigned readers, double seconds, double *write_share) {
  memset(&run, 0, sizeof run);
  data.d.a = data.d.b = 0;
  run.side = side;
  run.readers = readers;
  weft_thread *t[MAX_READERS + 1];
  unsigned started = 0;
  for (; started <= readers; started++) {
    t[started] = weft_thread_new(started < readers ? read_body : write_body,
                                 started < readers ? (void *)&run.r[started] : NULL);
    if (!t[started] || weft_thread_start(t[started]) != WEFT_OK) {
      fail("cannot start a thread", side);
      weft_thread_unref(t[started]);
      break;
    }
  }
  while (atomic_load(&run.ready) < started)
    weft_yield();
  clocks t0 = now();
  atomic_store_explicit(&run.go, true, memory_order_release);
  weft_sleep(seconds);
  atomic_store_explicit(&run.stop, true, memory_order_relaxed);
  for (unsigned i = 0; i < started; i++) {
    if (weft_thread_join(t[i], WEFT_FOREVER) != WEFT_OK) fail("cannot join a thread", side);
    weft_thread_unref(t[i]);
  }
  uint64_t reads = reads_so_far(), ops = reads + run.writes;
  cost c = per_op(t0, ops);
  for (unsigned i = 0; i < readers; i++) {
    if (run.r[i].bad) fail("a read acquire or release failed", side);
    if (run.r[i].torn) fail("a reader saw a write half done", side);
  }
  if (run.writer_bad) fail("a write acquire or release failed", side);
  if (data.d.a != run.writes || data.d.b != run.writes) fail("writes were lost", side);
  *write_share = ops ? (double)run.writes / (double)ops : 0;
  return c;
}

/* -- measuring and printing -- */

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct row {
  const char *name;
  bool throughput; /* Mops/s and a ratio of operations per second */
  unsigned readers;
  uint64_t n;
} row;

static void measure(const config *cfg, const row *rw, cost out[SIDES], double share[SIDES]) {
  double wall[SIDES][MAX_REPEATS], cpu[SIDES][MAX_REPEATS], sh[SIDES][MAX_REPEATS];
  for (int k = 0; k < cfg->repeats; k++)
    for (int i = 0; i < SIDES; i++) {
      int side = (k + i) % 2; /* take turns to go first */
      cost c = rw->throughput ? sample_mixed(side, rw->readers, cfg->mixed, &sh[side][k])
                              : sample_uncontended(side, rw->n);
      if (!rw->throughput) sh[side][k] = 0;
      wall[side][k] = c.wall;
      cpu[side][k] = c.cpu;
    }
  for (int side = 0; side < SIDES; side++) {
    out[side].wall = median(wall[side], cfg->repeats);
    out[side].cpu = median(cpu[side], cfg->repeats);
    share[side] = median(sh[side], cfg->repeats);
  }
}

static int goals_missed;

static void print_row(const row *rw, const cost c[SIDES], const double share[SIDES]) {
  char note[64] = "";
  double wall_ratio, shown[SIDES];
  bool met;
  if (rw->throughput) {
    for (int s = 0; s < SIDES; s++)
      shown[s] = 1e-6 / c[s].wall;
    wall_ratio = shown[WEFT_SIDE] / shown[RAW_SIDE];
    met = wall_ratio >= 1.00;
    snprintf(note, sizeof note, " (writes %.1f%% / %.1f%%)", 100 * share[WEFT_SIDE],
             100 * share[RAW_SIDE]);
  } else {
    for (int s = 0; s < SIDES; s++)
      shown[s] = 1e9 * c[s].wall;
    wall_ratio = c[WEFT_SIDE].wall / c[RAW_SIDE].wall;
    met = wall_ratio <= 1.00;
  }
  double cpu_ratio = c[RAW_SIDE].cpu > 0 ? c[WEFT_SIDE].cpu / c[RAW_SIDE].cpu : 0;
  if (!met) goals_missed++;
  printf("%-44s %9.2f %9.2f %6.2f%s | %8.1f %8.1f %6.2f%s\n", rw->name, shown[WEFT_SIDE],
         shown[RAW_SIDE], wall_ratio, met ? "  " : " !", 1e9 * c[WEFT_SIDE].cpu,
         1e9 * c[RAW_SIDE].cpu, cpu_ratio, note);
}

static int usage(FILE *out, int status) {
  fprintf(out, "usage: weft_bench_rwlock [--quick]\n"
               "  --quick  a smoke run (the test suite runs it)\n");
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
  if (raw_rwlock_init(&raw_line.l) != 0) {
    fprintf(stderr, "weft_bench_rwlock: cannot initialise the raw rwlock\n");
    return 1;
  }
  /* Measure in a process that has had a second thread, as a program that
   * needs a lock has (glibc skips atomics before that). */
  double share[SIDES];
  cost c[SIDES];
  sample_mixed(RAW_SIDE, 1, 0.001, &share[RAW_SIDE]);

  double start = weft_monotonic();
  printf("weft_bench_rwlock: weft %s, backend %s, %u CPUs, build %s, median of %d samples%s\n",
         weft_version(), weft_backend(), weft_cpu_count(),
         WEFT_BENCH_CONFIG[0] ? WEFT_BENCH_CONFIG : "(none)", cfg->repeats,
         cfg == &quick_run ? " (--quick)" : "");
  printf("raw side: %s; CPU time: %s (whole process)\n", raw_rwlock_name, raw_cpu_clock_name);
  printf("ratio = weft / raw: Mops/s rows (>= 1.00: weft moves as many), ns rows (<= 1.00: weft "
         "as cheap); CPU ns/op ratio <= 1.00: weft as cheap. '!' marks a missed goal.\n\n");
  printf("%-44s %9s %9s %6s   | %8s %8s %6s\n", "", "weft", "raw", "ratio", "CPU weft", "CPU raw",
         "ratio");

  row rows[] = {
      {"read acquire+release, uncontended (ns)", false, 1, calibrate(cfg->uncontended)},
      {"read-mostly, 4 readers + 1 writer (Mops/s)", true, 4, 0},
      {"read-mostly, 16 readers + 1 writer (Mops/s)", true, 16, 0},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    measure(cfg, &rows[i], c, share);
    print_row(&rows[i], c, share);
  }
  raw_rwlock_destroy(&raw_line.l);
  printf("\n%s in %.1f s; %s\n", goals_missed ? "goals missed" : "goals met",
         weft_monotonic() - start, failures ? "FAILED: wrong counts or failed calls" : "counts ok");
  return failures ? 1 : 0;
}
