/* The c11 parker (see ../port.h): a permit flag under a mtx_t, signalled
 * through a cnd_t, and the clock watcher that keeps a backward step of the
 * wall clock from stretching timed waits (C11 waits take TIME_UTC only). */
#include "internal.h"
#include "c11.h"

#include <threads.h>
#include <time.h>

/* C11 waits take TIME_UTC deadlines only: a timed park waits at most this
 * long per call, then re-checks the monotonic clock. */
#define WEFT__SLICE_NS INT64_C(50000000)

static mtx_t watch_lock; /* the clock watcher's, below */
static bool watch_ready;
static bool watcher_running;
static weft__list timed_waiters; /* parkers in a timed wait */

/* mtx_init and cnd_init can only fail for lack of resources that glibc and
 * musl never take for them; port.h has no way to report it anyway. */
void weft__parker_init(weft__parker *p) {
  mtx_init(&p->mutex, mtx_plain);
  cnd_init(&p->cond);
  p->permit = false;
}

void weft__parker_destroy(weft__parker *p) {
  cnd_destroy(&p->cond);
  mtx_destroy(&p->mutex);
}

/* Wait on the condition for at most one slice of the time left. The
 * deadline is turned into TIME_UTC afresh for every slice: a forward step
 * of the wall clock only ends a slice early (the caller re-checks the
 * monotonic clock and waits again). A backward step would stretch the slice
 * it lands in by the whole step (glibc waits on the absolute CLOCK_REALTIME
 * deadline), so the clock watcher below wakes timed waiters when it sees
 * one. */
static void weft__wait_slice(weft__parker *p, int64_t left) {
  if (left > WEFT__SLICE_NS) left = WEFT__SLICE_NS;
  struct timespec at = {0, 0};
  timespec_get(&at, TIME_UTC);
  at.tv_nsec += (long)left;
  if (at.tv_nsec >= WEFT__NS_PER_SEC) {
    at.tv_nsec -= WEFT__NS_PER_SEC;
    at.tv_sec += 1;
  }
  cnd_timedwait(&p->cond, &p->mutex, &at);
}

/* -- the clock watcher --
 * While any thread is in a timed wait, a helper thread compares the wall
 * clock with the monotonic one every WATCH_NS; when the wall clock has gone
 * back it wakes every timed waiter, which then waits again on a deadline
 * converted afresh. So a backward step stretches a wait by at most about
 * WATCH_NS. The helper leaves after a second without timed waiters. */
#define WATCH_NS INT64_C(20000000)
#define WATCH_IDLE_ROUNDS 50

static int64_t weft__wall_minus_mono(void) {
  struct timespec ts = {0, 0};
  timespec_get(&ts, TIME_UTC);
  return (int64_t)ts.tv_sec * WEFT__NS_PER_SEC + ts.tv_nsec - weft__port_now();
}

static int weft__watch(void *unused) {
  (void)unused;
  int64_t offset = weft__wall_minus_mono();
  for (int idle = 0; idle < WATCH_IDLE_ROUNDS;) {
    weft__port_sleep(WATCH_NS);
    int64_t now = weft__wall_minus_mono();
    mtx_lock(&watch_lock);
    idle = weft__list_empty(&timed_waiters) ? idle + 1 : 0;
    if (now < offset - WATCH_NS / 4) { /* stepped back (beyond clock jitter) */
      for (weft__link *l = timed_waiters.head; l; l = l->next) {
        weft__parker *p = WEFT__CONTAINER(l, weft__parker, link);
        mtx_lock(&p->mutex);
        cnd_broadcast(&p->cond);
        mtx_unlock(&p->mutex);
      }
    }
    if (idle == WATCH_IDLE_ROUNDS) watcher_running = false;
    mtx_unlock(&watch_lock);
    offset = now;
  }
  return 0;
}

/* Enter or leave the watcher's list; never with p->mutex held (the watcher
 * takes watch_lock, then p->mutex). Without a watcher, waits still work. */
static void weft__watch_enter(weft__parker *p) {
  if (!watch_ready) return;
  mtx_lock(&watch_lock);
  weft__list_push_back(&timed_waiters, &p->link);
  if (!watcher_running) {
    thrd_t t;
    if (thrd_create(&t, weft__watch, NULL) == thrd_success) {
      thrd_detach(t);
      watcher_running = true;
    }
  }
  mtx_unlock(&watch_lock);
}

static void weft__watch_leave(weft__parker *p) {
  if (!watch_ready) return;
  mtx_lock(&watch_lock);
  weft__list_remove(&timed_waiters, &p->link);
  mtx_unlock(&watch_lock);
}

int weft__parker_park(weft__parker *p, int64_t deadline) {
  bool timed = deadline != WEFT__FOREVER;
  if (timed) weft__watch_enter(p);
  mtx_lock(&p->mutex);
  while (!p->permit) {
    if (!timed) {
      cnd_wait(&p->cond, &p->mutex);
      continue;
    }
    int64_t now = weft__port_now();
    if (now >= deadline) break;
    weft__wait_slice(p, deadline - now);
  }
  int rc = p->permit ? WEFT_OK : WEFT_TIMEOUT;
  p->permit = false;
  mtx_unlock(&p->mutex);
  if (timed) weft__watch_leave(p);
  return rc;
}

/* Signal while holding the mutex: once it is released the owner may take
 * the permit, finish and destroy the parker. */
void weft__parker_unpark(weft__parker *p) {
  mtx_lock(&p->mutex);
  p->permit = true;
  cnd_signal(&p->cond);
  mtx_unlock(&p->mutex);
}

/* -- the watcher around fork: its lock is held across it; in the child its
 * thread is gone, and so are every other thread's timed waits -- */

void weft__c11_watch_init(void) {
  watch_ready = mtx_init(&watch_lock, mtx_plain) == thrd_success;
}

void weft__c11_watch_before_fork(void) {
  if (watch_ready) mtx_lock(&watch_lock);
}

void weft__c11_watch_after_fork_parent(void) {
  if (watch_ready) mtx_unlock(&watch_lock);
}

void weft__c11_watch_after_fork_child(void) {
  if (watch_ready) watch_ready = mtx_init(&watch_lock, mtx_plain) == thrd_success;
  watcher_running = false;
  timed_waiters.head = timed_waiters.tail = NULL;
}
