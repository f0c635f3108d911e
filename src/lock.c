/* weft_lock: one word, acquired with one compare-and-swap when free.
 *
 *   bit 0  LOCKED   held by some thread (any thread may release it)
 *   bit 1  PARKED   a thread may be parked on the word: release must wake
 *
 * Contended acquirers first yield the CPU a few times (spinning on the word
 * would only fight the holder for its cache line; a yield lets it finish),
 * then set PARKED and park on the word.
 * Release wakes the longest-parked thread and normally lets it race for the
 * lock (throughput); once that thread has waited over a millisecond, release
 * hands the lock straight to it instead, so nobody starves. */
#include "lock.h"

#define LOCKED ((uintptr_t)1)
#define PARKED ((uintptr_t)2)
#define SPINS 40
#define HANDOFF_NS 1000000

static bool try_acquire(weft_lock *l) {
  uintptr_t v = weft__load(&l->v_, memory_order_relaxed);
  while (!(v & LOCKED))
    if (weft__cas(&l->v_, &v, v | LOCKED, memory_order_acquire)) return true;
  return false;
}

static int acquire_until(weft_lock *l, int64_t deadline) {
  unsigned spins = 0;
  for (;;) {
    uintptr_t v = weft__load(&l->v_, memory_order_relaxed);
    if (!(v & LOCKED)) {
      if (weft__cas(&l->v_, &v, v | LOCKED, memory_order_acquire)) return WEFT_OK;
      continue;
    }
    if (!(v & PARKED)) {
      if (spins++ < SPINS) {
        weft__port_yield();
        continue;
      }
      if (!weft__cas(&l->v_, &v, v | PARKED, memory_order_relaxed)) continue;
      v |= PARKED;
    }
    weft__lock_waiter w = {weft__port_now(), false};
    int r = weft__park(&l->v_, v, deadline, &w);
    if (w.handed_off) return WEFT_OK;
    if (r == WEFT__PARK_TIMEOUT) return try_acquire(l) ? WEFT_OK : WEFT_TIMEOUT;
    if (r == WEFT__PARK_AGAIN && weft__port_now() >= deadline)
      return try_acquire(l) ? WEFT_OK : WEFT_TIMEOUT;
  }
}

int weft_lock_acquire(weft_lock *l, double timeout) {
  if (!l || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  uintptr_t unlocked = 0;
  if (weft__cas(&l->v_, &unlocked, LOCKED, memory_order_acquire)) return WEFT_OK;
  if (timeout == 0) return try_acquire(l) ? WEFT_OK : WEFT_TIMEOUT;
  return acquire_until(l, weft__deadline(timeout));
}

int weft__lock_acquire_until(weft_lock *l, int64_t deadline) {
  uintptr_t unlocked = 0;
  if (weft__cas(&l->v_, &unlocked, LOCKED, memory_order_acquire)) return WEFT_OK;
  return acquire_until(l, deadline);
}

/* Runs under the parking lot's bucket lock, so no acquirer can park or
 * leave in between and the queue (hence the PARKED bit to leave behind) is
 * exact here. A release that comes here has not claimed the lock yet, and
 * the word can still change under it (the fast paths take no bucket lock:
 * the lock may be released and taken again meanwhile), so the release is
 * claimed with a CAS from a LOCKED value. A second racing release finds the
 * lock free, wakes nobody and reports WEFT_ESTATE. */
typedef struct release {
  weft_lock *l;
  int status;
} release;

static bool on_unpark(void *arg, void *park_arg, bool more) {
  release *r = arg;
  weft__lock_waiter *w = park_arg;
  bool hand_off = w && weft__port_now() - w->since > HANDOFF_NS;
  uintptr_t next = (more ? PARKED : 0) | (hand_off ? LOCKED : 0);
  uintptr_t v = weft__load(&r->l->v_, memory_order_relaxed);
  do {
    if (!(v & LOCKED)) {
      r->status = WEFT_ESTATE;
      return false;
    }
  } while (!weft__cas(&r->l->v_, &v, next, memory_order_release));
  assert(!hand_off || (next & LOCKED)); /* a hand-off never lets the lock go */
  assert(more || !(next & PARKED));     /* PARKED stays exactly while threads wait */
  if (hand_off) w->handed_off = true;
  return true;
}

int weft_lock_release(weft_lock *l) {
  if (!l) return WEFT_EINVAL;
  uintptr_t v = LOCKED; /* the usual case; a failed CAS loads the truth */
  for (;;) {
    if (!(v & LOCKED)) return WEFT_ESTATE;
    if (v & PARKED) break;
    if (weft__cas(&l->v_, &v, 0, memory_order_release)) return WEFT_OK;
  }
  release r = {l, WEFT_OK};
  weft__unpark_one(&l->v_, on_unpark, &r);
  return r.status;
}

bool weft_lock_locked(const weft_lock *l) {
  return l && (weft__load(&l->v_, memory_order_relaxed) & LOCKED);
}

/* Under the lock's bucket lock, before condition waiters join its queue:
 * make sure the release will look for them. */
static bool mark_parked(void *arg) {
  weft_lock *l = arg;
  uintptr_t v = weft__fetch_or(&l->v_, PARKED, memory_order_relaxed);
  return v & LOCKED;
}

size_t weft__lock_take_waiters(weft_lock *l, const void *from, size_t n) {
  size_t moved;
  if (weft__requeue(from, &l->v_, n, mark_parked, l, &moved) != WEFT_OK) return SIZE_MAX;
  return moved;
}

/* -- waiting with a lock let go -- */

static void release_lock(void *l) {
  weft_lock_release(l);
}

int weft__park_unlocking(const void *addr, weft_lock *l, int64_t deadline) {
  int r = weft__park_then(addr, release_lock, l, deadline, NULL);
  if (r == WEFT_ENOMEM) { /* no record for this foreign thread: poll */
    weft_lock_release(l);
    weft__port_sleep(50000);
    r = WEFT__PARK_AGAIN;
  }
  weft_lock_acquire(l, WEFT_FOREVER);
  return r;
}
