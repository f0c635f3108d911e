/* raw.h for the c11 backend: mtx_t (mtx_plain), cnd_t (timed waits on
 * TIME_UTC, the only clock C11 gives them), a tss_t key and
 * thrd_create/join. */
#include "raw.h"
#include "lock_loop.h"

#include <string.h>
#include <threads.h>
#include <time.h>

const char raw_mutex_name[] = "mtx_t";
const char raw_cond_name[] = "cnd_t";
const char raw_tls_name[] = "tss_get";
const char raw_thread_name[] = "thrd_create/join";
const char raw_sleep_name[] = "thrd_sleep";

_Static_assert(sizeof(mtx_t) <= sizeof(((raw_mutex *)0)->os), "mtx_t fits");
_Static_assert(sizeof(cnd_t) <= sizeof(((raw_cond *)0)->os), "cnd_t fits");
_Static_assert(sizeof(thrd_t) <= sizeof(((raw_thread *)0)->os), "thrd_t fits");

static mtx_t *mutex_of(raw_mutex *m) {
  return (mtx_t *)(void *)m->os;
}

static cnd_t *cond_of(raw_cond *c) {
  return (cnd_t *)(void *)c->os;
}

static int check(int r) {
  return r == thrd_success ? 0 : -1;
}

int raw_mutex_init(raw_mutex *m) {
  return check(mtx_init(mutex_of(m), mtx_plain));
}

void raw_mutex_destroy(raw_mutex *m) {
  mtx_destroy(mutex_of(m));
}

int raw_mutex_lock(raw_mutex *m) {
  return check(mtx_lock(mutex_of(m)));
}

int raw_mutex_unlock(raw_mutex *m) {
  return check(mtx_unlock(mutex_of(m)));
}

static int lock_fn(void *m) {
  return mtx_lock(m) == thrd_success ? 0 : -1;
}

static int unlock_fn(void *m) {
  return mtx_unlock(m) == thrd_success ? 0 : -1;
}

void raw_mutex_run(raw_mutex *m, lock_worker *w) {
  lock_worker_run(w, lock_fn, unlock_fn, mutex_of(m));
}

int raw_cond_init(raw_cond *c) {
  return check(cnd_init(cond_of(c)));
}

void raw_cond_destroy(raw_cond *c) {
  cnd_destroy(cond_of(c));
}

int raw_cond_wait(raw_cond *c, raw_mutex *m) {
  return check(cnd_wait(cond_of(c), mutex_of(m)));
}

int raw_cond_wait_until(raw_cond *c, raw_mutex *m, int64_t deadline) {
  struct timespec ts = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};
  int r = cnd_timedwait(cond_of(c), mutex_of(m), &ts);
  return r == thrd_success || r == thrd_timedout ? 0 : -1;
}

int raw_cond_signal(raw_cond *c) {
  return check(cnd_signal(cond_of(c)));
}

int raw_cond_broadcast(raw_cond *c) {
  return check(cnd_broadcast(cond_of(c)));
}

/* thrd_sleep takes a duration: sleep what is left until the deadline. */
int raw_sleep_until(int64_t deadline) {
  for (;;) {
    int64_t left = deadline - raw_clock_ns();
    if (left <= 0) return 0;
    struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
    if (thrd_sleep(&ts, NULL) < -1) return -1; /* -1: interrupted */
  }
}

int64_t raw_clock_ns(void) {
  struct timespec ts = {0, 0};
  timespec_get(&ts, TIME_UTC);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static tss_t key;

int raw_tls_init(void) {
  return check(tss_create(&key, NULL));
}

void raw_tls_destroy(void) {
  tss_delete(key);
}

int raw_tls_set(void *value) {
  return check(tss_set(key, value));
}

uintptr_t raw_tls_loop(uint64_t n) {
  uintptr_t sum = 0;
  for (uint64_t i = 0; i < n; i++)
    sum += (uintptr_t)tss_get(key);
  return sum;
}

static int entry(void *arg) {
  raw_thread *t = arg;
  t->fn(t->arg);
  return 0;
}

int raw_thread_start(raw_thread *t, void (*fn)(void *), void *arg) {
  t->fn = fn;
  t->arg = arg;
  thrd_t id;
  if (thrd_create(&id, entry, t) != thrd_success) return -1;
  memcpy(t->os, &id, sizeof id);
  return 0;
}

int raw_thread_join(raw_thread *t) {
  thrd_t id;
  memcpy(&id, t->os, sizeof id);
  return check(thrd_join(id, NULL));
}
