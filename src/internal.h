/* Shared by the core's files: atomics on plain storage, the allocator,
 * deadlines, the parking lot and the thread record. */
#ifndef WEFT_INTERNAL_H
#define WEFT_INTERNAL_H
#ifndef WEFT_BUILDING
#error "internal.h is internal to weft"
#endif

#include "weft.h"
#include "port.h"

#include <stdatomic.h>

/* -- chaos --
 * A chaos build (-DWEFT_CHAOS=ON) perturbs the schedule at every atomic
 * step and bucket-lock step of the core: a seeded pseudo-random choice to go
 * on, yield or sleep a few microseconds (chaos.c; the seed comes from
 * WEFT_CHAOS_SEED). It makes rare interleavings common; elsewhere it costs
 * nothing. */
#if defined(WEFT_CHAOS)
void weft__chaos(void);
#else
static inline void weft__chaos(void) {
}
#endif

/* -- atomics --
 * The public header exposes plain words so that C99 and C++ can include it;
 * the core reaches them through these casts (same size and representation
 * for lock-free types on every compiler weft supports). Every atomic step
 * of the core goes through them, so the chaos build sees each one. */
static inline uintptr_t weft__load(const uintptr_t *p, memory_order mo) {
  weft__chaos();
  return atomic_load_explicit((_Atomic uintptr_t *)(uintptr_t *)p, mo);
}
static inline void weft__store(uintptr_t *p, uintptr_t v, memory_order mo) {
  weft__chaos();
  atomic_store_explicit((_Atomic uintptr_t *)p, v, mo);
}
static inline bool weft__cas(uintptr_t *p, uintptr_t *expected, uintptr_t desired,
                             memory_order success) {
  weft__chaos();
  return atomic_compare_exchange_weak_explicit((_Atomic uintptr_t *)p, expected, desired, success,
                                               memory_order_relaxed);
}
static inline uintptr_t weft__fetch_add(uintptr_t *p, uintptr_t v, memory_order mo) {
  weft__chaos();
  return atomic_fetch_add_explicit((_Atomic uintptr_t *)p, v, mo);
}
static inline uintptr_t weft__fetch_sub(uintptr_t *p, uintptr_t v, memory_order mo) {
  weft__chaos();
  return atomic_fetch_sub_explicit((_Atomic uintptr_t *)p, v, mo);
}
static inline uintptr_t weft__fetch_or(uintptr_t *p, uintptr_t v, memory_order mo) {
  weft__chaos();
  return atomic_fetch_or_explicit((_Atomic uintptr_t *)p, v, mo);
}
static inline uintptr_t weft__fetch_and(uintptr_t *p, uintptr_t v, memory_order mo) {
  weft__chaos();
  return atomic_fetch_and_explicit((_Atomic uintptr_t *)p, v, mo);
}
static inline uintptr_t weft__exchange(uintptr_t *p, uintptr_t v, memory_order mo) {
  weft__chaos();
  return atomic_exchange_explicit((_Atomic uintptr_t *)p, v, mo);
}
static inline void weft__fence(void) {
  weft__chaos();
  atomic_thread_fence(memory_order_seq_cst);
}

/* A pause for spin loops. */
static inline void weft__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* -- allocation: everything goes through weft_set_allocator's functions -- */
void *weft__malloc(size_t size);
void *weft__realloc(void *p, size_t size);
void weft__free(void *p);
char *weft__strdup(const char *s);

/* -- deadlines -- */
static inline bool weft__bad_timeout(double timeout) {
  return timeout != timeout || (timeout < 0 && timeout != WEFT_FOREVER);
}
/* Monotonic deadline for a valid timeout (WEFT__FOREVER for forever;
 * rounded up so that a wait never ends early). */
int64_t weft__deadline(double timeout);

/* -- the parking lot: wait and wake on an address, FIFO per address -- */
enum { WEFT__PARK_OK = 0, WEFT__PARK_TIMEOUT = WEFT_TIMEOUT, WEFT__PARK_AGAIN = 100 };

/* Park the calling thread on addr if *addr (sizeof(uintptr_t) bytes, read
 * atomically) still equals *expected, until unparked or the deadline.
 * park_arg is handed to the unparker's callback. Returns WEFT__PARK_OK when
 * unparked, WEFT__PARK_TIMEOUT at the deadline, WEFT__PARK_AGAIN when the
 * value differed (or no parker could be had: then after a short sleep). */
int weft__park(const uintptr_t *addr, uintptr_t expected, int64_t deadline, void *park_arg);
/* weft__park, watching for the wake-up `spins` times (yielding) before
 * the OS sleep; weft__park watches a few dozen times. 0 for waiters whose
 * wakers should not pay for a wake-up that comes too soon (a queue's
 * getters, which rather let items pile up). */
int weft__park_spinning(const uintptr_t *addr, uintptr_t expected, int64_t deadline, void *park_arg,
                        int spins);
/* Like weft__park without the value check: enqueue, then call
 * before_sleep(arg) outside the lot's lock, then wait. For conditions. */
int weft__park_then(const void *addr, void (*before_sleep)(void *), void *arg, int64_t deadline,
                    void *park_arg);
/* Park on addr with *l released meanwhile (it is held on entry and again on
 * return, whatever the outcome). For objects guarded by a weft_lock. */
int weft__park_unlocking(const void *addr, weft_lock *l, int64_t deadline);
/* Wake the longest-parked thread on addr. If fn is set, it runs first,
 * under the lot's lock, with that thread's park_arg (NULL if none) and
 * whether others would remain parked on addr; if it returns false nobody is
 * woken. Returns true if a thread was woken. */
bool weft__unpark_one(const void *addr, bool (*fn)(void *arg, void *park_arg, bool more),
                      void *arg);
/* Wake every thread parked on addr; returns how many. */
size_t weft__unpark_all(const void *addr);
/* The same, with publish(arg) run first under the lot's lock: for a waker
 * that must change the word and wake in one step, so that a thread that
 * parks after the change is not woken by it (it sees the change instead). */
size_t weft__unpark_all_after(const void *addr, void (*publish)(void *arg), void *arg);
/* Move up to n threads parked on `from`, longest-parked first, to the end
 * of `to`'s queue, without waking them; *moved says how many. may_move(arg)
 * runs under both queues' locks before the first one moves: if it returns
 * false nothing moves and the result is WEFT_EAGAIN. A moved thread wakes
 * only when `to` is unparked, and its park then counts as woken. */
int weft__requeue(const void *from, const void *to, size_t n, bool (*may_move)(void *arg),
                  void *arg, size_t *moved);
void weft__park_after_fork(void);

/* weft_lock_acquire with a monotonic deadline. */
int weft__lock_acquire_until(weft_lock *l, int64_t deadline);

/* -- for conditions: a thread parked on a lock's word, and the move of
 * condition waiters onto a held lock -- */
typedef struct weft__lock_waiter {
  int64_t since;   /* when it parked */
  bool handed_off; /* the release passed the lock to it */
} weft__lock_waiter;
/* Move up to n waiters parked on `from` onto l, which the caller holds, so
 * that l's releases wake them one by one; each must park with a
 * weft__lock_waiter as its park_arg. Returns how many moved, or SIZE_MAX if
 * l turned out not to be held (then the caller wakes them itself). */
size_t weft__lock_take_waiters(weft_lock *l, const void *from, size_t n);

/* A function run before main (and before any other weft call). */
#if defined(_MSC_VER)
#pragma section(".CRT$XCU", read)
#define WEFT__CONSTRUCTOR(fn)                                                                      \
  static void fn(void);                                                                            \
  __declspec(allocate(".CRT$XCU")) void (*fn##_ptr)(void) = fn;                                    \
  static void fn(void)
#else
#define WEFT__CONSTRUCTOR(fn) __attribute__((constructor)) static void fn(void)
#endif

/* -- for conditions: let go of an owned rlock entirely; once its lock is
 * held again, make the caller its owner at the same depth -- */
void weft__rlock_release_all(weft_rlock *r, uint32_t *depth);
void weft__rlock_restore(weft_rlock *r, uint32_t depth);

/* -- thread-local values: run the calling thread's destructors (at its
 * end); around fork, hold the locals' lock, and keep only the calling
 * thread's table in the child -- */
void weft__locals_thread_exit(void);
void weft__locals_before_fork(void);
void weft__locals_after_fork_parent(void);
void weft__locals_after_fork_child(void);

/* -- threads -- */
enum { WEFT__NEW, WEFT__STARTING, WEFT__ALIVE, WEFT__DONE };
enum { WEFT__KIND_USER, WEFT__KIND_MAIN, WEFT__KIND_DUMMY, WEFT__KIND_HELPER };

struct weft_thread {
  uintptr_t refs;  /* atomic; the record is freed when it drops to 0 */
  uintptr_t state; /* atomic WEFT__NEW..WEFT__DONE; joiners park on it */
  weft_fn target;
  void *arg;
  char *name; /* full name, guarded by the registry lock */
  bool daemon;
  bool registered;  /* in the registry (guarded by its lock) */
  uintptr_t has_os; /* atomic: os holds a created thread (set once start's create returned) */
  unsigned char kind;
  size_t stack_size;
  uint64_t ident;
  uint64_t native_id;
  weft__os_thread os;
  weft__parker parker;
  struct weft_thread *prev, *next; /* registry of alive threads */
};

/* The calling thread's record, created as "Dummy-N" for a foreign thread;
 * NULL only when memory is short. */
struct weft_thread *weft__self(void);
/* The calling thread's record if it has one; never allocates. */
struct weft_thread *weft__self_if_any(void);
/* Make the calling (port-created) thread one of weft's own helpers: named
 * `name` in the OS, a daemon, never listed. NULL if memory is short. */
struct weft_thread *weft__become_helper(const char *name);
/* Register, once, the wait for non-daemon threads and timers at exit. */
void weft__ensure_exit_wait(void);

/* -- timers, for the exit wait and fork: wait until no non-daemon one-shot
 * timer is pending or running (at_exit: stop periodic timers first), the
 * caller's own running call excepted; *waited tells whether there was any.
 * close: if none is left, refuse later starts (WEFT_ESHUTDOWN) and return
 * true. Around fork, hold the timers' lock; in the child, every timer ends
 * but the one whose callback the forking thread is running. -- */
int weft__timers_wait(int64_t deadline, bool try_only, bool at_exit, bool *waited);
bool weft__timers_close(void);
void weft__timers_before_fork(void);
void weft__timers_after_fork_parent(void);
void weft__timers_after_fork_child(void);

#endif /* WEFT_INTERNAL_H */
