/* weft_future on its own (standalone futures: set_result, cancel, result
 * with timeouts, done callbacks exactly once and in order, also raced
 * against completion), weft_wait and weft_as_completed. */
#include "test.h"

#include <math.h>

static weft_future *future_checked(void) {
  weft_future *f = weft_future_new();
  CHECK(f != NULL);
  return f;
}

static void count_cb(weft_future *f, void *arg) {
  (void)f;
  atomic_fetch_add((atomic_int *)arg, 1);
}

static void *identity(void *arg) {
  return arg;
}

void test_future_invalid(void) {
  weft_future *f = future_checked();
  void *r;
  CHECK_STATUS(weft_future_set_result(NULL, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_future_result(NULL, 0, &r), WEFT_EINVAL);
  CHECK_STATUS(weft_future_result(f, NAN, &r), WEFT_EINVAL);
  CHECK_STATUS(weft_future_result(f, -0.5, &r), WEFT_EINVAL);
  CHECK_STATUS(weft_future_cancel(NULL), WEFT_EINVAL);
  CHECK(!weft_future_cancelled(NULL) && !weft_future_running(NULL) && !weft_future_done(NULL));
  static atomic_int n;
  CHECK_STATUS(weft_future_add_done_callback(NULL, count_cb, &n), WEFT_EINVAL);
  CHECK_STATUS(weft_future_add_done_callback(f, NULL, &n), WEFT_EINVAL);
  CHECK(weft_future_ref(NULL) == NULL);
  weft_future_unref(NULL);
  weft_future *fs[2] = {f, NULL};
  CHECK_STATUS(weft_wait(NULL, 1, WEFT_ALL_COMPLETED, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_wait(fs, 2, WEFT_ALL_COMPLETED, 0), WEFT_EINVAL); /* a NULL element */
  CHECK_STATUS(weft_wait(fs, 1, 0, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_wait(fs, 1, 3, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_wait(fs, 1, WEFT_FIRST_COMPLETED, NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_wait(fs, 1, WEFT_ALL_COMPLETED, -3.0), WEFT_EINVAL);
  CHECK(weft_as_completed_new(NULL, 1) == NULL);
  CHECK(weft_as_completed_new(fs, 2) == NULL);
  weft_as_completed *it = weft_as_completed_new(fs, 1);
  CHECK(it != NULL);
  weft_future *got;
  CHECK_STATUS(weft_as_completed_next(NULL, 0, &got), WEFT_EINVAL);
  CHECK_STATUS(weft_as_completed_next(it, 0, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_as_completed_next(it, NAN, &got), WEFT_EINVAL);
  weft_as_completed_free(it);
  weft_as_completed_free(NULL);
  /* None of it changed the future. */
  CHECK(!weft_future_done(f));
  CHECK_EQ(atomic_load(&n), 0);
  weft_future_unref(f);
}

typedef struct setter {
  weft_future *f;
  double delay;
  void *value;
  int rc;
} setter;

static void set_later(void *arg) {
  setter *s = arg;
  weft_sleep(s->delay);
  s->rc = weft_future_set_result(s->f, s->value);
}

void test_future_standalone(void) {
  weft_future *f = future_checked();
  CHECK(!weft_future_done(f) && !weft_future_running(f) && !weft_future_cancelled(f));
  int x;
  setter s = {f, 0.05, &x, -1};
  double t0 = weft_monotonic();
  weft_thread *t = test_spawn(set_later, &s);
  void *r = NULL;
  CHECK_STATUS(weft_future_result(f, 30.0, &r), WEFT_OK);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
  CHECK(r == &x);
  test_join(t);
  CHECK_STATUS(s.rc, WEFT_OK);
  CHECK(weft_future_done(f) && !weft_future_cancelled(f) && !weft_future_running(f));
  CHECK_STATUS(weft_future_result(f, 0, NULL), WEFT_OK); /* result may be NULL */
  /* Done: a second result and a cancel are refused. */
  CHECK_STATUS(weft_future_set_result(f, NULL), WEFT_ESTATE);
  CHECK_STATUS(weft_future_cancel(f), WEFT_ESTATE);
  CHECK_STATUS(weft_future_result(f, 0, &r), WEFT_OK);
  CHECK(r == &x);
  /* Cancelled: done, ECANCELED, no result afterwards. */
  weft_future *c = future_checked();
  CHECK_STATUS(weft_future_cancel(c), WEFT_OK);
  CHECK_STATUS(weft_future_cancel(c), WEFT_OK);
  CHECK(weft_future_cancelled(c) && weft_future_done(c));
  CHECK_STATUS(weft_future_set_result(c, &x), WEFT_ESTATE);
  CHECK_STATUS(weft_future_result(c, WEFT_FOREVER, &r), WEFT_ECANCELED);
  /* References. */
  CHECK(weft_future_ref(f) == f);
  weft_future_unref(f);
  weft_future_unref(f);
  weft_future_unref(c);
}

void test_future_pooled_refuses(void) {
  weft_pool *p = weft_pool_new(1);
  CHECK(p != NULL);
  weft_future *f = NULL;
  CHECK_STATUS(weft_pool_submit(p, identity, &f, &f), WEFT_OK);
  CHECK_STATUS(weft_future_set_result(f, NULL), WEFT_ESTATE);
  void *r;
  CHECK_STATUS(weft_future_result(f, 30.0, &r), WEFT_OK);
  CHECK(r == &f);
  CHECK_STATUS(weft_future_set_result(f, NULL), WEFT_ESTATE);
  weft_future_unref(f);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

void test_future_result_timeout(void) {
  weft_future *f = future_checked();
  static const double waits[] = {0.001, 0.02, 0.1};
  for (size_t i = 0; i < 3; i++) {
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_future_result(f, waits[i], NULL), WEFT_TIMEOUT);
    CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
  }
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_future_result(f, 0, NULL), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0, 1.0);
  CHECK(!weft_future_done(f));
  /* Past WEFT_TIMEOUT_MAX means forever: ended by the result. */
  setter s = {f, 0.02, NULL, -1};
  weft_thread *t = test_spawn(set_later, &s);
  CHECK_STATUS(weft_future_result(f, INFINITY, NULL), WEFT_OK);
  test_join(t);
  weft_future_unref(f);
}

/* ---- callbacks ----------------------------------------------------------------- */

typedef struct cb_log {
  atomic_int n;
  int order[32];
  weft_future *f;
} cb_log;

typedef struct cb_arg {
  cb_log *log;
  int i;
} cb_arg;

static void log_cb(weft_future *f, void *arg) {
  cb_arg *a = arg;
  CHECK(f == a->log->f);
  CHECK(weft_future_done(f));
  int k = atomic_fetch_add(&a->log->n, 1);
  if (k < 32) a->log->order[k] = a->i;
}

static cb_arg late_arg;

/* Adds a callback from inside a callback: it runs after this one (after
 * those already queued), in this thread. */
static void adding_cb(weft_future *f, void *arg) {
  log_cb(f, arg);
  CHECK_STATUS(weft_future_add_done_callback(f, log_cb, &late_arg), WEFT_OK);
}

static void check_order(cb_log *l, int n) {
  CHECK_EQ(atomic_load(&l->n), n);
  for (int i = 0; i < n; i++)
    if (l->order[i] != i) test_fail_(__FILE__, __LINE__, "callback %d ran %d-th", l->order[i], i);
}

void test_future_callbacks(void) {
  static cb_log l;
  static cb_arg args[12];
  for (int i = 0; i < 12; i++)
    args[i] = (cb_arg){&l, i};
  /* Pending: queued, run by set_result in order, once. */
  l.f = future_checked();
  for (int i = 0; i < 4; i++)
    CHECK_STATUS(weft_future_add_done_callback(l.f, log_cb, &args[i]), WEFT_OK);
  CHECK_STATUS(weft_future_add_done_callback(l.f, adding_cb, &args[4]), WEFT_OK);
  CHECK_STATUS(weft_future_add_done_callback(l.f, log_cb, &args[5]), WEFT_OK);
  late_arg = (cb_arg){&l, 6};
  CHECK_EQ(atomic_load(&l.n), 0);
  CHECK_STATUS(weft_future_set_result(l.f, NULL), WEFT_OK);
  check_order(&l, 7);
  /* Done: at once. */
  for (int i = 7; i < 10; i++)
    CHECK_STATUS(weft_future_add_done_callback(l.f, log_cb, &args[i]), WEFT_OK);
  check_order(&l, 10);
  CHECK_STATUS(weft_future_set_result(l.f, NULL), WEFT_ESTATE);
  CHECK_STATUS(weft_future_cancel(l.f), WEFT_ESTATE);
  check_order(&l, 10);
  weft_future_unref(l.f);

  /* Cancelled: the same, and a second cancel runs nothing again. */
  memset(&l, 0, sizeof l);
  l.f = future_checked();
  CHECK_STATUS(weft_future_add_done_callback(l.f, log_cb, &args[0]), WEFT_OK);
  CHECK_STATUS(weft_future_add_done_callback(l.f, log_cb, &args[1]), WEFT_OK);
  CHECK_STATUS(weft_future_cancel(l.f), WEFT_OK);
  check_order(&l, 2);
  CHECK_STATUS(weft_future_cancel(l.f), WEFT_OK);
  CHECK_STATUS(weft_future_add_done_callback(l.f, log_cb, &args[2]), WEFT_OK);
  check_order(&l, 3);
  weft_future_unref(l.f);
}

static void unref_cb(weft_future *f, void *arg) {
  (void)arg;
  weft_future_unref(f);
}

void test_future_unref_in_callback(void) {
  /* The callbacks drop the only references: set_result holds its own
   * while they run. */
  static atomic_int n;
  weft_future *f = future_checked();
  CHECK_STATUS(weft_future_add_done_callback(f, unref_cb, NULL), WEFT_OK);
  CHECK_STATUS(weft_future_add_done_callback(f, count_cb, &n), WEFT_OK);
  CHECK_STATUS(weft_future_set_result(f, NULL), WEFT_OK);
  CHECK_EQ(atomic_load(&n), 1);
  f = future_checked();
  weft_future_ref(f);
  CHECK_STATUS(weft_future_cancel(f), WEFT_OK);
  CHECK_STATUS(weft_future_add_done_callback(f, unref_cb, NULL), WEFT_OK);
  weft_future_unref(f);
}

/* Callbacks added while another thread completes the future: each runs
 * exactly once, and in the order added, whichever thread runs it. */
typedef struct race {
  weft_future *f;
  test_flag go;
  atomic_int added, ran;
  int next_expected; /* only ever read and written by the callbacks, in order */
  atomic_int out_of_order;
} race;

typedef struct race_arg {
  race *r;
  int i;
} race_arg;

static void race_cb(weft_future *f, void *arg) {
  (void)f;
  race_arg *a = arg;
  if (a->i != a->r->next_expected) atomic_fetch_add(&a->r->out_of_order, 1);
  a->r->next_expected = a->i + 1;
  atomic_fetch_add(&a->r->ran, 1);
}

static void race_complete(void *arg) {
  race *r = arg;
  test_flag_wait(&r->go);
  while (atomic_load(&r->added) < 3)
    weft_yield();
  CHECK_STATUS(weft_future_set_result(r->f, NULL), WEFT_OK);
}

void test_future_callback_race(void) {
  enum { CALLBACKS = 40 };
  static race_arg args[CALLBACKS];
  long rounds = test_scaled(300);
  for (long k = 0; k < rounds; k++) {
    static race r;
    memset(&r, 0, sizeof r);
    r.f = future_checked();
    for (int i = 0; i < CALLBACKS; i++)
      args[i] = (race_arg){&r, i};
    weft_thread *t = test_spawn(race_complete, &r);
    test_flag_set(&r.go);
    for (int i = 0; i < CALLBACKS; i++) {
      CHECK_STATUS(weft_future_add_done_callback(r.f, race_cb, &args[i]), WEFT_OK);
      atomic_fetch_add(&r.added, 1);
    }
    test_join(t);
    CHECK_EQ(atomic_load(&r.ran), CALLBACKS);
    CHECK_EQ(atomic_load(&r.out_of_order), 0);
    weft_future_unref(r.f);
  }
}

/* ---- weft_wait ------------------------------------------------------------------ */

void test_future_wait(void) {
  weft_future *fs[12];
  for (int i = 0; i < 12; i++)
    fs[i] = future_checked();
  /* n == 0: at once. */
  CHECK_STATUS(weft_wait(fs, 0, WEFT_ALL_COMPLETED, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_wait(NULL, 0, WEFT_FIRST_COMPLETED, WEFT_FOREVER), WEFT_OK);
  /* Nothing done: both time out, not early. Twelve: more than the wait
   * keeps on its stack. */
  for (int n = 3; n <= 12; n += 9) {
    for (int mode = WEFT_FIRST_COMPLETED; mode <= WEFT_ALL_COMPLETED; mode++) {
      double t0 = weft_monotonic();
      CHECK_STATUS(weft_wait(fs, (size_t)n, mode, 0.05), WEFT_TIMEOUT);
      CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
      CHECK_STATUS(weft_wait(fs, (size_t)n, mode, 0), WEFT_TIMEOUT);
    }
  }
  /* One finishes later: FIRST returns then, ALL still times out. */
  setter s = {fs[10], 0.05, NULL, -1};
  double t0 = weft_monotonic();
  weft_thread *t = test_spawn(set_later, &s);
  CHECK_STATUS(weft_wait(fs, 12, WEFT_FIRST_COMPLETED, 30.0), WEFT_OK);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
  test_join(t);
  CHECK(weft_future_done(fs[10]));
  CHECK_STATUS(weft_wait(fs, 12, WEFT_FIRST_COMPLETED, 0), WEFT_OK);
  CHECK_STATUS(weft_wait(fs, 12, WEFT_ALL_COMPLETED, 0.02), WEFT_TIMEOUT);
  /* A cancelled future is done. */
  CHECK_STATUS(weft_future_cancel(fs[0]), WEFT_OK);
  CHECK_STATUS(weft_wait(fs, 1, WEFT_ALL_COMPLETED, 0), WEFT_OK);
  /* All of them, by another thread, one by one. */
  for (int i = 1; i < 12; i++)
    if (i != 10) CHECK_STATUS(weft_future_set_result(fs[i], NULL), WEFT_OK);
  CHECK_STATUS(weft_wait(fs, 12, WEFT_ALL_COMPLETED, 0), WEFT_OK);
  /* Duplicates are fine. */
  weft_future *dup[3] = {fs[1], fs[1], fs[2]};
  CHECK_STATUS(weft_wait(dup, 3, WEFT_FIRST_COMPLETED, 0), WEFT_OK);
  for (int i = 0; i < 12; i++)
    weft_future_unref(fs[i]);
}

static void *sleep_and_return(void *arg) {
  weft_sleep(0.02 * (double)(uintptr_t)arg);
  return arg;
}

void test_future_wait_pool(void) {
  weft_pool *p = weft_pool_new(4);
  CHECK(p != NULL);
  weft_future *fs[4];
  for (uintptr_t i = 0; i < 4; i++)
    CHECK_STATUS(weft_pool_submit(p, sleep_and_return, (void *)(i + 1), &fs[i]), WEFT_OK);
  CHECK_STATUS(weft_wait(fs, 4, WEFT_FIRST_COMPLETED, 30.0), WEFT_OK);
  CHECK(weft_future_done(fs[0]) || weft_future_done(fs[1]) || weft_future_done(fs[2]));
  CHECK_STATUS(weft_wait(fs, 4, WEFT_ALL_COMPLETED, 30.0), WEFT_OK);
  for (int i = 0; i < 4; i++) {
    CHECK(weft_future_done(fs[i]));
    weft_future_unref(fs[i]);
  }
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}

/* ---- as_completed ----------------------------------------------------------------- */

typedef struct finisher {
  weft_future **fs;
  const int *order;
  int n;
} finisher;

static void finish_in_order(void *arg) {
  finisher *fin = arg;
  for (int i = 0; i < fin->n; i++) {
    weft_sleep(0.005);
    CHECK_STATUS(weft_future_set_result(fin->fs[fin->order[i]], NULL), WEFT_OK);
  }
}

void test_future_as_completed(void) {
  enum { N = 6 };
  weft_future *fs[N + 2];
  for (int i = 0; i < N; i++)
    fs[i] = future_checked();
  fs[N] = fs[2]; /* duplicates: yielded once */
  fs[N + 1] = fs[2];
  /* Two done already, in the caller's order: 4 then 1. */
  CHECK_STATUS(weft_future_set_result(fs[4], NULL), WEFT_OK);
  CHECK_STATUS(weft_future_cancel(fs[1]), WEFT_OK);
  weft_as_completed *it = weft_as_completed_new(fs, N + 2);
  CHECK(it != NULL);
  weft_future *got;
  CHECK_STATUS(weft_as_completed_next(it, 0, &got), WEFT_OK);
  CHECK(got == fs[1]);
  CHECK_STATUS(weft_as_completed_next(it, 0, &got), WEFT_OK);
  CHECK(got == fs[4]);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_as_completed_next(it, 0.03, &got), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.03, TEST_SLOW);
  CHECK_STATUS(weft_as_completed_next(it, 0, &got), WEFT_TIMEOUT);
  /* The rest in the order another thread finishes them. */
  static const int order[] = {3, 0, 5, 2};
  finisher fin = {fs, order, 4};
  weft_thread *t = test_spawn(finish_in_order, &fin);
  for (int i = 0; i < 4; i++) {
    CHECK_STATUS(weft_as_completed_next(it, 30.0, &got), WEFT_OK);
    CHECK(got == fs[order[i]]);
  }
  test_join(t);
  CHECK_STATUS(weft_as_completed_next(it, 0, &got), WEFT_ESTATE);
  CHECK_STATUS(weft_as_completed_next(it, 1.0, &got), WEFT_ESTATE);
  /* The iterator holds references: the futures outlive ours. */
  for (int i = 0; i < N; i++)
    weft_future_unref(fs[i]);
  CHECK(weft_future_done(got));
  weft_as_completed_free(it);
  /* Empty: nothing to yield. */
  it = weft_as_completed_new(NULL, 0);
  CHECK(it != NULL);
  CHECK_STATUS(weft_as_completed_next(it, 1.0, &got), WEFT_ESTATE);
  weft_as_completed_free(it);
}

void test_future_as_completed_free_early(void) {
  /* Freed with futures still pending: they finish later without touching
   * it. */
  weft_future *fs[3] = {future_checked(), future_checked(), future_checked()};
  weft_as_completed *it = weft_as_completed_new(fs, 3);
  CHECK(it != NULL);
  CHECK_STATUS(weft_future_set_result(fs[0], NULL), WEFT_OK);
  weft_as_completed_free(it);
  CHECK_STATUS(weft_future_set_result(fs[1], NULL), WEFT_OK);
  CHECK_STATUS(weft_future_cancel(fs[2]), WEFT_OK);
  for (int i = 0; i < 3; i++)
    weft_future_unref(fs[i]);
}

void test_future_as_completed_pool(void) {
  weft_pool *p = weft_pool_new(4);
  CHECK(p != NULL);
  enum { N = 16 };
  weft_future *fs[N];
  for (uintptr_t i = 0; i < N; i++)
    CHECK_STATUS(weft_pool_submit(p, identity, (void *)i, &fs[i]), WEFT_OK);
  weft_as_completed *it = weft_as_completed_new(fs, N);
  CHECK(it != NULL);
  bool seen[N] = {false};
  weft_future *got;
  for (int i = 0; i < N; i++) {
    CHECK_STATUS(weft_as_completed_next(it, 30.0, &got), WEFT_OK);
    void *r;
    CHECK_STATUS(weft_future_result(got, 0, &r), WEFT_OK);
    CHECK((uintptr_t)r < N && !seen[(uintptr_t)r]);
    seen[(uintptr_t)r] = true;
  }
  CHECK_STATUS(weft_as_completed_next(it, 0, &got), WEFT_ESTATE);
  weft_as_completed_free(it);
  for (int i = 0; i < N; i++)
    weft_future_unref(fs[i]);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
}
