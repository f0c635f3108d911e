/* The measuring and reporting shared by the benchmark programs.
 *
 * A sample runs one side (weft, or what weft is measured against) and
 * returns its cost per operation: wall seconds, and the process's CPU
 * seconds (user + system, every thread) over the same stretch, so that a
 * figure bought by keeping idle CPUs busy shows as such. bench_measure()
 * takes the median of several samples per side, the two sides taking turns
 * to go first so that drift (clock boost, a noisy neighbour) hits both
 * alike. Every ratio in the report is weft's figure over the other side's:
 * <= 1.00 means weft costs no more. Wrong counts and failed calls are
 * recorded with bench_fail() and make the program exit 1; slow ratios never
 * do.
 *
 * Each row goes to the table on stdout and, with bench_csv_open(), to a
 * CSV file; the columns are described at bench_csv_open(). */
#ifndef WEFT_BENCH_HARNESS_H
#define WEFT_BENCH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

enum { WEFT_SIDE, RAW_SIDE };
enum { MAX_REPEATS = 15, MAX_EXTRAS = 6 };

/* One sample: side, threads, and either a count or a duration; ctx is
 * whatever else the sample needs (a variant of the benchmark). */
typedef struct job {
  int side;
  unsigned threads;
  uint64_t n;
  double seconds;
  const void *ctx;
} job;

/* What a sample costs per operation. cpu is NaN where not measured; extra
 * holds figures a sample reports besides (fairness, latencies), each
 * reduced to its median over the samples like wall and cpu. */
typedef struct cost {
  double wall;
  double cpu;
  double extra[MAX_EXTRAS];
} cost;

typedef cost (*sample_fn)(const job *j);

/* A stopwatch on both clocks: bench_stop() turns the stretch since
 * bench_start() into a cost per operation (extra all zero). */
typedef struct meter {
  double wall, cpu;
} meter;
meter bench_start(void);
cost bench_stop(meter m, double ops);

/* Seconds on weft's monotonic clock (both sides read it for latencies). */
double bench_now(void);

/* k rounds of a 64-bit LCG step: a few ns of work per round that the
 * compiler cannot drop as long as the result is used. */
static inline uint64_t bench_work(uint64_t x, unsigned k) {
  for (unsigned i = 0; i < k; i++)
    x = x * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
  return x;
}

/* The program's name, for messages ("weft_bench"). */
void bench_init(const char *program);
/* Measure only the rows whose names contain `text` (NULL: all). */
void bench_only(const char *text);
bool bench_wanted(const char *row_name);
/* Record a wrong count or a failed call. */
void bench_fail(const char *what, int side);
int bench_failures(void);

/* Sorts v. */
double bench_median(double *v, int n);
/* The value at fraction q (0..1) of v, nearest rank; sorts v. */
double bench_quantile(double *v, int n, double q);
double bench_max(const double *v, int n);

/* A count of operations that takes the raw side about `seconds`. */
uint64_t bench_calibrate(sample_fn sample, job j, uint64_t n, double seconds);
/* Median cost for each side, after one short warm-up per side. */
void bench_measure(sample_fn sample, job j, int repeats, cost out[2]);

/* A row of the report. The CSV fields (benchmark .. placement) let a script
 * pick rows without parsing the name. */
typedef struct row {
  const char *name;      /* the table's label; --only matches it */
  const char *benchmark; /* CSV: the measurement, "lock.contended" */
  const char *variant;   /* CSV: how it was run, "window+work"; NULL: "-" */
  const char *metric;    /* CSV: what the values are, "throughput", "p99" */
  unsigned threads;      /* CSV: threads taking part; 0: "-" */
  const char *placement; /* CSV: "unpinned", "same-cpu", ...; NULL: "-" */
  const char *unit;      /* of the shown values: "Mops/s", "ns", "us" */
  double scale;          /* cost (s/op) to shown value; 0: a rate, 1e-6/cost */
  int precision;         /* decimals shown */
  double goal;           /* ratio to stay at or below; 0: none */
  double cpu_goal;       /* CPU ratio to stay at or below; 0: none */
  const char *baseline;  /* what the raw column is; NULL: the raw primitive */
} row;

/* A row from the two sides' costs: ratio = weft cost / raw cost, so for a
 * rate it is raw's rate over weft's. note may be NULL. */
void bench_print_row(const row *r, const cost c[2], const char *note);
/* A row of figures already in r->unit where lower is better (latency,
 * fairness, threads): ratio = weft / raw. cpu[] per operation in seconds,
 * or NULL. */
void bench_print_stat(const row *r, const double value[2], const double *cpu, const char *note);
/* A row with weft's figure only (the other side has no counterpart). */
void bench_print_info(const row *r, double value, double cpu, const char *note);
/* The table's header line. */
void bench_print_header(void);
/* A line of text in the table (a section's heading or a caveat). */
void bench_print_text(const char *text);

/* Write every row to `path` as well; false if it cannot be created. */
bool bench_csv_open(const char *path);
/* One CSV row describing the run (backend, build, CPUs). */
void bench_csv_run_info(const char *note);
void bench_csv_close(void);

/* "goals met: ..." with the elapsed time; returns the exit status. */
int bench_finish(double start);

#endif
