/* Foreign threads for the posix backend: raw pthreads. */
#include "foreign.h"
#include "test.h"

#include <pthread.h>
#include <sys/wait.h>
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

#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif

int test_fork(void (*child)(void), const char **why) {
  (void)why;
  /* The tools, not the OS, lack it: say which. */
#if defined(TEST_TSAN)
  *why = "ThreadSanitizer cannot start threads after a multithreaded fork";
  return -1;
#endif
#if defined(TEST_QEMU_USER)
  *why = "qemu-user cannot run threads in a child of a multithreaded fork";
  return -1;
#endif
  fflush(stdout);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    child();
    _exit(0);
  }
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
