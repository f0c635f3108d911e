/* The parking lot: threads wait on an address and are woken in FIFO order.
 *
 * A fixed table of buckets, each a tiny spin lock and a queue of waiters;
 * an address hashes to one bucket. Waiters live on the parking thread's
 * stack and sleep on the thread's own parker, so nothing is allocated per
 * wait. A waiter is woken at most once per park: the waker takes it off the
 * queue under the bucket lock, marks it woken, and gives its parker a permit
 * after dropping the lock; the waiter consumes exactly that permit.
 *
 * A waiter can also be moved, unwoken, to another address's queue (a
 * condition's waiters onto its lock, so that the lock's release is their
 * only wake-up). Its address then changes under both buckets' locks, so a
 * waiter that times out finds its current bucket by locking the bucket of
 * the address it read and checking that the address still holds.
 *
 * Below the lot are only the base, the port and the calling thread's record
 * (self.h); what parks and why is the business of the layers above. */
#include "park.h"
#include "self.h"

#include <string.h>

typedef struct waiter {
  weft__link link;
  uintptr_t addr; /* atomic: changed only under its old and new buckets' locks */
  weft__parker *parker;
  void *park_arg;
  uintptr_t woken; /* atomic; changed under the bucket lock */
  bool requeued;   /* likewise: moved by weft__requeue */
} waiter;

typedef struct bucket {
  _Alignas(64) uintptr_t lock;
  weft__list queue;
  uintptr_t watch;  /* atomic: yields that lately sufficed to see a wake-up */
  uintptr_t misses; /* atomic: watches in a row that saw nothing */
  uintptr_t warm;   /* atomic: wake-ups here lately came soon enough to watch for */
  int64_t fair_at;  /* under the lock: the next fair turn's time (weft__lot_fair_turn) */
} bucket;

#define NBUCKETS 256
#define WATCH_FLOOR 8   /* yields watched beyond twice what lately sufficed */
#define WATCH_MAX 48    /* some tens of microseconds at most */
#define WARM_NS 100000  /* a sleep woken this soon says a watch would have seen it */
#define FAIR_NS 1000000 /* fair turns: one per half millisecond on average */
static bucket table[NBUCKETS];

static bucket *bucket_of(const void *addr) {
  uint64_t h = (uint64_t)(uintptr_t)addr * UINT64_C(0x9E3779B97F4A7C15);
  return &table[h >> 56];
}

/* Held for a few instructions only, so spinning then yielding beats a
 * heavier lock (which would itself need somewhere to wait). */
static void bucket_lock(bucket *b) {
  for (unsigned spins = 0;; spins++) {
    uintptr_t unlocked = 0;
    if (weft__load(&b->lock, memory_order_relaxed) == 0 &&
        weft__cas(&b->lock, &unlocked, 1, memory_order_acquire))
      return;
    if (spins < 100)
      weft__cpu_relax();
    else
      weft__port_yield();
  }
}

static void bucket_unlock(bucket *b) {
  weft__store(&b->lock, 0, memory_order_release);
  weft__chaos(); /* let others into the gap after it */
}

#ifndef NDEBUG /* for the asserts */
static bool bucket_held(const bucket *b) {
  return weft__atomic_load(&b->lock, memory_order_relaxed) != 0;
}
#endif

static waiter *waiter_of(weft__link *l) {
  return l ? WEFT__CONTAINER(l, waiter, link) : NULL;
}

static void enqueue(bucket *b, waiter *w) {
  assert(bucket_held(b));
  weft__list_push_back(&b->queue, &w->link);
}

static void dequeue(bucket *b, waiter *w) {
  assert(bucket_held(b));
  weft__list_remove(&b->queue, &w->link);
}

/* The first waiter for addr from `from` on (the bucket holds other
 * addresses' waiters too). */
static waiter *find(weft__link *from, const void *addr) {
  while (from && waiter_of(from)->addr != (uintptr_t)addr)
    from = from->next;
  return waiter_of(from);
}

/* Lock the bucket that w is queued in now. */
static bucket *lock_current(waiter *w) {
  for (;;) {
    uintptr_t addr = weft__load(&w->addr, memory_order_relaxed);
    bucket *b = bucket_of((const void *)addr);
    bucket_lock(b);
    if (weft__load(&w->addr, memory_order_relaxed) == addr) return b;
    bucket_unlock(b);
  }
}

/* -- fork: only the forking thread goes on in the child, and it is not
 * parked; every other waiter, and any bucket lock they held, are gone.
 * Registered at the first park: until then there is nothing to reset. -- */

static void nothing(void) {}

static void after_fork_child(void) {
  memset(table, 0, sizeof table);
}

static const weft__fork_hooks lot_fork = {nothing, nothing, after_fork_child};
static uintptr_t fork_registered;

/* -- parking -- */

/* Hand-offs often come within microseconds: watching for one a little
 * spares both sides the OS's sleep and wake-up (a waker that finds the
 * parker awake makes no system call). The watch yields and looks, for
 * about twice the yields that lately sufficed on this bucket plus a few
 * (WATCH_MAX at most): a yield lets a waker on this CPU run, and on an idle
 * CPU it is one short system call. Pausing instead was measured here and
 * lost on every hand-off (docs/bench/README.md), and a watch that shrank
 * after misses fell into sleeping for good once both sides of a hand-off
 * slept: so a miss lengthens the next watch. Only a warm bucket watches:
 * two misses in a row make it cold, and a cold one sleeps at once, timing
 * each sleep instead (a clock read either side of a sleep that costs
 * microseconds anyway); a sleep woken within WARM_NS warms it. Waits that
 * end by timeout, or are woken long after they began, so cost what the
 * OS's own timed wait costs, and a hand-off that starts on a cold bucket
 * has its watch back after one sleep. Buckets start cold. */
static void watch(bucket *b, const waiter *w, int64_t deadline) {
  uintptr_t est = weft__load(&b->watch, memory_order_relaxed);
  uintptr_t budget = 2 * est + WATCH_FLOOR;
  if (budget > WATCH_MAX) budget = WATCH_MAX;
  for (uintptr_t i = 0; i < budget; i++) {
    weft__port_yield();
    if (weft__load(&w->woken, memory_order_relaxed)) {
      /* est moves 1/4 of the way to what this watch took */
      weft__store(&b->watch, est + ((intptr_t)i - (intptr_t)est) / 4, memory_order_relaxed);
      weft__store(&b->misses, 0, memory_order_relaxed);
      return;
    }
    /* never past the deadline: the clock every 8 yields */
    if (i % 8 == 7 && deadline != WEFT__FOREVER && weft__port_now() >= deadline) return;
  }
  weft__store(&b->watch, est < WATCH_MAX ? est + budget / 4 : est, memory_order_relaxed);
  uintptr_t misses = weft__load(&b->misses, memory_order_relaxed) + 1;
  if (misses >= 2) {
    weft__store(&b->warm, 0, memory_order_relaxed);
    misses = 0;
  }
  weft__store(&b->misses, misses, memory_order_relaxed);
}

/* Enqueue if *check == expected (check NULL: always), then sleep. */
static int park_self(struct weft_thread *self, const void *addr, const uintptr_t *check,
                     uintptr_t expected, void (*before_sleep)(void *), void *arg, int64_t deadline,
                     void *park_arg, bool watching) {
  waiter w = {.addr = (uintptr_t)addr, .parker = &self->parker, .park_arg = park_arg};
  bucket *b = bucket_of(addr);
  bucket_lock(b);
  if (check && weft__load(check, memory_order_relaxed) != expected) {
    bucket_unlock(b);
    return WEFT__PARK_AGAIN;
  }
  enqueue(b, &w);
  bucket_unlock(b);
  if (before_sleep) before_sleep(arg);

  /* Cold: when the sleep began, to tell how soon its wake-up came. */
  int64_t slept_at = 0;
  if (watching) {
    if (weft__load(&b->warm, memory_order_relaxed))
      watch(b, &w, deadline);
    else
      slept_at = weft__port_now();
  }
  /* Going to sleep: the wait's start, for a dump, unless its primitive
   * knew it already. */
  if (!weft__load(&self->dbg.wait.since, memory_order_relaxed))
    weft__store(&self->dbg.wait.since, weft__wait_ms(slept_at ? slept_at : weft__port_now()),
                memory_order_relaxed);
  /* Only a waker gives this parker a permit, so a consumed permit means
   * this wait was woken. */
  weft__chaos();
  if (weft__parker_park(w.parker, deadline) == WEFT_OK) {
    assert(weft__load(&w.woken, memory_order_relaxed)); /* only a waker gives the permit */
    if (slept_at && weft__port_now() - slept_at < WARM_NS)
      weft__store(&b->warm, 1, memory_order_relaxed);
    return WEFT__PARK_OK;
  }
  b = lock_current(&w);
  bool woken = w.woken != 0;
  if (!woken) dequeue(b, &w);
  bucket_unlock(b);
  /* A moved waiter was notified: the move spent a notify on it. */
  if (!woken) return w.requeued ? WEFT__PARK_OK : WEFT__PARK_TIMEOUT;
  /* A waker took us as time ran out: the wake-up is ours (a notify must
   * not be lost), and its permit is on the way; take it. */
  weft__parker_park(w.parker, WEFT__FOREVER);
  return WEFT__PARK_OK;
}

/* What the thread parks on is in its record while it does (debug.h): its
 * primitive said so, or else the lot says where. */
static int park(const void *addr, const uintptr_t *check, uintptr_t expected,
                void (*before_sleep)(void *), void *arg, int64_t deadline, void *park_arg,
                bool watching) {
  struct weft_thread *self = weft__self();
  if (!self) return WEFT_ENOMEM;
  if (!weft__load(&fork_registered, memory_order_relaxed)) {
    weft__on_fork(WEFT__FORK_LOT, &lot_fork);
    weft__store(&fork_registered, 1, memory_order_relaxed);
  }
  if (!weft__load(&self->dbg.wait.kind, memory_order_relaxed))
    weft__wait_set(self, WEFT__WAIT_PARKED, addr, 0, 0, 0);
  int r = park_self(self, addr, check, expected, before_sleep, arg, deadline, park_arg, watching);
  weft__wait_clear(self);
  return r;
}

int weft__park_watch(const uintptr_t *addr, uintptr_t expected, int64_t deadline, void *park_arg,
                     bool watching) {
  int r = park(addr, addr, expected, NULL, NULL, deadline, park_arg, watching);
  if (r == WEFT_ENOMEM) {
    /* No record for this foreign thread: fall back to polling. */
    weft__port_sleep(50000);
    return WEFT__PARK_AGAIN;
  }
  return r;
}

int weft__park(const uintptr_t *addr, uintptr_t expected, int64_t deadline, void *park_arg) {
  return weft__park_watch(addr, expected, deadline, park_arg, true);
}

int weft__park_on(const void *addr, const uintptr_t *check, uintptr_t expected, int64_t deadline,
                  void *park_arg) {
  int r = park(addr, check, expected, NULL, NULL, deadline, park_arg, true);
  if (r == WEFT_ENOMEM) {
    weft__port_sleep(50000);
    return WEFT__PARK_AGAIN;
  }
  return r;
}

int weft__park_then(const void *addr, void (*before_sleep)(void *), void *arg, int64_t deadline,
                    void *park_arg, bool watching) {
  return park(addr, NULL, 0, before_sleep, arg, deadline, park_arg, watching);
}

/* -- waking -- */

/* Under the bucket lock: w is woken; its permit is given after the lock. */
static void take(bucket *b, waiter *w) {
  dequeue(b, w);
  weft__store(&w->woken, 1, memory_order_relaxed);
}

bool weft__unpark_one(const void *addr, bool (*fn)(void *arg, void *park_arg, bool more),
                      void *arg) {
  bucket *b = bucket_of(addr);
  bucket_lock(b);
  waiter *w = find(b->queue.head, addr);
  /* The callback sees the queue as it is and may decide that nobody is
   * woken (a lock's release that finds the lock already released). */
  if (fn && !fn(arg, w ? w->park_arg : NULL, w && find(w->link.next, addr))) w = NULL;
  weft__parker *p = NULL;
  if (w) {
    take(b, w);
    p = w->parker;
  }
  bucket_unlock(b);
  if (p) weft__parker_unpark(p);
  return p != NULL;
}

bool weft__lot_fair_turn(const void *addr, int64_t now) {
  bucket *b = bucket_of(addr);
  if (now < b->fair_at) return false;
  /* The next turn comes a random part of FAIR_NS later, as in WebKit's
   * lot: at a fixed period the turns could beat with the program's own. */
  uint64_t x = (uint64_t)now * UINT64_C(0x9E3779B97F4A7C15);
  b->fair_at = now + (int64_t)((x >> 32) % FAIR_NS);
  return true;
}

size_t weft__unpark_all_after(const void *addr, void (*publish)(void *arg), void *arg) {
  bucket *b = bucket_of(addr);
  weft__list woken = {NULL, NULL};
  bucket_lock(b);
  /* Whatever the wake-up is for becomes true under the same lock that a
   * new waiter's check takes: a thread that parks after this finds it
   * (or its undoing) and is not among those woken here. */
  if (publish) publish(arg);
  for (waiter *w = find(b->queue.head, addr), *next; w; w = next) {
    next = find(w->link.next, addr);
    take(b, w);
    weft__list_push_back(&woken, &w->link);
  }
  bucket_unlock(b);
  size_t n = 0;
  /* Each waiter stays parked, so its frame stays valid, until its permit:
   * read the next link first. */
  for (weft__link *l = woken.head, *next; l; l = next, n++) {
    next = l->next;
    weft__parker_unpark(waiter_of(l)->parker);
  }
  return n;
}

size_t weft__unpark_all_if(const void *addr, bool (*decide)(void *arg, size_t n),
                           void (*mark)(void *arg, void *park_arg), void *arg) {
  bucket *b = bucket_of(addr);
  weft__list woken = {NULL, NULL};
  bucket_lock(b);
  size_t n = 0;
  for (waiter *w = find(b->queue.head, addr); w; w = find(w->link.next, addr))
    n++;
  if (!decide(arg, n)) n = 0;
  for (waiter *w = n ? find(b->queue.head, addr) : NULL, *next; w; w = next) {
    next = find(w->link.next, addr);
    if (mark) mark(arg, w->park_arg);
    take(b, w);
    weft__list_push_back(&woken, &w->link);
  }
  bucket_unlock(b);
  for (weft__link *l = woken.head, *next; l; l = next) {
    next = l->next;
    weft__parker_unpark(waiter_of(l)->parker);
  }
  return n;
}

size_t weft__unpark_all(const void *addr) {
  return weft__unpark_all_after(addr, NULL, NULL);
}

int weft__requeue(const void *from, const void *to, size_t n, bool (*may_move)(void *arg),
                  void *arg, size_t *moved) {
  bucket *bf = bucket_of(from), *bt = bucket_of(to);
  /* Two bucket locks: always in table order. */
  bucket *first = bf < bt ? bf : bt, *second = bf < bt ? bt : bf;
  bucket_lock(first);
  if (second != first) bucket_lock(second);
  int status = WEFT_OK;
  *moved = 0;
  waiter *w = find(bf->queue.head, from);
  if (w && n > 0 && !may_move(arg)) {
    status = WEFT_EAGAIN;
    w = NULL;
  }
  for (waiter *next; w && *moved < n; w = next, ++*moved) {
    next = find(w->link.next, from);
    dequeue(bf, w);
    weft__store(&w->addr, (uintptr_t)to, memory_order_relaxed);
    w->requeued = true;
    enqueue(bt, w);
  }
  if (second != first) bucket_unlock(second);
  bucket_unlock(first);
  return status;
}

/* -- spinning, rationed -- */

static uintptr_t spinners; /* threads spinning now */

bool weft__spin_enter(void) {
  uintptr_t max = weft__cpu_count() / 2; /* one CPU: 0, the holder needs it */
  if (weft__fetch_add(&spinners, 1, memory_order_relaxed) < max) return true;
  weft__fetch_sub(&spinners, 1, memory_order_relaxed);
  return false;
}

void weft__spin_leave(void) {
  weft__fetch_sub(&spinners, 1, memory_order_relaxed);
}

bool weft__spin_for(bool (*done)(void *arg), void *arg, unsigned pauses) {
  if (!weft__spin_enter()) return false;
  bool got = false;
  for (unsigned i = 0; i < pauses && !(got = done(arg)); i++)
    weft__cpu_relax();
  weft__spin_leave();
  return got;
}

bool weft__yield_for(bool (*done)(void *arg), void *arg, unsigned yields) {
  for (unsigned i = 0; i < yields; i++) {
    weft__port_yield();
    if (done(arg)) return true;
  }
  return false;
}
