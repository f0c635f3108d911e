/* The core's base, shared by every file of src/: atomics on plain storage
 * (and the chaos build's hook in them), the allocator, deadlines.
 *
 * The core's layers, each calling only those below it (a lower layer
 * reaches a higher one's work only through a function pointer that the
 * higher one registered with it):
 *
 *   tools      debug.c dump.c seeing inside: the dump, lock order, the
 *              lockorder.c    watchdog, contention (tools.h); the layers
 *              contention.c   below tell them what threads wait on and hold
 *              watchdog.c     only through their records and debug.h's
 *              objtab.c text.c hooks, which debug.c registers
 *   names      c11threads.c   the C11 <threads.h> names (weft/threads.h)
 *   subsystems timer.c        timers (on helper threads from thread.c)
 *              pool.c         thread pools (on weft threads; future.h)
 *              thread.c       records' lives, registry, names, start/join,
 *              local.c        helpers; thread-local values (thread.h)
 *   process    process.c      exit wait, weft_shutdown, fork: runs what the
 *                             subsystems registered with it (subsystem.h)
 *   primitives lock.c rlock.c once.c cond.c sem.c event.c barrier.c
 *              rwlock.c latch.c
 *              queue.c fifo.c (lock.h: what they share about locks)
 *              future.c wait.c (future.h: what the pool needs of futures)
 *   lot        park.c         wait and wake on an address (park.h)
 *   self       self.c         the calling thread's record, idents, the
 *                             port's hooks (self.h); every live record and
 *                             what each waits on (debug.h)
 *   base       core.c chaos.c internal.h list.h
 *   port       src/<backend>/ the OS (port.h)
 */
#ifndef WEFT_INTERNAL_H
#define WEFT_INTERNAL_H
#ifndef WEFT_BUILDING
#error "internal.h is internal to weft"
#endif

#include "weft.h"
#include "port.h"

#include "atomic.h"

#include <assert.h>

/* -- chaos --
 * A chaos build (-DWEFT_CHAOS=ON) perturbs the schedule at every atomic
 * step and bucket-lock step of the core: a seeded pseudo-random choice to go
 * on, yield or sleep a few microseconds (chaos.c; the seed comes from
 * WEFT_CHAOS_SEED). It makes rare interleavings common; elsewhere it costs
 * nothing. */
#if defined(WEFT_CHAOS)
void weft__chaos(void);
#else
static inline void weft__chaos(void) {}
#endif

/* -- atomics --
 * The public header exposes plain words so that C99 and C++ can include it;
 * the core reaches them through atomic.h (C11 or Win32 intrinsics). Every
 * atomic step of the core goes through these, so the chaos build sees each
 * one (the ports' words, and the few steps the chaos build must not
 * perturb, use atomic.h directly). */
static inline uintptr_t weft__load(const uintptr_t *p, memory_order mo) {
  weft__chaos();
  return weft__atomic_load(p, mo);
}
static inline void weft__store(uintptr_t *p, uintptr_t v, memory_order mo) {
  weft__chaos();
  weft__atomic_store(p, v, mo);
}
static inline bool weft__cas(uintptr_t *p, uintptr_t *expected, uintptr_t desired,
                             memory_order success) {
  weft__chaos();
  return weft__atomic_cas(p, expected, desired, success);
}
/* fetch_add, fetch_sub, fetch_or, fetch_and, exchange: the old value. */
#define WEFT__RMW(name)                                                                            \
  static inline uintptr_t weft__##name(uintptr_t *p, uintptr_t v, memory_order mo) {               \
    weft__chaos();                                                                                 \
    return weft__atomic_##name(p, v, mo);                                                          \
  }
WEFT__RMW_OPS(WEFT__RMW)
#undef WEFT__RMW
static inline void weft__fence(void) {
  weft__chaos();
  weft__atomic_fence();
}

/* -- allocation: everything goes through weft_set_allocator's functions -- */
void *weft__malloc(size_t size);
void *weft__realloc(void *p, size_t size);
void weft__free(void *p);
char *weft__strdup(const char *s);

/* weft_cpu_count(), asked of the OS once (the core's spin and helper
 * bounds read it often). */
unsigned weft__cpu_count(void);

/* -- deadlines -- */
static inline bool weft__bad_timeout(double timeout) {
  return timeout != timeout || (timeout < 0 && timeout != WEFT_FOREVER);
}
/* Monotonic deadline for a valid timeout (WEFT__FOREVER for forever;
 * rounded up so that a wait never ends early). */
int64_t weft__deadline(double timeout);

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

#endif /* WEFT_INTERNAL_H */
