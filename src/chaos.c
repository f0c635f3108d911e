/* The chaos build's schedule perturbation (see internal.h). Each thread
 * draws from its own xorshift generator, seeded from WEFT_CHAOS_SEED (1 if
 * unset) and the order in which threads first get here, so a failing seed
 * makes the same choices again on a replay (the OS's scheduling still
 * varies). Per step: go on (most often), yield, or sleep 1-50 µs. */
#include "internal.h"

#if defined(WEFT_CHAOS)

#include <stdlib.h>

#define YIELD_PER_1024 48 /* about 1 step in 21 */
#define SLEEP_PER_1024 6  /* about 1 step in 170 */

static uint64_t seed;      /* 0 until read */
static uint64_t n_threads; /* threads that drew so far */
static WEFT__THREAD_LOCAL uint64_t state;

static uint64_t read_seed(void) {
  uint64_t s = weft__atomic_load64(&seed, memory_order_relaxed);
  if (s) return s;
  const char *env = getenv("WEFT_CHAOS_SEED");
  s = env && *env ? strtoull(env, NULL, 10) : 1;
  s = s ? s : 1;
  weft__atomic_store64(&seed, s, memory_order_relaxed);
  return s;
}

static uint64_t next(void) {
  if (!state) {
    uint64_t n = weft__atomic_fetch_add64(&n_threads, 1, memory_order_relaxed) + 1;
    state = read_seed() * UINT64_C(0x9E3779B97F4A7C15) ^ n * UINT64_C(0xBF58476D1CE4E5B9);
    state = state ? state : 1;
  }
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

void weft__chaos(void) {
  uint64_t r = next();
  unsigned pick = (unsigned)(r & 1023);
  if (pick < SLEEP_PER_1024)
    weft__port_sleep((int64_t)(1000 + (r >> 10) % 49000));
  else if (pick < SLEEP_PER_1024 + YIELD_PER_1024)
    weft__port_yield();
}

#else
typedef int weft__chaos_off; /* a translation unit must declare something */
#endif
