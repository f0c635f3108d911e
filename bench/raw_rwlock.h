/* What bench_rwlock measures weft_rwlock against: the OS's reader-writer
 * lock, used the plain way, and the process's CPU time. One file per OS:
 * raw_rwlock_posix.c (pthread_rwlock_t, for the posix and c11 backends:
 * C11 has no rwlock) and raw_rwlock_win32.c (SRWLOCK); CMake builds the
 * one for the target, so bench_rwlock.c has no backend #ifdefs.
 *
 * Every call that can fail returns 0 on success, nonzero otherwise. */
#ifndef WEFT_BENCH_RAW_RWLOCK_H
#define WEFT_BENCH_RAW_RWLOCK_H

#include <stddef.h>
#include <stdint.h>

extern const char raw_rwlock_name[]; /* "pthread_rwlock_t", "SRWLOCK" */
extern const char raw_cpu_clock_name[];

typedef struct raw_rwlock {
  _Alignas(max_align_t) unsigned char os[256]; /* pthread_rwlock_t (200 bytes on macOS), SRWLOCK */
} raw_rwlock;

/* The shared data of the read-mostly runs: writers keep a == b. */
typedef struct rw_data {
  uint64_t a, b;
} rw_data;

int raw_rwlock_init(raw_rwlock *l);
void raw_rwlock_destroy(raw_rwlock *l);

/* n times: read-lock, check d->a == d->b, unlock. Written here rather than
 * through single calls so that the raw side pays no extra call per
 * operation that weft's side does not. Returns the number of times the
 * check failed; *bad is set if a call failed. */
uint64_t raw_rwlock_read_loop(raw_rwlock *l, const rw_data *d, uint64_t n, int *bad);
/* One write: write-lock, ++a, ++b, unlock. Nonzero if a call failed. */
int raw_rwlock_write(raw_rwlock *l, rw_data *d);

/* CPU time used by the whole process so far (user + system), seconds. */
double raw_cpu_seconds(void);

#endif
