/* See harness.h. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static const char *program = "bench", *only;
static int failures, goals_met, goals_total;

void bench_init(const char *name) {
  program = name;
}

void bench_only(const char *text) {
  only = text;
}

bool bench_wanted(const char *row_name) {
  return !only || strstr(row_name, only);
}

void bench_fail(const char *what, int side) {
  fprintf(stderr, "%s: %s (%s)\n", program, what, side == WEFT_SIDE ? "weft" : "raw");
  failures++;
}

int bench_failures(void) {
  return failures;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_quantile(double *v, int n, double q) {
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  int k = (int)(q * n + 0.999999); /* nearest rank, 1-based */
  if (k < 1) k = 1;
  if (k > n) k = n;
  return v[k - 1];
}

uint64_t bench_calibrate(sample_fn sample, job j, uint64_t n, double seconds) {
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

void bench_measure(sample_fn sample, job j, int repeats, double cost[2]) {
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
    cost[side] = bench_median(samples[side], repeats);
}

static double shown(const row *r, double cost) {
  return r->scale ? cost * r->scale : 1e-6 / cost;
}

void bench_print_header(void) {
  printf("%-38s %12s %12s %7s  %s\n", "benchmark", "weft", "raw", "ratio", "goal");
}

void bench_print_row(const row *r, const double cost[2]) {
  double ratio = cost[WEFT_SIDE] / cost[RAW_SIDE];
  printf("%-38s %12.*f %12.*f %7.2f", r->name, r->precision, shown(r, cost[WEFT_SIDE]),
         r->precision, shown(r, cost[RAW_SIDE]), ratio);
  if (r->goal > 0) {
    bool met = ratio <= r->goal;
    goals_met += met;
    goals_total++;
    printf("  <= %.2f %s", r->goal, met ? "met" : "MISSED");
  }
  printf("\n");
  fflush(stdout);
}

void bench_print_info(const char *name, double value, int precision, const char *note) {
  printf("%-38s %12.*f %12s %7s  %s\n", name, precision, value, "-", "-", note);
  fflush(stdout);
}

int bench_finish(double start) {
  printf("\ngoals met: %d of %d; %s; %.1f s\n", goals_met, goals_total,
         failures ? "SOME COUNTS OR CALLS FAILED" : "all counts exact", weft_monotonic() - start);
  return failures ? 1 : 0;
}
