/* weft_barrier: Python's Barrier, on a weft_lock and a queue word.
 *
 * States: FILLING (threads arrive), ACTION (the last arrival runs the action,
 * with no lock held), DRAINING (the cycle is released; threads leave),
 * RESETTING (reset() failed the waiters; they leave), BROKEN. Arrivals wait
 * while the previous cycle drains or resets; the last thread out of a cycle
 * opens the barrier again. Every state change wakes everyone parked on the
 * queue word, and each re-checks what it waits for. */
#include "lock.h"
#include "self.h"

enum { FILLING, ACTION, DRAINING, RESETTING, BROKEN };

/* Park until woken or the deadline, with the lock released meanwhile. */
static int sleep_unlocked(weft_barrier *b, int64_t deadline) {
  weft__waiting(WEFT__WAIT_BARRIER, b, b->count_, b->parties_);
  return weft__park_unlocking(&b->queue_, &b->lock_, deadline, true) == WEFT__PARK_TIMEOUT
             ? WEFT_TIMEOUT
             : WEFT_OK;
}

static void set_state(weft_barrier *b, int32_t state) {
  b->state_ = state;
  weft__unpark_all(&b->queue_);
}

int weft_barrier_init(weft_barrier *b, unsigned parties, weft_fn action, void *arg) {
  if (!b || parties == 0) return WEFT_EINVAL;
  weft_barrier zero = {{0}, 0, 0, 0, FILLING, 0, NULL, NULL};
  *b = zero;
  b->parties_ = parties;
  b->action_ = action;
  b->arg_ = arg;
  return WEFT_OK;
}

/* The last arrival: run the action outside the lock, then release all. */
static int complete_cycle(weft_barrier *b) {
  b->state_ = ACTION;
  if (b->action_) {
    weft_lock_release(&b->lock_);
    b->action_(b->arg_);
    weft_lock_acquire(&b->lock_, WEFT_FOREVER);
  }
  if (b->state_ != ACTION) return WEFT_EBROKEN; /* aborted or reset meanwhile */
  set_state(b, DRAINING);
  return WEFT_OK;
}

static int await_cycle(weft_barrier *b, int64_t deadline) {
  while (b->state_ == FILLING || b->state_ == ACTION) {
    if (sleep_unlocked(b, deadline) == WEFT_TIMEOUT &&
        (b->state_ == FILLING || b->state_ == ACTION)) {
      set_state(b, BROKEN);
      return WEFT_TIMEOUT;
    }
  }
  return b->state_ == DRAINING ? WEFT_OK : WEFT_EBROKEN;
}

int weft_barrier_wait(weft_barrier *b, double timeout, unsigned *index) {
  if (!b || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (b->parties_ == 0) return WEFT_EINVAL; /* never initialised */
  int64_t deadline = weft__deadline(timeout);
  weft_lock_acquire(&b->lock_, WEFT_FOREVER);
  while (b->state_ == DRAINING || b->state_ == RESETTING || b->state_ == ACTION)
    sleep_unlocked(b, WEFT__FOREVER); /* the previous cycle is leaving */
  if (b->state_ == BROKEN) {
    weft_lock_release(&b->lock_);
    return WEFT_EBROKEN;
  }
  unsigned me = b->count_++;
  int status = b->count_ == b->parties_ ? complete_cycle(b) : await_cycle(b, deadline);
  if (--b->count_ == 0 && (b->state_ == DRAINING || b->state_ == RESETTING)) set_state(b, FILLING);
  weft_lock_release(&b->lock_);
  if (index) *index = me;
  return status;
}

void weft_barrier_abort(weft_barrier *b) {
  if (!b) return;
  weft_lock_acquire(&b->lock_, WEFT_FOREVER);
  set_state(b, BROKEN);
  weft_lock_release(&b->lock_);
}

int weft_barrier_reset(weft_barrier *b) {
  if (!b) return WEFT_EINVAL;
  weft_lock_acquire(&b->lock_, WEFT_FOREVER);
  if (b->count_ == 0)
    set_state(b, FILLING);
  else if (b->state_ != DRAINING)
    set_state(b, RESETTING); /* the waiters fail; the last one out reopens */
  weft_lock_release(&b->lock_);
  return WEFT_OK;
}

unsigned weft_barrier_n_waiting(const weft_barrier *b) {
  if (!b) return 0;
  weft_barrier *m = (weft_barrier *)b; /* the lock is not part of its value */
  weft_lock_acquire(&m->lock_, WEFT_FOREVER);
  unsigned n = m->state_ == FILLING ? m->count_ : 0;
  weft_lock_release(&m->lock_);
  return n;
}

bool weft_barrier_broken(const weft_barrier *b) {
  if (!b) return false;
  weft_barrier *m = (weft_barrier *)b;
  weft_lock_acquire(&m->lock_, WEFT_FOREVER);
  bool broken = m->state_ == BROKEN;
  weft_lock_release(&m->lock_);
  return broken;
}
