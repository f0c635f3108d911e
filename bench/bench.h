/* What the benchmark areas share: the run's settings and the areas
 * themselves, one file each (bench_<area>.c). bench_main() is the whole of
 * each program's main: weft_bench runs every area, weft_bench_sync the
 * synchronisation ones. */
#ifndef WEFT_BENCH_BENCH_H
#define WEFT_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>

enum { LOCK_COUNTS = 4, BIG_BURSTS = 2 };

typedef struct bench_config {
  bool quick;
  int repeats;
  /* lock */
  double lock_sample;                 /* seconds per uncontended sample */
  double lock_window;                 /* the contended rows' time window */
  double method_sample;               /* the 2-thread method comparison */
  unsigned lock_threads[LOCK_COUNTS]; /* the contended rows' thread counts */
  /* thread */
  double thread_sample; /* seconds per start+join sample */
  /* handoff */
  double pingpong_sample; /* seconds per ping-pong sample */
  /* wait */
  unsigned timed_waits; /* 10 ms timed waits per sample */
  /* queue */
  double queue_sample; /* seconds per queue sample (raw side) */
  /* timer */
  unsigned weft_timers;            /* timers pending at once */
  unsigned raw_timers;             /* threads sleeping at once, one per raw timer */
  unsigned late_timers;            /* one-shot timers for the lateness figures */
  unsigned burst;                  /* timers due at one instant, both sides */
  unsigned big_bursts[BIG_BURSTS]; /* then these many, weft only (0: none) */
  double burst_lead;               /* seconds from arming to the due instant */
  double big_burst_lead;           /* the same for the big bursts */
  /* local */
  double local_sample; /* seconds per thread-local sample */
} bench_config;

/* CPUs that threads can be pinned to (0: none, bench_pin_why says why). */
extern unsigned bench_pin_cpus;
extern const char *bench_pin_why;
/* Threads in the process before the benchmarks started any (-1: unknown). */
extern int bench_base_threads;
/* Bytes weft holds now, through the counting allocator. */
size_t bench_live_bytes(void);

/* Pin the calling thread (cpu < 0: unpin); false where it cannot be. */
bool bench_pin(int cpu);

void bench_lock(const bench_config *cfg);
void bench_thread(const bench_config *cfg);
void bench_handoff(const bench_config *cfg);
void bench_wait(const bench_config *cfg);
void bench_queue(const bench_config *cfg);
void bench_timer(const bench_config *cfg);
void bench_local(const bench_config *cfg);

/* Parse the arguments, run the areas named in `areas` (comma-separated,
 * unless --area says otherwise), report; returns the exit status. */
int bench_main(const char *program, const char *areas, int argc, char **argv);

#endif
