/* weft_rlock: a weft_lock plus the owner's ident and a depth that only the
 * owner touches. The owner field is read by other threads (to learn they do
 * not own it), so it is accessed atomically; the depth is not. */
#include "lock.h"

#define MAX_DEPTH (UINT32_MAX - 1)

static uintptr_t owner_of(const weft_rlock *r) {
  return weft__load(&r->owner_, memory_order_relaxed);
}

int weft_rlock_acquire(weft_rlock *r, double timeout) {
  return weft__rlock_acquire_from(r, timeout, WEFT__SITE());
}

int weft__rlock_acquire_from(weft_rlock *r, double timeout, const void *site) {
  if (!r || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  uintptr_t me = (uintptr_t)weft_get_ident();
  if (owner_of(r) == me) {
    if (r->count_ >= MAX_DEPTH) return WEFT_EOVERFLOW;
    r->count_++;
    return WEFT_OK;
  }
  int status = weft__lock_acquire_as(&r->lock_, timeout, WEFT__WAIT_RLOCK, site);
  if (status != WEFT_OK) return status;
  weft__store(&r->owner_, me, memory_order_relaxed);
  r->count_ = 1;
  return WEFT_OK;
}

int weft_rlock_release(weft_rlock *r) {
  if (!r) return WEFT_EINVAL;
  if (owner_of(r) != (uintptr_t)weft_get_ident() || r->count_ == 0) return WEFT_EPERM;
  if (--r->count_ == 0) {
    weft__store(&r->owner_, 0, memory_order_relaxed);
    weft_lock_release(&r->lock_);
  }
  return WEFT_OK;
}

bool weft_rlock_is_owned(const weft_rlock *r) {
  return r && owner_of(r) == (uintptr_t)weft_get_ident();
}

void weft__rlock_release_all(weft_rlock *r, uint32_t *depth) {
  *depth = r->count_;
  r->count_ = 0;
  weft__store(&r->owner_, 0, memory_order_relaxed);
  weft_lock_release(&r->lock_);
}

void weft__rlock_restore(weft_rlock *r, uint32_t depth) {
  weft__store(&r->owner_, (uintptr_t)weft_get_ident(), memory_order_relaxed);
  r->count_ = depth;
}
