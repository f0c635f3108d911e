/* Contention counts (WEFT_DEBUG=contention, tools.h): per lock, in its
 * side-table entry, the acquisitions (one atomic add each), and for those
 * that found the lock held, how many and how long they waited (under the
 * entry's own spin lock, on a path that waited anyway). */
#include "tools.h"

#include <stdlib.h>
#include <string.h>

void weft__count_acquired(weft_lock *l, unsigned kind, bool contended, int64_t wait_ns) {
  weft__obj *o = weft__obj_get((uintptr_t)l);
  if (!o) return;
  weft__fetch_add(&o->acquisitions, 1, memory_order_relaxed);
  if (weft__load(&o->kind, memory_order_relaxed) != kind)
    weft__store(&o->kind, kind, memory_order_relaxed);
  if (!contended) return;
  uint64_t wait = wait_ns > 0 ? (uint64_t)wait_ns : 0;
  weft__spin_lock(&o->count_lock);
  o->contended++;
  o->wait_total += wait;
  if (wait > o->wait_max) o->wait_max = wait;
  weft__spin_unlock(&o->count_lock);
}

void weft__count_forget(weft__obj *o) {
  weft__store(&o->acquisitions, 0, memory_order_relaxed);
  weft__spin_lock(&o->count_lock);
  o->contended = o->wait_total = o->wait_max = 0;
  weft__spin_unlock(&o->count_lock);
}

/* -- the report -- */

typedef struct row {
  uintptr_t addr;
  unsigned kind;
  uint64_t acquisitions, contended, wait_total, wait_max;
} row;

typedef struct rows {
  row *v;
  size_t n, cap;
} rows;

static void count_one(weft__obj *o, void *arg) {
  if (weft__load(&o->acquisitions, memory_order_relaxed)) ++*(size_t *)arg;
}

static void take_one(weft__obj *o, void *arg) {
  rows *r = arg;
  uintptr_t acquisitions = weft__load(&o->acquisitions, memory_order_relaxed);
  if (!acquisitions || r->n == r->cap) return;
  row *w = &r->v[r->n++];
  w->addr = o->key[0];
  w->kind = (unsigned)weft__load(&o->kind, memory_order_relaxed);
  w->acquisitions = acquisitions;
  weft__spin_lock(&o->count_lock);
  w->contended = o->contended;
  w->wait_total = o->wait_total;
  w->wait_max = o->wait_max;
  weft__spin_unlock(&o->count_lock);
}

/* Longest total wait first; then most contended, most acquired. */
static int by_wait(const void *pa, const void *pb) {
  const row *a = pa, *b = pb;
  if (a->wait_total != b->wait_total) return a->wait_total < b->wait_total ? 1 : -1;
  if (a->contended != b->contended) return a->contended < b->contended ? 1 : -1;
  if (a->acquisitions != b->acquisitions) return a->acquisitions < b->acquisitions ? 1 : -1;
  return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* ns as milliseconds with three decimals. */
static void text_ms(weft__text *t, uint64_t ns) {
  uint64_t us = ns / 1000;
  weft__text_u64(t, us / 1000);
  char frac[5] = {'.', (char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10),
                  (char)('0' + us % 10), '\0'};
  weft__text_str(t, frac);
}

int weft_contention_report(weft_write_fn write, void *arg, size_t top_n) {
  if (!write) return WEFT_EINVAL;
  weft__tool tool = weft__tool_enter();
  size_t n = 0;
  weft__obj_each(count_one, &n);
  rows r = {NULL, 0, n + 16}; /* room for a few counted meanwhile */
  r.v = weft__malloc(r.cap * sizeof *r.v);
  if (!r.v) {
    weft__tool_leave(tool);
    return WEFT_ENOMEM;
  }
  weft__obj_each(take_one, &r);
  qsort(r.v, r.n, sizeof *r.v, by_wait);
  size_t shown = top_n && top_n < r.n ? top_n : r.n;
  char buf[512];
  weft__text t;
  weft__text_init(&t, buf, sizeof buf);
  weft__text_str(&t, "weft contention: ");
  weft__text_u64(&t, r.n);
  weft__text_str(&t, r.n == 1 ? " lock" : " locks");
  if (shown < r.n) {
    weft__text_str(&t, ", the ");
    weft__text_u64(&t, shown);
    weft__text_str(&t, " that waited longest");
  }
  weft__text_str(&t, shown ? " (longest total wait first)\n" : "\n");
  write(t.buf, t.len, arg);
  for (size_t i = 0; i < shown; i++) {
    const row *w = &r.v[i];
    weft__text_init(&t, buf, sizeof buf);
    weft__text_str(&t, w->kind == WEFT__WAIT_RLOCK ? "  rlock " : "  lock ");
    weft__text_object(&t, w->addr);
    weft__text_str(&t, ": ");
    weft__text_u64(&t, w->acquisitions);
    weft__text_str(&t, " acquisitions, ");
    weft__text_u64(&t, w->contended);
    weft__text_str(&t, " contended, wait ");
    text_ms(&t, w->wait_total);
    weft__text_str(&t, " ms total, ");
    text_ms(&t, w->wait_max);
    weft__text_str(&t, " ms max\n");
    write(t.buf, t.len, arg);
  }
  weft__free(r.v);
  weft__tool_leave(tool);
  return WEFT_OK;
}
