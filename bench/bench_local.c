/* The thread-local area: weft_local_get against the raw thread-local get
 * (pthread_getspecific, tss_get, TlsGetValue), ns per get. */
#include "bench.h"
#include "harness.h"
#include "raw.h"
#include "weft.h"

#include <stdint.h>

static weft_local *local;
static int local_target;

static cost sample_local(const job *j) {
  uintptr_t sum = 0;
  meter m = bench_start();
  if (j->side == WEFT_SIDE)
    for (uint64_t i = 0; i < j->n; i++)
      sum += (uintptr_t)weft_local_get(local);
  else
    sum = raw_tls_loop(j->n);
  cost c = bench_stop(m, (double)j->n);
  if (sum != (uintptr_t)j->n * (uintptr_t)&local_target)
    bench_fail("a thread-local get returned the wrong value", j->side);
  return c;
}

void bench_local(const bench_config *cfg) {
  static const row r = {.name = "thread-local get",
                        .benchmark = "local.get",
                        .metric = "time",
                        .threads = 1,
                        .unit = "ns",
                        .scale = 1e9,
                        .precision = 2,
                        .goal = 1.00,
                        .baseline = raw_tls_name};
  if (!bench_wanted(r.name)) return;
  local = weft_local_new(NULL);
  if (!local || weft_local_set(local, &local_target) != WEFT_OK || raw_tls_init() != 0 ||
      raw_tls_set(&local_target) != 0) {
    bench_fail("cannot set up the thread-local values", WEFT_SIDE);
    return;
  }
  job j = {.threads = 1};
  j.n = bench_calibrate(sample_local, j, 1024, cfg->local_sample);
  cost c[2];
  bench_measure(sample_local, j, cfg->repeats, c);
  bench_print_row(&r, c, NULL);
  raw_tls_destroy();
  weft_local_free(local);
}
