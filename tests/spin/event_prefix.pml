/* NEGATIVE model, kept so that the spin row proves it can fail: weft_event
 * before the fix (src/event.c until the fixed set()). spin must find an
 * assertion violation here; the test passes only if it does.
 *
 * It is event.pml with PRE_FIX_SET: set() is
 *   old = exchange(state, SET);            -- no bucket lock
 *   if (old & WAITERS) weft__unpark_all(state);
 * and the lot's lock is taken only inside unpark_all. Between the exchange
 * and the wake-up, a waiter can see SET, return, clear the flag and start a
 * new wait that parks; the stale wake-up then ends that new wait with OK
 * although the flag was never set during it: event.pml's "no spurious OK"
 * assertion (overlap) fails.
 */
#define PRE_FIX_SET
#include "event.pml"
