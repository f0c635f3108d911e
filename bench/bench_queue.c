/* The queue area: items per second through a queue, 1 producer -> 1
 * consumer and 2 -> 2, bounded (1024) and unbounded: weft_queue against a
 * plain ring buffer on one raw mutex and two raw condition variables
 * (growable when unbounded), and against GLib's GAsyncQueue where the build
 * found GLib. Every item is counted and summed. */
#include "bench.h"
#include "harness.h"
#include "queue_ops.h"
#include "raw.h"
#include "weft.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plain ring buffer: what a C user would write with one mutex and two
 * condition variables. It grows by doubling when unbounded. */
typedef struct ring {
  raw_mutex mutex;
  raw_cond not_empty, not_full;
  void **buf;
  size_t cap, head, count, maxsize;
} ring;

static void *ring_create(size_t maxsize) {
  ring *r = malloc(sizeof *r);
  if (!r) return NULL;
  memset(r, 0, sizeof *r);
  r->maxsize = maxsize;
  r->cap = maxsize ? maxsize : 16;
  r->buf = malloc(r->cap * sizeof *r->buf);
  bool ok = r->buf && raw_mutex_init(&r->mutex) == 0;
  if (ok && raw_cond_init(&r->not_empty) != 0) {
    raw_mutex_destroy(&r->mutex);
    ok = false;
  }
  if (ok && raw_cond_init(&r->not_full) != 0) {
    raw_cond_destroy(&r->not_empty);
    raw_mutex_destroy(&r->mutex);
    ok = false;
  }
  if (ok) return r;
  free(r->buf);
  free(r);
  return NULL;
}

static void ring_destroy(void *q) {
  ring *r = q;
  raw_cond_destroy(&r->not_full);
  raw_cond_destroy(&r->not_empty);
  raw_mutex_destroy(&r->mutex);
  free(r->buf);
  free(r);
}

static bool ring_grow(ring *r) {
  size_t cap = r->cap * 2;
  void **buf = realloc(r->buf, cap * sizeof *buf);
  if (!buf) return false;
  /* Items from head to the old end move to the end of the new room. */
  size_t tail = r->cap - r->head;
  memmove(buf + cap - tail, buf + r->head, tail * sizeof *buf);
  r->head = cap - tail;
  r->buf = buf;
  r->cap = cap;
  return true;
}

static int ring_put(void *q, void *item) {
  ring *r = q;
  int bad = raw_mutex_lock(&r->mutex);
  while (r->maxsize && r->count == r->maxsize)
    bad |= raw_cond_wait(&r->not_full, &r->mutex);
  if (r->count == r->cap && !ring_grow(r)) bad = -1;
  if (!bad) {
    size_t at = r->head + r->count;
    r->buf[at >= r->cap ? at - r->cap : at] = item;
    r->count++;
    bad |= raw_cond_signal(&r->not_empty);
  }
  bad |= raw_mutex_unlock(&r->mutex);
  return bad;
}

static int ring_get(void *q, void **item) {
  ring *r = q;
  int bad = raw_mutex_lock(&r->mutex);
  while (r->count == 0)
    bad |= raw_cond_wait(&r->not_empty, &r->mutex);
  *item = r->buf[r->head];
  r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
  r->count--;
  if (r->maxsize) bad |= raw_cond_signal(&r->not_full);
  bad |= raw_mutex_unlock(&r->mutex);
  return bad;
}

static const queue_ops ring_ops = {"ring buffer", ring_create, ring_put, ring_get, ring_destroy};

static void *weft_q_create(size_t maxsize) {
  return weft_queue_new(maxsize);
}

static int weft_q_put(void *q, void *item) {
  return weft_queue_put(q, item, WEFT_FOREVER);
}

static int weft_q_get(void *q, void **item) {
  return weft_queue_get(q, item, WEFT_FOREVER);
}

static void weft_q_destroy(void *q) {
  weft_queue_free(q);
}

static const queue_ops weft_q_ops = {"weft_queue", weft_q_create, weft_q_put, weft_q_get,
                                     weft_q_destroy};

typedef struct queue_case {
  size_t maxsize;
  const queue_ops *other; /* the raw side */
} queue_case;

enum { MAX_PRODUCERS = 2 };

typedef struct queue_worker {
  _Alignas(64) raw_thread thread;
  const queue_ops *ops;
  void *q;
  uint64_t first, n; /* a producer puts first+1 .. first+n */
  uint64_t got, sum; /* a consumer gets n items */
  bool producer;
  int bad;
} queue_worker;

static atomic_uint queue_ready;
static atomic_bool queue_go;

static void queue_worker_main(void *arg) {
  queue_worker *w = arg;
  atomic_fetch_add(&queue_ready, 1);
  while (!atomic_load_explicit(&queue_go, memory_order_acquire))
    weft_yield();
  if (w->producer) {
    for (uint64_t i = 1; i <= w->n && !w->bad; i++)
      w->bad |= w->ops->put(w->q, (void *)(uintptr_t)(w->first + i));
    return;
  }
  for (uint64_t i = 0; i < w->n && !w->bad; i++) {
    void *item = NULL;
    w->bad |= w->ops->get(w->q, &item);
    w->got++;
    w->sum += (uintptr_t)item;
  }
}

/* j->threads producers put j->n items each, as many consumers get j->n
 * each. Time runs from the start signal until all have been joined. */
static cost sample_queue(const job *j) {
  const queue_case *c = j->ctx;
  const queue_ops *ops = j->side == WEFT_SIDE ? &weft_q_ops : c->other;
  void *q = ops->create(c->maxsize);
  if (!q) {
    bench_fail("cannot create the queue", j->side);
    return (cost){1.0, 1.0, {0}};
  }
  unsigned pairs = j->threads, started = 0;
  queue_worker w[2 * MAX_PRODUCERS];
  atomic_store(&queue_ready, 0);
  atomic_store(&queue_go, false);
  for (; started < 2 * pairs; started++) {
    bool producer = started < pairs;
    w[started] = (queue_worker){
        .ops = ops, .q = q, .n = j->n, .producer = producer, .first = started * j->n};
    if (raw_thread_start(&w[started].thread, queue_worker_main, &w[started]) != 0) {
      bench_fail("cannot start a queue thread", j->side);
      break;
    }
  }
  while (atomic_load(&queue_ready) < started)
    weft_yield();
  meter m = bench_start();
  atomic_store_explicit(&queue_go, true, memory_order_release);
  uint64_t got = 0, sum = 0;
  bool bad = started < 2 * pairs;
  for (unsigned i = 0; i < started; i++) {
    if (raw_thread_join(&w[i].thread) != 0) bench_fail("cannot join a queue thread", j->side);
    bad |= w[i].bad != 0;
    got += w[i].got;
    sum += w[i].sum;
  }
  /* The values put are 1 .. pairs * n, each once. */
  uint64_t total = (uint64_t)pairs * j->n;
  cost out = bench_stop(m, (double)total);
  ops->destroy(q);
  uint64_t want = total % 2 ? (total + 1) / 2 * total : total / 2 * (total + 1);
  if (bad) {
    bench_fail("a put or get failed", j->side);
  } else if (got != total || sum != want) {
    fprintf(stderr, "queue: %s got %llu items summing to %llu, want %llu and %llu\n", ops->name,
            (unsigned long long)got, (unsigned long long)sum, (unsigned long long)total,
            (unsigned long long)want);
    bench_fail("queue count or sum is wrong", j->side);
  }
  return out;
}

void bench_queue(const bench_config *cfg) {
  static const struct {
    unsigned pairs;
    size_t maxsize;
    const char *name, *variant;
  } shapes[] = {{1, 1024, "1->1 bounded", "1to1+bounded"},
                {1, 0, "1->1 unbounded", "1to1+unbounded"},
                {2, 1024, "2->2 bounded", "2to2+bounded"},
                {2, 0, "2->2 unbounded", "2to2+unbounded"}};
  for (unsigned i = 0; i < 4; i++) {
    const queue_ops *others[] = {&ring_ops, glib_queue_ops};
    for (unsigned k = 0; k < 2; k++) {
      if (!others[k] || (k == 1 && shapes[i].maxsize)) continue; /* GAsyncQueue: no bound */
      queue_case c = {shapes[i].maxsize, others[k]};
      char name[64];
      snprintf(name, sizeof name, "%s %s", k == 1 ? "GAsyncQueue" : "queue", shapes[i].name);
      if (!bench_wanted(name)) continue;
      job j = {.threads = shapes[i].pairs, .ctx = &c};
      j.n = bench_calibrate(sample_queue, j, 1024, cfg->queue_sample);
      cost costs[2];
      bench_measure(sample_queue, j, cfg->repeats, costs);
      row r = {.name = name,
               .benchmark = k == 1 ? "queue.vs_glib" : "queue",
               .variant = shapes[i].variant,
               .metric = "items",
               .threads = 2 * shapes[i].pairs,
               .unit = "Mitems/s",
               .precision = 3,
               .goal = k == 0 ? 0.50 : 1.00,
               .baseline = others[k]->name};
      bench_print_row(&r, costs, NULL);
    }
  }
}
