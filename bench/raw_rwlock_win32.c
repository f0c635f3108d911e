/* raw_rwlock.h for Windows: SRWLOCK (shared and exclusive), and
 * GetProcessTimes for CPU time. */
#define WIN32_LEAN_AND_MEAN
#include "raw_rwlock.h"

#include <windows.h>

const char raw_rwlock_name[] = "SRWLOCK";
const char raw_cpu_clock_name[] = "GetProcessTimes";

_Static_assert(sizeof(SRWLOCK) <= sizeof(((raw_rwlock *)0)->os), "SRWLOCK fits");

static SRWLOCK *rwlock_of(raw_rwlock *l) {
  return (SRWLOCK *)(void *)l->os;
}

int raw_rwlock_init(raw_rwlock *l) {
  InitializeSRWLock(rwlock_of(l));
  return 0;
}

void raw_rwlock_destroy(raw_rwlock *l) {
  (void)l; /* nothing to free */
}

uint64_t raw_rwlock_read_loop(raw_rwlock *l, const rw_data *d, uint64_t n, int *bad) {
  SRWLOCK *rw = rwlock_of(l);
  const volatile rw_data *v = d;
  uint64_t torn = 0;
  (void)bad; /* SRWLOCK calls cannot fail */
  for (uint64_t i = 0; i < n; i++) {
    AcquireSRWLockShared(rw);
    torn += v->a != v->b;
    ReleaseSRWLockShared(rw);
  }
  return torn;
}

int raw_rwlock_write(raw_rwlock *l, rw_data *d) {
  volatile rw_data *v = d;
  AcquireSRWLockExclusive(rwlock_of(l));
  v->a++;
  v->b++;
  ReleaseSRWLockExclusive(rwlock_of(l));
  return 0;
}

static double seconds_of(FILETIME ft) {
  return (double)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime) / 1e7;
}

double raw_cpu_seconds(void) {
  FILETIME created, exited, kernel, user;
  if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)) return 0;
  return seconds_of(kernel) + seconds_of(user);
}
