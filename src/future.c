/* weft_future: concurrent.futures.Future, for a pool's tasks and standalone.
 *
 * The state word:
 *   bits 0-1  PENDING, RUNNING, FINISHED or CANCELLED (the last two: done)
 *   bit 2     WAITERS   a result() caller may be parked on the word
 *   bit 3     POOLED    made by a pool's submit (set_result refuses it)
 * A pending future becomes done exactly once, under its lock; a worker
 * starts a pending one (PENDING -> RUNNING) with a compare-and-swap alone,
 * so that a cancel either wins (the task never runs) or finds it running.
 * Waiting for the result parks on the word; the future never leaves done,
 * so a wake-up can only mean done and can never be stale.
 *
 * The lock also guards what runs at the end: the watches of waits on many
 * futures (wait.c), told at once under the lock, and the callbacks, which
 * run after it is dropped, in the completing thread, in the order added.
 * A callback added while the completer is still running earlier ones
 * (`calling`) joins its list rather than running at once, so that the
 * order holds across threads too. The first callback lives in the future
 * itself: a future with one callback allocates nothing more. */
#include "future.h"
#include "self.h"
#include "tsan.h"

#include <string.h>

#define STATE ((uintptr_t)3)
#define PENDING ((uintptr_t)0)
#define RUNNING ((uintptr_t)1)
#define FINISHED ((uintptr_t)2)
#define CANCELLED ((uintptr_t)3)
#define WAITERS ((uintptr_t)4)
#define POOLED ((uintptr_t)8)

typedef struct callback {
  void (*fn)(weft_future *f, void *arg);
  void *arg;
  struct callback *next;
} callback;

struct weft_future {
  uintptr_t refs;  /* atomic */
  uintptr_t state; /* atomic; becomes done only under the lock */
  weft_lock lock;  /* the lists below, and every change to done */
  void *result;    /* written before the state says FINISHED */
  callback first;  /* the first callback (has_first) */
  bool has_first;
  bool calling;          /* done, and the completer is running its callbacks */
  callback *more, *last; /* the callbacks after the first, allocated */
  weft__list watches;
  uintptr_t runner; /* atomic: ident of the worker running its task, for a dump */
};

static bool done_state(uintptr_t v) {
  return (v & STATE) >= FINISHED;
}

static uintptr_t state_of(const weft_future *f) {
  return weft__load(&f->state, memory_order_acquire);
}

/* -- references -- */

static weft_future *future_new(bool pooled) {
  weft_future *f = weft__malloc(sizeof *f);
  if (!f) return NULL;
  memset(f, 0, sizeof *f);
  f->refs = pooled ? 2 : 1;
  f->state = pooled ? POOLED : PENDING;
  return f;
}

weft_future *weft_future_new(void) {
  return future_new(false);
}

weft_future *weft__future_new_pooled(void) {
  return future_new(true);
}

weft_future *weft_future_ref(weft_future *f) {
  if (f) weft__fetch_add(&f->refs, 1, memory_order_relaxed);
  return f;
}

void weft_future_unref(weft_future *f) {
  if (!f || weft__fetch_sub(&f->refs, 1, memory_order_acq_rel) != 1) return;
  /* Never done: its callbacks never run, and nobody can add one now. */
  for (callback *c = f->more, *next; c; c = next) {
    next = c->next;
    weft__free(c);
  }
  weft__free(f);
}

/* -- the end: done, watches told, callbacks run -- */

/* Under the lock: take the callbacks waiting to run; *more gets the
 * allocated ones. False if there are none (then `calling` ends). */
static bool take_callbacks(weft_future *f, callback *first, bool *has_first, callback **more) {
  *first = f->first;
  *has_first = f->has_first;
  *more = f->more;
  f->has_first = false;
  f->more = f->last = NULL;
  f->calling = *has_first || *more;
  return f->calling;
}

/* Run the callbacks taken, and any added meanwhile (the completer holds a
 * reference meanwhile: a callback may drop the caller's). */
static void run_callbacks(weft_future *f, callback first, bool has_first, callback *more) {
  do {
    if (has_first) first.fn(f, first.arg);
    for (callback *c = more, *next; c; c = next) {
      next = c->next;
      c->fn(f, c->arg);
      weft__free(c);
    }
    weft_lock_acquire(&f->lock, WEFT_FOREVER);
    bool again = take_callbacks(f, &first, &has_first, &more);
    weft_lock_release(&f->lock);
    if (!again) break;
  } while (true);
}

/* Make f done: FINISHED with result, or CANCELLED. Only from PENDING, or
 * from RUNNING too with from_running. False if f was not in such a state.
 * The caller holds a reference for the call (the pool's, or complete_here's
 * own): whoever sees f done may drop theirs at once, and a callback may. */
static bool complete(weft_future *f, uintptr_t to, void *result, bool from_running) {
  weft_lock_acquire(&f->lock, WEFT_FOREVER);
  uintptr_t v = weft__load(&f->state, memory_order_relaxed);
  for (;;) {
    uintptr_t s = v & STATE;
    if (done_state(v) || (s == RUNNING && !from_running)) {
      weft_lock_release(&f->lock);
      return false;
    }
    f->result = result;
    weft__tsan_release(f); /* the result and what led to it, for readers */
    /* A CAS: a waiter may set WAITERS, a worker may start it, meanwhile. */
    if (weft__cas(&f->state, &v, (v & POOLED) | to, memory_order_release)) break;
  }
  for (weft__link *l; (l = weft__list_pop_front(&f->watches));) {
    weft__watch *w = WEFT__CONTAINER(l, weft__watch, link);
    w->listed = false;
    w->notify(w);
  }
  callback first, *more;
  bool has_first, calling = take_callbacks(f, &first, &has_first, &more);
  weft_lock_release(&f->lock);
  if (v & WAITERS) weft__unpark_all(&f->state);
  if (calling) run_callbacks(f, first, has_first, more);
  return true;
}

/* For the API's completions: the caller need not own a reference (a
 * thread that completes a future someone else waits on and frees), only
 * the future must be referenced until it is done; so hold one here. */
static bool complete_here(weft_future *f, uintptr_t to, void *result) {
  weft_future_ref(f);
  bool done = complete(f, to, result, false);
  weft_future_unref(f);
  return done;
}

void weft__future_finish(weft_future *f, void *result) {
  complete(f, FINISHED, result, true);
}

void weft__future_cancel_pending(weft_future *f) {
  complete(f, CANCELLED, NULL, false);
}

void weft__future_cancel_running(weft_future *f) {
  complete(f, CANCELLED, NULL, true);
}

void weft__future_fork_reset(weft_future *f) {
  weft__store(&f->lock.v_, 0, memory_order_relaxed);
  f->calling = false;
}

uint64_t weft__future_runner(const weft_future *f) {
  return weft__load(&f->runner, memory_order_relaxed);
}

bool weft__future_start(weft_future *f) {
  uintptr_t v = weft__load(&f->state, memory_order_relaxed);
  while ((v & STATE) == PENDING)
    if (weft__cas(&f->state, &v, (v & ~STATE) | RUNNING, memory_order_acquire)) {
      weft__store(&f->runner, (uintptr_t)weft_get_ident(), memory_order_relaxed);
      return true;
    }
  assert((v & STATE) == CANCELLED);
  return false;
}

/* -- the API -- */

int weft_future_set_result(weft_future *f, void *result) {
  if (!f) return WEFT_EINVAL;
  if (state_of(f) & POOLED) return WEFT_ESTATE;
  return complete_here(f, FINISHED, result) ? WEFT_OK : WEFT_ESTATE;
}

int weft_future_cancel(weft_future *f) {
  if (!f) return WEFT_EINVAL;
  uintptr_t s = state_of(f) & STATE;
  if (s != PENDING) return s == CANCELLED ? WEFT_OK : WEFT_ESTATE;
  weft_future_ref(f); /* as complete_here: the caller may own none */
  bool cancelled = complete(f, CANCELLED, NULL, false);
  s = state_of(f) & STATE; /* a cancel may have won meanwhile */
  weft_future_unref(f);
  return cancelled || s == CANCELLED ? WEFT_OK : WEFT_ESTATE;
}

bool weft_future_cancelled(const weft_future *f) {
  return f && (state_of(f) & STATE) == CANCELLED;
}

bool weft_future_running(const weft_future *f) {
  return f && (state_of(f) & STATE) == RUNNING;
}

bool weft_future_done(const weft_future *f) {
  bool done = f && done_state(state_of(f));
  if (done) weft__tsan_acquire(f);
  return done;
}

bool weft__future_is_done(const weft_future *f) {
  bool done = done_state(state_of(f));
  if (done) weft__tsan_acquire(f);
  return done;
}

int weft_future_add_done_callback(weft_future *f, void (*cb)(weft_future *f, void *arg),
                                  void *arg) {
  if (!f || !cb) return WEFT_EINVAL;
  callback *node = NULL;
  weft_lock_acquire(&f->lock, WEFT_FOREVER);
  for (;;) {
    if (done_state(weft__load(&f->state, memory_order_relaxed)) && !f->calling) {
      weft_lock_release(&f->lock);
      weft__free(node);
      cb(f, arg);
      return WEFT_OK;
    }
    if (!f->has_first) {
      f->first = (callback){cb, arg, NULL};
      f->has_first = true;
      break;
    }
    if (node) {
      *node = (callback){cb, arg, NULL};
      if (f->last)
        f->last->next = node;
      else
        f->more = node;
      f->last = node;
      node = NULL;
      break;
    }
    /* Allocated without the lock (the allocator may be slow), then look
     * again: the future may have finished meanwhile. */
    weft_lock_release(&f->lock);
    node = weft__malloc(sizeof *node);
    if (!node) return WEFT_ENOMEM;
    weft_lock_acquire(&f->lock, WEFT_FOREVER);
  }
  weft_lock_release(&f->lock);
  weft__free(node);
  return WEFT_OK;
}

/* -- waiting -- */

static uintptr_t wait_hook; /* a function pointer, as a word */

void weft__future_on_wait(void (*fn)(void)) {
  weft__atomic_store(&wait_hook, (uintptr_t)fn, memory_order_release);
}

void weft__future_before_wait(void) {
  void (*fn)(void) = (void (*)(void))weft__atomic_load(&wait_hook, memory_order_acquire);
  if (fn) fn();
}

int weft__future_wait_until(weft_future *f, int64_t deadline, bool try_only) {
  uintptr_t v = state_of(f);
  if (done_state(v)) return WEFT_OK;
  if (try_only) return WEFT_TIMEOUT;
  weft__future_before_wait();
  for (;;) {
    if (done_state(v)) return WEFT_OK;
    if (!(v & WAITERS) && !weft__cas(&f->state, &v, v | WAITERS, memory_order_relaxed)) continue;
    weft__waiting(WEFT__WAIT_FUTURE, f, weft__load(&f->runner, memory_order_relaxed), 0);
    int r = weft__park(&f->state, v | WAITERS, deadline, NULL);
    v = state_of(f);
    if (done_state(v)) return WEFT_OK;
    if (r == WEFT__PARK_TIMEOUT || weft__port_now() >= deadline) return WEFT_TIMEOUT;
  }
}

int weft_future_result(weft_future *f, double timeout, void **result) {
  if (!f || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (!done_state(state_of(f))) {
    if (timeout == 0) return WEFT_TIMEOUT;
    int status = weft__future_wait_until(f, weft__deadline(timeout), false);
    if (status != WEFT_OK) return status;
  }
  weft__tsan_acquire(f);
  if ((state_of(f) & STATE) == CANCELLED) return WEFT_ECANCELED;
  if (result) *result = f->result;
  return WEFT_OK;
}

bool weft__future_watch(weft_future *f, weft__watch *w) {
  weft_lock_acquire(&f->lock, WEFT_FOREVER);
  bool pending = !done_state(weft__load(&f->state, memory_order_relaxed));
  w->listed = pending;
  if (pending) weft__list_push_back(&f->watches, &w->link);
  weft_lock_release(&f->lock);
  return pending;
}

void weft__future_unwatch(weft_future *f, weft__watch *w) {
  weft_lock_acquire(&f->lock, WEFT_FOREVER);
  if (w->listed) {
    weft__list_remove(&f->watches, &w->link);
    w->listed = false;
  }
  weft_lock_release(&f->lock);
}
