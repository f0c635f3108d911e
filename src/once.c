/* weft_call_once: one word.
 *   0                    fn has not run
 *   DONE                 fn has returned
 *   RUNNING | WAITING?   fn is running, in the thread whose ident fills the
 *     | ident << 3       bits above (a re-entrant call finds itself there)
 * Threads that find it running set WAITING and park until the runner is
 * done. On a 32-bit word the ident is cut to 29 bits: a false EDEADLK would
 * need two threads whose idents agree there, one inside fn. */
#include "park.h"
#include "self.h"
#include "tsan.h"

#define RUNNING ((uintptr_t)1)
#define WAITING ((uintptr_t)2)
#define DONE ((uintptr_t)4)
#define OWNER_SHIFT 3

static uintptr_t owner_bits(void) {
  return (uintptr_t)(weft_get_ident() << OWNER_SHIFT);
}

static int do_call_once(weft_once *o, void (*fn)(void *), void *arg) {
  if (!o || !fn) return WEFT_EINVAL;
  uintptr_t v = weft__load(&o->state_, memory_order_acquire);
  if (v == DONE) return WEFT_OK;
  uintptr_t me = owner_bits();
  for (;;) {
    if (v == DONE) return WEFT_OK;
    if (v == 0) {
      if (!weft__cas(&o->state_, &v, RUNNING | me, memory_order_acquire)) continue;
      fn(arg);
      weft__tsan_release(o); /* what fn did, for every later caller */
      uintptr_t was = weft__exchange(&o->state_, DONE, memory_order_acq_rel);
      assert((was & ~WAITING) == (RUNNING | me)); /* nobody else ran it meanwhile */
      if (was & WAITING) weft__unpark_all(&o->state_);
      return WEFT_OK;
    }
    if ((v & ~(RUNNING | WAITING)) == me) return WEFT_EDEADLK; /* called from its own fn */
    if (!(v & WAITING) && !weft__cas(&o->state_, &v, v | WAITING, memory_order_relaxed)) continue;
    weft__waiting(WEFT__WAIT_ONCE, o, 0, 0);
    weft__park(&o->state_, v | WAITING, WEFT__FOREVER, NULL);
    v = weft__load(&o->state_, memory_order_acquire);
  }
}

int weft_call_once(weft_once *o, void (*fn)(void *), void *arg) {
  return weft__tsan_acquired(o, do_call_once(o, fn, arg));
}
