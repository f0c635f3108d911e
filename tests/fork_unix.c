/* fork for the backends of Unix-like systems (posix, and c11 where the
 * platform has pthread_atfork): see test_fork_begin in foreign.h. */
#define _POSIX_C_SOURCE 200809L
#include "foreign.h"
#include "test.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif

long test_fork_begin(const char **why) {
  /* The tools, not the OS, lack it: say which. */
#if defined(TEST_TSAN)
  *why = "ThreadSanitizer cannot start threads after a multithreaded fork";
  return -1;
#elif defined(TEST_QEMU_USER)
  *why = "qemu-user cannot run threads in a child of a multithreaded fork";
  return -1;
#elif defined(TEST_NO_FORK_HOOKS)
  *why = "this platform has no pthread_atfork, so the c11 backend cannot follow fork";
  return -1;
#else
  (void)why;
  fflush(stdout);
  pid_t pid = fork();
  CHECK(pid >= 0);
  return (long)pid;
#endif
}

int test_fork_wait(long pid, double timeout) {
  double t0 = weft_monotonic();
  int status = 0;
  for (;;) {
    pid_t r = waitpid((pid_t)pid, &status, WNOHANG);
    CHECK(r >= 0);
    if (r == (pid_t)pid) break;
    if (weft_monotonic() - t0 > timeout) {
      kill((pid_t)pid, SIGKILL);
      waitpid((pid_t)pid, &status, 0);
      return -2;
    }
    weft_sleep(0.001);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
