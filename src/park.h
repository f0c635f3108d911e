/* The parking lot (park.c): threads wait on an address and are woken in
 * FIFO order. Below it are only the base, the port and the calling
 * thread's record (self.h). */
#ifndef WEFT_PARK_H
#define WEFT_PARK_H

#include "internal.h"

enum { WEFT__PARK_OK = 0, WEFT__PARK_TIMEOUT = WEFT_TIMEOUT, WEFT__PARK_AGAIN = 100 };

/* Park the calling thread on addr if *addr (sizeof(uintptr_t) bytes, read
 * atomically) still equals *expected, until unparked or the deadline.
 * park_arg is handed to the unparker's callback. Returns WEFT__PARK_OK when
 * unparked, WEFT__PARK_TIMEOUT at the deadline, WEFT__PARK_AGAIN when the
 * value differed (or no parker could be had: then after a short sleep). */
int weft__park(const uintptr_t *addr, uintptr_t expected, int64_t deadline, void *park_arg);
/* weft__park, with (watching) or without a short watch for the wake-up
 * before the OS sleep (weft__park watches, adapting the watch's length to
 * how soon wake-ups lately came on this address's bucket). Without: for
 * waiters whose wakers should not pay for a wake-up that comes too soon (a
 * queue's getters, which rather let items pile up; a lock's waiters, who
 * spun already and race when woken). */
int weft__park_watch(const uintptr_t *addr, uintptr_t expected, int64_t deadline, void *park_arg,
                     bool watching);
/* weft__park on addr with the value check made on another word: park on
 * addr if *check still equals expected (read under addr's bucket lock),
 * watching as weft__park does. For objects with two queues over one state
 * word (the rwlock's writers). */
int weft__park_on(const void *addr, const uintptr_t *check, uintptr_t expected, int64_t deadline,
                  void *park_arg);
/* Like weft__park_watch without the value check: enqueue, then call
 * before_sleep(arg) outside the lot's lock, then wait. WEFT_ENOMEM (and
 * before_sleep not called) when the calling thread has no record. */
int weft__park_then(const void *addr, void (*before_sleep)(void *), void *arg, int64_t deadline,
                    void *park_arg, bool watching);
/* Wake the longest-parked thread on addr. If fn is set, it runs first,
 * under the lot's lock, with that thread's park_arg (NULL if none) and
 * whether others would remain parked on addr; if it returns false nobody is
 * woken. Returns true if a thread was woken. */
bool weft__unpark_one(const void *addr, bool (*fn)(void *arg, void *park_arg, bool more),
                      void *arg);
/* Wake every thread parked on addr; returns how many. */
size_t weft__unpark_all(const void *addr);
/* The same, with publish(arg) run first under the lot's lock: for a waker
 * that must change the word and wake in one step, so that a thread that
 * parks after the change is not woken by it (it sees the change instead). */
size_t weft__unpark_all_after(const void *addr, void (*publish)(void *arg), void *arg);
/* Wake every thread parked on addr, or nobody: decide(arg, n) runs first
 * under the lot's lock, with n the number parked on addr, and says whether
 * they are woken; if so, mark(arg, park_arg) runs for each, in FIFO order,
 * under the same lock (mark may be NULL). For a waker that must change the
 * word by how many it wakes (an rwlock's writer granting every parked
 * reader). Returns how many were woken. */
size_t weft__unpark_all_if(const void *addr, bool (*decide)(void *arg, size_t n),
                           void (*mark)(void *arg, void *park_arg), void *arg);
/* Move up to n threads parked on `from`, longest-parked first, to the end
 * of `to`'s queue, without waking them; *moved says how many. may_move(arg)
 * runs under both queues' locks before the first one moves: if it returns
 * false nothing moves and the result is WEFT_EAGAIN. A moved thread wakes
 * only when `to` is unparked, and its park then counts as woken. */
int weft__requeue(const void *from, const void *to, size_t n, bool (*may_move)(void *arg),
                  void *arg, size_t *moved);

/* Spinning, rationed: at most half the CPUs spin at once (none on one CPU,
 * where the thread awaited needs it), so an oversubscribed machine parks
 * instead of stealing CPUs. weft__spin_enter is true if the caller may spin
 * now; then it must call weft__spin_leave when done. */
bool weft__spin_enter(void);
void weft__spin_leave(void);
/* Spin (pausing, no system call) until done(arg) is true, at most `pauses`
 * pauses: for what another thread is about to do. False if it did not come
 * or spinning was not allowed. */
bool weft__spin_for(bool (*done)(void *arg), void *arg, unsigned pauses);

#endif /* WEFT_PARK_H */
