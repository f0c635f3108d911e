/* Thread ids and names from the OS beneath pthreads, where configure found
 * them: shared by the posix port and by the c11 port, whose <threads.h>
 * has neither (port.h's weft__port_native_id, _name_max, _set_name_self). */
#ifndef WEFT_UNIX_H
#define WEFT_UNIX_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft.h"
#if defined(WEFT_HAVE_GETTID)
#include <unistd.h>
#endif
#if defined(WEFT_HAVE_PRCTL_SET_NAME)
#include <sys/prctl.h>
#endif
#if defined(__linux__) && defined(WEFT_HAVE_GETTID) && defined(WEFT_HAVE_SCHED_SETAFFINITY)
#define WEFT__UNIX_AFFINITY 1 /* sched_setaffinity takes a TID on Linux */
#include <sched.h>
#endif
#if defined(__linux__) && defined(WEFT_HAVE_GETTID) && defined(WEFT_HAVE_SETPRIORITY)
#define WEFT__UNIX_NICE 1 /* and setpriority(PRIO_PROCESS) a thread's nice value */
#include <sys/resource.h>
#endif

/* The calling thread's TID, or 0 where gettid is missing. */
static inline uint64_t weft__unix_tid(void) {
#if defined(WEFT_HAVE_GETTID)
  return (uint64_t)gettid();
#else
  return 0;
#endif
}

/* Name the calling thread with prctl; false where it is missing. */
static inline bool weft__unix_prctl_name(const char *name) {
#if defined(WEFT_HAVE_PRCTL_SET_NAME)
  return prctl(PR_SET_NAME, name, 0, 0, 0) == 0;
#else
  (void)name;
  return false;
#endif
}

/* Longest name prctl keeps (Linux: 16 bytes with the NUL); 0 without it. */
static inline size_t weft__unix_prctl_name_max(void) {
#if defined(WEFT_HAVE_PRCTL_SET_NAME)
  return 15;
#else
  return 0;
#endif
}

/* -- Linux: a thread's CPUs and nice value, by TID -- */

static inline int weft__unix_errno_status(int e) { /* (used where the calls exist) */
  return e == EPERM || e == EACCES ? WEFT_EPERM : e == EINVAL ? WEFT_EINVAL : WEFT_EAGAIN;
}

static inline int weft__unix_set_affinity(uint64_t tid, const bool *cpus, size_t n) {
#if defined(WEFT__UNIX_AFFINITY)
  cpu_set_t set;
  CPU_ZERO(&set);
  for (size_t i = 0; i < n; i++) {
    if (!cpus[i]) continue;
    if (i >= CPU_SETSIZE) return WEFT_ENOTSUP;
    CPU_SET(i, &set);
  }
  return sched_setaffinity((pid_t)tid, sizeof set, &set) == 0 ? WEFT_OK
                                                              : weft__unix_errno_status(errno);
#else
  (void)tid, (void)cpus, (void)n;
  return WEFT_ENOTSUP;
#endif
}

static inline int weft__unix_get_affinity(uint64_t tid, bool *cpus, size_t n) {
#if defined(WEFT__UNIX_AFFINITY)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity((pid_t)tid, sizeof set, &set) != 0) return weft__unix_errno_status(errno);
  for (size_t i = 0; i < n; i++)
    cpus[i] = i < CPU_SETSIZE && CPU_ISSET(i, &set);
  return WEFT_OK;
#else
  (void)tid, (void)cpus, (void)n;
  return WEFT_ENOTSUP;
#endif
}

/* LOW, NORMAL, HIGH, TIME_CRITICAL as nice values. */
static inline int weft__unix_set_nice(uint64_t tid, int level) {
#if defined(WEFT__UNIX_NICE)
  static const int nice[] = {10, 0, -10, -20};
  return setpriority(PRIO_PROCESS, (id_t)tid, nice[level + 1]) == 0
             ? WEFT_OK
             : weft__unix_errno_status(errno);
#else
  (void)tid, (void)level;
  return WEFT_ENOTSUP;
#endif
}

#endif /* WEFT_UNIX_H */
