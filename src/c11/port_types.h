/* Types of the c11 port (see ../port.h). */
#ifndef WEFT_PORT_TYPES_H
#define WEFT_PORT_TYPES_H

/* Native thread-locals: the fast per-thread slot is a variable (unix.c). */
#define WEFT__PORT_TLS_SLOT 1

#include <stdbool.h>
#include <threads.h>

#include "list.h"

typedef thrd_t weft__os_thread;

/* C11 can block only on a mutex or a condition variable, so the permit is a
 * flag guarded by the mutex. */
typedef struct weft__parker {
  mtx_t mutex;
  cnd_t cond;
  bool permit;
  weft__link link; /* in the clock watcher's list while in a timed wait */
} weft__parker;

#endif
