/* NEGATIVE model, kept so that the spin row proves it can fail: a worker
 * that lets its task's result show before it counts itself looking again.
 * spin must find an assertion violation here; the test passes only if it
 * does.
 *
 * It is pool.pml with LOOKING_AFTER_RESULT: the sequential submitter sees
 * its result, submits the next task, finds nobody looking and no idle
 * worker, and starts a second worker although the first is about to be
 * free: "three tasks one after another leave one worker" fails.
 */
#define LOOKING_AFTER_RESULT
#include "pool.pml"
