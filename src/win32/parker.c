/* The win32 parker: one 32-bit word and WaitOnAddress (Windows 8+). */
#include "internal.h"
#include "win32.h"

enum { EMPTY = 0, PERMIT = 1 };

void weft__parker_init(weft__parker *p) {
  weft__atomic_store32(&p->word, EMPTY, memory_order_relaxed);
}

void weft__parker_destroy(weft__parker *p) {
  (void)p; /* WaitOnAddress keeps no state between waits */
}

static DWORD wait_ms(int64_t deadline, int64_t now) {
  if (deadline == WEFT__FOREVER) return INFINITE;
  return weft__win32_ms(deadline - now);
}

/* WaitOnAddress may return spuriously, and its millisecond timeout may end
 * a little before the QPC deadline: loop on the permit and on the clock. */
int weft__parker_park(weft__parker *p, int64_t deadline) {
  for (;;) {
    if (weft__atomic_exchange32(&p->word, EMPTY, memory_order_acquire) == PERMIT) return WEFT_OK;
    int64_t now = deadline == WEFT__FOREVER ? 0 : weft__port_now();
    if (now >= deadline) return WEFT_TIMEOUT;
    uint32_t empty = EMPTY;
    WaitOnAddress(&p->word, &empty, sizeof empty, wait_ms(deadline, now));
  }
}

/* The wake only names the address: it is harmless if the owner has
 * already consumed the permit and moved on. */
void weft__parker_unpark(weft__parker *p) {
  weft__atomic_store32(&p->word, PERMIT, memory_order_release);
  WakeByAddressSingle(&p->word);
}
