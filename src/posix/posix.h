/* Shared by the posix port's files only. */
#ifndef WEFT_POSIX_H
#define WEFT_POSIX_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds (>= 0) as a timespec. */
static inline struct timespec weft__timespec(int64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
  return ts;
}

#endif /* WEFT_POSIX_H */
