/* bench_pool.h's CPU clock: getrusage where there is one, GetProcessTimes
 * on Windows. */
#include "bench_pool.h"

#ifdef _WIN32
#include <windows.h>

double pool_process_cpu(void) {
  FILETIME created, exited, kernel, user;
  if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)) return -1;
  ULARGE_INTEGER k, u;
  k.LowPart = kernel.dwLowDateTime;
  k.HighPart = kernel.dwHighDateTime;
  u.LowPart = user.dwLowDateTime;
  u.HighPart = user.dwHighDateTime;
  return (double)(k.QuadPart + u.QuadPart) * 1e-7; /* 100 ns units */
}
#else
#include <sys/resource.h>
#include <sys/time.h>

static double seconds_of(struct timeval t) {
  return (double)t.tv_sec + (double)t.tv_usec * 1e-6;
}

double pool_process_cpu(void) {
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return -1;
  return seconds_of(u.ru_utime) + seconds_of(u.ru_stime);
}
#endif
