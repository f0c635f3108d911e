/* The loop a lock benchmark's worker runs, written once and compiled for
 * each side: bench_lock.c builds it around weft_lock, raw_<backend>.c
 * around the raw mutex (raw_mutex_run), so both sides run the same code
 * with one direct call per acquire and per release.
 *
 * Each operation: acquire (timed on weft's monotonic clock every
 * sample_every-th time), ++counter and work_in rounds of work on the shared
 * state, release, then work_out rounds of work on the thread's own state.
 * The worker runs until *stop is set (a time window) or for n operations
 * (fixed work). */
#ifndef WEFT_BENCH_LOCK_LOOP_H
#define WEFT_BENCH_LOCK_LOOP_H

#include "harness.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* What the lock protects, on a cache line of its own. */
typedef struct lock_shared {
  _Alignas(64) uint64_t counter;
  uint64_t state;
} lock_shared;

typedef struct lock_worker {
  lock_shared *shared;
  atomic_bool *stop; /* run until set; NULL: run n operations */
  uint64_t n;
  unsigned work_in, work_out; /* bench_work rounds inside and outside */
  unsigned sample_every;      /* time every k-th acquire; 0: none */
  uint32_t *lat;              /* sampled acquire times, ns: a ring of lat_cap */
  size_t lat_cap;
  uint64_t lat_count; /* samples taken (may pass lat_cap) */
  double lat_max;     /* seconds: the longest sampled acquire */
  uint64_t ops, sink;
  int bad;
} lock_worker;

static inline void lock_note_latency(lock_worker *w, double seconds) {
  if (seconds > w->lat_max) w->lat_max = seconds;
  double ns = seconds * 1e9;
  if (w->lat_cap) w->lat[w->lat_count % w->lat_cap] = ns < 4e9 ? (uint32_t)ns : UINT32_MAX;
  w->lat_count++;
}

static inline void lock_worker_run(lock_worker *w, int (*acquire)(void *), int (*release)(void *),
                                   void *lock) {
  lock_shared *s = w->shared;
  uint64_t ops = 0, mine = (uint64_t)(uintptr_t)w;
  unsigned until_sample = 1;
  int bad = 0;
  for (;;) {
    if (w->stop ? atomic_load_explicit(w->stop, memory_order_relaxed) : ops == w->n) break;
    if (w->sample_every && --until_sample == 0) {
      until_sample = w->sample_every;
      double t0 = bench_now();
      bad |= acquire(lock);
      lock_note_latency(w, bench_now() - t0);
    } else {
      bad |= acquire(lock);
    }
    s->counter++;
    s->state = bench_work(s->state, w->work_in);
    bad |= release(lock);
    mine = bench_work(mine, w->work_out);
    ops++;
  }
  w->ops = ops;
  w->sink = mine;
  w->bad |= bad;
}

#endif
