/* The timed-wait area: what a waiter that times out costs. One thread does
 * 10 ms timed waits that nobody ends early: weft_event_wait on an event
 * never set, weft_cond_wait on a condition never notified, weft_sem_acquire
 * on a semaphore at 0; the raw side waits in the raw condition's timed
 * wait (pthread_cond_timedwait, cnd_timedwait, SleepConditionVariableSRW)
 * until its deadline. Reported: the process's CPU per wait (the row's cpu
 * columns) and lateness past the 10 ms, median and p99 over every wait of
 * the row. */
#include "bench.h"
#include "harness.h"
#include "raw.h"
#include "weft.h"

#include <stdio.h>

#define WAIT_SECONDS 0.010

enum { EVENT, COND, SEM };
enum { MAX_WAITS = 1024 };

static struct {
  weft_event event;
  weft_lock lock;
  weft_cond cond;
  weft_sem sem;
  raw_mutex mutex;
  raw_cond rcond;
} objects;

static double late[2][MAX_WAITS];
static int n_late[2];

/* One timed wait on weft's primitive; its status must be WEFT_TIMEOUT. */
static int weft_side_wait(int kind) {
  switch (kind) {
  case EVENT:
    return weft_event_wait(&objects.event, WAIT_SECONDS);
  case COND: {
    int r = weft_cond_acquire(&objects.cond, WEFT_FOREVER);
    if (r != WEFT_OK) return r;
    r = weft_cond_wait(&objects.cond, WAIT_SECONDS);
    int released = weft_cond_release(&objects.cond);
    return released != WEFT_OK ? released : r;
  }
  default:
    return weft_sem_acquire(&objects.sem, WAIT_SECONDS);
  }
}

static int raw_wait(void) {
  int bad = raw_mutex_lock(&objects.mutex);
  int64_t deadline = raw_clock_ns() + (int64_t)(WAIT_SECONDS * 1e9);
  while (raw_clock_ns() < deadline)
    bad |= raw_cond_wait_until(&objects.rcond, &objects.mutex, deadline);
  bad |= raw_mutex_unlock(&objects.mutex);
  return bad;
}

static cost sample_wait(const job *j) {
  int kind = *(const int *)j->ctx;
  meter m = bench_start();
  for (uint64_t i = 0; i < j->n; i++) {
    double t0 = bench_now();
    if (j->side == WEFT_SIDE) {
      if (weft_side_wait(kind) != WEFT_TIMEOUT) bench_fail("a timed wait did not time out", j->side);
    } else if (raw_wait() != 0) {
      bench_fail("a raw timed wait failed", j->side);
    }
    double over = bench_now() - t0 - WAIT_SECONDS;
    if (over < -1e-4) bench_fail("a timed wait returned early", j->side);
    if (n_late[j->side] < MAX_WAITS) late[j->side][n_late[j->side]++] = over;
  }
  return bench_stop(m, (double)j->n);
}

void bench_wait(const bench_config *cfg) {
  static const struct {
    int kind;
    const char *name, *benchmark;
  } kinds[] = {{EVENT, "timed wait 10 ms, event", "wait.event"},
               {COND, "timed wait 10 ms, cond", "wait.cond"},
               {SEM, "timed wait 10 ms, sem", "wait.sem"}};
  objects.event = (weft_event)WEFT_EVENT_INIT;
  objects.lock = (weft_lock)WEFT_LOCK_INIT;
  weft_cond_init_lock(&objects.cond, &objects.lock);
  weft_sem_init(&objects.sem, 0);
  if (raw_mutex_init(&objects.mutex) != 0 || raw_cond_init(&objects.rcond) != 0) {
    bench_fail("cannot initialise the raw condition", RAW_SIDE);
    return;
  }
  for (unsigned i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (!bench_wanted(kinds[i].name)) continue;
    n_late[0] = n_late[1] = 0;
    job j = {.threads = 1, .n = cfg->timed_waits, .ctx = &kinds[i].kind};
    cost c[2];
    bench_measure(sample_wait, j, cfg->repeats, c);
    double cpu[2] = {c[0].cpu, c[1].cpu}, v[2];
    char name[64];
    for (int side = 0; side < 2; side++)
      v[side] = bench_median(late[side], n_late[side]) * 1e6;
    snprintf(name, sizeof name, "%s: late p50", kinds[i].name);
    row r = {.name = name,
             .benchmark = kinds[i].benchmark,
             .metric = "lateness-p50",
             .threads = 1,
             .unit = "us",
             .precision = 1,
             .cpu_goal = 1.00,
             .baseline = raw_cond_name};
    char note[64];
    snprintf(note, sizeof note, "cpu per 10 ms wait; %d waits a side", n_late[0]);
    bench_print_stat(&r, v, cpu, note);
    for (int side = 0; side < 2; side++)
      v[side] = bench_quantile(late[side], n_late[side], 0.99) * 1e6;
    snprintf(name, sizeof name, "%s: late p99", kinds[i].name);
    r.metric = "lateness-p99";
    r.cpu_goal = 0;
    bench_print_stat(&r, v, NULL, NULL);
  }
  raw_cond_destroy(&objects.rcond);
  raw_mutex_destroy(&objects.mutex);
}
