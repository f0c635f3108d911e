/* weft_lock (src/lock.c), the fixed release and its hand-off.
 *
 * lock.inc has the steps:
 *   lock_acquire       acquire_until: CAS in LOCKED when the word has none;
 *                      else CAS in PARKED and weft__park(word, expected the
 *                      value with PARKED); woken: handed_off -> OK, else
 *                      retry; a deadline -> try_acquire once more;
 *   lock_release       weft_lock_release: v = LOCKED; loop { !LOCKED ->
 *                      ESTATE; PARKED -> slow path; CAS(v -> 0) -> OK };
 *   lock_release_slow  under the lot's lock: reload v; loop { !LOCKED ->
 *                      ESTATE, waking nobody; else look at the first waiter
 *                      w and CAS(v -> (more ? PARKED : 0), with LOCKED when
 *                      w has waited long and it is the lot's fair turn: a
 *                      free choice here); a failed CAS
 *                      reloads v and decides again }; then dequeue w, mark
 *                      it woken (and handed_off), unlock, give it its
 *                      permit, OK.
 * The CAS matters: the fast-path release and acquire do not take the lot's
 * lock, so the word can change between the reload and the write;
 * lock_store.pml keeps the plain store, which spin rejects.
 *
 * The lock starts held (by a thread that has left: any thread may release a
 * weft_lock). Scenarios, one chosen by init:
 *   1. two Releasers at once, nobody else: exactly one returns OK;
 *   2. two Releasers and an Acquirer (with or without a deadline), which
 *      may park: each OK release is matched by an acquisition;
 *   3. one Releaser and two Acquirers, each acquire, critical section,
 *      release (the second with or without a deadline).
 *
 * Asserted:
 *   - the LOCKED bit always equals the number of unreleased acquisitions
 *     (ghost holders), so an OK release always releases a held lock, and
 *     a hand-off leaves the waiter owning it;
 *   - mutual exclusion: at most one Acquirer in its critical section;
 *   - at the end: acquisitions == OK releases + still held; in scenario 1
 *     one OK and one ESTATE;
 *   - no lost wake-up: nobody is left parked (every run ends with every
 *     process done); no invalid end state; (pan -l) every run ends.
 * Memory model: sequential consistency (see lot.inc).
 */
#define NPROC 2
#define NADDR 1
#define LK 0

#include "lot.inc"
#include "lock.inc"

byte incs;    /* ghost: Acquirers in their critical section */
byte acq_ok;  /* ghost: acquisitions, counting the initial one */
byte rel_ok;  /* ghost: releases that returned OK */
byte rel_bad; /* ghost: releases that returned ESTATE */

inline count_release(r) {
  if
  :: r == P_OK -> rel_ok++
  :: else -> assert(r == ESTATE); rel_bad++
  fi
}

proctype Releaser() {
  byte v, w, nv, r;
  bit more, handoff, stored;
  lock_release(r);
  count_release(r)
}

proctype Acquirer(byte me; bit timed) {
  byte v, pr, a2, w, nv, r;
  bit ok, more, handoff, stored;
  lock_acquire(timed, r);
  if
  :: r == P_OK ->
     acq_ok++;
     incs++;
     assert(incs == 1);
     incs--;
     lock_release(r);
     count_release(r)
  :: else -> assert(timed)
  fi
}

init {
  byte p;
  bit t;
  lk = LOCKED;
  holders = 1;
  acq_ok = 1;
  if :: t = 0 :: t = 1 fi;
  atomic {
    if
    :: run Releaser(); run Releaser()
    :: run Releaser(); run Releaser(); run Acquirer(0, t)
    :: run Releaser(); run Acquirer(0, 0); run Acquirer(1, t)
    fi
  };
  timeout ->
  lot_final(p);
  assert(holders == (lk & LOCKED));
  assert(acq_ok == rel_ok + holders);
  assert(rel_ok + rel_bad != 2 || acq_ok != 1 || rel_ok == 1)
}
