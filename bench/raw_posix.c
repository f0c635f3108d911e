/* raw.h for the posix backend: pthread_mutex_t and pthread_create/join. */
#include "raw.h"

#include <pthread.h>
#include <string.h>

const char raw_mutex_name[] = "pthread_mutex_t";
const char raw_thread_name[] = "pthread_create/join";

static struct { _Alignas(64) pthread_mutex_t m; } mutex;

_Static_assert(sizeof(pthread_t) <= sizeof(((raw_thread *)0)->os), "pthread_t fits");

int raw_mutex_init(void) {
  return pthread_mutex_init(&mutex.m, NULL);
}

void raw_mutex_destroy(void) {
  pthread_mutex_destroy(&mutex.m);
}

int raw_mutex_loop(uint64_t *counter, uint64_t n) {
  int bad = 0;
  for (uint64_t i = 0; i < n; i++) {
    bad |= pthread_mutex_lock(&mutex.m);
    ++*counter;
    bad |= pthread_mutex_unlock(&mutex.m);
  }
  return bad;
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
