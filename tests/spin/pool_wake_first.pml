/* NEGATIVE model, kept so that the spin row proves it can fail: a submit
 * that decides whether a worker is needed before it queues its task. spin
 * must find an assertion violation here; the test passes only if it does.
 *
 * It is pool.pml with WAKE_BEFORE_ENQUEUE: the submitter takes the lock,
 * sees a worker looking (count + 1 <= looking) and so wakes nobody, lets
 * the lock go, and takes it again to queue the task. In between the worker
 * finds the ring empty and goes to sleep on the idle stack: the task is
 * left in the ring with every worker asleep (pool.pml's "no task left"
 * assertion, or the lot's "nobody asleep" one, fails).
 */
#define WAKE_BEFORE_ENQUEUE
#include "pool.pml"
