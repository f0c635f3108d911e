/* The calling thread's record, thread idents, and the port's hooks (see
 * self.h). Brought up once, without weft's own primitives (they park, and
 * parking needs this): a word that goes 0 -> 1 (coming up) -> 2 (up). */
#include "self.h"

#include <string.h>

static uintptr_t init_state;
static bool port_ready; /* the port's init worked: its exit hook exists */
static uintptr_t ident_counter;
static struct weft_thread main_rec;
char weft__main_name[] = "MainThread";

static WEFT__THREAD_LOCAL struct weft_thread *tls_self;
static WEFT__THREAD_LOCAL uint64_t tls_ident;
static WEFT__THREAD_LOCAL bool tls_ending; /* weft__thread_end has begun */

/* Every live record, for the debug tools (self.h). */
static uintptr_t records_lock;
static weft__list records;
static uint64_t records_listed; /* records ever put in the list */

/* Registered work, read with acquire loads: a slot may be filled while
 * other threads already end or fork. end_work holds function pointers as
 * words. */
static uintptr_t end_work[WEFT__END_SLOTS];
static void *fork_work[WEFT__FORK_SLOTS];

static const weft__fork_hooks *fork_hooks(int i) {
  return weft__atomic_load_ptr(&fork_work[i], memory_order_acquire);
}

typedef void (*end_fn)(struct weft_thread *t);
static end_fn end_hook(int slot) {
  return (end_fn)weft__atomic_load(&end_work[slot], memory_order_acquire);
}

uint64_t weft__new_ident(void) {
  return weft__fetch_add(&ident_counter, 1, memory_order_relaxed) + 1;
}

uint64_t weft_get_ident(void) {
  if (!tls_ident) tls_ident = weft__new_ident();
  return tls_ident;
}

uint64_t weft_get_native_id(void) {
  return weft__port_native_id();
}

/* The calling thread sleeps; its record (if it has one) says so, for a
 * dump. */
int weft_sleep(double seconds) {
  if (seconds != seconds || seconds < 0) return WEFT_EINVAL;
  int64_t start = weft__port_now();
  int64_t deadline = weft__deadline(seconds);
  struct weft_thread *t = tls_self;
  if (t) {
    double ms = seconds * 1e3;
    uintptr_t a = ms < (double)UINTPTR_MAX ? (uintptr_t)ms : UINTPTR_MAX;
    weft__wait_set(t, WEFT__WAIT_SLEEP, NULL, a, 0, start);
  }
  for (;;) {
    int64_t left = deadline - weft__port_now();
    if (left <= 0) break;
    weft__port_sleep(left);
  }
  if (t) weft__wait_clear(t);
  return WEFT_OK;
}

/* -- the port's hooks -- */

static void on_thread_start(void *arg) {
  struct weft_thread *t = arg;
  t->run(t);
}

static void on_thread_exit(void *arg) {
  struct weft_thread *t = arg;
  if (t && weft__load(&t->state, memory_order_relaxed) != WEFT__DONE) weft__thread_end(t);
}

static void on_before_fork(void) {
  for (int i = 0; i < WEFT__FORK_SLOTS; i++) {
    const weft__fork_hooks *h = fork_hooks(i);
    if (h) h->before();
  }
}

static void on_after_fork_parent(void) {
  for (int i = WEFT__FORK_SLOTS; i-- > 0;) {
    const weft__fork_hooks *h = fork_hooks(i);
    if (h) h->parent();
  }
}

static void list_only(struct weft_thread *me);

static void on_after_fork_child(void) {
  struct weft_thread *me = tls_self;
  list_only(me);
  if (me) {
    me->native_id = weft__port_native_id();
    weft__parker_init(&me->parker); /* an unparker may have held its mutex */
  }
  for (int i = 0; i < WEFT__FORK_SLOTS; i++) {
    const weft__fork_hooks *h = fork_hooks(i);
    if (h) h->child();
  }
}

static const weft__port_hooks port_hooks = {on_thread_start, on_thread_exit, on_before_fork,
                                            on_after_fork_parent, on_after_fork_child};

void weft__on_thread_end(int slot, void (*fn)(struct weft_thread *t)) {
  weft__atomic_store(&end_work[slot], (uintptr_t)fn, memory_order_release);
}

void weft__on_fork(int slot, const weft__fork_hooks *h) {
  weft__atomic_store_ptr(&fork_work[slot], (void *)h, memory_order_release);
}

/* -- bring-up -- */

/* Under the list's lock (or alone): t goes in the list, stamped. */
static void put_in_list(struct weft_thread *t) {
  weft__list_push_back(&records, &t->dbg.all);
  t->dbg.listed = true;
  t->dbg.listed_at = ++records_listed;
}

bool weft__self_init(void) {
  uintptr_t expected = 0;
  if (!weft__cas(&init_state, &expected, 1, memory_order_acquire)) {
    while (weft__load(&init_state, memory_order_acquire) != 2)
      weft__port_yield();
    return port_ready;
  }
  port_ready = weft__port_init(&port_hooks) == WEFT_OK;
  main_rec.kind = WEFT__KIND_MAIN;
  main_rec.refs = 1;
  main_rec.state = WEFT__ALIVE;
  main_rec.name = weft__main_name;
  main_rec.ident = weft_get_ident();
  main_rec.native_id = weft__port_native_id();
  weft__parker_init(&main_rec.parker);
  tls_self = &main_rec;
  put_in_list(&main_rec); /* nothing else runs yet */
  weft__store(&init_state, 2, memory_order_release);
  return port_ready;
}

/* The thread that loads the program is its main thread: bring weft up
 * there, whoever calls it first later. */
WEFT__CONSTRUCTOR(weft__self_constructor) {
  weft__self_init();
}

struct weft_thread *weft__main_record(void) {
  weft__self_init();
  return &main_rec;
}

/* -- the list of live records -- */

void weft__records_lock(void) {
  weft__spin_lock(&records_lock);
}

void weft__records_unlock(void) {
  weft__spin_unlock(&records_lock);
}

static struct weft_thread *listed_record(weft__link *l) {
  return l ? WEFT__CONTAINER(l, struct weft_thread, dbg.all) : NULL;
}

struct weft_thread *weft__records_first(void) {
  return listed_record(records.head);
}

struct weft_thread *weft__records_next(struct weft_thread *t) {
  return listed_record(t->dbg.all.next);
}

uint64_t weft__records_stamp(void) {
  return records_listed;
}

static void list_record(struct weft_thread *t) {
  weft__records_lock();
  if (!t->dbg.listed) put_in_list(t);
  weft__records_unlock();
}

static void unlist_record(struct weft_thread *t) {
  weft__records_lock();
  if (t->dbg.listed) {
    weft__list_remove(&records, &t->dbg.all);
    t->dbg.listed = false;
  }
  weft__records_unlock();
}

/* In a forked child: the other threads are gone, and so may be a thread
 * that held the list's lock. */
static void list_only(struct weft_thread *me) {
  for (weft__link *l = records.head; l; l = l->next)
    listed_record(l)->dbg.listed = false;
  records.head = records.tail = NULL;
  records_lock = 0;
  if (me) put_in_list(me);
}

/* -- records -- */

struct weft_thread *weft__record_new(unsigned char kind) {
  struct weft_thread *t = weft__malloc(sizeof *t);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->refs = 1;
  weft__parker_init(&t->parker);
  return t;
}

void weft__record_free(struct weft_thread *t, bool joinable_wait) {
  unlist_record(t);
  if (weft__load(&t->has_os, memory_order_acquire))
    weft__port_thread_release(&t->os, joinable_wait);
  weft__parker_destroy(&t->parker);
  weft__free(t->affinity);
  if (t->name != weft__main_name) weft__free(t->name);
  weft__free(t);
}

void weft__record_unref(struct weft_thread *t, bool joinable_wait) {
  if (weft__fetch_sub(&t->refs, 1, memory_order_acq_rel) == 1 && t != &main_rec &&
      t->kind != WEFT__KIND_MAIN)
    weft__record_free(t, joinable_wait);
}

int weft__record_start_os(struct weft_thread *t, weft__os_thread *os) {
  return weft__port_thread_create(os, t->stack_size, t);
}

/* -- the calling thread -- */

struct weft_thread *weft__self_if_any(void) {
  return tls_self;
}

void weft__self_set(struct weft_thread *t) {
  tls_self = t;
  if (t && t->ident) tls_ident = t->ident;
  if (t) list_record(t);
}

struct weft_thread *weft__self_for_debug(void) {
  if (tls_self || tls_ending) return tls_self;
  return weft__self();
}

void weft__self_arm_exit(struct weft_thread *t) {
  if (port_ready) weft__port_exit_hook_arm(t);
}

struct weft_thread *weft__self(void) {
  if (tls_self) return tls_self;
  bool ready = weft__self_init();
  if (tls_self) return tls_self; /* the main thread, brought up just now */
  if (!ready) return NULL;
  /* A foreign thread: a bare record to park with. The port's exit hook
   * ends it with the thread. */
  struct weft_thread *t = weft__record_new(WEFT__KIND_DUMMY);
  if (!t) return NULL;
  t->daemon = true;
  t->state = WEFT__ALIVE;
  t->ident = weft_get_ident();
  t->native_id = weft__port_native_id();
  if (weft__port_exit_hook_arm(t) != WEFT_OK) {
    weft__record_free(t, false);
    return NULL;
  }
  tls_self = t;
  list_record(t);
  return t;
}

void weft__thread_end(struct weft_thread *t) {
  end_fn locals = end_hook(WEFT__END_LOCALS);
  if (locals) locals(t); /* destructors may still use weft (and park) */
  weft__self_arm_exit(NULL);
  unlist_record(t);
  tls_ending = true;
  tls_self = NULL;
  end_fn end = end_hook(WEFT__END_RECORD);
  if (end)
    end(t);
  else
    weft__record_unref(t, false); /* a bare record nobody else knows of */
}
