/* See harness.h. */
#include "harness.h"
#include "raw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static const char *program = "bench", *only;
static int failures, goals_met, goals_total;
static FILE *csv;

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

double bench_now(void) {
  return weft_monotonic();
}

meter bench_start(void) {
  return (meter){weft_monotonic(), raw_process_cpu()};
}

cost bench_stop(meter m, double ops) {
  double wall = weft_monotonic() - m.wall, cpu = raw_process_cpu() - m.cpu;
  cost c = {0};
  if (ops <= 0) ops = 1;
  c.wall = wall / ops;
  c.cpu = m.cpu < 0 ? NAN : cpu / ops;
  return c;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
  if (n <= 0) return 0;
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_quantile(double *v, int n, double q) {
  if (n <= 0) return 0;
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  int k = (int)(q * n + 0.999999); /* nearest rank, 1-based */
  if (k < 1) k = 1;
  if (k > n) k = n;
  return v[k - 1];
}

double bench_max(const double *v, int n) {
  double m = n > 0 ? v[0] : 0;
  for (int i = 1; i < n; i++)
    if (v[i] > m) m = v[i];
  return m;
}

uint64_t bench_calibrate(sample_fn sample, job j, uint64_t n, double seconds) {
  j.side = RAW_SIDE;
  for (;;) {
    j.n = n;
    double per_op = sample(&j).wall;
    if ((per_op > 0 && per_op * (double)n >= seconds / 8) || n >= UINT64_MAX / 4) {
      double want = per_op > 0 ? seconds / per_op : (double)n;
      return want < 1 ? 1 : (uint64_t)want;
    }
    n *= 4;
  }
}

void bench_measure(sample_fn sample, job j, int repeats, cost out[2]) {
  static cost samples[2][MAX_REPEATS];
  if (repeats > MAX_REPEATS) repeats = MAX_REPEATS;
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
  double v[MAX_REPEATS];
  for (int side = 0; side < 2; side++) {
    cost *c = &out[side];
    for (int r = 0; r < repeats; r++)
      v[r] = samples[side][r].wall;
    c->wall = bench_median(v, repeats);
    for (int r = 0; r < repeats; r++)
      v[r] = samples[side][r].cpu;
    c->cpu = bench_median(v, repeats);
    for (int x = 0; x < MAX_EXTRAS; x++) {
      for (int r = 0; r < repeats; r++)
        v[r] = samples[side][r].extra[x];
      c->extra[x] = bench_median(v, repeats);
    }
  }
}

/* -- the table and the CSV -- */

static double ratio_of(double weft, double raw) {
  return raw > 0 && weft >= 0 ? weft / raw : NAN;
}

/* Seconds in the unit that suits them, 9 columns wide. */
static const char *pretty_seconds(char *buf, size_t size, double s) {
  if (isnan(s) || s < 0)
    snprintf(buf, size, "%9s", "-");
  else if (s < 1e-6)
    snprintf(buf, size, "%7.1fns", s * 1e9);
  else if (s < 1e-3)
    snprintf(buf, size, "%7.2fus", s * 1e6);
  else if (s < 1)
    snprintf(buf, size, "%7.2fms", s * 1e3);
  else
    snprintf(buf, size, "%8.2fs", s);
  return buf;
}

static void print_number(double v, int precision, int width) {
  if (isnan(v))
    printf(" %*s", width, "-");
  else if (isinf(v))
    printf(" %*s", width, "inf");
  else
    printf(" %*.*f", width, precision, v);
}

static void print_goal(const char *what, double goal, double ratio) {
  if (!(goal > 0) || isnan(ratio)) return;
  bool met = ratio <= goal;
  goals_met += met;
  goals_total++;
  printf("  %s<=%.2f %s", what, goal, met ? "met" : "MISSED");
}

static void csv_text(const char *s) {
  if (!s || !*s) s = "-";
  if (!strpbrk(s, ",\"\n")) {
    fputs(s, csv);
    return;
  }
  fputc('"', csv);
  for (; *s; s++) {
    if (*s == '"') fputc('"', csv);
    fputc(*s == '\n' ? ' ' : *s, csv);
  }
  fputc('"', csv);
}

static void csv_number(double v) {
  fputc(',', csv);
  if (!isnan(v)) fprintf(csv, "%.6g", v);
}

static void csv_row(const row *r, const double value[2], double ratio, const double cpu[2],
                    double cpu_ratio, const char *note) {
  if (!csv) return;
  csv_text(program);
  fputc(',', csv);
  csv_text(r->benchmark ? r->benchmark : r->name);
  fputc(',', csv);
  csv_text(r->variant);
  fputc(',', csv);
  csv_text(r->metric);
  fputc(',', csv);
  if (r->threads)
    fprintf(csv, "%u", r->threads);
  else
    csv_text(NULL);
  fputc(',', csv);
  csv_text(r->placement);
  fputc(',', csv);
  csv_text(r->unit);
  csv_number(value[0]);
  csv_number(value[1]);
  csv_number(ratio);
  csv_number(cpu[0]);
  csv_number(cpu[1]);
  csv_number(cpu_ratio);
  csv_number(r->goal > 0 ? r->goal : NAN);
  csv_number(r->cpu_goal > 0 ? r->cpu_goal : NAN);
  fputc(',', csv);
  csv_text(r->baseline ? r->baseline : raw_mutex_name);
  fputc(',', csv);
  csv_text(note ? note : "");
  fputc('\n', csv);
  fflush(csv);
}

void bench_print_header(void) {
  printf("%-46s %11s %11s %6s %9s %9s %6s  %s\n", "benchmark", "weft", "raw", "ratio", "weft cpu",
         "raw cpu", "cpu r", "goals");
  printf("%-46s %11s %11s %6s %9s %9s %6s\n", "", "", "", "", "/op", "/op", "");
}

void bench_print_text(const char *text) {
  printf("%s\n", text);
  fflush(stdout);
}

static void print_line(const row *r, const double value[2], double ratio, const double cpu[2],
                       double cpu_ratio, const char *note) {
  char name[64], a[16], b[16];
  snprintf(name, sizeof name, "%s (%s)", r->name, r->unit);
  printf("%-46s", name);
  print_number(value[0], r->precision, 11);
  print_number(value[1], r->precision, 11);
  print_number(ratio, 2, 6);
  printf(" %s %s", pretty_seconds(a, sizeof a, cpu[0]), pretty_seconds(b, sizeof b, cpu[1]));
  print_number(cpu_ratio, 2, 6);
  print_goal("", r->goal, ratio);
  print_goal("cpu", r->cpu_goal, cpu_ratio);
  if (note && *note) printf("  %s", note);
  printf("\n");
  fflush(stdout);
  csv_row(r, value, ratio, cpu, cpu_ratio, note);
}

static double shown(const row *r, double per_op) {
  return r->scale ? per_op * r->scale : per_op > 0 ? 1e-6 / per_op : NAN;
}

void bench_print_row(const row *r, const cost c[2], const char *note) {
  double value[2] = {shown(r, c[0].wall), shown(r, c[1].wall)};
  double cpu[2] = {c[0].cpu, c[1].cpu};
  print_line(r, value, ratio_of(c[0].wall, c[1].wall), cpu, ratio_of(cpu[0], cpu[1]), note);
}

void bench_print_stat(const row *r, const double value[2], const double *cpu, const char *note) {
  double none[2] = {NAN, NAN};
  const double *per_op = cpu ? cpu : none;
  print_line(r, value, ratio_of(value[0], value[1]), per_op, ratio_of(per_op[0], per_op[1]), note);
}

void bench_print_info(const row *r, double value, double cpu, const char *note) {
  double v[2] = {value, NAN}, c[2] = {cpu, NAN};
  print_line(r, v, NAN, c, NAN, note);
}

/* The CSV, one line per row:
 *   program     weft_bench or weft_bench_sync
 *   benchmark   the measurement ("lock.contended", "handoff.event", ...)
 *   variant     how it was run ("window+work", "fixed+empty"), or "-"
 *   metric      what the values are ("throughput", "p99", "fairness", ...)
 *   threads     threads taking part, or "-"
 *   placement   unpinned, pinned, same-cpu, cross-cpu, or "-"
 *   unit        of weft and raw ("Mops/s", "us", "threads", ...)
 *   weft, raw   the two sides' figures (raw empty for weft-only rows)
 *   ratio       weft cost / raw cost: for rates raw/weft, otherwise weft/raw
 *   weft_cpu_s, raw_cpu_s  process CPU seconds per operation (empty: n/a)
 *   cpu_ratio   weft_cpu_s / raw_cpu_s
 *   goal, cpu_goal  the ratios the project aims to stay at or below
 *   baseline    what the raw side is ("pthread_mutex_t", ...)
 *   note        anything else (fairness of both sides, counts, caveats)
 * The first line names the columns; the first row (benchmark "run")
 * describes the run in its note. */
bool bench_csv_open(const char *path) {
  csv = fopen(path, "w");
  if (!csv) return false;
  fputs("program,benchmark,variant,metric,threads,placement,unit,weft,raw,ratio,"
        "weft_cpu_s,raw_cpu_s,cpu_ratio,goal,cpu_goal,baseline,note\n",
        csv);
  return true;
}

void bench_csv_run_info(const char *note) {
  if (!csv) return;
  double none[2] = {NAN, NAN};
  csv_row(&(row){.name = "run", .metric = "info", .unit = "-", .baseline = "-"}, none, NAN, none,
          NAN, note);
}

void bench_csv_close(void) {
  if (csv) fclose(csv);
  csv = NULL;
}

int bench_finish(double start) {
  printf("\ngoals met: %d of %d; %s; %.1f s\n", goals_met, goals_total,
         failures ? "SOME COUNTS OR CALLS FAILED" : "all counts exact", weft_monotonic() - start);
  bench_csv_close();
  return failures ? 1 : 0;
}
