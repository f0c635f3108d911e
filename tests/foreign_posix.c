/* Foreign threads for the posix backend: raw pthreads. */
#include "foreign.h"
#include "test.h"

#include <pthread.h>

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

int test_os_thread_count(void) {
  return test_proc_thread_count();
}

bool test_os_thread_name(uint64_t native_id, char *buf, size_t size, size_t *limit) {
  return test_proc_thread_name(native_id, buf, size, limit);
}
