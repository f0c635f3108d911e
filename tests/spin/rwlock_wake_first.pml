/* NEGATIVE model, kept so that the spin row proves it can fail: a writer's
 * release that wakes the parked readers before it adds them to the word.
 * spin must find an assertion violation here; the test passes only if it
 * does.
 *
 * It is rwlock.pml with WAKE_BEFORE_PUBLISH: grant_readers takes every
 * parked reader and gives each its permit, and only afterwards, outside the
 * lot's lock, clears WRITER and adds the readers to the count. A woken
 * reader can run its critical section, and release, before the word shows
 * it: it is inside while the word still says a writer holds the lock (the
 * "word says what holds it" assertion), and its release finds no reader to
 * release.
 */
#define WAKE_BEFORE_PUBLISH
#include "rwlock.pml"
