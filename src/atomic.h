/* Atomics on plain storage: the one interface through which every atomic
 * step of weft goes, with two implementations, picked by CMake's
 * WEFT_ATOMICS (which defines one of the macros below) or else by the
 * compiler:
 *
 *   WEFT_ATOMICS_C11          C11 <stdatomic.h>: gcc, clang, MSVC 17.5+
 *                             with /experimental:c11atomics
 *   WEFT_ATOMICS_INTERLOCKED  the _Interlocked* intrinsics of <intrin.h>,
 *                             for Windows compilers without C11 atomics
 *                             (MSVC before 17.5, or without the flag)
 *
 * The storage is what the public header exposes (uintptr_t words) plus the
 * ports' 32-bit words, 64-bit counters and pointers. The orders are C11's
 * memory_order names in both; the interlocked implementation defines them
 * itself and never includes <stdatomic.h>. A failed compare-exchange is
 * always relaxed. Nothing here calls the chaos hook: internal.h wraps the
 * word operations for the core. */
#ifndef WEFT_ATOMIC_H
#define WEFT_ATOMIC_H
#ifndef WEFT_BUILDING
#error "atomic.h is internal to weft"
#endif

#include <stdbool.h>
#include <stdint.h>

#if !defined(WEFT_ATOMICS_C11) && !defined(WEFT_ATOMICS_INTERLOCKED)
#if defined(_MSC_VER) && !defined(__clang__)
#define WEFT_ATOMICS_INTERLOCKED 1 /* every MSVC has these */
#else
#define WEFT_ATOMICS_C11 1
#endif
#endif

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h> /* _mm_pause, __yield, the _Interlocked* intrinsics */
#endif

/* The read-modify-write operations, for the macros that make one function
 * each (here, and the chaos build's wrappers in internal.h). */
#define WEFT__RMW_OPS(X) X(fetch_add) X(fetch_sub) X(fetch_or) X(fetch_and) X(exchange)

/* A pause for spin loops. */
static inline void weft__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#elif defined(_M_X64) || defined(_M_IX86)
  _mm_pause(); /* what YieldProcessor() expands to there */
#elif defined(_M_ARM64) || defined(_M_ARM)
  __yield();
#endif
}

#if defined(WEFT_ATOMICS_C11)
/* ---- C11 <stdatomic.h> ------------------------------------------------ */
#include <stdatomic.h>

/* Same size and representation as the plain types for the lock-free types
 * of every compiler weft supports. */
#define WEFT__A(type, p) ((_Atomic(type) *)(p))

static inline uintptr_t weft__atomic_load(const uintptr_t *p, memory_order mo) {
  return atomic_load_explicit(WEFT__A(uintptr_t, (uintptr_t *)p), mo);
}
static inline void weft__atomic_store(uintptr_t *p, uintptr_t v, memory_order mo) {
  atomic_store_explicit(WEFT__A(uintptr_t, p), v, mo);
}
static inline bool weft__atomic_cas(uintptr_t *p, uintptr_t *expected, uintptr_t desired,
                                    memory_order success) {
  return atomic_compare_exchange_weak_explicit(WEFT__A(uintptr_t, p), expected, desired, success,
                                               memory_order_relaxed);
}
/* fetch_add, fetch_sub, fetch_or, fetch_and, exchange: the old value. */
#define WEFT__RMW(name)                                                                            \
  static inline uintptr_t weft__atomic_##name(uintptr_t *p, uintptr_t v, memory_order mo) {        \
    return atomic_##name##_explicit(WEFT__A(uintptr_t, p), v, mo);                                 \
  }
WEFT__RMW_OPS(WEFT__RMW)
#undef WEFT__RMW
static inline void weft__atomic_fence(void) {
  atomic_thread_fence(memory_order_seq_cst);
}

/* 32-bit words (what futex and WaitOnAddress wait on). */
static inline uint32_t weft__atomic_load32(const uint32_t *p, memory_order mo) {
  return atomic_load_explicit(WEFT__A(uint32_t, (uint32_t *)p), mo);
}
static inline void weft__atomic_store32(uint32_t *p, uint32_t v, memory_order mo) {
  atomic_store_explicit(WEFT__A(uint32_t, p), v, mo);
}
static inline bool weft__atomic_cas32(uint32_t *p, uint32_t *expected, uint32_t desired,
                                      memory_order success) {
  return atomic_compare_exchange_strong_explicit(WEFT__A(uint32_t, p), expected, desired, success,
                                                 memory_order_relaxed);
}
static inline uint32_t weft__atomic_exchange32(uint32_t *p, uint32_t v, memory_order mo) {
  return atomic_exchange_explicit(WEFT__A(uint32_t, p), v, mo);
}

/* 64-bit values on every target (counters, seeds, clock rates). */
static inline uint64_t weft__atomic_load64(const uint64_t *p, memory_order mo) {
  return atomic_load_explicit(WEFT__A(uint64_t, (uint64_t *)p), mo);
}
static inline void weft__atomic_store64(uint64_t *p, uint64_t v, memory_order mo) {
  atomic_store_explicit(WEFT__A(uint64_t, p), v, mo);
}
static inline uint64_t weft__atomic_fetch_add64(uint64_t *p, uint64_t v, memory_order mo) {
  return atomic_fetch_add_explicit(WEFT__A(uint64_t, p), v, mo);
}

/* Pointers. */
static inline void *weft__atomic_load_ptr(void *const *p, memory_order mo) {
  return atomic_load_explicit(WEFT__A(void *, (void **)p), mo);
}
static inline void weft__atomic_store_ptr(void **p, void *v, memory_order mo) {
  atomic_store_explicit(WEFT__A(void *, p), v, mo);
}

#elif defined(WEFT_ATOMICS_INTERLOCKED)
/* ---- Win32 _Interlocked* intrinsics ---------------------------------- */
#include <intrin.h>

typedef enum {
  memory_order_relaxed,
  memory_order_consume,
  memory_order_acquire,
  memory_order_release,
  memory_order_acq_rel,
  memory_order_seq_cst
} memory_order;

/* Every _Interlocked* operation is a full barrier on every CPU Windows runs
 * on, whatever order was asked for. Plain loads and stores are volatile
 * accesses of aligned words (single instructions); what they need beyond
 * that: on x86, whose loads acquire and stores release by themselves, only
 * the compiler is held back; elsewhere a full fence does it. */
#if defined(__GNUC__)
#define WEFT__COMPILER_BARRIER() __asm__ __volatile__("" ::: "memory")
#else
#define WEFT__COMPILER_BARRIER() _ReadWriteBarrier()
#endif
#if defined(_M_X64) || defined(_M_IX86) || defined(__x86_64__) || defined(__i386__)
#define WEFT__X86 1
#else
#define WEFT__X86 0
#endif

static inline void weft__atomic_fence(void) {
  long volatile dummy = 0;
  (void)_InterlockedExchange(&dummy, 1);
}
/* What a plain access needs beside it for an ordered one. */
static inline void weft__plain_fence(void) {
#if WEFT__X86
  WEFT__COMPILER_BARRIER();
#else
  weft__atomic_fence();
#endif
}

/* The word is 64 bits on 64-bit Windows, 32 on 32-bit. */
#if UINTPTR_MAX > 0xFFFFFFFFu
typedef long long weft__iword;
#define WEFT__ICAS _InterlockedCompareExchange64
#define WEFT__IADD _InterlockedExchangeAdd64
#define WEFT__IOR _InterlockedOr64
#define WEFT__IAND _InterlockedAnd64
#define WEFT__IXCHG _InterlockedExchange64
#else
typedef long weft__iword;
#define WEFT__ICAS _InterlockedCompareExchange
#define WEFT__IADD _InterlockedExchangeAdd
#define WEFT__IOR _InterlockedOr
#define WEFT__IAND _InterlockedAnd
#define WEFT__IXCHG _InterlockedExchange
#endif
#define WEFT__IW(p) ((weft__iword volatile *)(p))

static inline uintptr_t weft__atomic_load(const uintptr_t *p, memory_order mo) {
  if (mo == memory_order_seq_cst) weft__plain_fence();
  uintptr_t v = *(const volatile uintptr_t *)p;
  if (mo != memory_order_relaxed) weft__plain_fence();
  return v;
}
static inline uintptr_t weft__atomic_exchange(uintptr_t *p, uintptr_t v, memory_order mo) {
  (void)mo;
  return (uintptr_t)WEFT__IXCHG(WEFT__IW(p), (weft__iword)v);
}
static inline void weft__atomic_store(uintptr_t *p, uintptr_t v, memory_order mo) {
  if (mo == memory_order_seq_cst) {
    (void)weft__atomic_exchange(p, v, mo);
    return;
  }
  if (mo != memory_order_relaxed) weft__plain_fence();
  *(volatile uintptr_t *)p = v;
}
static inline bool weft__atomic_cas(uintptr_t *p, uintptr_t *expected, uintptr_t desired,
                                    memory_order success) {
  (void)success;
  uintptr_t old = (uintptr_t)WEFT__ICAS(WEFT__IW(p), (weft__iword)desired, (weft__iword)*expected);
  if (old == *expected) return true;
  *expected = old;
  return false;
}
static inline uintptr_t weft__atomic_fetch_add(uintptr_t *p, uintptr_t v, memory_order mo) {
  (void)mo;
  return (uintptr_t)WEFT__IADD(WEFT__IW(p), (weft__iword)v);
}
static inline uintptr_t weft__atomic_fetch_sub(uintptr_t *p, uintptr_t v, memory_order mo) {
  (void)mo;
  return (uintptr_t)WEFT__IADD(WEFT__IW(p), (weft__iword)(0 - v));
}
static inline uintptr_t weft__atomic_fetch_or(uintptr_t *p, uintptr_t v, memory_order mo) {
  (void)mo;
  return (uintptr_t)WEFT__IOR(WEFT__IW(p), (weft__iword)v);
}
static inline uintptr_t weft__atomic_fetch_and(uintptr_t *p, uintptr_t v, memory_order mo) {
  (void)mo;
  return (uintptr_t)WEFT__IAND(WEFT__IW(p), (weft__iword)v);
}

/* 32-bit words: long is 32 bits on every Windows target. */
static inline uint32_t weft__atomic_load32(const uint32_t *p, memory_order mo) {
  if (mo == memory_order_seq_cst) weft__plain_fence();
  uint32_t v = *(const volatile uint32_t *)p;
  if (mo != memory_order_relaxed) weft__plain_fence();
  return v;
}
static inline uint32_t weft__atomic_exchange32(uint32_t *p, uint32_t v, memory_order mo) {
  (void)mo;
  return (uint32_t)_InterlockedExchange((long volatile *)p, (long)v);
}
static inline void weft__atomic_store32(uint32_t *p, uint32_t v, memory_order mo) {
  if (mo == memory_order_seq_cst) {
    (void)weft__atomic_exchange32(p, v, mo);
    return;
  }
  if (mo != memory_order_relaxed) weft__plain_fence();
  *(volatile uint32_t *)p = v;
}
static inline bool weft__atomic_cas32(uint32_t *p, uint32_t *expected, uint32_t desired,
                                      memory_order success) {
  (void)success;
  uint32_t old =
      (uint32_t)_InterlockedCompareExchange((long volatile *)p, (long)desired, (long)*expected);
  if (old == *expected) return true;
  *expected = old;
  return false;
}

/* 64-bit values: the word's operations on 64-bit Windows; on 32-bit a
 * compare-exchange (cmpxchg8b) does every step. */
#if UINTPTR_MAX > 0xFFFFFFFFu
static inline uint64_t weft__atomic_load64(const uint64_t *p, memory_order mo) {
  return weft__atomic_load((const uintptr_t *)p, mo);
}
static inline void weft__atomic_store64(uint64_t *p, uint64_t v, memory_order mo) {
  weft__atomic_store((uintptr_t *)p, v, mo);
}
static inline uint64_t weft__atomic_fetch_add64(uint64_t *p, uint64_t v, memory_order mo) {
  return weft__atomic_fetch_add((uintptr_t *)p, v, mo);
}
#else
static inline uint64_t weft__atomic_cas64(uint64_t *p, uint64_t expected, uint64_t desired) {
  return (uint64_t)_InterlockedCompareExchange64((long long volatile *)p, (long long)desired,
                                                 (long long)expected);
}
static inline uint64_t weft__atomic_load64(const uint64_t *p, memory_order mo) {
  (void)mo; /* exchanges 0 for 0 at most: the value is unchanged */
  return weft__atomic_cas64((uint64_t *)p, 0, 0);
}
static inline uint64_t weft__atomic_fetch_add64(uint64_t *p, uint64_t v, memory_order mo) {
  uint64_t old = weft__atomic_load64(p, mo), seen;
  while ((seen = weft__atomic_cas64(p, old, old + v)) != old)
    old = seen;
  return old;
}
static inline void weft__atomic_store64(uint64_t *p, uint64_t v, memory_order mo) {
  uint64_t old = weft__atomic_load64(p, mo), seen;
  while ((seen = weft__atomic_cas64(p, old, v)) != old)
    old = seen;
}
#endif

/* Pointers are as wide as the word. */
static inline void *weft__atomic_load_ptr(void *const *p, memory_order mo) {
  return (void *)weft__atomic_load((const uintptr_t *)p, mo);
}
static inline void weft__atomic_store_ptr(void **p, void *v, memory_order mo) {
  weft__atomic_store((uintptr_t *)p, (uintptr_t)v, mo);
}

#endif /* WEFT_ATOMICS_INTERLOCKED */

#endif /* WEFT_ATOMIC_H */
