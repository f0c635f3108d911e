/* weft_event (src/event.c), the fixed protocol: set() takes the lot's
 * bucket lock before it writes SET when someone may be parked, so that its
 * wake-up reaches only waits that had parked before the flag was set.
 *
 * The word: bit 0 SET (the flag), bit 1 WAITERS (someone may be parked).
 *   Setter   weft_event_set:
 *              v = load; loop {
 *                if (v & WAITERS) { bucket lock; exchange(state, SET);
 *                  dequeue and mark every waiter (lot_take_all); unlock;
 *                  give each its permit (lot_give_all); return }
 *                if CAS(state, v, SET) return  (a failure reloads v) }
 *   Waiter   weft_event_wait, twice: a wait without deadline; clear();
 *            a wait with a deadline (taken at any moment):
 *              v = load; loop {
 *                if (v & SET) return OK;
 *                if (!(v & WAITERS) && !CAS(state, v, v | WAITERS)) continue;
 *                r = weft__park(state, expected v | WAITERS) (park_check);
 *                if (r == OK) return OK;
 *                v = load; if (v & SET) return OK;
 *                if (timed out) return TIMEOUT }
 *   Waiter2  one weft_event_wait, with or without a deadline.
 * weft_event_clear is `state &= ~SET` in one step.
 *
 * Asserted:
 *   - no spurious OK: a wait returns OK only if the flag was SET at some
 *     moment during it (ghost: overlap[p], set when a wait begins on a set
 *     flag and by set() at the step that writes SET, for every wait in
 *     progress);
 *   - no lost wake-up: a waiter asleep for ever must have parked after the
 *     last set() (ghost: setsince[p], cleared when the park enqueues, set by
 *     set() at its write); a waiter parked when set() writes SET is woken.
 *     (A wait that had only loaded the word when set() and clear() both ran
 *     may then park for good: its start is placed after the clear, as for
 *     a thread that had not reached wait yet);
 *   - the lot's assertions (lot.inc): one permit per wake-up, OK only when
 *     chosen; no invalid end state; (pan -l) every run ends.
 * Memory model: sequential consistency (see lot.inc).
 *
 * event_prefix.pml includes this file with PRE_FIX_SET defined: set() does
 * exchange(state, SET) first and only then, without a lock in between,
 * weft__unpark_all, which can wake a later wait.
 */
#define NPROC 2
#define NADDR 1
#define EV 0
#define SET 1
#define WAITERS 2

#define LEGIT_HANG(p) (!setsince[p])
#define ON_ENQUEUE setsince[me] = 0

#include "lot.inc"

byte state; /* weft_event.state_ */

bit inwait[NPROC];   /* ghost: a wait is in progress */
bit overlap[NPROC];  /* ghost: the flag was SET at some moment of this wait */
bit setsince[NPROC]; /* ghost: a set() wrote SET since this park enqueued */

/* Ghost step of set(), in the same atomic step as its write of SET. */
inline mark_set(p) {
  for (p : 0 .. NPROC - 1) {
    overlap[p] = overlap[p] | inwait[p];
    setsince[p] = 1
  }
}

/* Locals: byte v, w, p; bit done; chan woke = [NPROC] of { byte }. */
inline event_set() {
#ifdef PRE_FIX_SET
  atomic { v = state; state = SET; mark_set(p) };
  if
  :: v & WAITERS -> unpark_all(EV, w, woke)
  :: else
  fi
#else
  v = state;
  done = 0;
  do
  :: done -> break
  :: !done && (v & WAITERS) ->
     bucket_lock(EV);
     atomic { state = SET; mark_set(p) };
     lot_take_all(EV, w, woke);
     bucket_unlock(EV);
     lot_give_all(w, woke);
     done = 1
  :: !done && !(v & WAITERS) ->
     atomic {
       if
       :: state == v -> state = SET; mark_set(p); done = 1
       :: else -> v = state
       fi
     }
  od
#endif
  ;
  v = 0;
  p = 0
}

inline event_clear() {
  state = state & ~SET
}

/* Locals: byte v, pr, a2; bit ok. Result in r: P_OK or P_TIMEOUT. */
inline event_wait(timed, r) {
  atomic { inwait[me] = 1; overlap[me] = (state & SET); v = state };
  r = NONE;
  do
  :: r != NONE -> break
  :: else ->
     if
     :: v & SET -> r = P_OK
     :: else ->
        ok = 1;
        if
        :: !(v & WAITERS) ->
           atomic {
             if
             :: state == v -> state = v | WAITERS
             :: else -> v = state; ok = 0
             fi
           }
        :: else
        fi;
        if
        :: ok ->
           park_check(EV, state != (v | WAITERS), timed, pr);
           if
           :: pr == P_OK -> r = P_OK
           :: else ->
              v = state;
              if
              :: v & SET -> r = P_OK
              :: !(v & SET) && pr == P_TIMEOUT -> r = P_TIMEOUT
              :: !(v & SET) && pr == P_AGAIN && timed -> r = P_TIMEOUT /* deadline passed */
              :: !(v & SET) && pr == P_AGAIN -> skip
              fi
           fi
        :: else
        fi
     fi
  od;
  atomic {
    assert(r == P_TIMEOUT || overlap[me]);
    assert(r == P_OK || timed);
    inwait[me] = 0; overlap[me] = 0; v = 0; pr = 0; ok = 0
  }
}

proctype Setter() {
  byte v, w, p;
  bit done;
  chan woke = [NPROC] of { byte };
  event_set()
}

proctype Waiter(byte me) {
  byte v, pr, a2, r;
  bit ok;
  event_wait(0, r);
  event_clear();
  event_wait(1, r)
}

proctype Waiter2(byte me; bit timed) {
  byte v, pr, a2, r;
  bit ok;
  event_wait(timed, r)
}

init {
  byte p;
  atomic {
    run Setter();
    run Waiter(0);
    if
    :: run Waiter2(1, 0)
    :: run Waiter2(1, 1)
    fi
  };
  timeout ->
  lot_final(p)
}
