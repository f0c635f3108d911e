/* The posix parker. With futex (Linux) it is one word:
 *   0 empty   1 permit given   2 owner asleep in futex_wait
 * so unpark makes a system call only when the owner sleeps. Elsewhere a
 * mutex and a condition variable guard a permit flag, with monotonic
 * deadlines where the OS offers them and bounded wall-clock slices where it
 * does not. */
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include "internal.h"
#include "posix.h"

#include <time.h>

#if defined(WEFT_HAVE_FUTEX)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EMPTY 0u
#define PERMIT 1u
#define ASLEEP 2u

void weft__parker_init(weft__parker *p) {
  p->word = EMPTY;
}

void weft__parker_destroy(weft__parker *p) {
  (void)p;
}

int weft__parker_park(weft__parker *p, int64_t deadline) {
  for (;;) {
    uint32_t v = PERMIT;
    if (weft__atomic_cas32(&p->word, &v, EMPTY, memory_order_acquire)) return WEFT_OK;
    struct timespec ts, *timeout = NULL;
    if (deadline != WEFT__FOREVER) {
      int64_t left = deadline - weft__port_now();
      if (left <= 0) /* take a permit that raced in; else give up */
        return weft__atomic_exchange32(&p->word, EMPTY, memory_order_acquire) == PERMIT
                   ? WEFT_OK
                   : WEFT_TIMEOUT;
      ts = weft__timespec(left);
      timeout = &ts;
    }
    v = EMPTY;
    if (!weft__atomic_cas32(&p->word, &v, ASLEEP, memory_order_relaxed) && v != ASLEEP)
      continue; /* a permit arrived */
    syscall(SYS_futex, &p->word, FUTEX_WAIT_PRIVATE, ASLEEP, timeout, NULL, 0);
  }
}

void weft__parker_unpark(weft__parker *p) {
  if (weft__atomic_exchange32(&p->word, PERMIT, memory_order_release) == ASLEEP)
    syscall(SYS_futex, &p->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

#else /* mutex + condition variable */

#define SLICE_NS 50000000 /* wall-clock slice when no monotonic wait exists */

void weft__parker_init(weft__parker *p) {
  pthread_mutex_init(&p->mutex, NULL);
#if defined(WEFT_HAVE_CONDATTR_SETCLOCK)
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&p->cond, &attr);
  pthread_condattr_destroy(&attr);
#else
  pthread_cond_init(&p->cond, NULL);
#endif
  p->permit = 0;
}

void weft__parker_destroy(weft__parker *p) {
  pthread_cond_destroy(&p->cond);
  pthread_mutex_destroy(&p->mutex);
}

/* One timed wait towards the deadline; returns may be early or spurious. */
static void wait_some(weft__parker *p, int64_t deadline, int64_t now) {
#if defined(WEFT_HAVE_CONDATTR_SETCLOCK)
  (void)now;
  struct timespec ts = weft__timespec(deadline);
  pthread_cond_timedwait(&p->cond, &p->mutex, &ts);
#elif defined(WEFT_HAVE_COND_TIMEDWAIT_RELATIVE_NP)
  struct timespec ts = weft__timespec(deadline - now);
  pthread_cond_timedwait_relative_np(&p->cond, &p->mutex, &ts);
#else
  /* Only the wall clock: wait in short slices and re-check the monotonic
   * deadline, so a clock step cannot stretch the wait past one slice. */
  int64_t left = deadline - now;
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  int64_t until =
      (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec + (left < SLICE_NS ? left : SLICE_NS);
  struct timespec ts = weft__timespec(until);
  pthread_cond_timedwait(&p->cond, &p->mutex, &ts);
#endif
}

int weft__parker_park(weft__parker *p, int64_t deadline) {
  int status = WEFT_OK;
  pthread_mutex_lock(&p->mutex);
  while (!p->permit) {
    if (deadline == WEFT__FOREVER) {
      pthread_cond_wait(&p->cond, &p->mutex);
      continue;
    }
    int64_t now = weft__port_now();
    if (now >= deadline) {
      status = WEFT_TIMEOUT;
      break;
    }
    wait_some(p, deadline, now);
  }
  if (p->permit) {
    p->permit = 0;
    status = WEFT_OK;
  }
  pthread_mutex_unlock(&p->mutex);
  return status;
}

void weft__parker_unpark(weft__parker *p) {
  pthread_mutex_lock(&p->mutex);
  p->permit = 1;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->mutex);
}

#endif
