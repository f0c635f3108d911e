/* Types of the posix port (see ../port.h). */
#ifndef WEFT_PORT_TYPES_H
#define WEFT_PORT_TYPES_H

/* Native thread-locals: the fast per-thread slot is a variable (unix.c). */
#define WEFT__PORT_TLS_SLOT 1

#include <pthread.h>
#include <stdint.h>

typedef pthread_t weft__os_thread;

/* With futex (Linux) a parker is one word: 0 empty, 1 permit. Elsewhere a
 * mutex and a condition variable guard the permit. */
typedef struct weft__parker {
#if defined(WEFT_HAVE_FUTEX)
  uint32_t word;
#else
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int permit;
#endif
} weft__parker;

#endif
