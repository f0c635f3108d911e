/* Thread ids and names from the OS beneath pthreads, where configure found
 * them: shared by the posix port and by the c11 port, whose <threads.h>
 * has neither (port.h's weft__port_native_id, _name_max, _set_name_self). */
#ifndef WEFT_UNIX_H
#define WEFT_UNIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if defined(WEFT_HAVE_GETTID)
#include <unistd.h>
#endif
#if defined(WEFT_HAVE_PRCTL_SET_NAME)
#include <sys/prctl.h>
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

#endif /* WEFT_UNIX_H */
