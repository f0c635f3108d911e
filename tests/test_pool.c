/* weft_pool: lazy start and reuse, FIFO start order, names, initializer,
 * daemon flags, shutdown (wait, cancel_futures, from a worker), map, done
 * callbacks run by workers, weft_shutdown and fork with pools, a stress
 * with every result checked, and out of memory at every allocation.
 * (Process exit with pools: pool_exit_child.c, one process per case.)
 *
 * Tasks that must block wait on a test_flag (C11 atomics), not on weft's
 * own primitives. */
#include "test.h"
#include "foreign.h"

#include <math.h>

static weft_pool *pool_new_checked(size_t max_workers) {
  weft_pool *p = weft_pool_new(max_workers);
  CHECK(p != NULL);
  return p;
}

static weft_future *submit_checked(weft_pool *p, weft_task fn, void *arg) {
  weft_future *f = NULL;
  CHECK_STATUS(weft_pool_submit(p, fn, arg, &f), WEFT_OK);
  CHECK(f != NULL);
  return f;
}

static void *result_of(weft_future *f) {
  void *r = NULL;
  CHECK_STATUS(weft_future_result(f, 30.0, &r), WEFT_OK);
  return r;
}

/* Threads alive whose name starts with prefix. */
static size_t count_named(const char *prefix) {
  weft_thread *all[256];
  size_t n = weft_enumerate(all, 256), found = 0;
  CHECK(n <= 256);
  for (size_t i = 0; i < n; i++) {
    if (strncmp(weft_thread_name(all[i]), prefix, strlen(prefix)) == 0) found++;
    weft_thread_unref(all[i]);
  }
  return found;
}

static bool has_thread_named(const char *name) {
  weft_thread *all[256];
  size_t n = weft_enumerate(all, 256);
  bool found = false;
  for (size_t i = 0; i < n; i++) {
    found = found || strcmp(weft_thread_name(all[i]), name) == 0;
    weft_thread_unref(all[i]);
  }
  return found;
}

static void *identity(void *arg) {
  return arg;
}

static void *square(void *arg) {
  uintptr_t x = (uintptr_t)arg;
  return (void *)(x * x);
}

/* A task that waits for a flag; counts its starts and ends. */
typedef struct gate {
  test_flag open;
  atomic_int started, finished;
} gate;

static void *wait_gate(void *arg) {
  gate *g = arg;
  atomic_fetch_add(&g->started, 1);
  test_flag_wait(&g->open);
  atomic_fetch_add(&g->finished, 1);
  return arg;
}

/* ---- bad input --------------------------------------------------------------- */

static void noop_init(void *arg) {
  (void)arg;
}

void test_pool_invalid(void) {
  weft_pool *p = pool_new_checked(2);
  weft_future *f = (weft_future *)&f;
  CHECK_STATUS(weft_pool_submit(NULL, identity, NULL, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_submit(NULL, identity, NULL, &f), WEFT_EINVAL);
  CHECK(f == NULL); /* *out is cleared on failure */
  CHECK_STATUS(weft_pool_submit(p, NULL, NULL, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_set_name_prefix(NULL, "x"), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_set_name_prefix(p, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_set_initializer(NULL, noop_init, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_set_daemon(NULL, true), WEFT_EINVAL);
  void *args[2] = {NULL, NULL}, *results[2];
  CHECK_STATUS(weft_pool_map(NULL, identity, args, 2, results, 1.0), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_map(p, NULL, args, 2, results, 1.0), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_map(p, identity, NULL, 2, results, 1.0), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_map(p, identity, args, 2, NULL, 1.0), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_map(p, identity, args, 2, results, NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_map(p, identity, args, 2, results, -2.0), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_shutdown(NULL, true, false), WEFT_EINVAL);
  CHECK_STATUS(weft_pool_free(NULL), WEFT_EINVAL);
  /* Nothing was queued by any of it: the setters still work. */
  CHECK_STATUS(weft_pool_set_name_prefix(p, "fine"), WEFT_OK);
  CHECK_STATUS(weft_pool_set_initializer(p, NULL, NULL), WEFT_OK);
  CHECK_STATUS(weft_pool_set_daemon(p, false), WEFT_OK);
  CHECK_EQ(count_named("fine_"), 0);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

void test_pool_setters_after_submit(void) {
  weft_pool *p = pool_new_checked(2);
  weft_future *f = submit_checked(p, identity, NULL);
  CHECK_STATUS(weft_pool_set_name_prefix(p, "late"), WEFT_ESTATE);
  CHECK_STATUS(weft_pool_set_initializer(p, noop_init, NULL), WEFT_ESTATE);
  CHECK_STATUS(weft_pool_set_daemon(p, true), WEFT_ESTATE);
  CHECK(result_of(f) == NULL);
  weft_future_unref(f);
  CHECK_STATUS(weft_pool_set_daemon(p, true), WEFT_ESTATE);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

/* ---- lazy start and reuse ------------------------------------------------------ */

void test_pool_lazy_reuse(void) {
  weft_pool *p = pool_new_checked(4);
  CHECK_STATUS(weft_pool_set_name_prefix(p, "lazy"), WEFT_OK);
  CHECK_EQ(count_named("lazy_"), 0); /* nothing before the first submit */
  /* Three tasks one after another: one worker does them all. */
  for (uintptr_t i = 1; i <= 3; i++) {
    weft_future *f = submit_checked(p, square, (void *)i);
    CHECK_EQ((uintptr_t)result_of(f), i * i);
    weft_future_unref(f);
    CHECK_EQ(count_named("lazy_"), 1);
  }
  /* Sixty that block, on four workers: exactly four. */
  static gate g;
  weft_future *fs[60];
  for (int i = 0; i < 60; i++)
    fs[i] = submit_checked(p, wait_gate, &g);
  test_await_count(&g.started, 4);
  weft_sleep(0.05);
  CHECK_EQ(atomic_load(&g.started), 4);
  CHECK_EQ(count_named("lazy_"), 4);
  test_flag_set(&g.open);
  for (int i = 0; i < 60; i++) {
    CHECK(result_of(fs[i]) == &g);
    weft_future_unref(fs[i]);
  }
  CHECK_EQ(atomic_load(&g.finished), 60);
  CHECK_EQ(count_named("lazy_"), 4);
  /* Idle again: a new task reuses a worker. */
  weft_future *f = submit_checked(p, square, (void *)7);
  CHECK_EQ((uintptr_t)result_of(f), 49);
  weft_future_unref(f);
  CHECK_EQ(count_named("lazy_"), 4);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
  CHECK_EQ(count_named("lazy_"), 0);
}

void test_pool_default_max(void) {
  unsigned cpus = weft_cpu_count();
  size_t want = cpus + 4 < 32 ? cpus + 4 : 32;
  weft_pool *p = pool_new_checked(0);
  static gate g;
  enum { N = 40 };
  weft_future *fs[N];
  for (int i = 0; i < N; i++)
    fs[i] = submit_checked(p, wait_gate, &g);
  test_await_count(&g.started, (int)want);
  weft_sleep(0.05);
  CHECK_EQ(atomic_load(&g.started), want);
  CHECK_EQ(count_named("ThreadPoolExecutor-0_"), want);
  test_flag_set(&g.open);
  for (int i = 0; i < N; i++) {
    result_of(fs[i]);
    weft_future_unref(fs[i]);
  }
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

/* A stream of fire-and-forget tasks into a pool whose workers are busy
 * starts no thread beyond max_workers, and loses none. */
static void *count_task(void *arg) {
  atomic_fetch_add((atomic_int *)arg, 1);
  return NULL;
}

void test_pool_fire_and_forget(void) {
  static atomic_int ran;
  weft_pool *p = pool_new_checked(3);
  CHECK_STATUS(weft_pool_set_name_prefix(p, "ff"), WEFT_OK);
  int n = (int)test_scaled(20000);
  for (int i = 0; i < n; i++)
    CHECK_STATUS(weft_pool_submit(p, count_task, &ran, NULL), WEFT_OK);
  CHECK(count_named("ff_") <= 3);
  CHECK_STATUS(weft_pool_shutdown(p, true, false), WEFT_OK);
  CHECK_EQ(atomic_load(&ran), n);
  CHECK_EQ(count_named("ff_"), 0);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

/* ---- order ----------------------------------------------------------------------- */

typedef struct order {
  atomic_int next;
  int at[400]; /* at[i]: the position at which task i started */
} order;

typedef struct order_arg {
  order *o;
  int i;
} order_arg;

static void *note_start(void *arg) {
  order_arg *a = arg;
  a->o->at[a->i] = atomic_fetch_add(&a->o->next, 1);
  return NULL;
}

static void run_order(size_t workers, int n, int max_shift) {
  static order o;
  static order_arg args[400];
  memset(&o, 0, sizeof o);
  static gate g;
  memset(&g, 0, sizeof g);
  weft_pool *p = pool_new_checked(workers);
  /* Busy workers first, so that every task below queues. */
  weft_future *block[8];
  for (size_t i = 0; i < workers; i++)
    block[i] = submit_checked(p, wait_gate, &g);
  test_await_count(&g.started, (int)workers);
  for (int i = 0; i < n; i++) {
    args[i] = (order_arg){&o, i};
    CHECK_STATUS(weft_pool_submit(p, note_start, &args[i], NULL), WEFT_OK);
  }
  test_flag_set(&g.open);
  CHECK_STATUS(weft_pool_shutdown(p, true, false), WEFT_OK);
  for (size_t i = 0; i < workers; i++)
    weft_future_unref(block[i]);
  /* Taken in order: task i leaves the ring after tasks 0..i-1, and those
   * not yet started then are held by the other workers, one each: so at
   * most max_shift of them start after it. (Later tasks may start before
   * it if its worker is slow to run it: that is not out of order.) */
  for (int i = 0; i < n; i++)
    if (o.at[i] < i - max_shift || (max_shift == 0 && o.at[i] != i))
      test_fail_(__FILE__, __LINE__, "task %d started %d-th (%zu workers)", i, o.at[i], workers);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

void test_pool_fifo_order(void) {
  run_order(1, 400, 0); /* one worker: exactly in order */
  run_order(4, 400, 3);
}

/* ---- names, initializer, daemon flags -------------------------------------------- */

typedef struct named {
  char name[64];
  uint64_t ident;
} named;

static void *note_name(void *arg) {
  named *n = arg;
  weft_thread_get_name(weft_thread_current(), n->name, sizeof n->name);
  n->ident = weft_get_ident();
  return NULL;
}

void test_pool_names(void) {
  /* Each test runs in its own process: these are pools 0, 1 and 2. */
  weft_pool *a = pool_new_checked(2), *b = pool_new_checked(1), *c = pool_new_checked(1);
  static gate g;
  weft_future *fa[2] = {submit_checked(a, wait_gate, &g), submit_checked(a, wait_gate, &g)};
  test_await_count(&g.started, 2);
  CHECK(has_thread_named("ThreadPoolExecutor-0_0"));
  CHECK(has_thread_named("ThreadPoolExecutor-0_1"));
  named n;
  weft_future *f = submit_checked(b, note_name, &n);
  result_of(f);
  weft_future_unref(f);
  CHECK_STR(n.name, "ThreadPoolExecutor-1_0");
  CHECK_STATUS(weft_pool_set_name_prefix(c, "custom"), WEFT_OK);
  CHECK_STATUS(weft_pool_set_name_prefix(c, "custom-ünïcode"), WEFT_OK); /* the last one set */
  f = submit_checked(c, note_name, &n);
  result_of(f);
  weft_future_unref(f);
  CHECK_STR(n.name, "custom-ünïcode_0");
  test_flag_set(&g.open);
  for (int i = 0; i < 2; i++) {
    result_of(fa[i]);
    weft_future_unref(fa[i]);
  }
  /* "" gives the default back (Python's thread_name_prefix=''). */
  weft_pool *d = pool_new_checked(1);
  CHECK_STATUS(weft_pool_set_name_prefix(d, "tmp"), WEFT_OK);
  CHECK_STATUS(weft_pool_set_name_prefix(d, ""), WEFT_OK);
  f = submit_checked(d, note_name, &n);
  result_of(f);
  weft_future_unref(f);
  CHECK_STR(n.name, "ThreadPoolExecutor-3_0");
  CHECK_STATUS(weft_pool_free(a), WEFT_OK);
  CHECK_STATUS(weft_pool_free(b), WEFT_OK);
  CHECK_STATUS(weft_pool_free(c), WEFT_OK);
  CHECK_STATUS(weft_pool_free(d), WEFT_OK);
}

typedef struct init_probe {
  atomic_int calls;
  uint64_t idents[8];
  atomic_int tasks_before_init; /* tasks that ran in a thread not yet initialised */
} init_probe;

static init_probe ip;
static _Thread_local bool initialised;

static void count_init(void *arg) {
  CHECK(arg == &ip);
  int k = atomic_fetch_add(&ip.calls, 1);
  if (k < 8) ip.idents[k] = weft_get_ident();
  initialised = true;
}

static void *check_initialised(void *arg) {
  if (!initialised) atomic_fetch_add(&ip.tasks_before_init, 1);
  return wait_gate(arg);
}

void test_pool_initializer(void) {
  weft_pool *p = pool_new_checked(4);
  CHECK_STATUS(weft_pool_set_initializer(p, count_init, &ip), WEFT_OK);
  static gate g;
  weft_future *fs[12];
  for (int i = 0; i < 12; i++)
    fs[i] = submit_checked(p, check_initialised, &g);
  test_await_count(&g.started, 4);
  test_flag_set(&g.open);
  for (int i = 0; i < 12; i++) {
    result_of(fs[i]);
    weft_future_unref(fs[i]);
  }
  /* Once per worker, in the worker, before its first task. */
  CHECK_EQ(atomic_load(&ip.calls), 4);
  CHECK_EQ(atomic_load(&ip.tasks_before_init), 0);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < i; j++)
      CHECK(ip.idents[i] != ip.idents[j]);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
  CHECK_EQ(atomic_load(&ip.calls), 4);
}

typedef struct daemon_probe {
  bool worker_daemon, child_daemon;
} daemon_probe;

static void nothing(void *arg) {
  (void)arg;
}

static void *probe_daemon(void *arg) {
  daemon_probe *d = arg;
  d->worker_daemon = weft_thread_daemon(weft_thread_current());
  weft_thread *t = weft_thread_new(nothing, NULL); /* inherits the worker's flag */
  CHECK(t != NULL);
  d->child_daemon = weft_thread_daemon(t);
  weft_thread_unref(t);
  return NULL;
}

static daemon_probe probe_pool(weft_pool *p) {
  daemon_probe d = {false, false};
  weft_future *f = submit_checked(p, probe_daemon, &d);
  result_of(f);
  weft_future_unref(f);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
  return d;
}

static void new_pool_here(void *arg) {
  *(weft_pool **)arg = pool_new_checked(1);
}

void test_pool_daemon(void) {
  /* Default: the creating thread's flag. */
  daemon_probe d = probe_pool(pool_new_checked(1));
  CHECK(!d.worker_daemon && !d.child_daemon);
  weft_pool *p = pool_new_checked(1);
  CHECK_STATUS(weft_pool_set_daemon(p, true), WEFT_OK);
  d = probe_pool(p);
  CHECK(d.worker_daemon && d.child_daemon);
  /* Made in a daemon thread, and in a foreign (Dummy, daemon) thread. */
  weft_thread *t = weft_thread_new(new_pool_here, &p);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_set_daemon(t, true), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  test_join(t);
  d = probe_pool(p);
  CHECK(d.worker_daemon && d.child_daemon);
  test_foreign_join(test_foreign_start(new_pool_here, &p));
  d = probe_pool(p);
  CHECK(d.worker_daemon);
  p = pool_new_checked(1);
  CHECK_STATUS(weft_pool_set_daemon(p, true), WEFT_OK);
  CHECK_STATUS(weft_pool_set_daemon(p, false), WEFT_OK);
  d = probe_pool(p);
  CHECK(!d.worker_daemon);
}

/* ---- shutdown ------------------------------------------------------------------------ */

static void *sleep_task(void *arg) {
  weft_sleep(*(double *)arg);
  return arg;
}

void test_pool_shutdown_wait(void) {
  static double naps[6] = {0.05, 0.05, 0.05, 0.05, 0.05, 0.05};
  weft_pool *p = pool_new_checked(2);
  CHECK_STATUS(weft_pool_set_name_prefix(p, "sw"), WEFT_OK);
  weft_future *fs[6];
  double t0 = weft_monotonic();
  for (int i = 0; i < 6; i++)
    fs[i] = submit_checked(p, sleep_task, &naps[i]);
  CHECK_STATUS(weft_pool_shutdown(p, true, false), WEFT_OK);
  /* Six naps of 50 ms on two workers: at least three rounds. */
  CHECK_ELAPSED(t0, 0.15, TEST_SLOW + 0.15);
  for (int i = 0; i < 6; i++) {
    CHECK(weft_future_done(fs[i]));
    CHECK(result_of(fs[i]) == &naps[i]);
    weft_future_unref(fs[i]);
  }
  CHECK_EQ(count_named("sw_"), 0); /* the workers have ended */
  /* Refused from now on; repeatable. */
  weft_future *f = (weft_future *)&f;
  CHECK_STATUS(weft_pool_submit(p, identity, NULL, &f), WEFT_ESHUTDOWN);
  CHECK(f == NULL);
  CHECK_STATUS(weft_pool_submit(p, identity, NULL, NULL), WEFT_ESHUTDOWN);
  void *args[1] = {NULL}, *results[1];
  CHECK_STATUS(weft_pool_map(p, identity, args, 1, results, 1.0), WEFT_ESHUTDOWN);
  CHECK_STATUS(weft_pool_shutdown(p, true, false), WEFT_OK);
  CHECK_STATUS(weft_pool_shutdown(p, false, true), WEFT_OK);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

void test_pool_shutdown_nowait(void) {
  static gate g;
  weft_pool *p = pool_new_checked(1);
  weft_future *running = submit_checked(p, wait_gate, &g);
  weft_future *queued = submit_checked(p, square, (void *)5);
  test_await_count(&g.started, 1);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_pool_shutdown(p, false, false), WEFT_OK);
  CHECK_ELAPSED(t0, 0, TEST_SLOW);
  CHECK(!weft_future_done(running));
  CHECK_STATUS(weft_pool_submit(p, identity, NULL, NULL), WEFT_ESHUTDOWN);
  test_flag_set(&g.open);
  /* What was queued before still runs. */
  CHECK_EQ((uintptr_t)result_of(queued), 25);
  CHECK(result_of(running) == &g);
  weft_future_unref(running);
  weft_future_unref(queued);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

static atomic_int cancel_callbacks;

static void count_cancelled(weft_future *f, void *arg) {
  (void)arg;
  CHECK(weft_future_cancelled(f));
  atomic_fetch_add(&cancel_callbacks, 1);
}

void test_pool_shutdown_cancel(void) {
  static gate g;
  static atomic_int ran;
  weft_pool *p = pool_new_checked(1);
  weft_future *running = submit_checked(p, wait_gate, &g);
  test_await_count(&g.started, 1);
  weft_future *pending[10];
  for (int i = 0; i < 10; i++) {
    pending[i] = submit_checked(p, count_task, &ran);
    CHECK_STATUS(weft_future_add_done_callback(pending[i], count_cancelled, NULL), WEFT_OK);
  }
  for (int i = 0; i < 5; i++) /* and some without futures */
    CHECK_STATUS(weft_pool_submit(p, count_task, &ran, NULL), WEFT_OK);
  CHECK_STATUS(weft_future_cancel(pending[3]), WEFT_OK); /* one cancelled already */
  CHECK_EQ(atomic_load(&cancel_callbacks), 1);
  CHECK_STATUS(weft_pool_shutdown(p, false, true), WEFT_OK);
  /* Every pending future is cancelled (and its callback ran once). */
  CHECK_EQ(atomic_load(&cancel_callbacks), 10);
  for (int i = 0; i < 10; i++) {
    CHECK(weft_future_cancelled(pending[i]));
    CHECK_STATUS(weft_future_result(pending[i], 0, NULL), WEFT_ECANCELED);
  }
  /* The running task is left to finish. */
  CHECK(weft_future_running(running));
  CHECK_STATUS(weft_future_cancel(running), WEFT_ESTATE);
  test_flag_set(&g.open);
  CHECK_STATUS(weft_pool_shutdown(p, true, true), WEFT_OK);
  CHECK(result_of(running) == &g);
  CHECK_EQ(atomic_load(&ran), 0);
  CHECK_EQ(atomic_load(&cancel_callbacks), 10);
  for (int i = 0; i < 10; i++)
    weft_future_unref(pending[i]);
  weft_future_unref(running);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

typedef struct self_call {
  weft_pool *p;
  int shutdown_wait, free_rc, shutdown_nowait;
} self_call;

static void *shut_myself(void *arg) {
  self_call *s = arg;
  s->shutdown_wait = weft_pool_shutdown(s->p, true, false);
  s->free_rc = weft_pool_free(s->p);
  /* Refused: nothing happened, the pool still takes work. */
  weft_future *f = NULL;
  CHECK_STATUS(weft_pool_submit(s->p, square, (void *)3, &f), WEFT_OK);
  weft_future_unref(f);
  s->shutdown_nowait = weft_pool_shutdown(s->p, false, false);
  return NULL;
}

static void *shut_other(void *arg) {
  self_call *s = arg;
  s->shutdown_wait = weft_pool_shutdown(s->p, true, false);
  s->free_rc = weft_pool_free(s->p);
  return NULL;
}

static void free_from_callback(weft_future *f, void *arg) {
  (void)f;
  self_call *s = arg;
  s->free_rc = weft_pool_free(s->p);
  s->shutdown_wait = weft_pool_shutdown(s->p, true, true);
}

void test_pool_shutdown_from_worker(void) {
  self_call s = {pool_new_checked(2), -1, -1, -1};
  weft_future *f = submit_checked(s.p, shut_myself, &s);
  result_of(f);
  weft_future_unref(f);
  CHECK_STATUS(s.shutdown_wait, WEFT_EDEADLK);
  CHECK_STATUS(s.free_rc, WEFT_EDEADLK);
  CHECK_STATUS(s.shutdown_nowait, WEFT_OK);
  CHECK_STATUS(weft_pool_submit(s.p, identity, NULL, NULL), WEFT_ESHUTDOWN);
  CHECK_STATUS(weft_pool_free(s.p), WEFT_OK);
  /* From a callback that a worker runs: the same. */
  self_call c = {pool_new_checked(1), -1, -1, -1};
  static gate g;
  f = submit_checked(c.p, wait_gate, &g);
  CHECK_STATUS(weft_future_add_done_callback(f, free_from_callback, &c), WEFT_OK);
  test_flag_set(&g.open);
  result_of(f);
  CHECK_STATUS(weft_pool_shutdown(c.p, true, false), WEFT_OK); /* the callback has run */
  CHECK_STATUS(c.free_rc, WEFT_EDEADLK);
  CHECK_STATUS(c.shutdown_wait, WEFT_EDEADLK);
  weft_future_unref(f);
  CHECK_STATUS(weft_pool_free(c.p), WEFT_OK);
  /* A worker of another pool may shut this one down and wait. */
  weft_pool *other = pool_new_checked(1);
  self_call o = {pool_new_checked(1), -1, -1, -1};
  f = submit_checked(o.p, square, (void *)2);
  result_of(f);
  weft_future_unref(f);
  static double nap = 0.01;
  weft_future *slow = submit_checked(o.p, sleep_task, &nap);
  weft_future_unref(slow);
  f = submit_checked(other, shut_other, &o);
  CHECK_STATUS(weft_future_result(f, 30.0, NULL), WEFT_OK);
  weft_future_unref(f);
  CHECK_STATUS(o.shutdown_wait, WEFT_OK);
  CHECK_STATUS(o.free_rc, WEFT_OK);
  CHECK_STATUS(weft_pool_free(other), WEFT_OK);
}

void test_pool_free_waits(void) {
  static double nap = 0.1;
  weft_pool *p = pool_new_checked(1);
  weft_future *a = submit_checked(p, sleep_task, &nap), *b = submit_checked(p, square, (void *)4);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
  CHECK_ELAPSED(t0, 0.1 - 0.02, TEST_SLOW); /* the nap had begun before */
  /* The futures outlive the pool. */
  CHECK(weft_future_done(a) && weft_future_done(b));
  CHECK(result_of(a) == &nap);
  CHECK_EQ((uintptr_t)result_of(b), 16);
  CHECK_STATUS(weft_future_cancel(b), WEFT_ESTATE);
  weft_future_unref(a);
  weft_future_unref(b);
}

/* ---- cancel --------------------------------------------------------------------------- */

static atomic_int callbacks_b;

static void count_b(weft_future *f, void *arg) {
  (void)f;
  (void)arg;
  atomic_fetch_add(&callbacks_b, 1);
}

void test_pool_cancel(void) {
  static gate g;
  static atomic_int ran;
  weft_pool *p = pool_new_checked(1);
  weft_future *a = submit_checked(p, wait_gate, &g);
  weft_future *b = submit_checked(p, count_task, &ran);
  test_await_count(&g.started, 1);
  CHECK(weft_future_running(a));
  CHECK(!weft_future_running(b) && !weft_future_done(b) && !weft_future_cancelled(b));
  CHECK_STATUS(weft_future_add_done_callback(b, count_b, NULL), WEFT_OK);
  /* Pending: cancelled, done at once, its callback run here. */
  CHECK_STATUS(weft_future_cancel(b), WEFT_OK);
  CHECK(weft_future_cancelled(b) && weft_future_done(b) && !weft_future_running(b));
  CHECK_EQ(atomic_load(&callbacks_b), 1);
  CHECK_STATUS(weft_future_result(b, WEFT_FOREVER, NULL), WEFT_ECANCELED);
  /* Again: OK, and no second callback. */
  CHECK_STATUS(weft_future_cancel(b), WEFT_OK);
  CHECK_EQ(atomic_load(&callbacks_b), 1);
  /* Running: refused. */
  CHECK_STATUS(weft_future_cancel(a), WEFT_ESTATE);
  CHECK(!weft_future_cancelled(a) && weft_future_running(a));
  test_flag_set(&g.open);
  CHECK(result_of(a) == &g);
  CHECK(!weft_future_running(a) && weft_future_done(a));
  /* Finished: refused. */
  CHECK_STATUS(weft_future_cancel(a), WEFT_ESTATE);
  CHECK_STATUS(weft_pool_shutdown(p, true, false), WEFT_OK);
  CHECK_EQ(atomic_load(&ran), 0); /* the cancelled task never ran */
  CHECK_EQ(atomic_load(&callbacks_b), 1);
  weft_future_unref(a);
  weft_future_unref(b);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

/* ---- callbacks run by workers ------------------------------------------------------- */

typedef struct cb_log {
  atomic_int n;
  int order[16];
  uint64_t ident[16];
  weft_pool *p;
  _Atomic(weft_future *) resubmitted;
} cb_log;

typedef struct cb_arg {
  cb_log *log;
  int i;
} cb_arg;

static void log_cb(weft_future *f, void *arg) {
  (void)f;
  cb_arg *a = arg;
  int k = atomic_fetch_add(&a->log->n, 1);
  a->log->order[k] = a->i;
  a->log->ident[k] = weft_get_ident();
}

static void resubmit_cb(weft_future *f, void *arg) {
  cb_log *l = arg;
  /* A callback may submit to the same pool and drop its future. */
  weft_future *next = NULL;
  CHECK_STATUS(weft_pool_submit(l->p, square, (void *)9, &next), WEFT_OK);
  atomic_store(&l->resubmitted, next);
  weft_future_unref(f);
}

void test_pool_callbacks(void) {
  static cb_log l;
  static cb_arg args[6];
  static gate g;
  l.p = pool_new_checked(1);
  weft_future *f = submit_checked(l.p, wait_gate, &g);
  for (int i = 0; i < 6; i++)
    args[i] = (cb_arg){&l, i};
  for (int i = 0; i < 5; i++)
    CHECK_STATUS(weft_future_add_done_callback(f, log_cb, &args[i]), WEFT_OK);
  weft_future_ref(f); /* for resubmit_cb to drop */
  CHECK_STATUS(weft_future_add_done_callback(f, resubmit_cb, &l), WEFT_OK);
  CHECK_EQ(atomic_load(&l.n), 0);
  test_flag_set(&g.open);
  result_of(f);
  /* The resubmitted task runs on the one worker once its callbacks are
   * over: after it, they all have run, in the worker, in order, once. */
  double t0 = weft_monotonic();
  while (!atomic_load(&l.resubmitted) && weft_monotonic() - t0 < 30)
    weft_sleep(0.001);
  weft_future *next = atomic_load(&l.resubmitted);
  CHECK(next != NULL);
  CHECK_EQ((uintptr_t)result_of(next), 81);
  weft_future_unref(next);
  CHECK_EQ(atomic_load(&l.n), 5);
  for (int i = 0; i < 5; i++) {
    CHECK_EQ(l.order[i], i);
    CHECK(l.ident[i] != weft_get_ident());
  }
  /* On a done future: at once, here. */
  CHECK_STATUS(weft_future_add_done_callback(f, log_cb, &args[5]), WEFT_OK);
  CHECK_EQ(atomic_load(&l.n), 6);
  CHECK_EQ(l.order[5], 5);
  CHECK_EQ(l.ident[5], weft_get_ident());
  weft_future_unref(f);
  CHECK_STATUS(weft_pool_free(l.p), WEFT_OK);
  CHECK_EQ(atomic_load(&l.n), 6);
}

/* ---- map ------------------------------------------------------------------------------- */

void test_pool_map(void) {
  weft_pool *p = pool_new_checked(4);
  enum { N = 200 };
  static void *args[N], *results[N];
  for (uintptr_t i = 0; i < N; i++) {
    args[i] = (void *)i;
    results[i] = NULL;
  }
  CHECK_STATUS(weft_pool_map(p, square, args, N, results, 30.0), WEFT_OK);
  for (uintptr_t i = 0; i < N; i++)
    CHECK_EQ((uintptr_t)results[i], i * i);
  CHECK_STATUS(weft_pool_map(p, square, args, 0, results, 1.0), WEFT_OK);
  CHECK_STATUS(weft_pool_map(p, square, NULL, 0, NULL, 1.0), WEFT_OK);
  CHECK_STATUS(weft_pool_map(p, square, args, 3, results, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

static gate map_gate;

static void *gate_or_times10(void *arg) {
  uintptr_t i = (uintptr_t)arg;
  if (i == 3) wait_gate(&map_gate); /* the third blocks */
  return (void *)(i * 10);
}

void test_pool_map_timeout(void) {
  static atomic_int ran;
  weft_pool *p = pool_new_checked(1);
  static void *args[6] = {(void *)1, (void *)2, (void *)3, (void *)4, (void *)5, (void *)6};
  void *results[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_pool_map(p, gate_or_times10, args, 6, results, 0.2), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.2, TEST_SLOW + 0.2);
  /* In order up to the one that did not finish; nothing after it. */
  CHECK_EQ((uintptr_t)results[0], 10);
  CHECK_EQ((uintptr_t)results[1], 20);
  for (int i = 2; i < 6; i++)
    CHECK(results[i] == NULL);
  /* The pending ones were cancelled: after the blocked one only a probe runs. */
  weft_future *probe = submit_checked(p, count_task, &ran);
  test_flag_set(&map_gate.open);
  CHECK(result_of(probe) == NULL);
  CHECK_EQ(atomic_load(&ran), 1);
  CHECK_EQ(atomic_load(&map_gate.finished), 1);
  for (int i = 2; i < 6; i++)
    CHECK(results[i] == NULL); /* nothing written after the return */
  weft_future_unref(probe);
  /* Timeout 0 on a busy pool: nothing is done at once. */
  static gate busy;
  weft_future *blocker = submit_checked(p, wait_gate, &busy);
  CHECK_STATUS(weft_pool_map(p, square, args, 6, results, 0), WEFT_TIMEOUT);
  CHECK_EQ((uintptr_t)results[0], 10);
  test_flag_set(&busy.open);
  result_of(blocker);
  weft_future_unref(blocker);
  CHECK_STATUS(weft_pool_map(p, square, args, 6, results, 30.0), WEFT_OK);
  CHECK_EQ((uintptr_t)results[5], 36);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

/* ---- threads from outside ------------------------------------------------------------- */

typedef struct foreign_submit {
  weft_pool *p;
  uintptr_t sum;
} foreign_submit;

static void submit_from_foreign(void *arg) {
  foreign_submit *s = arg;
  for (uintptr_t i = 0; i < 100; i++) {
    weft_future *f = submit_checked(s->p, square, (void *)i);
    s->sum += (uintptr_t)result_of(f);
    weft_future_unref(f);
  }
}

void test_pool_foreign_submit(void) {
  foreign_submit s = {pool_new_checked(2), 0};
  test_foreign_join(test_foreign_start(submit_from_foreign, &s));
  CHECK_EQ(s.sum, 328350); /* sum of squares below 100 */
  CHECK_STATUS(weft_pool_free(s.p), WEFT_OK);
}

/* ---- weft_shutdown waits for non-daemon pools' tasks ---------------------------------- */

void test_pool_weft_shutdown(void) {
  static gate g, d;
  weft_pool *p = pool_new_checked(2), *daemon = pool_new_checked(1), *idle = pool_new_checked(1);
  CHECK_STATUS(weft_pool_set_daemon(daemon, true), WEFT_OK);
  weft_future *warm = submit_checked(idle, identity, NULL); /* a worker, idle */
  result_of(warm);
  weft_future_unref(warm);
  weft_future *dt = submit_checked(daemon, wait_gate, &d);
  weft_future *t = submit_checked(p, wait_gate, &g);
  CHECK_STATUS(weft_pool_submit(p, identity, NULL, NULL), WEFT_OK);
  test_await_count(&g.started, 1);
  test_await_count(&d.started, 1);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_shutdown(0.1), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  CHECK_STATUS(weft_shutdown(0), WEFT_TIMEOUT);
  test_flag_set(&g.open);
  /* The daemon pool's task and the idle workers are not waited for. */
  CHECK_STATUS(weft_shutdown(30.0), WEFT_OK);
  CHECK(weft_future_done(t));
  CHECK(!weft_future_done(dt));
  test_flag_set(&d.open);
  result_of(dt);
  weft_future_unref(dt);
  weft_future_unref(t);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
  CHECK_STATUS(weft_pool_free(daemon), WEFT_OK);
  CHECK_STATUS(weft_pool_free(idle), WEFT_OK);
}

static void *shutdown_inside(void *arg) {
  /* From a task: waits for the others, not for itself. */
  return (void *)(intptr_t)weft_shutdown(*(double *)arg);
}

void test_pool_weft_shutdown_from_task(void) {
  static double wait = 20.0, nap = 0.1;
  weft_pool *p = pool_new_checked(2);
  weft_future *other = submit_checked(p, sleep_task, &nap);
  weft_future *f = submit_checked(p, shutdown_inside, &wait);
  CHECK_EQ((intptr_t)result_of(f), WEFT_OK);
  CHECK(weft_future_done(other));
  weft_future_unref(other);
  weft_future_unref(f);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

/* ---- fork ---------------------------------------------------------------------------- */

static weft_pool *fork_pool;
static weft_future *fork_running, *fork_queued;
static gate fork_gate;

static void pool_child(void) {
  /* The worker stayed behind: its task is cancelled here; the queued one
   * runs on a new worker, started on demand. */
  CHECK_STATUS(weft_future_result(fork_running, 10.0, NULL), WEFT_ECANCELED);
  CHECK_EQ((uintptr_t)result_of(fork_queued), 36);
  weft_future *f = submit_checked(fork_pool, square, (void *)8);
  CHECK_EQ((uintptr_t)result_of(f), 64);
  weft_future_unref(f);
  CHECK(has_thread_named("forkpool_1")); /* numbered on from the parent's */
  CHECK_STATUS(weft_shutdown(10.0), WEFT_OK);
  CHECK_STATUS(weft_pool_free(fork_pool), WEFT_OK);
}

void test_pool_fork(void) {
  fork_pool = pool_new_checked(1);
  CHECK_STATUS(weft_pool_set_name_prefix(fork_pool, "forkpool"), WEFT_OK);
  fork_running = submit_checked(fork_pool, wait_gate, &fork_gate);
  fork_queued = submit_checked(fork_pool, square, (void *)6);
  test_await_count(&fork_gate.started, 1);
  const char *why = NULL;
  int status = test_fork(pool_child, &why);
  test_flag_set(&fork_gate.open);
  CHECK(result_of(fork_running) == &fork_gate);
  CHECK_EQ((uintptr_t)result_of(fork_queued), 36);
  weft_future_unref(fork_running);
  weft_future_unref(fork_queued);
  CHECK_STATUS(weft_pool_free(fork_pool), WEFT_OK);
  if (status == -1) test_skip(why);
  CHECK_EQ(status, 0);
}

static long task_child = -1;
static const char *task_why;

static void exit_soon(void *arg) {
  (void)arg;
  weft_sleep(0.05);
  exit(0);
}

/* Forks from inside a task. In the child this thread is the main thread,
 * still in the task; the task finishes there (its future with it), then
 * the thread leaves the pool, and a thread it started ends the child. */
static void *forking_task(void *arg) {
  (void)arg;
  long pid = test_fork_begin(&task_why);
  if (pid != 0) {
    task_child = pid;
    return (void *)1;
  }
  CHECK_STATUS(weft_pool_shutdown(fork_pool, true, false), WEFT_EDEADLK);
  weft_thread *t = weft_thread_new(exit_soon, NULL);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_set_daemon(t, false), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  weft_thread_unref(t);
  return (void *)2;
}

void test_pool_fork_from_task(void) {
  fork_pool = pool_new_checked(2);
  weft_future *f = submit_checked(fork_pool, forking_task, NULL);
  CHECK_EQ((uintptr_t)result_of(f), 1);
  weft_future_unref(f);
  CHECK_STATUS(weft_pool_free(fork_pool), WEFT_OK);
  if (task_child == -1) test_skip(task_why);
  int status = test_fork_wait(task_child, 20.0);
  if (status == -2) test_fail_(__FILE__, __LINE__, "the child's exit() hung");
  CHECK_EQ(status, 0);
}

/* ---- stress: 8 submitters x 20k tasks on 4 workers, every result checked ---------- */

enum { SUBMITTERS = 8 };

typedef struct stress {
  weft_pool *p;
  long per_thread;
  atomic_long fire_ran, fire_sent;
  atomic_long checked;
} stress;

typedef struct submitter {
  stress *s;
  uintptr_t id;
} submitter;

static void *mix(void *arg) {
  uintptr_t x = (uintptr_t)arg;
  return (void *)(x * 2654435761u + 1);
}

static void *fire(void *arg) {
  atomic_fetch_add(&((stress *)arg)->fire_ran, 1);
  return NULL;
}

enum { BATCH = 64 };

static void submit_many(void *arg) {
  submitter *me = arg;
  stress *s = me->s;
  weft_future *fs[BATCH];
  uintptr_t base = me->id << 32;
  for (long done = 0; done < s->per_thread;) {
    long n = s->per_thread - done < BATCH ? s->per_thread - done : BATCH;
    for (long i = 0; i < n; i++) {
      if (i % 4 == 3) { /* a quarter fire and forget */
        CHECK_STATUS(weft_pool_submit(s->p, fire, s, NULL), WEFT_OK);
        atomic_fetch_add(&s->fire_sent, 1);
        fs[i] = NULL;
      } else {
        fs[i] = submit_checked(s->p, mix, (void *)(base + (uintptr_t)(done + i)));
      }
    }
    for (long i = 0; i < n; i++) {
      if (!fs[i]) continue;
      uintptr_t x = base + (uintptr_t)(done + i);
      CHECK_EQ((uintptr_t)result_of(fs[i]), x * 2654435761u + 1);
      weft_future_unref(fs[i]);
      atomic_fetch_add(&s->checked, 1);
    }
    done += n;
  }
}

void test_pool_stress(void) {
  static stress s;
  s.p = pool_new_checked(4);
  s.per_thread = test_scaled(20000);
  submitter subs[SUBMITTERS];
  weft_thread *t[SUBMITTERS];
  test_foreign *f[SUBMITTERS / 2];
  for (int i = 0; i < SUBMITTERS; i++) {
    subs[i] = (submitter){&s, (uintptr_t)i + 1};
    /* Half weft threads, half foreign ones. */
    if (i % 2)
      f[i / 2] = test_foreign_start(submit_many, &subs[i]);
    else
      t[i] = test_spawn(submit_many, &subs[i]);
  }
  for (int i = 0; i < SUBMITTERS; i++) {
    if (i % 2)
      test_foreign_join(f[i / 2]);
    else
      test_join(t[i]);
  }
  CHECK_STATUS(weft_pool_shutdown(s.p, true, false), WEFT_OK);
  long checked = atomic_load(&s.checked), fired = atomic_load(&s.fire_ran);
  CHECK_EQ(fired, atomic_load(&s.fire_sent));
  CHECK_EQ(checked + fired, s.per_thread * SUBMITTERS);
  CHECK(count_named("ThreadPoolExecutor-0_") == 0);
  CHECK_STATUS(weft_pool_free(s.p), WEFT_OK);
}

/* ---- out of memory at every allocation of the pool ---------------------------------
 * A counting allocator that marks its blocks and fails the n-th
 * allocation; this test must make the process's first weft call. */

#define HDR 16
static const uint32_t LIVE = 0x706f6f6cu, DEAD = 0xdeadbeefu;
static atomic_long oom_live, oom_total, oom_fail_at, oom_failed;

static bool oom_fail_now(void) {
  long k = atomic_fetch_add(&oom_total, 1) + 1, f = atomic_load(&oom_fail_at);
  if (f == 0 || k != f) return false;
  atomic_fetch_add(&oom_failed, 1);
  return true;
}

static void oom_check(unsigned char *base) {
  uint32_t m;
  memcpy(&m, base, sizeof m);
  if (m != LIVE) test_fail_(__FILE__, __LINE__, "block %p not from the hook", (void *)base);
}

static void *oom_malloc(size_t n) {
  if (oom_fail_now()) return NULL;
  unsigned char *p = malloc(n + HDR);
  if (!p) return NULL;
  memcpy(p, &LIVE, sizeof LIVE);
  atomic_fetch_add(&oom_live, 1);
  return p + HDR;
}

static void *oom_realloc(void *q, size_t n) {
  if (!q) return oom_malloc(n);
  oom_check((unsigned char *)q - HDR);
  if (oom_fail_now()) return NULL;
  unsigned char *p = realloc((unsigned char *)q - HDR, n + HDR);
  return p ? p + HDR : NULL;
}

static void oom_free(void *q) {
  if (!q) return;
  unsigned char *base = (unsigned char *)q - HDR;
  oom_check(base);
  memcpy(base, &DEAD, sizeof DEAD);
  free(base);
  atomic_fetch_sub(&oom_live, 1);
}

/* rc is WEFT_OK, or the allocation that failed made it want. */
static bool oom_ok(int rc, int want) {
  if (rc == WEFT_OK) return true;
  CHECK_STATUS(rc, want);
  CHECK(atomic_load(&oom_failed) > 0);
  return false;
}

static void count_cb(weft_future *f, void *arg) {
  (void)f;
  atomic_fetch_add((atomic_int *)arg, 1);
}

/* Everything the pool and its futures allocate: the pool and its prefix,
 * workers (record, name, worker), futures, the ring growing, a second
 * callback, map's futures, a wait for the first of many, an iterator. */
static void oom_round(void) {
  static atomic_int ran, called;
  weft_pool *p = weft_pool_new(2);
  if (!p) {
    CHECK(atomic_load(&oom_failed) > 0);
    return;
  }
  oom_ok(weft_pool_set_name_prefix(p, "a rather long prefix, longer than the name buffer of "
                                      "the pool, which makes it allocate"),
         WEFT_ENOMEM);
  enum { N = 12 };
  weft_future *fs[N];
  size_t n = 0;
  for (uintptr_t i = 0; i < N; i++) {
    weft_future *f = NULL;
    int rc = weft_pool_submit(p, square, (void *)i, &f);
    if (!oom_ok(rc, WEFT_ENOMEM)) {
      CHECK(f == NULL);
      continue;
    }
    int before = atomic_load(&called);
    bool one = oom_ok(weft_future_add_done_callback(f, count_cb, &called), WEFT_ENOMEM);
    bool two = oom_ok(weft_future_add_done_callback(f, count_cb, &called), WEFT_ENOMEM);
    CHECK_EQ((uintptr_t)result_of(f), i * i);
    test_await_count(&called, before + one + two);
    fs[n++] = f;
  }
  int sent = 0, before = atomic_load(&ran);
  for (int i = 0; i < 100; i++) /* the ring grows: 16, 32, 64, 128 */
    sent += oom_ok(weft_pool_submit(p, count_task, &ran, NULL), WEFT_ENOMEM);
  void *args[3] = {(void *)1, (void *)2, (void *)3}, *results[3];
  if (oom_ok(weft_pool_map(p, square, args, 3, results, 30.0), WEFT_ENOMEM))
    CHECK_EQ((uintptr_t)results[2], 9);
  if (n > 0) oom_ok(weft_wait(fs, n, WEFT_FIRST_COMPLETED, 30.0), WEFT_ENOMEM);
  CHECK_STATUS(weft_wait(fs, n, WEFT_ALL_COMPLETED, 30.0), WEFT_OK);
  weft_as_completed *it = weft_as_completed_new(fs, n);
  if (it) {
    weft_future *f;
    for (size_t i = 0; i < n; i++)
      CHECK_STATUS(weft_as_completed_next(it, 30.0, &f), WEFT_OK);
    weft_as_completed_free(it);
  } else {
    CHECK(atomic_load(&oom_failed) > 0);
  }
  weft_future *solo = weft_future_new();
  if (solo) {
    CHECK_STATUS(weft_future_set_result(solo, &ran), WEFT_OK);
    weft_future_unref(solo);
  } else {
    CHECK(atomic_load(&oom_failed) > 0);
  }
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
  CHECK_EQ(atomic_load(&ran), before + sent);
  for (size_t i = 0; i < n; i++)
    weft_future_unref(fs[i]);
}

static void oom_fail_each(void) {
  long n = 1;
  for (;; n++) {
    CHECK(n < 10000);
    atomic_store(&oom_failed, 0);
    atomic_store(&oom_fail_at, atomic_load(&oom_total) + n);
    oom_round();
    atomic_store(&oom_fail_at, 0);
    if (atomic_load(&oom_failed) == 0) break;
  }
  printf("failed each of %ld allocations of a round in turn\n", n - 1);
}

void test_pool_alloc_fail(void) {
  CHECK_STATUS(weft_set_allocator(oom_malloc, oom_realloc, oom_free), WEFT_OK);
  oom_fail_each(); /* with weft's lazy state still to be made */
  oom_round();
  weft_sleep(0.01);
  long live = atomic_load(&oom_live);
  oom_fail_each();
  oom_round();
  /* Nothing leaked (thread records may be freed by their threads just
   * after a join: give them a moment). */
  double t0 = weft_monotonic();
  while (atomic_load(&oom_live) != live && weft_monotonic() - t0 < 5.0)
    weft_sleep(0.005);
  CHECK_EQ(atomic_load(&oom_live), live);
}

/* The cost of a task in allocations: none for a submit without a future
 * once the ring has grown, one (the future) with one; a first callback
 * lives in the future. Counted by the hook above (the first weft call). */
void test_pool_allocations(void) {
  CHECK_STATUS(weft_set_allocator(oom_malloc, oom_realloc, oom_free), WEFT_OK);
  static atomic_int ran, called;
  static gate g;
  weft_pool *p = pool_new_checked(2);
  weft_future *block[2] = {submit_checked(p, wait_gate, &g), submit_checked(p, wait_gate, &g)};
  test_await_count(&g.started, 2);
  for (int i = 0; i < 2000; i++) /* queued behind the blocked workers: the ring grows */
    CHECK_STATUS(weft_pool_submit(p, count_task, &ran, NULL), WEFT_OK);
  test_flag_set(&g.open);
  test_await_count(&ran, 2000);
  long before = atomic_load(&oom_total);
  for (int i = 0; i < 1000; i++)
    CHECK_STATUS(weft_pool_submit(p, count_task, &ran, NULL), WEFT_OK);
  test_await_count(&ran, 3000);
  CHECK_EQ(atomic_load(&oom_total) - before, 0);
  before = atomic_load(&oom_total);
  for (int i = 0; i < 1000; i++) {
    weft_future *f = submit_checked(p, count_task, &ran);
    CHECK_STATUS(weft_future_add_done_callback(f, count_cb, &called), WEFT_OK);
    result_of(f);
    weft_future_unref(f);
  }
  CHECK_EQ(atomic_load(&oom_total) - before, 1000);
  test_await_count(&called, 1000);
  printf("allocations per task: 0 without a future, 1 with one (and a callback)\n");
  for (int i = 0; i < 2; i++) {
    result_of(block[i]);
    weft_future_unref(block[i]);
  }
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}
