/* What the threads layer offers the rest of the core (thread.c). */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include "self.h"

/* Start one of weft's own helper threads (timers, pool workers) running
 * fn(arg): named `name` in the OS and by weft_thread_name, a daemon, never
 * listed, counted or waited for; it ends when fn returns. WEFT_OK,
 * WEFT_ENOMEM or WEFT_EAGAIN (nothing started). */
int weft__start_helper(const char *name, weft_fn fn, void *arg);

/* A new, unstarted weft thread like weft_thread_new's (listed, joinable,
 * named `name` without taking a Thread-N number), with the given daemon
 * flag. The exit wait and weft_shutdown do not wait for it: its owner's
 * subsystem waits for its work instead (pool workers, which idle for
 * ever). NULL if memory is short. */
weft_thread *weft__thread_new_owned(weft_fn target, void *arg, const char *name, bool daemon);

/* For the debug tools: take the lock that guards thread names (false if
 * it was not had within timeout seconds; timeout 0 only tries), and read a
 * record's name under it (NULL for a bare record: a foreign thread that
 * never asked who it is). */
bool weft__names_lock(double timeout);
void weft__names_unlock(void);
const char *weft__name_locked(const struct weft_thread *t);

#endif /* WEFT_THREAD_H */
