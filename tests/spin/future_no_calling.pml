/* NEGATIVE model, kept so that the spin row proves it can fail: done
 * callbacks without the `calling` state. spin must find an assertion
 * violation here; the test passes only if it does.
 *
 * It is future.pml with NO_CALLING: a callback added once the future is
 * done runs at once in the adder, even while the completer is still
 * running the callbacks it took: the later callback runs before earlier
 * ones (future.pml's "in the order added" assertion fails).
 */
#define NO_CALLING
#include "future.pml"
