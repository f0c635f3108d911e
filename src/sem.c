/* weft_sem: the value is one word taken with compare-and-swap. Waiters
 * count themselves in `waiters_` before parking on the value (expecting
 * 0), so release makes no call into the parking lot when nobody waits.
 * Both sides use sequentially consistent operations: either release sees
 * the waiter, or the waiter's park sees the new value and does not sleep. */
#include "park.h"
#include "self.h"
#include "tsan.h"

#include <limits.h>

void weft_sem_init(weft_sem *s, unsigned value) {
  if (!s) return;
  weft_sem zero = WEFT_SEM_INIT;
  *s = zero;
  s->value_ = value;
}

void weft_sem_init_bounded(weft_sem *s, unsigned value) {
  weft_sem_init(s, value);
  if (!s) return;
  s->max_ = value;
  s->bounded_ = 1;
}

static bool try_take(weft_sem *s) {
  uintptr_t v = weft__load(&s->value_, memory_order_relaxed);
  while (v > 0)
    if (weft__cas(&s->value_, &v, v - 1, memory_order_acquire)) return true;
  return false;
}

static int do_sem_acquire(weft_sem *s, double timeout) {
  if (!s || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (try_take(s)) return WEFT_OK;
  if (timeout == 0) return WEFT_TIMEOUT;
  int64_t deadline = weft__deadline(timeout);
  for (;;) {
    weft__fetch_add(&s->waiters_, 1, memory_order_seq_cst);
    weft__fence(); /* before park reads the value */
    weft__waiting(WEFT__WAIT_SEM, s, 0, 0);
    int r = weft__park(&s->value_, 0, deadline, NULL);
    weft__fetch_sub(&s->waiters_, 1, memory_order_relaxed);
    if (try_take(s)) return WEFT_OK;
    if (r == WEFT__PARK_TIMEOUT || weft__port_now() >= deadline) return WEFT_TIMEOUT;
  }
}

int weft_sem_acquire(weft_sem *s, double timeout) {
  return weft__tsan_acquired(s, do_sem_acquire(s, timeout));
}

static int do_sem_release(weft_sem *s, unsigned n) {
  if (!s || n == 0) return WEFT_EINVAL;
  uintptr_t max = s->bounded_ ? s->max_ : UINT_MAX;
  uintptr_t v = weft__load(&s->value_, memory_order_relaxed);
  do {
    if (v > max || max - v < n) return WEFT_EOVERFLOW;
  } while (!weft__cas(&s->value_, &v, v + n, memory_order_seq_cst));
  uintptr_t waiting = weft__load(&s->waiters_, memory_order_seq_cst);
  for (uintptr_t i = 0; i < n && i < waiting; i++)
    if (!weft__unpark_one(&s->value_, NULL, NULL)) break;
  return WEFT_OK;
}

int weft_sem_release(weft_sem *s, unsigned n) {
  weft__tsan_release(s);
  return do_sem_release(s, n);
}

unsigned weft_sem_value(const weft_sem *s) {
  return s ? (unsigned)weft__load(&s->value_, memory_order_relaxed) : 0;
}
