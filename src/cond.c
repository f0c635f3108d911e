/* weft_cond: waiters park on the condition's queue word, FIFO, after
 * releasing its lock; the lot enqueues them before the lock is released, and
 * notify needs the lock, so no notify can slip in between. A waiter that
 * times out leaves the queue itself, so notifies are spent only on threads
 * that return with them.
 *
 * notify does not wake anyone: the notifier holds the lock that a woken
 * waiter would run into at once. It moves the waiters onto the lock's own
 * queue instead, and the lock's releases wake them one at a time (handing
 * the lock over to one that has waited long), so each hand-off costs one
 * wake-up, not two. */
#include "lock.h"
#include "self.h"
#include "tsan.h"

enum { OWN_RLOCK, PLAIN_LOCK, CALLER_RLOCK };

static weft_rlock *rlock_of(weft_cond *c) {
  return c->kind_ == CALLER_RLOCK ? (weft_rlock *)c->lock_ : &c->own_;
}

/* The weft_lock underneath, whatever the kind. */
static weft_lock *lock_of(weft_cond *c) {
  return c->kind_ == PLAIN_LOCK ? (weft_lock *)c->lock_ : &rlock_of(c)->lock_;
}

void weft_cond_init(weft_cond *c) {
  if (!c) return;
  weft_cond zero = WEFT_COND_INIT;
  *c = zero;
}

void weft_cond_init_lock(weft_cond *c, weft_lock *l) {
  weft_cond_init(c);
  if (c && l) {
    c->lock_ = l;
    c->kind_ = PLAIN_LOCK;
  }
}

void weft_cond_init_rlock(weft_cond *c, weft_rlock *r) {
  weft_cond_init(c);
  if (c && r) {
    c->lock_ = r;
    c->kind_ = CALLER_RLOCK;
  }
}

int weft_cond_acquire(weft_cond *c, double timeout) {
  if (!c) return WEFT_EINVAL;
  if (c->kind_ == PLAIN_LOCK)
    return weft__lock_acquire_as(c->lock_, timeout, WEFT__WAIT_LOCK, WEFT__SITE());
  return weft__rlock_acquire_from(rlock_of(c), timeout, WEFT__SITE());
}

int weft_cond_release(weft_cond *c) {
  if (!c) return WEFT_EINVAL;
  if (c->kind_ == PLAIN_LOCK) return weft_lock_release(c->lock_);
  return weft_rlock_release(rlock_of(c));
}

/* A plain lock has no owner: as Python does, "held" is the best check. */
static bool held(weft_cond *c) {
  if (c->kind_ == PLAIN_LOCK) return weft_lock_locked(c->lock_);
  return weft_rlock_is_owned(rlock_of(c));
}

typedef struct saved {
  weft_cond *c;
  uint32_t depth;
  const void *site; /* the user's wait, for the debug tools */
} saved;

/* Runs once the waiter is queued: let go of the lock entirely. */
static void release_all(void *arg) {
  saved *s = arg;
  if (s->c->kind_ == PLAIN_LOCK) {
    weft_lock_release(s->c->lock_);
    return;
  }
  weft__rlock_release_all(rlock_of(s->c), &s->depth);
}

/* held: a release already handed the underlying lock to this thread. */
static void reacquire(saved *s, bool held) {
  unsigned kind = s->c->kind_ == PLAIN_LOCK ? WEFT__WAIT_LOCK : WEFT__WAIT_RLOCK;
  if (!held) {
    weft__lock_acquire_as(lock_of(s->c), WEFT_FOREVER, kind, s->site);
  } else {
    weft__tsan_acquire(lock_of(s->c)); /* as weft_lock_acquire would */
    weft__lock_handed(lock_of(s->c), kind, s->site);
  }
  if (s->c->kind_ != PLAIN_LOCK) weft__rlock_restore(rlock_of(s->c), s->depth);
}

static int wait_until(weft_cond *c, int64_t deadline, const void *site) {
  saved s = {c, 0, site};
  weft__lock_waiter w = {weft__port_now(), false}; /* if moved onto the lock */
  struct weft_thread *self = weft__self();
  if (self) weft__wait_set(self, WEFT__WAIT_COND, c, 0, 0, w.since);
  int r = weft__park_then(&c->queue_, release_all, &s, deadline, &w, true);
  if (r == WEFT_ENOMEM) return r; /* never queued: the lock is still held */
  reacquire(&s, w.handed_off);
  return r == WEFT__PARK_OK ? WEFT_OK : WEFT_TIMEOUT;
}

int weft_cond_wait(weft_cond *c, double timeout) {
  if (!c || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (!held(c)) return WEFT_EPERM;
  return wait_until(c, weft__deadline(timeout), WEFT__SITE());
}

int weft_cond_wait_for(weft_cond *c, bool (*pred)(void *), void *arg, double timeout) {
  if (!c || !pred || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (!held(c)) return WEFT_EPERM;
  int64_t deadline = weft__deadline(timeout);
  const void *site = WEFT__SITE();
  while (!pred(arg)) {
    if (weft__port_now() >= deadline) return WEFT_TIMEOUT;
    int r = wait_until(c, deadline, site);
    if (r == WEFT_ENOMEM) return r;
  }
  return WEFT_OK;
}

static void notify(weft_cond *c, size_t n) {
  if (weft__lock_take_waiters(lock_of(c), &c->queue_, n) != SIZE_MAX) return;
  /* The lock was let go meanwhile (a plain lock, released by another
   * thread): nobody would wake the waiters, so wake them here. */
  while (n-- > 0 && weft__unpark_one(&c->queue_, NULL, NULL)) {
  }
}

int weft_cond_notify(weft_cond *c, size_t n) {
  if (!c) return WEFT_EINVAL;
  if (!held(c)) return WEFT_EPERM;
  notify(c, n);
  return WEFT_OK;
}

int weft_cond_notify_all(weft_cond *c) {
  if (!c) return WEFT_EINVAL;
  if (!held(c)) return WEFT_EPERM;
  notify(c, SIZE_MAX);
  return WEFT_OK;
}
