/* The FIFO queue: a growable ring with a lock for each side.
 *
 * Putters serialise on put_lock and advance tail; getters serialise on
 * get_lock and advance head; neither takes the other's lock except to grow
 * the ring (both locks) or to empty it at an immediate shutdown. Each side
 * reads the other's index only when its cached copy says the ring looks
 * full (putters) or empty (getters), so in a steady stream the two sides
 * share little more than the items themselves.
 *
 * A thread that must wait (a getter on an empty queue, a putter on a full
 * one, a joiner) keeps its side's lock, counts itself in *_waits and parks
 * on *_seq; whoever changes what it waits for stores that change, then reads
 * *_waits, both sequentially consistent, and bumps and unparks *_seq only if
 * someone waits. Either the waker sees the count, or the waiter's last check
 * sees the change: no wake-up is lost, and a steady stream makes no call
 * into the parking lot. */
#include "fifo.h"
#include "self.h"
#include "tsan.h"

#include <string.h>

#define INITIAL_CAPACITY 16

static uintptr_t load(const uintptr_t *p) {
  return weft__load(p, memory_order_seq_cst);
}

bool weft__fifo_init(weft__fifo *f, size_t maxsize) {
  memset(f, 0, sizeof *f);
  f->maxsize = maxsize;
  size_t cap = INITIAL_CAPACITY;
  while (maxsize && cap / 2 >= maxsize)
    cap /= 2;
  /* Never empty: a put that must grow the ring takes the getters' lock,
   * which a getter may hold while it waits, but only on an empty ring. */
  f->ring = weft__malloc(cap * sizeof *f->ring);
  f->mask = cap - 1;
  return f->ring != NULL;
}

/* -- waiting and waking -- */

static void wake(uintptr_t *waits, uintptr_t *seq, bool all) {
  if (!load(waits)) return;
  weft__fetch_add(seq, 1, memory_order_seq_cst);
  if (all)
    weft__unpark_all(seq);
  else
    weft__unpark_one(seq, NULL, NULL);
}

/* What a dump shows while the caller waits on seq (debug.h). */
static void waiting_on(weft__fifo *f, const uintptr_t *seq) {
  if (seq == &f->join_seq)
    weft__waiting(WEFT__WAIT_QUEUE_JOIN, f->owner, load(&f->tail) - load(&f->done), 0);
  else
    weft__waiting(seq == &f->get_seq ? WEFT__WAIT_QUEUE_GET : WEFT__WAIT_QUEUE_PUT, f->owner,
                  weft__fifo_size(f), f->maxsize);
}

/* Park on seq until woken or the deadline, unless ready(f) holds once this
 * thread is counted. It goes straight to sleep, without watching for a
 * wake-up first: a stream goes faster when the other side runs alone for a
 * while and items pile up than when every item is handed over at once. */
static int await(weft__fifo *f, uintptr_t *waits, uintptr_t *seq, bool (*ready)(weft__fifo *),
                 int64_t deadline) {
  weft__fetch_add(waits, 1, memory_order_seq_cst);
  uintptr_t s = load(seq);
  int r = WEFT__PARK_AGAIN;
  if (!ready(f)) {
    waiting_on(f, seq);
    r = weft__park_watch(seq, s, deadline, NULL, false);
  }
  weft__fetch_sub(waits, 1, memory_order_relaxed);
  return r;
}

static bool has_room(weft__fifo *f) {
  return load(&f->shut) || f->tail - load(&f->head) < f->maxsize;
}

static bool has_item(weft__fifo *f) {
  return load(&f->shut) || load(&f->tail) != f->head;
}

static bool all_done(weft__fifo *f) {
  return load(&f->done) == load(&f->tail);
}

/* Take a side's lock: at once if free, else until the deadline (computed
 * here, on first need, so the fast path reads no clock). */
static int lock_side(weft_lock *l, double timeout, int64_t *deadline) {
  int status = weft_lock_acquire(l, 0);
  if (status != WEFT_TIMEOUT || timeout == 0) return status;
  *deadline = weft__deadline(timeout);
  return weft__lock_acquire_until(l, *deadline);
}

/* -- put -- */

/* Under put_lock, with the ring full: double it under both locks. False if
 * memory is short; then nothing changed. True also when gets made room
 * meanwhile (the ring is then as it was). A getter may keep get_lock for
 * long, but only while it waits on an empty ring: so wait for the lock only
 * while the ring is still full. */
static bool grow(weft__fifo *f) {
  while (weft_lock_acquire(&f->get_lock, 0) != WEFT_OK) {
    if (f->tail - load(&f->head) <= f->mask) return true; /* gets made room */
    weft__port_yield();
  }
  uintptr_t head = f->head, tail = f->tail;
  size_t cap = f->mask + 1;
  bool ok = true;
  if (tail - head >= cap) { /* still full: no get came in meanwhile */
    void **ring = cap <= SIZE_MAX / 2 / sizeof *ring ? weft__malloc(2 * cap * sizeof *ring) : NULL;
    if (ring) {
      for (uintptr_t i = head; i != tail; i++)
        ring[i & (2 * cap - 1)] = f->ring[i & f->mask];
      weft__free(f->ring);
      f->ring = ring;
      f->mask = 2 * cap - 1;
    }
    ok = ring != NULL;
  }
  weft_lock_release(&f->get_lock);
  return ok;
}

int weft__fifo_put(weft__fifo *f, void *item, double timeout) {
  if (load(&f->shut)) return WEFT_ESHUTDOWN;
  int64_t deadline = 0;
  int status = lock_side(&f->put_lock, timeout, &deadline);
  if (status != WEFT_OK) return status;
  bool timed_out = false;
  for (;;) {
    if (load(&f->shut)) {
      status = WEFT_ESHUTDOWN;
      break;
    }
    uintptr_t tail = f->tail;
    if (f->maxsize && tail - f->seen_head >= f->maxsize) {
      f->seen_head = load(&f->head);
      if (tail - f->seen_head >= f->maxsize) {
        if (timeout == 0 || timed_out) {
          status = WEFT_TIMEOUT;
          break;
        }
        if (!deadline) deadline = weft__deadline(timeout);
        timed_out =
            await(f, &f->putter_waits, &f->put_seq, has_room, deadline) == WEFT__PARK_TIMEOUT;
        continue;
      }
    }
    if (tail - f->seen_head > f->mask) {
      f->seen_head = load(&f->head);
      if (tail - f->seen_head > f->mask && !grow(f)) {
        status = WEFT_ENOMEM;
        break;
      }
    }
    f->ring[tail & f->mask] = item;
    weft__tsan_release(f); /* the item, for its getter */
    weft__store(&f->tail, tail + 1, memory_order_seq_cst);
    wake(&f->getter_waits, &f->get_seq, false);
    break;
  }
  weft_lock_release(&f->put_lock);
  return status;
}

/* -- get -- */

int weft__fifo_get(weft__fifo *f, void **item, double timeout) {
  int64_t deadline = 0;
  int status = lock_side(&f->get_lock, timeout, &deadline);
  if (status != WEFT_OK) return status;
  bool timed_out = false;
  for (;;) {
    uintptr_t head = f->head;
    if (head == f->seen_tail) f->seen_tail = load(&f->tail);
    if (head != f->seen_tail) {
      *item = f->ring[head & f->mask];
      weft__tsan_acquire(f);
      weft__store(&f->head, head + 1, memory_order_seq_cst);
      if (f->maxsize) wake(&f->putter_waits, &f->put_seq, false); /* only bounded ones wait */
      break;
    }
    if (load(&f->shut)) { /* drained: now the shutdown shows */
      status = WEFT_ESHUTDOWN;
      break;
    }
    if (timeout == 0 || timed_out) {
      status = WEFT_TIMEOUT;
      break;
    }
    if (!deadline) deadline = weft__deadline(timeout);
    timed_out = await(f, &f->getter_waits, &f->get_seq, has_item, deadline) == WEFT__PARK_TIMEOUT;
  }
  weft_lock_release(&f->get_lock);
  return status;
}

size_t weft__fifo_size(const weft__fifo *f) {
  uintptr_t head = load(&f->head); /* first: tail only grows */
  size_t n = load(&f->tail) - head;
  return f->maxsize && n > f->maxsize ? f->maxsize : n;
}

/* -- tasks -- */

int weft__fifo_task_done(weft__fifo *f) {
  uintptr_t done = load(&f->done);
  do {
    if (done >= load(&f->tail)) return WEFT_EOVERFLOW;
    weft__tsan_release(&f->done); /* the task's work, for join */
  } while (!weft__cas(&f->done, &done, done + 1, memory_order_seq_cst));
  wake(&f->joiner_waits, &f->join_seq, true); /* joiners check for themselves */
  return WEFT_OK;
}

static int join(weft__fifo *f, double timeout);

int weft__fifo_join(weft__fifo *f, double timeout) {
  return weft__tsan_acquired(&f->done, join(f, timeout));
}

static int join(weft__fifo *f, double timeout) {
  if (all_done(f)) return WEFT_OK;
  if (timeout == 0) return WEFT_TIMEOUT;
  int64_t deadline = weft__deadline(timeout);
  for (;;) {
    int r = await(f, &f->joiner_waits, &f->join_seq, all_done, deadline);
    if (all_done(f)) return WEFT_OK;
    if (r == WEFT__PARK_TIMEOUT) return WEFT_TIMEOUT;
  }
}

/* -- shutdown -- */

void weft__fifo_shutdown(weft__fifo *f, bool immediate, void (*free_item)(void *)) {
  weft__store(&f->shut, 1, memory_order_seq_cst);
  /* Waiters hold their side's lock: wake them first, they will see it. */
  wake(&f->putter_waits, &f->put_seq, true);
  wake(&f->getter_waits, &f->get_seq, true);
  if (!immediate) return;
  weft_lock_acquire(&f->put_lock, WEFT_FOREVER);
  weft_lock_acquire(&f->get_lock, WEFT_FOREVER);
  uintptr_t head = f->head, tail = f->tail;
  weft__store(&f->head, tail, memory_order_seq_cst);
  f->seen_tail = tail; /* it must never lag behind head */
  weft_lock_release(&f->get_lock);
  weft_lock_release(&f->put_lock);
  /* Shut, the ring is frozen: no put writes it again, no get reads it. */
  for (uintptr_t i = head; free_item && i != tail; i++)
    free_item(f->ring[i & f->mask]);
  weft__fetch_add(&f->done, tail - head, memory_order_seq_cst);
  wake(&f->joiner_waits, &f->join_seq, true);
}

void weft__fifo_destroy(weft__fifo *f, void (*free_item)(void *)) {
  for (uintptr_t i = f->head; free_item && i != f->tail; i++)
    free_item(f->ring[i & f->mask]);
  weft__free(f->ring);
}
