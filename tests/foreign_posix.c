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
