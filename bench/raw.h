/* What the benchmarks measure weft against: the backend's own mutex,
 * condition variable, thread-local key and threads, used the plain way.
 * One file implements it per backend (raw_posix.c, raw_c11.c,
 * raw_win32.c); CMake builds the one matching WEFT_BACKEND, so the
 * benchmarks themselves are the same on every backend.
 *
 * Every call that can fail returns 0 on success, nonzero otherwise. */
#ifndef WEFT_BENCH_RAW_H
#define WEFT_BENCH_RAW_H

#include <stddef.h>
#include <stdint.h>

/* Names of the raw primitives, for the report ("pthread_mutex_t"). */
extern const char raw_mutex_name[];
extern const char raw_cond_name[];
extern const char raw_tls_name[];
extern const char raw_thread_name[];

/* Storage for the OS objects; the caller places them (on their own cache
 * lines where it matters, as weft's objects are placed). */
typedef struct raw_mutex {
  _Alignas(max_align_t) unsigned char os[64]; /* pthread_mutex_t, mtx_t or SRWLOCK */
} raw_mutex;
typedef struct raw_cond {
  _Alignas(max_align_t) unsigned char os[64]; /* pthread_cond_t, cnd_t or CONDITION_VARIABLE */
} raw_cond;

int raw_mutex_init(raw_mutex *m);
void raw_mutex_destroy(raw_mutex *m);
int raw_mutex_lock(raw_mutex *m);
int raw_mutex_unlock(raw_mutex *m);

/* lock_loop.h's loop on this mutex. Written here rather than calling
 * lock/unlock through this interface so that the raw side pays no extra
 * call per operation that weft's side does not. */
struct lock_worker;
void raw_mutex_run(raw_mutex *m, struct lock_worker *w);

/* A condition variable whose timed waits use raw_clock_ns's clock
 * (CLOCK_MONOTONIC where pthread_condattr_setclock exists). */
int raw_cond_init(raw_cond *c);
void raw_cond_destroy(raw_cond *c);
int raw_cond_wait(raw_cond *c, raw_mutex *m);
/* One timed wait towards deadline (raw_clock_ns); may return early or
 * spuriously, as the OS call does: callers loop on their condition and the
 * clock. A timeout is not an error. */
int raw_cond_wait_until(raw_cond *c, raw_mutex *m, int64_t deadline);
int raw_cond_signal(raw_cond *c);
int raw_cond_broadcast(raw_cond *c);

/* Sleep until deadline (raw_clock_ns) in the OS's plain sleep:
 * clock_nanosleep (nanosleep where there is none), thrd_sleep, Sleep. */
extern const char raw_sleep_name[];
int raw_sleep_until(int64_t deadline);

/* Nanoseconds on the clock raw_cond_wait_until's deadlines are on:
 * CLOCK_MONOTONIC (posix), TIME_UTC (c11: the only clock cnd_timedwait
 * takes), QueryPerformanceCounter (win32). */
int64_t raw_clock_ns(void);

/* The process's one raw thread-local key, created holding NULL. */
int raw_tls_init(void);
void raw_tls_destroy(void);
int raw_tls_set(void *value);
/* n reads of this thread's value (pthread_getspecific, tss_get,
 * TlsGetValue), written here for the same reason as raw_mutex_loop;
 * returns the sum of the values read, so the reads cannot be dropped. */
uintptr_t raw_tls_loop(uint64_t n);

/* A raw thread running fn(arg); the caller owns the storage. */
typedef struct raw_thread {
  void (*fn)(void *);
  void *arg;
  _Alignas(max_align_t) unsigned char os[32]; /* pthread_t, thrd_t or HANDLE */
} raw_thread;

/* Create the thread (joinable, default attributes). */
int raw_thread_start(raw_thread *t, void (*fn)(void *), void *arg);
/* Wait for it to end and release it. */
int raw_thread_join(raw_thread *t);

/* -- what the benchmarks ask of the OS (raw_unix.c or raw_win32.c) -- */

/* CPU seconds the whole process has used, user plus system: getrusage
 * (RUSAGE_SELF), GetProcessTimes; -1 where unknown. */
double raw_process_cpu(void);

/* CPU seconds the calling thread has used, user plus system
 * (CLOCK_THREAD_CPUTIME_ID, GetThreadTimes); -1 where unknown. */
double raw_thread_cpu(void);

/* Threads in the process now (/proc/self/task, a Toolhelp snapshot); -1
 * where the OS gives no count (macOS). */
int raw_thread_count(void);

/* Call once, from the main thread before any pinning: how many CPUs the
 * calling thread can be pinned to, 0 where threads cannot be pinned
 * (macOS, or not Linux under c11). why says what is missing then. */
unsigned raw_pin_init(const char **why);
/* Pin the calling thread to the cpu-th CPU of the process's set (0-based),
 * or with cpu < 0 let it run on the whole set again. Threads inherit their
 * creator's pinning. 0 on success. */
int raw_pin_self(int cpu);

#endif
