/* Helpers shared by every test file (see test.h). */
#include "test.h"
#include "foreign.h"

#include <stdarg.h>

void test_fail_(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stdout, "%s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fprintf(stdout, "\n");
  /* A chaos build's failure is replayed with its seed. */
  const char *seed = getenv("WEFT_CHAOS_SEED");
  if (seed) fprintf(stdout, "(WEFT_CHAOS_SEED=%s)\n", seed);
  fflush(stdout);
  /* _Exit: a failure must not then wait (at exit) for the threads that the
   * failed test left running. */
  _Exit(1);
}

void test_skip(const char *why) {
  printf("SKIP: %s\n", why);
  fflush(stdout);
  _Exit(77);
}

const char *test_status_name(int status) {
  static const char *const names[] = {
      "WEFT_OK",      "WEFT_TIMEOUT",   "WEFT_EINVAL", "WEFT_ESTATE",    "WEFT_EPERM",
      "WEFT_EDEADLK", "WEFT_ENOMEM",    "WEFT_EAGAIN", "WEFT_EOVERFLOW", "WEFT_ESHUTDOWN",
      "WEFT_EBROKEN", "WEFT_ECANCELED", "WEFT_ENOTSUP"};
  if (status < 0 || status >= (int)(sizeof names / sizeof names[0])) return "?";
  return names[status];
}

void test_flag_set(test_flag *f) {
  atomic_store(&f->v, 1);
}

bool test_flag_get(test_flag *f) {
  return atomic_load(&f->v) != 0;
}

void test_flag_wait(test_flag *f) {
  double t0 = weft_monotonic();
  while (!test_flag_get(f)) {
    if (weft_monotonic() - t0 > 30.0) test_fail_(__FILE__, __LINE__, "flag not set after 30 s");
    weft_sleep(0.001);
  }
}

void test_await_count(atomic_int *v, int want) {
  double t0 = weft_monotonic();
  while (atomic_load(v) < want) {
    double waited = weft_monotonic() - t0;
    if (waited > 30.0)
      test_fail_(__FILE__, __LINE__, "count %d, still short of %d after 30 s", atomic_load(v),
                 want);
    /* Counts usually arrive within microseconds: yield for the first two
     * milliseconds rather than sleep a whole one each time. */
    if (waited < 0.002)
      weft_yield();
    else
      weft_sleep(0.001);
  }
}

weft_thread *test_spawn(weft_fn fn, void *arg) {
  weft_thread *t = weft_thread_new(fn, arg);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  return t;
}

void test_join(weft_thread *t) {
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  weft_thread_unref(t);
}

long test_scaled(long n) {
  const char *s = getenv("WEFT_STRESS_SCALE");
  double scale = s && *s ? atof(s) : 1.0;
  double v = (double)n * scale;
  if (!(v >= 1.0)) return 1;
  return (long)v;
}

bool test_proc_thread_name(uint64_t native_id, char *buf, size_t size, size_t *limit) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%" PRIu64 "/comm", native_id);
  FILE *f = fopen(path, "r");
  if (!f) return false;
  bool ok = fgets(buf, (int)size, f) != NULL;
  fclose(f);
  if (!ok) return false;
  buf[strcspn(buf, "\n")] = '\0';
  *limit = 15;
  return true;
}

int test_fork(void (*child)(void), const char **why) {
  long pid = test_fork_begin(why);
  if (pid < 0) return -1;
  if (pid == 0) {
    child();
    fflush(stdout);
    _Exit(0);
  }
  int status = test_fork_wait(pid, 30.0);
  if (status == -2) test_fail_(__FILE__, __LINE__, "the forked child still ran after 30 s");
  return status;
}

int test_proc_thread_count(void) {
  /* /proc/self/status's "Threads:" line: no directory walking needed. */
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[128];
  int n = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Threads: %d", &n) == 1) break;
  fclose(f);
  return n;
}
