/* What the posix and c11 ports share on Unix-like systems (the c11 port
 * compiles this file too): the core's fast per-thread pointer, and a
 * thread's CPUs by its OS id (unix.h's Linux calls; WEFT_ENOTSUP
 * elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity, cpu_set_t */
#endif
#include "internal.h"
#include "unix.h"

WEFT__THREAD_LOCAL void *weft__port_tls_slot; /* port.h reads it */

int weft__port_set_affinity(uint64_t native_id, bool self, const bool *cpus, size_t n) {
  (void)self; /* Linux reaches any thread by its TID */
  return weft__unix_set_affinity(native_id, cpus, n);
}

int weft__port_get_affinity(uint64_t native_id, bool self, bool *cpus, size_t n) {
  (void)self;
  return weft__unix_get_affinity(native_id, cpus, n);
}
