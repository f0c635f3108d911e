/* Threads: records' lives, the registry, start/join, names, helpers.
 *
 * A record's life:  NEW --start--> STARTING --thread runs--> ALIVE --> DONE
 * (a failed start goes back to NEW). Joiners park on `state`. References:
 * the creator's (from _new), the running thread's own (taken at start,
 * dropped when it ends) and any from _ref/_enumerate; whoever drops the last
 * one frees the record, so exactly one party does.
 *
 * The registry lists, under one lock, the threads that are starting or
 * alive (main, weft threads from their start, Dummy threads that asked who
 * they are); enumerate shows the alive ones. For process exit (process.c)
 * the threads layer is a subsystem: it releases main's joiners when exit
 * begins, waits for non-daemon weft threads, and closes to later starts. */
#include "park.h"
#include "subsystem.h"
#include "thread.h"
#include "tsan.h"

#include <stdio.h>
#include <string.h>

static weft_lock registry_lock;
static weft__list registry;
static uintptr_t name_counter; /* Thread-N and Dummy-N share it, as in Python */
static bool exit_closed;       /* registry lock: the exit wait is over, no more starts */
static struct weft_thread *main_thread;
static weft_once init_once = WEFT_ONCE_INIT;

static struct weft_thread *record_of(weft__link *l) {
  return l ? WEFT__CONTAINER(l, struct weft_thread, link) : NULL;
}

/* -- registry -- */

static void registry_add_locked(struct weft_thread *t) {
  weft__list_push_back(&registry, &t->link);
  t->registered = true;
}

static void registry_remove_locked(struct weft_thread *t) {
  if (!t->registered) return;
  weft__list_remove(&registry, &t->link);
  t->registered = false;
}

static void registry_add(struct weft_thread *t) {
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  registry_add_locked(t);
  weft_lock_release(&registry_lock);
}

static void registry_remove(struct weft_thread *t) {
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  registry_remove_locked(t);
  weft_lock_release(&registry_lock);
}

/* -- names -- */

static char *numbered_name(const char *prefix) {
  char buf[48];
  uintptr_t n = weft__fetch_add(&name_counter, 1, memory_order_relaxed) + 1;
  snprintf(buf, sizeof buf, "%s-%lu", prefix, (unsigned long)n);
  return weft__strdup(buf);
}

/* Copy at most max bytes of name, cut before a split UTF-8 sequence. */
static void cut_name(const char *name, char *buf, size_t size) {
  size_t max = weft__port_name_max();
  if (max >= size) max = size - 1;
  size_t n = strlen(name);
  if (n > max) {
    n = max;
    while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(buf, name, n);
  buf[n] = '\0';
}

static void free_name(char *name) {
  if (name != weft__main_name) weft__free(name);
}

/* -- the end of a thread (weft or foreign): leave the registry, wake
 * joiners, drop its own reference -- */

static void record_end(struct weft_thread *t) {
  registry_remove(t);
  assert(weft__load(&t->state, memory_order_relaxed) == WEFT__ALIVE || t->kind == WEFT__KIND_MAIN);
  weft__tsan_release(t); /* its work, for its joiners */
  weft__store(&t->state, WEFT__DONE, memory_order_release);
  weft__unpark_all(&t->state);
  weft__record_unref(t, false);
}

/* -- the subsystem's part of exit and fork -- */

/* Under the registry lock: a starting or alive non-daemon weft thread
 * other than the caller, with a reference, or NULL. */
static struct weft_thread *find_waitable_locked(void) {
  struct weft_thread *me = weft__self_if_any();
  for (weft__link *l = registry.head; l; l = l->next) {
    struct weft_thread *t = record_of(l);
    if (t->kind == WEFT__KIND_USER && !t->daemon && !t->owned && t != me) return weft_thread_ref(t);
  }
  return NULL;
}

static int join_until(struct weft_thread *t, int64_t deadline, bool try_only);

/* Join every non-daemon weft thread but the caller, one at a time: threads
 * they start meanwhile are found on the next pass. */
static int wait_threads(int64_t deadline, bool try_only, bool *waited) {
  for (;;) {
    weft_lock_acquire(&registry_lock, WEFT_FOREVER);
    struct weft_thread *found = find_waitable_locked();
    weft_lock_release(&registry_lock);
    if (!found) return WEFT_OK;
    *waited = true;
    int status = join_until(found, deadline, try_only);
    weft_thread_unref(found);
    if (status == WEFT_ESTATE) status = WEFT_OK; /* its start failed: nothing to wait for */
    if (status != WEFT_OK) return status;
  }
}

/* main has returned or exit() was called: main is done for its joiners. */
static void finish_main(void) {
  struct weft_thread *m = main_thread;
  if (weft__load(&m->state, memory_order_acquire) == WEFT__DONE) return;
  weft__tsan_release(m);
  weft__store(&m->state, WEFT__DONE, memory_order_release);
  weft__unpark_all(&m->state);
}

static bool quiet_locked(void) {
  struct weft_thread *found = find_waitable_locked();
  if (found) weft__fetch_sub(&found->refs, 1, memory_order_relaxed); /* alive: not the last */
  return !found;
}

static void close_locked(void) {
  exit_closed = true;
}

/* As in Python, the forking thread is the child's main thread, whatever
 * it was in the parent: named MainThread, not a daemon, with its ids (the
 * self layer has refreshed its native id and parker). */
static struct weft_thread *become_main(void) {
  struct weft_thread *me = weft__self_if_any();
  if (!me) { /* a foreign thread weft never saw: the static record */
    me = weft__main_record();
    weft__parker_init(&me->parker);
    weft__self_set(me);
  } else if (me->kind != WEFT__KIND_MAIN) {
    free_name(me->name);
    me->name = weft__main_name;
    me->daemon = false;
    me->owned = false;
  }
  me->kind = WEFT__KIND_MAIN;
  me->state = WEFT__ALIVE;
  me->ident = weft_get_ident();
  me->native_id = weft__port_native_id();
  if (!me->registered) registry_add_locked(me);
  return me;
}

static void after_fork_child(void) {
  struct weft_thread *me = become_main();
  for (weft__link *l = registry.head, *next; l; l = next) {
    next = l->next;
    struct weft_thread *t = record_of(l);
    if (t == me) continue;
    registry_remove_locked(t);
    weft__store(&t->state, WEFT__DONE, memory_order_relaxed);
    /* Its OS thread does not exist here: nothing to join or detach, and
     * its own reference will never be dropped by it. */
    t->has_os = 0;
    if (t->kind != WEFT__KIND_MAIN) weft__record_unref(t, false);
  }

  main_thread = me;
}

static weft__subsystem threads_subsystem = {.order = WEFT__ORDER_THREADS,
                                            .lock = &registry_lock,
                                            .exit_begin = finish_main,
                                            .wait = wait_threads,
                                            .quiet_locked = quiet_locked,
                                            .close_locked = close_locked,
                                            .after_fork_child = after_fork_child};

/* -- the layer's own start, once -- */

static void init(void *unused) {
  (void)unused;
  main_thread = weft__main_record();
  registry_add(main_thread);
  weft__on_thread_end(WEFT__END_RECORD, record_end);
  weft__process_register(&threads_subsystem);
}

static void ready(void) {
  weft_call_once(&init_once, init, NULL);
}

/* At load, after the self layer: the main thread is listed from the start. */
WEFT__CONSTRUCTOR(weft__threads_constructor) {
  weft__self_init();
  ready();
}

/* -- the calling thread -- */

weft_thread *weft_thread_current(void) {
  ready();
  struct weft_thread *t = weft__self();
  if (!t || t->registered || t->kind != WEFT__KIND_DUMMY) return t;
  char *name = numbered_name("Dummy");
  if (!name) return NULL;
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  if (!t->name)
    t->name = name; /* (a rename meanwhile keeps its name) */
  else
    weft__free(name);
  registry_add_locked(t);
  weft_lock_release(&registry_lock);
  return t;
}

weft_thread *weft_thread_main(void) {
  ready();
  return main_thread;
}

/* -- priority and affinity: kept in the record before start, applied by
 * the thread itself as it starts (under the registry lock, where setters
 * read the state), else asked of the OS at once -- */

/* The calling, starting thread: its priority and CPUs as set before its
 * start; the first failure. */
static int apply_scheduling(struct weft_thread *t) {
  int status = WEFT_OK;
  if (t->has_priority) status = weft__port_set_priority(t->native_id, true, t->priority);
  if (t->affinity) {
    int s = weft__port_set_affinity(t->native_id, true, t->affinity, t->affinity_n);
    if (status == WEFT_OK) status = s;
  }
  return status;
}

/* Under the registry lock: true if t has not started, so that a setting is
 * kept for its start. Otherwise (the lock let go) t's state once any start
 * under way has ended: ALIVE or DONE (or NEW again: a failed start). */
static bool unstarted_locked(struct weft_thread *t, uintptr_t *state) {
  uintptr_t s = weft__load(&t->state, memory_order_acquire);
  if (s == WEFT__NEW) return true;
  weft_lock_release(&registry_lock);
  while ((s = weft__load(&t->state, memory_order_acquire)) == WEFT__STARTING)
    weft__park(&t->state, s, WEFT__FOREVER, NULL);
  *state = s;
  return false;
}

/* Run set(t) on a running thread, or keep(t) under the registry lock for
 * its start. */
static int schedule(struct weft_thread *t, int (*keep)(struct weft_thread *t, const void *arg),
                    int (*now)(struct weft_thread *t, bool self, const void *arg),
                    const void *arg) {
  for (;;) {
    uintptr_t s;
    weft_lock_acquire(&registry_lock, WEFT_FOREVER);
    if (unstarted_locked(t, &s)) {
      int status = keep(t, arg);
      weft_lock_release(&registry_lock);
      return status;
    }
    if (s == WEFT__DONE) return WEFT_ESTATE;
    if (s == WEFT__ALIVE) return now(t, t == weft__self_if_any(), arg);
    /* NEW again: its start failed meanwhile; keep it for the next */
  }
}

static int keep_priority(struct weft_thread *t, const void *arg) {
  t->priority = *(const int *)arg;
  t->has_priority = true;
  return WEFT_OK;
}

static int priority_now(struct weft_thread *t, bool self, const void *arg) {
  return weft__port_set_priority(t->native_id, self, *(const int *)arg);
}

int weft_thread_set_priority(weft_thread *t, int level) {
  if (!t || level < WEFT_PRIORITY_LOW || level > WEFT_PRIORITY_TIME_CRITICAL) return WEFT_EINVAL;
  return schedule(t, keep_priority, priority_now, &level);
}

typedef struct cpu_set {
  bool *cpus;
  size_t n;
} cpu_set;

static int keep_affinity(struct weft_thread *t, const void *arg) {
  const cpu_set *c = arg;
  bool *copy = weft__malloc(c->n * sizeof *copy);
  if (!copy) return WEFT_ENOMEM;
  memcpy(copy, c->cpus, c->n * sizeof *copy);
  weft__free(t->affinity);
  t->affinity = copy;
  t->affinity_n = c->n;
  return WEFT_OK;
}

static int affinity_now(struct weft_thread *t, bool self, const void *arg) {
  const cpu_set *c = arg;
  return weft__port_set_affinity(t->native_id, self, c->cpus, c->n);
}

int weft_thread_set_affinity(weft_thread *t, const bool *cpus, size_t n) {
  if (!t || !cpus || n == 0) return WEFT_EINVAL;
  bool any = false;
  for (size_t i = 0; i < n && !any; i++)
    any = cpus[i];
  if (!any) return WEFT_EINVAL;
  cpu_set c = {(bool *)cpus, n};
  return schedule(t, keep_affinity, affinity_now, &c);
}

/* Before start: the CPUs kept for it, else the caller's (a new thread gets
 * its creator's). */
static int read_kept(struct weft_thread *t, const void *arg) {
  const cpu_set *c = arg;
  if (!t->affinity) return weft__port_get_affinity(weft_get_native_id(), true, c->cpus, c->n);
  for (size_t i = 0; i < c->n; i++)
    c->cpus[i] = i < t->affinity_n && t->affinity[i];
  return WEFT_OK;
}

static int read_now(struct weft_thread *t, bool self, const void *arg) {
  const cpu_set *c = arg;
  return weft__port_get_affinity(t->native_id, self, c->cpus, c->n);
}

int weft_thread_get_affinity(const weft_thread *t, bool *cpus, size_t n) {
  if (!t || !cpus || n == 0) return WEFT_EINVAL;
  cpu_set c = {cpus, n};
  return schedule((struct weft_thread *)t, read_kept, read_now, &c);
}

/* -- weft threads and helpers: what the new OS thread runs -- */

static void thread_entry(struct weft_thread *t) {
  char os_name[256];
  t->native_id = weft__port_native_id(); /* before a dump can see the record */
  weft__self_set(t);
  weft__self_arm_exit(t); /* pthread_exit() and the like end it too */
  /* Named and made alive under the registry lock: a rename from another
   * thread then either comes first (and is the name read here) or sees the
   * thread running and renames it in the OS itself. */
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  cut_name(t->name, os_name, sizeof os_name);
  weft__port_set_name_self(os_name);
  t->start_status = apply_scheduling(t); /* what was set before start */
  assert(weft__load(&t->state, memory_order_relaxed) == WEFT__STARTING);
  weft__store(&t->state, WEFT__ALIVE, memory_order_release);
  weft_lock_release(&registry_lock);
  if (t->kind == WEFT__KIND_USER) weft__unpark_all(&t->state); /* the starter waits */
  t->target(t->arg);
  weft__thread_end(t);
}

/* A record that runs fn(arg) once started; NULL if memory is short. */
static struct weft_thread *record_running(unsigned char kind, char *name, weft_fn fn, void *arg) {
  struct weft_thread *t = name ? weft__record_new(kind) : NULL;
  if (!t) {
    weft__free(name);
    return NULL;
  }
  t->name = name;
  t->run = thread_entry;
  t->target = fn;
  t->arg = arg;
  return t;
}

weft_thread *weft_thread_new(weft_fn target, void *arg) {
  if (!target) return NULL;
  ready();
  struct weft_thread *creator = weft__self();
  struct weft_thread *t = record_running(WEFT__KIND_USER, numbered_name("Thread"), target, arg);
  if (t) t->daemon = creator ? creator->daemon : false;
  return t;
}

weft_thread *weft__thread_new_owned(weft_fn target, void *arg, const char *name, bool daemon) {
  ready();
  struct weft_thread *t = record_running(WEFT__KIND_USER, weft__strdup(name), target, arg);
  if (t) {
    t->daemon = daemon;
    t->owned = true;
  }
  return t;
}

int weft__start_helper(const char *name, weft_fn fn, void *arg) {
  ready();
  struct weft_thread *t = record_running(WEFT__KIND_HELPER, weft__strdup(name), fn, arg);
  if (!t) return WEFT_ENOMEM;
  t->daemon = true;
  t->ident = weft__new_ident();
  t->state = WEFT__STARTING;
  /* Nobody joins a helper: its handle is let go at once, and its record is
   * its own (it may be gone before this returns). */
  weft__os_thread os;
  int status = weft__record_start_os(t, &os);
  if (status != WEFT_OK) {
    weft__record_free(t, false);
    return status;
  }
  weft__port_thread_release(&os, false);
  return WEFT_OK;
}

/* Back to NEW after a start that did not happen; a join that saw it
 * starting wakes and reports WEFT_ESTATE. */
static void unstart(struct weft_thread *t) {
  weft__store(&t->state, WEFT__NEW, memory_order_release);
  weft__unpark_all(&t->state);
}

int weft_thread_start(weft_thread *t) {
  if (!t) return WEFT_EINVAL;
  uintptr_t expected = WEFT__NEW;
  if (t->kind != WEFT__KIND_USER ||
      !weft__cas(&t->state, &expected, WEFT__STARTING, memory_order_acq_rel))
    return WEFT_ESTATE;
  ready();
  weft__process_arm_exit();
  weft__fetch_add(&t->refs, 1, memory_order_relaxed); /* the thread's own */
  /* Listed from here on, under the lock where the exit wait decides that
   * nothing is left to wait for: either it sees this thread, or this start
   * sees that exit has closed the door. */
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  int status = exit_closed ? WEFT_ESHUTDOWN : WEFT_OK;
  if (status == WEFT_OK) registry_add_locked(t);
  weft_lock_release(&registry_lock);
  if (status == WEFT_OK) {
    t->ident = weft__new_ident();
    status = weft__record_start_os(t, &t->os);
    if (status != WEFT_OK) registry_remove(t);
  }
  if (status != WEFT_OK) {
    weft__fetch_sub(&t->refs, 1, memory_order_relaxed);
    unstart(t);
    return status;
  }
  weft__store(&t->has_os, 1, memory_order_release); /* t->os is written now */
  uintptr_t s;
  while ((s = weft__load(&t->state, memory_order_acquire)) == WEFT__STARTING)
    weft__park(&t->state, s, WEFT__FOREVER, NULL);
  return t->start_status; /* the thread runs; its priority or CPUs may not be as asked */
}

/* Until DONE: WEFT_OK; WEFT_ESTATE if its start failed meanwhile. */
static int join_until(struct weft_thread *t, int64_t deadline, bool try_only) {
  uintptr_t s;
  while ((s = weft__load(&t->state, memory_order_acquire)) != WEFT__DONE) {
    if (s == WEFT__NEW) return WEFT_ESTATE;
    if (try_only) return WEFT_TIMEOUT;
    /* (a starting thread's ident is being written) */
    weft__waiting(WEFT__WAIT_JOIN, t, s == WEFT__ALIVE ? t->ident : 0, 0);
    if (weft__park(&t->state, s, deadline, NULL) == WEFT__PARK_TIMEOUT) {
      s = weft__load(&t->state, memory_order_acquire);
      return s == WEFT__DONE ? WEFT_OK : s == WEFT__NEW ? WEFT_ESTATE : WEFT_TIMEOUT;
    }
  }
  return WEFT_OK;
}

/* The main thread can be joined from the others, as in Python: it is done
 * once main returns or exit() is called. */
int weft_thread_join(weft_thread *t, double timeout) {
  if (!t || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (t == weft__self_if_any()) return WEFT_EDEADLK;
  if (t->kind != WEFT__KIND_USER && t->kind != WEFT__KIND_MAIN) return WEFT_ESTATE;
  if (weft__load(&t->state, memory_order_acquire) == WEFT__NEW) return WEFT_ESTATE;
  return weft__tsan_acquired(t, join_until(t, weft__deadline(timeout), timeout == 0));
}

bool weft_thread_is_alive(const weft_thread *t) {
  return t && weft__load(&t->state, memory_order_acquire) == WEFT__ALIVE;
}

int weft_thread_set_daemon(weft_thread *t, bool daemon) {
  if (!t) return WEFT_EINVAL;
  if (t->kind != WEFT__KIND_USER || weft__load(&t->state, memory_order_acquire) != WEFT__NEW)
    return WEFT_ESTATE;
  t->daemon = daemon;
  return WEFT_OK;
}

bool weft_thread_daemon(const weft_thread *t) {
  return t && t->daemon;
}

int weft_thread_set_stack_size(weft_thread *t, size_t bytes) {
  if (!t) return WEFT_EINVAL;
  if (t->kind != WEFT__KIND_USER || weft__load(&t->state, memory_order_acquire) != WEFT__NEW)
    return WEFT_ESTATE;
  if (bytes && !weft__port_stack_size_supported()) return WEFT_EINVAL;
  t->stack_size = bytes;
  return WEFT_OK;
}

uint64_t weft_thread_ident(const weft_thread *t) {
  return t && weft__load(&t->state, memory_order_acquire) >= WEFT__ALIVE ? t->ident : 0;
}

uint64_t weft_thread_native_id(const weft_thread *t) {
  return t && weft__load(&t->state, memory_order_acquire) >= WEFT__ALIVE ? t->native_id : 0;
}

weft_thread *weft_thread_ref(weft_thread *t) {
  if (t) weft__fetch_add(&t->refs, 1, memory_order_relaxed);
  return t;
}

void weft_thread_unref(weft_thread *t) {
  if (t) weft__record_unref(t, true);
}

/* -- names -- */

int weft_thread_set_name(weft_thread *t, const char *name) {
  if (!t || !name) return WEFT_EINVAL;
  char *copy = weft__strdup(name);
  if (!copy) return WEFT_ENOMEM;
  char os_name[256];
  cut_name(copy, os_name, sizeof os_name);
  /* Under the registry lock, like the name a new thread gives itself, so
   * the OS ends with the last name set. */
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  char *old = t->name;
  t->name = copy;
  if (t == weft__self_if_any())
    weft__port_set_name_self(os_name);
  else if (weft__load(&t->state, memory_order_acquire) == WEFT__ALIVE &&
           weft__load(&t->has_os, memory_order_acquire))
    weft__port_set_name_other(&t->os, os_name); /* where the OS can */
  weft_lock_release(&registry_lock);
  free_name(old);
  return WEFT_OK;
}

const char *weft_thread_name(const weft_thread *t) {
  return t ? t->name : NULL;
}

size_t weft_thread_get_name(const weft_thread *t, char *buf, size_t size) {
  if (buf && size) buf[0] = '\0';
  if (!t) return 0;
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  size_t n = strlen(t->name);
  if (buf && size) {
    size_t copy = n < size ? n : size - 1;
    memcpy(buf, t->name, copy);
    buf[copy] = '\0';
  }
  weft_lock_release(&registry_lock);
  return n;
}

/* -- names, for the debug tools -- */

bool weft__names_lock(double timeout) {
  return weft_lock_acquire(&registry_lock, timeout) == WEFT_OK;
}

void weft__names_unlock(void) {
  weft_lock_release(&registry_lock);
}

const char *weft__name_locked(const struct weft_thread *t) {
  return t->name;
}

/* -- the registry, seen from outside -- */

size_t weft_active_count(void) {
  return weft_enumerate(NULL, 0);
}

size_t weft_enumerate(weft_thread **out, size_t cap) {
  ready(); /* the main thread is listed */
  size_t n = 0;
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  for (weft__link *l = registry.head; l; l = l->next) {
    struct weft_thread *t = record_of(l);
    if (weft__load(&t->state, memory_order_relaxed) == WEFT__STARTING) continue;
    if (out && n < cap) out[n] = weft_thread_ref(t);
    n++;
  }
  weft_lock_release(&registry_lock);
  return n;
}

int weft_start_new_thread(weft_fn target, void *arg) {
  if (!target) return WEFT_EINVAL;
  weft_thread *t = weft_thread_new(target, arg);
  if (!t) return WEFT_ENOMEM;
  t->daemon = true;
  int status = weft_thread_start(t);
  weft_thread_unref(t);
  return status;
}
