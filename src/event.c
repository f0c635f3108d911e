/* weft_event: one word.
 *   bit 0  SET      the flag
 *   bit 1  WAITERS  someone may be parked: set must wake them
 * set() wakes every thread parked at that moment, and a woken waiter returns
 * WEFT_OK even if clear() ran in between: the flag was set during its wait.
 * With waiters, set() changes the word and takes the waiters in one step
 * under the parking lot's lock, so its wake-up can never reach a wait that
 * began after the flag was cleared again (that wait parks after the step and
 * is not among those woken). */
#include "park.h"
#include "self.h"
#include "tsan.h"

#define SET ((uintptr_t)1)
#define WAITERS ((uintptr_t)2)

static void publish_set(void *word) {
  weft__exchange(word, SET, memory_order_acq_rel);
}

static void do_event_set(weft_event *e) {
  if (!e) return;
  uintptr_t v = weft__load(&e->state_, memory_order_relaxed);
  for (;;) {
    if (v & WAITERS) {
      weft__unpark_all_after(&e->state_, publish_set, &e->state_);
      return;
    }
    /* Nobody parked: a plain release store (a CAS, so that a waiter that
     * marks itself meanwhile sends us to the path above). */
    if (weft__cas(&e->state_, &v, SET, memory_order_release)) return;
  }
}

void weft_event_set(weft_event *e) {
  weft__tsan_release(e);
  do_event_set(e);
}

void weft_event_clear(weft_event *e) {
  if (!e) return;
  weft__fetch_and(&e->state_, ~SET, memory_order_relaxed);
}

bool weft_event_is_set(const weft_event *e) {
  return e && (weft__load(&e->state_, memory_order_acquire) & SET);
}

static int do_event_wait(weft_event *e, double timeout) {
  if (!e || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  uintptr_t v = weft__load(&e->state_, memory_order_acquire);
  if (v & SET) return WEFT_OK;
  if (timeout == 0) return WEFT_TIMEOUT;
  int64_t deadline = weft__deadline(timeout);
  for (;;) {
    if (v & SET) return WEFT_OK;
    if (!(v & WAITERS) && !weft__cas(&e->state_, &v, v | WAITERS, memory_order_relaxed)) continue;
    weft__waiting(WEFT__WAIT_EVENT, e, 0, 0);
    int r = weft__park(&e->state_, v | WAITERS, deadline, NULL);
    if (r == WEFT__PARK_OK) return WEFT_OK;
    v = weft__load(&e->state_, memory_order_acquire);
    if (v & SET) return WEFT_OK;
    if (r == WEFT__PARK_TIMEOUT || weft__port_now() >= deadline) return WEFT_TIMEOUT;
  }
}

int weft_event_wait(weft_event *e, double timeout) {
  return weft__tsan_acquired(e, do_event_wait(e, timeout));
}
