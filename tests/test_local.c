/* weft_local: per-thread values, isolation, destructors (thread exit,
 * replacement, free), foreign threads, many locals, reused slots,
 * destructors that set values again. (The main thread's values at process
 * exit: timer_exit_child.c, mode local_main.) */
#include "test.h"
#include "foreign.h"

/* Each value is one counter: its destructor calls. */
static atomic_int dtor_total;

static void count_dtor(void *value) {
  atomic_fetch_add((atomic_int *)value, 1);
  atomic_fetch_add(&dtor_total, 1);
}

static weft_local *local_new_checked(void (*dtor)(void *)) {
  weft_local *l = weft_local_new(dtor);
  CHECK(l != NULL);
  return l;
}

typedef struct crowd {
  weft_local *l;
  atomic_int *values; /* one per thread */
  atomic_int ready;
  atomic_int bad;
  test_flag go;
  bool freed; /* the local is gone by the time of go */
} crowd;

typedef struct member {
  crowd *c;
  int index;
} member;

/* Set, check, tell the others, wait for go, check again, exit. */
static void member_body(void *arg) {
  member *m = arg;
  crowd *c = m->c;
  void *mine = &c->values[m->index];
  if (weft_local_get(c->l) != NULL) atomic_store(&c->bad, 1);
  CHECK_STATUS(weft_local_set(c->l, mine), WEFT_OK);
  if (weft_local_get(c->l) != mine) atomic_store(&c->bad, 1);
  atomic_fetch_add(&c->ready, 1);
  test_flag_wait(&c->go);
  if (!c->freed && weft_local_get(c->l) != mine) atomic_store(&c->bad, 1);
}

static void wait_ready(atomic_int *ready, int n) {
  double t0 = weft_monotonic();
  while (atomic_load(ready) < n) {
    if (weft_monotonic() - t0 > 30.0) test_fail_(__FILE__, __LINE__, "threads not ready");
    weft_sleep(0.001);
  }
}

/* n weft threads hold values at once, then exit. */
static void run_crowd(int n) {
  crowd c;
  memset(&c, 0, sizeof c);
  c.values = calloc((size_t)n, sizeof *c.values);
  member *m = calloc((size_t)n, sizeof *m);
  weft_thread **t = calloc((size_t)n, sizeof *t);
  CHECK(c.values && m && t);
  c.l = local_new_checked(count_dtor);
  atomic_store(&dtor_total, 0);
  for (int i = 0; i < n; i++) {
    m[i].c = &c;
    m[i].index = i;
    t[i] = test_spawn(member_body, &m[i]);
  }
  wait_ready(&c.ready, n);
  CHECK(weft_local_get(c.l) == NULL); /* main never set it */
  CHECK_EQ(atomic_load(&dtor_total), 0);
  test_flag_set(&c.go);
  for (int i = 0; i < n; i++)
    test_join(t[i]);
  /* Joined threads have ended, and their values with them: once each. */
  CHECK_EQ(atomic_load(&c.bad), 0);
  for (int i = 0; i < n; i++)
    if (atomic_load(&c.values[i]) != 1)
      test_fail_(__FILE__, __LINE__, "%d threads: value %d destroyed %d times", n, i,
                 atomic_load(&c.values[i]));
  CHECK_EQ(atomic_load(&dtor_total), n);
  weft_local_free(c.l); /* nothing left to destroy */
  CHECK_EQ(atomic_load(&dtor_total), n);
  free(t);
  free(m);
  free(c.values);
}

void test_local_get_unset(void) {
  weft_local *l = local_new_checked(NULL);
  CHECK(weft_local_get(l) == NULL);
  CHECK_STATUS(weft_local_set(l, NULL), WEFT_OK); /* nothing to replace */
  CHECK(weft_local_get(l) == NULL);
  int x;
  CHECK_STATUS(weft_local_set(l, &x), WEFT_OK);
  CHECK(weft_local_get(l) == &x);
  /* Another local is still unset. */
  weft_local *l2 = local_new_checked(NULL);
  CHECK(weft_local_get(l2) == NULL);
  weft_local_free(l2);
  CHECK(weft_local_get(l) == &x);
  weft_local_free(l);
}

void test_local_isolation(void) {
  run_crowd(10);
}

void test_local_dtor_threads(void) {
  static const int sizes[] = {20, 50, 100};
  for (int i = 0; i < 3; i++)
    run_crowd(sizes[i]);
}

void test_local_replace(void) {
  atomic_int a = 0, b = 0;
  atomic_store(&dtor_total, 0);
  weft_local *l = local_new_checked(count_dtor);
  CHECK_STATUS(weft_local_set(l, &a), WEFT_OK);
  CHECK_EQ(atomic_load(&dtor_total), 0);
  CHECK_STATUS(weft_local_set(l, &a), WEFT_OK); /* same value: no destructor */
  CHECK_EQ(atomic_load(&a), 0);
  CHECK_STATUS(weft_local_set(l, &b), WEFT_OK);
  CHECK_EQ(atomic_load(&a), 1);
  CHECK_EQ(atomic_load(&b), 0);
  CHECK(weft_local_get(l) == &b);
  CHECK_STATUS(weft_local_set(l, &b), WEFT_OK);
  CHECK_EQ(atomic_load(&b), 0);
  CHECK_STATUS(weft_local_set(l, NULL), WEFT_OK); /* set(NULL) destroys too */
  CHECK_EQ(atomic_load(&b), 1);
  CHECK(weft_local_get(l) == NULL);
  CHECK_STATUS(weft_local_set(l, NULL), WEFT_OK);
  CHECK_EQ(atomic_load(&dtor_total), 2);
  /* A value set again after being destroyed is a new value. */
  CHECK_STATUS(weft_local_set(l, &a), WEFT_OK);
  weft_local_free(l); /* destroys it */
  CHECK_EQ(atomic_load(&a), 2);
  CHECK_EQ(atomic_load(&dtor_total), 3);

  /* Without a destructor, replacing and freeing are fine. */
  l = local_new_checked(NULL);
  CHECK_STATUS(weft_local_set(l, &a), WEFT_OK);
  CHECK_STATUS(weft_local_set(l, &b), WEFT_OK);
  CHECK(weft_local_get(l) == &b);
  weft_local_free(l);
  CHECK_EQ(atomic_load(&dtor_total), 3);
}

typedef struct foreign_job {
  weft_local *l;
  atomic_int value;
  atomic_int bad;
} foreign_job;

static void foreign_body(void *arg) {
  foreign_job *j = arg;
  if (weft_local_get(j->l) != NULL) atomic_store(&j->bad, 1);
  CHECK_STATUS(weft_local_set(j->l, &j->value), WEFT_OK);
  if (weft_local_get(j->l) != &j->value) atomic_store(&j->bad, 1);
}

void test_local_foreign(void) {
  /* Threads weft did not create: their values are destroyed when they
   * end, by the time a native join returns. */
  enum { N = 8 };
  static foreign_job j[N];
  weft_local *l = local_new_checked(count_dtor);
  atomic_store(&dtor_total, 0);
  for (int round = 0; round < 3; round++) {
    test_foreign *f[N];
    for (int i = 0; i < N; i++) {
      j[i].l = l;
      atomic_store(&j[i].value, 0);
      f[i] = test_foreign_start(foreign_body, &j[i]);
    }
    for (int i = 0; i < N; i++) {
      test_foreign_join(f[i]);
      CHECK_EQ(atomic_load(&j[i].bad), 0);
      CHECK_EQ(atomic_load(&j[i].value), 1);
    }
  }
  CHECK_EQ(atomic_load(&dtor_total), 3 * N);
  weft_local_free(l);
  CHECK_EQ(atomic_load(&dtor_total), 3 * N);
}

typedef struct many_job {
  weft_local **l;
  long n;
  atomic_int bad;
} many_job;

static void many_check_unset(void *arg) {
  many_job *j = arg;
  for (long i = 0; i < j->n; i++)
    if (weft_local_get(j->l[i]) != NULL) atomic_store(&j->bad, 1);
}

void test_local_many(void) {
  /* Far more than native keys allow (128 FLS slots, 1024 pthread keys). */
  long n = test_scaled(100000);
  weft_local **l = malloc((size_t)n * sizeof *l);
  atomic_int *v = calloc((size_t)n, sizeof *v);
  CHECK(l && v);
  atomic_store(&dtor_total, 0);
  for (long i = 0; i < n; i++)
    l[i] = local_new_checked(count_dtor);
  for (long i = 0; i < n; i++)
    CHECK_STATUS(weft_local_set(l[i], &v[i]), WEFT_OK);
  for (long i = 0; i < n; i++)
    if (weft_local_get(l[i]) != &v[i]) test_fail_(__FILE__, __LINE__, "local %ld lost", i);
  /* Another thread sees none of them. */
  many_job j = {l, n, 0};
  test_join(test_spawn(many_check_unset, &j));
  CHECK_EQ(atomic_load(&j.bad), 0);
  CHECK_EQ(atomic_load(&dtor_total), 0);
  for (long i = 0; i < n; i++)
    weft_local_free(l[i]);
  CHECK_EQ(atomic_load(&dtor_total), n);
  for (long i = 0; i < n; i++)
    if (atomic_load(&v[i]) != 1)
      test_fail_(__FILE__, __LINE__, "value %ld: %d", i, atomic_load(&v[i]));
  free(v);
  free(l);
}

void test_local_free_live(void) {
  /* free runs the destructor on every thread's value, while the threads
   * still live; when they end afterwards, nothing more runs. */
  enum { N = 8 };
  crowd c;
  memset(&c, 0, sizeof c);
  atomic_int values[N + 1];
  for (int i = 0; i <= N; i++)
    atomic_init(&values[i], 0);
  c.values = values;
  member m[N];
  weft_thread *t[N];
  c.l = local_new_checked(count_dtor);
  atomic_store(&dtor_total, 0);
  for (int i = 0; i < N; i++) {
    m[i].c = &c;
    m[i].index = i;
    t[i] = test_spawn(member_body, &m[i]);
  }
  CHECK_STATUS(weft_local_set(c.l, &values[N]), WEFT_OK); /* main's */
  wait_ready(&c.ready, N);
  CHECK_EQ(atomic_load(&dtor_total), 0);
  c.freed = true; /* the members no longer look at it */
  weft_local_free(c.l);
  CHECK_EQ(atomic_load(&dtor_total), N + 1);
  for (int i = 0; i <= N; i++)
    CHECK_EQ(atomic_load(&values[i]), 1);
  test_flag_set(&c.go);
  for (int i = 0; i < N; i++)
    test_join(t[i]);
  CHECK_EQ(atomic_load(&dtor_total), N + 1);
  for (int i = 0; i <= N; i++)
    CHECK_EQ(atomic_load(&values[i]), 1);
  CHECK_EQ(atomic_load(&c.bad), 0);
}

/* A long-lived thread that, on command, checks that the current local is
 * unset, then sets it. */
typedef struct reuser {
  _Atomic(weft_local *) cur;
  atomic_int cmd, ack, bad;
  atomic_int value;
} reuser;

static void reuser_body(void *arg) {
  reuser *r = arg;
  int done = 0;
  for (;;) {
    int c;
    double t0 = weft_monotonic();
    while ((c = atomic_load(&r->cmd)) == done) {
      if (weft_monotonic() - t0 > 30.0) test_fail_(__FILE__, __LINE__, "no command");
      weft_yield();
    }
    if (c < 0) return;
    weft_local *l = atomic_load(&r->cur);
    if (weft_local_get(l) != NULL) atomic_fetch_add(&r->bad, 1);
    CHECK_STATUS(weft_local_set(l, &r->value), WEFT_OK);
    done = c;
    atomic_store(&r->ack, c);
  }
}

void test_local_reuse(void) {
  /* A local made after another was freed (likely at its index, maybe at
   * its address) never sees the old values, in any thread. */
  reuser r;
  memset(&r, 0, sizeof r);
  atomic_int mine = 0;
  weft_thread *t = test_spawn(reuser_body, &r);
  long rounds = test_scaled(500);
  atomic_store(&dtor_total, 0);
  for (int i = 1; i <= rounds; i++) {
    /* Every other round without a destructor: the values stay put. */
    weft_local *l = local_new_checked(i % 2 ? count_dtor : NULL);
    CHECK(weft_local_get(l) == NULL);
    CHECK_STATUS(weft_local_set(l, &mine), WEFT_OK);
    atomic_store(&r.cur, l);
    atomic_store(&r.cmd, i);
    double t0 = weft_monotonic();
    while (atomic_load(&r.ack) != i) {
      if (weft_monotonic() - t0 > 30.0) test_fail_(__FILE__, __LINE__, "no answer");
      weft_yield();
    }
    CHECK_EQ(atomic_load(&r.bad), 0);
    weft_local_free(l);
  }
  atomic_store(&r.cmd, -1);
  test_join(t);
  CHECK_EQ(atomic_load(&r.bad), 0);
  /* Destructors ran on free for the rounds that had one, two values each. */
  CHECK_EQ(atomic_load(&dtor_total), 2 * ((rounds + 1) / 2));
}

/* Destructors that set values again at thread exit. */
static weft_local *again, *later, *other;
static atomic_int again_calls, later_calls, other_calls;
static int again_value, other_value;

static void again_dtor(void *value) {
  (void)value;
  atomic_fetch_add(&again_calls, 1);
  weft_local_set(again, &again_value); /* forever, if let */
}

static void later_dtor(void *value) {
  (void)value;
  atomic_fetch_add(&later_calls, 1);
  weft_local_set(other, &other_value); /* once */
}

static void other_dtor(void *value) {
  (void)value;
  atomic_fetch_add(&other_calls, 1);
}

static void set_again(void *arg) {
  (void)arg;
  static int x, y;
  CHECK_STATUS(weft_local_set(again, &x), WEFT_OK);
  CHECK_STATUS(weft_local_set(later, &y), WEFT_OK);
}

void test_local_dtor_resets(void) {
  /* At most 4 passes (as POSIX keys): the endless one stops, no hang; a
   * value set once by another destructor is destroyed on a later pass. */
  other = local_new_checked(other_dtor); /* before `later`: a later pass */
  again = local_new_checked(again_dtor);
  later = local_new_checked(later_dtor);
  test_join(test_spawn(set_again, NULL));
  int n = atomic_load(&again_calls);
  if (n < 1 || n > 4) test_fail_(__FILE__, __LINE__, "destructor ran %d times, expected 1..4", n);
  CHECK_EQ(atomic_load(&later_calls), 1);
  CHECK_EQ(atomic_load(&other_calls), 1);
  /* The same on a foreign thread. */
  atomic_store(&again_calls, 0);
  atomic_store(&later_calls, 0);
  atomic_store(&other_calls, 0);
  test_foreign_join(test_foreign_start(set_again, NULL));
  n = atomic_load(&again_calls);
  if (n < 1 || n > 4) test_fail_(__FILE__, __LINE__, "destructor ran %d times, expected 1..4", n);
  CHECK_EQ(atomic_load(&later_calls), 1);
  CHECK_EQ(atomic_load(&other_calls), 1);
  weft_local_free(other);
  weft_local_free(later);
  weft_local_free(again); /* no thread holds a value of it any more */
  CHECK_EQ(atomic_load(&again_calls), n);
}

void test_local_invalid(void) {
  int x;
  CHECK(weft_local_get(NULL) == NULL);
  CHECK_STATUS(weft_local_set(NULL, &x), WEFT_EINVAL);
  CHECK_STATUS(weft_local_set(NULL, NULL), WEFT_EINVAL);
  weft_local_free(NULL);
}
