/* weft_sem (src/sem.c): the value word taken with CAS, the waiters counter
 * that lets release skip the lot when nobody waits.
 *
 *   try_take           v = load; while (v > 0) if CAS(value, v, v - 1) OK;
 *   sem_acquire        weft_sem_acquire: try_take; loop { waiters++;
 *                      r = weft__park(value, expected 0) (park_check);
 *                      waiters--; try_take -> OK; timed out -> TIMEOUT }
 *                      (a deadline may pass at any moment);
 *   sem_release        weft_sem_release(n): value += n (CAS); w = waiters;
 *                      for i < min(n, w): if (!weft__unpark_one) break.
 * The C code orders waiters++ before the park's read of the value, and the
 * value's increase before release's read of waiters, with seq_cst
 * operations (the decrement is relaxed: a stale count costs at most an
 * unpark_one that finds nobody).
 *
 * The semaphore starts at 0. Processes: Acquirer(0) without a deadline,
 * Acquirer(1) with or without one, and either a Releaser that releases 1
 * twice or 2 once, or two Releaser1s releasing 1 each at the same time.
 *
 * Asserted:
 *   - units are conserved: value == released - taken at every change;
 *   - no lost wake-up: nobody is asleep at the end while units are left
 *     (here there are enough for every acquire without a deadline, so every
 *     such acquire returns OK), no invalid end state; (pan -l) every run
 *     ends;
 *   - the lot's assertions (lot.inc).
 * Memory model: sequential consistency (see lot.inc).
 */
#define NPROC 2
#define NADDR 1
#define SEM 0

#define LEGIT_HANG(p) (value == 0)

#include "lot.inc"

byte value;    /* weft_sem.value_ */
byte waiters;  /* weft_sem.waiters_ */
byte released; /* ghost: units released */
byte taken;    /* ghost: units taken */

#define UNITS_INVARIANT assert(value == released - taken)

/* Locals: byte v. ok: a unit was taken. */
inline try_take(ok) {
  ok = 0;
  v = value;
  do
  :: v == 0 -> break
  :: else ->
     atomic {
       if
       :: value == v -> value = v - 1; taken++; UNITS_INVARIANT; ok = 1
       :: else -> v = value
       fi
     };
     if
     :: ok -> break
     :: else
     fi
  od;
  v = 0
}

/* Locals: byte v, pr, a2; bit ok. Result in r: P_OK or P_TIMEOUT. */
inline sem_acquire(timed, r) {
  try_take(ok);
  r = (ok -> P_OK : NONE);
  do
  :: r != NONE -> break
  :: else ->
     waiters++;
     park_check(SEM, value != 0, timed, pr);
     waiters--;
     try_take(ok);
     if
     :: ok -> r = P_OK
     :: !ok && pr == P_TIMEOUT -> r = P_TIMEOUT
     :: !ok && pr != P_TIMEOUT && timed -> r = P_TIMEOUT /* deadline passed */
     :: !ok && pr != P_TIMEOUT -> skip
     fi
  od;
  pr = 0; ok = 0
}

/* Locals: byte w, i, n; bit more. */
inline sem_release(units) {
  atomic { value = value + units; released = released + units; UNITS_INVARIANT };
  n = waiters;
  i = 0;
  do
  :: i < units && i < n ->
     unpark_one(SEM, w, more);
     if
     :: w == NONE -> break
     :: else -> i++
     fi
  :: else -> break
  od;
  w = 0; i = 0; n = 0; more = 0
}

proctype Acquirer(byte me; bit timed) {
  byte v, pr, a2, r;
  bit ok;
  sem_acquire(timed, r);
  assert(r == P_OK || timed)
}

proctype Releaser() {
  byte w, i, n;
  bit more;
  if
  :: sem_release(1); sem_release(1)
  :: sem_release(2)
  fi
}

proctype Releaser1() {
  byte w, i, n;
  bit more;
  sem_release(1)
}

init {
  byte p;
  bit t;
  if :: t = 0 :: t = 1 fi;
  atomic {
    run Acquirer(0, 0);
    run Acquirer(1, t);
    if
    :: run Releaser()
    :: run Releaser1(); run Releaser1()
    fi
  };
  timeout ->
  lot_final(p);
  UNITS_INVARIANT;
  assert(waiters == asleep[0] + asleep[1])
}
