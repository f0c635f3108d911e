/* Foreign threads for the c11 backend: thrd_create. */
#include "foreign.h"
#include "test.h"

#include <threads.h>

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

int test_os_thread_count(void) {
  return test_proc_thread_count();
}

bool test_os_thread_name(uint64_t native_id, char *buf, size_t size, size_t *limit) {
  return test_proc_thread_name(native_id, buf, size, limit);
}
