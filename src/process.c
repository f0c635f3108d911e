/* Process exit, weft_shutdown and fork, over the subsystems that registered
 * (subsystem.h).
 *
 * Exit: when main returns or exit() is called, each subsystem hears that
 * exit has begun (main's joiners are released, periodic timers stop); then
 * weft waits until one pass over all of them finds nothing to wait for,
 * and takes a last look with every subsystem's lock held: if still nothing
 * is left, later starts are refused (WEFT_ESHUTDOWN), so nothing started
 * from an exit handler that runs after weft's wait runs unwaited; if
 * something slipped in, it waits again.
 *
 * Fork: every subsystem's lock is taken before fork, so the child's copies
 * are whole, and released in the parent; in the child each keeps what
 * belongs to the forking thread (the lot has reset itself first). */
#include "subsystem.h"
#include "self.h"

static weft_lock list_lock; /* registrations; held across fork */
static bool closed;         /* list_lock: the exit wait is over */
static void *head;          /* the first subsystem, an atomic pointer */
static weft_once exit_once = WEFT_ONCE_INIT;

static weft__subsystem *first(void) {
  return weft__atomic_load_ptr(&head, memory_order_acquire);
}

static weft__subsystem *next_of(weft__subsystem *s) {
  return weft__atomic_load_ptr(&s->next, memory_order_acquire);
}

/* Nodes are only ever added; readers walk without the lock. */
void weft__process_register(weft__subsystem *s) {
  weft_lock_acquire(&list_lock, WEFT_FOREVER);
  void **at = &head;
  weft__subsystem *next;
  while ((next = weft__atomic_load_ptr(at, memory_order_relaxed)) && next->order <= s->order) {
    if (next == s) { /* registered already */
      weft_lock_release(&list_lock);
      return;
    }
    at = &next->next;
  }
  weft__atomic_store_ptr(&s->next, next, memory_order_relaxed);
  weft__atomic_store_ptr(at, s, memory_order_release);
  if (closed && s->close_locked) { /* first used after the exit wait: closed from the start */
    weft_lock_acquire(s->lock, WEFT_FOREVER);
    s->close_locked();
    weft_lock_release(s->lock);
  }
  weft_lock_release(&list_lock);
}

/* -- exit -- */

/* Subsystems start things for each other (threads start timers, timer
 * callbacks start threads): wait until one pass finds nothing. */
static int wait_all(int64_t deadline, bool try_only) {
  for (;;) {
    bool any = false;
    for (weft__subsystem *s = first(); s; s = next_of(s)) {
      bool waited = false;
      int status = s->wait ? s->wait(deadline, try_only, &waited) : WEFT_OK;
      if (status != WEFT_OK) return status;
      any = any || waited;
    }
    if (!any) return WEFT_OK;
  }
}

static void lock_all(void) {
  weft_lock_acquire(&list_lock, WEFT_FOREVER);
  for (weft__subsystem *s = first(); s; s = next_of(s)) {
    weft_lock_acquire(s->lock, WEFT_FOREVER);
    if (s->lock_more) s->lock_more();
  }
}

/* Unlock in reverse order (the list is short: recursion is fine). */
static void unlock_from(weft__subsystem *s) {
  if (!s) return;
  unlock_from(next_of(s));
  if (s->unlock_more) s->unlock_more();
  weft_lock_release(s->lock);
}

static void unlock_all(void) {
  unlock_from(first());
  weft_lock_release(&list_lock);
}

static bool close_if_quiet(void) {
  lock_all();
  bool quiet = true;
  for (weft__subsystem *s = first(); s && quiet; s = next_of(s))
    quiet = !s->quiet_locked || s->quiet_locked();
  if (quiet) {
    closed = true;
    for (weft__subsystem *s = first(); s; s = next_of(s))
      if (s->close_locked) s->close_locked();
  }
  unlock_all();
  return quiet;
}

static void exit_wait(void) {
  for (weft__subsystem *s = first(); s; s = next_of(s))
    if (s->exit_begin) s->exit_begin();
  do
    wait_all(WEFT__FOREVER, false);
  while (!close_if_quiet());
}

static void register_exit_wait(void *unused) {
  (void)unused;
  weft__port_atexit(exit_wait);
}

void weft__process_arm_exit(void) {
  weft_call_once(&exit_once, register_exit_wait, NULL);
}

int weft_shutdown(double timeout) {
  if (weft__bad_timeout(timeout)) return WEFT_EINVAL;
  return wait_all(weft__deadline(timeout), timeout == 0);
}

/* -- fork -- */

/* The forking thread held every lock: nobody waits on them here. */
static void after_fork_child(void) {
  for (weft__subsystem *s = first(); s; s = next_of(s)) {
    if (s->after_fork_child) s->after_fork_child();
    weft__store(&s->lock->v_, 0, memory_order_relaxed);
  }
  weft__store(&list_lock.v_, 0, memory_order_relaxed);
}

static const weft__fork_hooks fork_hooks = {lock_all, unlock_all, after_fork_child};

WEFT__CONSTRUCTOR(weft__process_constructor) {
  weft__self_init();
  weft__on_fork(WEFT__FORK_PROCESS, &fork_hooks);
}
