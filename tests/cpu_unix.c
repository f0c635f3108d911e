/* CPUs for the backends of Unix-like systems (posix and c11): how many the
 * process may use, and pinning the calling thread to one (foreign.h). */
#if defined(__linux__)
#define _GNU_SOURCE /* sched_setaffinity, cpu_set_t */
#endif
#include "foreign.h"
#include "test.h"

#if defined(__linux__)
#include <sched.h>
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
#else
unsigned test_cpu_count(void) {
  return weft_cpu_count();
}

bool test_pin_self(unsigned cpu, const char **why) {
  (void)cpu;
  *why = "no call pins a thread to a CPU here (macOS has none)";
  return false;
}
#endif
