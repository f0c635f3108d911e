/* weft_event: one word.
 *   bit 0  SET      the flag
 *   bit 1  WAITERS  someone may be parked: set must wake them
 * set() wakes every parked waiter, and a woken waiter returns WEFT_OK even
 * if clear() ran in between: the wake-up itself is the answer. */
#include "internal.h"

#define SET ((uintptr_t)1)
#define WAITERS ((uintptr_t)2)

void weft_event_set(weft_event *e) {
  if (!e) return;
  if (weft__exchange(&e->state_, SET, memory_order_acq_rel) & WAITERS) weft__unpark_all(&e->state_);
}

void weft_event_clear(weft_event *e) {
  if (!e) return;
  atomic_fetch_and_explicit((_Atomic uintptr_t *)&e->state_, ~SET, memory_order_relaxed);
}

bool weft_event_is_set(const weft_event *e) {
  return e && (weft__load(&e->state_, memory_order_acquire) & SET);
}

int weft_event_wait(weft_event *e, double timeout) {
  if (!e || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  uintptr_t v = weft__load(&e->state_, memory_order_acquire);
  if (v & SET) return WEFT_OK;
  if (timeout == 0) return WEFT_TIMEOUT;
  int64_t deadline = weft__deadline(timeout);
  for (;;) {
    if (v & SET) return WEFT_OK;
    if (!(v & WAITERS) && !weft__cas(&e->state_, &v, v | WAITERS, memory_order_relaxed)) continue;
    int r = weft__park(&e->state_, v | WAITERS, deadline, NULL);
    if (r == WEFT__PARK_OK) return WEFT_OK;
    v = weft__load(&e->state_, memory_order_acquire);
    if (v & SET) return WEFT_OK;
    if (r == WEFT__PARK_TIMEOUT || weft__port_now() >= deadline) return WEFT_TIMEOUT;
  }
}
