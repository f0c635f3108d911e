/* What the primitives built on weft_lock share about it (lock.c, rlock.c). */
#ifndef WEFT_LOCK_H
#define WEFT_LOCK_H

#include "debug.h"
#include "park.h"

/* weft_lock_acquire with a monotonic deadline. */
int weft__lock_acquire_until(weft_lock *l, int64_t deadline);

/* weft_lock_acquire (no timeout) for weft's own locks whose holds are a
 * few hundred nanoseconds long and taken by a few threads in turn (the
 * timer helpers): first a short, rationed pause on the word (a yield costs
 * more than such a hold), then the usual acquire. */
void weft__lock_acquire_brief(weft_lock *l);

/* weft_lock_acquire for the primitives built on a weft_lock, so that the
 * debug tools see what the user called: `kind` (WEFT__WAIT_LOCK or
 * WEFT__WAIT_RLOCK) is what a dump shows while it waits, `site` the user's
 * call. weft__rlock_acquire_from is weft_rlock_acquire's likewise. */
int weft__lock_acquire_as(weft_lock *l, double timeout, unsigned kind, const void *site);
int weft__rlock_acquire_from(weft_rlock *r, double timeout, const void *site);
/* A release handed l to the caller without an acquire (a condition's
 * waiter): tell the debug tools it holds l now. */
void weft__lock_handed(weft_lock *l, unsigned kind, const void *site);

/* Park on addr with *l released meanwhile (it is held on entry and again on
 * return, whatever the outcome). For objects guarded by a weft_lock.
 * watching: as for weft__park_watch. */
int weft__park_unlocking(const void *addr, weft_lock *l, int64_t deadline, bool watching);

/* A thread parked on a lock's word: the park_arg of every lock waiter, and
 * of a condition's waiters, which notify moves onto the lock's queue. */
typedef struct weft__lock_waiter {
  int64_t since;   /* when it first parked for this acquire */
  bool handed_off; /* the release passed the lock to it */
} weft__lock_waiter;

/* Move up to n waiters parked on `from` onto l, which the caller holds, so
 * that l's releases wake them one by one; each must park with a
 * weft__lock_waiter as its park_arg. Returns how many moved, or SIZE_MAX if
 * l turned out not to be held (then the caller wakes them itself). */
size_t weft__lock_take_waiters(weft_lock *l, const void *from, size_t n);

/* For conditions: let go of an owned rlock entirely; once its lock is held
 * again, make the caller its owner at the same depth. */
void weft__rlock_release_all(weft_rlock *r, uint32_t *depth);
void weft__rlock_restore(weft_rlock *r, uint32_t depth);

#endif /* WEFT_LOCK_H */
