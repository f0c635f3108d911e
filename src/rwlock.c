/* weft_rwlock: one state word; readers park on it, writers on the address
 * of the second word (never written), so that either kind can be woken
 * without the other.
 *
 *   bit 0   WRITER  held exclusively
 *   bit 1   WWAIT   writers may be parked: new readers stay out
 *   bit 2   RWAIT   readers may be parked
 *   bit 3+  the number of readers holding it
 *
 * Policy (phase-fair): a reader enters only while no writer holds the lock
 * or waits for it, so a stream of readers cannot starve a writer; a writer's
 * release admits every reader parked at that moment, before the next writer,
 * so a stream of writers cannot starve a reader either. When both kinds
 * wait, read phases and single writers alternate. Every hand-off is made by
 * the releaser, under the lot's lock of the queue it wakes: the woken threads
 * already hold the lock (readers counted in, WRITER set for a writer), so no
 * newcomer can slip in between.
 *
 * The uncontended paths are one load and one CAS (acquire) and one CAS
 * (release); only a release that finds a WAIT bit calls into the lot. A
 * WAIT bit may outlive its waiters (a timed-out one): whoever finds no one
 * parked clears it, and a writer that gives up clears WWAIT when it was the
 * last one, then lets in the readers that it kept out.
 *
 * Before parking, a blocked reader yields a few times (the writer it waits
 * for may need its CPU), and a writer pauses briefly, rationed (until it
 * sets WWAIT, readers keep coming, so only a short spin can pay). Readers
 * that paused instead ran at 0.49x pthread's throughput with 4 readers and
 * a writer; yielding, 0.99x, with the writer getting its 1% (pthread's gets
 * none: glibc's default prefers readers). */
#include "park.h"
#include "self.h"
#include "tsan.h"

#define WRITER ((uintptr_t)1)
#define WWAIT ((uintptr_t)2)
#define RWAIT ((uintptr_t)4)
#define READER ((uintptr_t)8)
#define MAX_READERS (UINTPTR_MAX >> 3)
#define READER_YIELDS 16 /* yielded while a writer holds it, before parking */
#define WRITER_PAUSES 64 /* few: until it announces itself, readers keep coming */

/* The park_arg of every waiter: its release set it already holds the lock. */
typedef struct waiter {
  bool granted;
} waiter;

static uintptr_t readers(uintptr_t v) {
  return v >> 3;
}

static uintptr_t load(const weft_rwlock *rw) {
  return weft__load(&rw->state_, memory_order_relaxed);
}

/* -- letting readers in: every reader parked on the word, in one step -- */

enum { GRANT_OK, GRANT_NONE, GRANT_BUSY, GRANT_ESTATE };

typedef struct grant {
  weft_rwlock *rw;
  bool from_writer; /* the releasing writer lets go in the same step */
  int result;
} grant;

/* Under the lot's lock of the readers' queue, with n readers parked there.
 * From a writer's release with nobody parked (they all timed out): let the
 * lock go if no writer waits either, else keep it for the writers' hand-off
 * (GRANT_NONE). */
static bool decide_grant(void *arg, size_t n) {
  grant *g = arg;
  uintptr_t v = load(g->rw), next;
  do {
    if (g->from_writer && !(v & WRITER)) {
      g->result = GRANT_ESTATE; /* a racing release got there first */
      return false;
    }
    if (!g->from_writer && (v & (WRITER | WWAIT))) {
      g->result = GRANT_BUSY; /* that writer's release (or give-up) lets them in */
      return false;
    }
    next = v & ~RWAIT; /* nobody is left parked after this step */
    g->result = GRANT_OK;
    if (n > 0)
      next = (next & ~WRITER) + (uintptr_t)n * READER;
    else if (g->from_writer && (v & WWAIT))
      g->result = GRANT_NONE;
    else if (g->from_writer)
      next &= ~WRITER;
  } while (!weft__cas(&g->rw->state_, &v, next, memory_order_acq_rel));
  return n > 0;
}

static void mark_granted(void *arg, void *park_arg) {
  (void)arg;
  ((waiter *)park_arg)->granted = true;
}

static int grant_readers(weft_rwlock *rw, bool from_writer) {
  grant g = {rw, from_writer, GRANT_NONE};
  weft__unpark_all_if(&rw->state_, decide_grant, mark_granted, &g);
  return g.result;
}

/* -- shared -- */

/* OK, WEFT_TIMEOUT while a writer holds or waits, or WEFT_EOVERFLOW. */
static int try_shared(weft_rwlock *rw, uintptr_t *v) {
  while (!(*v & (WRITER | WWAIT))) {
    if (readers(*v) == MAX_READERS) return WEFT_EOVERFLOW;
    if (weft__cas(&rw->state_, v, *v + READER, memory_order_acquire)) return WEFT_OK;
  }
  return WEFT_TIMEOUT;
}

typedef struct shared_try {
  weft_rwlock *rw;
  int status;
} shared_try;

static bool shared_came(void *arg) {
  shared_try *t = arg;
  uintptr_t v = load(t->rw);
  t->status = try_shared(t->rw, &v);
  return t->status != WEFT_TIMEOUT;
}

static int shared_until(weft_rwlock *rw, int64_t deadline) {
  shared_try t = {rw, WEFT_TIMEOUT};
  if (weft__yield_for(shared_came, &t, READER_YIELDS)) return t.status;
  for (;;) {
    uintptr_t v = load(rw);
    int r = try_shared(rw, &v);
    if (r != WEFT_TIMEOUT) return r;
    if (!(v & RWAIT)) {
      if (!weft__cas(&rw->state_, &v, v | RWAIT, memory_order_relaxed)) continue;
      v |= RWAIT;
    }
    waiter w = {false};
    weft__waiting(WEFT__WAIT_RWLOCK, rw, 0, 0);
    int pr = weft__park(&rw->state_, v, deadline, &w);
    if (w.granted) return WEFT_OK;
    if (pr == WEFT__PARK_TIMEOUT || (pr == WEFT__PARK_AGAIN && weft__port_now() >= deadline)) {
      v = load(rw);
      r = try_shared(rw, &v);
      return r == WEFT_EOVERFLOW ? r : r == WEFT_OK ? WEFT_OK : WEFT_TIMEOUT;
    }
  }
}

static int do_rwlock_acquire_shared(weft_rwlock *rw, double timeout) {
  if (!rw || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  uintptr_t v = load(rw);
  int r = try_shared(rw, &v);
  if (r != WEFT_TIMEOUT || timeout == 0) return r;
  return shared_until(rw, weft__deadline(timeout));
}

int weft_rwlock_acquire_shared(weft_rwlock *rw, double timeout) {
  return weft__tsan_acquired(rw, do_rwlock_acquire_shared(rw, timeout));
}

typedef struct wake {
  weft_rwlock *rw;
  int status;
  bool readers_next; /* WWAIT went: let in the readers it kept out */
} wake;

/* Under the writers' queue's lot lock; w: the longest-parked writer. */
static bool on_reader_leaves(void *arg, void *park_arg, bool more) {
  wake *k = arg;
  waiter *w = park_arg;
  uintptr_t v = load(k->rw), next;
  do {
    if (readers(v) == 0) {
      k->status = WEFT_ESTATE;
      return false;
    }
    if (!w) /* no writer after all (it timed out): the bit goes */
      next = (v - READER) & ~WWAIT;
    else if (readers(v) > 1) /* the last reader out wakes it */
      next = v - READER;
    else /* hand the lock to the writer */
      next = ((v - READER) | WRITER) & (more ? ~(uintptr_t)0 : ~WWAIT);
  } while (!weft__cas(&k->rw->state_, &v, next, memory_order_acq_rel));
  k->status = WEFT_OK;
  k->readers_next = !w && (next & RWAIT);
  if (!w || readers(v) > 1) return false;
  w->granted = true;
  return true;
}

static int do_rwlock_release_shared(weft_rwlock *rw) {
  if (!rw) return WEFT_EINVAL;
  uintptr_t v = READER; /* the usual case; a failed CAS loads the truth */
  for (;;) {
    if (readers(v) == 0) return WEFT_ESTATE;
    if (readers(v) == 1 && (v & WWAIT)) break;
    if (weft__cas(&rw->state_, &v, v - READER, memory_order_release)) return WEFT_OK;
  }
  wake k = {rw, WEFT_OK, false};
  weft__unpark_one(&rw->wqueue_, on_reader_leaves, &k);
  if (k.readers_next) grant_readers(rw, false);
  return k.status;
}

int weft_rwlock_release_shared(weft_rwlock *rw) {
  weft__tsan_release(rw);
  return do_rwlock_release_shared(rw);
}

/* -- exclusive -- */

static bool try_exclusive(weft_rwlock *rw, uintptr_t *v) {
  while (!(*v & WRITER) && readers(*v) == 0)
    if (weft__cas(&rw->state_, v, *v | WRITER, memory_order_acquire)) return true;
  return false;
}

/* Under the writers' queue's lot lock: a writer that gave up leaves WWAIT
 * to the writers still parked, or clears it. */
static bool on_writer_gives_up(void *arg, void *park_arg, bool more) {
  (void)more;
  wake *k = arg;
  if (park_arg) return false;
  uintptr_t v = load(k->rw);
  while (v & WWAIT)
    if (weft__cas(&k->rw->state_, &v, v & ~WWAIT, memory_order_relaxed)) {
      k->readers_next = v & RWAIT;
      break;
    }
  return false;
}

static bool exclusive_came(void *arg) {
  weft_rwlock *rw = arg;
  uintptr_t v = load(rw);
  return try_exclusive(rw, &v);
}

static int exclusive_until(weft_rwlock *rw, int64_t deadline) {
  if (weft__spin_for(exclusive_came, rw, WRITER_PAUSES)) return WEFT_OK;
  for (;;) {
    uintptr_t v = load(rw);
    if (try_exclusive(rw, &v)) return WEFT_OK;
    if (!(v & WWAIT)) {
      if (!weft__cas(&rw->state_, &v, v | WWAIT, memory_order_relaxed)) continue;
      v |= WWAIT;
    }
    waiter w = {false};
    weft__waiting(WEFT__WAIT_RWLOCK, rw, 1, 0);
    int pr = weft__park_on(&rw->wqueue_, &rw->state_, v, deadline, &w);
    if (w.granted) return WEFT_OK;
    if (pr == WEFT__PARK_TIMEOUT || (pr == WEFT__PARK_AGAIN && weft__port_now() >= deadline)) {
      v = load(rw);
      if (try_exclusive(rw, &v)) return WEFT_OK;
      wake k = {rw, WEFT_OK, false};
      weft__unpark_one(&rw->wqueue_, on_writer_gives_up, &k);
      if (k.readers_next) grant_readers(rw, false);
      return WEFT_TIMEOUT;
    }
  }
}

static int do_rwlock_acquire_exclusive(weft_rwlock *rw, double timeout) {
  if (!rw || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  uintptr_t v = 0;
  if (weft__cas(&rw->state_, &v, WRITER, memory_order_acquire)) return WEFT_OK;
  if (try_exclusive(rw, &v)) return WEFT_OK;
  if (timeout == 0) return WEFT_TIMEOUT;
  return exclusive_until(rw, weft__deadline(timeout));
}

int weft_rwlock_acquire_exclusive(weft_rwlock *rw, double timeout) {
  return weft__tsan_acquired(rw, do_rwlock_acquire_exclusive(rw, timeout));
}

/* Under the writers' queue's lot lock: hand the lock to the longest-parked
 * writer, or let it go if none is parked. Readers that parked after the
 * release let in the earlier ones stay parked (RWAIT stays): the writer
 * handed the lock lets them in, or, if there is none, the caller at once. */
static bool on_writer_leaves(void *arg, void *park_arg, bool more) {
  wake *k = arg;
  waiter *w = park_arg;
  uintptr_t v = load(k->rw), next;
  do {
    if (!(v & WRITER)) {
      k->status = WEFT_ESTATE;
      return false;
    }
    next = (v & RWAIT) | (w ? WRITER | (more ? WWAIT : 0) : 0);
  } while (!weft__cas(&k->rw->state_, &v, next, memory_order_acq_rel));
  k->status = WEFT_OK;
  k->readers_next = !w && (next & RWAIT);
  if (!w) return false;
  w->granted = true;
  return true;
}

/* Each step either ends the release or follows a change that only a
 * finite number of other steps can make, so a reader that keeps setting
 * RWAIT cannot keep the release going round. */
static int writer_leaves(weft_rwlock *rw) {
  for (;;) {
    uintptr_t v = load(rw);
    if (!(v & WRITER)) return WEFT_ESTATE;
    if (v & RWAIT) {
      int g = grant_readers(rw, true);
      if (g != GRANT_NONE) return g == GRANT_ESTATE ? WEFT_ESTATE : WEFT_OK;
      v = load(rw); /* writers wait: on to them */
    }
    if (v & WWAIT) {
      wake k = {rw, WEFT_OK, false};
      weft__unpark_one(&rw->wqueue_, on_writer_leaves, &k);
      if (k.readers_next) grant_readers(rw, false);
      return k.status;
    }
    if (!(v & RWAIT) && weft__cas(&rw->state_, &v, 0, memory_order_release)) return WEFT_OK;
  }
}

static int do_rwlock_release_exclusive(weft_rwlock *rw) {
  if (!rw) return WEFT_EINVAL;
  uintptr_t v = WRITER; /* the usual case; a failed CAS loads the truth */
  for (;;) {
    if (!(v & WRITER)) return WEFT_ESTATE;
    if (v & (WWAIT | RWAIT)) break;
    if (weft__cas(&rw->state_, &v, 0, memory_order_release)) return WEFT_OK;
  }
  return writer_leaves(rw);
}

int weft_rwlock_release_exclusive(weft_rwlock *rw) {
  weft__tsan_release(rw);
  return do_rwlock_release_exclusive(rw);
}
