/* raw.h for the posix backend: pthread_mutex_t, pthread_cond_t (on
 * CLOCK_MONOTONIC where the OS lets a condition use it), a pthread key and
 * pthread_create/join. */
#define _POSIX_C_SOURCE 200809L
#include "raw.h"
#include "lock_loop.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char raw_mutex_name[] = "pthread_mutex_t";
const char raw_cond_name[] = "pthread_cond_t";
const char raw_tls_name[] = "pthread_getspecific";
const char raw_thread_name[] = "pthread_create/join";
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0
const char raw_sleep_name[] = "clock_nanosleep";
#else
const char raw_sleep_name[] = "nanosleep";
#endif

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(((raw_mutex *)0)->os), "pthread_mutex_t fits");
_Static_assert(sizeof(pthread_cond_t) <= sizeof(((raw_cond *)0)->os), "pthread_cond_t fits");
_Static_assert(sizeof(pthread_t) <= sizeof(((raw_thread *)0)->os), "pthread_t fits");

static pthread_mutex_t *mutex_of(raw_mutex *m) {
  return (pthread_mutex_t *)(void *)m->os;
}

static pthread_cond_t *cond_of(raw_cond *c) {
  return (pthread_cond_t *)(void *)c->os;
}

int raw_mutex_init(raw_mutex *m) {
  return pthread_mutex_init(mutex_of(m), NULL);
}

void raw_mutex_destroy(raw_mutex *m) {
  pthread_mutex_destroy(mutex_of(m));
}

int raw_mutex_lock(raw_mutex *m) {
  return pthread_mutex_lock(mutex_of(m));
}

int raw_mutex_unlock(raw_mutex *m) {
  return pthread_mutex_unlock(mutex_of(m));
}

static int lock_fn(void *m) {
  return pthread_mutex_lock(m);
}

static int unlock_fn(void *m) {
  return pthread_mutex_unlock(m);
}

void raw_mutex_run(raw_mutex *m, lock_worker *w) {
  lock_worker_run(w, lock_fn, unlock_fn, mutex_of(m));
}

/* Without pthread_condattr_setclock (macOS) timed waits take the wall
 * clock, so raw_clock_ns reads that one. */
#if defined(WEFT_HAVE_CONDATTR_SETCLOCK)
#define RAW_CLOCK CLOCK_MONOTONIC
#else
#define RAW_CLOCK CLOCK_REALTIME
#endif

int raw_cond_init(raw_cond *c) {
#if defined(WEFT_HAVE_CONDATTR_SETCLOCK)
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr) != 0) return -1;
  int bad = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  bad |= pthread_cond_init(cond_of(c), &attr);
  pthread_condattr_destroy(&attr);
  return bad;
#else
  return pthread_cond_init(cond_of(c), NULL);
#endif
}

void raw_cond_destroy(raw_cond *c) {
  pthread_cond_destroy(cond_of(c));
}

int raw_cond_wait(raw_cond *c, raw_mutex *m) {
  return pthread_cond_wait(cond_of(c), mutex_of(m));
}

int raw_cond_wait_until(raw_cond *c, raw_mutex *m, int64_t deadline) {
  struct timespec ts = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};
  int r = pthread_cond_timedwait(cond_of(c), mutex_of(m), &ts);
  return r == ETIMEDOUT ? 0 : r;
}

int raw_cond_signal(raw_cond *c) {
  return pthread_cond_signal(cond_of(c));
}

int raw_cond_broadcast(raw_cond *c) {
  return pthread_cond_broadcast(cond_of(c));
}

/* clock_nanosleep to an absolute deadline where there is one; macOS has
 * only nanosleep, which takes what is left. */
int raw_sleep_until(int64_t deadline) {
  for (;;) {
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION > 0
    struct timespec ts = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};
    int r = clock_nanosleep(RAW_CLOCK, TIMER_ABSTIME, &ts, NULL);
    if (r == 0) return 0;
    if (r != EINTR) return -1;
#else
    int64_t left = deadline - raw_clock_ns();
    if (left <= 0) return 0;
    struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
    if (nanosleep(&ts, NULL) != 0 && errno != EINTR) return -1;
#endif
  }
}

int64_t raw_clock_ns(void) {
  struct timespec ts;
  clock_gettime(RAW_CLOCK, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static pthread_key_t key;

int raw_tls_init(void) {
  return pthread_key_create(&key, NULL);
}

void raw_tls_destroy(void) {
  pthread_key_delete(key);
}

int raw_tls_set(void *value) {
  return pthread_setspecific(key, value);
}

uintptr_t raw_tls_loop(uint64_t n) {
  uintptr_t sum = 0;
  for (uint64_t i = 0; i < n; i++)
    sum += (uintptr_t)pthread_getspecific(key);
  return sum;
}

static void *entry(void *arg) {
  raw_thread *t = arg;
  t->fn(t->arg);
  return NULL;
}

int raw_thread_start(raw_thread *t, void (*fn)(void *), void *arg) {
  t->fn = fn;
  t->arg = arg;
  pthread_t id;
  if (pthread_create(&id, NULL, entry, t) != 0) return -1;
  memcpy(t->os, &id, sizeof id);
  return 0;
}

int raw_thread_join(raw_thread *t) {
  pthread_t id;
  memcpy(&id, t->os, sizeof id);
  return pthread_join(id, NULL) == 0 ? 0 : -1;
}
