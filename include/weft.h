/* weft: Python's threading model for C, over POSIX threads, Win32 or C11.
 *
 * One header, C99/C11/C++. Every call that can fail returns an int status
 * (WEFT_OK is 0). Timeouts are double seconds: WEFT_FOREVER (-1.0) waits
 * forever, 0 never blocks, values above WEFT_TIMEOUT_MAX or +INFINITY mean
 * forever, NaN and other negatives are WEFT_EINVAL. Every wait is measured on
 * a monotonic clock and never returns early. */
#ifndef WEFT_H
#define WEFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft_version.h"

/* WEFT_API marks what a weft DLL or shared object exports. Users of a weft
 * DLL define WEFT_SHARED (the CMake package and weft.pc do it for them) and
 * get dllimport; a static weft needs no macro (WEFT_STATIC is accepted too)
 * and exports nothing from the program or plugin it is linked into. */
#if defined(WEFT_STATIC) || (defined(WEFT_BUILDING) && !defined(WEFT_SHARED))
#define WEFT_API
#elif defined(_WIN32) || defined(__CYGWIN__)
#if !defined(WEFT_SHARED)
#define WEFT_API
#elif defined(WEFT_BUILDING)
#define WEFT_API __declspec(dllexport)
#else
#define WEFT_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

/* clang's -Wthread-safety: weft's locks are capabilities and their calls
 * say what they take and let go, so a program built with it is told when it
 * touches data without the lock that guards it. Empty elsewhere. The macros
 * are for your declarations too: int balance WEFT_GUARDED_BY(account_lock);
 * (Not modelled: a weft_lock released by another thread than its taker, and
 * an rlock taken again by its owner; mark such functions
 * WEFT_NO_THREAD_SAFETY_ANALYSIS.) */
#if defined(__clang__)
/* One clang attribute, or nothing on other compilers. */
#define WEFT__TSA(x) __attribute__((x))
#else
/* One clang attribute, or nothing on other compilers. */
#define WEFT__TSA(x)
#endif
/* A type whose objects are locks ("mutex" in the analysis' messages). */
#define WEFT_CAPABILITY(name) WEFT__TSA(capability(name))
/* Data read and written only with lock x held. */
#define WEFT_GUARDED_BY(x) WEFT__TSA(guarded_by(x))
/* Data behind a pointer, read and written only with lock x held. */
#define WEFT_PT_GUARDED_BY(x) WEFT__TSA(pt_guarded_by(x))
/* A function called only with these locks held. */
#define WEFT_REQUIRES(...) WEFT__TSA(requires_capability(__VA_ARGS__))
/* A function called only with these locks held at least shared. */
#define WEFT_REQUIRES_SHARED(...) WEFT__TSA(requires_shared_capability(__VA_ARGS__))
/* A function that returns with these locks held. */
#define WEFT_ACQUIRE(...) WEFT__TSA(acquire_capability(__VA_ARGS__))
/* A function that holds the locks when it returns its first argument. */
#define WEFT_TRY_ACQUIRE(...) WEFT__TSA(try_acquire_capability(__VA_ARGS__))
/* The same, holding them shared. */
#define WEFT_TRY_ACQUIRE_SHARED(...) WEFT__TSA(try_acquire_shared_capability(__VA_ARGS__))
/* A function that lets these locks go. */
#define WEFT_RELEASE(...) WEFT__TSA(release_capability(__VA_ARGS__))
/* A function that lets these shared holds go. */
#define WEFT_RELEASE_SHARED(...) WEFT__TSA(release_shared_capability(__VA_ARGS__))
/* A function the analysis leaves alone (cross-thread release, recursion). */
#define WEFT_NO_THREAD_SAFETY_ANALYSIS WEFT__TSA(no_thread_safety_analysis)

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes; weft_strerror() names them. */
enum {
  WEFT_OK = 0,    /* done */
  WEFT_TIMEOUT,   /* the wait ended first; with timeout 0, "would block" */
  WEFT_EINVAL,    /* bad argument: NULL, NaN or negative timeout, ... */
  WEFT_ESTATE,    /* wrong state: start twice, join before start, ... */
  WEFT_EPERM,     /* caller does not own it */
  WEFT_EDEADLK,   /* would surely deadlock: a thread joining itself */
  WEFT_ENOMEM,    /* out of memory */
  WEFT_EAGAIN,    /* the OS refused a resource (thread limit, stack) */
  WEFT_EOVERFLOW, /* a counter would pass its bound */
  WEFT_ESHUTDOWN, /* queue or pool shut down */
  WEFT_EBROKEN,   /* barrier broken */
  WEFT_ECANCELED, /* timer or future cancelled */
  WEFT_ENOTSUP    /* the OS or backend cannot do it */
};
/* Also a plain 0, so that clang's -Wthread-safety follows tests such as
 * `if (weft_lock_acquire(&l, t) != WEFT_OK) return;` (it reads literals only). */
#define WEFT_OK 0

/* A null pointer in the initialisers below, as C and C++ spell it (C++
 * compilers warn about 0 with -Wzero-as-null-pointer-constant). */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define WEFT_NULL_ nullptr
#else
#define WEFT_NULL_ NULL
#endif

/* The timeout that waits forever. */
#define WEFT_FOREVER (-1.0)
/* Longer timeouts (in seconds, about 31 years) wait forever too. */
#define WEFT_TIMEOUT_MAX 1e9

/* ---- Process and clock ------------------------------------------------ */

/* Message for a status code ("unknown status" for anything else). */
WEFT_API const char *weft_strerror(int status);
/* Library version, "MAJOR.MINOR.PATCH": WEFT_VERSION_STRING of the weft
 * built, which a program compiled against another header may differ from. */
WEFT_API const char *weft_version(void);
/* The backend chosen at configure time: "posix", "win32" or "c11". */
WEFT_API const char *weft_backend(void);
/* Seconds on a monotonic clock; only differences are meaningful. */
WEFT_API double weft_monotonic(void);
/* Sleep at least `seconds` (>= 0). NaN or negative: WEFT_EINVAL. */
WEFT_API int weft_sleep(double seconds);
/* Let another thread run. */
WEFT_API void weft_yield(void);
/* This thread's weft identifier: nonzero, never reused in the process. */
WEFT_API uint64_t weft_get_ident(void);
/* This thread's OS identifier (Linux TID, Windows thread id); 0 if unknown. */
WEFT_API uint64_t weft_get_native_id(void);
/* Wait for every running non-daemon thread, pending non-daemon timer and
 * queued or running task of a non-daemon pool (except the caller and its
 * own timer call or task), as at process exit. WEFT_TIMEOUT if some are
 * still running at the deadline. */
WEFT_API int weft_shutdown(double timeout);
/* Number of online CPUs (at least 1). */
WEFT_API unsigned weft_cpu_count(void);
/* Route every allocation weft makes through these functions. Call it before
 * any other weft call that allocates; afterwards it returns WEFT_ESTATE.
 * All three NULL restores the C library's functions. */
WEFT_API int weft_set_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                                void (*free_fn)(void *));

/* One-time initialisation; all-zero storage is ready (WEFT_ONCE_INIT). */
typedef struct weft_once {
  uintptr_t state_;
} weft_once;
/* Initialiser: a once whose fn has not run (all zero). */
#define WEFT_ONCE_INIT                                                                             \
  { 0 }
/* Run fn(arg) exactly once for `o`; callers that arrive while it runs wait
 * until it has returned. WEFT_EINVAL for NULL o or fn; WEFT_EDEADLK when
 * fn itself calls it again on the same `o` (nothing is run). */
WEFT_API int weft_call_once(weft_once *o, void (*fn)(void *), void *arg);

/* ---- Threads (threading.Thread) --------------------------------------- */

/* After fork(), the forking thread is the child's main thread ("MainThread")
 * and the only one listed. The posix backend always follows fork; the c11
 * backend follows it only where the platform has pthread_atfork (glibc,
 * musl); elsewhere a c11 child must not use weft. */

/* What a thread runs (and a timer, a barrier's action): fn(arg). */
typedef void (*weft_fn)(void *arg);
/* A thread: a reference-counted handle (weft_thread_ref / _unref). */
typedef struct weft_thread weft_thread;

/* A new, unstarted thread that will run target(arg); one reference.
 * NULL if target is NULL or memory is short. Named "Thread-N"; its daemon
 * flag is the creating thread's. */
WEFT_API weft_thread *weft_thread_new(weft_fn target, void *arg);
/* Rename (UTF-8, any time). The OS-visible name is cut on a UTF-8 boundary
 * to the OS limit (15 bytes on Linux); weft keeps the full name. */
WEFT_API int weft_thread_set_name(weft_thread *t, const char *name);
/* The full name; valid until the thread is renamed or released. */
WEFT_API const char *weft_thread_name(const weft_thread *t);
/* Copy the name into buf (NUL-terminated, cut to size); returns the full
 * length, as snprintf does. */
WEFT_API size_t weft_thread_get_name(const weft_thread *t, char *buf, size_t size);
/* Before start only (else WEFT_ESTATE). */
WEFT_API int weft_thread_set_daemon(weft_thread *t, bool daemon);
/* The daemon flag: process exit does not wait for daemon threads. */
WEFT_API bool weft_thread_daemon(const weft_thread *t);
/* Before start only. 0 is the OS default; other sizes are raised to the
 * OS minimum and rounded to pages. WEFT_EINVAL where the backend cannot set
 * a stack size at all (c11). */
WEFT_API int weft_thread_set_stack_size(weft_thread *t, size_t bytes);
/* Start the thread; returns once it runs, with ident and native_id set.
 * WEFT_ESTATE if already started; WEFT_EAGAIN if the OS refused and
 * WEFT_ENOMEM if memory was short (the thread may then be started again);
 * WEFT_ESHUTDOWN once process exit has finished waiting for threads (from
 * an exit handler that runs after weft's wait). */
WEFT_API int weft_thread_start(weft_thread *t);
/* Wait until the thread's target has returned. WEFT_EDEADLK for the
 * calling thread itself (checked first), WEFT_TIMEOUT at the deadline,
 * WEFT_ESTATE before start (or if its start failed meanwhile) and for Dummy
 * threads. The main thread can be joined from other threads: it is done
 * once main returns or exit() is called. */
WEFT_API int weft_thread_join(weft_thread *t, double timeout);
/* Started and not yet finished. */
WEFT_API bool weft_thread_is_alive(const weft_thread *t);
/* 0 before start; never reused in the process. */
WEFT_API uint64_t weft_thread_ident(const weft_thread *t);
/* The OS thread id; 0 before start or where unknown. */
WEFT_API uint64_t weft_thread_native_id(const weft_thread *t);
/* Reference counting: the record is freed when the last reference goes and
 * the thread has ended. ref(NULL) returns NULL; unref(NULL) does nothing. */
WEFT_API weft_thread *weft_thread_ref(weft_thread *t);
/* Drop one reference; a running thread keeps its own until it ends. */
WEFT_API void weft_thread_unref(weft_thread *t);
/* The calling thread (borrowed). Threads weft did not start are registered
 * as daemon "Dummy-N" threads until they exit. NULL only if out of memory. */
WEFT_API weft_thread *weft_thread_current(void);
/* The process's main thread, "MainThread" (borrowed). */
WEFT_API weft_thread *weft_thread_main(void);
/* Number of alive threads: main, started weft threads, Dummy threads. */
WEFT_API size_t weft_active_count(void);
/* Store up to cap new references to alive threads in out; returns how many
 * are alive (may exceed cap). */
WEFT_API size_t weft_enumerate(weft_thread **out, size_t cap);
/* Start a daemon thread running target(arg), as _thread.start_new_thread. */
WEFT_API int weft_start_new_thread(weft_fn target, void *arg);

/* Scheduling priority, a few portable levels mapped per OS: Linux a nice
 * value (+10, 0, -10, -20; raising priority needs the privilege to, else
 * WEFT_EPERM), Windows THREAD_PRIORITY_BELOW_NORMAL, _NORMAL, _HIGHEST,
 * _TIME_CRITICAL, macOS a QoS class (the calling thread's own only, or
 * before start). */
enum {
  WEFT_PRIORITY_LOW = -1,
  WEFT_PRIORITY_NORMAL = 0,
  WEFT_PRIORITY_HIGH = 1,
  WEFT_PRIORITY_TIME_CRITICAL = 2
};
/* Set t's priority, before start (the thread takes it as it starts) or
 * while it runs. WEFT_EINVAL for a NULL t or an unknown level, WEFT_ESTATE
 * once it has finished, WEFT_EPERM if the OS refuses, WEFT_ENOTSUP where
 * the OS or backend cannot (macOS for another running thread, POSIX
 * systems without per-thread priorities). */
WEFT_API int weft_thread_set_priority(weft_thread *t, int level);
/* Let t run only on the CPUs i with cpus[i] true (i < n; CPU numbers as the
 * OS counts them), before start or while it runs. WEFT_EINVAL for NULL
 * arguments, n == 0, no CPU chosen, or CPUs the OS will not give it;
 * WEFT_ESTATE once finished; WEFT_ENOTSUP where the OS cannot (macOS) or
 * past the CPUs it can name (64 on Windows). A start whose priority or
 * affinity the OS then refuses returns that status; the thread runs. */
WEFT_API int weft_thread_set_affinity(weft_thread *t, const bool *cpus, size_t n);
/* Fill cpus[0..n) with the CPUs t may run on (before start: those it will
 * get). Same statuses as set. */
WEFT_API int weft_thread_get_affinity(const weft_thread *t, bool *cpus, size_t n);

/* ---- Locks ------------------------------------------------------------ */

/* A lock: one word, all zero when unlocked; any thread may release it. */
typedef struct WEFT_CAPABILITY("mutex") weft_lock {
  uintptr_t v_;
} weft_lock;
/* Initialiser: an unlocked lock (all zero). */
#define WEFT_LOCK_INIT                                                                             \
  { 0 }

/* Acquire, waiting up to timeout. WEFT_TIMEOUT if still held. */
WEFT_API int weft_lock_acquire(weft_lock *l, double timeout) WEFT_TRY_ACQUIRE(0, l);
/* Release; WEFT_ESTATE if it was not locked. */
WEFT_API int weft_lock_release(weft_lock *l) WEFT_RELEASE(l);
/* True while some thread holds it (a snapshot). */
WEFT_API bool weft_lock_locked(const weft_lock *l);

/* A recursive lock: the owner may acquire it again; only the owner may
 * release. Fields are private. */
typedef struct WEFT_CAPABILITY("mutex") weft_rlock {
  weft_lock lock_;
  uintptr_t owner_; /* weft_get_ident() of the owner, 0 when free */
  uint32_t count_;  /* recursion depth, touched only by the owner */
} weft_rlock;
/* Initialiser: a free recursive lock (all zero). */
#define WEFT_RLOCK_INIT                                                                            \
  { {0}, 0, 0 }

/* Acquire (again, if the caller owns it). WEFT_EOVERFLOW past a depth of
 * UINT32_MAX - 1. */
WEFT_API int weft_rlock_acquire(weft_rlock *r, double timeout) WEFT_TRY_ACQUIRE(0, r);
/* Release one level; WEFT_EPERM if the caller does not own it. */
WEFT_API int weft_rlock_release(weft_rlock *r) WEFT_RELEASE(r);
/* True if the calling thread owns it. */
WEFT_API bool weft_rlock_is_owned(const weft_rlock *r);

/* ---- Conditions, semaphores, events, barriers -------------------------- */

/* A condition variable bound to a lock: its own recursive lock when
 * all-zero (WEFT_COND_INIT, like Condition()), or the caller's weft_lock or
 * weft_rlock after weft_cond_init_lock / _init_rlock. Fields are private. */
typedef struct WEFT_CAPABILITY("mutex") weft_cond {
  weft_rlock own_;  /* the lock used when lock_ is NULL */
  void *lock_;      /* the caller's lock, or NULL */
  uintptr_t kind_;  /* 0 own rlock, 1 weft_lock, 2 weft_rlock */
  uintptr_t queue_; /* waiters park on this word's address */
} weft_cond;
/* Initialiser: a condition with its own recursive lock (all zero). */
#define WEFT_COND_INIT                                                                             \
  { WEFT_RLOCK_INIT, WEFT_NULL_, 0, 0 }

/* (Re)initialise: with its own rlock, or bound to l / r (which must outlive
 * the condition). Not while threads use it. */
WEFT_API void weft_cond_init(weft_cond *c);
/* Bind the condition to the caller's lock l. */
WEFT_API void weft_cond_init_lock(weft_cond *c, weft_lock *l);
/* Bind the condition to the caller's recursive lock r. */
WEFT_API void weft_cond_init_rlock(weft_cond *c, weft_rlock *r);
/* Acquire the condition's lock, as weft_lock_acquire / weft_rlock_acquire. */
WEFT_API int weft_cond_acquire(weft_cond *c, double timeout) WEFT_TRY_ACQUIRE(0, c);
/* Release the condition's lock, as weft_lock_release / weft_rlock_release. */
WEFT_API int weft_cond_release(weft_cond *c) WEFT_RELEASE(c);
/* Release the lock fully (an rlock held n deep is restored to n deep),
 * wait for a notify or the timeout, re-acquire. WEFT_OK when notified,
 * WEFT_TIMEOUT otherwise; WEFT_EPERM without the lock. Wakes in FIFO order. */
WEFT_API int weft_cond_wait(weft_cond *c, double timeout) WEFT_REQUIRES(c);
/* Wait until pred(arg) holds (checked first, and after each wake-up).
 * WEFT_OK if it holds on return, WEFT_TIMEOUT if not. */
WEFT_API int weft_cond_wait_for(weft_cond *c, bool (*pred)(void *arg), void *arg, double timeout)
    WEFT_REQUIRES(c);
/* Wake exactly min(n, waiting) waiters, longest-waiting first; a notify
 * with nobody waiting is not remembered. WEFT_EPERM without the lock. */
WEFT_API int weft_cond_notify(weft_cond *c, size_t n) WEFT_REQUIRES(c);
/* Wake every waiter. WEFT_EPERM without the lock. */
WEFT_API int weft_cond_notify_all(weft_cond *c) WEFT_REQUIRES(c);

/* A counting semaphore; all-zero storage is one with value 0. */
typedef struct weft_sem {
  uintptr_t value_;
  uintptr_t waiters_; /* threads parked or about to park */
  uint32_t max_;      /* the bound of a bounded semaphore */
  uint32_t bounded_;
} weft_sem;
/* Initialiser: an unbounded semaphore with value 0 (all zero). */
#define WEFT_SEM_INIT                                                                              \
  { 0, 0, 0, 0 }

/* Set the value (not while threads use it). A bounded semaphore may never
 * be released above its initial value. */
WEFT_API void weft_sem_init(weft_sem *s, unsigned value);
/* The same, bounded: the value may never pass `value`. */
WEFT_API void weft_sem_init_bounded(weft_sem *s, unsigned value);
/* Take one unit, waiting up to timeout; a timed-out acquire changes
 * nothing. */
WEFT_API int weft_sem_acquire(weft_sem *s, double timeout);
/* Add n units and wake up to n waiters. n == 0: WEFT_EINVAL; past the
 * bound (or UINT_MAX): WEFT_EOVERFLOW, value unchanged. */
WEFT_API int weft_sem_release(weft_sem *s, unsigned n);
/* The current value (a snapshot). */
WEFT_API unsigned weft_sem_value(const weft_sem *s);

/* An event flag; all-zero storage is a clear event. */
typedef struct weft_event {
  uintptr_t state_;
} weft_event;
/* Initialiser: a clear event (all zero). */
#define WEFT_EVENT_INIT                                                                            \
  { 0 }

/* Set the flag and wake every waiter (they return WEFT_OK even if the flag
 * is cleared again at once). */
WEFT_API void weft_event_set(weft_event *e);
/* Clear the flag: later waits block until it is set again. */
WEFT_API void weft_event_clear(weft_event *e);
/* The flag (a snapshot). */
WEFT_API bool weft_event_is_set(const weft_event *e);
/* Wait until the flag is set: WEFT_OK, or WEFT_TIMEOUT. */
WEFT_API int weft_event_wait(weft_event *e, double timeout);

/* A cyclic barrier for a fixed number of parties; needs weft_barrier_init. */
typedef struct weft_barrier {
  weft_lock lock_;
  uintptr_t queue_; /* waiters park on this word's address */
  uint32_t parties_;
  uint32_t count_; /* threads inside wait() in this cycle */
  int32_t state_;
  uint32_t spare_;
  weft_fn action_;
  void *arg_;
} weft_barrier;

/* parties >= 1 (0: WEFT_EINVAL). action (may be NULL) runs once per cycle,
 * in one of the waiting threads, before any is released, with no weft lock
 * held. */
WEFT_API int weft_barrier_init(weft_barrier *b, unsigned parties, weft_fn action, void *arg);
/* Wait until `parties` threads are waiting; *index (may be NULL) gets a
 * number 0..parties-1 unique in the cycle. WEFT_EBROKEN if the barrier is
 * or becomes broken (abort, reset, another wait's timeout); WEFT_TIMEOUT
 * if this wait timed out (it breaks the barrier for the others). */
WEFT_API int weft_barrier_wait(weft_barrier *b, double timeout, unsigned *index);
/* Break the barrier: current and later waits fail with WEFT_EBROKEN. */
WEFT_API void weft_barrier_abort(weft_barrier *b);
/* Fail the current waiters with WEFT_EBROKEN and make it usable again. */
WEFT_API int weft_barrier_reset(weft_barrier *b);
/* Threads waiting in the current cycle. */
WEFT_API unsigned weft_barrier_n_waiting(const weft_barrier *b);
/* True once aborted or broken by a wait's timeout, until weft_barrier_reset. */
WEFT_API bool weft_barrier_broken(const weft_barrier *b);

/* ---- Reader-writer lock, latch ----------------------------------------- */

/* A reader-writer lock: two words, all zero when free (WEFT_RWLOCK_INIT),
 * no destroy. Any number of readers (shared) or one writer (exclusive).
 * Policy, phase-fair: a reader does not enter while a writer waits, so a
 * stream of readers cannot starve a writer; a writer's release lets in
 * every reader that waited at that moment before the next writer, so a
 * stream of writers cannot starve a reader. Any thread may release a hold.
 * Fields are private. */
typedef struct WEFT_CAPABILITY("mutex") weft_rwlock {
  uintptr_t state_;  /* writer bit, waiting bits, number of readers */
  uintptr_t wqueue_; /* writers park on this word's address */
} weft_rwlock;
/* Initialiser: a free reader-writer lock (all zero). */
#define WEFT_RWLOCK_INIT                                                                           \
  { 0, 0 }

/* Acquire shared (read) access, waiting up to timeout while a writer holds
 * the lock or waits for it. WEFT_TIMEOUT if still refused; WEFT_EOVERFLOW
 * past UINTPTR_MAX >> 3 readers. */
WEFT_API int weft_rwlock_acquire_shared(weft_rwlock *rw, double timeout)
    WEFT_TRY_ACQUIRE_SHARED(0, rw);
/* Acquire exclusive (write) access, waiting up to timeout while readers or
 * a writer hold it. WEFT_TIMEOUT if still held. */
WEFT_API int weft_rwlock_acquire_exclusive(weft_rwlock *rw, double timeout) WEFT_TRY_ACQUIRE(0, rw);
/* Release one shared hold; WEFT_ESTATE if no reader holds it. Of two
 * racing releases of a single hold, exactly one returns WEFT_OK. */
WEFT_API int weft_rwlock_release_shared(weft_rwlock *rw) WEFT_RELEASE_SHARED(rw);
/* Release the exclusive hold; WEFT_ESTATE if no writer holds it. Of two
 * racing releases, exactly one returns WEFT_OK. */
WEFT_API int weft_rwlock_release_exclusive(weft_rwlock *rw) WEFT_RELEASE(rw);

/* A count-down latch (C++20 std::latch, Java's CountDownLatch): one word,
 * all zero is a released latch (WEFT_LATCH_INIT). Fields are private. */
typedef struct weft_latch {
  uintptr_t count_; /* the count, shifted left by one; bit 0: waiters */
} weft_latch;
/* Initialiser: a released latch, count 0 (all zero). */
#define WEFT_LATCH_INIT                                                                            \
  { 0 }
/* The largest count a latch holds. */
#define WEFT_LATCH_MAX (UINTPTR_MAX >> 1)

/* Set the count (not while threads wait on it). WEFT_EINVAL for NULL,
 * WEFT_EOVERFLOW above WEFT_LATCH_MAX (nothing changed). */
WEFT_API int weft_latch_init(weft_latch *l, size_t count);
/* Take n from the count; reaching zero wakes every waiter. WEFT_EOVERFLOW
 * if n exceeds the count (the count is unchanged); n == 0 does nothing. */
WEFT_API int weft_latch_count_down(weft_latch *l, size_t n);
/* Wait until the count is zero: WEFT_OK, or WEFT_TIMEOUT. */
WEFT_API int weft_latch_wait(weft_latch *l, double timeout);
/* True if the count is zero (never blocks); false for NULL. */
WEFT_API bool weft_latch_try_wait(const weft_latch *l);

/* ---- Queues (queue.Queue, LifoQueue, PriorityQueue) -------------------- */

/* A queue of void * items, owned by its creator (weft_queue_free). */
typedef struct weft_queue weft_queue;

/* A FIFO queue holding at most maxsize items (0: unbounded). NULL only if
 * memory is short. */
WEFT_API weft_queue *weft_queue_new(size_t maxsize);
/* Last in, first out. */
WEFT_API weft_queue *weft_queue_new_lifo(size_t maxsize);
/* Smallest first by cmp(a, b), which gets the items themselves (not
 * pointers to them) and answers <0, 0, >0 as for qsort; equal items leave in
 * the order they came. NULL if cmp is NULL. */
WEFT_API weft_queue *weft_queue_new_priority(size_t maxsize,
                                             int (*cmp)(const void *a, const void *b));
/* Items that leave without being got (immediate shutdown, free) go to
 * free_item. */
WEFT_API void weft_queue_set_item_free(weft_queue *q, void (*free_item)(void *item));
/* Add an item, waiting up to timeout while the queue is full.
 * WEFT_TIMEOUT if still full, WEFT_ESHUTDOWN after shutdown, WEFT_ENOMEM
 * if the queue could not grow (it is then unchanged). */
WEFT_API int weft_queue_put(weft_queue *q, void *item, double timeout);
/* Remove the next item into *item, waiting up to timeout while the queue is
 * empty. WEFT_TIMEOUT if still empty, WEFT_ESHUTDOWN once shut down and
 * drained. */
WEFT_API int weft_queue_get(weft_queue *q, void **item, double timeout);
/* The number of items queued (a snapshot). */
WEFT_API size_t weft_queue_qsize(const weft_queue *q);
/* True if no item is queued (a snapshot). */
WEFT_API bool weft_queue_empty(const weft_queue *q);
/* True if maxsize items are queued (a snapshot); never when unbounded. */
WEFT_API bool weft_queue_full(const weft_queue *q);
/* Mark one got item as processed; WEFT_EOVERFLOW if more calls than puts. */
WEFT_API int weft_queue_task_done(weft_queue *q);
/* Wait until every item put has been marked done: WEFT_OK or WEFT_TIMEOUT. */
WEFT_API int weft_queue_join(weft_queue *q, double timeout);
/* Refuse new puts (blocked ones fail with WEFT_ESHUTDOWN); gets drain what
 * is left, then fail. immediate: also drop the remaining items (counted as
 * done, handed to free_item) and fail blocked gets at once. Repeatable. */
WEFT_API int weft_queue_shutdown(weft_queue *q, bool immediate);
/* Free the queue (no thread may use it any more); items still inside go to
 * free_item. */
WEFT_API void weft_queue_free(weft_queue *q);

/* ---- Thread-local values (threading.local) ----------------------------- */

/* A thread-local slot, owned by its creator (weft_local_free). */
typedef struct weft_local weft_local;

/* A new thread-local slot; dtor (may be NULL) runs on each value exactly
 * once: when its thread ends (weft or foreign thread), when the value is
 * replaced by a different one, or when the local is freed. Values that
 * destructors set again at thread exit get at most 4 passes; at process
 * exit the main thread's values are not destroyed. NULL if out of memory. */
WEFT_API weft_local *weft_local_new(void (*dtor)(void *value));
/* This thread's value; NULL until set in this thread. */
WEFT_API void *weft_local_get(weft_local *l);
/* Set this thread's value (the old one, if different, goes to dtor).
 * WEFT_ENOMEM if this thread's table could not grow (nothing changed). */
WEFT_API int weft_local_set(weft_local *l, void *value);
/* Run dtor on every thread's value and free the local; no thread may use
 * it any more. */
WEFT_API void weft_local_free(weft_local *l);

/* ---- Timers (threading.Timer, on one shared scheduler) ----------------- */

/* A timer: a reference-counted handle (weft_timer_ref / _unref). */
typedef struct weft_timer weft_timer;

/* A timer that will call fn(arg) `interval` seconds (>= 0) after start;
 * one reference. NULL for a NULL fn, a NaN or negative interval, or out of
 * memory. daemon defaults to the creating thread's flag. */
WEFT_API weft_timer *weft_timer_new(double interval, weft_fn fn, void *arg);
/* Before start: fire every interval at fixed rate (start + k * interval;
 * missed ticks are skipped, calls never overlap). Interval 0: WEFT_EINVAL. */
WEFT_API int weft_timer_set_periodic(weft_timer *t, bool periodic);
/* Before start: a non-daemon one-shot timer still pending at process exit
 * fires before the process ends; daemon timers are dropped. */
WEFT_API int weft_timer_set_daemon(weft_timer *t, bool daemon);
/* Arm it. WEFT_ESTATE if started before, WEFT_ECANCELED after cancel
 * (nothing runs), WEFT_ENOMEM if memory is short, WEFT_EAGAIN if the
 * scheduler thread could not start, WEFT_ESHUTDOWN once process exit has
 * finished waiting for threads and timers. */
WEFT_API int weft_timer_start(weft_timer *t);
/* WEFT_OK only if this stopped a call from happening (before start, while
 * pending, or a periodic timer's later calls); once its call ran, while it
 * runs, or a second time: WEFT_ESTATE. After WEFT_OK, fn is not called. */
WEFT_API int weft_timer_cancel(weft_timer *t);
/* Wait until the timer is finished: called (one-shot) or cancelled.
 * WEFT_ESTATE before start; WEFT_EDEADLK from the timer's own callback. */
WEFT_API int weft_timer_join(weft_timer *t, double timeout);
/* Add a reference and return t (NULL for NULL). */
WEFT_API weft_timer *weft_timer_ref(weft_timer *t);
/* Drop one reference (NULL does nothing); a started timer stays armed. */
WEFT_API void weft_timer_unref(weft_timer *t);

/* ---- Pool and futures (concurrent.futures.ThreadPoolExecutor) ---------- */

/* A thread pool, owned by its creator (weft_pool_free). */
typedef struct weft_pool weft_pool;
/* A task's result to come: a reference-counted handle (weft_future_ref /
 * _unref). */
typedef struct weft_future weft_future;
/* A task: its return value is its future's result (C has no exceptions: a
 * task reports failure through its result). */
typedef void *(*weft_task)(void *arg);

/* A pool of at most max_workers threads (0: min(32, weft_cpu_count() + 4)),
 * started lazily: a submit wakes an idle worker before it starts a new
 * one. Workers are weft threads named PREFIX_N (N from 0; the default
 * prefix is "ThreadPoolExecutor-K", K counting pools), listed by
 * weft_enumerate, daemons if the pool is (default: the creating thread's
 * flag). The caller owns the pool: weft_pool_free. NULL if memory is short. */
WEFT_API weft_pool *weft_pool_new(size_t max_workers);
/* Before the first submit (else WEFT_ESTATE): the workers' name prefix
 * (copied; "" restores the default), */
WEFT_API int weft_pool_set_name_prefix(weft_pool *p, const char *prefix);
/* a function run in each worker before its first task (NULL: none), */
WEFT_API int weft_pool_set_initializer(weft_pool *p, weft_fn init, void *arg);
/* and the daemon flag: at process exit a non-daemon pool's pending and
 * running tasks finish first; a daemon pool's are dropped. */
WEFT_API int weft_pool_set_daemon(weft_pool *p, bool daemon);
/* Queue fn(arg); tasks start in the order they were submitted. With out,
 * *out gets a future (one reference) for its result; out NULL: fire and
 * forget. WEFT_ESHUTDOWN after shutdown or once process exit has finished
 * waiting (nothing queued), WEFT_ENOMEM, WEFT_EAGAIN (or WEFT_ENOMEM) when
 * no worker exists and none could be started (nothing queued). */
WEFT_API int weft_pool_submit(weft_pool *p, weft_task fn, void *arg, weft_future **out);
/* Submit fn(args[i]) for each i < n and store results[i] in order.
 * WEFT_TIMEOUT if not all finished by the deadline (counted from the call),
 * WEFT_ECANCELED if one was cancelled: results before the first missing
 * one are written, the unfinished tasks are cancelled if still pending, and
 * nothing is written after the call returns. Submit's errors likewise. */
WEFT_API int weft_pool_map(weft_pool *p, weft_task fn, void *const *args, size_t n, void **results,
                           double timeout);
/* Refuse new work; cancel_futures: cancel every pending task; wait: return
 * once every running and remaining task has finished and the workers have
 * ended. Repeatable. WEFT_EDEADLK (and nothing done) with wait from one of
 * the pool's own workers, or from a callback one of them runs. */
WEFT_API int weft_pool_shutdown(weft_pool *p, bool wait, bool cancel_futures);
/* weft_pool_shutdown(p, true, false), then free the pool; its futures stay
 * valid until unreferenced. WEFT_EDEADLK from one of its own workers
 * (nothing freed). */
WEFT_API int weft_pool_free(weft_pool *p);

/* A standalone future (one reference), that any thread may complete with
 * weft_future_set_result or cancel: it need not own a reference for that,
 * as long as one is held until the future is done. NULL if short of memory. */
WEFT_API weft_future *weft_future_new(void);
/* Complete a standalone future: waiters wake, callbacks run in this
 * thread. WEFT_ESTATE if it is done already or belongs to a pool. */
WEFT_API int weft_future_set_result(weft_future *f, void *result);
/* Wait up to timeout for the result (stored in *result unless result is
 * NULL): WEFT_OK, WEFT_TIMEOUT, or WEFT_ECANCELED if it was cancelled. */
WEFT_API int weft_future_result(weft_future *f, double timeout, void **result);
/* WEFT_OK if the task was pending (it will never run; the future is done)
 * or is cancelled already (its callbacks do not run again); WEFT_ESTATE
 * once it runs or has finished. */
WEFT_API int weft_future_cancel(weft_future *f);
/* Snapshots of its state: cancelled (and so done), running its task, done
 * (finished or cancelled). */
WEFT_API bool weft_future_cancelled(const weft_future *f);
/* Running its task now (a snapshot). */
WEFT_API bool weft_future_running(const weft_future *f);
/* Done: finished or cancelled (a snapshot). */
WEFT_API bool weft_future_done(const weft_future *f);
/* Call cb(f, arg) once f is done: in the thread that completes or cancels
 * it, or at once here if it is done and its earlier callbacks have run.
 * Callbacks run exactly once, in the order added, with no weft lock held
 * (they may call any weft function, unref f included). WEFT_ENOMEM. */
WEFT_API int weft_future_add_done_callback(weft_future *f, void (*cb)(weft_future *f, void *arg),
                                           void *arg);
/* Reference counting; ref(NULL) returns NULL, unref(NULL) does nothing. */
WEFT_API weft_future *weft_future_ref(weft_future *f);
/* Drop one reference (NULL does nothing). */
WEFT_API void weft_future_unref(weft_future *f);

/* What weft_wait waits for: the first future done, or all of them. */
enum { WEFT_FIRST_COMPLETED = 1, WEFT_ALL_COMPLETED = 2 };
/* Wait until one (WEFT_FIRST_COMPLETED) or all (WEFT_ALL_COMPLETED) of
 * fs[0..n) are done (a cancelled future is done): WEFT_OK, or WEFT_TIMEOUT.
 * n == 0 returns WEFT_OK at once (fs may then be NULL). WEFT_EINVAL for a
 * NULL array or element or another return_when. Read each future's state
 * afterwards. */
WEFT_API int weft_wait(weft_future *const *fs, size_t n, int return_when, double timeout);
/* An iterator over futures in the order they finish. */
typedef struct weft_as_completed weft_as_completed;
/* An iterator over the distinct futures of fs[0..n) (a duplicate is
 * yielded once), in the order they finish, those already done first (in
 * fs order). It holds a reference to each until freed. NULL for a NULL
 * array (n > 0) or element, or if memory is short. */
WEFT_API weft_as_completed *weft_as_completed_new(weft_future *const *fs, size_t n);
/* The next future to finish (borrowed from the iterator): WEFT_OK,
 * WEFT_TIMEOUT, or WEFT_ESTATE once every future has been yielded. */
WEFT_API int weft_as_completed_next(weft_as_completed *it, double timeout, weft_future **f);
/* Free the iterator and drop its references to the futures. */
WEFT_API void weft_as_completed_free(weft_as_completed *it);

/* ---- Seeing inside: dump, lock order, contention ------------------------ */

/* Where reports go: write(text, len, arg) gets each piece of the text in
 * order (not NUL-terminated; pieces end at line ends). */
typedef void (*weft_write_fn)(const char *text, size_t len, void *arg);

/* Write one block per thread weft knows (main, weft threads, Dummy and
 * foreign threads that used weft, weft's helpers), in ident order: its
 * name, ident, native id, daemon flag and state: running, or waiting how
 * long on what (the kind and name or address of the object, with what the
 * thread saw as it parked: an rlock's owner, a semaphore's value, a
 * barrier's n/parties, a queue's size, the thread joined, the worker that
 * runs a future, a latch's count), plus, with lock
 * order or the watchdog on, the locks it holds. A snapshot taken without
 * stopping anyone. It allocates nothing, and takes no lock that a waiting
 * thread could hold. WEFT_EINVAL for a NULL write. */
WEFT_API int weft_dump(weft_write_fn write, void *arg);
/* weft_dump to stderr. */
WEFT_API int weft_dump_stderr(void);
/* Dump to the report function (weft_set_report) each time signal sig
 * arrives: the handler only writes a byte to a pipe; a helper thread
 * ("weft-dump") does the dump. Replaces sig's handler. posix, and c11 where
 * the platform has sigaction; elsewhere WEFT_ENOTSUP. WEFT_EINVAL for a
 * signal that cannot be caught; after fork, call it again in the child. */
WEFT_API int weft_dump_on_signal(int sig);
/* Give object (any weft object, or anything else) a name that reports show
 * beside its address (copied; cut to 63 bytes). A NULL name forgets the
 * object: its name, its lock-order edges and its contention counts (do so
 * before its storage is reused for another lock). WEFT_EINVAL for a NULL
 * object, WEFT_ENOMEM. */
WEFT_API int weft_debug_name(const void *object, const char *name);

/* Tools for weft_set_debug (all off by default). */
enum {
  WEFT_DEBUG_LOCK_ORDER = 1, /* check lock order: report potential deadlocks */
  WEFT_DEBUG_CONTENTION = 2, /* count acquisitions, contention and waits per lock */
  WEFT_DEBUG_ABORT = 4       /* abort() after a lock-order or deadlock report */
};
/* Turn the tools on or off (0, 0: all off). Lock order tracks every lock,
 * rlock and condition lock each thread holds, with the code address that
 * took it, and a graph of "held A while acquiring B" (for waits that can
 * block, not for timeout 0); an acquire that would close a cycle is
 * reported once, before anything deadlocks: "potential deadlock", both
 * threads, both locks, both sites. hang_seconds > 0 starts a watchdog
 * ("weft-watchdog"): a wait longer than that (sleeps aside) prints the dump
 * once, with the cycle of threads waiting for each other through locks,
 * joins and futures, if there is one. The environment variable WEFT_DEBUG
 * sets the same at load, e.g. WEFT_DEBUG=lock-order,contention,hang=10 (and
 * abort); with contention it also prints the report at exit (and with hang
 * the watchdog starts at load: weft has allocated, so weft_set_allocator
 * then returns WEFT_ESTATE). A lock is
 * known by its address: storage reused for another lock inherits its
 * order (forget it with weft_debug_name(obj, NULL)). WEFT_EINVAL for
 * unknown flags or a NaN, negative or infinite hang_seconds; WEFT_EAGAIN
 * or WEFT_ENOMEM if the watchdog could not start. */
WEFT_API int weft_set_debug(unsigned flags, double hang_seconds);
/* Where lock-order reports, watchdog reports and signal dumps go (write
 * NULL: stderr, the default). write runs in the thread that found the
 * problem, with tracking paused in it. */
WEFT_API void weft_set_report(weft_write_fn write, void *arg);
/* Write the contention counts, the locks that waited longest in total
 * first, at most top_n of them (0: all): acquisitions, contended ones
 * (the lock was held), total and longest wait. Only what was counted
 * while WEFT_DEBUG_CONTENTION was on. WEFT_EINVAL for a NULL write,
 * WEFT_ENOMEM. */
WEFT_API int weft_contention_report(weft_write_fn write, void *arg, size_t top_n);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_H */
