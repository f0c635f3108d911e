/* raw.h for the c11 backend: mtx_t (mtx_plain) and thrd_create/join. */
#include "raw.h"

#include <string.h>
#include <threads.h>

const char raw_mutex_name[] = "mtx_t";
const char raw_thread_name[] = "thrd_create/join";

static struct { _Alignas(64) mtx_t m; } mutex;

_Static_assert(sizeof(thrd_t) <= sizeof(((raw_thread *)0)->os), "thrd_t fits");

int raw_mutex_init(void) {
  return mtx_init(&mutex.m, mtx_plain) == thrd_success ? 0 : -1;
}

void raw_mutex_destroy(void) {
  mtx_destroy(&mutex.m);
}

int raw_mutex_loop(uint64_t *counter, uint64_t n) {
  int bad = 0;
  for (uint64_t i = 0; i < n; i++) {
    bad |= mtx_lock(&mutex.m) != thrd_success;
    ++*counter;
    bad |= mtx_unlock(&mutex.m) != thrd_success;
  }
  return bad;
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
  return thrd_join(id, NULL) == thrd_success ? 0 : -1;
}
