/* weft_latch (src/latch.c): the count-down that reaches zero with waiters
 * writes the zero under the lot's lock and takes the waiters in the same
 * step (weft__unpark_all_if), so its wake-up reaches only waits that were
 * parked when the count reached zero.
 *
 * The word c: bit 0 WAITERS, bits 1+ the count.
 *   Counter  weft_latch_count_down(1): v = load; loop { n > count ->
 *            EOVERFLOW; count == n and WAITERS -> slow; CAS(v -> v - n) };
 *            slow: bucket lock; CAS down (to 0, clearing WAITERS) and take
 *            every waiter; unlock; give each its permit
 *   Waiter   weft_latch_wait: v = load; loop { count 0 -> OK; CAS in
 *            WAITERS; park expecting v | WAITERS; OK -> OK; count 0 -> OK;
 *            timed out -> TIMEOUT }
 *   Reuser   waits for zero, then weft_latch_init(1) again (a new phase),
 *            then counts it down: a wait that began in the new phase must
 *            not be ended by the first phase's wake-up.
 * Scenario: count 2, two Counters, a Waiter without deadline and the
 * Reuser; or count 1, a Counter, a timed Waiter, and the Reuser.
 *
 * Asserted:
 *   - no stale or spurious OK: a wait returns OK only if the count was zero
 *     at some moment during it (ghost overlap[p], set when a wait begins on
 *     a zero count and by every write of zero during a wait);
 *   - EOVERFLOW never happens here (every count-down has its unit);
 *   - no lost wake-up: nobody is left parked (lot_final); no invalid end
 *     state; (pan -l) every run ends.
 * Memory model: sequential consistency (see lot.inc).
 *
 * latch_outside.pml includes this with ZERO_OUTSIDE_LOCK: the zero is
 * written with a CAS before the lot's lock is taken, and weft__unpark_all
 * wakes whoever is parked by then.
 */
#define NPROC 2
#define NADDR 1
#define LA 0
#define WAITERS 1
#define ONE 2
#define EOVERFLOW 8

#include "lot.inc"

byte c;
bit inwait[NPROC];
bit overlap[NPROC];

/* Ghost, with every write of a zero count. */
inline mark_zero(p) {
  for (p : 0 .. NPROC - 1) {
    overlap[p] = overlap[p] | inwait[p]
  }
  p = 0
}

/* Locals: byte v, w, p, r; bit slow; chan woke. */
inline count_down(r) {
  slow = 0;
  r = NONE;
  do
  :: r != NONE -> break
  :: else ->
     atomic {
       v = c;
       if
       :: (v >> 1) < 1 -> r = EOVERFLOW
       :: (v >> 1) == 1 && (v & WAITERS) -> slow = 1; r = P_OK
       :: else -> c = v - ONE; if :: c == 0 -> mark_zero(p) :: else fi; r = P_OK
       fi
     }
  od;
  if
  :: slow ->
#ifdef ZERO_OUTSIDE_LOCK
     atomic {
       if
       :: (c >> 1) < 1 -> r = EOVERFLOW
       :: else -> c = ((c >> 1) == 1 -> 0 : c - ONE); if :: c == 0 -> mark_zero(p) :: else fi
       fi
     };
     unpark_all(LA, w, woke)
#else
     bucket_lock(LA);
     atomic {
       if
       :: (c >> 1) < 1 -> r = EOVERFLOW
       :: else ->
          c = ((c >> 1) == 1 -> 0 : c - ONE);
          if
          :: c == 0 -> mark_zero(p); lot_take_all(LA, w, woke)
          :: else
          fi
       fi
     };
     bucket_unlock(LA);
     lot_give_all(w, woke)
#endif
  :: else
  fi;
  assert(r == P_OK);
  v = 0; slow = 0
}

/* Locals: byte v, pr, a2; bit ok. Result in r. */
inline latch_wait(timed, r) {
  atomic { inwait[me] = 1; overlap[me] = ((c >> 1) == 0); v = c };
  r = NONE;
  do
  :: r != NONE -> break
  :: else ->
     if
     :: (v >> 1) == 0 -> r = P_OK
     :: else ->
        ok = 1;
        if
        :: !(v & WAITERS) ->
           atomic {
             if
             :: c == v -> c = v | WAITERS
             :: else -> v = c; ok = 0
             fi
           }
        :: else
        fi;
        if
        :: ok ->
           park_check(LA, c != (v | WAITERS), timed, pr);
           if
           :: pr == P_OK -> r = P_OK
           :: else ->
              v = c;
              if
              :: (v >> 1) == 0 -> r = P_OK
              :: (v >> 1) != 0 && pr == P_TIMEOUT -> r = P_TIMEOUT
              :: (v >> 1) != 0 && pr == P_AGAIN && timed -> r = P_TIMEOUT
              :: (v >> 1) != 0 && pr == P_AGAIN -> skip
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

proctype Counter() {
  byte v, w, p, r;
  bit slow;
  chan woke = [NPROC] of { byte };
  count_down(r)
}

proctype Waiter(byte me; bit timed) {
  byte v, pr, a2, r;
  bit ok;
  latch_wait(timed, r)
}

/* Waits for the first phase, starts a second one (init 1) and ends it. */
proctype Reuser(byte me) {
  byte v, pr, a2, r, w, p;
  bit ok, slow;
  chan woke = [NPROC] of { byte };
  latch_wait(0, r);
  c = ONE; /* weft_latch_init(1): nobody waits on the new phase yet */
  count_down(r)
}

init {
  byte p;
  atomic {
    if
    :: c = 2 * ONE; run Counter(); run Counter(); run Waiter(0, 0); run Reuser(1)
    :: c = ONE; run Counter(); run Waiter(0, 1); run Reuser(1)
    fi
  };
  timeout ->
  lot_final(p);
  assert(c == 0)
}
