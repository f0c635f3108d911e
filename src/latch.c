/* weft_latch: one word, the count shifted left by one.
 *   bit 0   WAITERS  someone may be parked: the count-down to zero wakes
 *   bit 1+  the count
 * All zero is a released latch. The count only goes down (until the next
 * init), so a count-down that leaves it above zero never wakes anyone; the
 * one that reaches zero with waiters writes the zero under the lot's lock
 * and takes the waiters in the same step, so its wake-up reaches exactly the
 * waits that were parked when the count reached zero (a wait that parks
 * after it sees the zero; one that parks before it is among those woken). */
#include "park.h"
#include "self.h"
#include "tsan.h"

#define WAITERS ((uintptr_t)1)
#define ONE ((uintptr_t)2)

static uintptr_t count_of(uintptr_t v) {
  return v >> 1;
}

int weft_latch_init(weft_latch *l, size_t count) {
  if (!l) return WEFT_EINVAL;
  if ((uintmax_t)count > WEFT_LATCH_MAX) return WEFT_EOVERFLOW;
  weft__store(&l->count_, (uintptr_t)count * ONE, memory_order_release);
  return WEFT_OK;
}

typedef struct down {
  weft_latch *l;
  uintptr_t n;
  int status;
} down;

/* Under the lot's lock, with `waiting` threads parked on the word: count
 * down, and wake them if that reached zero. */
static bool down_under_lock(void *arg, size_t waiting) {
  (void)waiting;
  down *d = arg;
  uintptr_t v = weft__load(&d->l->count_, memory_order_relaxed), next;
  do {
    if (d->n > count_of(v)) {
      d->status = WEFT_EOVERFLOW;
      return false;
    }
    next = count_of(v) == d->n ? 0 : v - d->n * ONE;
  } while (!weft__cas(&d->l->count_, &v, next, memory_order_acq_rel));
  return next == 0;
}

static int do_latch_count_down(weft_latch *l, size_t n) {
  if (!l) return WEFT_EINVAL;
  uintptr_t v = weft__load(&l->count_, memory_order_relaxed);
  for (;;) {
    if ((uintmax_t)n > count_of(v)) return WEFT_EOVERFLOW;
    if (n == 0) return WEFT_OK;
    if (count_of(v) == n && (v & WAITERS)) break;
    if (weft__cas(&l->count_, &v, v - (uintptr_t)n * ONE, memory_order_release)) return WEFT_OK;
  }
  down d = {l, (uintptr_t)n, WEFT_OK};
  weft__unpark_all_if(&l->count_, down_under_lock, NULL, &d);
  return d.status;
}

int weft_latch_count_down(weft_latch *l, size_t n) {
  weft__tsan_release(l);
  return do_latch_count_down(l, n);
}

static bool do_latch_try_wait(const weft_latch *l) {
  return l && count_of(weft__load(&l->count_, memory_order_acquire)) == 0;
}

bool weft_latch_try_wait(const weft_latch *l) {
  bool done = do_latch_try_wait(l);
  if (done) weft__tsan_acquire(l);
  return done;
}

static int do_latch_wait(weft_latch *l, double timeout) {
  if (!l || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  uintptr_t v = weft__load(&l->count_, memory_order_acquire);
  if (count_of(v) == 0) return WEFT_OK;
  if (timeout == 0) return WEFT_TIMEOUT;
  int64_t deadline = weft__deadline(timeout);
  for (;;) {
    if (count_of(v) == 0) return WEFT_OK;
    if (!(v & WAITERS) && !weft__cas(&l->count_, &v, v | WAITERS, memory_order_relaxed)) continue;
    weft__waiting(WEFT__WAIT_LATCH, l, count_of(v), 0);
    int r = weft__park(&l->count_, v | WAITERS, deadline, NULL);
    if (r == WEFT__PARK_OK) return WEFT_OK; /* only the count-down to zero wakes */
    v = weft__load(&l->count_, memory_order_acquire);
    if (count_of(v) == 0) return WEFT_OK;
    if (r == WEFT__PARK_TIMEOUT || weft__port_now() >= deadline) return WEFT_TIMEOUT;
  }
}

int weft_latch_wait(weft_latch *l, double timeout) {
  return weft__tsan_acquired(l, do_latch_wait(l, timeout));
}
