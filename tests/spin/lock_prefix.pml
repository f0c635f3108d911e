/* NEGATIVE model, kept so that the spin row proves it can fail: weft_lock's
 * release before the fix (src/lock.c until then). spin must find an
 * assertion violation here; the test passes only if it does.
 *
 * It is lock.pml with PRE_FIX_RELEASE: a release that sees PARKED leaves
 * its loop and calls weft__unpark_one, whose callback (on_unpark) stores
 * (more ? PARKED : 0) | (hand-off ? LOCKED : 0) without looking at LOCKED.
 * Two releases of one held lock that both see PARKED both store, and both
 * return OK: the second "releases" a free lock (lock.pml's ghost holders
 * would go below zero), or one the waiter was just handed.
 */
#define PRE_FIX_RELEASE
#include "lock.pml"
