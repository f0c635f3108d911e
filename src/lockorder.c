/* Held locks and lock order (tools.h).
 *
 * Held: each thread's stack of the locks it holds (debug.h), with the code
 * address that took each; pushed and popped by the thread itself. A weft_lock
 * released by another thread is found in its holder's stack by a scan of
 * every record, and cleared there with a CAS (the holder only ever pushes
 * onto empty slots and trims cleared ones, so the two never undo each
 * other).
 *
 * Order: a graph over every lock seen, with an edge A -> B the first time a
 * thread acquires B, in a wait that can block, while it holds A. Edges live
 * in a table keyed by (A, B), looked up without a lock, so a pair seen
 * before costs one probe; a new edge is added under the graph lock after a
 * depth-first search from B for A: a path B -> ... -> A means some threads
 * take these locks in opposite orders, and the report says so, once, before
 * this acquire waits (and may deadlock). */
#include "tools.h"

#include <stdlib.h>
#include <string.h>

struct weft__edge {
  uintptr_t key[2]; /* from, to */
  uintptr_t live;   /* atomic: 0 once forgotten */
  /* under the graph lock */
  weft__edge *next_from; /* in from's list */
  weft__obj *to_obj;
  const void *from_site, *to_site;
  unsigned from_kind, to_kind;
  uint64_t ident;                  /* the thread that made it */
  char thread[WEFT__NAME_MAX + 1]; /* its name then, "" if it was not to be had */
};

static weft__tab edges;
static uintptr_t graph_lock;
static uintptr_t dfs_stamp; /* under the graph lock */

#define MAX_DEPTH 32 /* a longer cycle goes unreported */

/* -- held locks -- */

static uintptr_t lock_of(uintptr_t entry) {
  return entry & ~WEFT__HELD_RLOCK;
}

static unsigned kind_of(uintptr_t entry) {
  return entry & WEFT__HELD_RLOCK ? WEFT__WAIT_RLOCK : WEFT__WAIT_LOCK;
}

/* The calling thread's stack, of the current epoch: an older one starts
 * empty (n before epoch, so a reader that sees the epoch sees n reset). */
static weft__held *my_held(struct weft_thread *t) {
  weft__held *h = &t->dbg.held;
  uintptr_t epoch = weft__tools_epoch();
  if (weft__load(&h->epoch, memory_order_relaxed) != epoch) {
    weft__store(&h->n, 0, memory_order_relaxed);
    weft__store(&h->epoch, epoch, memory_order_release);
  }
  return h;
}

bool weft__held_current(const struct weft_thread *r) {
  return (weft__load(&weft__debug_mode, memory_order_relaxed) & WEFT__DEBUG_HELD) &&
         weft__load(&r->dbg.held.epoch, memory_order_acquire) == weft__tools_epoch();
}

/* Drop cleared entries from the top. */
static uintptr_t trim(weft__held *h, uintptr_t n) {
  while (n > 0 && !weft__load(&h->lock[n - 1], memory_order_relaxed))
    n--;
  return n;
}

void weft__held_push(struct weft_thread *t, weft_lock *l, unsigned kind, const void *site) {
  weft__held *h = my_held(t);
  uintptr_t n = trim(h, weft__load(&h->n, memory_order_relaxed));
  if (n < WEFT__HELD_MAX) { /* deeper ones are not tracked */
    uintptr_t entry = (uintptr_t)l | (kind == WEFT__WAIT_RLOCK ? WEFT__HELD_RLOCK : 0);
    weft__store(&h->site[n], (uintptr_t)site, memory_order_relaxed);
    weft__store(&h->lock[n], entry, memory_order_release);
    n++;
  }
  weft__store(&h->n, n, memory_order_release);
}

/* Clear the slot if it holds addr; false if it does not (any more). */
static bool clear(uintptr_t *slot, uintptr_t addr) {
  uintptr_t e = weft__load(slot, memory_order_relaxed);
  while (e && lock_of(e) == addr)
    if (weft__cas(slot, &e, 0, memory_order_relaxed)) return true;
  return false;
}

static bool pop_from(struct weft_thread *r, uintptr_t addr) {
  weft__held *h = &r->dbg.held;
  uintptr_t n = weft__load(&h->n, memory_order_acquire);
  for (uintptr_t i = n; i-- > 0;)
    if (clear(&h->lock[i], addr)) return true;
  return false;
}

void weft__held_pop(struct weft_thread *t, weft_lock *l) {
  uintptr_t addr = (uintptr_t)l;
  if (t) {
    weft__held *h = my_held(t);
    if (pop_from(t, addr)) {
      weft__store(&h->n, trim(h, weft__load(&h->n, memory_order_relaxed)), memory_order_release);
      return;
    }
  }
  /* Released by a thread that does not hold it (a weft_lock may be), or
   * never recorded: clear it where its holder has it. */
  weft__records_lock();
  for (struct weft_thread *r = weft__records_first(); r; r = weft__records_next(r))
    if (r != t && weft__held_current(r) && pop_from(r, addr)) break;
  weft__records_unlock();
}

struct weft_thread *weft__holder_locked(uintptr_t addr) {
  for (struct weft_thread *r = weft__records_first(); r; r = weft__records_next(r)) {
    if (!weft__held_current(r)) continue;
    const weft__held *h = &r->dbg.held;
    uintptr_t n = weft__load(&h->n, memory_order_acquire);
    for (uintptr_t i = 0; i < n && i < WEFT__HELD_MAX; i++) {
      uintptr_t e = weft__load(&h->lock[i], memory_order_acquire);
      if (e && lock_of(e) == addr) return r;
    }
  }
  return NULL;
}

/* -- the graph -- */

static bool known(uintptr_t from, uintptr_t to) {
  weft__edge *e = weft__tab_find(&edges, from, to);
  return e && weft__load(&e->live, memory_order_acquire);
}

/* Under the graph lock: a path of live edges from start to the lock
 * `target`, into path[]; its length, or 0 if there is none. */
static size_t find_path(weft__obj *start, uintptr_t target, weft__edge **path) {
  struct frame {
    weft__obj *node;
    weft__edge *next;
  } stack[MAX_DEPTH];
  uintptr_t stamp = ++dfs_stamp;
  start->stamp = stamp;
  stack[0].node = start;
  stack[0].next = start->out;
  size_t depth = 1;
  while (depth) {
    struct frame *f = &stack[depth - 1];
    weft__edge *e = f->next;
    if (!e) {
      depth--;
      continue;
    }
    f->next = e->next_from;
    if (!weft__load(&e->live, memory_order_relaxed)) continue;
    path[depth - 1] = e;
    if (e->key[1] == target) return depth;
    weft__obj *n = e->to_obj;
    if (n->stamp == stamp || depth == MAX_DEPTH) continue;
    n->stamp = stamp;
    stack[depth].node = n;
    stack[depth].next = n->out;
    depth++;
  }
  return 0;
}

static void text_lock(weft__text *t, unsigned kind, uintptr_t addr) {
  weft__text_str(t, kind == WEFT__WAIT_RLOCK ? "rlock " : "lock ");
  weft__text_object(t, addr);
}

static void text_who(weft__text *t, const char *name, uint64_t ident) {
  if (name[0]) {
    weft__text_quoted(t, name);
    weft__text_str(t, " ");
  }
  weft__text_str(t, "(ident ");
  weft__text_u64(t, ident);
  weft__text_str(t, ")");
}

/* A report's cycle: the new edge, then the path from its lock back to the
 * lock it is taken under, copied out of the graph (the text is made with
 * no lock held: naming a code address may take the loader's lock). */
typedef struct cycle {
  size_t n;
  weft__edge edge[MAX_DEPTH + 1];
} cycle;

static void text_cycle(weft__text *t, const cycle *c) {
  weft__text_str(t, "weft: potential deadlock: lock order cycle of ");
  weft__text_u64(t, c->n);
  weft__text_str(t, " locks\n");
  for (size_t i = 0; i < c->n; i++) {
    const weft__edge *e = &c->edge[i];
    weft__text_str(t, "  ");
    text_who(t, e->thread, e->ident);
    weft__text_str(t, i == 0 ? " acquires " : " acquired ");
    text_lock(t, e->to_kind, e->key[1]);
    weft__text_str(t, " at ");
    weft__text_site(t, e->to_site);
    weft__text_str(t, i == 0 ? "\n    while it holds " : "\n    while it held ");
    text_lock(t, e->from_kind, e->key[0]);
    weft__text_str(t, ", acquired at ");
    weft__text_site(t, e->from_site);
    weft__text_str(t, i + 1 < c->n ? ";\n" : ".\n");
  }
}

/* Under the graph lock: fill in edge e (new, or forgotten before) and make
 * it live; the cycle it closes, copied into c; how many edges that has (0:
 * none). */
static size_t close_edge(weft__edge *e, const struct weft_thread *t, const char *thread,
                         unsigned from_kind, const void *from_site, weft__obj *to_obj,
                         unsigned to_kind, const void *to_site, cycle *c) {
  e->to_obj = to_obj;
  e->from_site = from_site;
  e->to_site = to_site;
  e->from_kind = from_kind;
  e->to_kind = to_kind;
  e->ident = t->ident;
  memcpy(e->thread, thread, sizeof e->thread);
  weft__edge *path[MAX_DEPTH];
  size_t len = find_path(to_obj, e->key[0], path);
  weft__store(&e->live, 1, memory_order_release);
  if (!len) return 0;
  c->edge[0] = *e;
  for (size_t i = 0; i < len; i++)
    c->edge[i + 1] = *path[i];
  return len + 1;
}

/* The calling thread, busy, acquires `to` while holding `from`, an edge
 * not known yet. Reports the cycle it closes, if any. */
static void add_edge(struct weft_thread *t, uintptr_t from, unsigned from_kind,
                     const void *from_site, uintptr_t to, unsigned to_kind, const void *to_site) {
  char me[WEFT__NAME_MAX + 1] = "";
  if (weft__names_lock(0)) { /* only tried: the caller may hold it */
    const char *name = weft__name_locked(t);
    if (name) {
      size_t n = strlen(name) > WEFT__NAME_MAX ? WEFT__NAME_MAX : strlen(name);
      memcpy(me, name, n);
      me[n] = '\0';
    }
    weft__names_unlock();
  }
  weft__obj *fo = weft__obj_get(from), *to_obj = weft__obj_get(to);
  weft__edge *fresh = weft__malloc(sizeof *fresh);
  cycle *c = weft__malloc(sizeof *c); /* not on the stack: it is big */
  if (!fo || !to_obj || !fresh || !c) {
    weft__free(fresh);
    weft__free(c);
    return;
  }
  memset(fresh, 0, sizeof *fresh);
  fresh->key[0] = from;
  fresh->key[1] = to;

  size_t n = 0;
  weft__spin_lock(&graph_lock);
  weft__edge *e = weft__tab_find(&edges, from, to);
  if (!e || !weft__load(&e->live, memory_order_relaxed)) { /* else: added meanwhile */
    if (!e && weft__tab_add(&edges, fresh)) {
      e = fresh;
      fresh = NULL;
      e->next_from = fo->out;
      fo->out = e;
    }
    if (e) n = close_edge(e, t, me, from_kind, from_site, to_obj, to_kind, to_site, c);
  }
  weft__spin_unlock(&graph_lock);
  weft__free(fresh);
  c->n = n;
  if (n) {
    char buf[2048];
    weft__text text;
    weft__text_init(&text, buf, sizeof buf);
    text_cycle(&text, c);
    weft__report(text.buf, text.len);
  }
  weft__free(c);
  if (n && (weft__tools_flags() & WEFT_DEBUG_ABORT)) abort();
}

void weft__order_check(struct weft_thread *t, weft_lock *l, unsigned kind, const void *site) {
  weft__held *h = my_held(t);
  uintptr_t to = (uintptr_t)l;
  uintptr_t n = weft__load(&h->n, memory_order_relaxed);
  for (uintptr_t i = 0; i < n; i++) {
    uintptr_t e = weft__load(&h->lock[i], memory_order_relaxed);
    /* A lock taken again is not an order (a weft_lock may be released by
     * another thread meanwhile). */
    if (!e || lock_of(e) == to || known(lock_of(e), to)) continue;
    t->dbg.busy = true;
    add_edge(t, lock_of(e), kind_of(e), (const void *)weft__load(&h->site[i], memory_order_relaxed),
             to, kind, site);
    t->dbg.busy = false;
  }
}

static void forget_edge(void *entry, void *arg) {
  weft__edge *e = entry;
  uintptr_t addr = *(const uintptr_t *)arg;
  if (e->key[0] == addr || e->key[1] == addr) weft__store(&e->live, 0, memory_order_relaxed);
}

void weft__order_forget(uintptr_t addr) {
  weft__spin_lock(&graph_lock);
  weft__tab_each(&edges, forget_edge, &addr);
  weft__spin_unlock(&graph_lock);
}

/* -- fork -- */

void weft__order_lock(void) {
  weft__spin_lock(&graph_lock);
}

void weft__order_unlock(void) {
  weft__spin_unlock(&graph_lock);
}

void weft__order_after_fork_child(struct weft_thread *me) {
  graph_lock = 0;
  if (!me) return;
  /* fork's reset let go of the locks its before-hook took (by a store,
   * not a release): they are not held here any more. */
  weft__held *h = &me->dbg.held;
  uintptr_t n = weft__load(&h->n, memory_order_relaxed);
  for (uintptr_t i = 0; i < n; i++) {
    uintptr_t e = weft__load(&h->lock[i], memory_order_relaxed);
    if (e && !weft_lock_locked((const weft_lock *)lock_of(e)))
      weft__store(&h->lock[i], 0, memory_order_relaxed);
  }
  weft__store(&h->n, trim(h, n), memory_order_relaxed);
}
