/* weft_queue: Python's queue.Queue, LifoQueue and PriorityQueue with 3.13's
 * shutdown. The FIFO kind, the common one, is fifo.c (a lock per side);
 * LIFO and priority queues, whose put and get touch the same end, are here,
 * on one weft_lock.
 *
 * Blocked getters and putters park on their own words of the queue (the
 * parking lot keeps them FIFO) and count themselves, so a put or get that
 * nobody waits for makes no call into the lot; wake-ups are given after the
 * lock is dropped, so the woken thread does not run into it. Storage grows
 * on demand (up to maxsize) and a failed growth changes nothing. */
#include "fifo.h"
#include "self.h"

#include <string.h>

enum { FIFO, LIFO, PRIORITY };

typedef struct heap_slot {
  void *item;
  uint64_t seq; /* arrival order: equal priorities leave first-come */
} heap_slot;

struct weft_queue {
  weft_lock lock;
  uintptr_t getters, putters, joiners; /* parking addresses */
  size_t n_getters, n_putters;
  int kind;
  int (*cmp)(const void *, const void *);
  void (*free_item)(void *);
  size_t maxsize;
  void *buf; /* void *[cap] (a stack, LIFO) or heap_slot[cap] (priority) */
  size_t cap;
  uintptr_t count; /* atomic, so that qsize needs no lock */
  size_t unfinished;
  uint64_t next_seq;
  bool shut;
  weft__fifo fifo; /* the FIFO kind */
};

static weft_queue *queue_new(size_t maxsize, int kind, int (*cmp)(const void *, const void *)) {
  weft_queue *q = weft__malloc(sizeof *q);
  if (!q) return NULL;
  memset(q, 0, sizeof *q);
  q->maxsize = maxsize;
  q->kind = kind;
  q->cmp = cmp;
  return q;
}

weft_queue *weft_queue_new(size_t maxsize) {
  weft_queue *q = queue_new(maxsize, FIFO, NULL);
  if (q && !weft__fifo_init(&q->fifo, maxsize)) {
    weft__free(q);
    return NULL;
  }
  if (q) q->fifo.owner = q;
  return q;
}

weft_queue *weft_queue_new_lifo(size_t maxsize) {
  return queue_new(maxsize, LIFO, NULL);
}

weft_queue *weft_queue_new_priority(size_t maxsize, int (*cmp)(const void *, const void *)) {
  return cmp ? queue_new(maxsize, PRIORITY, cmp) : NULL;
}

void weft_queue_set_item_free(weft_queue *q, void (*free_item)(void *)) {
  if (!q) return;
  weft_lock_acquire(&q->lock, WEFT_FOREVER);
  q->free_item = free_item;
  weft_lock_release(&q->lock);
}

/* -- storage -- */

static size_t count_of(const weft_queue *q) {
  return weft__load(&q->count, memory_order_relaxed);
}

static void set_count(weft_queue *q, size_t n) {
  weft__store(&q->count, n, memory_order_relaxed);
}

static size_t slot_size(const weft_queue *q) {
  return q->kind == PRIORITY ? sizeof(heap_slot) : sizeof(void *);
}

/* Make room for one more item; false (and nothing changed) if memory is
 * short. */
static bool reserve(weft_queue *q) {
  size_t n = count_of(q);
  if (n < q->cap) return true;
  size_t cap = q->cap ? q->cap * 2 : 16;
  if (q->maxsize && cap > q->maxsize) cap = q->maxsize;
  if (cap <= n || cap > SIZE_MAX / slot_size(q)) return false;
  void *buf = weft__realloc(q->buf, cap * slot_size(q));
  if (!buf) return false;
  q->buf = buf;
  q->cap = cap;
  return true;
}

static bool before(const weft_queue *q, const heap_slot *a, const heap_slot *b) {
  int c = q->cmp(a->item, b->item);
  return c < 0 || (c == 0 && a->seq < b->seq);
}

static void heap_push(weft_queue *q, void *item) {
  heap_slot *h = q->buf;
  size_t i = count_of(q);
  heap_slot s = {item, q->next_seq++};
  while (i > 0 && before(q, &s, &h[(i - 1) / 2])) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = s;
}

static void *heap_pop(weft_queue *q) {
  heap_slot *h = q->buf;
  size_t n = count_of(q) - 1;
  void *top = h[0].item;
  heap_slot last = h[n];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(q, &h[child + 1], &h[child])) child++;
    if (!before(q, &h[child], &last)) break;
    h[i] = h[child];
    i = child;
  }
  h[i] = last;
  return top;
}

static void push(weft_queue *q, void *item) {
  size_t n = count_of(q);
  void **ring = q->buf;
  if (q->kind == PRIORITY)
    heap_push(q, item);
  else
    ring[n] = item;
  set_count(q, n + 1);
}

static void *pop(weft_queue *q) {
  size_t n = count_of(q);
  void **ring = q->buf;
  void *item;
  if (q->kind == PRIORITY)
    item = heap_pop(q);
  else
    item = ring[n - 1];
  set_count(q, n - 1);
  return item;
}

/* -- waiting -- */

static int wait_on(weft_queue *q, uintptr_t *addr, size_t *waiting, int64_t deadline) {
  if (waiting) (*waiting)++;
  if (addr == &q->joiners)
    weft__waiting(WEFT__WAIT_QUEUE_JOIN, q, q->unfinished, 0);
  else
    weft__waiting(addr == &q->getters ? WEFT__WAIT_QUEUE_GET : WEFT__WAIT_QUEUE_PUT, q, count_of(q),
                  q->maxsize);
  int r = weft__park_unlocking(addr, &q->lock, deadline, false);
  if (waiting) (*waiting)--;
  return r == WEFT__PARK_TIMEOUT ? WEFT_TIMEOUT : WEFT_OK;
}

/* Deadlines are computed on the first wait only: the fast path reads no
 * clock. */
static int64_t deadline_of(double timeout, int64_t *deadline) {
  if (*deadline == 0) *deadline = weft__deadline(timeout);
  return *deadline;
}

int weft_queue_put(weft_queue *q, void *item, double timeout) {
  if (!q || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (q->kind == FIFO) return weft__fifo_put(&q->fifo, item, timeout);
  int64_t deadline = 0;
  bool timed_out = false;
  weft_lock_acquire(&q->lock, WEFT_FOREVER);
  for (;;) {
    if (q->shut) {
      weft_lock_release(&q->lock);
      return WEFT_ESHUTDOWN;
    }
    if (!q->maxsize || count_of(q) < q->maxsize) break;
    if (timeout == 0 || timed_out) {
      weft_lock_release(&q->lock);
      return WEFT_TIMEOUT;
    }
    timed_out = wait_on(q, &q->putters, &q->n_putters, deadline_of(timeout, &deadline));
  }
  if (!reserve(q)) {
    /* A wake-up this put may have taken from a get goes to the next putter. */
    bool pass_on = deadline && q->n_putters;
    weft_lock_release(&q->lock);
    if (pass_on) weft__unpark_one(&q->putters, NULL, NULL);
    return WEFT_ENOMEM;
  }
  push(q, item);
  q->unfinished++;
  bool wake = q->n_getters > 0;
  weft_lock_release(&q->lock);
  if (wake) weft__unpark_one(&q->getters, NULL, NULL);
  return WEFT_OK;
}

int weft_queue_get(weft_queue *q, void **item, double timeout) {
  if (!q || !item || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (q->kind == FIFO) return weft__fifo_get(&q->fifo, item, timeout);
  int64_t deadline = 0;
  bool timed_out = false;
  weft_lock_acquire(&q->lock, WEFT_FOREVER);
  while (count_of(q) == 0) {
    if (q->shut || timeout == 0 || timed_out) {
      int status = q->shut ? WEFT_ESHUTDOWN : WEFT_TIMEOUT;
      weft_lock_release(&q->lock);
      return status;
    }
    timed_out = wait_on(q, &q->getters, &q->n_getters, deadline_of(timeout, &deadline));
  }
  *item = pop(q);
  bool wake = q->n_putters > 0;
  weft_lock_release(&q->lock);
  if (wake) weft__unpark_one(&q->putters, NULL, NULL);
  return WEFT_OK;
}

size_t weft_queue_qsize(const weft_queue *q) {
  if (!q) return 0;
  return q->kind == FIFO ? weft__fifo_size(&q->fifo) : count_of(q);
}

bool weft_queue_empty(const weft_queue *q) {
  return weft_queue_qsize(q) == 0;
}

bool weft_queue_full(const weft_queue *q) {
  return q && q->maxsize && weft_queue_qsize(q) >= q->maxsize;
}

int weft_queue_task_done(weft_queue *q) {
  if (!q) return WEFT_EINVAL;
  if (q->kind == FIFO) return weft__fifo_task_done(&q->fifo);
  weft_lock_acquire(&q->lock, WEFT_FOREVER);
  if (q->unfinished == 0) {
    weft_lock_release(&q->lock);
    return WEFT_EOVERFLOW;
  }
  bool all_done = --q->unfinished == 0;
  weft_lock_release(&q->lock);
  if (all_done) weft__unpark_all(&q->joiners);
  return WEFT_OK;
}

int weft_queue_join(weft_queue *q, double timeout) {
  if (!q || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (q->kind == FIFO) return weft__fifo_join(&q->fifo, timeout);
  int64_t deadline = 0;
  bool timed_out = false;
  int status = WEFT_OK;
  weft_lock_acquire(&q->lock, WEFT_FOREVER);
  while (q->unfinished > 0) {
    if (timeout == 0 || timed_out) {
      status = WEFT_TIMEOUT;
      break;
    }
    timed_out = wait_on(q, &q->joiners, NULL, deadline_of(timeout, &deadline));
  }
  weft_lock_release(&q->lock);
  return status;
}

/* Hand every item in a detached buffer to free_item, then free it. */
static void drop_items(weft_queue *q, void *buf, size_t n, void (*free_item)(void *)) {
  for (size_t i = 0; free_item && i < n; i++)
    free_item(q->kind == PRIORITY ? ((heap_slot *)buf)[i].item : ((void **)buf)[i]);
  weft__free(buf);
}

int weft_queue_shutdown(weft_queue *q, bool immediate) {
  if (!q) return WEFT_EINVAL;
  weft_lock_acquire(&q->lock, WEFT_FOREVER);
  if (q->kind == FIFO) {
    void (*free_item)(void *) = q->free_item;
    weft_lock_release(&q->lock);
    weft__fifo_shutdown(&q->fifo, immediate, free_item);
    return WEFT_OK;
  }
  q->shut = true;
  void *buf = NULL;
  size_t n = 0;
  if (immediate) {
    /* Take the items out whole; free_item runs without the lock held. */
    buf = q->buf;
    n = count_of(q);
    q->buf = NULL;
    q->cap = 0;
    set_count(q, 0);
    q->unfinished = q->unfinished > n ? q->unfinished - n : 0;
  }
  bool all_done = q->unfinished == 0;
  void (*free_item)(void *) = q->free_item;
  weft_lock_release(&q->lock);
  weft__unpark_all(&q->getters);
  weft__unpark_all(&q->putters);
  if (all_done) weft__unpark_all(&q->joiners);
  if (buf) drop_items(q, buf, n, free_item);
  return WEFT_OK;
}

void weft_queue_free(weft_queue *q) {
  if (!q) return;
  if (q->kind == FIFO) weft__fifo_destroy(&q->fifo, q->free_item);
  drop_items(q, q->buf, count_of(q), q->free_item);
  weft__free(q);
}
