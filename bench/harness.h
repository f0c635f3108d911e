/* The measuring and reporting shared by the benchmark programs.
 *
 * A sample runs one side (weft, or what weft is measured against) and
 * returns its cost: seconds per operation. measure() takes the median of
 * several samples per side, the two sides taking turns to go first so that
 * drift (clock boost, a noisy neighbour) hits both alike. The ratio in the
 * report is always weft's cost over the other side's: <= 1.00 means weft is
 * at least as fast. Wrong counts and failed calls are recorded with
 * bench_fail() and make the program exit 1; slow ratios never do. */
#ifndef WEFT_BENCH_HARNESS_H
#define WEFT_BENCH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

enum { WEFT_SIDE, RAW_SIDE };
enum { MAX_REPEATS = 15 };

/* One sample: side, threads, and either a count or a duration; ctx is
 * whatever else the sample needs (a variant of the benchmark). */
typedef struct job {
  int side;
  unsigned threads;
  uint64_t n;
  double seconds;
  const void *ctx;
} job;

/* Each sample returns seconds per operation. */
typedef double (*sample_fn)(const job *j);

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

/* A count of operations that takes the raw side about `seconds`. */
uint64_t bench_calibrate(sample_fn sample, job j, uint64_t n, double seconds);
/* Median seconds per operation for each side, after one short warm-up. */
void bench_measure(sample_fn sample, job j, int repeats, double cost[2]);

typedef struct row {
  const char *name;
  double scale;  /* cost (s/op) to shown value, or 0 for Mops/s */
  double goal;   /* the ratio to stay at or below; 0: no goal */
  int precision; /* decimals shown */
} row;

/* The table's header line, and one row per measurement. */
void bench_print_header(void);
void bench_print_row(const row *r, const double cost[2]);
/* A row with weft's figure only (the other side has no counterpart). */
void bench_print_info(const char *name, double value, int precision, const char *note);
/* "goals met: ..." with the elapsed time; returns the exit status. */
int bench_finish(double start);

#endif
