/* What each subsystem of the core (threads, timers, the pool, locals)
 * registers with process.c (process exit, weft_shutdown, fork): what exit waits
 * for, its lock, and its part of fork. */
#ifndef WEFT_SUBSYSTEM_H
#define WEFT_SUBSYSTEM_H

#include "internal.h"

/* Any hook may be NULL. Subsystems are called in `order`, which is also the
 * order their locks are taken in (by fork and by the exit wait's last look;
 * no other code holds two of them at once). */
typedef struct weft__subsystem {
  int order;
  weft_lock *lock; /* what guards its state; held across fork */
  /* Process exit has begun (main returned or exit() was called). */
  void (*exit_begin)(void);
  /* Wait until none of what exit waits for is left (the caller's own
   * excepted), or the deadline (WEFT_TIMEOUT); try_only: do not block.
   * *waited: there was something. */
  int (*wait)(int64_t deadline, bool try_only, bool *waited);
  /* With the lock held: nothing is left to wait for. */
  bool (*quiet_locked)(void);
  /* With the lock held: refuse every later start (WEFT_ESHUTDOWN). */
  void (*close_locked)(void);
  /* In a forked child, the lock held since before fork: keep only what
   * belongs to the forking thread (process.c lets the lock go after; what
   * lock_more took, the subsystem lets go of itself). */
  void (*after_fork_child)(void);
  /* For a subsystem whose objects have locks of their own (pools): with
   * the lock held, take every one of them too, for fork and the exit
   * wait's last look; and let them go before the lock is released. */
  void (*lock_more)(void);
  void (*unlock_more)(void);
  void *next; /* process.c's: the next subsystem, an atomic pointer */
} weft__subsystem;

enum { WEFT__ORDER_THREADS, WEFT__ORDER_TIMERS, WEFT__ORDER_POOL, WEFT__ORDER_LOCALS };

/* Register s (static storage), once; from the subsystem's first use. */
void weft__process_register(weft__subsystem *s);
/* Make sure the exit wait is registered with the C runtime: at the first
 * start of a thread, timer or pool task, so that it runs before the exit
 * handlers (and C++ destructors) registered earlier. */
void weft__process_arm_exit(void);

#endif /* WEFT_SUBSYSTEM_H */
