/* The C11 <threads.h> names on weft (include/weft/threads.h): threads on
 * weft_thread, mutexes on weft_lock / weft_rlock, condition variables on
 * the parking lot, tss on weft_local, call_once on weft_call_once. Above
 * the subsystems in the layers of internal.h: it uses them, nothing uses
 * it. */
#define WEFT_C11_IMPLEMENTATION
#include "lock.h"
#include "self.h"
#include "weft/threads.h"

#include <time.h>

#define NS_PER_SEC 1000000000
#define WALL_UTC 1 /* weft_c11_timespec_get's TIME_UTC */

/* -- threads --
 * A thread's record is shared by the thread (until it ends) and its
 * creator's handle (until joined or detached): whoever lets go last frees
 * it. Threads that thrd_create did not start get a record at their first
 * thrd_current, which their end frees. */
enum { ENDED = 1, RELEASED = 2 };

struct weft_c11_thread {
  weft_thread *t; /* NULL for a thread that thrd_create did not start */
  weft_c11_thrd_start_t func;
  void *arg;
  int result;
  uintptr_t flags; /* atomic: ENDED, RELEASED */
};

static weft_once self_once = WEFT_ONCE_INIT;
static weft_local *self_local; /* the calling thread's struct weft_c11_thread */

static void let_go(struct weft_c11_thread *c, uintptr_t flag) {
  uintptr_t before = weft__fetch_or(&c->flags, flag, memory_order_acq_rel);
  if (before == ((ENDED | RELEASED) & ~flag)) weft__free(c);
}

static void self_end(void *c) {
  let_go(c, ENDED);
}

static void self_init(void *unused) {
  (void)unused;
  self_local = weft_local_new(self_end);
}

static struct weft_c11_thread *record_new(void) {
  struct weft_c11_thread *c = weft__malloc(sizeof *c);
  if (c) {
    struct weft_c11_thread zero = {NULL, NULL, NULL, 0, 0};
    *c = zero;
  }
  return c;
}

static void thread_start(void *arg) {
  struct weft_c11_thread *c = arg;
  bool tracked = self_local && weft_local_set(self_local, c) == WEFT_OK;
  c->result = c->func(c->arg);
  if (!tracked) let_go(c, ENDED); /* else the local's destructor does, at the end */
}

int weft_c11_thrd_create(weft_c11_thrd_t *thr, weft_c11_thrd_start_t func, void *arg) {
  if (!thr || !func) return weft_c11_thrd_error;
  weft_call_once(&self_once, self_init, NULL);
  struct weft_c11_thread *c = record_new();
  weft_thread *t = c ? weft_thread_new(thread_start, c) : NULL;
  if (!t) {
    weft__free(c);
    return weft_c11_thrd_nomem;
  }
  c->t = t;
  c->func = func;
  c->arg = arg;
  weft_thread_set_daemon(t, true); /* C11: exit does not wait for threads */
  int status = weft_thread_start(t);
  if (status != WEFT_OK) {
    weft_thread_unref(t);
    weft__free(c);
    return status == WEFT_ENOMEM ? weft_c11_thrd_nomem : weft_c11_thrd_error;
  }
  *thr = c;
  return weft_c11_thrd_success;
}

int weft_c11_thrd_equal(weft_c11_thrd_t a, weft_c11_thrd_t b) {
  return a == b;
}

weft_c11_thrd_t weft_c11_thrd_current(void) {
  weft_call_once(&self_once, self_init, NULL);
  if (!self_local) return NULL;
  struct weft_c11_thread *c = weft_local_get(self_local);
  if (c) return c;
  c = record_new();
  if (!c) return NULL;
  c->flags = RELEASED; /* nobody joins it */
  if (weft_local_set(self_local, c) != WEFT_OK) {
    weft__free(c);
    return NULL;
  }
  return c;
}

int weft_c11_thrd_sleep(const struct timespec *duration, struct timespec *remaining) {
  if (!duration || duration->tv_sec < 0 || duration->tv_nsec < 0 || duration->tv_nsec >= NS_PER_SEC)
    return -2;
  int status = weft_sleep((double)duration->tv_sec + (double)duration->tv_nsec / NS_PER_SEC);
  if (remaining) {
    remaining->tv_sec = 0;
    remaining->tv_nsec = 0;
  }
  return status == WEFT_OK ? 0 : -2;
}

void weft_c11_thrd_yield(void) {
  weft_yield();
}

void weft_c11_thrd_exit(int res) {
  struct weft_c11_thread *c = weft_c11_thrd_current();
  if (c) c->result = res;
  weft__port_thread_exit();
}

int weft_c11_thrd_detach(weft_c11_thrd_t thr) {
  if (!thr || !thr->t) return weft_c11_thrd_error;
  weft_thread *t = thr->t;
  let_go(thr, RELEASED);
  weft_thread_unref(t);
  return weft_c11_thrd_success;
}

int weft_c11_thrd_join(weft_c11_thrd_t thr, int *res) {
  if (!thr || !thr->t) return weft_c11_thrd_error;
  if (weft_thread_join(thr->t, WEFT_FOREVER) != WEFT_OK) return weft_c11_thrd_error;
  if (res) *res = thr->result;
  weft_thread *t = thr->t;
  let_go(thr, RELEASED);
  weft_thread_unref(t);
  return weft_c11_thrd_success;
}

/* -- deadlines: C11's are absolute TIME_UTC; weft's waits are relative,
 * on the monotonic clock. Converted once, here. -- */

static bool timeout_of(const struct timespec *ts, double *timeout) {
  if (!ts || ts->tv_nsec < 0 || ts->tv_nsec >= NS_PER_SEC) return false;
  int64_t now = weft__port_wall_now();
  double left = ((double)ts->tv_sec - (double)(now / NS_PER_SEC)) +
                ((double)ts->tv_nsec - (double)(now % NS_PER_SEC)) / NS_PER_SEC;
  *timeout = left > 0 ? left : 0;
  return true;
}

static int c11_status(int status) {
  switch (status) {
  case WEFT_OK:
    return weft_c11_thrd_success;
  case WEFT_TIMEOUT:
    return weft_c11_thrd_timedout;
  case WEFT_ENOMEM:
    return weft_c11_thrd_nomem;
  default:
    return weft_c11_thrd_error;
  }
}

/* -- mutexes -- */

static bool recursive(const weft_c11_mtx_t *m) {
  return (m->type_ & weft_c11_mtx_recursive) != 0;
}

int weft_c11_mtx_init(weft_c11_mtx_t *mtx, int type) {
  if (!mtx || (type & ~(weft_c11_mtx_recursive | weft_c11_mtx_timed))) return weft_c11_thrd_error;
  weft_rlock zero = WEFT_RLOCK_INIT;
  mtx->lock_ = zero;
  mtx->type_ = type;
  return weft_c11_thrd_success;
}

static int lock_for(weft_c11_mtx_t *mtx, double timeout) {
  if (!mtx) return WEFT_EINVAL;
  return recursive(mtx) ? weft_rlock_acquire(&mtx->lock_, timeout)
                        : weft_lock_acquire(&mtx->lock_.lock_, timeout);
}

int weft_c11_mtx_lock(weft_c11_mtx_t *mtx) {
  return c11_status(lock_for(mtx, WEFT_FOREVER));
}

int weft_c11_mtx_timedlock(weft_c11_mtx_t *mtx, const struct timespec *ts) {
  double timeout;
  if (!timeout_of(ts, &timeout)) return weft_c11_thrd_error;
  return c11_status(lock_for(mtx, timeout));
}

int weft_c11_mtx_trylock(weft_c11_mtx_t *mtx) {
  int status = lock_for(mtx, 0);
  return status == WEFT_TIMEOUT ? weft_c11_thrd_busy : c11_status(status);
}

int weft_c11_mtx_unlock(weft_c11_mtx_t *mtx) {
  if (!mtx) return weft_c11_thrd_error;
  int status =
      recursive(mtx) ? weft_rlock_release(&mtx->lock_) : weft_lock_release(&mtx->lock_.lock_);
  return status == WEFT_OK ? weft_c11_thrd_success : weft_c11_thrd_error;
}

void weft_c11_mtx_destroy(weft_c11_mtx_t *mtx) {
  (void)mtx;
}

/* -- condition variables: waiters park on the queue word after they are
 * queued, and only then let go of the mutex, so a signal sent once the
 * mutex is free always finds them. -- */

int weft_c11_cnd_init(weft_c11_cnd_t *cond) {
  if (!cond) return weft_c11_thrd_error;
  cond->queue_ = 0;
  return weft_c11_thrd_success;
}

int weft_c11_cnd_signal(weft_c11_cnd_t *cond) {
  if (!cond) return weft_c11_thrd_error;
  weft__unpark_one(&cond->queue_, NULL, NULL);
  return weft_c11_thrd_success;
}

int weft_c11_cnd_broadcast(weft_c11_cnd_t *cond) {
  if (!cond) return weft_c11_thrd_error;
  weft__unpark_all(&cond->queue_);
  return weft_c11_thrd_success;
}

typedef struct saved {
  weft_c11_mtx_t *m;
  uint32_t depth;
} saved;

static void unlock_all(void *arg) {
  saved *s = arg;
  if (recursive(s->m))
    weft__rlock_release_all(&s->m->lock_, &s->depth);
  else
    weft_lock_release(&s->m->lock_.lock_);
}

static void relock(saved *s) {
  weft_lock_acquire(&s->m->lock_.lock_, WEFT_FOREVER);
  if (recursive(s->m)) weft__rlock_restore(&s->m->lock_, s->depth);
}

static int wait_for(weft_c11_cnd_t *cond, weft_c11_mtx_t *mtx, double timeout) {
  if (!cond || !mtx) return weft_c11_thrd_error;
  bool held =
      recursive(mtx) ? weft_rlock_is_owned(&mtx->lock_) : weft_lock_locked(&mtx->lock_.lock_);
  if (!held) return weft_c11_thrd_error;
  saved s = {mtx, 0};
  weft__waiting(WEFT__WAIT_COND, cond, 0, 0);
  int r = weft__park_then(&cond->queue_, unlock_all, &s, weft__deadline(timeout), NULL, true);
  if (r == WEFT_ENOMEM) { /* no record for this thread: a spurious wake-up after a nap */
    unlock_all(&s);
    weft__port_sleep(1000000);
    r = WEFT__PARK_OK;
  }
  relock(&s);
  return r == WEFT__PARK_TIMEOUT ? weft_c11_thrd_timedout : weft_c11_thrd_success;
}

int weft_c11_cnd_wait(weft_c11_cnd_t *cond, weft_c11_mtx_t *mtx) {
  return wait_for(cond, mtx, WEFT_FOREVER);
}

int weft_c11_cnd_timedwait(weft_c11_cnd_t *cond, weft_c11_mtx_t *mtx, const struct timespec *ts) {
  double timeout;
  if (!timeout_of(ts, &timeout)) return weft_c11_thrd_error;
  return wait_for(cond, mtx, timeout);
}

void weft_c11_cnd_destroy(weft_c11_cnd_t *cond) {
  (void)cond;
}

/* -- thread-specific storage: each thread's value sits in a box that the
 * key's weft_local holds, so that tss_set changes the box (C11 runs no
 * destructor on a replaced value) and the local's destructor, at thread
 * exit, runs the key's on the value. weft_local takes the box out of its
 * slot before that; the box goes back in (empty: tss_get reads NULL) while
 * the key's destructor runs, so a tss_set there fills it again for
 * weft_local's next pass. After TSS_DTOR_ITERATIONS passes of a box, what
 * its destructor set is dropped, as POSIX keys drop it, and the box freed.
 * (A key first set by another key's destructor at exit gets the passes
 * weft_local has left; a value it sets in the very last one is dropped
 * with its box.) -- */

struct weft_c11_tss {
  weft_local *local;
  weft_c11_tss_dtor_t dtor;
  uintptr_t deleting; /* atomic: tss_delete runs no destructor */
};

typedef struct box {
  struct weft_c11_tss *key;
  void *value;
  unsigned passes;
} box;

enum { DTOR_PASSES = 4 }; /* TSS_DTOR_ITERATIONS; weft_local makes as many */

static void box_end(void *arg) {
  box *b = arg;
  struct weft_c11_tss *key = b->key;
  void *value = b->value;
  if (!value || !key->dtor || weft__load(&key->deleting, memory_order_acquire)) {
    weft__free(b);
    return;
  }
  b->value = NULL;
  b->passes++;
  bool back = weft_local_set(key->local, b) == WEFT_OK; /* the slot is empty: no call */
  key->dtor(value);
  if (!back) {
    weft__free(b);
    return;
  }
  if (b->value && b->passes < DTOR_PASSES) return; /* set again: the next pass */
  b->value = NULL;
  weft_local_set(key->local, NULL); /* replaced: box_end frees the empty box */
}

int weft_c11_tss_create(weft_c11_tss_t *key, weft_c11_tss_dtor_t dtor) {
  if (!key) return weft_c11_thrd_error;
  struct weft_c11_tss *k = weft__malloc(sizeof *k);
  weft_local *l = k ? weft_local_new(box_end) : NULL;
  if (!l) {
    weft__free(k);
    return weft_c11_thrd_error;
  }
  k->local = l;
  k->dtor = dtor;
  k->deleting = 0;
  *key = k;
  return weft_c11_thrd_success;
}

void *weft_c11_tss_get(weft_c11_tss_t key) {
  box *b = key ? weft_local_get(key->local) : NULL;
  return b ? b->value : NULL;
}

int weft_c11_tss_set(weft_c11_tss_t key, void *value) {
  if (!key) return weft_c11_thrd_error;
  box *b = weft_local_get(key->local);
  if (b) {
    b->value = value;
    return weft_c11_thrd_success;
  }
  if (!value) return weft_c11_thrd_success;
  b = weft__malloc(sizeof *b);
  if (!b) return weft_c11_thrd_error;
  b->key = key;
  b->value = value;
  b->passes = 0;
  if (weft_local_set(key->local, b) != WEFT_OK) {
    weft__free(b);
    return weft_c11_thrd_error;
  }
  return weft_c11_thrd_success;
}

void weft_c11_tss_delete(weft_c11_tss_t key) {
  if (!key) return;
  weft__store(&key->deleting, 1, memory_order_release);
  weft_local_free(key->local);
  weft__free(key);
}

/* -- once -- */

typedef struct once_call {
  void (*func)(void);
} once_call;

static void run_once(void *arg) {
  ((once_call *)arg)->func();
}

void weft_c11_call_once(weft_c11_once_flag *flag, void (*func)(void)) {
  if (!flag || !func) return;
  once_call call = {func};
  weft_call_once(&flag->once_, run_once, &call);
}

int weft_c11_timespec_get(struct timespec *ts, int base) {
  if (!ts || base != WALL_UTC) return 0;
  int64_t now = weft__port_wall_now();
  ts->tv_sec = (time_t)(now / NS_PER_SEC);
  ts->tv_nsec = (long)(now % NS_PER_SEC);
  return base;
}
