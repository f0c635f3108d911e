/* weft/threads.h: the C11 <threads.h> API on weft, for every platform.
 *
 * Include it instead of <threads.h>: code written for C11 threads then
 * builds where <threads.h> is missing (macOS, MSVC before 17.8, mingw) and
 * runs on weft, on whichever backend weft was built with. Nothing of it is
 * visible unless this header is included. C99, C11 and C++.
 *
 * Every name is weft's own: thrd_create is a macro for
 * weft_c11_thrd_create, thrd_t for weft_c11_thrd_t, and so on, so the
 * symbols never collide with a C library's C11 threads. Include it only in
 * place of <threads.h>, never with it: if <threads.h> came first, this
 * header stops the build with #error (the two would define the same names
 * differently); a <threads.h> included after it fails to compile on its
 * redefinitions. Objects are weft's (all zero is not a valid mtx_t or cnd_t
 * here: call mtx_init / cnd_init, as C11 requires).
 *
 * Where it differs from a C library's C11 threads, on purpose:
 *  - Timed calls (mtx_timedlock, cnd_timedwait) take C11's absolute TIME_UTC
 *    deadline. It is turned into a relative timeout once, against the wall
 *    clock (timespec_get(TIME_UTC)) at the call, and the wait itself runs on
 *    weft's monotonic clock: a wall-clock step during the wait neither
 *    shortens nor stretches it. A deadline already past tries once.
 *  - Threads from thrd_create are daemon threads in weft's sense: returning
 *    from main does not wait for them (as in C11, where exit ends them).
 *  - thrd_sleep is never cut short by a signal: it returns 0 and sets
 *    *remaining (if not NULL) to zero; -2 for a negative or malformed
 *    duration.
 *  - mtx_unlock of a mutex that is not locked (or, recursive, not owned by
 *    the caller) returns thrd_error instead of being undefined.
 *  - tss destructors run at thread exit, for weft and foreign threads, in up
 *    to TSS_DTOR_ITERATIONS (4) passes; tss_delete runs none; at process
 *    exit the main thread's values are not destroyed (as with POSIX keys).
 *  - Where the C library has no TIME_UTC / timespec_get (older mingw), this
 *    header defines them, on weft's wall clock. */
#ifndef WEFT_THREADS_H
#define WEFT_THREADS_H

/* (weft's own src/c11threads.c defines WEFT_C11_IMPLEMENTATION: it sees
 * only the weft_c11_ names, beside the C library's <threads.h> on the c11
 * backend.) */
#if !defined(WEFT_C11_IMPLEMENTATION) &&                                                           \
    (defined(ONCE_FLAG_INIT) || defined(TSS_DTOR_ITERATIONS) || defined(thrd_create))
#error "weft/threads.h replaces <threads.h>: include one or the other, not both"
#endif

#include <time.h>

#include "../weft.h"

#ifdef __cplusplus
extern "C" {
#endif

struct timespec;

#if defined(__cplusplus) && __cplusplus >= 201103L
#define WEFT_C11_NORETURN [[noreturn]]
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define WEFT_C11_NORETURN _Noreturn
#elif defined(__GNUC__)
#define WEFT_C11_NORETURN __attribute__((noreturn))
#elif defined(_MSC_VER)
#define WEFT_C11_NORETURN __declspec(noreturn)
#else
#define WEFT_C11_NORETURN
#endif

/* ---- return codes ---- */
enum {
  weft_c11_thrd_success = 0,
  weft_c11_thrd_busy = 1,
  weft_c11_thrd_error = 2,
  weft_c11_thrd_nomem = 3,
  weft_c11_thrd_timedout = 4
};

/* ---- threads ---- */
typedef struct weft_c11_thread *weft_c11_thrd_t; /* a handle; compare with thrd_equal */
typedef int (*weft_c11_thrd_start_t)(void *arg);

/* Start func(arg) in a new (daemon) thread; *thr gets its handle.
 * thrd_nomem if memory is short, thrd_error if the OS refused. */
WEFT_API int weft_c11_thrd_create(weft_c11_thrd_t *thr, weft_c11_thrd_start_t func, void *arg);
/* Nonzero if a and b are the same thread. */
WEFT_API int weft_c11_thrd_equal(weft_c11_thrd_t a, weft_c11_thrd_t b);
/* The calling thread, also one that weft did not create. */
WEFT_API weft_c11_thrd_t weft_c11_thrd_current(void);
/* Sleep at least *duration: 0; -2 for a negative or malformed one. Never
 * cut short, so *remaining (if not NULL) is set to zero. */
WEFT_API int weft_c11_thrd_sleep(const struct timespec *duration, struct timespec *remaining);
WEFT_API void weft_c11_thrd_yield(void);
/* End the calling thread with result res: its tss destructors run, and
 * thrd_join gets res. */
WEFT_C11_NORETURN WEFT_API void weft_c11_thrd_exit(int res);
/* Let the thread's resources go when it ends; it can no longer be joined. */
WEFT_API int weft_c11_thrd_detach(weft_c11_thrd_t thr);
/* Wait for a thread from thrd_create to end; *res (may be NULL) gets its
 * result. thrd_error for the calling thread itself, a thread not from
 * thrd_create, or one detached or joined before. */
WEFT_API int weft_c11_thrd_join(weft_c11_thrd_t thr, int *res);

/* ---- mutexes ---- */
enum { weft_c11_mtx_plain = 0, weft_c11_mtx_recursive = 1, weft_c11_mtx_timed = 2 };
typedef struct weft_c11_mtx_t {
  weft_rlock lock_; /* plain and timed mutexes use its weft_lock only */
  int type_;
} weft_c11_mtx_t;

/* type: mtx_plain or mtx_timed, each optionally | mtx_recursive (any
 * other: thrd_error). Every mutex here can also be used timed. */
WEFT_API int weft_c11_mtx_init(weft_c11_mtx_t *mtx, int type);
WEFT_API int weft_c11_mtx_lock(weft_c11_mtx_t *mtx);
/* Lock, waiting until the TIME_UTC deadline ts: thrd_timedout then. */
WEFT_API int weft_c11_mtx_timedlock(weft_c11_mtx_t *mtx, const struct timespec *ts);
/* thrd_busy if it is held (by another thread, for a recursive one). */
WEFT_API int weft_c11_mtx_trylock(weft_c11_mtx_t *mtx);
WEFT_API int weft_c11_mtx_unlock(weft_c11_mtx_t *mtx);
/* Nothing to free; the mutex must not be locked. */
WEFT_API void weft_c11_mtx_destroy(weft_c11_mtx_t *mtx);

/* ---- condition variables ---- */
typedef struct weft_c11_cnd_t {
  uintptr_t queue_; /* waiters park on this word's address */
} weft_c11_cnd_t;

WEFT_API int weft_c11_cnd_init(weft_c11_cnd_t *cond);
/* Wake one waiter / every waiter (the mutex need not be held). */
WEFT_API int weft_c11_cnd_signal(weft_c11_cnd_t *cond);
WEFT_API int weft_c11_cnd_broadcast(weft_c11_cnd_t *cond);
/* Unlock mtx (fully, if recursive), wait for a signal, lock it again.
 * Spurious wake-ups are possible, as C11 allows. */
WEFT_API int weft_c11_cnd_wait(weft_c11_cnd_t *cond, weft_c11_mtx_t *mtx);
/* The same until the TIME_UTC deadline ts: thrd_timedout then. */
WEFT_API int weft_c11_cnd_timedwait(weft_c11_cnd_t *cond, weft_c11_mtx_t *mtx,
                                    const struct timespec *ts);
WEFT_API void weft_c11_cnd_destroy(weft_c11_cnd_t *cond);

/* ---- thread-specific storage ---- */
typedef struct weft_c11_tss *weft_c11_tss_t;
typedef void (*weft_c11_tss_dtor_t)(void *value);

/* A new key; dtor (may be NULL) runs at thread exit on each thread's
 * non-NULL value, which is set to NULL first. thrd_error if memory is
 * short. */
WEFT_API int weft_c11_tss_create(weft_c11_tss_t *key, weft_c11_tss_dtor_t dtor);
/* This thread's value; NULL until set. */
WEFT_API void *weft_c11_tss_get(weft_c11_tss_t key);
/* Set it (no destructor runs on the old value). thrd_error if memory is
 * short. */
WEFT_API int weft_c11_tss_set(weft_c11_tss_t key, void *value);
/* Free the key; no destructor runs. No thread may use it any more. */
WEFT_API void weft_c11_tss_delete(weft_c11_tss_t key);

/* ---- once ---- */
typedef struct weft_c11_once_flag {
  weft_once once_;
} weft_c11_once_flag;
/* Run func exactly once per flag; others calling meanwhile wait for it. */
WEFT_API void weft_c11_call_once(weft_c11_once_flag *flag, void (*func)(void));

/* The wall clock, for C libraries without timespec_get: base must be
 * TIME_UTC; returns base, or 0 on failure. */
WEFT_API int weft_c11_timespec_get(struct timespec *ts, int base);

#ifdef __cplusplus
}
#endif

/* ---- the C11 names ---- */
#if !defined(WEFT_C11_IMPLEMENTATION)
#define thrd_success weft_c11_thrd_success
#define thrd_busy weft_c11_thrd_busy
#define thrd_error weft_c11_thrd_error
#define thrd_nomem weft_c11_thrd_nomem
#define thrd_timedout weft_c11_thrd_timedout
#define thrd_t weft_c11_thrd_t
#define thrd_start_t weft_c11_thrd_start_t
#define thrd_create weft_c11_thrd_create
#define thrd_equal weft_c11_thrd_equal
#define thrd_current weft_c11_thrd_current
#define thrd_sleep weft_c11_thrd_sleep
#define thrd_yield weft_c11_thrd_yield
#define thrd_exit weft_c11_thrd_exit
#define thrd_detach weft_c11_thrd_detach
#define thrd_join weft_c11_thrd_join
#define mtx_plain weft_c11_mtx_plain
#define mtx_recursive weft_c11_mtx_recursive
#define mtx_timed weft_c11_mtx_timed
#define mtx_t weft_c11_mtx_t
#define mtx_init weft_c11_mtx_init
#define mtx_lock weft_c11_mtx_lock
#define mtx_timedlock weft_c11_mtx_timedlock
#define mtx_trylock weft_c11_mtx_trylock
#define mtx_unlock weft_c11_mtx_unlock
#define mtx_destroy weft_c11_mtx_destroy
#define cnd_t weft_c11_cnd_t
#define cnd_init weft_c11_cnd_init
#define cnd_signal weft_c11_cnd_signal
#define cnd_broadcast weft_c11_cnd_broadcast
#define cnd_wait weft_c11_cnd_wait
#define cnd_timedwait weft_c11_cnd_timedwait
#define cnd_destroy weft_c11_cnd_destroy
#define tss_t weft_c11_tss_t
#define tss_dtor_t weft_c11_tss_dtor_t
#define tss_create weft_c11_tss_create
#define tss_get weft_c11_tss_get
#define tss_set weft_c11_tss_set
#define tss_delete weft_c11_tss_delete
#define TSS_DTOR_ITERATIONS 4
#define once_flag weft_c11_once_flag
#define ONCE_FLAG_INIT                                                                             \
  {                                                                                                \
    { 0 }                                                                                          \
  }
#define call_once weft_c11_call_once
#if !defined(__cplusplus) && !defined(thread_local) && defined(__STDC_VERSION__) &&                \
    __STDC_VERSION__ >= 201112L && __STDC_VERSION__ < 202311L
#define thread_local _Thread_local
#endif
#if !defined(TIME_UTC)
#define TIME_UTC 1
#define timespec_get weft_c11_timespec_get
#endif
#endif /* !WEFT_C11_IMPLEMENTATION */

#endif /* WEFT_THREADS_H */
