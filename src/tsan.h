/* Happens-before edges for ThreadSanitizer, for programs built with
 * -fsanitize=thread that use a weft built without it. TSan cannot see the
 * atomics of uninstrumented code, so it would report races on data that
 * weft's primitives correctly guard. Where the TSan runtime is in the
 * process, weft tells it what each primitive orders: a release on the
 * object before the operation that publishes (unlock, set, post, put,
 * thread end, ...) and an acquire after the one that observes (lock, wait,
 * get, join, ...). The entry points are weak references: in a process
 * without TSan they are null and each annotation is one predictable test.
 * (ELF only: Mach-O and PE have no weak undefined references this simple;
 * there these are empty.) */
#ifndef WEFT_TSAN_H
#define WEFT_TSAN_H

#include "internal.h"

#if defined(__ELF__) && (defined(__GNUC__) || defined(__clang__))
void __tsan_acquire(void *addr) __attribute__((weak));
void __tsan_release(void *addr) __attribute__((weak));

static inline void weft__tsan_acquire(const void *object) {
  if (__tsan_acquire) __tsan_acquire((void *)(uintptr_t)object);
}
static inline void weft__tsan_release(const void *object) {
  if (__tsan_release) __tsan_release((void *)(uintptr_t)object);
}
#else
static inline void weft__tsan_acquire(const void *object) {
  (void)object;
}
static inline void weft__tsan_release(const void *object) {
  (void)object;
}
#endif

/* status passed through, with an acquire on object if it is WEFT_OK. */
static inline int weft__tsan_acquired(const void *object, int status) {
  if (status == WEFT_OK) weft__tsan_acquire(object);
  return status;
}

#endif /* WEFT_TSAN_H */
