/* The parking lot itself (src/park.c): park with its value check, the
 * timed sleep and its race with a waker, unpark_one, unpark_all, requeue.
 *
 * Processes (lot.inc has the steps, each named after its C function):
 *   Waiter(0)  weft__park(A, expected 0), no deadline;
 *   Waiter(1)  the same, with or without a deadline; when it times out it
 *              parks once more without one (a second park on the same
 *              parker: a permit left over by the first would end it early);
 *   Waker      the futex pattern: word[A] = 1, then one of
 *                weft__unpark_all(A);
 *                weft__unpark_one(A) until it finds nobody;
 *                weft__requeue(A -> B, 1), unpark_all(A), unpark_all(B).
 * A waiter that parked before the store must be woken; one that checks
 * after it sees the new value and does not sleep.
 *
 * Asserted (lot.inc and below):
 *   - every permit is consumed exactly once: none is given to a parker that
 *     still holds one, and a park returns with none left over or owed;
 *   - a park returns OK only if a waker took it off a queue or a requeue
 *     moved it, and TIMEOUT only if neither did (no wake-up lost to a
 *     waiter that timed out);
 *   - at the end nobody is asleep (the wake for it was issued), every
 *     queue is empty and every bucket lock free;
 *   - no invalid end state (deadlock), and (pan -l) no cycle: every run
 *     ends.
 * Memory model: sequential consistency (see lot.inc).
 */
#define NPROC 2
#define NADDR 2
#define A 0
#define B 1

#include "lot.inc"

byte word[NADDR];

proctype Waiter(byte me; bit timed) {
  byte r, a2;
  park_check(A, word[A] != 0, timed, r);
  if
  :: r == P_TIMEOUT -> park_check(A, word[A] != 0, 0, r)
  :: else
  fi;
  assert(r == P_OK || r == P_AGAIN)
}

proctype Waker() {
  byte w, moved;
  bit more, ok;
  chan woke = [NPROC] of { byte };
  word[A] = 1;
  if
  :: unpark_all(A, w, woke)
  :: do
     :: unpark_one(A, w, more);
        if
        :: w == NONE -> break
        :: else
        fi
     od
  :: requeue(A, B, 1, moved, ok, w);
     assert(ok);
     unpark_all(A, w, woke);
     unpark_all(B, w, woke)
  fi
}

init {
  byte p;
  atomic {
    run Waiter(0, 0);
    if
    :: run Waiter(1, 0)
    :: run Waiter(1, 1)
    fi;
    run Waker()
  };
  timeout ->
  lot_final(p);
  assert(len(queue[A]) == 0 && len(queue[B]) == 0)
}
