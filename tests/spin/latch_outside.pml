/* NEGATIVE model, kept so that the spin row proves it can fail: a latch
 * whose count-down writes the zero outside the lot's lock. spin must find
 * an assertion violation here; the test passes only if it does.
 *
 * It is latch.pml with ZERO_OUTSIDE_LOCK: the last count-down writes 0
 * with a CAS and only then calls weft__unpark_all. In between, the Reuser
 * sees the zero, starts a new phase (init 1) and a Waiter of that phase
 * parks; the first phase's wake-up then ends the new wait with OK although
 * the count was never zero during it (the overlap assertion).
 */
#define ZERO_OUTSIDE_LOCK
#include "latch.pml"
