/* weft_call_once: a word that goes 0 -> RUNNING -> DONE; threads that find
 * it RUNNING set WAITING and park until the runner is done. */
#include "internal.h"

#define RUNNING ((uintptr_t)1)
#define WAITING ((uintptr_t)2)
#define DONE ((uintptr_t)4)

int weft_call_once(weft_once *o, void (*fn)(void *), void *arg) {
  if (!o || !fn) return WEFT_EINVAL;
  uintptr_t v = weft__load(&o->state_, memory_order_acquire);
  if (v == DONE) return WEFT_OK;
  for (;;) {
    if (v == DONE) return WEFT_OK;
    if (v == 0) {
      if (!weft__cas(&o->state_, &v, RUNNING, memory_order_acquire)) continue;
      fn(arg);
      if (weft__exchange(&o->state_, DONE, memory_order_acq_rel) & WAITING)
        weft__unpark_all(&o->state_);
      return WEFT_OK;
    }
    if (!(v & WAITING) && !weft__cas(&o->state_, &v, v | WAITING, memory_order_relaxed)) continue;
    weft__park(&o->state_, RUNNING | WAITING, WEFT__FOREVER, NULL);
    v = weft__load(&o->state_, memory_order_acquire);
  }
}
