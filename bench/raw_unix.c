/* The OS half of raw.h for the posix and c11 backends: process CPU from
 * getrusage, the thread count from /proc/self/task, pinning with
 * sched_setaffinity (which, given 0, pins the calling thread: the c11
 * backend has no pthread_t to name it by). The last two are Linux's; macOS
 * has neither, and the benchmarks then report "n/a". */
#define _GNU_SOURCE
#include "raw.h"

#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#if defined(__linux__)
#include <dirent.h>
#include <sched.h>
#endif

static double seconds_of(struct timeval t) {
  return (double)t.tv_sec + (double)t.tv_usec * 1e-6;
}

double raw_process_cpu(void) {
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return -1;
  return seconds_of(u.ru_utime) + seconds_of(u.ru_stime);
}

double raw_thread_cpu(void) {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  struct timespec t;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0)
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
#endif
  return -1;
}

#if defined(__linux__)
int raw_thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static cpu_set_t process_set;

unsigned raw_pin_init(const char **why) {
  CPU_ZERO(&process_set);
  if (sched_getaffinity(0, sizeof process_set, &process_set) != 0) {
    *why = "sched_getaffinity failed";
    return 0;
  }
  return (unsigned)CPU_COUNT(&process_set);
}

int raw_pin_self(int cpu) {
  if (cpu < 0) return sched_setaffinity(0, sizeof process_set, &process_set);
  int seen = 0;
  for (int i = 0; i < CPU_SETSIZE; i++) {
    if (!CPU_ISSET(i, &process_set) || seen++ != cpu) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(i, &one);
    return sched_setaffinity(0, sizeof one, &one);
  }
  return -1;
}
#else
int raw_thread_count(void) {
  return -1;
}

unsigned raw_pin_init(const char **why) {
  *why = "no call pins a thread to a CPU here";
  return 0;
}

int raw_pin_self(int cpu) {
  (void)cpu;
  return -1;
}
#endif
