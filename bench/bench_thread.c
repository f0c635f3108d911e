/* The thread area: start + join of a thread that does nothing, weft_thread
 * against the raw thread (pthread_create/join, thrd_create/join,
 * _beginthreadex + WaitForSingleObject), us per thread. */
#include "bench.h"
#include "harness.h"
#include "raw.h"
#include "weft.h"

#include <stdatomic.h>

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

static cost sample_threads(const job *j) {
  bool (*start_join)(void) = j->side == WEFT_SIDE ? weft_start_join : raw_start_join;
  atomic_store(&ran, 0);
  meter m = bench_start();
  uint64_t done = 0;
  while (done < j->n && start_join())
    done++;
  cost c = bench_stop(m, (double)done);
  if (done < j->n) bench_fail("thread start or join failed", j->side);
  if (atomic_load(&ran) != done) bench_fail("a thread did not run exactly once", j->side);
  return c;
}

void bench_thread(const bench_config *cfg) {
  static const row r = {.name = "thread start+join",
                        .benchmark = "thread.start_join",
                        .metric = "time",
                        .threads = 1,
                        .unit = "us",
                        .scale = 1e6,
                        .precision = 1,
                        .goal = 1.20,
                        .baseline = raw_thread_name};
  if (!bench_wanted(r.name)) return;
  job j = {.threads = 1};
  j.n = bench_calibrate(sample_threads, j, 4, cfg->thread_sample);
  cost c[2];
  bench_measure(sample_threads, j, cfg->repeats, c);
  bench_print_row(&r, c, NULL);
}
