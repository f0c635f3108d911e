/* bench_pool.h without GLib: the GThreadPool rows are skipped. */
#include "bench_pool.h"

#include <stddef.h>

const char *const glib_pool_name = NULL;

int glib_round_trips(uint64_t n, unsigned workers) {
  (void)n;
  (void)workers;
  return -1;
}

int glib_fire_and_forget(uint64_t n, unsigned workers, uint64_t *ran) {
  (void)n;
  (void)workers;
  *ran = 0;
  return -1;
}
