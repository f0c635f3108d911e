/* Waits on many futures: weft_wait (concurrent.futures.wait) and
 * weft_as_completed (as_completed).
 *
 * A wait for all of them waits for each in turn. A wait for the first, and
 * the iterator, attach a watch to every future not yet done (future.h):
 * the thread that completes one tells the watch under the future's lock,
 * which bumps a word the waiter parks on (and, for the iterator, queues the
 * future in finishing order). The waiter reads the word before it looks,
 * so a completion between the look and the park is never lost. A watch is
 * detached under the future's lock too, so once detached nothing touches
 * it: a wait's watches live on its stack (or in one block for many), the
 * iterator's in its own block. */
#include "future.h"
#include "self.h"

#include <stdlib.h>
#include <string.h>

/* A thread waiting for any of several futures. */
typedef struct any_waiter {
  uintptr_t word; /* completions seen; parked on */
} any_waiter;

static void wake_word(uintptr_t *word) {
  weft__fetch_add(word, 1, memory_order_release);
  weft__unpark_all(word);
}

typedef struct first_watch {
  weft__watch watch;
  any_waiter *w;
} first_watch;

static void first_notify(weft__watch *watch) {
  wake_word(&WEFT__CONTAINER(watch, first_watch, watch)->w->word);
}

enum { ON_STACK = 8 };

static bool any_done(weft_future *const *fs, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (weft__future_is_done(fs[i])) return true;
  return false;
}

/* What a dump shows while the caller waits on several futures: the first
 * one not done yet. */
static void waiting_on(weft_future *const *fs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!weft__future_is_done(fs[i])) {
      weft__waiting(WEFT__WAIT_FUTURE, fs[i], weft__future_runner(fs[i]), 0);
      return;
    }
  }
}

static int wait_first(weft_future *const *fs, size_t n, double timeout) {
  if (any_done(fs, n)) return WEFT_OK;
  if (timeout == 0) return WEFT_TIMEOUT;
  int64_t deadline = weft__deadline(timeout);
  first_watch stack[ON_STACK], *watches = stack;
  if (n > ON_STACK) {
    watches = n <= SIZE_MAX / sizeof *watches ? weft__malloc(n * sizeof *watches) : NULL;
    if (!watches) return WEFT_ENOMEM;
  }
  any_waiter w = {0};
  size_t attached = 0;
  bool done = false;
  for (; attached < n && !done; attached++) {
    watches[attached].watch.notify = first_notify;
    watches[attached].w = &w;
    done = !weft__future_watch(fs[attached], &watches[attached].watch);
  }
  weft__future_before_wait();
  while (!done) {
    uintptr_t seen = weft__load(&w.word, memory_order_acquire);
    if (seen != 0) break;
    waiting_on(fs, n);
    int r = weft__park(&w.word, 0, deadline, NULL);
    if (r == WEFT__PARK_TIMEOUT || weft__port_now() >= deadline) break;
  }
  for (size_t i = 0; i < attached; i++)
    weft__future_unwatch(fs[i], &watches[i].watch);
  if (watches != stack) weft__free(watches);
  return done || any_done(fs, n) ? WEFT_OK : WEFT_TIMEOUT;
}

static int wait_all(weft_future *const *fs, size_t n, double timeout) {
  int64_t deadline = timeout == 0 ? 0 : weft__deadline(timeout);
  for (size_t i = 0; i < n; i++) {
    int status = weft__future_wait_until(fs[i], deadline, timeout == 0);
    if (status != WEFT_OK) return status;
  }
  return WEFT_OK;
}

static bool valid(weft_future *const *fs, size_t n) {
  if (!fs && n > 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!fs[i]) return false;
  return true;
}

int weft_wait(weft_future *const *fs, size_t n, int return_when, double timeout) {
  if (!valid(fs, n) || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (return_when != WEFT_FIRST_COMPLETED && return_when != WEFT_ALL_COMPLETED) return WEFT_EINVAL;
  if (n == 0) return WEFT_OK;
  return return_when == WEFT_ALL_COMPLETED ? wait_all(fs, n, timeout) : wait_first(fs, n, timeout);
}

/* -- as_completed -- */

typedef struct entry {
  weft__watch watch;
  weft_as_completed *it;
  weft_future *f;
  size_t index;       /* in the caller's array */
  struct entry *next; /* in the ready list */
} entry;

struct weft_as_completed {
  weft_lock lock;            /* the ready list and the count yielded */
  uintptr_t word;            /* bumped at each completion; next() parks on it */
  entry *ready, *ready_last; /* done, not yet yielded, in finishing order */
  size_t n;                  /* distinct futures: entries[0..n) */
  size_t yielded;
  entry entries[];
};

static void push_ready(weft_as_completed *it, entry *e) {
  e->next = NULL;
  weft_lock_acquire(&it->lock, WEFT_FOREVER);
  if (it->ready_last)
    it->ready_last->next = e;
  else
    it->ready = e;
  it->ready_last = e;
  weft_lock_release(&it->lock);
}

static void ready_notify(weft__watch *watch) {
  entry *e = WEFT__CONTAINER(watch, entry, watch);
  push_ready(e->it, e);
  wake_word(&e->it->word);
}

static int by_future(const void *a, const void *b) {
  const entry *x = a, *y = b;
  uintptr_t p = (uintptr_t)x->f, q = (uintptr_t)y->f;
  if (p != q) return p < q ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static int by_index(const void *a, const void *b) {
  const entry *x = a, *y = b;
  return x->index < y->index ? -1 : x->index > y->index;
}

weft_as_completed *weft_as_completed_new(weft_future *const *fs, size_t n) {
  if (!valid(fs, n)) return NULL;
  if (n > (SIZE_MAX - sizeof(weft_as_completed)) / sizeof(entry)) return NULL;
  weft_as_completed *it = weft__malloc(sizeof *it + n * sizeof(entry));
  if (!it) return NULL;
  memset(it, 0, sizeof *it);
  for (size_t i = 0; i < n; i++)
    it->entries[i] = (entry){.it = it, .f = fs[i], .index = i};
  /* Each future once, as Python's set(fs): keep its first occurrence. */
  qsort(it->entries, n, sizeof(entry), by_future);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    if (kept == 0 || it->entries[kept - 1].f != it->entries[i].f)
      it->entries[kept++] = it->entries[i];
  qsort(it->entries, kept, sizeof(entry), by_index);
  it->n = kept;
  /* Those done already come first, in the caller's order. */
  for (size_t i = 0; i < kept; i++) {
    entry *e = &it->entries[i];
    weft_future_ref(e->f);
    e->watch.notify = ready_notify;
    if (!weft__future_watch(e->f, &e->watch)) push_ready(it, e);
  }
  return it;
}

static entry *pop_ready(weft_as_completed *it) {
  weft_lock_acquire(&it->lock, WEFT_FOREVER);
  entry *e = it->ready;
  if (e) {
    it->ready = e->next;
    if (!it->ready) it->ready_last = NULL;
    it->yielded++;
  }
  weft_lock_release(&it->lock);
  return e;
}

int weft_as_completed_next(weft_as_completed *it, double timeout, weft_future **f) {
  if (!it || !f || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  int64_t deadline = 0;
  for (;;) {
    /* The word first: a completion after this read changes it. */
    uintptr_t seen = weft__load(&it->word, memory_order_acquire);
    entry *e = pop_ready(it);
    if (e) {
      *f = e->f;
      return WEFT_OK;
    }
    weft_lock_acquire(&it->lock, WEFT_FOREVER);
    bool all = it->yielded == it->n;
    weft_lock_release(&it->lock);
    if (all) return WEFT_ESTATE;
    if (timeout == 0) return WEFT_TIMEOUT;
    if (!deadline) {
      deadline = weft__deadline(timeout);
      weft__future_before_wait();
    }
    for (size_t i = 0; i < it->n; i++) { /* for a dump: the first not done */
      if (!weft__future_is_done(it->entries[i].f)) {
        weft__waiting(WEFT__WAIT_FUTURE, it->entries[i].f, weft__future_runner(it->entries[i].f),
                      0);
        break;
      }
    }
    int r = weft__park(&it->word, seen, deadline, NULL);
    if (r == WEFT__PARK_TIMEOUT || (r == WEFT__PARK_AGAIN && weft__port_now() >= deadline)) {
      e = pop_ready(it);
      if (!e) return WEFT_TIMEOUT;
      *f = e->f;
      return WEFT_OK;
    }
  }
}

void weft_as_completed_free(weft_as_completed *it) {
  if (!it) return;
  for (size_t i = 0; i < it->n; i++) {
    weft__future_unwatch(it->entries[i].f, &it->entries[i].watch);
    weft_future_unref(it->entries[i].f);
  }
  weft__free(it);
}
