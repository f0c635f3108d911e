/* What the threads layer offers the rest of the core (thread.c). */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include "self.h"

/* Start one of weft's own helper threads (timers, pool workers) running
 * fn(arg): named `name` in the OS and by weft_thread_name, a daemon, never
 * listed, counted or waited for; it ends when fn returns. WEFT_OK,
 * WEFT_ENOMEM or WEFT_EAGAIN (nothing started). */
int weft__start_helper(const char *name, weft_fn fn, void *arg);

#endif /* WEFT_THREAD_H */
