/* weft_future (src/future.c): a worker's start and finish against cancel,
 * result() waiters on the state word, done callbacks.
 *
 * The state word: PENDING 0, RUNNING 1, FINISHED 2, CANCELLED 3 (the last
 * two: done), and WAITERS (4): a result() caller may be parked on it. The
 * future's lock (a mutex here) guards the callbacks and every change to
 * done.
 *   Worker     weft__future_start: CAS PENDING -> RUNNING (failing on a
 *              cancelled future: the task does not run); the task; then
 *              complete(FINISHED).
 *   Canceller  weft_future_cancel: PENDING: complete(CANCELLED) -> OK;
 *              else CANCELLED -> OK, anything else -> ESTATE.
 *   complete   lock; if done (or running, for a cancel): unlock, refused;
 *              old = state; state = to (the CAS that succeeds); take the
 *              queued callbacks, calling = (any); unlock; if old & WAITERS:
 *              weft__unpark_all; run the callbacks taken; then again
 *              under the lock: take those added meanwhile, or calling = 0.
 *   Adder      weft_future_add_done_callback, twice: lock; if done and not
 *              calling: unlock and run it here; else queue it; unlock.
 *   Waiter     weft__future_wait_until: v = load; loop { done: OK;
 *              WAITERS not set: CAS it in (a failure reloads v); park on
 *              the word expecting v | WAITERS (park_check); v = load; done:
 *              OK; timed out: TIMEOUT }. One without a deadline, one with.
 *
 * Asserted:
 *   - every callback runs exactly once, and in the order added, whichever
 *     thread runs it (the completer, or the adder once done);
 *   - a task whose cancel returned OK never runs, and one that runs has a
 *     cancel return ESTATE; the future always ends done;
 *   - no lost wake-up: a result() without deadline always returns, with
 *     the future done; a result() returns OK only on a done future; no
 *     invalid end state; (pan -l) every run ends;
 *   - the lot's assertions (lot.inc).
 * Memory model: sequential consistency (see lot.inc).
 *
 * Two negative models include this file: future_no_calling.pml with
 * NO_CALLING (a callback added to a done future runs at once even while
 * the completer still runs earlier ones: out of order), future_store.pml
 * with CHECK_THEN_STORE (complete checks the state under the lock, then
 * stores instead of a CAS: a cancel overwrites a worker's lock-free start,
 * and a task whose cancel returned OK runs).
 */
#define NPROC 2 /* the waiters */
#define NADDR 1
#define F 0

#define PENDING 0
#define RUNNING 1
#define FINISHED 2
#define CANCELLED 3
#define STATE 3
#define WAITERS 4
#define NCB 3

#include "lot.inc"

byte state;
bit flock;
chan queued = [NCB] of { byte }; /* callbacks waiting to run, in order */
bit calling;
byte added;    /* ghost: callbacks added (each gets the next number) */
byte next_run; /* ghost: the number of the next callback to run */
byte ran[NCB]; /* ghost: runs of each callback */
bit task_ran;
byte cancel_rc; /* 0 not tried, 1 OK, 2 ESTATE */

#define DONE(v) (((v) & STATE) >= FINISHED)

inline f_lock() {
  atomic { flock == 0 -> flock = 1 }
}

inline f_unlock() {
  flock = 0
}

inline run_callback(id) {
  atomic {
    assert(id == next_run); /* in the order added */
    next_run++;
    ran[id]++
  }
}

/* Locals: byte old, id, w; bit ok; chan batch = [NCB] of { byte }, woke.
 * ok: it made the future done. */
inline complete(to, from_running, ok) {
  f_lock();
#ifdef CHECK_THEN_STORE
  ok = !(DONE(state) || ((state & STATE) == RUNNING && !from_running));
  if
  :: ok -> old = state; state = to
  :: else
  fi;
#else
  /* The C loop loads, checks and CASes; a failed CAS (a worker's start or
   * a waiter's WAITERS came in between) reloads and checks again: as one
   * step, the check and the CAS that succeeds. */
  atomic {
    ok = !(DONE(state) || ((state & STATE) == RUNNING && !from_running));
    if
    :: ok -> old = state; state = to
    :: else
    fi
  };
#endif
  if
  :: !ok ->
     f_unlock()
  :: else ->
     do
     :: len(queued) > 0 -> queued?id; batch!id
     :: else -> break
     od;
     calling = (len(batch) > 0);
     f_unlock();
     if
     :: old & WAITERS -> unpark_all(F, w, woke)
     :: else
     fi;
     do
     :: len(batch) > 0 -> batch?id; run_callback(id)
     :: else ->
        f_lock();
        if
        :: len(queued) > 0 ->
           do
           :: len(queued) > 0 -> queued?id; batch!id
           :: else -> break
           od;
           f_unlock()
        :: else ->
           calling = 0;
           f_unlock();
           break
        fi
     od;
     ok = 1
  fi;
  old = 0; id = 0
}

proctype Worker() {
  byte old, id, w;
  bit ok, started;
  chan batch = [NCB] of { byte };
  chan woke = [NPROC] of { byte };
  atomic {
    if
    :: (state & STATE) == PENDING -> state = (state & ~STATE) | RUNNING; started = 1
    :: else -> assert((state & STATE) == CANCELLED)
    fi
  };
  if
  :: started ->
     atomic { assert(cancel_rc != 1); task_ran = 1 };
     complete(FINISHED, 1, ok);
     assert(ok)
  :: else
  fi
}

proctype Canceller() {
  byte old, id, w;
  bit ok;
  chan batch = [NCB] of { byte };
  chan woke = [NPROC] of { byte };
  ok = 0;
  if
  :: (state & STATE) == PENDING -> complete(CANCELLED, 0, ok)
  :: else
  fi;
  atomic {
    if
    :: ok || (state & STATE) == CANCELLED -> cancel_rc = 1; assert(!task_ran)
    :: else -> cancel_rc = 2
    fi
  }
}

proctype Adder() {
  byte id, k;
  for (k : 1 .. 2) {
    f_lock();
    id = added;
    added++;
#ifdef NO_CALLING
    if
    :: DONE(state) -> f_unlock(); run_callback(id)
    :: else -> queued!id; f_unlock()
    fi
#else
    if
    :: DONE(state) && !calling -> f_unlock(); run_callback(id)
    :: else -> queued!id; f_unlock()
    fi
#endif
  }
}

/* Locals: byte v, pr, a2; bit ok. Result in r: P_OK or P_TIMEOUT. */
inline future_wait(timed, r) {
  v = state;
  r = NONE;
  do
  :: r != NONE -> break
  :: else ->
     if
     :: DONE(v) -> r = P_OK
     :: else ->
        ok = 1;
        if
        :: !(v & WAITERS) ->
           atomic {
             if
             :: state == v -> state = v | WAITERS; v = v | WAITERS
             :: else -> v = state; ok = 0
             fi
           }
        :: else
        fi;
        if
        :: ok ->
           park_check(F, state != v, timed, pr);
           v = state;
           if
           :: DONE(v) -> r = P_OK
           :: !DONE(v) && (pr == P_TIMEOUT || (pr == P_AGAIN && timed)) -> r = P_TIMEOUT
           :: else -> skip
           fi
        :: else
        fi
     fi
  od;
  assert(r == P_TIMEOUT || DONE(state));
  assert(r == P_OK || timed);
  v = 0; pr = 0; ok = 0
}

proctype Waiter(byte me; bit timed) {
  byte v, pr, a2, r;
  bit ok;
  future_wait(timed, r)
}

init {
  byte p;
  atomic {
    run Worker();
    run Adder();
    run Waiter(0, 0);
    if
    :: run Canceller()
    :: run Waiter(1, 1)
    fi
  };
  timeout ->
  assert(DONE(state));
  assert(task_ran == ((state & STATE) == FINISHED));
  assert(cancel_rc != 1 || !task_ran);
  assert(cancel_rc != 2 || task_ran);
  assert(!calling && len(queued) == 0 && !flock);
  for (p : 0 .. NCB - 1) {
    assert(ran[p] == (p < added -> 1 : 0))
  }
  assert(next_run == added);
  lot_final(p)
}
