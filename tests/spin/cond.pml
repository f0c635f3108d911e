/* weft_cond (src/cond.c) over a plain weft_lock: waiters park on the
 * condition's queue word, notify moves them onto the lock's queue, and the
 * lock's releases wake them one at a time (with lock.pml's hand-off).
 *
 *   cond_wait    wait_until: weft__park_then(queue, release_all, ...) =
 *                park_enqueue(CQ), then release the lock (before_sleep),
 *                then park_sleep (with or without a deadline); then
 *                reacquire: unless the lock was handed over (handed_off),
 *                weft_lock_acquire; OK if the park was OK, else TIMEOUT;
 *   cond_notify  notify(n) = weft__lock_take_waiters = weft__requeue(CQ ->
 *                LK, n, mark_parked): under both buckets' locks, if a
 *                waiter is queued, mark_parked sets PARKED on the lock word
 *                and says whether it is LOCKED; if not, nothing moves and
 *                the notifier wakes up to n waiters itself (unpark_one).
 * The lock's steps are lock.inc's (the fixed release, with its CAS).
 *
 * Scenarios, one chosen by init:
 *   1. Waiter(0) without a deadline and Waiter(1) with or without one each
 *      acquire, wait once, and release; a Notifier acquires, notifies 1 or
 *      all, and releases;
 *   2. Waiter(0), with or without a deadline, and a Bystander that does not
 *      hold the lock: it notifies 1 or all when the lock looks held (a plain
 *      lock has no owner: held() is all that notify checks), so the lock
 *      may be let go between that check and mark_parked; the notifier then
 *      wakes the waiters itself.
 *
 * Asserted:
 *   - a wait returns OK iff it was notified (moved or woken by a notify:
 *     lot.inc's chosen), and each notified waiter returns OK: none is lost
 *     to a waiter that timed out, since the lot dequeues that one and a
 *     later notify picks another (at the end, notified == OK returns);
 *   - every waiter that has let the lock go in cond_wait (and whose deadline
 *     has not passed) is queued when a notify runs (ghost waiting), and
 *     notify(n) with k waiters queued moves (or wakes) exactly min(n, k):
 *     notify(1) exactly one, the longest-waiting (the lot's queues are
 *     FIFO channels here);
 *   - mutual exclusion on the lock, also after a wait returns (handed over
 *     or reacquired); the lock's invariants (lock.inc);
 *   - nobody asleep at the end except a waiter never notified; no invalid
 *     end state; (pan -l) every run ends.
 * Memory model: sequential consistency (see lot.inc).
 */
#define NPROC 3
#define NADDR 2
#define LK 0
#define CQ 1
#define ALL 2

#define LEGIT_HANG(p) (waddr[p] == CQ && !chosen[p])

#define REQUEUE_MAY_MOVE(ok) mark_parked(ok)
#define ON_TIMEOUT gaveup[me] = 1; timeouts++

#include "lot.inc"
#include "lock.inc"

/* mark_parked, run by requeue under both buckets' locks when a waiter is
 * queued; queued: how many (ghost). Locals: byte v, queued. */
inline mark_parked(ok) {
  atomic { queued = len(queue[CQ]); v = lk; lk = lk | PARKED; LOCK_INVARIANT };
  ok = ((v & LOCKED) != 0);
  v = 0
}

bit waiting[NPROC]; /* ghost: lets the lock go in cond_wait, not back yet */
bit gaveup[NPROC];  /* ghost: its park's deadline passed */
byte timeouts;      /* ghost: deadlines passed, in all */
byte incs;     /* ghost: processes in a critical section of the lock */
byte notified; /* ghost: waits that a notify moved or woke */
byte returned; /* ghost: waits that returned OK */

inline enter() {
  atomic { incs++; assert(incs == 1 && holders == 1) }
}

inline leave() {
  incs--
}

/* Locals: lock.inc's, byte pr. Result in r. */
inline cond_wait(timed, r) {
  handed_off[me] = 0;
  park_enqueue(CQ);
  leave();
  waiting[me] = 1; /* still holding the lock: no notify can run before */
  lock_release(r);
  assert(r == P_OK);
  park_sleep(timed, pr);
  atomic {
    waiting[me] = 0; gaveup[me] = 0;
    if
    :: pr == P_OK -> returned++
    :: else
    fi
  };
  if
  :: !handed_off[me] -> lock_acquire(0, r)
  :: else -> handed_off[me] = 0
  fi;
  enter();
  r = pr;
  pr = 0
}

/* Locals: lock.inc's, byte moved, queued, k. */
inline cond_notify(n) {
  /* every thread that has let the lock go in cond_wait, and whose deadline
   * has not passed, is queued for this notify (or was notified already) */
  atomic {
    for (k : 0 .. NPROC - 1) {
      assert(!waiting[k] || gaveup[k] || chosen[k] || queue[CQ]??[eval(k)])
    }
    k = 0
  };
  queued = 0;
  requeue(CQ, LK, n, moved, ok, w);
  if
  :: ok ->
     assert(moved == (queued < n -> queued : n));
     notified = notified + moved
  :: else ->
     /* the lock was let go meanwhile: wake them here */
     k = 0;
     do
     :: k < n ->
        unpark_one(CQ, w, more);
        if
        :: w == NONE -> break
        :: else -> notified++; k++
        fi
     :: else -> break
     od;
     assert(k == (queued < n -> queued : n) || timeouts > 0)
  fi;
  moved = 0; queued = 0; k = 0; ok = 0; w = 0; more = 0
}

proctype Waiter(byte me; bit timed) {
  byte v, pr, a2, w, nv, r;
  bit ok, more, handoff, stored;
  lock_acquire(0, r);
  enter();
  cond_wait(timed, r);
  leave();
  lock_release(r);
  assert(r == P_OK)
}

proctype Notifier(byte me; byte n) {
  byte v, pr, a2, w, nv, r, moved, queued, k;
  bit ok, more, handoff, stored;
  lock_acquire(0, r);
  enter();
  cond_notify(n);
  leave();
  lock_release(r);
  assert(r == P_OK)
}

/* Notifies without holding the lock, when it looks held. */
proctype Bystander(byte me; byte n) {
  byte v, pr, a2, w, nv, r, moved, queued, k;
  bit ok, more, handoff, stored;
  if
  :: lk & LOCKED -> cond_notify(n)
  :: else
  fi
}

init {
  byte p;
  bit t;
  byte n;
  if :: t = 0 :: t = 1 fi;
  if :: n = 1 :: n = ALL fi;
  atomic {
    if
    :: run Waiter(0, 0); run Waiter(1, t); run Notifier(2, n)
    :: run Waiter(0, t); run Bystander(2, n)
    fi
  };
  timeout ->
  lot_final(p);
  assert(notified == returned);
  assert(incs == 0 && holders == 0 && !(lk & LOCKED));
  assert(len(queue[LK]) == 0)
}
