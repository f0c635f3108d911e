/* Foreign threads for the c11 backend: thrd_create. */
#if defined(__linux__)
#define _GNU_SOURCE /* sched_setaffinity, cpu_set_t */
#endif
#include "foreign.h"
#include "test.h"

#include <threads.h>
#if defined(__linux__)
#include <sched.h>
#include <unistd.h>
#endif

struct test_foreign {
  thrd_t thread;
  void (*fn)(void *);
  void *arg;
};

static int foreign_entry(void *p) {
  test_foreign *f = p;
  f->fn(f->arg);
  return 0;
}

test_foreign *test_foreign_start(void (*fn)(void *), void *arg) {
  test_foreign *f = malloc(sizeof *f);
  CHECK(f != NULL);
  f->fn = fn;
  f->arg = arg;
  CHECK_EQ(thrd_create(&f->thread, foreign_entry, f), thrd_success);
  return f;
}

void test_foreign_join(test_foreign *f) {
  CHECK_EQ(thrd_join(f->thread, NULL), thrd_success);
  free(f);
}

bool test_os_thread_name(uint64_t native_id, char *buf, size_t size, size_t *limit) {
  return test_proc_thread_name(native_id, buf, size, limit);
}

#if defined(__linux__)
/* C11 has no affinity call; Linux's sched_setaffinity(0) pins the caller. */
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
    if (sched_setaffinity(0, sizeof one, &one) == 0) return true;
    *why = "sched_setaffinity failed";
    return false;
  }
  *why = "the process may run on fewer CPUs than that";
  return false;
}
#else
bool test_pin_self(unsigned cpu, const char **why) {
  (void)cpu;
  *why = "C11 has no call to pin a thread to a CPU, and this is not Linux";
  return false;
}
#endif
