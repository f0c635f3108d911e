/* NEGATIVE model, kept so that the spin row proves it can fail: a future
 * made done by a store after a check under its lock, rather than by a CAS.
 * spin must find an assertion violation here; the test passes only if it
 * does.
 *
 * It is future.pml with CHECK_THEN_STORE: a cancel finds the future
 * pending under the lock; the worker, which starts a task with a CAS and
 * no lock, makes it RUNNING; the cancel then stores CANCELLED over it and
 * returns OK while the task runs (future.pml's "a task whose cancel
 * returned OK never runs", or the worker's own finish, fails).
 */
#define CHECK_THEN_STORE
#include "future.pml"
