/* raw_rwlock.h for POSIX systems (the posix and c11 backends):
 * pthread_rwlock_t with default attributes, getrusage for CPU time. */
#define _POSIX_C_SOURCE 200809L
#include "raw_rwlock.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/time.h>

const char raw_rwlock_name[] = "pthread_rwlock_t";
const char raw_cpu_clock_name[] = "getrusage";

_Static_assert(sizeof(pthread_rwlock_t) <= sizeof(((raw_rwlock *)0)->os), "pthread_rwlock_t fits");

static pthread_rwlock_t *rwlock_of(raw_rwlock *l) {
  return (pthread_rwlock_t *)(void *)l->os;
}

int raw_rwlock_init(raw_rwlock *l) {
  return pthread_rwlock_init(rwlock_of(l), NULL);
}

void raw_rwlock_destroy(raw_rwlock *l) {
  pthread_rwlock_destroy(rwlock_of(l));
}

uint64_t raw_rwlock_read_loop(raw_rwlock *l, const rw_data *d, uint64_t n, int *bad) {
  pthread_rwlock_t *rw = rwlock_of(l);
  const volatile rw_data *v = d;
  uint64_t torn = 0;
  for (uint64_t i = 0; i < n; i++) {
    *bad |= pthread_rwlock_rdlock(rw);
    torn += v->a != v->b;
    *bad |= pthread_rwlock_unlock(rw);
  }
  return torn;
}

int raw_rwlock_write(raw_rwlock *l, rw_data *d) {
  volatile rw_data *v = d;
  int bad = pthread_rwlock_wrlock(rwlock_of(l));
  v->a++;
  v->b++;
  return bad | pthread_rwlock_unlock(rwlock_of(l));
}

double raw_cpu_seconds(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}
