/* Foreign threads for the posix backend: raw pthreads. */
#if defined(__linux__)
#define _GNU_SOURCE /* pthread_setaffinity_np, cpu_set_t */
#endif
#include "foreign.h"
#include "test.h"

#include <pthread.h>
#if defined(__linux__)
#include <sched.h>
#endif
#include <unistd.h>

struct test_foreign {
  pthread_t thread;
  void (*fn)(void *);
  void *arg;
};

static void *foreign_entry(void *p) {
  test_foreign *f = p;
  f->fn(f->arg);
  return NULL;
}

test_foreign *test_foreign_start(void (*fn)(void *), void *arg) {
  test_foreign *f = malloc(sizeof *f);
  CHECK(f != NULL);
  f->fn = fn;
  f->arg = arg;
  CHECK_EQ(pthread_create(&f->thread, NULL, foreign_entry, f), 0);
  return f;
}

void test_foreign_join(test_foreign *f) {
  CHECK_EQ(pthread_join(f->thread, NULL), 0);
  free(f);
}

bool test_os_thread_name(uint64_t native_id, char *buf, size_t size, size_t *limit) {
  return test_proc_thread_name(native_id, buf, size, limit);
}

#if defined(__linux__)
bool test_pin_self(unsigned cpu, const char **why) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(getpid(), sizeof allowed, &allowed) != 0) {
    *why = "sched_getaffinity failed";
    return false;
  }
  unsigned seen = 0;
  for (int i = 0; i < CPU_SETSIZE; i++) {
    if (!CPU_ISSET(i, &allowed) || seen++ != cpu) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(i, &one);
    if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0) return true;
    *why = "pthread_setaffinity_np failed";
    return false;
  }
  *why = "the process may run on fewer CPUs than that";
  return false;
}
#else
bool test_pin_self(unsigned cpu, const char **why) {
  (void)cpu;
  *why = "no call pins a thread to a CPU here (macOS has none)";
  return false;
}
#endif
