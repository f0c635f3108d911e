/* The timer area: weft_timer against a thread per timer sleeping in the
 * raw condition's timed wait (as Python's threading.Timer does), and
 * against the OS's plain sleep.
 *
 * 1. Pending timers: arm n that stay pending, then cancel them (time and
 *    CPU per timer), and the bytes weft holds per pending timer (a
 *    counting allocator given to weft_set_allocator); the raw side arms
 *    fewer, each a thread.
 * 2. One timer at a time, 5-20 ms: lateness (median, p99) against a thread
 *    in the raw timed wait, and lateness and CPU per timer against the
 *    plain sleep until the deadline (clock_nanosleep, thrd_sleep, Sleep)
 *    and against a raw timer thread (a request on a raw condition, the
 *    plain sleep, a signal back: the wake-ups of weft's start and join).
 * 3. Bursts: `burst` (1000) timers all due at one instant, each callback
 *    doing ~1 us of work and noting how late it ran: lateness median / p99,
 *    when the last one fired, CPU per timer and the threads the timers had
 *    during the burst, against a thread per timer. Then `big_bursts` (10k,
 *    100k) due together, weft only (a thread per timer would be that many
 *    OS threads): the time from the due instant until the last call against
 *    the sum of what the calls took (median of three). A big burst for
 *    which weft would need more than MAX_BURST_THREADS threads (judged from
 *    the burst before) is skipped and says so.
 */
#include "bench.h"
#include "harness.h"
#include "raw.h"
#include "weft.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define SETTLE_SECONDS 0.002 /* lets a helper finish before CPU is read */

enum { BURST_WORK = 400 }; /* bench_work rounds per callback: ~1 us */

/* -- the raw timer: a thread sleeping in the raw timed wait -- */

typedef struct raw_timer {
  raw_mutex mutex;
  raw_cond cond;
  raw_thread thread;
  int64_t deadline;
  void (*fn)(void *); /* called once the deadline passed; may be NULL */
  void *arg;
  bool cancelled, fired;
  int bad;
} raw_timer;

static void raw_timer_main(void *arg) {
  raw_timer *r = arg;
  r->bad |= raw_mutex_lock(&r->mutex);
  while (!r->cancelled && raw_clock_ns() < r->deadline)
    r->bad |= raw_cond_wait_until(&r->cond, &r->mutex, r->deadline);
  r->fired = !r->cancelled;
  r->bad |= raw_mutex_unlock(&r->mutex);
  if (r->fired && r->fn) r->fn(r->arg);
}

static bool raw_timer_start(raw_timer *r, int64_t deadline, void (*fn)(void *), void *arg) {
  r->deadline = deadline;
  r->fn = fn;
  r->arg = arg;
  r->cancelled = r->fired = false;
  r->bad = 0;
  if (raw_mutex_init(&r->mutex) != 0) return false;
  if (raw_cond_init(&r->cond) == 0 && raw_thread_start(&r->thread, raw_timer_main, r) == 0)
    return true;
  raw_mutex_destroy(&r->mutex);
  return false;
}

/* Cancel (if it has not fired), join and release; nonzero if a call failed. */
static int raw_timer_finish(raw_timer *r, bool cancel) {
  int bad = 0;
  if (cancel) {
    bad |= raw_mutex_lock(&r->mutex);
    r->cancelled = true;
    bad |= raw_cond_signal(&r->cond);
    bad |= raw_mutex_unlock(&r->mutex);
  }
  bad |= raw_thread_join(&r->thread);
  raw_cond_destroy(&r->cond);
  raw_mutex_destroy(&r->mutex);
  return bad | r->bad;
}

/* -- 1. pending timers -- */

static atomic_ulong timer_calls;

static void count_call(void *arg) {
  (void)arg;
  atomic_fetch_add(&timer_calls, 1);
}

/* Arm n timers that stay pending, then cancel them all; cost per timer of
 * each, and the bytes weft holds per pending timer. */
static void weft_pending_sample(unsigned n, cost *arm, cost *cancel, double *bytes) {
  *arm = *cancel = (cost){0, 0, {0}};
  *bytes = 0;
  weft_timer **t = malloc(n * sizeof *t);
  if (!t) {
    bench_fail("out of memory", WEFT_SIDE);
    return;
  }
  atomic_store(&timer_calls, 0);
  size_t before = bench_live_bytes();
  unsigned armed = 0;
  meter m = bench_start();
  for (; armed < n; armed++) {
    t[armed] = weft_timer_new(3600.0, count_call, NULL);
    if (!t[armed] || weft_timer_start(t[armed]) != WEFT_OK) {
      bench_fail("cannot arm a timer", WEFT_SIDE);
      weft_timer_unref(t[armed]);
      break;
    }
  }
  *arm = bench_stop(m, armed);
  /* Signed: a helper thread of weft may free its record meanwhile. */
  *bytes = ((double)bench_live_bytes() - (double)before) / (armed ? armed : 1);
  unsigned cancelled = 0;
  m = bench_start();
  for (unsigned i = 0; i < armed; i++) {
    cancelled += weft_timer_cancel(t[i]) == WEFT_OK;
    weft_timer_unref(t[i]);
  }
  *cancel = bench_stop(m, armed);
  if (cancelled != armed || atomic_load(&timer_calls) != 0)
    bench_fail("a pending timer was not cancelled", WEFT_SIDE);
  free(t);
}

static void raw_pending_sample(unsigned n, cost *arm, cost *cancel) {
  *arm = *cancel = (cost){0, 0, {0}};
  raw_timer *r = malloc(n * sizeof *r);
  if (!r) {
    bench_fail("out of memory", RAW_SIDE);
    return;
  }
  unsigned armed = 0;
  meter m = bench_start();
  for (; armed < n; armed++)
    if (!raw_timer_start(&r[armed], raw_clock_ns() + INT64_C(3600000000000), NULL, NULL)) break;
  *arm = bench_stop(m, armed);
  if (armed < n) bench_fail("cannot arm a raw timer", RAW_SIDE);
  int bad = 0;
  m = bench_start();
  for (unsigned i = 0; i < armed; i++)
    bad |= raw_timer_finish(&r[i], true) | r[i].fired;
  *cancel = bench_stop(m, armed);
  if (bad) bench_fail("a raw timer call failed", RAW_SIDE);
  free(r);
}

static void median_costs(cost s[2][MAX_REPEATS], int repeats, cost out[2]) {
  double v[MAX_REPEATS];
  for (int side = 0; side < 2; side++) {
    for (int r = 0; r < repeats; r++)
      v[r] = s[side][r].wall;
    out[side].wall = bench_median(v, repeats);
    for (int r = 0; r < repeats; r++)
      v[r] = s[side][r].cpu;
    out[side].cpu = bench_median(v, repeats);
  }
}

static void run_pending(const bench_config *cfg) {
  if (!bench_wanted("timer arm, cancel, memory")) return;
  static cost arm[2][MAX_REPEATS], cancel[2][MAX_REPEATS];
  double bytes = 0, first_bytes = 0;
  for (int r = 0; r < cfg->repeats; r++) {
    for (int k = 0; k < 2; k++) {
      int side = (r + k) % 2;
      if (side == WEFT_SIDE)
        weft_pending_sample(cfg->weft_timers, &arm[side][r], &cancel[side][r], &bytes);
      else
        raw_pending_sample(cfg->raw_timers, &arm[side][r], &cancel[side][r]);
    }
    if (r == 0) first_bytes = bytes;
  }
  char note[96];
  snprintf(note, sizeof note, "weft %u pending, raw %u threads", cfg->weft_timers, cfg->raw_timers);
  cost c[2];
  row r = {.name = "timer arm",
           .benchmark = "timer.pending",
           .metric = "arm",
           .unit = "us/timer",
           .scale = 1e6,
           .precision = 3,
           .goal = 1.00,
           .baseline = "thread per timer"};
  median_costs(arm, cfg->repeats, c);
  bench_print_row(&r, c, note);
  median_costs(cancel, cfg->repeats, c);
  r.name = "timer cancel";
  r.metric = "cancel";
  bench_print_row(&r, c, note);
  snprintf(note, sizeof note, "bytes/timer, %u pending", cfg->weft_timers);
  r = (row){.name = "timer memory, first arming",
            .benchmark = "timer.pending",
            .metric = "bytes-first",
            .unit = "B",
            .precision = 1,
            .baseline = "-"};
  bench_print_info(&r, first_bytes, NAN, note);
  r.name = "timer memory, heap grown";
  r.metric = "bytes";
  bench_print_info(&r, bytes, NAN, note);
}

/* -- 2. one timer at a time -- */

typedef struct fired {
  atomic_int calls;
  double at;
} fired;

static void note_time(void *arg) {
  fired *f = arg;
  f->at = bench_now();
  atomic_fetch_add(&f->calls, 1);
}

/* Seconds between a one-shot timer's due time and its call. */
static double weft_lateness(double interval) {
  fired f = {0, 0};
  weft_timer *t = weft_timer_new(interval, note_time, &f);
  double t0 = bench_now();
  if (!t || weft_timer_start(t) != WEFT_OK || weft_timer_join(t, WEFT_FOREVER) != WEFT_OK ||
      atomic_load(&f.calls) != 1) {
    bench_fail("a one-shot timer did not run exactly once", WEFT_SIDE);
    weft_timer_unref(t);
    return 0;
  }
  weft_timer_unref(t);
  return f.at - t0 - interval;
}

static struct {
  raw_mutex mutex;
  raw_cond cond;
} sleeper;

/* Seconds between the deadline and the end of a raw timed wait on a
 * condition nobody signals. */
static double raw_wait_lateness(double interval) {
  int bad = raw_mutex_lock(&sleeper.mutex);
  int64_t deadline = raw_clock_ns() + (int64_t)(interval * 1e9), now;
  while ((now = raw_clock_ns()) < deadline)
    bad |= raw_cond_wait_until(&sleeper.cond, &sleeper.mutex, deadline);
  bad |= raw_mutex_unlock(&sleeper.mutex);
  if (bad) bench_fail("a raw timed wait failed", RAW_SIDE);
  return (double)(now - deadline) * 1e-9;
}

/* The same for the plain sleep until the deadline. */
static double raw_sleep_lateness(double interval) {
  int64_t deadline = raw_clock_ns() + (int64_t)(interval * 1e9);
  if (raw_sleep_until(deadline) != 0) bench_fail("a raw sleep failed", RAW_SIDE);
  return (double)(raw_clock_ns() - deadline) * 1e-9;
}

/* What a C programmer writes by hand for one timer on its own thread: a
 * raw thread, started once, that waits for a request on a raw condition,
 * sleeps until its deadline in the plain sleep, then wakes the requester,
 * who waits for that as a join would. The same wake-ups as weft's start
 * and join (the server at arming, at the deadline, the requester after the
 * call), so this is the like-for-like baseline of the single-timer row's
 * CPU; the plain sleep has only the one. */
static struct {
  raw_mutex mutex;
  raw_cond request, done;
  raw_thread thread;
  int64_t deadline, called_at;
  bool asked, answered, quit;
  int bad;
} server;

static void server_main(void *unused) {
  (void)unused;
  int bad = raw_mutex_lock(&server.mutex);
  for (;;) {
    while (!server.asked && !server.quit)
      bad |= raw_cond_wait(&server.request, &server.mutex);
    if (server.quit) break;
    server.asked = false;
    int64_t deadline = server.deadline;
    bad |= raw_mutex_unlock(&server.mutex);
    bad |= raw_sleep_until(deadline);
    int64_t now = raw_clock_ns();
    bad |= raw_mutex_lock(&server.mutex);
    server.called_at = now;
    server.answered = true;
    bad |= raw_cond_signal(&server.done);
  }
  bad |= raw_mutex_unlock(&server.mutex);
  server.bad = bad;
}

static bool server_start(void) {
  server.asked = server.answered = server.quit = false;
  server.bad = 0;
  if (raw_mutex_init(&server.mutex) != 0) return false;
  if (raw_cond_init(&server.request) == 0) {
    if (raw_cond_init(&server.done) == 0) {
      if (raw_thread_start(&server.thread, server_main, NULL) == 0) return true;
      raw_cond_destroy(&server.done);
    }
    raw_cond_destroy(&server.request);
  }
  raw_mutex_destroy(&server.mutex);
  return false;
}

static void server_stop(void) {
  int bad = raw_mutex_lock(&server.mutex);
  server.quit = true;
  bad |= raw_cond_signal(&server.request);
  bad |= raw_mutex_unlock(&server.mutex);
  bad |= raw_thread_join(&server.thread);
  if (bad || server.bad) bench_fail("the raw timer thread failed", RAW_SIDE);
  raw_cond_destroy(&server.done);
  raw_cond_destroy(&server.request);
  raw_mutex_destroy(&server.mutex);
}

static double raw_server_lateness(double interval) {
  int bad = raw_mutex_lock(&server.mutex);
  server.deadline = raw_clock_ns() + (int64_t)(interval * 1e9);
  server.asked = true;
  server.answered = false;
  bad |= raw_cond_signal(&server.request);
  while (!server.answered)
    bad |= raw_cond_wait(&server.done, &server.mutex);
  int64_t late = server.called_at - server.deadline;
  bad |= raw_mutex_unlock(&server.mutex);
  if (bad) bench_fail("a raw timer request failed", RAW_SIDE);
  return (double)late * 1e-9;
}

static double settle_only(double interval) {
  (void)interval;
  return 0;
}

enum { MAX_LATE = 1000 };
/* The ways one timer is measured, in the order of `ways` below. */
enum { W_WEFT, W_WAIT, W_SLEEP, W_SETTLE, W_SERVER, WAYS };

static void run_one_at_a_time(const bench_config *cfg) {
  if (!bench_wanted("timer lateness") && !bench_wanted("single timer")) return;
  /* weft, raw timed wait, raw sleep, the settle alone (whose CPU is taken
   * off the others') and the raw timer thread, in turns. */
  static double (*const ways[WAYS])(double) = {weft_lateness, raw_wait_lateness, raw_sleep_lateness,
                                               settle_only, raw_server_lateness};
  static double late[WAYS][MAX_LATE];
  double cpu[WAYS] = {0};
  unsigned n = cfg->late_timers < MAX_LATE ? cfg->late_timers : MAX_LATE;
  if (raw_mutex_init(&sleeper.mutex) != 0 || raw_cond_init(&sleeper.cond) != 0) {
    bench_fail("cannot initialise the raw sleeper", RAW_SIDE);
    return;
  }
  if (!server_start()) {
    bench_fail("cannot start the raw timer thread", RAW_SIDE);
    return;
  }
  for (unsigned i = 0; i < n; i++) {
    double interval = (5 + (i * 7) % 16) * 1e-3; /* 5 .. 20 ms */
    for (unsigned k = 0; k < WAYS; k++) {
      unsigned w = (i + k) % WAYS;
      double c0 = raw_process_cpu();
      late[w][i] = ways[w](interval);
      raw_sleep_until(raw_clock_ns() + (int64_t)(SETTLE_SECONDS * 1e9));
      cpu[w] += raw_process_cpu() - c0;
    }
  }
  server_stop();
  raw_cond_destroy(&sleeper.cond);
  raw_mutex_destroy(&sleeper.mutex);
  double med[WAYS], p99[WAYS], per[WAYS];
  for (unsigned w = 0; w < WAYS; w++) {
    med[w] = bench_median(late[w], (int)n) * 1e6;
    p99[w] = bench_quantile(late[w], (int)n, 0.99) * 1e6;
    per[w] = (cpu[w] - cpu[W_SETTLE]) / n;
    if (per[w] < 0 || raw_process_cpu() < 0) per[w] = NAN;
  }
  row r = {.name = "timer lateness, median",
           .benchmark = "timer.single",
           .variant = "vs-timed-wait",
           .metric = "lateness-p50",
           .threads = 1,
           .unit = "us",
           .precision = 1,
           .baseline = raw_cond_name};
  bench_print_stat(&r, (double[2]){med[W_WEFT], med[W_WAIT]}, (double[2]){per[W_WEFT], per[W_WAIT]},
                   "5-20 ms");
  r.name = "timer lateness, p99";
  r.metric = "lateness-p99";
  bench_print_stat(&r, (double[2]){p99[W_WEFT], p99[W_WAIT]}, NULL, NULL);
  r = (row){.name = "single timer vs sleep: late p50",
            .benchmark = "timer.single",
            .variant = "vs-sleep",
            .metric = "lateness-p50",
            .threads = 1,
            .unit = "us",
            .precision = 1,
            .goal = 1.05,
            .cpu_goal = 1.50,
            .baseline = raw_sleep_name};
  bench_print_stat(&r, (double[2]){med[W_WEFT], med[W_SLEEP]},
                   (double[2]){per[W_WEFT], per[W_SLEEP]}, "cpu per timer, start to call");
  r.name = "single timer vs sleep: late p99";
  r.metric = "lateness-p99";
  r.cpu_goal = 0;
  bench_print_stat(&r, (double[2]){p99[W_WEFT], p99[W_SLEEP]}, NULL, NULL);
  r = (row){.name = "single timer vs a raw timer thread",
            .benchmark = "timer.single",
            .variant = "vs-timer-thread",
            .metric = "lateness-p50",
            .threads = 1,
            .unit = "us",
            .precision = 1,
            .goal = 1.05,
            .cpu_goal = 1.00,
            .baseline = "raw thread: cond + sleep"};
  bench_print_stat(&r, (double[2]){med[W_WEFT], med[W_SERVER]},
                   (double[2]){per[W_WEFT], per[W_SERVER]}, "same wake-ups: arm, due, requester");
}

/* -- 3. bursts -- */

typedef struct shot {
  double due;       /* bench_now() */
  double late;      /* its call, past due */
  double work;      /* how long the call's work took */
  uintptr_t thread; /* the thread that ran it: the address of its `marker` */
  uint64_t sink;
  atomic_int calls;
} shot;

/* One per thread, so its address tells the threads apart (while they
 * live: a new thread may reuse an ended one's). */
static _Thread_local char marker;

static void burst_call(void *arg) {
  shot *s = arg;
  double t = bench_now();
  s->late = t - s->due;
  s->thread = (uintptr_t)&marker;
  s->sink = bench_work((uint64_t)(uintptr_t)s, BURST_WORK);
  s->work = bench_now() - t;
  atomic_fetch_add(&s->calls, 1);
}

/* A thread that counts the process's threads while a burst runs, every
 * millisecond or, where counting takes long (thousands of threads), at
 * most a fifth of its time. */
typedef struct counter {
  raw_thread thread;
  atomic_bool done;
  int most;
} counter;

static void counter_main(void *arg) {
  counter *c = arg;
  while (!atomic_load(&c->done)) {
    int64_t t0 = raw_clock_ns();
    int n = raw_thread_count();
    if (n > c->most) c->most = n;
    int64_t took = raw_clock_ns() - t0, pause = 4 * took;
    raw_sleep_until(raw_clock_ns() + (pause > 1000000 ? pause : 1000000));
  }
}

typedef struct burst_result {
  double p50, p99, last; /* lateness, seconds */
  double work;           /* the callbacks' work, summed */
  double cpu;            /* per timer, arming to the last join */
  double threads;        /* most threads the side's timers had; NaN: unknown */
  double ran_on;         /* distinct threads the calls ran on */
  unsigned given_up;     /* timers cancelled at the give-up time */
  bool armed_late;       /* arming took longer than the lead */
} burst_result;

static int compare_ids(const void *a, const void *b) {
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return (x > y) - (x < y);
}

/* Lateness quantiles, the work and the threads the calls ran on, over the
 * shots that were called. */
static void summarise(const shot *s, unsigned n, burst_result *out) {
  double *late = malloc((n ? n : 1) * sizeof *late);
  uintptr_t *ids = malloc((n ? n : 1) * sizeof *ids);
  if (!late || !ids) {
    bench_fail("out of memory", WEFT_SIDE);
    free(late);
    free(ids);
    return;
  }
  out->work = 0;
  int called = 0;
  for (unsigned i = 0; i < n; i++) {
    if (atomic_load(&s[i].calls) != 1) continue;
    late[called] = s[i].late;
    ids[called] = s[i].thread;
    out->work += s[i].work;
    called++;
  }
  out->p50 = bench_median(late, called);
  out->p99 = bench_quantile(late, called, 0.99);
  out->last = bench_max(late, called);
  qsort(ids, (size_t)called, sizeof *ids, compare_ids);
  unsigned distinct = called > 0;
  for (int i = 1; i < called; i++)
    distinct += ids[i] != ids[i - 1];
  out->ran_on = distinct;
  free(late);
  free(ids);
}

/* Arm n weft timers due at `due`; wait for them until `give_up`, then
 * cancel those not yet called (their count goes to *given_up). */
static bool weft_burst(shot *s, unsigned n, double due, double give_up, double *armed_at,
                       unsigned *given_up) {
  weft_timer **t = malloc(n * sizeof *t);
  if (!t) return false;
  unsigned armed = 0;
  for (; armed < n; armed++) {
    double left = due - bench_now();
    t[armed] = weft_timer_new(left > 0 ? left : 0, burst_call, &s[armed]);
    if (!t[armed] || weft_timer_start(t[armed]) != WEFT_OK) {
      weft_timer_unref(t[armed]);
      break;
    }
  }
  *armed_at = bench_now();
  bool ok = armed == n;
  for (unsigned i = 0; i < armed; i++) {
    double left = give_up - bench_now();
    int r = weft_timer_join(t[i], left > 0 ? left : 0);
    if (r == WEFT_TIMEOUT && weft_timer_cancel(t[i]) == WEFT_OK) ++*given_up;
    if (r == WEFT_TIMEOUT) r = weft_timer_join(t[i], WEFT_FOREVER);
    ok &= r == WEFT_OK;
    weft_timer_unref(t[i]);
  }
  free(t);
  return ok;
}

static bool raw_burst(shot *s, unsigned n, double due, double *armed_at) {
  raw_timer *r = malloc(n * sizeof *r);
  if (!r) return false;
  int64_t deadline = raw_clock_ns() + (int64_t)((due - bench_now()) * 1e9);
  unsigned armed = 0;
  for (; armed < n; armed++)
    if (!raw_timer_start(&r[armed], deadline, burst_call, &s[armed])) break;
  *armed_at = bench_now();
  bool ok = armed == n;
  for (unsigned i = 0; i < armed; i++)
    ok &= raw_timer_finish(&r[i], false) == 0 && r[i].fired;
  free(r);
  return ok;
}

/* n timers due `lead` seconds from now, on one side; weft's are given up
 * `patience` seconds after they are due. The threads figure: for weft, its
 * threads alive (helpers, idle ones from before included: all but the
 * benchmark's main and counter threads); for raw, the threads added. */
static burst_result burst_sample(int side, unsigned n, double lead, double patience) {
  burst_result out = {0};
  out.threads = out.ran_on = NAN;
  shot *s = calloc(n, sizeof *s);
  if (!s) {
    bench_fail("out of memory", side);
    return out;
  }
  counter c = {.most = -1};
  atomic_init(&c.done, false);
  int before = raw_thread_count();
  bool counting = before >= 0 && raw_thread_start(&c.thread, counter_main, &c) == 0;
  meter m = bench_start();
  double due = m.wall + lead, armed_at = due;
  for (unsigned i = 0; i < n; i++)
    s[i].due = due;
  bool ok = side == WEFT_SIDE ? weft_burst(s, n, due, due + patience, &armed_at, &out.given_up)
                              : raw_burst(s, n, due, &armed_at);
  cost k = bench_stop(m, n);
  if (counting) {
    atomic_store(&c.done, true);
    if (raw_thread_join(&c.thread) != 0) bench_fail("cannot join the thread counter", side);
    out.threads = side == WEFT_SIDE ? c.most - bench_base_threads - 1 : c.most - before - 1;
  }
  if (!ok) bench_fail("a burst timer could not be armed or joined", side);
  unsigned calls = 0;
  for (unsigned i = 0; i < n; i++) {
    int called = atomic_load(&s[i].calls);
    calls += called == 1;
    if (called > 1) bench_fail("a burst timer ran twice", side);
  }
  if (calls + out.given_up != n) bench_fail("a burst timer did not run", side);
  for (unsigned i = 0; i < n; i++)
    if (atomic_load(&s[i].calls) && s[i].late < -1e-4) {
      bench_fail("a burst timer ran early", side);
      break;
    }
  summarise(s, n, &out);
  out.cpu = k.cpu;
  out.armed_late = armed_at > due;
  free(s);
  return out;
}

enum { B_P50, B_P99, B_LAST, B_WORK, B_CPU, B_THREADS, B_RAN_ON, B_FIGURES };

static void burst_figures(const burst_result *b, double *v) {
  v[B_P50] = b->p50;
  v[B_P99] = b->p99;
  v[B_LAST] = b->last;
  v[B_WORK] = b->work;
  v[B_CPU] = b->cpu;
  v[B_THREADS] = b->threads;
  v[B_RAN_ON] = b->ran_on;
}

/* The 1000-timer burst on both sides: `repeats` each, sides taking turns,
 * the median of each figure. Returns weft's threads per timer (NaN where
 * threads cannot be counted). */
static double run_burst(const bench_config *cfg) {
  char name[4][64];
  unsigned n = cfg->burst;
  snprintf(name[0], sizeof name[0], "timer burst %u: late p50", n);
  if (!bench_wanted(name[0])) return NAN;
  snprintf(name[1], sizeof name[1], "timer burst %u: late p99", n);
  snprintf(name[2], sizeof name[2], "timer burst %u: last fired", n);
  snprintf(name[3], sizeof name[3], "timer burst %u: threads", n);
  static double v[2][B_FIGURES][MAX_REPEATS];
  int repeats = cfg->repeats < 3 ? cfg->repeats : 3;
  bool armed_late = false;
  for (int r = 0; r < repeats; r++) {
    for (int k = 0; k < 2; k++) {
      int side = (r + k) % 2;
      burst_result b = burst_sample(side, n, cfg->burst_lead, 3600);
      armed_late |= b.armed_late;
      double one[B_FIGURES];
      burst_figures(&b, one);
      for (int f = 0; f < B_FIGURES; f++)
        v[side][f][r] = one[f];
    }
  }
  double med[2][B_FIGURES];
  for (int side = 0; side < 2; side++)
    for (int f = 0; f < B_FIGURES; f++)
      med[side][f] = bench_median(v[side][f], repeats);
  static const char *const metric[] = {"lateness-p50", "lateness-p99", "lateness-max"};
  for (int f = B_P50; f <= B_LAST; f++) {
    row r = {.name = name[f],
             .benchmark = "timer.burst",
             .metric = metric[f],
             .threads = 0,
             .unit = "us",
             .precision = 1,
             .goal = f == B_LAST ? 0 : 1.00,
             .baseline = "thread per timer"};
    double value[2] = {med[0][f] * 1e6, med[1][f] * 1e6};
    double cpu[2] = {med[0][B_CPU], med[1][B_CPU]};
    const char *note = NULL;
    if (f == B_P50)
      note =
          armed_late ? "cpu per timer; ARMING PASSED THE DUE TIME" : "cpu per timer, arm to join";
    bench_print_stat(&r, value, f == B_P50 ? cpu : NULL, note);
  }
  row r = {.name = name[3],
           .benchmark = "timer.burst",
           .metric = "threads",
           .unit = "threads",
           .precision = 0,
           .baseline = "thread per timer"};
  char note[96];
  snprintf(note, sizeof note, "most alive; calls ran on weft %.0f, raw %.0f threads",
           med[0][B_RAN_ON], med[1][B_RAN_ON]);
  bench_print_stat(&r, (double[2]){med[0][B_THREADS], med[1][B_THREADS]}, NULL, note);
  return med[0][B_THREADS] / n;
}

/* Beyond this many threads a burst is not run: the OS's limits (and the
 * machine's memory) would be the figure. */
enum { MAX_BURST_THREADS = 16384 };

/* Big bursts, weft only: the time from the due instant until the last
 * call against the sum of what the calls took; each figure the median of
 * up to three bursts, as for the 1000 (one burst is one sample, and this
 * machine's speed moves between samples). */
static void run_big_burst(const bench_config *cfg, unsigned n, double *threads_per_timer) {
  char name[4][64], note[200];
  snprintf(name[0], sizeof name[0], "timer burst %u: last fired", n);
  if (!bench_wanted(name[0])) return;
  snprintf(name[1], sizeof name[1], "timer burst %u: late p50", n);
  snprintf(name[2], sizeof name[2], "timer burst %u: late p99", n);
  snprintf(name[3], sizeof name[3], "timer burst %u: threads", n);
  /* Where weft needs a thread per due timer (or threads cannot be
   * counted), do not ask for more threads than the machine can take. */
  double per = isnan(*threads_per_timer) ? 1.0 : *threads_per_timer;
  if (per * n > MAX_BURST_THREADS) {
    snprintf(note, sizeof note,
             "%-46s skipped: weft would need ~%.0f threads (%.2f per timer in the last burst)",
             name[0], per * n, per);
    bench_print_text(note);
    return;
  }
  double patience = cfg->quick ? 30 : 120;
  static double v[B_FIGURES][MAX_REPEATS];
  int repeats = cfg->repeats < 3 ? cfg->repeats : 3;
  bool armed_late = false;
  unsigned given_up = 0;
  for (int r = 0; r < repeats; r++) {
    burst_result b = burst_sample(WEFT_SIDE, n, cfg->big_burst_lead, patience);
    armed_late |= b.armed_late;
    given_up += b.given_up;
    double one[B_FIGURES];
    burst_figures(&b, one);
    for (int f = 0; f < B_FIGURES; f++)
      v[f][r] = one[f];
  }
  double med[B_FIGURES];
  for (int f = 0; f < B_FIGURES; f++)
    med[f] = bench_median(v[f], repeats);
  if (!isnan(med[B_THREADS])) *threads_per_timer = med[B_THREADS] / n;
  int len = snprintf(note, sizeof note,
                     "raw = the calls' work, summed; median of %d; no thread per timer at %u",
                     repeats, n);
  if (armed_late) len += snprintf(note + len, sizeof note - (size_t)len, "; ARMED LATE");
  if (given_up)
    snprintf(note + len, sizeof note - (size_t)len, "; %u NOT CALLED %.0f s after due", given_up,
             patience);
  row r = {.name = name[0],
           .benchmark = "timer.bigburst",
           .metric = "lateness-max",
           .threads = 0,
           .unit = "ms",
           .precision = 2,
           .goal = 1.00,
           .baseline = "sum of the callbacks' work"};
  bench_print_stat(&r, (double[2]){med[B_LAST] * 1e3, med[B_WORK] * 1e3},
                   (double[2]){med[B_CPU], NAN}, note);
  r = (row){.name = name[1],
            .benchmark = "timer.bigburst",
            .metric = "lateness-p50",
            .unit = "ms",
            .precision = 2,
            .baseline = "-"};
  bench_print_info(&r, med[B_P50] * 1e3, NAN, NULL);
  r.name = name[2];
  r.metric = "lateness-p99";
  bench_print_info(&r, med[B_P99] * 1e3, NAN, NULL);
  r = (row){.name = name[3],
            .benchmark = "timer.bigburst",
            .metric = "threads",
            .unit = "threads",
            .precision = 0,
            .baseline = "-"};
  snprintf(note, sizeof note, "most alive; calls ran on %.0f threads", med[B_RAN_ON]);
  bench_print_info(&r, med[B_THREADS], NAN, note);
}

void bench_timer(const bench_config *cfg) {
  run_pending(cfg);
  run_one_at_a_time(cfg);
  double threads_per_timer = run_burst(cfg);
  for (unsigned i = 0; i < BIG_BURSTS && cfg->big_bursts[i]; i++)
    run_big_burst(cfg, cfg->big_bursts[i], &threads_per_timer);
}
