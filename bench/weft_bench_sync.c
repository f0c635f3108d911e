/* weft_bench_sync: weft's conditions, events, semaphores, queues, timers
 * and thread-local values against the backend's own primitives (raw.h),
 * in one run.
 *
 *   weft_bench_sync [--quick] [--only TEXT]
 *
 * 1. Ping-pong between two threads, round trips per second: weft_cond on a
 *    weft_lock against the raw mutex + condition variable around a turn
 *    variable; two weft_events against two raw "events" (mutex, condition,
 *    flag; set broadcasts); two weft_sems against two raw semaphores built
 *    the same way (mutex, condition, count).
 * 2. Queues, items per second, 1 producer -> 1 consumer and 2 -> 2, bounded
 *    (1024) and unbounded: weft_queue against a plain ring buffer on one raw
 *    mutex and two raw condition variables (growable when unbounded), and
 *    against GLib's GAsyncQueue where the build found GLib. Every item is
 *    counted and summed.
 * 3. Timers: 100k pending timers (bytes per timer, from a counting
 *    allocator given to weft_set_allocator; arm and cancel time per timer)
 *    against a thread per timer sleeping in the raw timed wait, as Python's
 *    threading.Timer does; and wake-up lateness, median and p99 over
 *    one-shot timers of 5-20 ms, against a thread sleeping in the raw timed
 *    wait itself.
 * 4. weft_local_get against the raw thread-local get, ns per get.
 *
 * Figures, ratios and goals read as in weft_bench (harness.h). Exit status:
 * 0, or 1 when a count came out wrong or a call failed; --quick (about 2 s)
 * is what the test suite runs on every row. */
#include "harness.h"
#include "queue_ops.h"
#include "raw.h"
#include "weft.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WEFT_BENCH_CONFIG
#define WEFT_BENCH_CONFIG ""
#endif

typedef struct config {
  int repeats;
  double pingpong_sample; /* seconds per ping-pong sample */
  double queue_sample;    /* seconds per queue sample (raw side) */
  double local_sample;    /* seconds per thread-local sample */
  unsigned weft_timers;   /* timers pending at once */
  unsigned raw_timers;    /* threads sleeping at once, one per raw timer */
  unsigned late_timers;   /* one-shot timers for the lateness figures */
} config;

static const config full_run = {7, 0.200, 0.150, 0.100, 100000, 256, 200};
static const config quick_run = {3, 0.015, 0.010, 0.003, 10000, 32, 12};

/* -- a counting allocator for weft -- */

typedef union header {
  max_align_t align;
  size_t size;
} header;

static atomic_size_t live_bytes; /* what weft asked for and holds now */

static void *counting_malloc(size_t n) {
  header *h = malloc(sizeof *h + n);
  if (!h) return NULL;
  h->size = n;
  atomic_fetch_add_explicit(&live_bytes, n, memory_order_relaxed);
  return h + 1;
}

static void counting_free(void *p) {
  if (!p) return;
  header *h = (header *)p - 1;
  atomic_fetch_sub_explicit(&live_bytes, h->size, memory_order_relaxed);
  free(h);
}

static void *counting_realloc(void *p, size_t n) {
  if (!p) return counting_malloc(n);
  header *h = (header *)p - 1;
  size_t old = h->size;
  header *moved = realloc(h, sizeof *h + n);
  if (!moved) return NULL;
  moved->size = n;
  atomic_fetch_add_explicit(&live_bytes, n, memory_order_relaxed);
  atomic_fetch_sub_explicit(&live_bytes, old, memory_order_relaxed);
  return moved + 1;
}

/* -- 1. ping-pong -- */

/* One primitive on one side. The main thread pings (hands over, waits for
 * the answer), the partner pongs (waits, answers). To stop, the main thread
 * sets `quit` and nudges (hands over without waiting): the partner then
 * ends whether it was waiting or about to read `quit`. Failed calls are
 * ORed into *bad. */
typedef struct pp_ops {
  int (*init)(void *obj);
  void (*destroy)(void *obj);
  void (*ping)(void *obj, int *bad);
  void (*pong)(void *obj, int *bad);
  void (*nudge)(void *obj, int *bad);
} pp_ops;

typedef struct weft_turn {
  _Alignas(64) weft_lock lock;
  weft_cond cond;
  int turn; /* 1: the partner's, 0: the main thread's */
} weft_turn;

typedef struct raw_turn {
  _Alignas(64) raw_mutex mutex;
  raw_cond cond;
  int turn;
} raw_turn;

/* The raw pair as an event and as a semaphore: a flag or a count. */
typedef struct raw_flag {
  _Alignas(64) raw_mutex mutex;
  raw_cond cond;
  unsigned value;
} raw_flag;

typedef struct padded_event {
  _Alignas(64) weft_event e;
} padded_event;

typedef struct padded_sem {
  _Alignas(64) weft_sem s;
} padded_sem;

static union {
  weft_turn wt;
  raw_turn rt;
  padded_event we[2];
  padded_sem ws[2];
  raw_flag rf[2];
} pp_obj;

static void nothing_to_destroy(void *obj) {
  (void)obj;
}

static int weft_turn_init(void *obj) {
  weft_turn *t = obj;
  t->lock = (weft_lock)WEFT_LOCK_INIT;
  weft_cond_init_lock(&t->cond, &t->lock);
  t->turn = 0;
  return 0;
}

static void weft_turn_give(weft_turn *t, int *bad) {
  t->turn = 1;
  *bad |= weft_cond_notify(&t->cond, 1);
}

static void weft_turn_ping(void *obj, int *bad) {
  weft_turn *t = obj;
  *bad |= weft_lock_acquire(&t->lock, WEFT_FOREVER);
  weft_turn_give(t, bad);
  while (t->turn != 0)
    *bad |= weft_cond_wait(&t->cond, WEFT_FOREVER);
  *bad |= weft_lock_release(&t->lock);
}

static void weft_turn_pong(void *obj, int *bad) {
  weft_turn *t = obj;
  *bad |= weft_lock_acquire(&t->lock, WEFT_FOREVER);
  while (t->turn != 1)
    *bad |= weft_cond_wait(&t->cond, WEFT_FOREVER);
  t->turn = 0;
  *bad |= weft_cond_notify(&t->cond, 1);
  *bad |= weft_lock_release(&t->lock);
}

static void weft_turn_nudge(void *obj, int *bad) {
  weft_turn *t = obj;
  *bad |= weft_lock_acquire(&t->lock, WEFT_FOREVER);
  weft_turn_give(t, bad);
  *bad |= weft_lock_release(&t->lock);
}

static int raw_turn_init(void *obj) {
  raw_turn *t = obj;
  t->turn = 0;
  if (raw_mutex_init(&t->mutex) != 0) return -1;
  if (raw_cond_init(&t->cond) == 0) return 0;
  raw_mutex_destroy(&t->mutex);
  return -1;
}

static void raw_turn_destroy(void *obj) {
  raw_turn *t = obj;
  raw_cond_destroy(&t->cond);
  raw_mutex_destroy(&t->mutex);
}

static void raw_turn_ping(void *obj, int *bad) {
  raw_turn *t = obj;
  *bad |= raw_mutex_lock(&t->mutex);
  t->turn = 1;
  *bad |= raw_cond_signal(&t->cond);
  while (t->turn != 0)
    *bad |= raw_cond_wait(&t->cond, &t->mutex);
  *bad |= raw_mutex_unlock(&t->mutex);
}

static void raw_turn_pong(void *obj, int *bad) {
  raw_turn *t = obj;
  *bad |= raw_mutex_lock(&t->mutex);
  while (t->turn != 1)
    *bad |= raw_cond_wait(&t->cond, &t->mutex);
  t->turn = 0;
  *bad |= raw_cond_signal(&t->cond);
  *bad |= raw_mutex_unlock(&t->mutex);
}

static void raw_turn_nudge(void *obj, int *bad) {
  raw_turn *t = obj;
  *bad |= raw_mutex_lock(&t->mutex);
  t->turn = 1;
  *bad |= raw_cond_signal(&t->cond);
  *bad |= raw_mutex_unlock(&t->mutex);
}

static const pp_ops weft_cond_pp = {weft_turn_init, nothing_to_destroy, weft_turn_ping,
                                    weft_turn_pong, weft_turn_nudge};
static const pp_ops raw_cond_pp = {raw_turn_init, raw_turn_destroy, raw_turn_ping, raw_turn_pong,
                                   raw_turn_nudge};

/* Events: the main thread sets e[0] and waits for e[1]; the partner the
 * other way round. Each clears the event it waited for before answering, so
 * no set is lost. */
static int weft_events_init(void *obj) {
  padded_event *e = obj;
  e[0].e = e[1].e = (weft_event)WEFT_EVENT_INIT;
  return 0;
}

static void weft_event_pass(padded_event *e, int from, int *bad) {
  *bad |= weft_event_wait(&e[from].e, WEFT_FOREVER);
  weft_event_clear(&e[from].e);
}

static void weft_events_ping(void *obj, int *bad) {
  padded_event *e = obj;
  weft_event_set(&e[0].e);
  weft_event_pass(e, 1, bad);
}

static void weft_events_pong(void *obj, int *bad) {
  padded_event *e = obj;
  weft_event_pass(e, 0, bad);
  weft_event_set(&e[1].e);
}

static void weft_events_nudge(void *obj, int *bad) {
  (void)bad;
  weft_event_set(&((padded_event *)obj)[0].e);
}

static int raw_flags_init(void *obj) {
  raw_flag *f = obj;
  for (int i = 0; i < 2; i++) {
    f[i].value = 0;
    if (raw_mutex_init(&f[i].mutex) != 0) return -1;
    if (raw_cond_init(&f[i].cond) != 0) return -1;
  }
  return 0;
}

static void raw_flags_destroy(void *obj) {
  raw_flag *f = obj;
  for (int i = 0; i < 2; i++) {
    raw_cond_destroy(&f[i].cond);
    raw_mutex_destroy(&f[i].mutex);
  }
}

/* The raw pair as Python's Event: set = flag and notify_all. */
static void raw_event_set(raw_flag *f, int *bad) {
  *bad |= raw_mutex_lock(&f->mutex);
  f->value = 1;
  *bad |= raw_cond_broadcast(&f->cond);
  *bad |= raw_mutex_unlock(&f->mutex);
}

static void raw_event_wait_clear(raw_flag *f, int *bad) {
  *bad |= raw_mutex_lock(&f->mutex);
  while (!f->value)
    *bad |= raw_cond_wait(&f->cond, &f->mutex);
  *bad |= raw_mutex_unlock(&f->mutex);
  *bad |= raw_mutex_lock(&f->mutex); /* clear() is a call of its own */
  f->value = 0;
  *bad |= raw_mutex_unlock(&f->mutex);
}

static void raw_events_ping(void *obj, int *bad) {
  raw_flag *f = obj;
  raw_event_set(&f[0], bad);
  raw_event_wait_clear(&f[1], bad);
}

static void raw_events_pong(void *obj, int *bad) {
  raw_flag *f = obj;
  raw_event_wait_clear(&f[0], bad);
  raw_event_set(&f[1], bad);
}

static void raw_events_nudge(void *obj, int *bad) {
  raw_event_set(&((raw_flag *)obj)[0], bad);
}

static const pp_ops weft_event_pp = {weft_events_init, nothing_to_destroy, weft_events_ping,
                                     weft_events_pong, weft_events_nudge};
static const pp_ops raw_event_pp = {raw_flags_init, raw_flags_destroy, raw_events_ping,
                                    raw_events_pong, raw_events_nudge};

/* Semaphores: the main thread releases s[0] and acquires s[1]. */
static int weft_sems_init(void *obj) {
  padded_sem *s = obj;
  weft_sem_init(&s[0].s, 0);
  weft_sem_init(&s[1].s, 0);
  return 0;
}

static void weft_sems_ping(void *obj, int *bad) {
  padded_sem *s = obj;
  *bad |= weft_sem_release(&s[0].s, 1);
  *bad |= weft_sem_acquire(&s[1].s, WEFT_FOREVER);
}

static void weft_sems_pong(void *obj, int *bad) {
  padded_sem *s = obj;
  *bad |= weft_sem_acquire(&s[0].s, WEFT_FOREVER);
  *bad |= weft_sem_release(&s[1].s, 1);
}

static void weft_sems_nudge(void *obj, int *bad) {
  *bad |= weft_sem_release(&((padded_sem *)obj)[0].s, 1);
}

/* The raw pair as a counting semaphore: release signals one waiter. */
static void raw_sem_release(raw_flag *f, int *bad) {
  *bad |= raw_mutex_lock(&f->mutex);
  f->value++;
  *bad |= raw_cond_signal(&f->cond);
  *bad |= raw_mutex_unlock(&f->mutex);
}

static void raw_sem_acquire(raw_flag *f, int *bad) {
  *bad |= raw_mutex_lock(&f->mutex);
  while (!f->value)
    *bad |= raw_cond_wait(&f->cond, &f->mutex);
  f->value--;
  *bad |= raw_mutex_unlock(&f->mutex);
}

static void raw_sems_ping(void *obj, int *bad) {
  raw_flag *f = obj;
  raw_sem_release(&f[0], bad);
  raw_sem_acquire(&f[1], bad);
}

static void raw_sems_pong(void *obj, int *bad) {
  raw_flag *f = obj;
  raw_sem_acquire(&f[0], bad);
  raw_sem_release(&f[1], bad);
}

static void raw_sems_nudge(void *obj, int *bad) {
  raw_sem_release(&((raw_flag *)obj)[0], bad);
}

static const pp_ops weft_sem_pp = {weft_sems_init, nothing_to_destroy, weft_sems_ping,
                                   weft_sems_pong, weft_sems_nudge};
static const pp_ops raw_sem_pp = {raw_flags_init, raw_flags_destroy, raw_sems_ping, raw_sems_pong,
                                  raw_sems_nudge};

typedef struct pp_case {
  const pp_ops *side[2];
} pp_case;

typedef struct partner {
  const pp_ops *ops;
  atomic_bool started, quit;
  int bad;
} partner;

static void partner_main(void *arg) {
  partner *p = arg;
  atomic_store(&p->started, true);
  do
    p->ops->pong(&pp_obj, &p->bad);
  while (!atomic_load(&p->quit));
}

/* Round trips for j->seconds; the partner is a raw thread on both sides,
 * so only the primitive differs. */
static double sample_pingpong(const job *j) {
  const pp_ops *ops = ((const pp_case *)j->ctx)->side[j->side];
  if (ops->init(&pp_obj) != 0) {
    bench_fail("cannot initialise the ping-pong objects", j->side);
    return 1.0;
  }
  partner p = {.ops = ops};
  raw_thread thread;
  if (raw_thread_start(&thread, partner_main, &p) != 0) {
    bench_fail("cannot start the partner thread", j->side);
    ops->destroy(&pp_obj);
    return 1.0;
  }
  while (!atomic_load(&p.started))
    weft_yield();
  int bad = 0;
  uint64_t rounds = 0;
  double t0 = weft_monotonic(), t;
  do {
    for (int i = 0; i < 16; i++)
      ops->ping(&pp_obj, &bad);
    rounds += 16;
  } while ((t = weft_monotonic() - t0) < j->seconds);
  atomic_store(&p.quit, true);
  ops->nudge(&pp_obj, &bad);
  if (raw_thread_join(&thread) != 0) bench_fail("cannot join the partner thread", j->side);
  if (bad || p.bad) bench_fail("a ping-pong call failed", j->side);
  ops->destroy(&pp_obj);
  return t / (double)rounds;
}

/* -- 2. queues -- */

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
static double sample_queue(const job *j) {
  const queue_case *c = j->ctx;
  const queue_ops *ops = j->side == WEFT_SIDE ? &weft_q_ops : c->other;
  void *q = ops->create(c->maxsize);
  if (!q) {
    bench_fail("cannot create the queue", j->side);
    return 1.0;
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
  double t0 = weft_monotonic();
  atomic_store_explicit(&queue_go, true, memory_order_release);
  uint64_t got = 0, sum = 0;
  bool bad = started < 2 * pairs;
  for (unsigned i = 0; i < started; i++) {
    if (raw_thread_join(&w[i].thread) != 0) bench_fail("cannot join a queue thread", j->side);
    bad |= w[i].bad != 0;
    got += w[i].got;
    sum += w[i].sum;
  }
  double t = weft_monotonic() - t0;
  ops->destroy(q);
  /* The values put are 1 .. pairs * n, each once. */
  uint64_t total = (uint64_t)pairs * j->n;
  uint64_t want = total % 2 ? (total + 1) / 2 * total : total / 2 * (total + 1);
  if (bad) {
    bench_fail("a put or get failed", j->side);
  } else if (got != total || sum != want) {
    fprintf(stderr, "weft_bench_sync: %s got %llu items summing to %llu, want %llu and %llu\n",
            ops->name, (unsigned long long)got, (unsigned long long)sum, (unsigned long long)total,
            (unsigned long long)want);
    bench_fail("queue count or sum is wrong", j->side);
  }
  return t / (double)total;
}

/* -- 3. timers -- */

static atomic_ulong timer_calls;

static void count_call(void *arg) {
  (void)arg;
  atomic_fetch_add(&timer_calls, 1);
}

/* Arm n timers that stay pending, then cancel them all; seconds per timer
 * for each, and the bytes weft holds per pending timer. */
static void weft_timers_sample(unsigned n, double *arm, double *cancel, double *bytes) {
  *arm = *cancel = *bytes = 0;
  weft_timer **t = malloc(n * sizeof *t);
  if (!t) {
    bench_fail("out of memory", WEFT_SIDE);
    return;
  }
  atomic_store(&timer_calls, 0);
  size_t before = atomic_load(&live_bytes);
  unsigned armed = 0;
  double t0 = weft_monotonic();
  for (; armed < n; armed++) {
    t[armed] = weft_timer_new(3600.0, count_call, NULL);
    if (!t[armed] || weft_timer_start(t[armed]) != WEFT_OK) {
      bench_fail("cannot arm a timer", WEFT_SIDE);
      weft_timer_unref(t[armed]);
      break;
    }
  }
  double t1 = weft_monotonic();
  /* Signed: a helper thread of weft may free its record meanwhile. */
  *bytes = ((double)atomic_load(&live_bytes) - (double)before) / (armed ? armed : 1);
  unsigned cancelled = 0;
  for (unsigned i = 0; i < armed; i++) {
    cancelled += weft_timer_cancel(t[i]) == WEFT_OK;
    weft_timer_unref(t[i]);
  }
  double t2 = weft_monotonic();
  if (cancelled != armed || atomic_load(&timer_calls) != 0)
    bench_fail("a pending timer was not cancelled", WEFT_SIDE);
  *arm = (t1 - t0) / (armed ? armed : 1);
  *cancel = (t2 - t1) / (armed ? armed : 1);
  free(t);
}

/* The raw timer: a thread sleeping in the raw timed wait until its
 * deadline or its cancellation. */
typedef struct raw_timer {
  raw_mutex mutex;
  raw_cond cond;
  raw_thread thread;
  int64_t deadline;
  bool cancelled, fired;
  int bad;
} raw_timer;

static void raw_timer_main(void *arg) {
  raw_timer *r = arg;
  r->bad |= raw_mutex_lock(&r->mutex);
  while (!r->cancelled && raw_clock_ns() < r->deadline)
    r->bad |= raw_cond_wait_until(&r->cond, &r->mutex, r->deadline);
  r->fired = !r->cancelled;
  r->bad |= raw_mutex_unlock(&r->mutex);
}

static void raw_timers_sample(unsigned n, double *arm, double *cancel) {
  *arm = *cancel = 0;
  raw_timer *r = malloc(n * sizeof *r);
  if (!r) {
    bench_fail("out of memory", RAW_SIDE);
    return;
  }
  unsigned armed = 0;
  double t0 = weft_monotonic();
  for (; armed < n; armed++) {
    raw_timer *x = &r[armed];
    x->deadline = raw_clock_ns() + INT64_C(3600000000000);
    x->cancelled = x->fired = false;
    x->bad = 0;
    if (raw_mutex_init(&x->mutex) != 0) break;
    if (raw_cond_init(&x->cond) != 0 || raw_thread_start(&x->thread, raw_timer_main, x) != 0) {
      raw_mutex_destroy(&x->mutex);
      break;
    }
  }
  double t1 = weft_monotonic();
  if (armed < n) bench_fail("cannot arm a raw timer", RAW_SIDE);
  int bad = 0;
  for (unsigned i = 0; i < armed; i++) {
    raw_timer *x = &r[i];
    bad |= raw_mutex_lock(&x->mutex);
    x->cancelled = true;
    bad |= raw_cond_signal(&x->cond);
    bad |= raw_mutex_unlock(&x->mutex);
    bad |= raw_thread_join(&x->thread);
    bad |= x->bad | x->fired;
    raw_cond_destroy(&x->cond);
    raw_mutex_destroy(&x->mutex);
  }
  double t2 = weft_monotonic();
  if (bad) bench_fail("a raw timer call failed", RAW_SIDE);
  *arm = (t1 - t0) / (armed ? armed : 1);
  *cancel = (t2 - t1) / (armed ? armed : 1);
  free(r);
}

static void measure_pending_timers(const config *cfg) {
  if (!bench_wanted("timer arm, cancel, memory")) return;
  double arm[2][MAX_REPEATS], cancel[2][MAX_REPEATS], bytes = 0, first_bytes = 0;
  for (int r = 0; r < cfg->repeats; r++) {
    for (int k = 0; k < 2; k++) {
      int side = (r + k) % 2;
      if (side == WEFT_SIDE)
        weft_timers_sample(cfg->weft_timers, &arm[side][r], &cancel[side][r], &bytes);
      else
        raw_timers_sample(cfg->raw_timers, &arm[side][r], &cancel[side][r]);
    }
    if (r == 0) first_bytes = bytes;
  }
  double cost[2];
  for (int side = 0; side < 2; side++)
    cost[side] = bench_median(arm[side], cfg->repeats);
  bench_print_row(&(row){"timer arm (us/timer)", 1e6, 1.00, 3}, cost);
  for (int side = 0; side < 2; side++)
    cost[side] = bench_median(cancel[side], cfg->repeats);
  bench_print_row(&(row){"timer cancel (us/timer)", 1e6, 1.00, 3}, cost);
  char note[64];
  snprintf(note, sizeof note, "bytes/timer, %u pending", cfg->weft_timers);
  bench_print_info("timer memory, first arming (B)", first_bytes, 1, note);
  bench_print_info("timer memory, heap grown (B)", bytes, 1, note);
}

typedef struct fired {
  atomic_int calls;
  double at;
} fired;

static void note_time(void *arg) {
  fired *f = arg;
  f->at = weft_monotonic();
  atomic_fetch_add(&f->calls, 1);
}

/* Seconds between a one-shot timer's due time and its call. */
static double weft_lateness(double interval) {
  fired f = {0, 0};
  weft_timer *t = weft_timer_new(interval, note_time, &f);
  double t0 = weft_monotonic();
  if (!t || weft_timer_start(t) != WEFT_OK || weft_timer_join(t, WEFT_FOREVER) != WEFT_OK ||
      atomic_load(&f.calls) != 1) {
    bench_fail("a one-shot timer did not run exactly once", WEFT_SIDE);
    weft_timer_unref(t);
    return 0;
  }
  weft_timer_unref(t);
  return f.at - t0 - interval;
}

static struct {
  raw_mutex mutex;
  raw_cond cond;
} sleeper;

/* Seconds between the deadline and the end of a raw timed wait on a
 * condition nobody signals. */
static double raw_lateness(double interval) {
  int bad = raw_mutex_lock(&sleeper.mutex);
  int64_t deadline = raw_clock_ns() + (int64_t)(interval * 1e9), now;
  while ((now = raw_clock_ns()) < deadline)
    bad |= raw_cond_wait_until(&sleeper.cond, &sleeper.mutex, deadline);
  bad |= raw_mutex_unlock(&sleeper.mutex);
  if (bad) bench_fail("a raw timed wait failed", RAW_SIDE);
  return (double)(now - deadline) * 1e-9;
}

enum { MAX_LATE = 1000 };

static void measure_lateness(const config *cfg) {
  if (!bench_wanted("timer lateness")) return;
  static double late[2][MAX_LATE];
  unsigned n = cfg->late_timers < MAX_LATE ? cfg->late_timers : MAX_LATE;
  if (raw_mutex_init(&sleeper.mutex) != 0 || raw_cond_init(&sleeper.cond) != 0) {
    bench_fail("cannot initialise the raw sleeper", RAW_SIDE);
    return;
  }
  for (unsigned i = 0; i < n; i++) {
    double interval = (5 + (i * 7) % 16) * 1e-3; /* 5 .. 20 ms */
    for (int k = 0; k < 2; k++) {
      int side = (int)(i + k) % 2;
      late[side][i] = side == WEFT_SIDE ? weft_lateness(interval) : raw_lateness(interval);
    }
  }
  raw_cond_destroy(&sleeper.cond);
  raw_mutex_destroy(&sleeper.mutex);
  double med[2], p99[2];
  for (int side = 0; side < 2; side++) {
    med[side] = bench_median(late[side], (int)n);
    p99[side] = bench_quantile(late[side], (int)n, 0.99);
  }
  bench_print_row(&(row){"timer lateness, median (us)", 1e6, 0, 1}, med);
  bench_print_row(&(row){"timer lateness, p99 (us)", 1e6, 0, 1}, p99);
}

/* -- 4. thread-local get -- */

static weft_local *local;
static int local_target;

static double sample_local(const job *j) {
  uintptr_t sum = 0;
  double t0 = weft_monotonic();
  if (j->side == WEFT_SIDE)
    for (uint64_t i = 0; i < j->n; i++)
      sum += (uintptr_t)weft_local_get(local);
  else
    sum = raw_tls_loop(j->n);
  double t = weft_monotonic() - t0;
  if (sum != (uintptr_t)j->n * (uintptr_t)&local_target)
    bench_fail("a thread-local get returned the wrong value", j->side);
  return t / (double)j->n;
}

/* -- the run -- */

static atomic_ulong noop_runs;

static void noop(void *arg) {
  (void)arg;
  atomic_fetch_add(&noop_runs, 1);
}

/* glibc skips atomic instructions while a process has never had a second
 * thread; a program that synchronises has threads, so measure both sides
 * in that state. */
static void start_first_threads(void) {
  raw_thread r;
  if (raw_thread_start(&r, noop, NULL) != 0 || raw_thread_join(&r) != 0)
    bench_fail("cannot start a first thread", RAW_SIDE);
  weft_thread *t = weft_thread_new(noop, NULL);
  if (!t || weft_thread_start(t) != WEFT_OK || weft_thread_join(t, WEFT_FOREVER) != WEFT_OK)
    bench_fail("cannot start a first thread", WEFT_SIDE);
  weft_thread_unref(t);
}

static void run_pingpong(const config *cfg) {
  static const pp_case cases[] = {{{&weft_cond_pp, &raw_cond_pp}},
                                  {{&weft_event_pp, &raw_event_pp}},
                                  {{&weft_sem_pp, &raw_sem_pp}}};
  static const row rows[] = {{"cond ping-pong (M round trips/s)", 0, 1.00, 4},
                             {"event ping-pong (M round trips/s)", 0, 1.00, 4},
                             {"sem hand-off (M round trips/s)", 0, 1.00, 4}};
  for (unsigned i = 0; i < 3; i++) {
    if (!bench_wanted(rows[i].name)) continue;
    double cost[2];
    job j = {.seconds = cfg->pingpong_sample, .ctx = &cases[i]};
    bench_measure(sample_pingpong, j, cfg->repeats, cost);
    bench_print_row(&rows[i], cost);
  }
}

static void run_queues(const config *cfg) {
  static const struct {
    unsigned pairs;
    size_t maxsize;
    const char *name;
  } shapes[] = {{1, 1024, "1->1 bounded"},
                {1, 0, "1->1 unbounded"},
                {2, 1024, "2->2 bounded"},
                {2, 0, "2->2 unbounded"}};
  for (unsigned i = 0; i < 4; i++) {
    const queue_ops *others[] = {&ring_ops, glib_queue_ops};
    for (unsigned k = 0; k < 2; k++) {
      if (!others[k] || (k == 1 && shapes[i].maxsize)) continue; /* GAsyncQueue: no bound */
      queue_case c = {shapes[i].maxsize, others[k]};
      char name[64];
      snprintf(name, sizeof name, "%s %s (Mitems/s)", k == 1 ? "GAsyncQueue" : "queue",
               shapes[i].name);
      if (!bench_wanted(name)) continue;
      job j = {.threads = shapes[i].pairs, .ctx = &c};
      j.n = bench_calibrate(sample_queue, j, 1024, cfg->queue_sample);
      double cost[2];
      bench_measure(sample_queue, j, cfg->repeats, cost);
      bench_print_row(&(row){name, 0, k == 0 ? 0.50 : 1.00, 3}, cost);
    }
  }
}

static void run_local(const config *cfg) {
  if (!bench_wanted("thread-local get")) return;
  local = weft_local_new(NULL);
  if (!local || weft_local_set(local, &local_target) != WEFT_OK || raw_tls_init() != 0 ||
      raw_tls_set(&local_target) != 0) {
    bench_fail("cannot set up the thread-local values", WEFT_SIDE);
    return;
  }
  job j = {.threads = 1};
  j.n = bench_calibrate(sample_local, j, 1024, cfg->local_sample);
  double cost[2];
  bench_measure(sample_local, j, cfg->repeats, cost);
  bench_print_row(&(row){"thread-local get (ns)", 1e9, 1.00, 2}, cost);
  raw_tls_destroy();
  weft_local_free(local);
}

static int usage(FILE *out, int status) {
  fprintf(out, "usage: weft_bench_sync [--quick] [--only TEXT]\n"
               "  --quick      a smoke run of about 2 s (the test suite runs it)\n"
               "  --only TEXT  only the rows whose names contain TEXT (\"queue 2->2\")\n");
  return status;
}

int main(int argc, char **argv) {
  /* Before any other weft call: only then does weft take the allocator. */
  int allocator = weft_set_allocator(counting_malloc, counting_realloc, counting_free);
  const config *cfg = &full_run;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      cfg = &quick_run;
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      bench_only(argv[++i]);
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return usage(stdout, 0);
    else
      return usage(stderr, 2);
  }
  bench_init("weft_bench_sync");
  if (allocator != WEFT_OK) bench_fail("weft_set_allocator refused", WEFT_SIDE);
  start_first_threads();

  double start = weft_monotonic();
  printf("weft_bench_sync: weft %s, backend %s, %u CPUs, build %s, median of %d samples%s\n",
         weft_version(), weft_backend(), weft_cpu_count(),
         WEFT_BENCH_CONFIG[0] ? WEFT_BENCH_CONFIG : "(none)", cfg->repeats,
         cfg == &quick_run ? " (--quick)" : "");
  printf("raw side: %s + %s (events and semaphores built on them), %s, %s%s\n", raw_mutex_name,
         raw_cond_name, raw_tls_name, raw_thread_name,
         glib_queue_ops ? "; GAsyncQueue" : "; no GLib: GAsyncQueue rows skipped");
  printf("ratio = weft cost / raw cost (time per operation; for M.../s rows, raw rate "
         "/ weft rate):\n<= 1.00 means weft is at least as fast as raw.\n\n");
  bench_print_header();

  run_pingpong(cfg);
  run_queues(cfg);
  measure_pending_timers(cfg);
  measure_lateness(cfg);
  run_local(cfg);
  return bench_finish(start);
}
