/* weft_pool (src/pool.c): submit, a worker's run and its idle sleep, the
 * wake-up of an idle worker, lazy starts, shutdown.
 *
 * Under the pool's lock (a mutex here: lock.pml checks weft_lock itself):
 *   count    tasks in the ring
 *   looking  workers awake and out of a task, bound to look at the ring
 *            under the lock before they sleep
 *   idle[w]  worker w is on the idle stack (asleep, or about to be)
 *   workers  workers started (or being started)
 *   Submitter  weft_pool_submit: lock; push (count++); if count > looking:
 *              pop an idle worker w (looking++, wake[w] = 1) or, below
 *              MAXW, reserve a new one (workers++, looking++); unlock;
 *              then weft__unpark_one(wake[w]) or start the worker.
 *   Worker     worker_main: lock; loop { count > 0: pop (looking--);
 *              unlock; run; lock; looking++; with a future: unlock,
 *              complete it (the submitter may see the result now), lock;
 *              | shut: end (looking--, workers--) | else: sleep_idle:
 *              looking--; idle[me] = 1; wake[me] = 0; unlock;
 *              while (!wake[me]) weft__park(wake[me], expected 0); lock }
 *   Shutdown   weft_pool_shutdown(wait = false): lock; shut = 1; for each
 *              idle w: idle[w] = 0, looking++, wake[w] = 1, unpark_one;
 *              unlock.
 * Scenarios (init picks one): two submitters of one task each, then a
 * shutdown; one submitter of two tasks, then a shutdown; the same two
 * submitters without shutdown; one submitter that waits for each of its
 * three tasks' results before the next submit.
 *
 * Asserted:
 *   - no lost task: every task submitted runs, exactly once;
 *   - no lost wake-up: at the end no task is left in the ring; a worker
 *     asleep then is idle in a pool that is not shut down (with a
 *     shutdown, every worker has ended); no invalid end state; (pan -l)
 *     every run ends or sleeps for good;
 *   - never more than MAXW workers, and none started while one is idle;
 *   - three tasks one after another leave one worker: the worker counts
 *     itself looking before its result shows;
 *   - the lot's assertions (lot.inc).
 * Memory model: sequential consistency (see lot.inc).
 *
 * pool_wake_first.pml includes this file with WAKE_BEFORE_ENQUEUE: the
 * submitter decides whether a worker is needed before it queues the task,
 * in a separate hold of the lock, and the task can be left behind.
 * pool_late_looking.pml, with LOOKING_AFTER_RESULT, lets the result show
 * before the worker counts itself looking: a submit made at once starts a
 * second worker.
 */
#define NPROC 2 /* workers park; their words are addresses 0 and 1 */
#define NADDR 2
#define MAXW 2

#define LEGIT_HANG(p) (idle[p] && count == 0 && !shut)

#include "lot.inc"

bit plock;       /* the pool's lock */
byte count;      /* tasks in the ring */
byte looking;
bit idle[MAXW];
bit wake[MAXW];  /* worker.wake */
byte workers;    /* started, not yet ended */
byte started;    /* ghost: workers ever started */
bit shut;
byte submitted;  /* ghost: tasks queued */
byte ran;        /* ghost: tasks run */
byte results;    /* ghost: futures completed (their results visible) */
byte alive;      /* ghost: Worker processes not yet ended */
byte scenario;

inline pool_lock() {
  atomic { plock == 0 -> plock = 1 }
}

inline pool_unlock() {
  plock = 0
}

/* Under the lock: the top idle worker (any: spin tries each), or NONE. */
inline pick_idle(w) {
  if
  :: idle[0] -> w = 0
  :: idle[1] -> w = 1
  :: else -> w = NONE
  fi
}

proctype Worker(byte me) {
  byte pr, a2;
  bit sleep;
  skip; /* the initializer */
  pool_lock();
  do
  :: count > 0 ->
     count--;
     looking--;
     pool_unlock();
     ran++;
#ifdef LOOKING_AFTER_RESULT
     results++;
#endif
     pool_lock();
     looking++;
     pool_unlock();
#ifndef LOOKING_AFTER_RESULT
     results++; /* weft__future_finish: the submitter may go on now */
#endif
     pool_lock()
  :: count == 0 && shut ->
     looking--;
     workers--;
     pool_unlock();
     break
  :: count == 0 && !shut ->
     looking--;
     idle[me] = 1;
     wake[me] = 0;
     pool_unlock();
     do
     :: wake[me] -> break
     :: else -> park_check(me, wake[me] != 0, 0, pr)
     od;
     pool_lock()
  od;
  alive--
}

/* Locals: byte w, wa, name; bit start, more, need. */
inline submit() {
  w = NONE;
  start = 0;
#ifdef WAKE_BEFORE_ENQUEUE
  pool_lock();
  need = (count + 1 > looking);
  pool_unlock();
  pool_lock();
  count++;
  submitted++;
#else
  pool_lock();
  count++;
  submitted++;
  need = (count > looking);
#endif
  if
  :: need ->
     pick_idle(w);
     if
     :: w != NONE ->
        idle[w] = 0;
        looking++;
        wake[w] = 1
     :: w == NONE && workers < MAXW ->
        assert(!idle[0] && !idle[1]); /* never a new thread while one is idle */
        name = started;
        workers++;
        started++;
        looking++;
        start = 1
     :: else
     fi
  :: else
  fi;
  pool_unlock();
  if
  :: w != NONE -> wa = w; unpark_one(wa, w, more)
  :: else
  fi;
  if
  :: start -> atomic { alive++; run Worker(name) }
  :: else
  fi;
  assert(started <= MAXW)
}

proctype Submitter(byte tasks) {
  byte w, wa, name;
  bit start, more, need;
  do
  :: tasks > 0 -> submit(); tasks--
  :: else -> break
  od
}

/* Waits for each result before the next submit. */
proctype Sequential() {
  byte w, wa, name, k;
  bit start, more, need;
  for (k : 1 .. 3) {
    submit();
    results >= k
  }
}

proctype Shutdown(byte total) {
  byte i, t;
  bit more;
  submitted == total;
  pool_lock();
  shut = 1;
  for (i : 0 .. MAXW - 1) {
    if
    :: idle[i] ->
       idle[i] = 0;
       looking++;
       wake[i] = 1;
       unpark_one(i, t, more)
    :: else
    fi
  }
  pool_unlock()
}

init {
  byte p;
  if
  :: scenario = 0
  :: scenario = 1
  :: scenario = 2
  :: scenario = 3
  fi;
  atomic {
    if
    :: scenario == 0 -> run Submitter(1); run Submitter(1); run Shutdown(2)
    :: scenario == 1 -> run Submitter(2); run Shutdown(2)
    :: scenario == 2 -> run Submitter(1); run Submitter(1)
    :: scenario == 3 -> run Sequential()
    fi
  };
  timeout ->
  /* no lost task, no lost wake-up */
  assert(count == 0);
  assert(ran == submitted);
  assert(shut || scenario >= 2);
  if
  :: shut -> assert(workers == 0 && alive == 0)
  :: else -> assert(alive == workers)
  fi;
  assert(started <= MAXW);
  assert(scenario != 3 || started == 1);
  assert(!plock);
  lot_final(p)
}
