/* weft_thread: lifecycle, names, daemon flags, idents, references, the
 * registry (enumerate, active_count), foreign threads, stack sizes. */
#include "test.h"
#include "foreign.h"

#include <math.h>

/* A target that waits until told to finish, reporting what it saw. */
typedef struct gated {
  test_flag running, finish, done;
  weft_thread *self;
  uint64_t ident, native;
} gated;

static void gated_body(void *arg) {
  gated *g = arg;
  g->self = weft_thread_current();
  g->ident = weft_get_ident();
  g->native = weft_get_native_id();
  test_flag_set(&g->running);
  test_flag_wait(&g->finish);
  test_flag_set(&g->done);
}

static void nothing(void *arg) {
  (void)arg;
}

static void set_int(void *arg) {
  *(int *)arg = 42;
}

/* ---- lifecycle ------------------------------------------------------------ */

void test_thread_new_null(void) {
  int x = 0;
  CHECK(weft_thread_new(NULL, &x) == NULL);
  CHECK(weft_thread_new(NULL, NULL) == NULL);
  /* arg may be NULL. */
  weft_thread *t = weft_thread_new(nothing, NULL);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  test_join(t);
}

void test_thread_start_join(void) {
  int x = 0;
  weft_thread *t = weft_thread_new(set_int, &x);
  CHECK(t != NULL);
  CHECK_EQ(x, 0);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  CHECK_STATUS(weft_thread_join(t, WEFT_FOREVER), WEFT_OK);
  CHECK_EQ(x, 42);
  /* Joining a finished thread again is fine, with any timeout. */
  CHECK_STATUS(weft_thread_join(t, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_thread_join(t, 0), WEFT_OK);
  CHECK(!weft_thread_is_alive(t));
  weft_thread_unref(t);
}

void test_thread_join_timeout(void) {
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = test_spawn(gated_body, &g);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_thread_join(t, 0.1), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  t0 = weft_monotonic();
  CHECK_STATUS(weft_thread_join(t, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_thread_join(t, 0.001), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.001, TEST_SLOW);
  CHECK_STATUS(weft_thread_join(t, NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_join(t, -0.5), WEFT_EINVAL);
  CHECK(weft_thread_is_alive(t));
  test_flag_set(&g.finish);
  CHECK_STATUS(weft_thread_join(t, 1e10), WEFT_OK);
  CHECK(test_flag_get(&g.done));
  CHECK(!weft_thread_is_alive(t));
  weft_thread_unref(t);
}

void test_thread_start_twice(void) {
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = test_spawn(gated_body, &g);
  CHECK_STATUS(weft_thread_start(t), WEFT_ESTATE);
  test_flag_set(&g.finish);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_ESTATE);
  weft_thread_unref(t);
}

void test_thread_join_unstarted(void) {
  weft_thread *t = weft_thread_new(nothing, NULL);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_join(t, 0), WEFT_ESTATE);
  CHECK_STATUS(weft_thread_join(t, WEFT_FOREVER), WEFT_ESTATE);
  CHECK(!weft_thread_is_alive(t));
  /* Still startable after the failed joins. */
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  test_join(t);
  /* An unstarted thread can simply be dropped. */
  weft_thread_unref(weft_thread_new(nothing, NULL));
}

static void join_self(void *arg) {
  weft_thread *self = weft_thread_current();
  CHECK(self != NULL);
  *(int *)arg = weft_thread_join(self, WEFT_FOREVER);
}

void test_thread_join_self(void) {
  int rc = -1;
  test_join(test_spawn(join_self, &rc));
  CHECK_STATUS(rc, WEFT_EDEADLK);
  /* The main thread too, whatever the timeout: checked first. */
  CHECK_STATUS(weft_thread_join(weft_thread_main(), 0), WEFT_EDEADLK);
  CHECK_STATUS(weft_thread_join(weft_thread_main(), WEFT_FOREVER), WEFT_EDEADLK);
}

/* The main thread is alive until main returns (exit_child.c shows the
 * join returning then): joined from another thread, it times out. */
static void join_main(void *arg) {
  double t0 = weft_monotonic();
  *(int *)arg = weft_thread_join(weft_thread_main(), 0.05);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
}

typedef struct dummy_info {
  weft_thread *self; /* a reference taken by the foreign thread */
  uint64_t ident;
  int join_rc;
  test_flag running, finish;
} dummy_info;

static void foreign_body(void *arg) {
  dummy_info *d = arg;
  d->self = weft_thread_ref(weft_thread_current());
  d->ident = weft_get_ident();
  d->join_rc = weft_thread_join(weft_thread_main(), 0);
  test_flag_set(&d->running);
  test_flag_wait(&d->finish);
}

void test_thread_join_main_dummy(void) {
  int rc = -1;
  test_join(test_spawn(join_main, &rc));
  CHECK_STATUS(rc, WEFT_TIMEOUT);
  dummy_info d;
  memset(&d, 0, sizeof d);
  test_foreign *f = test_foreign_start(foreign_body, &d);
  test_flag_wait(&d.running);
  CHECK(d.self != NULL);
  CHECK_STATUS(weft_thread_join(d.self, 0), WEFT_ESTATE);
  CHECK_STATUS(weft_thread_join(d.self, 0.05), WEFT_ESTATE);
  CHECK_STATUS(d.join_rc, WEFT_TIMEOUT);
  test_flag_set(&d.finish);
  test_foreign_join(f);
  weft_thread_unref(d.self);
}

/* ---- daemon --------------------------------------------------------------- */

void test_thread_daemon_after_start(void) {
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = weft_thread_new(gated_body, &g);
  CHECK(t != NULL);
  CHECK(!weft_thread_daemon(t));
  CHECK_STATUS(weft_thread_set_daemon(t, true), WEFT_OK);
  CHECK(weft_thread_daemon(t));
  CHECK_STATUS(weft_thread_set_daemon(t, false), WEFT_OK);
  CHECK(!weft_thread_daemon(t));
  CHECK_STATUS(weft_thread_set_daemon(t, true), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  CHECK_STATUS(weft_thread_set_daemon(t, false), WEFT_ESTATE);
  CHECK_STATUS(weft_thread_set_daemon(t, true), WEFT_ESTATE);
  CHECK(weft_thread_daemon(t));
  test_flag_set(&g.finish);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK_STATUS(weft_thread_set_daemon(t, false), WEFT_ESTATE);
  CHECK(weft_thread_daemon(t));
  weft_thread_unref(t);
}

typedef struct inherit {
  bool self_daemon, child_daemon, grandchild_ran;
} inherit;

static void child_mark(void *arg) {
  ((inherit *)arg)->grandchild_ran = true;
}

static void make_child(void *arg) {
  inherit *in = arg;
  in->self_daemon = weft_thread_daemon(weft_thread_current());
  weft_thread *c = weft_thread_new(child_mark, in);
  CHECK(c != NULL);
  in->child_daemon = weft_thread_daemon(c);
  CHECK_STATUS(weft_thread_start(c), WEFT_OK);
  test_join(c);
}

void test_thread_daemon_inherit(void) {
  CHECK(!weft_thread_daemon(weft_thread_main()));
  weft_thread *t = weft_thread_new(nothing, NULL);
  CHECK(!weft_thread_daemon(t));
  weft_thread_unref(t);

  inherit in = {false, false, false};
  t = weft_thread_new(make_child, &in);
  CHECK_STATUS(weft_thread_set_daemon(t, true), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  test_join(t);
  CHECK(in.self_daemon);
  CHECK(in.child_daemon);
  CHECK(in.grandchild_ran);

  inherit in2 = {true, true, false};
  test_join(test_spawn(make_child, &in2));
  CHECK(!in2.self_daemon);
  CHECK(!in2.child_daemon);
  CHECK(in2.grandchild_ran);
}

static void foreign_make_child(void *arg) {
  make_child(arg);
}

void test_thread_daemon_inherit_dummy(void) {
  /* A Dummy thread is a daemon, so the threads it creates are too. */
  inherit in = {false, false, false};
  test_foreign_join(test_foreign_start(foreign_make_child, &in));
  CHECK(in.self_daemon);
  CHECK(in.child_daemon);
  CHECK(in.grandchild_ran);
}

/* ---- names ------------------------------------------------------------------ */

static unsigned thread_number(const char *name, const char *prefix) {
  size_t n = strlen(prefix);
  unsigned v = 0;
  char tail;
  CHECK(name != NULL);
  CHECK(strncmp(name, prefix, n) == 0);
  CHECK_EQ(sscanf(name + n, "%u%c", &v, &tail), 1);
  CHECK(v >= 1);
  return v;
}

void test_thread_default_names(void) {
  weft_thread *a = weft_thread_new(nothing, NULL);
  weft_thread *b = weft_thread_new(nothing, NULL);
  CHECK(a && b);
  unsigned na = thread_number(weft_thread_name(a), "Thread-");
  unsigned nb = thread_number(weft_thread_name(b), "Thread-");
  CHECK_EQ(nb, na + 1);
  weft_thread_unref(a);
  /* Numbers are not reused when a record goes away. */
  weft_thread *c = weft_thread_new(nothing, NULL);
  CHECK_EQ(thread_number(weft_thread_name(c), "Thread-"), nb + 1);
  weft_thread_unref(b);
  weft_thread_unref(c);
}

void test_thread_set_name(void) {
  weft_thread *t = weft_thread_new(nothing, NULL);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_set_name(t, "worker"), WEFT_OK);
  CHECK_STR(weft_thread_name(t), "worker");
  char buf[16];
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(weft_thread_get_name(t, buf, sizeof buf), 6);
  CHECK_STR(buf, "worker");
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(weft_thread_get_name(t, buf, 7), 6);
  CHECK_STR(buf, "worker");
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(weft_thread_get_name(t, buf, 6), 6);
  CHECK_STR(buf, "worke");
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(weft_thread_get_name(t, buf, 4), 6);
  CHECK_STR(buf, "wor");
  CHECK_EQ(buf[4], 'x'); /* nothing written past size */
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(weft_thread_get_name(t, buf, 1), 6);
  CHECK_EQ(buf[0], '\0');
  CHECK_EQ(buf[1], 'x');
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(weft_thread_get_name(t, buf, 0), 6);
  CHECK_EQ(buf[0], 'x');
  CHECK_EQ(weft_thread_get_name(t, NULL, 0), 6);
  /* Empty names are names; NULL is not. */
  CHECK_STATUS(weft_thread_set_name(t, ""), WEFT_OK);
  CHECK_STR(weft_thread_name(t), "");
  CHECK_EQ(weft_thread_get_name(t, buf, sizeof buf), 0);
  CHECK_STATUS(weft_thread_set_name(t, NULL), WEFT_EINVAL);
  CHECK_STR(weft_thread_name(t), "");
  /* Renaming works while it runs and after it ended. */
  CHECK_STATUS(weft_thread_set_name(t, "before"), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  CHECK_STATUS(weft_thread_set_name(t, "during"), WEFT_OK);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK_STR(weft_thread_name(t), "during");
  CHECK_STATUS(weft_thread_set_name(t, "after"), WEFT_OK);
  CHECK_STR(weft_thread_name(t), "after");
  weft_thread_unref(t);
}

/* 26 bytes of UTF-8: weft keeps it whole; the OS cuts it. */
static const char long_name[] =
    "\xce\xb1\xce\xb2\xce\xb3-w\xc3\xb6rker-\xe2\x82\xac-thread"; /* αβγ-wörker-€-thread */

void test_thread_utf8_name(void) {
  weft_thread *t = weft_thread_new(nothing, NULL);
  CHECK(t != NULL);
  CHECK(strlen(long_name) > 15);
  CHECK_STATUS(weft_thread_set_name(t, long_name), WEFT_OK);
  CHECK_STR(weft_thread_name(t), long_name);
  char buf[64];
  CHECK_EQ(weft_thread_get_name(t, buf, sizeof buf), strlen(long_name));
  CHECK_STR(buf, long_name);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK_STR(weft_thread_name(t), long_name);
  weft_thread_unref(t);
}

/* The longest prefix of s, at most limit bytes, ending on a UTF-8 character
 * boundary. */
static size_t utf8_cut(const char *s, size_t limit) {
  size_t n = strlen(s);
  if (n <= limit) return n;
  n = limit;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
    n--;
  return n;
}

static void check_os_name(weft_thread *t, const char *full) {
  char os[256];
  size_t limit = 0;
  if (!test_os_thread_name(weft_thread_native_id(t), os, sizeof os, &limit))
    test_skip("cannot read OS thread names here");
  size_t want = utf8_cut(full, limit);
  if (strlen(os) != want || strncmp(os, full, want) != 0)
    test_fail_(__FILE__, __LINE__, "OS name \"%s\" for \"%s\": expected its first %u bytes", os,
               full, (unsigned)want);
}

void test_thread_os_name(void) {
  /* Byte 15 of each falls inside a multi-byte character, except for the
   * short and the plain ASCII ones. */
  const char *names[] = {long_name, "abcdefghijklmn\xe2\x82\xac-tail", "abcdefghijklmnopqrstu",
                         "short",
                         "\xf0\x9f\xa7\xb5\xf0\x9f\xa7\xb5\xf0\x9f\xa7\xb5\xf0\x9f\xa7\xb5"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    gated g;
    memset(&g, 0, sizeof g);
    weft_thread *t = weft_thread_new(gated_body, &g);
    CHECK(t != NULL);
    CHECK_STATUS(weft_thread_set_name(t, names[i]), WEFT_OK);
    CHECK_STATUS(weft_thread_start(t), WEFT_OK);
    test_flag_wait(&g.running); /* its target runs: the name is set */
    check_os_name(t, names[i]);
    test_flag_set(&g.finish);
    test_join(t);
  }
  /* Default names reach the OS too. */
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = test_spawn(gated_body, &g);
  test_flag_wait(&g.running);
  check_os_name(t, weft_thread_name(t));
  test_flag_set(&g.finish);
  test_join(t);
}

/* ---- state, idents, references ---------------------------------------------- */

void test_thread_is_alive(void) {
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = weft_thread_new(gated_body, &g);
  CHECK(!weft_thread_is_alive(t));
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  CHECK(weft_thread_is_alive(t)); /* start returns once it runs */
  test_flag_wait(&g.running);
  CHECK(weft_thread_is_alive(t));
  CHECK(g.self == t);
  test_flag_set(&g.finish);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK(!weft_thread_is_alive(t));
  CHECK(!weft_thread_is_alive(NULL));
  weft_thread_unref(t);
}

void test_thread_ident(void) {
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = weft_thread_new(gated_body, &g);
  CHECK_EQ(weft_thread_ident(t), 0);
  CHECK_EQ(weft_thread_native_id(t), 0);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  /* Set by the time start returns. */
  uint64_t id = weft_thread_ident(t);
  CHECK(id != 0);
  CHECK(id != weft_get_ident());
  test_flag_wait(&g.running);
  CHECK_EQ(g.ident, id);
  CHECK_EQ(weft_thread_native_id(t), g.native);
  test_flag_set(&g.finish);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  /* Kept after the end, as Python's ident is. */
  CHECK_EQ(weft_thread_ident(t), id);
  weft_thread_unref(t);
  CHECK_EQ(weft_thread_ident(weft_thread_main()), weft_get_ident());
}

static void store_ident(void *arg) {
  *(uint64_t *)arg = weft_get_ident();
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

void test_thread_ident_unique(void) {
  enum { TOTAL = 1000, BATCH = 50 };
  static uint64_t ids[TOTAL + 1], seen[TOTAL];
  for (int base = 0; base < TOTAL; base += BATCH) {
    weft_thread *t[BATCH];
    for (int i = 0; i < BATCH; i++)
      t[i] = test_spawn(store_ident, &seen[base + i]);
    for (int i = 0; i < BATCH; i++) {
      ids[base + i] = weft_thread_ident(t[i]);
      test_join(t[i]);
      CHECK_EQ(seen[base + i], ids[base + i]);
      CHECK(ids[base + i] != 0);
    }
  }
  ids[TOTAL] = weft_get_ident();
  qsort(ids, TOTAL + 1, sizeof ids[0], cmp_u64);
  for (int i = 1; i <= TOTAL; i++)
    if (ids[i] == ids[i - 1])
      test_fail_(__FILE__, __LINE__, "ident %" PRIu64 " used twice", ids[i]);
}

void test_thread_native_id(void) {
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = test_spawn(gated_body, &g);
  uint64_t n = weft_thread_native_id(t);
  test_flag_wait(&g.running);
  CHECK_EQ(n, g.native);
  if (TEST_EXPECT_NATIVE_ID || n != 0) {
    CHECK(n != 0);
    CHECK(n != weft_get_native_id());
  }
  CHECK_EQ(weft_thread_native_id(weft_thread_main()), weft_get_native_id());
  test_flag_set(&g.finish);
  test_join(t);
}

void test_thread_ref_unref(void) {
  CHECK(weft_thread_ref(NULL) == NULL);
  weft_thread_unref(NULL);
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = weft_thread_new(gated_body, &g);
  CHECK(weft_thread_ref(t) == t);
  weft_thread_unref(t); /* back to one reference */
  CHECK_STATUS(weft_thread_set_name(t, "kept"), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  weft_thread *r = weft_thread_ref(t);
  CHECK(r == t);
  weft_thread_unref(t); /* r still holds it */
  test_flag_wait(&g.running);
  test_flag_set(&g.finish);
  CHECK_STATUS(weft_thread_join(r, 30.0), WEFT_OK);
  /* The record outlives the thread while referenced. */
  CHECK_STR(weft_thread_name(r), "kept");
  CHECK(!weft_thread_is_alive(r));
  CHECK(weft_thread_ident(r) != 0);
  weft_thread_unref(r);
}

void test_thread_unref_running(void) {
  /* Dropping the only reference to a running thread is safe: weft holds
   * its own while it runs, and the thread finishes its work. */
  enum { N = 20 };
  gated g[N];
  memset(g, 0, sizeof g);
  for (int i = 0; i < N; i++) {
    weft_thread *t = test_spawn(gated_body, &g[i]);
    weft_thread_unref(t);
  }
  for (int i = 0; i < N; i++) {
    test_flag_wait(&g[i].running);
    CHECK(g[i].self != NULL);
    thread_number(weft_thread_name(g[i].self), "Thread-"); /* weft's reference keeps it */
    test_flag_set(&g[i].finish);
  }
  for (int i = 0; i < N; i++)
    test_flag_wait(&g[i].done);
  /* And the unstarted case: one reference, dropped, nothing runs. */
  int x = 0;
  weft_thread_unref(weft_thread_new(set_int, &x));
  weft_sleep(0.01);
  CHECK_EQ(x, 0);
}

void test_thread_current(void) {
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = test_spawn(gated_body, &g);
  test_flag_wait(&g.running);
  CHECK(g.self == t);
  CHECK(weft_thread_current() != t);
  CHECK(weft_thread_current() == weft_thread_main());
  test_flag_set(&g.finish);
  test_join(t);
}

void test_thread_main(void) {
  weft_thread *m = weft_thread_main();
  CHECK(m != NULL);
  CHECK(weft_thread_main() == m);
  CHECK_STR(weft_thread_name(m), "MainThread");
  CHECK(weft_thread_is_alive(m));
  CHECK(!weft_thread_daemon(m));
  CHECK_EQ(weft_thread_ident(m), weft_get_ident());
  CHECK_STATUS(weft_thread_start(m), WEFT_ESTATE);
  CHECK_STATUS(weft_thread_set_daemon(m, true), WEFT_ESTATE);
  /* The main thread as seen from another thread. */
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = test_spawn(gated_body, &g);
  test_flag_wait(&g.running);
  CHECK(g.self != m);
  test_flag_set(&g.finish);
  test_join(t);
  /* A borrowed reference can be turned into an owned one. */
  weft_thread *r = weft_thread_ref(m);
  CHECK(r == m);
  weft_thread_unref(r);
  CHECK_STR(weft_thread_name(m), "MainThread");
}

/* ---- registry --------------------------------------------------------------- */

static bool listed(uint64_t ident) {
  weft_thread *all[256];
  size_t n = weft_enumerate(all, 256);
  CHECK(n <= 256);
  bool found = false;
  for (size_t i = 0; i < n; i++) {
    CHECK(all[i] != NULL);
    if (weft_thread_ident(all[i]) == ident) found = true;
    weft_thread_unref(all[i]);
  }
  return found;
}

void test_thread_enumerate(void) {
  enum { K = 5 };
  CHECK_EQ(weft_active_count(), 1);
  weft_thread *out[K + 4];
  CHECK_EQ(weft_enumerate(out, K + 4), 1);
  CHECK(out[0] == weft_thread_main());
  weft_thread_unref(out[0]);

  gated g[K];
  memset(g, 0, sizeof g);
  weft_thread *t[K];
  weft_thread *unstarted = weft_thread_new(nothing, NULL);
  for (int i = 0; i < K; i++)
    t[i] = test_spawn(gated_body, &g[i]);
  CHECK_EQ(weft_active_count(), K + 1); /* not the unstarted one */
  CHECK_EQ(weft_enumerate(NULL, 0), K + 1);
  memset(out, 0, sizeof out);
  CHECK_EQ(weft_enumerate(out, K + 4), K + 1);
  for (int i = 0; i < K + 1; i++) {
    CHECK(out[i] != NULL);
    CHECK(weft_thread_is_alive(out[i]));
    CHECK(out[i] != unstarted);
  }
  CHECK(out[K + 1] == NULL);
  for (int i = 0; i < K; i++) {
    bool found = false;
    for (int j = 0; j < K + 1; j++)
      found = found || out[j] == t[i];
    CHECK(found);
  }
  bool main_found = false;
  for (int j = 0; j < K + 1; j++)
    main_found = main_found || out[j] == weft_thread_main();
  CHECK(main_found);
  for (int j = 0; j < K + 1; j++)
    weft_thread_unref(out[j]);
  /* A cap smaller than the total: cap references, the total returned. */
  memset(out, 0, sizeof out);
  CHECK_EQ(weft_enumerate(out, 2), K + 1);
  CHECK(out[0] != NULL && out[1] != NULL && out[2] == NULL);
  CHECK(out[0] != out[1]);
  weft_thread_unref(out[0]);
  weft_thread_unref(out[1]);

  for (int i = 0; i < K; i++) {
    test_flag_set(&g[i].finish);
    CHECK_STATUS(weft_thread_join(t[i], 30.0), WEFT_OK);
    /* A joined thread is no longer counted. */
    CHECK_EQ(weft_active_count(), K - i);
    CHECK(!listed(weft_thread_ident(t[i])));
    weft_thread_unref(t[i]);
  }
  CHECK_EQ(weft_active_count(), 1);
  weft_thread_unref(unstarted);
}

typedef struct newthread {
  weft_thread *self;
  bool daemon;
  test_flag running, finish;
} newthread;

static void new_thread_body(void *arg) {
  newthread *n = arg;
  n->self = weft_thread_ref(weft_thread_current());
  n->daemon = weft_thread_daemon(n->self);
  test_flag_set(&n->running);
  test_flag_wait(&n->finish);
}

void test_thread_start_new_thread(void) {
  CHECK_STATUS(weft_start_new_thread(NULL, NULL), WEFT_EINVAL);
  newthread n;
  memset(&n, 0, sizeof n);
  size_t before = weft_active_count();
  CHECK_STATUS(weft_start_new_thread(new_thread_body, &n), WEFT_OK);
  test_flag_wait(&n.running);
  CHECK(n.self != NULL);
  CHECK(n.daemon);
  thread_number(weft_thread_name(n.self), "Thread-");
  CHECK(weft_thread_ident(n.self) != 0);
  CHECK(listed(weft_thread_ident(n.self)));
  CHECK_EQ(weft_active_count(), before + 1);
  test_flag_set(&n.finish);
  CHECK_STATUS(weft_thread_join(n.self, 30.0), WEFT_OK);
  CHECK_EQ(weft_active_count(), before);
  weft_thread_unref(n.self);
}

/* ---- foreign threads -------------------------------------------------------- */

typedef struct foreign_seen {
  weft_thread *self, *self_again;
  char name[32];
  bool daemon, alive;
  uint64_t ident, ident_of_self;
  bool listed_inside;
  test_flag running, finish;
} foreign_seen;

static void foreign_look(void *arg) {
  foreign_seen *s = arg;
  s->self = weft_thread_ref(weft_thread_current());
  s->self_again = weft_thread_current();
  weft_thread_get_name(s->self, s->name, sizeof s->name);
  s->daemon = weft_thread_daemon(s->self);
  s->alive = weft_thread_is_alive(s->self);
  s->ident = weft_get_ident();
  s->ident_of_self = weft_thread_ident(s->self);
  s->listed_inside = listed(s->ident);
  test_flag_set(&s->running);
  test_flag_wait(&s->finish);
}

/* A foreign thread's record leaves the registry when its OS thread ends;
 * the OS join returns after that, but allow a moment for backends whose
 * exit hook runs a little later. */
static void wait_unlisted(uint64_t ident) {
  double t0 = weft_monotonic();
  while (listed(ident) && weft_monotonic() - t0 < 5.0)
    weft_sleep(0.005);
  CHECK(!listed(ident));
}

void test_thread_foreign(void) {
  foreign_seen a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  size_t before = weft_active_count();
  test_foreign *fa = test_foreign_start(foreign_look, &a);
  test_flag_wait(&a.running);
  test_foreign *fb = test_foreign_start(foreign_look, &b);
  test_flag_wait(&b.running);

  CHECK(a.self != NULL && b.self != NULL && a.self != b.self);
  CHECK(a.self_again == a.self);
  unsigned na = thread_number(a.name, "Dummy-");
  unsigned nb = thread_number(b.name, "Dummy-");
  CHECK(nb > na);
  CHECK(a.daemon && b.daemon);
  CHECK(a.alive && b.alive);
  CHECK(a.ident != 0 && a.ident == a.ident_of_self);
  CHECK(b.ident != 0 && b.ident != a.ident);
  CHECK(a.listed_inside && b.listed_inside);
  CHECK(listed(a.ident) && listed(b.ident));
  CHECK_EQ(weft_active_count(), before + 2);
  CHECK(weft_thread_is_alive(a.self));

  test_flag_set(&a.finish);
  test_foreign_join(fa);
  wait_unlisted(a.ident);
  CHECK(listed(b.ident));
  CHECK_EQ(weft_active_count(), before + 1);
  /* Our reference keeps the record readable. */
  CHECK(!weft_thread_is_alive(a.self));
  CHECK_STR(weft_thread_name(a.self), a.name);
  CHECK_EQ(weft_thread_ident(a.self), a.ident);
  weft_thread_unref(a.self);

  test_flag_set(&b.finish);
  test_foreign_join(fb);
  wait_unlisted(b.ident);
  CHECK_EQ(weft_active_count(), before);
  weft_thread_unref(b.self);
}

static void foreign_plain(void *arg) {
  /* No reference kept: the record is the registry's alone. */
  weft_thread *self = weft_thread_current();
  CHECK(self != NULL);
  *(uint64_t *)arg = weft_get_ident();
}

void test_thread_foreign_many(void) {
  enum { N = 50 };
  uint64_t ids[N];
  for (int i = 0; i < N; i++) {
    test_foreign_join(test_foreign_start(foreign_plain, &ids[i]));
    CHECK(ids[i] != 0);
    for (int j = 0; j < i; j++)
      CHECK(ids[j] != ids[i]);
  }
  double t0 = weft_monotonic();
  while (weft_active_count() != 1 && weft_monotonic() - t0 < 5.0)
    weft_sleep(0.005);
  CHECK_EQ(weft_active_count(), 1);
}

/* ---- stack size ------------------------------------------------------------- */

static void big_frame(void *arg) {
  volatile unsigned char buf[256 * 1024];
  for (size_t i = 0; i < sizeof buf; i += 64)
    buf[i] = (unsigned char)i;
  unsigned sum = 0;
  for (size_t i = 0; i < sizeof buf; i += 64)
    sum += buf[i];
  *(unsigned *)arg = sum + 1;
}

/* c11 has no way to choose a stack size; every other backend must. */
static void skip_unless_stack_size(int rc) {
  if (rc == WEFT_EINVAL && strcmp(weft_backend(), "c11") == 0)
    test_skip("the c11 backend cannot set a thread's stack size (thrd_create has no attribute)");
  CHECK_STATUS(rc, WEFT_OK);
}

void test_thread_stack_size(void) {
  CHECK_STATUS(weft_thread_set_stack_size(NULL, 0), WEFT_EINVAL);
  unsigned sum = 0;
  weft_thread *t = weft_thread_new(big_frame, &sum);
  skip_unless_stack_size(weft_thread_set_stack_size(t, 1024 * 1024));
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  CHECK_STATUS(weft_thread_set_stack_size(t, 0), WEFT_ESTATE);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK(sum != 0);
  CHECK_STATUS(weft_thread_set_stack_size(t, 0), WEFT_ESTATE);
  weft_thread_unref(t);
  /* Tiny requests are raised to the OS minimum, not refused. */
  int x = 0;
  t = weft_thread_new(set_int, &x);
  CHECK_STATUS(weft_thread_set_stack_size(t, 1), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  test_join(t);
  CHECK_EQ(x, 42);
}

void test_thread_stack_size_absurd(void) {
  int x = 0;
  weft_thread *t = weft_thread_new(set_int, &x);
  skip_unless_stack_size(weft_thread_set_stack_size(t, (size_t)1 << 62));
  size_t before = weft_active_count();
  CHECK_STATUS(weft_thread_start(t), WEFT_EAGAIN);
  CHECK(!weft_thread_is_alive(t));
  CHECK_EQ(weft_active_count(), before);
  CHECK(!listed(weft_thread_ident(t)) || weft_thread_ident(t) == 0);
  CHECK_STATUS(weft_thread_join(t, 0), WEFT_ESTATE);
  CHECK_EQ(x, 0);
  /* Still unstarted: it can be fixed and started. */
  CHECK_STATUS(weft_thread_set_stack_size(t, 0), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK_EQ(x, 42);
  CHECK_EQ(weft_active_count(), before);
  weft_thread_unref(t);
}

/* A start the OS refuses goes back to NEW and wakes a join that saw it
 * starting. The joiner polls with join(t, 0) until it catches the start
 * under way (WEFT_TIMEOUT), then joins with a long timeout: it must get
 * WEFT_ESTATE at once, not sleep to its deadline. */
typedef struct failing_start {
  weft_thread *t;
  atomic_int stop, caught;
  _Atomic double worst;
} failing_start;

static void join_failing(void *arg) {
  failing_start *f = arg;
  while (!atomic_load(&f->stop)) {
    if (weft_thread_join(f->t, 0) != WEFT_TIMEOUT) continue;
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_thread_join(f->t, 10.0), WEFT_ESTATE);
    double took = weft_monotonic() - t0;
    if (took > atomic_load(&f->worst)) atomic_store(&f->worst, took);
    atomic_fetch_add(&f->caught, 1);
  }
}

void test_thread_start_fail_wakes_join(void) {
  failing_start f = {weft_thread_new(set_int, NULL), 0, 0, 0};
  CHECK(f.t != NULL);
  skip_unless_stack_size(weft_thread_set_stack_size(f.t, (size_t)1 << 62));
  weft_thread *joiner = test_spawn(join_failing, &f);
  double t0 = weft_monotonic();
  while (atomic_load(&f.caught) < 20 && weft_monotonic() - t0 < 20.0)
    CHECK_STATUS(weft_thread_start(f.t), WEFT_EAGAIN);
  atomic_store(&f.stop, 1);
  test_join(joiner);
  if (atomic_load(&f.caught) == 0)
    test_fail_(__FILE__, __LINE__, "in 20 s the joiner never caught the start under way");
  if (atomic_load(&f.worst) > 1.0)
    test_fail_(__FILE__, __LINE__, "a join of a failed start took %.3f s", atomic_load(&f.worst));
  weft_thread_unref(f.t);
}

/* ---- NULL handles ----------------------------------------------------------- */

void test_thread_null(void) {
  char buf[8] = "xxxxxxx";
  CHECK_STATUS(weft_thread_set_name(NULL, "x"), WEFT_EINVAL);
  CHECK(weft_thread_name(NULL) == NULL);
  CHECK_EQ(weft_thread_get_name(NULL, buf, sizeof buf), 0);
  CHECK(buf[0] == '\0' || buf[0] == 'x');
  CHECK_STATUS(weft_thread_set_daemon(NULL, true), WEFT_EINVAL);
  CHECK(!weft_thread_daemon(NULL));
  CHECK_STATUS(weft_thread_set_stack_size(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_start(NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_join(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_join(NULL, WEFT_FOREVER), WEFT_EINVAL);
  CHECK(!weft_thread_is_alive(NULL));
  CHECK_EQ(weft_thread_ident(NULL), 0);
  CHECK_EQ(weft_thread_native_id(NULL), 0);
  CHECK(weft_thread_ref(NULL) == NULL);
  weft_thread_unref(NULL);
  CHECK_STATUS(weft_start_new_thread(NULL, NULL), WEFT_EINVAL);
  CHECK(weft_enumerate(NULL, 0) >= 1);
}

/* Several threads join the same thread at once: all see it end. */
typedef struct joiner {
  weft_thread *target;
  int rc;
} joiner;

static void join_other(void *arg) {
  joiner *j = arg;
  j->rc = weft_thread_join(j->target, 30.0);
}

void test_thread_join_many(void) {
  enum { N = 4 };
  gated g;
  memset(&g, 0, sizeof g);
  weft_thread *t = test_spawn(gated_body, &g);
  joiner j[N];
  weft_thread *jt[N];
  for (int i = 0; i < N; i++) {
    j[i].target = t;
    j[i].rc = -1;
    jt[i] = test_spawn(join_other, &j[i]);
  }
  weft_sleep(0.05);
  test_flag_set(&g.finish);
  for (int i = 0; i < N; i++) {
    test_join(jt[i]);
    CHECK_STATUS(j[i].rc, WEFT_OK);
  }
  CHECK(!weft_thread_is_alive(t));
  test_join(t);
}
