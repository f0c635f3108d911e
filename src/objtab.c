/* The tools' side table of objects (tools.h): names, contention counts and
 * lock-order nodes, keyed by address, so that no weft object carries a
 * field for them.
 *
 * weft__tab is an open-addressing table of pointers to entries whose first
 * two words are the key. A lookup takes no lock: it reads the current
 * array and its slots with acquire loads; an entry's key is written before
 * its slot is published and never changes. Adding takes the owner's lock.
 * Growing publishes a new array and keeps the old ones (a lookup may still
 * be reading them): they add up to less than the current one. */
#include "tools.h"

#include <string.h>

typedef struct array {
  size_t cap, used;
  struct array *older; /* kept, never freed */
  uintptr_t slot[];    /* atomic: entry pointers */
} array;

static size_t hash(uintptr_t k1, uintptr_t k2) {
  uint64_t h =
      (uint64_t)k1 * UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)k2 * UINT64_C(0xC2B2AE3D27D4EB4F);
  return (size_t)(h ^ h >> 29);
}

static array *current(weft__tab *tab) {
  return (array *)weft__load(&tab->array, memory_order_acquire);
}

void *weft__tab_find(weft__tab *tab, uintptr_t k1, uintptr_t k2) {
  array *a = current(tab);
  if (!a) return NULL;
  size_t mask = a->cap - 1;
  for (size_t i = hash(k1, k2) & mask, n = 0; n < a->cap; i = (i + 1) & mask, n++) {
    const uintptr_t *e = (const uintptr_t *)weft__load(&a->slot[i], memory_order_acquire);
    if (!e) return NULL;
    if (e[0] == k1 && e[1] == k2) return (void *)e;
  }
  return NULL;
}

static void insert(array *a, void *entry) {
  const uintptr_t *e = entry;
  size_t mask = a->cap - 1;
  size_t i = hash(e[0], e[1]) & mask;
  while (weft__load(&a->slot[i], memory_order_relaxed))
    i = (i + 1) & mask;
  weft__store(&a->slot[i], (uintptr_t)entry, memory_order_release);
  a->used++;
}

bool weft__tab_add(weft__tab *tab, void *entry) {
  array *a = (array *)weft__load(&tab->array, memory_order_relaxed);
  if (!a || (a->used + 1) * 2 > a->cap) {
    size_t cap = a ? a->cap * 2 : 64;
    array *b = weft__malloc(sizeof *b + cap * sizeof b->slot[0]);
    if (!b) return false;
    memset(b, 0, sizeof *b + cap * sizeof b->slot[0]);
    b->cap = cap;
    b->older = a;
    for (size_t i = 0; a && i < a->cap; i++) {
      uintptr_t e = weft__load(&a->slot[i], memory_order_relaxed);
      if (e) insert(b, (void *)e);
    }
    weft__store(&tab->array, (uintptr_t)b, memory_order_release);
    a = b;
  }
  insert(a, entry);
  return true;
}

void weft__tab_each(weft__tab *tab, void (*fn)(void *entry, void *arg), void *arg) {
  array *a = current(tab);
  for (size_t i = 0; a && i < a->cap; i++) {
    uintptr_t e = weft__load(&a->slot[i], memory_order_acquire);
    if (e) fn((void *)e, arg);
  }
}

/* -- the objects -- */

static weft__tab objects;
static uintptr_t table_lock;

void weft__objtab_lock(void) {
  weft__spin_lock(&table_lock);
}

void weft__objtab_unlock(void) {
  weft__spin_unlock(&table_lock);
}

weft__obj *weft__obj_find(uintptr_t addr) {
  return weft__tab_find(&objects, addr, 0);
}

weft__obj *weft__obj_get(uintptr_t addr) {
  weft__obj *o = weft__obj_find(addr);
  if (o) return o;
  weft__obj *fresh = weft__malloc(sizeof *fresh); /* not under the lock */
  if (!fresh) return NULL;
  memset(fresh, 0, sizeof *fresh);
  fresh->key[0] = addr;
  weft__objtab_lock();
  o = weft__obj_find(addr);
  if (!o && weft__tab_add(&objects, fresh)) {
    o = fresh;
    fresh = NULL;
  }
  weft__objtab_unlock();
  weft__free(fresh);
  return o;
}

bool weft__obj_name(uintptr_t addr, char *buf) {
  weft__obj *o = weft__obj_find(addr);
  buf[0] = '\0';
  if (!o) return false;
  weft__objtab_lock();
  memcpy(buf, o->name, sizeof o->name);
  weft__objtab_unlock();
  return buf[0] != '\0';
}

void weft__obj_set_name(weft__obj *o, const char *name) {
  size_t n = strlen(name);
  if (n > WEFT__NAME_MAX) {
    n = WEFT__NAME_MAX;
    while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
      n--;
  }
  weft__objtab_lock();
  memcpy(o->name, name, n);
  o->name[n] = '\0';
  weft__objtab_unlock();
}

typedef struct each {
  void (*fn)(weft__obj *, void *);
  void *arg;
} each;

static void each_obj(void *entry, void *arg) {
  each *e = arg;
  e->fn(entry, e->arg);
}

void weft__obj_each(void (*fn)(weft__obj *o, void *arg), void *arg) {
  each e = {fn, arg};
  weft__tab_each(&objects, each_obj, &e);
}
