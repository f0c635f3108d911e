/* weft_queue: FIFO, LIFO and priority order, bounds and timeouts, task_done
 * and join, shutdown (3.13 semantics), free_item, out-of-memory during put,
 * and stress with exact accounting.
 *
 * Items are small integers carried in the pointer (0 is NULL, a valid item).
 * A priority item's priority is its bits from PRIO_SHIFT up, so that equal
 * priorities can still be told apart. */
#include "test.h"

#include <math.h>

enum { FIFO, LIFO, PRIO };
#define PRIO_SHIFT 20

static void *item_of(uintptr_t v) {
  return (void *)v;
}

static uintptr_t value_of(const void *p) {
  return (uintptr_t)p;
}

static void *prio_item(uintptr_t prio, uintptr_t id) {
  return item_of(prio << PRIO_SHIFT | id);
}

/* Orders by priority only: ids of equal priority must keep arrival order. */
static int cmp_prio(const void *a, const void *b) {
  uintptr_t pa = value_of(a) >> PRIO_SHIFT, pb = value_of(b) >> PRIO_SHIFT;
  return pa < pb ? -1 : pa > pb;
}

static weft_queue *make_queue(int kind, size_t maxsize) {
  weft_queue *q = kind == FIFO   ? weft_queue_new(maxsize)
                  : kind == LIFO ? weft_queue_new_lifo(maxsize)
                                 : weft_queue_new_priority(maxsize, cmp_prio);
  CHECK(q != NULL);
  return q;
}

static void put_now(weft_queue *q, void *item) {
  CHECK_STATUS(weft_queue_put(q, item, 0), WEFT_OK);
}

static uintptr_t get_now(weft_queue *q) {
  void *item = item_of(12345);
  CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_OK);
  return value_of(item);
}

static uint32_t rng(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

/* A thread doing one queue call, so that the test can watch it block. */
enum { PUT, GET, JOIN };
typedef struct agent {
  weft_queue *q;
  int op;
  void *item; /* PUT: what to put; GET: what was got */
  double timeout;
  int status;
  double elapsed; /* of the call, measured by the agent */
  test_flag started, done;
  weft_thread *thread;
} agent;

static void agent_run(void *arg) {
  agent *a = arg;
  double t0 = weft_monotonic();
  test_flag_set(&a->started);
  if (a->op == PUT)
    a->status = weft_queue_put(a->q, a->item, a->timeout);
  else if (a->op == GET)
    a->status = weft_queue_get(a->q, &a->item, a->timeout);
  else
    a->status = weft_queue_join(a->q, a->timeout);
  a->elapsed = weft_monotonic() - t0;
  test_flag_set(&a->done);
}

/* Start the agent and wait until it is about to make its call. */
static void agent_start(agent *a, weft_queue *q, int op, void *item, double timeout) {
  memset(a, 0, sizeof *a);
  a->q = q;
  a->op = op;
  a->item = item;
  a->timeout = timeout;
  a->thread = test_spawn(agent_run, a);
  test_flag_wait(&a->started);
}

/* Join the agent and check how its call ended. */
static void agent_finish(agent *a, int status) {
  test_join(a->thread);
  CHECK(test_flag_get(&a->done));
  CHECK_STATUS(a->status, status);
}

/* Time for started agents to reach their wait. */
#define SETTLE 0.05

/* A free_item that records what it is given. */
#define FREED_MAX 4096
static atomic_long freed_count;
static atomic_int freed_seen[FREED_MAX];

static void record_free(void *item) {
  uintptr_t v = value_of(item) & ((1u << PRIO_SHIFT) - 1);
  if (v < FREED_MAX) atomic_fetch_add(&freed_seen[v], 1);
  atomic_fetch_add(&freed_count, 1);
}

static void reset_freed(void) {
  atomic_store(&freed_count, 0);
  for (int i = 0; i < FREED_MAX; i++)
    atomic_store(&freed_seen[i], 0);
}

/* ---- bad input ----------------------------------------------------------- */

void test_queue_invalid(void) {
  const double bad[] = {NAN, -0.5, -1e-9, -2.0, -INFINITY};
  void *item = NULL;
  CHECK(weft_queue_new_priority(0, NULL) == NULL);
  CHECK(weft_queue_new_priority(4, NULL) == NULL);
  CHECK_STATUS(weft_queue_put(NULL, item_of(1), 0), WEFT_EINVAL);
  CHECK_STATUS(weft_queue_put(NULL, item_of(1), WEFT_FOREVER), WEFT_EINVAL);
  CHECK_STATUS(weft_queue_get(NULL, &item, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_queue_get(NULL, &item, WEFT_FOREVER), WEFT_EINVAL);
  CHECK_STATUS(weft_queue_task_done(NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_queue_join(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_queue_join(NULL, WEFT_FOREVER), WEFT_EINVAL);
  CHECK_STATUS(weft_queue_shutdown(NULL, false), WEFT_EINVAL);
  CHECK_STATUS(weft_queue_shutdown(NULL, true), WEFT_EINVAL);
  CHECK_EQ(weft_queue_qsize(NULL), 0);
  CHECK(weft_queue_empty(NULL));
  CHECK(!weft_queue_full(NULL));
  weft_queue_set_item_free(NULL, record_free);
  weft_queue_free(NULL);

  for (int kind = FIFO; kind <= PRIO; kind++) {
    weft_queue *q = make_queue(kind, 2);
    /* Empty: a get with nowhere to store the item fails at once rather
     * than waiting (1 s would give WEFT_TIMEOUT). */
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_queue_get(q, NULL, 1.0), WEFT_EINVAL);
    CHECK_ELAPSED(t0, 0, 0.9);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      CHECK_STATUS(weft_queue_get(q, &item, bad[i]), WEFT_EINVAL);
      CHECK_STATUS(weft_queue_put(q, item_of(7), bad[i]), WEFT_EINVAL);
      CHECK_STATUS(weft_queue_join(q, bad[i]), WEFT_EINVAL);
      CHECK_EQ(weft_queue_qsize(q), 0);
    }
    /* Nothing was put: no task is pending. */
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);

    put_now(q, item_of(1));
    CHECK_STATUS(weft_queue_get(q, NULL, 0), WEFT_EINVAL);
    CHECK_STATUS(weft_queue_get(q, NULL, WEFT_FOREVER), WEFT_EINVAL);
    CHECK_EQ(weft_queue_qsize(q), 1);
    put_now(q, item_of(2));
    CHECK(weft_queue_full(q));
    /* Full or not, a bad timeout is refused without waiting or changing
     * anything. */
    t0 = weft_monotonic();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      CHECK_STATUS(weft_queue_put(q, item_of(3), bad[i]), WEFT_EINVAL);
      CHECK_STATUS(weft_queue_get(q, &item, bad[i]), WEFT_EINVAL);
      CHECK_STATUS(weft_queue_join(q, bad[i]), WEFT_EINVAL);
    }
    CHECK_ELAPSED(t0, 0, 1.0);
    CHECK_EQ(weft_queue_qsize(q), 2);
    uintptr_t a = get_now(q), b = get_now(q);
    CHECK(kind == LIFO ? a == 2 && b == 1 : a == 1 && b == 2);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);
    weft_queue_free(q);
  }
}

/* ---- order --------------------------------------------------------------- */

void test_queue_fifo(void) {
  const size_t sizes[] = {0, 1, 5, 100};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    size_t n = sizes[s] ? sizes[s] : 1000;
    weft_queue *q = make_queue(FIFO, sizes[s]);
    for (int round = 0; round < 3; round++) {
      /* Item 0 is NULL: a valid item like any other. */
      for (uintptr_t i = 0; i < n; i++)
        put_now(q, item_of(i));
      CHECK_EQ(weft_queue_qsize(q), n);
      for (uintptr_t i = 0; i < n; i++)
        CHECK_EQ(get_now(q), i);
      void *item;
      CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_TIMEOUT);
    }
    weft_queue_free(q);
  }
}

void test_queue_lifo(void) {
  const size_t sizes[] = {0, 1, 5, 100};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    size_t n = sizes[s] ? sizes[s] : 1000;
    weft_queue *q = make_queue(LIFO, sizes[s]);
    for (uintptr_t i = 0; i < n; i++)
      put_now(q, item_of(i));
    CHECK_EQ(weft_queue_qsize(q), n);
    for (uintptr_t i = n; i-- > 0;)
      CHECK_EQ(get_now(q), i);
    void *item;
    CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_TIMEOUT);
    weft_queue_free(q);
  }
  /* Interleaved: always the newest. */
  weft_queue *q = make_queue(LIFO, 0);
  put_now(q, item_of(1));
  put_now(q, item_of(2));
  CHECK_EQ(get_now(q), 2);
  put_now(q, item_of(3));
  put_now(q, item_of(4));
  CHECK_EQ(get_now(q), 4);
  CHECK_EQ(get_now(q), 3);
  put_now(q, item_of(5));
  CHECK_EQ(get_now(q), 5);
  CHECK_EQ(get_now(q), 1);
  CHECK(weft_queue_empty(q));
  weft_queue_free(q);
}

static int cmp_value(const void *a, const void *b) {
  return value_of(a) < value_of(b) ? -1 : value_of(a) > value_of(b);
}

void test_queue_priority(void) {
  const size_t n = 1000;
  weft_queue *q = weft_queue_new_priority(0, cmp_value);
  CHECK(q != NULL);
  /* A permutation of 0..n-1 (37 is coprime with 1000). */
  for (uintptr_t i = 0; i < n; i++)
    put_now(q, item_of(i * 37 % n));
  CHECK_EQ(weft_queue_qsize(q), n);
  for (uintptr_t i = 0; i < n; i++)
    CHECK_EQ(get_now(q), i);
  /* Smallest first whatever the arrival order, duplicates included. */
  const uintptr_t in[] = {5, 3, 9, 3, 1, 7, 1, 0, 9, 4};
  const uintptr_t out[] = {0, 1, 1, 3, 3, 4, 5, 7, 9, 9};
  for (size_t i = 0; i < 10; i++)
    put_now(q, item_of(in[i]));
  for (size_t i = 0; i < 10; i++)
    CHECK_EQ(get_now(q), out[i]);
  /* Bounded: order holds at the bound too. */
  weft_queue *b = weft_queue_new_priority(3, cmp_value);
  CHECK(b != NULL);
  put_now(b, item_of(30));
  put_now(b, item_of(10));
  put_now(b, item_of(20));
  CHECK(weft_queue_full(b));
  CHECK_STATUS(weft_queue_put(b, item_of(0), 0), WEFT_TIMEOUT);
  CHECK_EQ(get_now(b), 10);
  put_now(b, item_of(5));
  CHECK_EQ(get_now(b), 5);
  CHECK_EQ(get_now(b), 20);
  CHECK_EQ(get_now(b), 30);
  weft_queue_free(b);
  weft_queue_free(q);
}

/* A reference model of a queue of any kind: an array with a head. */
typedef struct model {
  int kind;
  void **a;
  size_t head, tail;
} model;

static void model_init(model *m, int kind, size_t ops) {
  m->kind = kind;
  m->a = calloc(ops + 1, sizeof *m->a);
  CHECK(m->a != NULL);
  m->head = m->tail = 0;
}

static void model_put(model *m, void *item) {
  m->a[m->tail++] = item;
}

static void *model_get(model *m) {
  CHECK(m->tail > m->head);
  if (m->kind == FIFO) return m->a[m->head++];
  if (m->kind == LIFO) return m->a[--m->tail];
  /* The first of the smallest priority. */
  size_t best = m->head;
  for (size_t i = m->head + 1; i < m->tail; i++)
    if (cmp_prio(m->a[i], m->a[best]) < 0) best = i;
  void *item = m->a[best];
  memmove(m->a + best, m->a + best + 1, (m->tail - best - 1) * sizeof *m->a);
  m->tail--;
  return item;
}

static size_t model_size(const model *m) {
  return m->tail - m->head;
}

/* Random puts and gets (put_percent of them puts) against the model. */
static void model_run(int kind, size_t ops, unsigned put_percent, uintptr_t prios, uint32_t seed) {
  weft_queue *q = make_queue(kind, 0);
  model m;
  model_init(&m, kind, ops);
  for (size_t i = 0; i < ops; i++) {
    if (model_size(&m) == 0 || rng(&seed) % 100 < put_percent) {
      void *item = prio_item(rng(&seed) % prios, i);
      put_now(q, item);
      model_put(&m, item);
    } else {
      uintptr_t want = value_of(model_get(&m));
      uintptr_t got = get_now(q);
      if (got != want)
        test_fail_(__FILE__, __LINE__, "op %zu: got item %#lx, expected %#lx", i,
                   (unsigned long)got, (unsigned long)want);
    }
    CHECK_EQ(weft_queue_qsize(q), model_size(&m));
  }
  while (model_size(&m) > 0)
    CHECK_EQ(get_now(q), value_of(model_get(&m)));
  CHECK(weft_queue_empty(q));
  free(m.a);
  weft_queue_free(q);
}

void test_queue_priority_stable(void) {
  /* One priority for all: a plain FIFO, however many items. */
  long n = test_scaled(20000);
  if (n > 1000000) n = 1000000;
  weft_queue *q = make_queue(PRIO, 0);
  for (long i = 0; i < n; i++)
    put_now(q, prio_item(3, (uintptr_t)i));
  for (long i = 0; i < n; i++)
    CHECK_EQ(get_now(q), value_of(prio_item(3, (uintptr_t)i)));
  /* Two priorities in blocks, then interleaved: each keeps its order. */
  for (uintptr_t i = 0; i < 1000; i++)
    put_now(q, prio_item(i % 2, i));
  for (uintptr_t i = 0; i < 1000; i += 2)
    CHECK_EQ(get_now(q), value_of(prio_item(0, i)));
  for (uintptr_t i = 1; i < 1000; i += 2)
    CHECK_EQ(get_now(q), value_of(prio_item(1, i)));
  weft_queue_free(q);
  /* Random interleavings of puts and gets, few priorities (many ties). */
  model_run(PRIO, 20000, 55, 2, 1);
  model_run(PRIO, 20000, 55, 4, 2);
  model_run(PRIO, 20000, 60, 16, 3);
  model_run(PRIO, 5000, 90, 3, 4);
}

/* ---- sizes, bounds and timeouts ------------------------------------------ */

void test_queue_sizes(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    weft_queue *q = make_queue(kind, 3);
    CHECK_EQ(weft_queue_qsize(q), 0);
    CHECK(weft_queue_empty(q));
    CHECK(!weft_queue_full(q));
    for (uintptr_t i = 1; i <= 3; i++) {
      put_now(q, item_of(i));
      CHECK_EQ(weft_queue_qsize(q), i);
      CHECK(!weft_queue_empty(q));
      CHECK(weft_queue_full(q) == (i == 3));
    }
    CHECK_STATUS(weft_queue_put(q, item_of(4), 0), WEFT_TIMEOUT);
    CHECK_EQ(weft_queue_qsize(q), 3);
    get_now(q);
    CHECK_EQ(weft_queue_qsize(q), 2);
    CHECK(!weft_queue_full(q));
    get_now(q);
    get_now(q);
    CHECK(weft_queue_empty(q));
    weft_queue_free(q);

    /* maxsize 1. */
    q = make_queue(kind, 1);
    put_now(q, item_of(9));
    CHECK(weft_queue_full(q));
    CHECK_STATUS(weft_queue_put(q, item_of(8), 0), WEFT_TIMEOUT);
    CHECK_EQ(get_now(q), 9);
    CHECK(!weft_queue_full(q));
    weft_queue_free(q);

    /* Unbounded: never full. */
    q = make_queue(kind, 0);
    for (uintptr_t i = 0; i < 5000; i++) {
      put_now(q, item_of(i));
      CHECK(!weft_queue_full(q));
    }
    CHECK_EQ(weft_queue_qsize(q), 5000);
    weft_queue_free(q);
  }
}

void test_queue_nonblocking(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    weft_queue *q = make_queue(kind, 2);
    void *item = item_of(99);
    double t0 = weft_monotonic();
    for (int i = 0; i < 100; i++) {
      CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_TIMEOUT);
      CHECK_STATUS(weft_queue_get(q, &item, -0.0), WEFT_TIMEOUT);
    }
    put_now(q, item_of(1));
    put_now(q, item_of(2));
    for (int i = 0; i < 100; i++) {
      CHECK_STATUS(weft_queue_put(q, item_of(3), 0), WEFT_TIMEOUT);
      CHECK_STATUS(weft_queue_put(q, item_of(3), -0.0), WEFT_TIMEOUT);
    }
    CHECK_ELAPSED(t0, 0, 1.0);
    CHECK_EQ(weft_queue_qsize(q), 2);
    uintptr_t a = get_now(q), b = get_now(q);
    CHECK(a + b == 3 && a != b);
    weft_queue_free(q);
  }
}

static const double waits[] = {0.1, 0.01, 0.001, 1e-7};

void test_queue_put_timeout(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    weft_queue *q = make_queue(kind, 2);
    put_now(q, item_of(1));
    put_now(q, item_of(2));
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
      double t0 = weft_monotonic();
      CHECK_STATUS(weft_queue_put(q, item_of(3), waits[i]), WEFT_TIMEOUT);
      CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
      CHECK_EQ(weft_queue_qsize(q), 2);
    }
    /* The timed-out puts left no trace. */
    uintptr_t a = get_now(q), b = get_now(q);
    CHECK(a + b == 3 && a != b);
    CHECK(weft_queue_empty(q));
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);
    weft_queue_free(q);
  }
}

void test_queue_get_timeout(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    weft_queue *q = make_queue(kind, kind == FIFO ? 0 : 2);
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
      void *item;
      double t0 = weft_monotonic();
      CHECK_STATUS(weft_queue_get(q, &item, waits[i]), WEFT_TIMEOUT);
      CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
    }
    /* Still works afterwards. */
    put_now(q, item_of(5));
    CHECK_EQ(get_now(q), 5);
    weft_queue_free(q);
  }
}

/* Waits that are "forever", and a finite one long enough. */
static const double long_waits[] = {WEFT_FOREVER, INFINITY, 1e10, WEFT_TIMEOUT_MAX, 20.0};

void test_queue_put_blocks(void) {
  static const uintptr_t fifo_order[] = {1, 2, 3}, lifo_order[] = {2, 3, 1};
  for (int kind = FIFO; kind <= PRIO; kind++) {
    weft_queue *q = make_queue(kind, 2);
    put_now(q, item_of(1));
    put_now(q, item_of(2));
    for (size_t i = 0; i < sizeof long_waits / sizeof long_waits[0]; i++) {
      agent a;
      agent_start(&a, q, PUT, item_of(3), long_waits[i]);
      weft_sleep(SETTLE);
      CHECK(!test_flag_get(&a.done));
      CHECK_EQ(weft_queue_qsize(q), 2);
      /* A get makes room: the put goes through. */
      uintptr_t got = get_now(q);
      agent_finish(&a, WEFT_OK);
      CHECK(a.elapsed >= SETTLE - TEST_CLOCK_EPS);
      CHECK_EQ(weft_queue_qsize(q), 2);
      /* The get took 1 (LIFO: 2), and 3 went in after it. */
      const uintptr_t *want = kind == LIFO ? lifo_order : fifo_order;
      CHECK_EQ(got, want[0]);
      CHECK_EQ(get_now(q), want[1]);
      CHECK_EQ(get_now(q), want[2]);
      put_now(q, item_of(1));
      put_now(q, item_of(2));
    }
    /* Several blocked putters: each get lets exactly one through, and no
     * item is lost. */
    agent p[3];
    for (int i = 0; i < 3; i++)
      agent_start(&p[i], q, PUT, item_of(10 + (uintptr_t)i), WEFT_FOREVER);
    weft_sleep(SETTLE);
    uintptr_t sum = 0;
    for (int i = 0; i < 5; i++) {
      void *item;
      CHECK_STATUS(weft_queue_get(q, &item, 30.0), WEFT_OK);
      sum += value_of(item);
    }
    for (int i = 0; i < 3; i++)
      agent_finish(&p[i], WEFT_OK);
    CHECK_EQ(sum, 1 + 2 + 10 + 11 + 12);
    CHECK(weft_queue_empty(q));
    weft_queue_free(q);
  }
}

void test_queue_get_blocks(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    weft_queue *q = make_queue(kind, kind == FIFO ? 0 : 4);
    for (size_t i = 0; i < sizeof long_waits / sizeof long_waits[0]; i++) {
      agent a;
      agent_start(&a, q, GET, NULL, long_waits[i]);
      weft_sleep(SETTLE);
      CHECK(!test_flag_get(&a.done));
      put_now(q, item_of(40 + i));
      agent_finish(&a, WEFT_OK);
      CHECK_EQ(value_of(a.item), 40 + i);
      CHECK(a.elapsed >= SETTLE - TEST_CLOCK_EPS);
      CHECK(weft_queue_empty(q));
    }
    /* Several blocked getters, items put back to back: each gets one. */
    agent g[3];
    for (int i = 0; i < 3; i++)
      agent_start(&g[i], q, GET, NULL, WEFT_FOREVER);
    weft_sleep(SETTLE);
    for (uintptr_t i = 0; i < 3; i++)
      put_now(q, item_of(1u << i));
    uintptr_t seen = 0;
    for (int i = 0; i < 3; i++) {
      agent_finish(&g[i], WEFT_OK);
      seen |= value_of(g[i].item);
    }
    CHECK_EQ(seen, 7);
    CHECK(weft_queue_empty(q));
    weft_queue_free(q);
  }
}

/* ---- growth -------------------------------------------------------------- */

/* s items in, rotate the head by rot (get one, put one), then grow by extra
 * items while wrapped, then drain: all in order. */
static void rotate_grow(size_t maxsize, size_t s, size_t rot, size_t extra) {
  weft_queue *q = make_queue(FIFO, maxsize);
  uintptr_t next_put = 0, next_get = 0;
  for (size_t i = 0; i < s; i++)
    put_now(q, item_of(next_put++));
  for (size_t i = 0; i < rot; i++) {
    CHECK_EQ(get_now(q), next_get++);
    put_now(q, item_of(next_put++));
  }
  for (size_t i = 0; i < extra; i++)
    put_now(q, item_of(next_put++));
  CHECK_EQ(weft_queue_qsize(q), next_put - next_get);
  if (maxsize) CHECK(weft_queue_full(q) == (next_put - next_get == maxsize));
  while (next_get < next_put)
    CHECK_EQ(get_now(q), next_get++);
  void *item;
  CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_TIMEOUT);
  weft_queue_free(q);
}

/* Puts and gets in a fixed ratio: the ring keeps wrapping as it grows. */
static void ramp(int kind, unsigned puts, unsigned gets, size_t peak) {
  weft_queue *q = make_queue(kind, 0);
  model m;
  model_init(&m, kind, peak * puts + puts);
  uintptr_t next = 0;
  while (model_size(&m) < peak) {
    for (unsigned i = 0; i < puts; i++) {
      void *item = prio_item(next % 3, next);
      next++;
      put_now(q, item);
      model_put(&m, item);
    }
    for (unsigned i = 0; i < gets; i++)
      CHECK_EQ(get_now(q), value_of(model_get(&m)));
  }
  CHECK_EQ(weft_queue_qsize(q), model_size(&m));
  if (kind != PRIO) /* the model's priority get is linear */
    while (model_size(&m) > 0)
      CHECK_EQ(get_now(q), value_of(model_get(&m)));
  free(m.a);
  weft_queue_free(q);
}

void test_queue_growth(void) {
  const size_t sizes[] = {1, 2, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4097};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    size_t s = sizes[i];
    const size_t rots[] = {0, 1, s / 2, s - 1, s, s + 1, 3 * s + 5};
    for (size_t r = 0; r < sizeof rots / sizeof rots[0]; r++) {
      rotate_grow(0, s, rots[r], 3 * s + 50);
      rotate_grow(0, s, rots[r], 0);
    }
    /* Bounded: fill to the bound while wrapped. */
    rotate_grow(s + 10, s, s / 2 + 1, 10);
  }
  ramp(FIFO, 2, 1, 100000);
  ramp(FIFO, 3, 2, 20000);
  ramp(FIFO, 5, 4, 5000);
  ramp(LIFO, 2, 1, 50000);
  ramp(PRIO, 2, 1, 3000);
  model_run(FIFO, 100000, 55, 1, 7);
  model_run(LIFO, 100000, 55, 1, 8);
}

/* ---- task_done and join -------------------------------------------------- */

void test_queue_task_done(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    weft_queue *q = make_queue(kind, 0);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
    put_now(q, item_of(1));
    put_now(q, item_of(2));
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_TIMEOUT);
    /* task_done counts puts, as in Python: it needs no get first. */
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_TIMEOUT);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);
    /* The refused calls left the count alone. */
    put_now(q, item_of(3));
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_TIMEOUT);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
    CHECK_EQ(weft_queue_qsize(q), 3);
    weft_queue_free(q);
  }
}

typedef struct worker {
  weft_queue *q;
  double delay;
  atomic_int processed;
} worker;

/* Get, work, count, then mark done, until the queue shuts down. */
static void work_items(void *arg) {
  worker *w = arg;
  void *item;
  while (weft_queue_get(w->q, &item, WEFT_FOREVER) == WEFT_OK) {
    weft_sleep(w->delay);
    atomic_fetch_add(&w->processed, 1);
    CHECK_STATUS(weft_queue_task_done(w->q), WEFT_OK);
  }
}

void test_queue_join(void) {
  weft_queue *q = make_queue(FIFO, 0);
  for (uintptr_t i = 0; i < 5; i++)
    put_now(q, item_of(i));
  CHECK_STATUS(weft_queue_join(q, 0), WEFT_TIMEOUT);
  /* Other joiners wait alongside. */
  agent j[3];
  agent_start(&j[0], q, JOIN, NULL, WEFT_FOREVER);
  agent_start(&j[1], q, JOIN, NULL, INFINITY);
  agent_start(&j[2], q, JOIN, NULL, 20.0);
  worker w = {q, 0.02, 0};
  double t0 = weft_monotonic();
  weft_thread *t = test_spawn(work_items, &w);
  CHECK_STATUS(weft_queue_join(q, WEFT_FOREVER), WEFT_OK);
  /* Not before the fifth item was done. */
  CHECK_ELAPSED(t0, 5 * 0.02, 30.0);
  CHECK_EQ(atomic_load(&w.processed), 5);
  for (int i = 0; i < 3; i++) {
    agent_finish(&j[i], WEFT_OK);
    CHECK(j[i].elapsed >= 5 * 0.02 - TEST_CLOCK_EPS);
  }
  /* Got but not done: join waits. */
  put_now(q, item_of(9));
  double t1 = weft_monotonic();
  while (!weft_queue_empty(q) && weft_monotonic() - t1 < 30.0)
    weft_sleep(0.001);
  CHECK_STATUS(weft_queue_join(q, 10.0), WEFT_OK);
  CHECK_EQ(atomic_load(&w.processed), 6);
  CHECK_STATUS(weft_queue_shutdown(q, false), WEFT_OK);
  test_join(t);
  /* A finished queue joins at once, shut down or not. */
  CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
  weft_queue_free(q);
}

void test_queue_join_timeout(void) {
  weft_queue *q = make_queue(FIFO, 0);
  put_now(q, item_of(1));
  CHECK_STATUS(weft_queue_join(q, 0), WEFT_TIMEOUT);
  for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_queue_join(q, waits[i]), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
  }
  /* The item was got; still not done. */
  CHECK_EQ(get_now(q), 1);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_queue_join(q, 0.1), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  /* A finite join that the last task_done ends. */
  agent j;
  agent_start(&j, q, JOIN, NULL, 20.0);
  weft_sleep(SETTLE);
  CHECK(!test_flag_get(&j.done));
  CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
  agent_finish(&j, WEFT_OK);
  CHECK(j.elapsed >= SETTLE - TEST_CLOCK_EPS);
  CHECK(j.elapsed < 10.0);
  weft_queue_free(q);
}

/* ---- shutdown ------------------------------------------------------------ */

void test_queue_shutdown(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    reset_freed();
    weft_queue *q = make_queue(kind, 4);
    weft_queue_set_item_free(q, record_free);
    for (uintptr_t i = 1; i <= 3; i++)
      put_now(q, item_of(i));
    CHECK_STATUS(weft_queue_shutdown(q, false), WEFT_OK);
    /* Puts fail, even with room and whatever the timeout... */
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_queue_put(q, item_of(4), 0), WEFT_ESHUTDOWN);
    CHECK_STATUS(weft_queue_put(q, item_of(4), 5.0), WEFT_ESHUTDOWN);
    CHECK_STATUS(weft_queue_put(q, item_of(4), WEFT_FOREVER), WEFT_ESHUTDOWN);
    CHECK_ELAPSED(t0, 0, 4.0);
    CHECK_EQ(weft_queue_qsize(q), 3);
    /* ...gets drain what is left, in order... */
    CHECK_EQ(get_now(q), kind == LIFO ? 3 : 1);
    void *item;
    CHECK_STATUS(weft_queue_get(q, &item, WEFT_FOREVER), WEFT_OK);
    CHECK_EQ(value_of(item), 2);
    CHECK_STATUS(weft_queue_get(q, &item, 0.1), WEFT_OK);
    CHECK_EQ(value_of(item), kind == LIFO ? 1 : 3);
    /* ...then fail at once, not with a timeout. */
    t0 = weft_monotonic();
    CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_ESHUTDOWN);
    CHECK_STATUS(weft_queue_get(q, &item, 5.0), WEFT_ESHUTDOWN);
    CHECK_STATUS(weft_queue_get(q, &item, WEFT_FOREVER), WEFT_ESHUTDOWN);
    CHECK_ELAPSED(t0, 0, 4.0);
    /* Join still counts: the three items are got, not done. */
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_TIMEOUT);
    for (int i = 0; i < 3; i++)
      CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);
    weft_queue_free(q);
    CHECK_EQ(atomic_load(&freed_count), 0);
  }
  /* A full queue: puts fail with ESHUTDOWN, not TIMEOUT. */
  weft_queue *q = make_queue(FIFO, 1);
  put_now(q, item_of(1));
  CHECK_STATUS(weft_queue_shutdown(q, false), WEFT_OK);
  CHECK_STATUS(weft_queue_put(q, item_of(2), 0), WEFT_ESHUTDOWN);
  CHECK_STATUS(weft_queue_put(q, item_of(2), 0.1), WEFT_ESHUTDOWN);
  CHECK(weft_queue_full(q));
  /* Items left at free go to free_item. */
  reset_freed();
  weft_queue_set_item_free(q, record_free);
  weft_queue_free(q);
  CHECK_EQ(atomic_load(&freed_count), 1);
  CHECK_EQ(atomic_load(&freed_seen[1]), 1);
}

void test_queue_shutdown_wakes(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    for (int immediate = 0; immediate <= 1; immediate++) {
      /* Blocked getters. */
      weft_queue *q = make_queue(kind, 2);
      agent g[3];
      agent_start(&g[0], q, GET, NULL, WEFT_FOREVER);
      agent_start(&g[1], q, GET, NULL, INFINITY);
      agent_start(&g[2], q, GET, NULL, 20.0);
      weft_sleep(SETTLE);
      CHECK_STATUS(weft_queue_shutdown(q, immediate), WEFT_OK);
      for (int i = 0; i < 3; i++) {
        agent_finish(&g[i], WEFT_ESHUTDOWN);
        CHECK(g[i].elapsed >= SETTLE - TEST_CLOCK_EPS);
        CHECK(g[i].elapsed < 10.0);
      }
      weft_queue_free(q);

      /* Blocked putters, on a full queue. */
      reset_freed();
      q = make_queue(kind, 2);
      weft_queue_set_item_free(q, record_free);
      put_now(q, item_of(1));
      put_now(q, item_of(2));
      agent p[3];
      agent_start(&p[0], q, PUT, item_of(10), WEFT_FOREVER);
      agent_start(&p[1], q, PUT, item_of(11), INFINITY);
      agent_start(&p[2], q, PUT, item_of(12), 20.0);
      weft_sleep(SETTLE);
      CHECK_STATUS(weft_queue_shutdown(q, immediate), WEFT_OK);
      for (int i = 0; i < 3; i++) {
        agent_finish(&p[i], WEFT_ESHUTDOWN);
        CHECK(p[i].elapsed >= SETTLE - TEST_CLOCK_EPS);
        CHECK(p[i].elapsed < 10.0);
      }
      /* Their items never entered: the callers keep them. */
      for (int i = 10; i <= 12; i++)
        CHECK_EQ(atomic_load(&freed_seen[i]), 0);
      if (immediate) {
        CHECK_EQ(atomic_load(&freed_count), 2);
        CHECK(weft_queue_empty(q));
      } else {
        CHECK_EQ(atomic_load(&freed_count), 0);
        CHECK_EQ(weft_queue_qsize(q), 2);
        uintptr_t a = get_now(q), b = get_now(q);
        CHECK(a + b == 3 && a != b);
      }
      void *item;
      CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_ESHUTDOWN);
      weft_queue_free(q);
      CHECK_EQ(atomic_load(&freed_count), immediate ? 2 : 0);
    }
  }
}

void test_queue_shutdown_immediate(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    reset_freed();
    weft_queue *q = make_queue(kind, 0);
    weft_queue_set_item_free(q, record_free);
    for (uintptr_t i = 1; i <= 5; i++)
      put_now(q, item_of(i));
    uintptr_t got = get_now(q); /* got, not done */
    CHECK_STATUS(weft_queue_shutdown(q, true), WEFT_OK);
    CHECK_EQ(weft_queue_qsize(q), 0);
    CHECK(weft_queue_empty(q));
    CHECK(!weft_queue_full(q));
    /* The four left went to free_item, each once; the got one did not. */
    CHECK_EQ(atomic_load(&freed_count), 4);
    for (uintptr_t i = 1; i <= 5; i++)
      CHECK_EQ(atomic_load(&freed_seen[i]), i == got ? 0 : 1);
    void *item;
    CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_ESHUTDOWN);
    CHECK_STATUS(weft_queue_get(q, &item, WEFT_FOREVER), WEFT_ESHUTDOWN);
    CHECK_STATUS(weft_queue_put(q, item_of(6), WEFT_FOREVER), WEFT_ESHUTDOWN);
    /* The dropped items count as done; the got one is still pending. */
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_TIMEOUT);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);
    weft_queue_free(q);
    CHECK_EQ(atomic_load(&freed_count), 4);
  }
  /* A blocked joiner is released by the drop. */
  reset_freed();
  weft_queue *q = make_queue(FIFO, 0);
  weft_queue_set_item_free(q, record_free);
  for (uintptr_t i = 1; i <= 3; i++)
    put_now(q, item_of(i));
  agent j;
  agent_start(&j, q, JOIN, NULL, WEFT_FOREVER);
  weft_sleep(SETTLE);
  CHECK(!test_flag_get(&j.done));
  CHECK_STATUS(weft_queue_shutdown(q, true), WEFT_OK);
  agent_finish(&j, WEFT_OK);
  CHECK(j.elapsed >= SETTLE - TEST_CLOCK_EPS);
  CHECK_EQ(atomic_load(&freed_count), 3);
  weft_queue_free(q);
  /* Without free_item the items are simply dropped. */
  q = make_queue(LIFO, 0);
  put_now(q, item_of(1));
  CHECK_STATUS(weft_queue_shutdown(q, true), WEFT_OK);
  CHECK(weft_queue_empty(q));
  CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
  weft_queue_free(q);
}

void test_queue_shutdown_repeat(void) {
  reset_freed();
  weft_queue *q = make_queue(FIFO, 0);
  weft_queue_set_item_free(q, record_free);
  for (uintptr_t i = 1; i <= 4; i++)
    put_now(q, item_of(i));
  CHECK_STATUS(weft_queue_shutdown(q, false), WEFT_OK);
  CHECK_STATUS(weft_queue_shutdown(q, false), WEFT_OK);
  CHECK_EQ(weft_queue_qsize(q), 4);
  CHECK_EQ(get_now(q), 1);
  /* Python allows an immediate shutdown after a plain one: it drops the
   * rest. */
  CHECK_STATUS(weft_queue_shutdown(q, true), WEFT_OK);
  CHECK_EQ(atomic_load(&freed_count), 3);
  CHECK_EQ(atomic_load(&freed_seen[1]), 0);
  CHECK_STATUS(weft_queue_shutdown(q, true), WEFT_OK);
  CHECK_STATUS(weft_queue_shutdown(q, false), WEFT_OK);
  CHECK_EQ(atomic_load(&freed_count), 3);
  void *item;
  CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_ESHUTDOWN);
  CHECK_STATUS(weft_queue_put(q, item_of(5), 0), WEFT_ESHUTDOWN);
  CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
  CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
  weft_queue_free(q);
  CHECK_EQ(atomic_load(&freed_count), 3);
  /* Shutting down an empty queue, twice each way. */
  q = make_queue(PRIO, 3);
  for (int i = 0; i < 4; i++)
    CHECK_STATUS(weft_queue_shutdown(q, i & 1), WEFT_OK);
  CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
  CHECK_STATUS(weft_queue_get(q, &item, 0), WEFT_ESHUTDOWN);
  weft_queue_free(q);
}

/* ---- free_item ----------------------------------------------------------- */

void test_queue_free_items(void) {
  for (int kind = FIFO; kind <= PRIO; kind++) {
    /* Wrapped (FIFO), more than one growth: 7..29 are inside at free. */
    reset_freed();
    weft_queue *q = make_queue(kind, 0);
    weft_queue_set_item_free(q, record_free);
    uintptr_t next = 0;
    for (; next < 10; next++)
      put_now(q, prio_item(next % 2, next));
    for (int i = 0; i < 7; i++)
      get_now(q);
    for (; next < 30; next++)
      put_now(q, prio_item(next % 2, next));
    size_t inside = weft_queue_qsize(q);
    CHECK_EQ(inside, 23);
    uintptr_t kept[23];
    for (size_t i = 0; i < 23; i++) /* read them back in order, then restore */
      kept[i] = get_now(q);
    for (size_t i = 0; i < 23; i++)
      put_now(q, item_of(kept[i]));
    CHECK_EQ(atomic_load(&freed_count), 0);
    weft_queue_free(q);
    CHECK_EQ(atomic_load(&freed_count), 23);
    for (size_t i = 0; i < 23; i++)
      CHECK_EQ(atomic_load(&freed_seen[kept[i] & ((1u << PRIO_SHIFT) - 1)]), 1);

    /* No free_item (or one reset to NULL): items are left alone. */
    reset_freed();
    q = make_queue(kind, 0);
    weft_queue_set_item_free(q, record_free);
    weft_queue_set_item_free(q, NULL);
    put_now(q, item_of(1));
    weft_queue_free(q);
    CHECK_EQ(atomic_load(&freed_count), 0);
    /* Empty queue: nothing to free. */
    q = make_queue(kind, 5);
    weft_queue_set_item_free(q, record_free);
    put_now(q, item_of(1));
    get_now(q);
    weft_queue_free(q);
    CHECK_EQ(atomic_load(&freed_count), 0);
  }
}

/* ---- out of memory --------------------------------------------------------
 * A pass-through allocator that fails the next allocation made by the thread
 * that armed it, so other threads' allocations are never hit. */

static _Thread_local bool fail_next;
static atomic_long oom_total, oom_failed;

static bool oom_should_fail(void) {
  atomic_fetch_add(&oom_total, 1);
  if (!fail_next) return false;
  fail_next = false;
  atomic_fetch_add(&oom_failed, 1);
  return true;
}

static void *oom_malloc(size_t n) {
  return oom_should_fail() ? NULL : malloc(n);
}

static void *oom_realloc(void *p, size_t n) {
  return oom_should_fail() ? NULL : realloc(p, n);
}

static void oom_free(void *p) {
  free(p);
}

/* A put with the next allocation failing: true if it failed (and then the
 * put must have reported WEFT_ENOMEM and changed nothing). */
static bool put_failing(weft_queue *q, void *item) {
  size_t before = weft_queue_qsize(q);
  long failed = atomic_load(&oom_failed);
  fail_next = true;
  int rc = weft_queue_put(q, item, 0);
  fail_next = false;
  if (atomic_load(&oom_failed) == failed) {
    CHECK_STATUS(rc, WEFT_OK);
    return false;
  }
  CHECK_STATUS(rc, WEFT_ENOMEM);
  CHECK_EQ(weft_queue_qsize(q), before);
  return true;
}

static void oom_kind(int kind) {
  const size_t ops = 6000;
  weft_queue *q = make_queue(kind, 0);
  model m;
  model_init(&m, kind, ops);
  long failures = 0;
  uint32_t seed = 5;
  for (size_t i = 0; i < ops; i++) {
    if (model_size(&m) > 0 && rng(&seed) % 3 == 0) {
      CHECK_EQ(get_now(q), value_of(model_get(&m)));
      CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
      continue;
    }
    void *item = prio_item(i % 4, i);
    if (put_failing(q, item)) {
      failures++;
      /* The queue works on: the same put, now with memory. */
      put_now(q, item);
    }
    model_put(&m, item);
  }
  /* The queue grew to thousands: it allocated, and each time that failed
   * first. */
  CHECK(failures >= 1);
  CHECK_EQ(weft_queue_qsize(q), model_size(&m));
  /* Failed puts were never counted as tasks: after the last task_done join
   * is free, and one more task_done is too many. */
  while (model_size(&m) > 0) {
    CHECK_STATUS(weft_queue_join(q, 0), WEFT_TIMEOUT);
    CHECK_EQ(get_now(q), value_of(model_get(&m)));
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
  }
  CHECK_STATUS(weft_queue_join(q, 0), WEFT_OK);
  CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);
  free(m.a);
  weft_queue_free(q);
}

void test_queue_alloc_fail(void) {
  CHECK_STATUS(weft_set_allocator(oom_malloc, oom_realloc, oom_free), WEFT_OK);
  for (int kind = FIFO; kind <= PRIO; kind++)
    oom_kind(kind);
  CHECK(atomic_load(&oom_failed) >= 3);

  /* With waiters: a blocked getter stays blocked through a failed put, and
   * a blocked joiner through the failed puts of a growing queue. */
  for (int kind = FIFO; kind <= PRIO; kind++) {
    weft_queue *q = make_queue(kind, 0);
    agent g;
    agent_start(&g, q, GET, NULL, WEFT_FOREVER);
    weft_sleep(SETTLE);
    if (put_failing(q, item_of(1))) {
      weft_sleep(SETTLE);
      CHECK(!test_flag_get(&g.done));
      CHECK(weft_queue_empty(q));
      put_now(q, item_of(1));
    }
    agent_finish(&g, WEFT_OK);
    CHECK_EQ(value_of(g.item), 1);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);

    put_now(q, item_of(2));
    agent j;
    agent_start(&j, q, JOIN, NULL, WEFT_FOREVER);
    uintptr_t n = 1, fails = 0;
    while (n < 5000 && fails < 2) {
      if (put_failing(q, item_of(n + 2))) {
        fails++;
        CHECK(!test_flag_get(&j.done));
        put_now(q, item_of(n + 2));
      }
      n++;
    }
    weft_sleep(SETTLE);
    CHECK(!test_flag_get(&j.done));
    CHECK_EQ(weft_queue_qsize(q), n);
    /* Each item done in turn; the joiner returns after the last only. */
    for (uintptr_t i = 0; i < n; i++) {
      get_now(q);
      CHECK(!test_flag_get(&j.done));
      CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
    }
    agent_finish(&j, WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_EOVERFLOW);
    weft_queue_free(q);
  }
}

/* ---- stress: many producers and consumers --------------------------------- */

enum { MP_PRODUCERS = 4, MP_CONSUMERS = 4 };

typedef struct mpmc {
  weft_queue *q;
  long n, per; /* items in all; per producer */
  atomic_uint_least64_t *bits;
  atomic_long got;
  atomic_ullong sum;
} mpmc;

typedef struct mp_role {
  mpmc *s;
  int index;
} mp_role;

/* Each producer and consumer waits its own way: forever, with short
 * timeouts, or polling with timeout 0. */
static double mp_timeout(int index) {
  return index < 2 ? WEFT_FOREVER : index == 2 ? 0.001 : 0;
}

static void mp_produce(void *arg) {
  mp_role *r = arg;
  mpmc *s = r->s;
  double timeout = mp_timeout(r->index);
  long first = r->index * s->per;
  for (long i = first; i < first + s->per; i++) {
    int rc;
    while ((rc = weft_queue_put(s->q, item_of((uintptr_t)i + 1), timeout)) == WEFT_TIMEOUT)
      weft_yield();
    CHECK_STATUS(rc, WEFT_OK);
  }
}

static void mp_consume(void *arg) {
  mp_role *r = arg;
  mpmc *s = r->s;
  double timeout = mp_timeout(r->index);
  long last[MP_PRODUCERS];
  for (int p = 0; p < MP_PRODUCERS; p++)
    last[p] = -1;
  for (;;) {
    void *item;
    int rc = weft_queue_get(s->q, &item, timeout);
    if (rc == WEFT_TIMEOUT) {
      weft_yield();
      continue;
    }
    if (rc == WEFT_ESHUTDOWN) break;
    CHECK_STATUS(rc, WEFT_OK);
    uintptr_t v = value_of(item);
    CHECK(v >= 1 && v <= (uintptr_t)s->n);
    long i = (long)v - 1, p = i / s->per;
    /* FIFO: one consumer sees each producer's items in the order put. */
    CHECK(i > last[p]);
    last[p] = i;
    uint64_t bit = (uint64_t)1 << (i % 64);
    uint64_t old = atomic_fetch_or(&s->bits[i / 64], bit);
    if (old & bit) test_fail_(__FILE__, __LINE__, "item %ld delivered twice", i);
    atomic_fetch_add(&s->sum, v);
    atomic_fetch_add(&s->got, 1);
    CHECK_STATUS(weft_queue_task_done(s->q), WEFT_OK);
  }
}

void test_queue_stress_mpmc(void) {
  mpmc s;
  s.per = test_scaled(1000000) / MP_PRODUCERS;
  if (s.per < 1) s.per = 1;
  s.n = s.per * MP_PRODUCERS;
  s.q = make_queue(FIFO, 64);
  s.bits = calloc((size_t)s.n / 64 + 1, sizeof *s.bits);
  CHECK(s.bits != NULL);
  atomic_init(&s.got, 0);
  atomic_init(&s.sum, 0);
  mp_role roles[MP_PRODUCERS + MP_CONSUMERS];
  weft_thread *threads[MP_PRODUCERS + MP_CONSUMERS];
  for (int i = 0; i < MP_CONSUMERS; i++) {
    roles[i] = (mp_role){&s, i};
    threads[i] = test_spawn(mp_consume, &roles[i]);
  }
  for (int i = 0; i < MP_PRODUCERS; i++) {
    roles[MP_CONSUMERS + i] = (mp_role){&s, i};
    threads[MP_CONSUMERS + i] = test_spawn(mp_produce, &roles[MP_CONSUMERS + i]);
  }
  for (int i = 0; i < MP_PRODUCERS; i++)
    CHECK_STATUS(weft_thread_join(threads[MP_CONSUMERS + i], 300.0), WEFT_OK);
  /* Every item put has been got and marked done. */
  CHECK_STATUS(weft_queue_join(s.q, 300.0), WEFT_OK);
  CHECK_EQ(atomic_load(&s.got), s.n);
  CHECK(weft_queue_empty(s.q));
  CHECK_STATUS(weft_queue_shutdown(s.q, false), WEFT_OK);
  for (int i = 0; i < MP_CONSUMERS; i++)
    CHECK_STATUS(weft_thread_join(threads[i], 30.0), WEFT_OK);
  for (int i = 0; i < MP_PRODUCERS + MP_CONSUMERS; i++)
    weft_thread_unref(threads[i]);
  for (long i = 0; i < s.n; i++)
    if (!(atomic_load(&s.bits[i / 64]) >> (i % 64) & 1))
      test_fail_(__FILE__, __LINE__, "item %ld never delivered", i);
  CHECK_EQ(atomic_load(&s.sum), (uint64_t)s.n * (uint64_t)(s.n + 1) / 2);
  CHECK_EQ(atomic_load(&s.got), s.n);
  free(s.bits);
  weft_queue_free(s.q);
}

/* ---- stress: shutdown racing with putters, getters, task_done, join ------- */

enum { SR_PUTTERS = 3, SR_GETTERS = 3, SR_PER = 4000 };

typedef struct shut_round {
  weft_queue *q;
  bool immediate;
  atomic_long put_ok, got, freed;
  atomic_uchar seen[SR_PUTTERS * SR_PER];
} shut_round;

static shut_round *current_round; /* for free_item, which has no argument */

static void sr_mark(shut_round *r, void *item) {
  uintptr_t v = value_of(item);
  if (v < 1 || v > SR_PUTTERS * SR_PER)
    test_fail_(__FILE__, __LINE__, "unknown item %lu", (unsigned long)v);
  if (atomic_fetch_add(&r->seen[v - 1], 1) != 0)
    test_fail_(__FILE__, __LINE__, "item %lu came out twice", (unsigned long)v);
}

static void sr_free(void *item) {
  sr_mark(current_round, item);
  atomic_fetch_add(&current_round->freed, 1);
}

typedef struct sr_role {
  shut_round *r;
  int index;
} sr_role;

static void sr_put(void *arg) {
  sr_role *role = arg;
  shut_round *r = role->r;
  double timeout = role->index == 0 ? WEFT_FOREVER : role->index == 1 ? 0.0005 : 0;
  for (uintptr_t i = 0; i < SR_PER; i++) {
    uintptr_t v = (uintptr_t)role->index * SR_PER + i + 1;
    int rc;
    while ((rc = weft_queue_put(r->q, item_of(v), timeout)) == WEFT_TIMEOUT)
      weft_yield();
    if (rc == WEFT_ESHUTDOWN) return;
    CHECK_STATUS(rc, WEFT_OK);
    atomic_fetch_add(&r->put_ok, 1);
  }
}

static void sr_get(void *arg) {
  sr_role *role = arg;
  shut_round *r = role->r;
  double timeout = role->index == 0 ? WEFT_FOREVER : role->index == 1 ? 0.0005 : 0;
  for (;;) {
    void *item;
    int rc = weft_queue_get(r->q, &item, timeout);
    if (rc == WEFT_TIMEOUT) {
      weft_yield();
      continue;
    }
    if (rc == WEFT_ESHUTDOWN) return;
    CHECK_STATUS(rc, WEFT_OK);
    sr_mark(r, item);
    atomic_fetch_add(&r->got, 1);
    /* Every item got is still pending, even across an immediate shutdown. */
    CHECK_STATUS(weft_queue_task_done(r->q), WEFT_OK);
  }
}

static void sr_shut(void *arg) {
  shut_round *r = arg;
  CHECK_STATUS(weft_queue_shutdown(r->q, !r->immediate), WEFT_OK);
}

static void shutdown_round(shut_round *r, int round, uint32_t *seed) {
  memset(r, 0, sizeof *r);
  /* Rounds differ in who runs (both sides; putters only, so that they
   * block on a full queue; one putter, so that getters mostly wait on an
   * empty one), in the kind of shutdown and in when it comes. */
  int cast = round % 3; /* 0: both, 1: putters only, 2: one putter */
  int putters = cast == 2 ? 1 : SR_PUTTERS, getters = cast == 1 ? 0 : SR_GETTERS;
  r->immediate = (round / 3) % 2;
  r->q = round % 4 == 3 ? weft_queue_new_priority(8, cmp_value) : make_queue(FIFO, 8);
  CHECK(r->q != NULL);
  current_round = r;
  weft_queue_set_item_free(r->q, sr_free);
  sr_role roles[SR_PUTTERS + SR_GETTERS];
  weft_thread *threads[SR_PUTTERS + SR_GETTERS];
  int n = 0;
  for (int i = 0; i < getters; i++) {
    roles[n] = (sr_role){r, i};
    threads[n] = test_spawn(sr_get, &roles[n]);
    n++;
  }
  for (int i = 0; i < putters; i++) {
    roles[n] = (sr_role){r, i};
    threads[n] = test_spawn(sr_put, &roles[n]);
    n++;
  }
  switch (rng(seed) % 5) {
  case 0:
    break;
  case 1:
    weft_yield();
    break;
  case 2:
    weft_sleep(0.0002);
    break;
  default:
    weft_sleep(0.001 * (rng(seed) % 4));
    break;
  }
  /* A joiner waits for what was put so far (if anything). */
  agent joiner;
  agent_start(&joiner, r->q, JOIN, NULL, 60.0);
  /* A second shutdown, of the other kind, races with the first. */
  weft_thread *other = test_spawn(sr_shut, r);
  CHECK_STATUS(weft_queue_shutdown(r->q, r->immediate), WEFT_OK);
  for (int i = 0; i < n; i++)
    CHECK_STATUS(weft_thread_join(threads[i], 30.0), WEFT_OK);
  test_join(other);
  for (int i = 0; i < n; i++)
    weft_thread_unref(threads[i]);
  /* Whatever a plain shutdown left (no getters this round) drains now. */
  for (;;) {
    void *item;
    int rc = weft_queue_get(r->q, &item, 0);
    if (rc == WEFT_ESHUTDOWN) break;
    CHECK_STATUS(rc, WEFT_OK);
    sr_mark(r, item);
    atomic_fetch_add(&r->got, 1);
    CHECK_STATUS(weft_queue_task_done(r->q), WEFT_OK);
  }
  /* Everything put came out exactly once: got or handed to free_item. */
  long put_ok = atomic_load(&r->put_ok), got = atomic_load(&r->got);
  long freed = atomic_load(&r->freed);
  if (got + freed != put_ok)
    test_fail_(__FILE__, __LINE__, "round %d: put %ld, got %ld + freed %ld", round, put_ok, got,
               freed);
  long seen = 0;
  for (int i = 0; i < SR_PUTTERS * SR_PER; i++)
    seen += atomic_load(&r->seen[i]);
  CHECK_EQ(seen, put_ok);
  /* Every task done: the joiner got through, and join is free. */
  agent_finish(&joiner, WEFT_OK);
  CHECK_STATUS(weft_queue_join(r->q, 0), WEFT_OK);
  CHECK_STATUS(weft_queue_task_done(r->q), WEFT_EOVERFLOW);
  weft_queue_free(r->q);
  CHECK_EQ(atomic_load(&r->freed), freed);
}

void test_queue_stress_shutdown(void) {
  static shut_round r;
  long rounds = test_scaled(300);
  uint32_t seed = 11;
  for (long i = 0; i < rounds; i++)
    shutdown_round(&r, (int)i, &seed);
}

/* ---- the seed's queued workers -------------------------------------------- */

enum { QW_WORKERS = 10, QW_ITEMS = 100 };

typedef struct queued {
  weft_queue *q;
  atomic_int done[QW_ITEMS];
  atomic_int processed;
  atomic_int busy_workers; /* workers that processed at least one item */
} queued;

static void queued_worker(void *arg) {
  queued *s = arg;
  int mine = 0;
  void *item;
  int rc;
  while ((rc = weft_queue_get(s->q, &item, WEFT_FOREVER)) == WEFT_OK) {
    uintptr_t v = value_of(item);
    CHECK(v < QW_ITEMS);
    weft_sleep(0.01);
    CHECK_EQ(atomic_fetch_add(&s->done[v], 1), 0);
    atomic_fetch_add(&s->processed, 1);
    if (mine++ == 0) atomic_fetch_add(&s->busy_workers, 1);
    CHECK_STATUS(weft_queue_task_done(s->q), WEFT_OK);
  }
  CHECK_STATUS(rc, WEFT_ESHUTDOWN);
}

void test_queue_queued_workers(void) {
  static queued s;
  s.q = make_queue(FIFO, 0);
  weft_thread *workers[QW_WORKERS];
  for (int i = 0; i < QW_WORKERS; i++) {
    workers[i] = weft_thread_new(queued_worker, &s);
    CHECK(workers[i] != NULL);
    char name[16];
    snprintf(name, sizeof name, "Worker-%d", i + 1);
    CHECK_STATUS(weft_thread_set_name(workers[i], name), WEFT_OK);
    CHECK_STATUS(weft_thread_set_daemon(workers[i], true), WEFT_OK);
    CHECK_STATUS(weft_thread_start(workers[i]), WEFT_OK);
  }
  double t0 = weft_monotonic();
  for (uintptr_t i = 0; i < QW_ITEMS; i++)
    CHECK_STATUS(weft_queue_put(s.q, item_of(i), WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_queue_join(s.q, WEFT_FOREVER), WEFT_OK);
  /* 100 items of 10 ms each over at most 10 workers: at least 0.1 s. */
  CHECK_ELAPSED(t0, QW_ITEMS * 0.01 / QW_WORKERS, 50.0);
  CHECK_EQ(atomic_load(&s.processed), QW_ITEMS);
  for (int i = 0; i < QW_ITEMS; i++)
    CHECK_EQ(atomic_load(&s.done[i]), 1);
  CHECK(atomic_load(&s.busy_workers) >= 1);
  /* Daemons would die with the process; here they are let go cleanly. */
  CHECK_STATUS(weft_queue_shutdown(s.q, false), WEFT_OK);
  for (int i = 0; i < QW_WORKERS; i++)
    test_join(workers[i]);
  CHECK_STATUS(weft_queue_join(s.q, 0), WEFT_OK);
  weft_queue_free(s.q);
}
