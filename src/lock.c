/* weft_lock: one word, acquired with one compare-and-swap when free.
 *
 *   bit 0     LOCKED  held by some thread (any thread may release it)
 *   bit 1     PARKED  a thread is parked on the word: release must wake one
 *   bits 2-7  TRIES   how many yields contended acquirers have lately needed
 *                     before they got the lock
 *
 * A contended acquirer first yields its CPU a few times, trying the lock
 * after each: about twice what lately sufficed (learnt in TRIES and updated
 * with the CAS that takes the lock), and at most MAX_YIELDS, so the wait
 * before parking is bounded (tens of microseconds). A yield, unlike a
 * spin, never takes a CPU from the holder: when the machine is
 * oversubscribed it lets a preempted holder run, and when it is not it
 * costs one short system call. Pausing on the word was measured here and
 * lost at every thread count, by up to 1.5x in CPU per operation
 * (docs/bench/README.md). A yield round that fails halves the estimate, so
 * a lock held long is soon parked on at once. Then it sets PARKED and parks
 * on the word. A waiter woken to race for the lock that finds it taken
 * yields again the same way before it parks again: its wake-up took tens
 * of microseconds, in which the releaser has often taken the lock back
 * for a moment, and parking at once made chains of park, wake and lose
 * (measured: five times fewer acquires waiting over 100 us at 2 threads).
 *
 * Release wakes the longest-parked thread and normally lets it race for the
 * lock (throughput); once that thread has waited over a millisecond, release
 * hands the lock straight to it instead, so nobody starves, but only on the
 * lot's fair turns (about one per half millisecond): a hand-off leaves the
 * lock unusable until the woken thread runs, and one at every release would
 * make a convoy of all the waiters. */
#include "lock.h"
#include "self.h"
#include "tsan.h"

#define LOCKED ((uintptr_t)1)
#define PARKED ((uintptr_t)2)
#define TRIES_SHIFT 2
#define TRIES ((uintptr_t)63 << TRIES_SHIFT)
#define MIN_YIELDS 4 /* tried even with no history */
#define MAX_YIELDS 32
#define HANDOFF_NS 1000000

static uintptr_t estimate(uintptr_t v) {
  return (v & TRIES) >> TRIES_SHIFT;
}

static uintptr_t with_estimate(uintptr_t v, uintptr_t est) {
  return (v & ~TRIES) | (est > 63 ? 63 : est) << TRIES_SHIFT;
}

static bool try_acquire(weft_lock *l) {
  uintptr_t v = weft__load(&l->v_, memory_order_relaxed);
  while (!(v & LOCKED))
    if (weft__cas(&l->v_, &v, v | LOCKED, memory_order_acquire)) return true;
  return false;
}

/* Yield and try, a bounded number of times; true if got (the estimate
 * updated in the same CAS). */
static bool yield_acquire(weft_lock *l) {
  uintptr_t v = weft__load(&l->v_, memory_order_relaxed);
  uintptr_t est = estimate(v);
  unsigned budget = (unsigned)(2 * est + MIN_YIELDS);
  if (budget > MAX_YIELDS) budget = MAX_YIELDS;
  for (unsigned i = 0; i < budget; i++) {
    weft__port_yield();
    v = weft__load(&l->v_, memory_order_relaxed);
    while (!(v & LOCKED)) {
      /* est moves 1/4 of the way to what this round took */
      uintptr_t next = with_estimate(v | LOCKED, est + ((intptr_t)i - (intptr_t)est) / 4);
      if (weft__cas(&l->v_, &v, next, memory_order_acquire)) return true;
    }
  }
  return false;
}

/* What a dump shows while the caller waits for l (debug.h): an rlock's
 * lock is its first member, so l is the rlock, whose owner it shows. */
static void waiting_on(const weft_lock *l, unsigned kind, int64_t since) {
  struct weft_thread *t = weft__self();
  if (!t) return;
  uintptr_t owner = 0;
  if (kind == WEFT__WAIT_RLOCK)
    owner = weft__load(&((const weft_rlock *)(const void *)l)->owner_, memory_order_relaxed);
  weft__wait_set(t, kind, l, owner, 0, since);
}

static int acquire_until(weft_lock *l, int64_t deadline, unsigned kind) {
  if (yield_acquire(l)) return WEFT_OK;
  int64_t since = 0; /* the first park: a waiter woken to lose the race keeps its place in time */
  for (;;) {
    uintptr_t v = weft__load(&l->v_, memory_order_relaxed);
    if (!(v & LOCKED)) {
      if (weft__cas(&l->v_, &v, v | LOCKED, memory_order_acquire)) return WEFT_OK;
      continue;
    }
    if (!(v & PARKED)) {
      /* the yields did not pay: halve the estimate as PARKED goes in */
      uintptr_t next = with_estimate(v | PARKED, estimate(v) / 2);
      if (!weft__cas(&l->v_, &v, next, memory_order_relaxed)) continue;
      v = next;
    }
    if (!since) since = weft__port_now();
    weft__lock_waiter w = {since, false};
    waiting_on(l, kind, w.since);
    /* no watching for the wake-up: a woken waiter races anyway */
    int r = weft__park_watch(&l->v_, v, deadline, &w, false);
    if (w.handed_off) return WEFT_OK;
    if (r == WEFT__PARK_TIMEOUT) return try_acquire(l) ? WEFT_OK : WEFT_TIMEOUT;
    if (r == WEFT__PARK_AGAIN && weft__port_now() >= deadline)
      return try_acquire(l) ? WEFT_OK : WEFT_TIMEOUT;
    if (r == WEFT__PARK_OK && yield_acquire(l)) return WEFT_OK;
  }
}

/* The fast path: one load and one CAS when the lock is free. */
static bool fast_acquire(weft_lock *l) {
  uintptr_t v = weft__load(&l->v_, memory_order_relaxed);
  return !(v & LOCKED) && weft__cas(&l->v_, &v, v | LOCKED, memory_order_acquire);
}

/* With a debug tool on (debug.h): the same acquire, told to the tools
 * before it (lock order checks the new edge first, so that a cycle is
 * reported before the wait that could deadlock) and once the lock is held.
 * Contended means the lock was seen held. deadline 0: from timeout. */
static WEFT__NOINLINE int observed_acquire(weft_lock *l, double timeout, int64_t deadline,
                                           unsigned kind, const void *site) {
  const weft__debug_hooks *h = weft__debug_hooks_get();
  if (h) h->acquiring(l, kind, timeout != 0, site);
  bool contended = !fast_acquire(l) && !try_acquire(l);
  int64_t start = 0;
  if (contended) {
    if (timeout == 0) return WEFT_TIMEOUT;
    start = weft__port_now();
    int status = acquire_until(l, deadline ? deadline : weft__deadline(timeout), kind);
    if (status != WEFT_OK) return status;
  }
  if (h) h->acquired(l, kind, site, contended, contended ? weft__port_now() - start : 0);
  return WEFT_OK;
}

static int do_lock_acquire(weft_lock *l, double timeout, unsigned kind, const void *site) {
  if (!l || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (weft__debug_on()) return observed_acquire(l, timeout, 0, kind, site);
  if (fast_acquire(l)) return WEFT_OK;
  if (timeout == 0) return try_acquire(l) ? WEFT_OK : WEFT_TIMEOUT;
  return acquire_until(l, weft__deadline(timeout), kind);
}

int weft__lock_acquire_as(weft_lock *l, double timeout, unsigned kind, const void *site) {
  return weft__tsan_acquired(l, do_lock_acquire(l, timeout, kind, site));
}

int weft_lock_acquire(weft_lock *l, double timeout) {
  return weft__lock_acquire_as(l, timeout, WEFT__WAIT_LOCK, WEFT__SITE());
}

static int do__lock_acquire_until(weft_lock *l, int64_t deadline, const void *site) {
  if (weft__debug_on()) return observed_acquire(l, WEFT_FOREVER, deadline, WEFT__WAIT_LOCK, site);
  if (fast_acquire(l)) return WEFT_OK;
  return acquire_until(l, deadline, WEFT__WAIT_LOCK);
}

#define BRIEF_PAUSES 128

static bool looks_free(void *l) {
  return !(weft__load(&((weft_lock *)l)->v_, memory_order_relaxed) & LOCKED);
}

void weft__lock_acquire_brief(weft_lock *l) {
  if (!weft__debug_on() && !looks_free(l)) weft__spin_for(looks_free, l, BRIEF_PAUSES);
  weft_lock_acquire(l, WEFT_FOREVER);
}

int weft__lock_acquire_until(weft_lock *l, int64_t deadline) {
  return weft__tsan_acquired(l, do__lock_acquire_until(l, deadline, WEFT__SITE()));
}

void weft__lock_handed(weft_lock *l, unsigned kind, const void *site) {
  if (!weft__debug_on()) return;
  const weft__debug_hooks *h = weft__debug_hooks_get();
  if (!h) return;
  h->acquiring(l, kind, true, site);
  h->acquired(l, kind, site, false, 0);
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
  int64_t now = w ? weft__port_now() : 0;
  bool hand_off = w && now - w->since > HANDOFF_NS && weft__lot_fair_turn(&r->l->v_, now);
  uintptr_t flags = (more ? PARKED : 0) | (hand_off ? LOCKED : 0), next;
  uintptr_t v = weft__load(&r->l->v_, memory_order_relaxed);
  do {
    if (!(v & LOCKED)) {
      r->status = WEFT_ESTATE;
      return false;
    }
    next = (v & TRIES) | flags;
  } while (!weft__cas(&r->l->v_, &v, next, memory_order_release));
  assert(!hand_off || (next & LOCKED)); /* a hand-off never lets the lock go */
  assert(more || !(next & PARKED));     /* PARKED stays exactly while threads wait */
  if (hand_off) w->handed_off = true;
  return true;
}

static int let_go(weft_lock *l) {
  uintptr_t v = LOCKED; /* the usual case; a failed CAS loads the truth */
  for (;;) {
    if (!(v & LOCKED)) return WEFT_ESTATE;
    if (v & PARKED) break;
    if (weft__cas(&l->v_, &v, v & TRIES, memory_order_release)) return WEFT_OK;
  }
  release r = {l, WEFT_OK};
  weft__unpark_one(&l->v_, on_unpark, &r);
  return r.status;
}

/* With a debug tool on: told before the lock goes, so that no other thread
 * can take it and be told first. */
static WEFT__NOINLINE int observed_release(weft_lock *l) {
  const weft__debug_hooks *h = weft__debug_hooks_get();
  if (h) h->releasing(l);
  return let_go(l);
}

static int do_lock_release(weft_lock *l) {
  if (!l) return WEFT_EINVAL;
  if (weft__debug_on()) return observed_release(l);
  return let_go(l);
}

int weft_lock_release(weft_lock *l) {
  weft__tsan_release(l);
  return do_lock_release(l);
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

int weft__park_unlocking(const void *addr, weft_lock *l, int64_t deadline, bool watching) {
  int r = weft__park_then(addr, release_lock, l, deadline, NULL, watching);
  if (r == WEFT_ENOMEM) { /* no record for this foreign thread: poll */
    weft_lock_release(l);
    weft__port_sleep(50000);
    r = WEFT__PARK_AGAIN;
  }
  weft_lock_acquire(l, WEFT_FOREVER);
  return r;
}
