/* NEGATIVE model: the fixed release as first specified, with a plain store.
 * spin must find an assertion violation here; the test passes only if it
 * does.
 *
 * It is lock.pml with PLAIN_STORE_RELEASE: the slow path reloads the word
 * under the lot's lock, returns ESTATE if LOCKED is clear, and otherwise
 * stores (more ? PARKED : 0) | (hand-off ? LOCKED : 0) with a plain store.
 * The lot's lock does not keep the word still: a fast-path release (a CAS
 * from LOCKED to 0) and an acquire take no lot lock. So between the reload
 * and the store, the lock can be released and taken again, and the store
 * then releases it a second time (three OK releases for two acquisitions),
 * or frees the lock under a new holder. lock.pml writes with a CAS from
 * the value it checked, and retries on failure, still under the lot's lock.
 */
#define PLAIN_STORE_RELEASE
#include "lock.pml"
