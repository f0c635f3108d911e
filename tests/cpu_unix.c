/* CPUs for the backends of Unix-like systems (posix and c11): how many the
 * process may use, and pinning the calling thread to one (foreign.h). */
#if defined(__linux__)
#define _GNU_SOURCE /* sched_setaffinity, cpu_set_t */
#endif
#include "foreign.h"
#include "test.h"

#include <errno.h>

#if defined(__linux__)
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

static bool allowed_cpus(cpu_set_t *set) {
  CPU_ZERO(set);
  return sched_getaffinity(getpid(), sizeof *set, set) == 0;
}

unsigned test_cpu_count(void) {
  cpu_set_t set;
  return allowed_cpus(&set) ? (unsigned)CPU_COUNT(&set) : weft_cpu_count();
}

/* sched_setaffinity(0) pins the calling thread, whatever created it. */
bool test_pin_self(unsigned cpu, const char **why) {
  cpu_set_t allowed;
  if (!allowed_cpus(&allowed)) {
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
bool test_os_thread_cpus(uint64_t native_id, bool *cpus, size_t n) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity((pid_t)native_id, sizeof set, &set) != 0) return false;
  for (size_t i = 0; i < n; i++)
    cpus[i] = i < CPU_SETSIZE && CPU_ISSET(i, &set);
  return true;
}

/* A Linux thread's nice value, as weft maps the levels: +10 0 -10 -20. */
bool test_os_thread_priority(uint64_t native_id, int *level) {
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, (id_t)native_id);
  if (nice == -1 && errno) return false;
  *level = nice == 10 ? -1 : nice == 0 ? 0 : nice == -10 ? 1 : nice == -20 ? 2 : -99;
  return true;
}
#else
bool test_os_thread_cpus(uint64_t native_id, bool *cpus, size_t n) {
  (void)native_id, (void)cpus, (void)n;
  return false;
}

bool test_os_thread_priority(uint64_t native_id, int *level) {
  (void)native_id, (void)level;
  return false;
}

unsigned test_cpu_count(void) {
  return weft_cpu_count();
}

bool test_pin_self(unsigned cpu, const char **why) {
  (void)cpu;
  *why = "no call pins a thread to a CPU here (macOS has none)";
  return false;
}
#endif
