/* What future.c offers the pool (pool.c) and the waits on many futures
 * (wait.c). */
#ifndef WEFT_FUTURE_H
#define WEFT_FUTURE_H

#include "lock.h"
#include "list.h"

/* A pool's future (one reference for the caller, one for the pool's
 * queue): weft_future_set_result refuses it. NULL if memory is short. */
weft_future *weft__future_new_pooled(void);
/* A worker takes its task: PENDING -> RUNNING. False if it was cancelled
 * (the task is then not to run). */
bool weft__future_start(weft_future *f);
/* RUNNING -> FINISHED with the task's result: waiters wake, callbacks run
 * here. */
void weft__future_finish(weft_future *f, void *result);
/* A pending task dropped by its pool's shutdown: as weft_future_cancel. */
void weft__future_cancel_pending(weft_future *f);
/* A forked child's pool, for a task whose worker stayed behind: RUNNING
 * -> CANCELLED, waiters wake, callbacks run here. Its lock may have been
 * held by the vanished worker: reset it first (with
 * weft__future_fork_reset, in the fork handler). */
void weft__future_cancel_running(weft_future *f);
void weft__future_fork_reset(weft_future *f);
bool weft__future_is_done(const weft_future *f);
/* The ident of the worker running f's task, 0 if none (for a dump). */
uint64_t weft__future_runner(const weft_future *f);

/* Wait until f is done (try_only: do not block): WEFT_OK or WEFT_TIMEOUT. */
int weft__future_wait_until(weft_future *f, int64_t deadline, bool try_only);

/* A watch: how a wait on many futures (wait.c) hears that one is done.
 * notify runs once, in the thread that completes or cancels the future,
 * under the future's lock (it must not call back into the future). */
typedef struct weft__watch {
  weft__link link; /* in the future's list, under its lock */
  void (*notify)(struct weft__watch *w);
  bool listed;
} weft__watch;

/* Attach w to f (w->listed says whether it is); false (nothing attached)
 * if f is done already. */
bool weft__future_watch(weft_future *f, weft__watch *w);
/* Detach w if it is still attached; once this returns, w->notify will not
 * run (or has returned). */
void weft__future_unwatch(weft_future *f, weft__watch *w);

/* Run before a wait on a future blocks: the pool's chance to start the
 * workers a forked child lacks (pool.c registers it). */
void weft__future_on_wait(void (*fn)(void));
void weft__future_before_wait(void);

#endif /* WEFT_FUTURE_H */
