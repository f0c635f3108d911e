/* weft_local: thread-local values, as many as memory allows.
 *
 * Each local owns an index into per-thread tables of slots, and a
 * generation: a slot counts only while its generation matches the index's
 * current one, so a local that reuses a freed index (or address) never
 * sees old values. get() reads the calling thread's table without a lock.
 * Tables are listed under one lock so that weft_local_free can reach every
 * thread's value; a value is taken out of its slot under that lock before
 * its destructor runs (outside the lock), so each value is destroyed once,
 * whether by replacement, by its thread's exit, or by free. */
#include "subsystem.h"
#include "self.h"

#include <string.h>

#define EXIT_PASSES 4

typedef struct slot {
  uintptr_t gen;
  void *value;
} slot;

typedef struct table {
  weft__link link; /* in the list of every thread's table */
  size_t len;
  slot *slots; /* grown only under the lock (free() may be reading it) */
} table;

typedef struct meta {
  uintptr_t gen; /* current generation of the index */
  bool live;
  void (*dtor)(void *);
} meta;

struct weft_local {
  size_t index;
  uintptr_t gen;
};

static weft_lock lock;
static weft__list tables;
static meta *metas;
static size_t n_metas, cap_metas;
static size_t *free_indices;
static size_t n_free, cap_free;

/* The calling thread's table lives in the port's fast per-thread slot. */
static table *my_table(void) {
  return weft__port_tls_get();
}

static bool grow_array(void **array, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return true;
  size_t n = *cap ? *cap * 2 : 16;
  while (n < need)
    n *= 2;
  void *p = weft__realloc(*array, n * elem);
  if (!p) return false;
  *array = p;
  *cap = n;
  return true;
}

static void register_once(void);

weft_local *weft_local_new(void (*dtor)(void *)) {
  register_once();
  weft_local *l = weft__malloc(sizeof *l);
  if (!l) return NULL;
  weft_lock_acquire(&lock, WEFT_FOREVER);
  /* Reserve room to give the index back when the local is freed, so that
   * free can never fail. */
  if (!grow_array((void **)&free_indices, &cap_free, n_metas + 1, sizeof *free_indices) ||
      (n_free == 0 && !grow_array((void **)&metas, &cap_metas, n_metas + 1, sizeof *metas))) {
    weft_lock_release(&lock);
    weft__free(l);
    return NULL;
  }
  if (n_free > 0) {
    l->index = free_indices[--n_free];
  } else {
    l->index = n_metas++;
    metas[l->index].gen = 0;
  }
  meta *m = &metas[l->index];
  m->gen++;
  m->live = true;
  m->dtor = dtor;
  l->gen = m->gen;
  weft_lock_release(&lock);
  return l;
}

void *weft_local_get(weft_local *l) {
  table *t = my_table();
  if (!l || !t || l->index >= t->len) return NULL;
  slot *s = &t->slots[l->index];
  return s->gen == l->gen ? s->value : NULL;
}

/* Make the calling thread's table reach index; under the lock. */
static bool reach(size_t index) {
  table *t = my_table();
  bool created = !t;
  if (!t) {
    /* The thread's exit hook is what destroys its values: make sure it
     * has one (foreign threads get a record here). */
    if (!weft__self()) return false;
    t = weft__malloc(sizeof *t);
    if (!t) return false;
    memset(t, 0, sizeof *t);
  }
  size_t cap = t->len;
  if (!grow_array((void **)&t->slots, &cap, index + 1, sizeof *t->slots)) {
    if (created) weft__free(t);
    return false;
  }
  memset(t->slots + t->len, 0, (cap - t->len) * sizeof *t->slots);
  t->len = cap;
  if (created) {
    weft__list_push_front(&tables, &t->link);
    weft__port_tls_set(t);
  }
  return true;
}

int weft_local_set(weft_local *l, void *value) {
  if (!l) return WEFT_EINVAL;
  table *t = my_table();
  if (!t || l->index >= t->len) {
    if (!value) return WEFT_OK; /* nothing to replace */
    weft_lock_acquire(&lock, WEFT_FOREVER);
    bool ok = reach(l->index);
    weft_lock_release(&lock);
    if (!ok) return WEFT_ENOMEM;
    t = my_table();
  }
  slot *s = &t->slots[l->index];
  void *old = s->gen == l->gen ? s->value : NULL;
  if (old == value) return WEFT_OK;
  weft_lock_acquire(&lock, WEFT_FOREVER); /* free() may be taking this slot */
  old = s->gen == l->gen ? s->value : NULL;
  s->gen = l->gen;
  s->value = value;
  void (*dtor)(void *) = metas[l->index].dtor;
  weft_lock_release(&lock);
  if (old && old != value && dtor) dtor(old);
  return WEFT_OK;
}

/* Under the lock: take a live value out of a slot, with its destructor. */
static bool take(slot *s, size_t index, void **value, void (**dtor)(void *)) {
  if (!s->value || !metas[index].live || metas[index].gen != s->gen) return false;
  *value = s->value;
  *dtor = metas[index].dtor;
  s->value = NULL;
  return true;
}

void weft_local_free(weft_local *l) {
  if (!l) return;
  weft_lock_acquire(&lock, WEFT_FOREVER);
  /* Each destructor runs without the lock, so the walk starts over after
   * each: the list may have changed meanwhile. */
  for (;;) {
    void *value = NULL;
    void (*dtor)(void *) = NULL;
    bool found = false;
    for (weft__link *k = tables.head; k && !found; k = k->next) {
      table *t = WEFT__CONTAINER(k, table, link);
      found = l->index < t->len && take(&t->slots[l->index], l->index, &value, &dtor);
    }
    if (!found) break;
    weft_lock_release(&lock);
    if (dtor) dtor(value);
    weft_lock_acquire(&lock, WEFT_FOREVER);
  }
  metas[l->index].live = false;
  free_indices[n_free++] = l->index;
  weft_lock_release(&lock);
  weft__free(l);
}

/* A thread ends: destroy its values (weft and foreign threads alike). */
static void thread_end(struct weft_thread *unused) {
  (void)unused;
  table *t = my_table();
  if (!t) return;
  for (int pass = 0; pass < EXIT_PASSES; pass++) {
    bool any = false;
    weft_lock_acquire(&lock, WEFT_FOREVER);
    for (size_t i = 0; i < t->len; i++) {
      void *value;
      void (*dtor)(void *);
      if (!take(&t->slots[i], i, &value, &dtor)) continue;
      any = true;
      weft_lock_release(&lock);
      if (dtor) dtor(value); /* may set values again: another pass */
      weft_lock_acquire(&lock, WEFT_FOREVER);
    }
    weft_lock_release(&lock);
    if (!any) break;
  }
  /* Whatever destructors set after the last pass is dropped, as POSIX
   * keys do. */
  weft_lock_acquire(&lock, WEFT_FOREVER);
  weft__list_remove(&tables, &t->link);
  weft_lock_release(&lock);
  weft__port_tls_set(NULL);
  weft__free(t->slots);
  weft__free(t);
}

/* -- fork: the lock is held across it; in the child only this thread's
 * table lives on, the others' threads are gone -- */

static void after_fork_child(void) {
  table *mine = my_table();
  tables.head = tables.tail = NULL;

  if (mine) weft__list_push_back(&tables, &mine->link);
}

static weft__subsystem locals_subsystem = {
    .order = WEFT__ORDER_LOCALS, .lock = &lock, .after_fork_child = after_fork_child};

static void register_locals(void *unused) {
  (void)unused;
  weft__on_thread_end(WEFT__END_LOCALS, thread_end);
  weft__process_register(&locals_subsystem);
}

/* At the first local: until then no thread has a value. */
static void register_once(void) {
  static weft_once once = WEFT_ONCE_INIT;
  weft_call_once(&once, register_locals, NULL);
}
