/* What weft_bench measures weft against: the backend's own mutex and
 * threads, used the plain way. One file implements it per backend
 * (raw_posix.c, raw_c11.c, raw_win32.c); CMake builds the one matching
 * WEFT_BACKEND, so the benchmark itself is the same on every backend. */
#ifndef WEFT_BENCH_RAW_H
#define WEFT_BENCH_RAW_H

#include <stddef.h>
#include <stdint.h>

/* Names of the raw primitives, for the report ("pthread_mutex_t"). */
extern const char raw_mutex_name[];
extern const char raw_thread_name[];

/* The one raw mutex of the process, on its own cache line (weft's lock in
 * the benchmark gets one too). init returns 0 on success. */
int raw_mutex_init(void);
void raw_mutex_destroy(void);

/* n times: lock, ++*counter, unlock. Written here rather than calling
 * lock/unlock through this interface so that the raw side pays no extra
 * call per operation that weft's side does not. Returns 0, or nonzero if
 * any lock or unlock reported an error. */
int raw_mutex_loop(uint64_t *counter, uint64_t n);

/* A raw thread running fn(arg); the caller owns the storage. */
typedef struct raw_thread {
  void (*fn)(void *);
  void *arg;
  _Alignas(max_align_t) unsigned char os[32]; /* pthread_t, thrd_t or HANDLE */
} raw_thread;

/* Create the thread (joinable, default attributes); 0 on success. */
int raw_thread_start(raw_thread *t, void (*fn)(void *), void *arg);
/* Wait for it to end and release it; 0 on success. */
int raw_thread_join(raw_thread *t);

#endif
