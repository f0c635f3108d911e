/* The calling thread's record, the one thing the lot needs to know about
 * threads, and the hooks through which the port reaches the core: a thread
 * that starts, a thread that ends, fork. Everything above registers its
 * part here as function pointers (self.c calls nothing above it). */
#ifndef WEFT_SELF_H
#define WEFT_SELF_H

#include "debug.h"
#include "internal.h"
#include "list.h"

/* A record's life (thread.c):  NEW --start--> STARTING --runs--> ALIVE --> DONE */
enum { WEFT__NEW, WEFT__STARTING, WEFT__ALIVE, WEFT__DONE };
enum { WEFT__KIND_USER, WEFT__KIND_MAIN, WEFT__KIND_DUMMY, WEFT__KIND_HELPER };

struct weft_thread {
  uintptr_t refs;                     /* atomic; the record is freed when it drops to 0 */
  uintptr_t state;                    /* atomic WEFT__NEW..WEFT__DONE; joiners park on it */
  void (*run)(struct weft_thread *t); /* what its OS thread runs, once created */
  weft_fn target;
  void *arg;
  char *name; /* full name, guarded by the registry lock */
  bool daemon;
  bool registered;  /* in the registry (guarded by its lock) */
  bool owned;       /* its owner (a pool) makes exit wait for its work, not for it */
  uintptr_t has_os; /* atomic: os holds a created thread (set once start's create returned) */
  unsigned char kind;
  size_t stack_size;
  int priority; /* set before start: applied as it starts */
  bool has_priority;
  bool *affinity; /* likewise (affinity_n entries), or NULL */
  size_t affinity_n;
  int start_status; /* what applying them gave, for weft_thread_start */
  uint64_t ident;
  uint64_t native_id;
  weft__os_thread os;
  weft__parker parker;
  weft__link link;        /* in the registry */
  weft__thread_debug dbg; /* what it waits on and holds, for the debug tools (debug.h) */
};

/* Bring up the port and the record of the process's first thread, once
 * (at load, from a constructor, or from whichever weft call comes first).
 * False if the port could not make its exit hook: then foreign threads get
 * no record (they poll instead of parking). */
bool weft__self_init(void);

/* The calling thread's record; a foreign thread gets a bare one (a Dummy,
 * named and listed only once it asks who it is). NULL only when memory is
 * short. */
struct weft_thread *weft__self(void);
/* The calling thread's record if it has one; never allocates. */
struct weft_thread *weft__self_if_any(void);
/* A new thread ident: never 0, never reused in the process. */
uint64_t weft__new_ident(void);
/* Make t the calling thread's record (a starting thread; fork). */
void weft__self_set(struct weft_thread *t);
/* "MainThread": the main record's name, never freed. */
extern char weft__main_name[];
/* The static record of the thread that started the process. */
struct weft_thread *weft__main_record(void);
/* Arm (t) or disarm (NULL) the port's exit hook for the calling thread. */
void weft__self_arm_exit(struct weft_thread *t);

/* Records: one reference, not started; freed by whoever drops the last
 * reference (joinable_wait: false when the thread itself does). The main
 * record is never freed. */
struct weft_thread *weft__record_new(unsigned char kind);
void weft__record_free(struct weft_thread *t, bool joinable_wait);
void weft__record_unref(struct weft_thread *t, bool joinable_wait);

/* Start t's OS thread (t->run(t) runs in it); the port's status. */
int weft__record_start_os(struct weft_thread *t, weft__os_thread *os);

/* Work for the end of a thread (weft or foreign, returned or exited), run
 * in slot order: a thread's locals first, then its record's end. */
enum { WEFT__END_LOCALS, WEFT__END_RECORD, WEFT__END_SLOTS };
void weft__on_thread_end(int slot, void (*fn)(struct weft_thread *t));
/* The calling thread, whose record is t, ends: run the work above, disarm
 * the exit hook and forget the record (the record's end, last, may free it;
 * without one registered a bare record is freed here). */
void weft__thread_end(struct weft_thread *t);

/* Fork work, by slot: the lot resets its queues first in the child, then
 * the process layer does its part. before runs in slot order, parent and
 * child in reverse and in order respectively. */
enum { WEFT__FORK_LOT, WEFT__FORK_PROCESS, WEFT__FORK_DEBUG, WEFT__FORK_SLOTS };
typedef struct weft__fork_hooks {
  void (*before)(void);
  void (*parent)(void);
  void (*child)(void);
} weft__fork_hooks;
void weft__on_fork(int slot, const weft__fork_hooks *h);

/* -- for the debug tools (debug.h) -- */

/* Every live record (main, weft threads from their start, helpers, Dummy
 * threads bare or named), listed until its thread ends; only the tools
 * walk it. Its lock is a spin lock: hold it briefly, never park under it.
 * In a forked child only the forking thread's record is listed. */
void weft__records_lock(void);
void weft__records_unlock(void);
struct weft_thread *weft__records_first(void); /* under the lock */
struct weft_thread *weft__records_next(struct weft_thread *t);
/* Under the lock: how many records have been put in the list so far (a
 * record's dbg.listed_at is this count just after it went in). */
uint64_t weft__records_stamp(void);

/* The calling thread's record for the tools: as weft__self(), except that
 * a thread that is ending gets none (its record's end takes locks). */
struct weft_thread *weft__self_for_debug(void);

/* What the calling thread is about to park on (debug.h's kinds), set right
 * before the park; the lot clears it when the park returns, and stamps the
 * time if the waiter goes to sleep (since_ns 0) or a caller that read the
 * clock anyway passes it. */
static inline void weft__wait_set(struct weft_thread *t, unsigned kind, const void *obj,
                                  uintptr_t a, uintptr_t b, int64_t since_ns) {
  weft__wait *w = &t->dbg.wait;
  weft__store(&w->since, since_ns ? weft__wait_ms(since_ns) : 0, memory_order_relaxed);
  weft__store(&w->obj, (uintptr_t)obj, memory_order_relaxed);
  weft__store(&w->a, a, memory_order_relaxed);
  weft__store(&w->b, b, memory_order_relaxed);
  weft__store(&w->kind, kind, memory_order_release);
}

static inline void weft__waiting(unsigned kind, const void *obj, uintptr_t a, uintptr_t b) {
  struct weft_thread *t = weft__self();
  if (t) weft__wait_set(t, kind, obj, a, b, 0);
}

static inline void weft__wait_clear(struct weft_thread *t) {
  weft__store(&t->dbg.wait.kind, WEFT__WAIT_NONE, memory_order_relaxed);
}

#endif /* WEFT_SELF_H */
