/* Threads: records, the registry, start/join, names, daemon exit.
 *
 * A record's life:  NEW --start--> STARTING --thread runs--> ALIVE --> DONE
 * Joiners park on `state`. References: the creator's (from _new), the
 * running thread's own (taken at start, dropped when it finishes) and any
 * from _ref/_enumerate; whoever drops the last one frees the record, so
 * exactly one party does. The registry lists, under one lock, the threads
 * that are starting or alive (main, weft threads from their start, Dummy
 * threads that asked who they are); enumerate shows the alive ones.
 *
 * Process exit: main's joiners are released first; then every non-daemon
 * thread and timer is waited for, until one pass under the registry lock
 * finds none; that pass also closes the door, so that later starts (from
 * exit handlers that run after weft's) fail with WEFT_ESHUTDOWN instead of
 * running unwaited. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static weft_lock registry_lock;
static struct weft_thread *reg_head, *reg_tail;
static uintptr_t name_counter; /* Thread-N and Dummy-N share it, as in Python */
static uintptr_t ident_counter;
static uintptr_t init_state; /* 0, 1 running, 2 done */
static bool port_ready;      /* the port's init worked: its exit hook exists */
static bool exit_closed;     /* registry lock: the exit wait is over, no more starts */
static weft_once exit_once = WEFT_ONCE_INIT;
static struct weft_thread main_rec;
static struct weft_thread *main_thread = &main_rec;
static char main_name[] = "MainThread";

static _Thread_local struct weft_thread *tls_self;
static _Thread_local uint64_t tls_ident;

uint64_t weft_get_ident(void) {
  if (!tls_ident) tls_ident = weft__fetch_add(&ident_counter, 1, memory_order_relaxed) + 1;
  return tls_ident;
}

uint64_t weft_get_native_id(void) {
  return weft__port_native_id();
}

/* -- registry -- */

static void registry_add_locked(struct weft_thread *t) {
  t->next = NULL;
  t->prev = reg_tail;
  if (reg_tail)
    reg_tail->next = t;
  else
    reg_head = t;
  reg_tail = t;
  t->registered = true;
}

static void registry_add(struct weft_thread *t) {
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  registry_add_locked(t);
  weft_lock_release(&registry_lock);
}

static void registry_remove_locked(struct weft_thread *t) {
  if (!t->registered) return;
  if (t->prev)
    t->prev->next = t->next;
  else
    reg_head = t->next;
  if (t->next)
    t->next->prev = t->prev;
  else
    reg_tail = t->prev;
  t->registered = false;
}

static void registry_remove(struct weft_thread *t) {
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  registry_remove_locked(t);
  weft_lock_release(&registry_lock);
}

/* -- records -- */

static struct weft_thread *record_new(unsigned char kind) {
  struct weft_thread *t = weft__malloc(sizeof *t);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->refs = 1;
  weft__parker_init(&t->parker);
  return t;
}

static void name_free(char *name) {
  if (name != main_name) weft__free(name);
}

/* joinable_wait: false when the thread itself drops its last reference. */
static void record_free(struct weft_thread *t, bool joinable_wait) {
  if (weft__load(&t->has_os, memory_order_acquire))
    weft__port_thread_release(&t->os, joinable_wait);
  weft__parker_destroy(&t->parker);
  name_free(t->name);
  weft__free(t);
}

static void record_unref(struct weft_thread *t, bool joinable_wait) {
  if (weft__fetch_sub(&t->refs, 1, memory_order_acq_rel) == 1 && t->kind != WEFT__KIND_MAIN)
    record_free(t, joinable_wait);
}

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

/* -- process start: the main thread, before main() -- */

static void process_init(void) {
  uintptr_t expected = 0;
  if (!weft__cas(&init_state, &expected, 1, memory_order_acquire)) {
    while (weft__load(&init_state, memory_order_acquire) != 2)
      weft__port_yield();
    return;
  }
  port_ready = weft__port_init() == WEFT_OK;
  main_rec.kind = WEFT__KIND_MAIN;
  main_rec.refs = 1;
  main_rec.state = WEFT__ALIVE;
  main_rec.name = main_name;
  main_rec.ident = weft_get_ident();
  main_rec.native_id = weft__port_native_id();
  weft__parker_init(&main_rec.parker);
  tls_self = &main_rec;
  registry_add(&main_rec);
  weft__store(&init_state, 2, memory_order_release);
}

WEFT__CONSTRUCTOR(weft__process_constructor) {
  process_init();
}

/* -- the calling thread -- */

struct weft_thread *weft__self_if_any(void) {
  return tls_self;
}

struct weft_thread *weft__self(void) {
  if (tls_self) return tls_self;
  if (weft__load(&init_state, memory_order_acquire) != 2) {
    process_init(); /* weft used from another constructor */
    if (tls_self) return tls_self;
  }
  /* A foreign thread: a record to park with, registered as Dummy-N only
   * once it asks who it is. The exit hook frees it when the thread ends. */
  struct weft_thread *t = record_new(WEFT__KIND_DUMMY);
  if (!t) return NULL;
  t->daemon = true;
  t->state = WEFT__ALIVE;
  t->ident = weft_get_ident();
  t->native_id = weft__port_native_id();
  if (!port_ready || weft__port_exit_hook_arm(t) != WEFT_OK) {
    record_free(t, false);
    return NULL;
  }
  tls_self = t;
  return t;
}

struct weft_thread *weft__become_helper(const char *name) {
  weft__port_set_name_self(name);
  struct weft_thread *t = weft__self();
  if (!t) return NULL;
  t->kind = WEFT__KIND_HELPER;
  if (!t->name) t->name = weft__strdup(name);
  return t;
}

weft_thread *weft_thread_current(void) {
  struct weft_thread *t = weft__self();
  if (!t || t->registered || t->kind != WEFT__KIND_DUMMY) return t;
  t->name = numbered_name("Dummy");
  if (!t->name) return NULL;
  registry_add(t);
  return t;
}

weft_thread *weft_thread_main(void) {
  if (weft__load(&init_state, memory_order_acquire) != 2) process_init();
  return main_thread;
}

/* The thread is done: leave the registry, wake joiners, drop its own
 * reference. Runs once, from the thread's entry or its exit hook. */
static void thread_finish(struct weft_thread *t) {
  weft__locals_thread_exit(); /* joiners see the destructors done */
  if (port_ready) weft__port_exit_hook_arm(NULL);
  tls_self = NULL;
  registry_remove(t);
  weft__store(&t->state, WEFT__DONE, memory_order_release);
  weft__unpark_all(&t->state);
  record_unref(t, false);
}

void weft__thread_exit_hook(void *arg) {
  struct weft_thread *t = arg;
  if (t && weft__load(&t->state, memory_order_relaxed) != WEFT__DONE) thread_finish(t);
}

/* -- weft threads -- */

weft_thread *weft_thread_new(weft_fn target, void *arg) {
  if (!target) return NULL;
  struct weft_thread *creator = weft__self();
  struct weft_thread *t = record_new(WEFT__KIND_USER);
  if (!t) return NULL;
  t->name = numbered_name("Thread");
  if (!t->name) {
    record_free(t, false);
    return NULL;
  }
  t->target = target;
  t->arg = arg;
  t->daemon = creator ? creator->daemon : false;
  return t;
}

static void thread_entry(void *arg) {
  struct weft_thread *t = arg;
  char os_name[256];
  tls_self = t;
  tls_ident = t->ident;
  t->native_id = weft__port_native_id();
  if (port_ready) weft__port_exit_hook_arm(t); /* pthread_exit() and the like finish too */
  /* Named and made alive under the registry lock: a rename from another
   * thread then either comes first (and is the name read here) or sees the
   * thread running and renames it in the OS itself. */
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  cut_name(t->name, os_name, sizeof os_name);
  weft__port_set_name_self(os_name);
  weft__store(&t->state, WEFT__ALIVE, memory_order_release);
  weft_lock_release(&registry_lock);
  weft__unpark_all(&t->state);
  t->target(t->arg);
  thread_finish(t);
}

static void exit_wait(void);

static void register_exit_wait(void *unused) {
  (void)unused;
  weft__port_atexit(exit_wait);
}

/* Registered lazily, at the first start of a thread or timer: so that it
 * runs before the exit handlers (and C++ destructors) registered earlier,
 * and, on Windows, once the executable's C runtime is up. */
void weft__ensure_exit_wait(void) {
  weft_call_once(&exit_once, register_exit_wait, NULL);
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
  weft__ensure_exit_wait();
  weft__fetch_add(&t->refs, 1, memory_order_relaxed); /* the thread's own */
  /* Listed from here on, under the lock where the exit wait decides that
   * nothing is left to wait for: either it sees this thread, or this start
   * sees that exit has closed the door. */
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  int status = exit_closed ? WEFT_ESHUTDOWN : WEFT_OK;
  if (status == WEFT_OK) registry_add_locked(t);
  weft_lock_release(&registry_lock);
  if (status == WEFT_OK) {
    t->ident = weft__fetch_add(&ident_counter, 1, memory_order_relaxed) + 1;
    status = weft__port_thread_create(&t->os, t->stack_size, thread_entry, t);
    if (status != WEFT_OK) {
      registry_remove(t);
      t->ident = 0;
    }
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
  return WEFT_OK;
}

/* Until DONE: WEFT_OK; WEFT_ESTATE if its start failed meanwhile. */
static int join_until(struct weft_thread *t, int64_t deadline, bool try_only) {
  uintptr_t s;
  while ((s = weft__load(&t->state, memory_order_acquire)) != WEFT__DONE) {
    if (s == WEFT__NEW) return WEFT_ESTATE;
    if (try_only) return WEFT_TIMEOUT;
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
  if (t == tls_self) return WEFT_EDEADLK;
  if (t->kind != WEFT__KIND_USER && t->kind != WEFT__KIND_MAIN) return WEFT_ESTATE;
  if (weft__load(&t->state, memory_order_acquire) == WEFT__NEW) return WEFT_ESTATE;
  return join_until(t, weft__deadline(timeout), timeout == 0);
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
  if (t) record_unref(t, true);
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
  if (t == tls_self)
    weft__port_set_name_self(os_name);
  else if (weft__load(&t->state, memory_order_acquire) == WEFT__ALIVE &&
           weft__load(&t->has_os, memory_order_acquire))
    weft__port_set_name_other(&t->os, os_name); /* where the OS can */
  weft_lock_release(&registry_lock);
  name_free(old);
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

/* -- the registry, seen from outside -- */

size_t weft_active_count(void) {
  return weft_enumerate(NULL, 0);
}

size_t weft_enumerate(weft_thread **out, size_t cap) {
  weft_thread_main(); /* make sure the main thread is registered */
  size_t n = 0;
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  for (struct weft_thread *t = reg_head; t; t = t->next) {
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

/* -- daemon semantics at exit -- */

/* Under the registry lock: a starting or alive non-daemon weft thread
 * other than the caller, with a reference, or NULL. */
static struct weft_thread *find_waitable_locked(void) {
  for (struct weft_thread *t = reg_head; t; t = t->next)
    if (t->kind == WEFT__KIND_USER && !t->daemon && t != tls_self) return weft_thread_ref(t);
  return NULL;
}

/* Join every non-daemon weft thread but the caller, one at a time: threads
 * they start meanwhile are found on the next pass. */
static int wait_threads(int64_t deadline, bool try_only, bool *waited) {
  *waited = false;
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

/* Threads start timers and timer callbacks start threads: wait until one
 * pass finds neither. */
static int wait_all(int64_t deadline, bool try_only, bool at_exit) {
  for (;;) {
    bool threads, timers;
    int status = wait_threads(deadline, try_only, &threads);
    if (status == WEFT_OK) status = weft__timers_wait(deadline, try_only, at_exit, &timers);
    if (status != WEFT_OK || (!threads && !timers)) return status;
  }
}

/* The last look, under the registry lock so that no start slips past it:
 * if nothing is left, refuse every later start of a thread or timer. */
static bool close_starts(void) {
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  struct weft_thread *found = find_waitable_locked();
  bool closed = !found && weft__timers_close();
  if (closed) exit_closed = true;
  weft_lock_release(&registry_lock);
  if (found) weft_thread_unref(found);
  return closed;
}

/* main has returned or exit() was called: main is done for its joiners. */
static void finish_main(void) {
  struct weft_thread *m = main_thread;
  if (weft__load(&m->state, memory_order_acquire) == WEFT__DONE) return;
  weft__store(&m->state, WEFT__DONE, memory_order_release);
  weft__unpark_all(&m->state);
}

static void exit_wait(void) {
  finish_main();
  do
    wait_all(WEFT__FOREVER, false, true);
  while (!close_starts());
}

int weft_shutdown(double timeout) {
  if (weft__bad_timeout(timeout)) return WEFT_EINVAL;
  return wait_all(weft__deadline(timeout), timeout == 0, false);
}

/* -- fork: only the forking thread goes on in the child --
 * The core's internal locks are taken before fork (registry, then timers,
 * then locals: nothing takes them in another order), so the child gets
 * their data whole, and are reset in the child, where nobody else is. */

void weft__before_fork(void) {
  weft_lock_acquire(&registry_lock, WEFT_FOREVER);
  weft__timers_before_fork();
  weft__locals_before_fork();
}

void weft__after_fork_parent(void) {
  weft__locals_after_fork_parent();
  weft__timers_after_fork_parent();
  weft_lock_release(&registry_lock);
}

/* As in Python, the forking thread is the child's main thread, whatever
 * it was in the parent: named MainThread, not a daemon, with its ids. */
static struct weft_thread *become_main(struct weft_thread *me) {
  if (!me) { /* a foreign thread weft never saw: the static record */
    me = &main_rec;
    tls_self = me;
  } else if (me != &main_rec) {
    name_free(me->name);
    me->name = main_name;
    me->daemon = false;
  }
  me->kind = WEFT__KIND_MAIN;
  me->state = WEFT__ALIVE;
  me->ident = weft_get_ident();
  me->native_id = weft__port_native_id();
  weft__parker_init(&me->parker); /* an unparker may have held its mutex */
  if (!me->registered) registry_add_locked(me);
  return me;
}

void weft__after_fork_child(void) {
  weft__park_after_fork();
  struct weft_thread *me = become_main(tls_self);
  for (struct weft_thread *t = reg_head, *next; t; t = next) {
    next = t->next;
    if (t == me) continue;
    registry_remove_locked(t);
    weft__store(&t->state, WEFT__DONE, memory_order_relaxed);
    /* Its OS thread does not exist here: nothing to join or detach, and
     * its own reference will never be dropped by it. */
    t->has_os = 0;
    if (t->kind != WEFT__KIND_MAIN) record_unref(t, false);
  }
  main_thread = me;
  weft__locals_after_fork_child();
  weft__timers_after_fork_child();
  weft__store(&registry_lock.v_, 0, memory_order_release);
}
