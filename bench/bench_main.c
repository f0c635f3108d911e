/* The benchmark programs' main: settings, arguments, the report's header
 * and the areas in turn. */
#include "bench.h"
#include "harness.h"
#include "raw.h"
#include "weft.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WEFT_BENCH_CONFIG
#define WEFT_BENCH_CONFIG ""
#endif

static const bench_config full_run = {
    .repeats = 5,
    .lock_sample = 0.100,
    .lock_window = 0.300,
    .method_sample = 0.200,
    .lock_threads = {2, 4, 16, 64},
    .thread_sample = 0.120,
    .pingpong_sample = 0.100,
    .timed_waits = 10,
    .queue_sample = 0.150,
    .weft_timers = 100000,
    .raw_timers = 256,
    .late_timers = 200,
    .burst = 1000,
    .big_bursts = {10000, 100000},
    .burst_lead = 0.200,
    .big_burst_lead = 0.500,
    .local_sample = 0.100,
};

/* Every row runs, smaller: the big ones (64 threads, 100k timers) shrink
 * in time or count. */
static const bench_config quick_run = {
    .quick = true,
    .repeats = 3,
    .lock_sample = 0.003,
    .lock_window = 0.015,
    .method_sample = 0.010,
    .lock_threads = {2, 4, 16, 64},
    .thread_sample = 0.010,
    .pingpong_sample = 0.010,
    .timed_waits = 2,
    .queue_sample = 0.010,
    .weft_timers = 10000,
    .raw_timers = 32,
    .late_timers = 12,
    .burst = 100,
    .big_bursts = {2000, 0},
    .burst_lead = 0.050,
    .big_burst_lead = 0.200,
    .local_sample = 0.003,
};

static const struct {
  const char *name;
  void (*run)(const bench_config *cfg);
  const char *what;
} areas[] = {
    {"lock", bench_lock, "lock: uncontended, contended at 2-64 threads, 2-thread methods"},
    {"thread", bench_thread, "thread start+join"},
    {"handoff", bench_handoff, "ping-pong hand-offs: same CPU, cross CPU, unpinned"},
    {"wait", bench_wait, "10 ms timed waits that time out"},
    {"queue", bench_queue, "queues, 1->1 and 2->2"},
    {"timer", bench_timer, "timers: pending, lateness, bursts"},
    {"local", bench_local, "thread-local get"},
};
enum { N_AREAS = sizeof areas / sizeof areas[0] };

unsigned bench_pin_cpus;
const char *bench_pin_why = "";
int bench_base_threads = -1;

bool bench_pin(int cpu) {
  return bench_pin_cpus && raw_pin_self(cpu) == 0;
}

/* -- a counting allocator for weft -- */

typedef union header {
  max_align_t align;
  size_t size;
} header;

static atomic_size_t live_bytes; /* what weft asked for and holds now */

static void *counting_malloc(size_t n) {
  header *h = malloc(sizeof *h + n);
  if (!h) return NULL;
  h->size = n;
  atomic_fetch_add_explicit(&live_bytes, n, memory_order_relaxed);
  return h + 1;
}

static void counting_free(void *p) {
  if (!p) return;
  header *h = (header *)p - 1;
  atomic_fetch_sub_explicit(&live_bytes, h->size, memory_order_relaxed);
  free(h);
}

static void *counting_realloc(void *p, size_t n) {
  if (!p) return counting_malloc(n);
  header *h = (header *)p - 1;
  size_t old = h->size;
  header *moved = realloc(h, sizeof *h + n);
  if (!moved) return NULL;
  moved->size = n;
  atomic_fetch_add_explicit(&live_bytes, n, memory_order_relaxed);
  atomic_fetch_sub_explicit(&live_bytes, old, memory_order_relaxed);
  return moved + 1;
}

size_t bench_live_bytes(void) {
  return atomic_load(&live_bytes);
}

/* -- the run -- */

static atomic_ulong noop_runs;

static void noop(void *arg) {
  (void)arg;
  atomic_fetch_add(&noop_runs, 1);
}

/* glibc skips atomic instructions while a process has never had a second
 * thread; a program that synchronises has threads, so measure both sides
 * in that state. */
static void start_first_threads(void) {
  raw_thread r;
  if (raw_thread_start(&r, noop, NULL) != 0 || raw_thread_join(&r) != 0)
    bench_fail("cannot start a first thread", RAW_SIDE);
  weft_thread *t = weft_thread_new(noop, NULL);
  if (!t || weft_thread_start(t) != WEFT_OK || weft_thread_join(t, WEFT_FOREVER) != WEFT_OK)
    bench_fail("cannot start a first thread", WEFT_SIDE);
  weft_thread_unref(t);
}

/* Is `name` in the comma-separated `list`? */
static bool listed(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return true;
    if (!end) break;
    p = end + 1;
  }
  return false;
}

static int usage(const char *program, const char *defaults, FILE *out, int status) {
  fprintf(out,
          "usage: %s [--quick] [--only TEXT] [--area LIST] [--csv FILE]\n"
          "  --quick      a smoke run of a few seconds (the test suite runs it)\n"
          "  --only TEXT  only the rows whose names contain TEXT (\"queue 2->2\")\n"
          "  --area LIST  only these areas, comma-separated (default: %s)\n"
          "  --csv FILE   also write every row to FILE (columns: bench/harness.c)\n"
          "areas:\n",
          program, defaults);
  for (unsigned i = 0; i < N_AREAS; i++)
    fprintf(out, "  %-8s %s\n", areas[i].name, areas[i].what);
  return status;
}

int bench_main(const char *program, const char *defaults, int argc, char **argv) {
  /* Before any other weft call: only then does weft take the allocator. */
  int allocator = weft_set_allocator(counting_malloc, counting_realloc, counting_free);
  bench_base_threads = raw_thread_count();
  const bench_config *cfg = &full_run;
  const char *chosen = defaults, *csv_path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      cfg = &quick_run;
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      bench_only(argv[++i]);
    else if (strcmp(argv[i], "--area") == 0 && i + 1 < argc)
      chosen = argv[++i];
    else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
      csv_path = argv[++i];
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return usage(program, defaults, stdout, 0);
    else
      return usage(program, defaults, stderr, 2);
  }
  bench_init(program);
  if (csv_path && !bench_csv_open(csv_path)) {
    fprintf(stderr, "%s: cannot write %s\n", program, csv_path);
    return 2;
  }
  if (allocator != WEFT_OK) bench_fail("weft_set_allocator refused", WEFT_SIDE);
  bench_pin_cpus = raw_pin_init(&bench_pin_why);
  start_first_threads();

  double start = weft_monotonic();
  char info[256];
  snprintf(info, sizeof info, "weft %s, backend %s, %u CPUs, build %s, median of %d samples%s",
           weft_version(), weft_backend(), weft_cpu_count(),
           WEFT_BENCH_CONFIG[0] ? WEFT_BENCH_CONFIG : "(none)", cfg->repeats,
           cfg->quick ? " (--quick)" : "");
  printf("%s: %s\n", program, info);
  bench_csv_run_info(info);
  printf("raw side: %s, %s, %s, %s, %s\n", raw_mutex_name, raw_cond_name, raw_sleep_name,
         raw_tls_name, raw_thread_name);
  if (bench_pin_cpus)
    printf("pinning: %u CPUs; ", bench_pin_cpus);
  else
    printf("pinning: not supported (%s): pinned rows skipped; ", bench_pin_why);
  printf("threads counted: %s\n", bench_base_threads >= 0 ? "yes" : "n/a here");
  printf("ratio = weft / raw: time per operation (for rate rows raw rate / weft rate), or\n"
         "latency, fairness, threads; <= 1.00 means weft costs no more. cpu = process CPU\n"
         "(all threads, user + system) per operation; cpu r = weft cpu / raw cpu.\n\n");
  bench_print_header();

  for (unsigned i = 0; i < N_AREAS; i++)
    if (strcmp(chosen, "all") == 0 || listed(chosen, areas[i].name)) areas[i].run(cfg);
  return bench_finish(start);
}
