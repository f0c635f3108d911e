/* weft_rwlock (src/rwlock.c): two queues over one state word, hand-offs
 * made by the releaser under the lot's lock of the queue it wakes.
 *
 * The word st: bit 0 WRITER, bit 1 WWAIT (writers may be parked on the
 * writers' queue WQ, the address of the second word), bit 2 RWAIT (readers
 * may be parked on RQ, the word itself), bits 3+ the readers holding it.
 *   acquire_shared     enter while !(WRITER|WWAIT) (a CAS loop: one atomic
 *                      step on the current value); else CAS in RWAIT and
 *                      park on RQ expecting that value; granted -> OK; a
 *                      deadline -> one more try, else TIMEOUT
 *   release_shared     the last reader with WWAIT goes slow: under WQ's
 *                      lock, hand the lock to the first parked writer
 *                      (WRITER set, WWAIT kept if more wait), or, if none
 *                      is parked, clear WWAIT and then let the parked
 *                      readers in (grant)
 *   acquire_exclusive  enter while no WRITER and no readers; else CAS in
 *                      WWAIT and park on WQ expecting that value (the
 *                      check reads st under WQ's lock); granted -> OK; a
 *                      deadline -> one more try, else give up: under WQ's
 *                      lock, clear WWAIT if no writer is parked, then grant
 *   release_exclusive  with RWAIT: grant from the writer (under RQ's lock,
 *                      n parked readers: clear WRITER and RWAIT, add n
 *                      readers, wake them all granted; n == 0 only clears
 *                      RWAIT); else with WWAIT: under WQ's lock hand the
 *                      lock to the first writer or let it go
 * Scenarios, chosen by init: 2 readers + 1 writer, or 1 reader + 2
 * writers, each acquiring once with or without a deadline.
 *
 * Asserted:
 *   - the word counts exactly the holds (ghosts rheld, wheld) after every
 *     write, and says what holds it whenever a thread is inside;
 *   - mutual exclusion: no reader with a writer inside, at most one writer;
 *   - writer preference: no reader enters by itself (not granted) while a
 *     writer is parked;
 *   - no starvation either way: a parked reader is passed by at most one
 *     writer, a parked writer by at most one read phase;
 *   - no lost wake-up: every run ends with nobody parked (lot_final), the
 *     lock free and WWAIT clear (a stale WWAIT would keep the next reader
 *     out for ever); no invalid end state; (pan -l) every run ends.
 * Memory model: sequential consistency (see lot.inc).
 *
 * rwlock_wake_first.pml includes this with WAKE_BEFORE_PUBLISH: a writer's
 * release wakes the parked readers first and adds them to the word after.
 */
#define NPROC 3
#define NADDR 2
#define RQ 0
#define WQ 1

#include "lot.inc"

#define WRITER 1
#define WWAIT 2
#define RWAIT 4
#define READER 8
#define ESTATE 3
#define SLOW 4
#define G_OK 0
#define G_NONE 1
#define G_BUSY 2
#define G_ESTATE 3

byte st;
bit granted[NPROC];
bit isreader[NPROC];
byte rheld, wheld;   /* ghosts: holds the word must show */
byte rin, win;       /* ghosts: threads inside */
byte passed[NPROC];  /* ghost: writers (for a reader) or read phases (for a writer) that went first */

#define ST_OK assert((st >> 3) == rheld && (st & WRITER) == wheld)

/* Ghost, in the step where a writer gets the lock: it passes every parked
 * reader. */
inline writer_enters() {
  for (p : 0 .. NPROC - 1) {
    if
    :: isreader[p] && asleep[p] -> passed[p]++
    :: else
    fi
  }
  p = 0
}

/* Ghost, in the step where parked readers are let in: a read phase passes
 * every parked writer. */
inline readers_enter() {
  for (p : 0 .. NPROC - 1) {
    if
    :: !isreader[p] && asleep[p] -> passed[p]++
    :: else
    fi
  }
  p = 0
}

/* Under RQ's lock: take every parked reader, granted. */
inline take_readers() {
  do
  :: len(queue[RQ]) > 0 ->
     queue[RQ]?w;
     woken[w] = 1; owed[w] = 1; chosen[w] = 1; granted[w] = 1;
     woke!w
  :: else -> break
  od;
  w = 0
}

/* grant_readers(from_writer). Locals: byte w, n, p; chan woke. Result g. */
inline grant_readers(from_writer, g) {
  bucket_lock(RQ);
#ifdef WAKE_BEFORE_PUBLISH
  atomic { n = len(queue[RQ]); take_readers() };
  bucket_unlock(RQ);
  lot_give_all(w, woke);
  atomic {
    if
    :: from_writer && !(st & WRITER) -> g = G_ESTATE
    :: !from_writer && (st & (WRITER | WWAIT)) -> g = G_BUSY
    :: else ->
       st = st & ~RWAIT;
       g = G_OK;
       if
       :: n == 0 && from_writer && (st & WWAIT) -> g = G_NONE
       :: n == 0 && from_writer && !(st & WWAIT) -> st = st & ~WRITER; wheld--
       :: n == 0 && !from_writer
       :: else ->
          if :: from_writer -> st = st & ~WRITER; wheld-- :: else fi;
          st = st + n * READER; rheld = rheld + n; readers_enter()
       fi;
       ST_OK
    fi
  }
#else
  atomic {
    n = len(queue[RQ]);
    if
    :: from_writer && !(st & WRITER) -> g = G_ESTATE
    :: !from_writer && (st & (WRITER | WWAIT)) -> g = G_BUSY
    :: else ->
       st = st & ~RWAIT;
       g = G_OK;
       if
       :: n == 0 && from_writer && (st & WWAIT) -> g = G_NONE
       :: n == 0 && from_writer && !(st & WWAIT) -> st = st & ~WRITER; wheld--
       :: n == 0 && !from_writer
       :: else ->
          if :: from_writer -> st = st & ~WRITER; wheld-- :: else fi;
          st = st + n * READER; rheld = rheld + n;
          readers_enter();
          take_readers()
       fi;
       ST_OK
    fi
  };
  bucket_unlock(RQ);
  lot_give_all(w, woke)
#endif
  ;
  n = 0
}

/* Locals: byte v, pr, a2, w, n, p, g, r2; bit ok, more, rnext; chan woke. */
inline acquire_shared(timed, r) {
  passed[me] = 0;
  r = NONE;
  do
  :: r != NONE -> break
  :: else ->
     atomic {
       v = st;
       if
       :: !(v & (WRITER | WWAIT)) ->
          st = v + READER; rheld++; ST_OK; r = P_OK;
          assert(len(queue[WQ]) == 0) /* writer preference */
       :: else
       fi
     };
     if
     :: r == P_OK
     :: else ->
        ok = 1;
        if
        :: !(v & RWAIT) ->
           atomic {
             if
             :: st == v -> st = v | RWAIT; v = v | RWAIT
             :: else -> ok = 0
             fi
           }
        :: else
        fi;
        if
        :: ok ->
           granted[me] = 0;
           park_check(RQ, st != v, timed, pr);
           if
           :: granted[me] -> granted[me] = 0; r = P_OK; assert(passed[me] <= 1)
           :: else ->
              assert(pr != P_OK);
              if
              :: pr == P_TIMEOUT || (pr == P_AGAIN && timed) ->
                 atomic {
                   if
                   :: !(st & (WRITER | WWAIT)) -> st = st + READER; rheld++; ST_OK; r = P_OK
                   :: else -> r = P_TIMEOUT
                   fi
                 }
              :: pr == P_AGAIN -> skip
              fi
           fi
        :: else
        fi
     fi
  od;
  v = 0; pr = 0; ok = 0
}

inline release_shared(r) {
  atomic {
    if
    :: (st >> 3) == 0 -> r = ESTATE
    :: (st >> 3) == 1 && (st & WWAIT) -> r = SLOW
    :: else -> st = st - READER; rheld--; ST_OK; r = P_OK
    fi
  };
  if
  :: r == SLOW ->
     rnext = 0;
     bucket_lock(WQ);
     atomic {
       lot_peek(WQ, w, more);
       if
       :: (st >> 3) == 0 -> r = ESTATE; w = NONE
       :: else ->
          if
          :: w == NONE -> st = (st - READER) & ~WWAIT; rheld--; rnext = (st & RWAIT) != 0
          :: w != NONE && (st >> 3) > 1 -> st = st - READER; rheld--; w = NONE
          :: w != NONE && (st >> 3) == 1 ->
             st = (st - READER) | WRITER;
             if :: !more -> st = st & ~WWAIT :: else fi;
             rheld--; wheld++;
             lot_take(WQ, w, more); granted[w] = 1;
             writer_enters()
          fi;
          ST_OK; r = P_OK
       fi
     };
     bucket_unlock(WQ);
     lot_give(w);
     if :: rnext -> grant_readers(0, g) :: else fi
  :: else
  fi;
  w = 0; more = 0; rnext = 0; g = 0
}

inline writer_gives_up() {
  rnext = 0;
  bucket_lock(WQ);
  atomic {
    lot_peek(WQ, w, more);
    if
    :: w == NONE && (st & WWAIT) -> rnext = (st & RWAIT) != 0; st = st & ~WWAIT
    :: else
    fi;
    w = 0; more = 0
  };
  bucket_unlock(WQ);
  if :: rnext -> grant_readers(0, g) :: else fi;
  rnext = 0; g = 0
}

inline acquire_exclusive(timed, r) {
  passed[me] = 0;
  r = NONE;
  do
  :: r != NONE -> break
  :: else ->
     atomic {
       v = st;
       if
       :: !(v & WRITER) && (v >> 3) == 0 ->
          st = v | WRITER; wheld++; ST_OK; r = P_OK; writer_enters()
       :: else
       fi
     };
     if
     :: r == P_OK
     :: else ->
        ok = 1;
        if
        :: !(v & WWAIT) ->
           atomic {
             if
             :: st == v -> st = v | WWAIT; v = v | WWAIT
             :: else -> ok = 0
             fi
           }
        :: else
        fi;
        if
        :: ok ->
           granted[me] = 0;
           park_check(WQ, st != v, timed, pr);
           if
           :: granted[me] -> granted[me] = 0; r = P_OK; assert(passed[me] <= 1)
           :: else ->
              assert(pr != P_OK);
              if
              :: pr == P_TIMEOUT || (pr == P_AGAIN && timed) ->
                 atomic {
                   if
                   :: !(st & WRITER) && (st >> 3) == 0 ->
                      st = st | WRITER; wheld++; ST_OK; r = P_OK; writer_enters()
                   :: else
                   fi
                 };
                 if
                 :: r != P_OK -> writer_gives_up(); r = P_TIMEOUT
                 :: else
                 fi
              :: pr == P_AGAIN -> skip
              fi
           fi
        :: else
        fi
     fi
  od;
  v = 0; pr = 0; ok = 0
}

inline release_exclusive(r) {
  atomic {
    if
    :: !(st & WRITER) -> r = ESTATE
    :: (st & WRITER) && !(st & (WWAIT | RWAIT)) -> st = 0; wheld--; ST_OK; r = P_OK
    :: else -> r = SLOW
    fi
  };
  if
  :: r == SLOW ->
     r = NONE;
     do
     :: r != NONE -> break
     :: else ->
        v = st;
        if
        :: !(v & WRITER) -> r = ESTATE
        :: else ->
           if
           :: v & RWAIT ->
              grant_readers(1, g);
              if
              :: g == G_OK -> r = P_OK
              :: g == G_ESTATE -> r = ESTATE
              :: else -> v = st /* writers wait: on to them */
              fi
           :: else
           fi;
           if
           :: r == NONE && (v & WWAIT) ->
              rnext = 0;
              bucket_lock(WQ);
              atomic {
                lot_peek(WQ, w, more);
                if
                :: !(st & WRITER) -> r = ESTATE; w = NONE
                :: else ->
                   if
                   :: w != NONE ->
                      st = (st & RWAIT) | WRITER | (more -> WWAIT : 0);
                      lot_take(WQ, w, more); granted[w] = 1;
                      writer_enters()
                   :: else -> st = st & RWAIT; wheld--; rnext = (st & RWAIT) != 0
                   fi;
                   ST_OK; r = P_OK
                fi
              };
              bucket_unlock(WQ);
              lot_give(w);
              if :: rnext -> grant_readers(0, g) :: else fi
           :: r == NONE && !(v & (WWAIT | RWAIT)) ->
              atomic {
                if
                :: st == v -> st = 0; wheld--; ST_OK; r = P_OK
                :: else
                fi
              }
           :: else
           fi
        fi
     od
  :: else
  fi;
  v = 0; w = 0; more = 0; g = 0; rnext = 0
}

proctype Reader(byte me; bit timed) {
  byte v, pr, a2, w, n, p, g, r, r2;
  bit ok, more, rnext;
  chan woke = [NPROC] of { byte };
  acquire_shared(timed, r);
  if
  :: r == P_OK ->
     atomic { rin++; assert(win == 0); assert((st >> 3) >= rin && !(st & WRITER)) };
     rin--;
     release_shared(r2);
     assert(r2 == P_OK)
  :: else -> assert(timed && r == P_TIMEOUT)
  fi
}

proctype Writer(byte me; bit timed) {
  byte v, pr, a2, w, n, p, g, r, r2;
  bit ok, more, rnext;
  chan woke = [NPROC] of { byte };
  acquire_exclusive(timed, r);
  if
  :: r == P_OK ->
     atomic { win++; assert(win == 1 && rin == 0); assert(st & WRITER) };
     win--;
     release_exclusive(r2);
     assert(r2 == P_OK)
  :: else -> assert(timed && r == P_TIMEOUT)
  fi
}

init {
  byte p;
  bit t0, t1, t2;
  if :: t0 = 0 :: t0 = 1 fi;
  if :: t1 = 0 :: t1 = 1 fi;
  if :: t2 = 0 :: t2 = 1 fi;
  if
  :: atomic { isreader[0] = 1; isreader[1] = 1; run Reader(0, t0); run Reader(1, t1); run Writer(2, t2) }
  :: atomic { isreader[0] = 1; run Reader(0, t0); run Writer(1, t1); run Writer(2, t2) }
  fi;
  timeout ->
  lot_final(p);
  assert(rheld == 0 && wheld == 0 && (st & (WRITER | WWAIT)) == 0 && (st >> 3) == 0)
}
