/* What weft_bench_pool (bench_pool.c) asks of GLib's GThreadPool
 * (bench_pool_glib.c, or bench_pool_glib_none.c where the build found no
 * GLib). Every int call returns 0 on success. */
#ifndef WEFT_BENCH_POOL_H
#define WEFT_BENCH_POOL_H

#include <stdbool.h>
#include <stdint.h>

/* "GThreadPool", or NULL without GLib (then the GLib rows are skipped). */
extern const char *const glib_pool_name;
/* n submit-and-wait round trips of one empty task on a pool of `workers`:
 * the task pushes its item onto a GAsyncQueue that the submitter pops. */
int glib_round_trips(uint64_t n, unsigned workers);
/* n empty tasks pushed without waiting, then the pool freed with wait:
 * *ran counts the tasks that ran. */
int glib_fire_and_forget(uint64_t n, unsigned workers, uint64_t *ran);

#endif
