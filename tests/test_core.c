/* Process and clock calls, call_once and the allocator hook. */
#include "test.h"
#include "foreign.h"

#include <limits.h>
#include <math.h>

#ifndef TEST_EXPECTED_BACKEND
#error "the build passes TEST_EXPECTED_BACKEND (CMake: WEFT_EXPECTED_BACKEND)"
#endif
#ifndef TEST_EXPECTED_VERSION
#error "the build passes TEST_EXPECTED_VERSION (CMake: PROJECT_VERSION)"
#endif

/* ---- strerror, version, backend ---------------------------------------- */

void test_core_strerror(void) {
  const int last = WEFT_ENOTSUP;
  for (int i = WEFT_OK; i <= last; i++) {
    const char *m = weft_strerror(i);
    CHECK(m != NULL);
    CHECK(m[0] != '\0');
    for (int j = WEFT_OK; j < i; j++)
      CHECK(strcmp(m, weft_strerror(j)) != 0);
  }
  const int unknown[] = {-1, last + 1, 100, INT_MAX, INT_MIN};
  const char *u = weft_strerror(unknown[0]);
  CHECK(u != NULL);
  CHECK(strstr(u, "unknown") != NULL);
  for (size_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++) {
    CHECK_STR(weft_strerror(unknown[k]), u);
  }
  for (int i = WEFT_OK; i <= last; i++)
    CHECK(strcmp(weft_strerror(i), u) != 0);
}

void test_core_version(void) {
  const char *v = weft_version();
  unsigned major, minor, patch;
  char tail;
  CHECK(v != NULL);
  CHECK_EQ(sscanf(v, "%u.%u.%u%c", &major, &minor, &patch, &tail), 3);
  CHECK_STR(v, TEST_EXPECTED_VERSION);
}

/* The compile-time version (weft_version.h) is the library's. */
#if !WEFT_VERSION_AT_LEAST(0, 1, 0) || WEFT_VERSION_AT_LEAST(WEFT_VERSION_MAJOR + 1, 0, 0)
#error "WEFT_VERSION_AT_LEAST is wrong in #if"
#endif
void test_core_version_macros(void) {
  char numbers[64];
  snprintf(numbers, sizeof numbers, "%d.%d.%d", WEFT_VERSION_MAJOR, WEFT_VERSION_MINOR,
           WEFT_VERSION_PATCH);
  CHECK_STR(weft_version(), numbers);
  CHECK_STR(weft_version(), WEFT_VERSION_STRING);
  CHECK_STR(WEFT_VERSION_STRING, TEST_EXPECTED_VERSION);
  const int major = WEFT_VERSION_MAJOR, minor = WEFT_VERSION_MINOR, patch = WEFT_VERSION_PATCH;
  CHECK(WEFT_VERSION_AT_LEAST(major, minor, patch));
  CHECK(WEFT_VERSION_AT_LEAST(0, 0, 0));
  CHECK(!WEFT_VERSION_AT_LEAST(major, minor, patch + 1));
  CHECK(!WEFT_VERSION_AT_LEAST(major, minor + 1, 0));
  CHECK(!WEFT_VERSION_AT_LEAST(major + 1, 0, 0));
  if (patch > 0) CHECK(WEFT_VERSION_AT_LEAST(major, minor, patch - 1));
  if (minor > 0) CHECK(WEFT_VERSION_AT_LEAST(major, minor - 1, patch + 99));
  if (major > 0) CHECK(WEFT_VERSION_AT_LEAST(major - 1, minor + 99, patch + 99));
}

void test_core_backend(void) {
  const char *b = weft_backend();
  CHECK(b != NULL);
  CHECK(strcmp(b, "posix") == 0 || strcmp(b, "win32") == 0 || strcmp(b, "c11") == 0);
  CHECK_STR(b, TEST_EXPECTED_BACKEND);
}

/* ---- clock, sleep, yield ------------------------------------------------ */

void test_core_monotonic(void) {
  double prev = weft_monotonic();
  for (int i = 0; i < 100000; i++) {
    double now = weft_monotonic();
    CHECK(now >= prev);
    prev = now;
  }
  /* It advances, in seconds: a 50 ms sleep is at least 0.05 on it. */
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_sleep(0.05), WEFT_OK);
  CHECK_ELAPSED(t0, 0.05, TEST_SLOW);
}

void test_core_sleep(void) {
  const double waits[] = {0.1, 0.001, 0.02};
  for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
    double t0 = weft_monotonic();
    CHECK_STATUS(weft_sleep(waits[i]), WEFT_OK);
    CHECK_ELAPSED(t0, waits[i], TEST_SLOW);
  }
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_sleep(0), WEFT_OK);
  CHECK_STATUS(weft_sleep(-0.0), WEFT_OK);
  CHECK_ELAPSED(t0, 0, TEST_SLOW);
}

void test_core_sleep_invalid(void) {
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_sleep(NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_sleep(-0.5), WEFT_EINVAL);
  CHECK_STATUS(weft_sleep(-1e-9), WEFT_EINVAL);
  CHECK_STATUS(weft_sleep(WEFT_FOREVER), WEFT_EINVAL);
  CHECK_STATUS(weft_sleep(-INFINITY), WEFT_EINVAL);
  /* Rejected at once, not after sleeping. */
  CHECK_ELAPSED(t0, 0, 1.0);
}

void test_core_yield(void) {
  for (int i = 0; i < 1000; i++)
    weft_yield();
}

/* ---- idents ------------------------------------------------------------ */

typedef struct ids {
  uint64_t ident, ident2, native;
  test_flag ready, go;
} ids;

static void record_ids(void *arg) {
  ids *p = arg;
  p->ident = weft_get_ident();
  p->native = weft_get_native_id();
  p->ident2 = weft_get_ident();
  test_flag_set(&p->ready);
  test_flag_wait(&p->go); /* stay alive while main compares native ids */
}

void test_core_get_ident(void) {
  uint64_t me = weft_get_ident();
  CHECK(me != 0);
  CHECK_EQ(weft_get_ident(), me);
  ids a = {0}, b = {0};
  weft_thread *ta = test_spawn(record_ids, &a);
  weft_thread *tb = test_spawn(record_ids, &b);
  test_flag_wait(&a.ready);
  test_flag_wait(&b.ready);
  test_flag_set(&a.go);
  test_flag_set(&b.go);
  test_join(ta);
  test_join(tb);
  CHECK(a.ident != 0 && b.ident != 0);
  CHECK_EQ(a.ident, a.ident2);
  CHECK(a.ident != me && b.ident != me && a.ident != b.ident);
  CHECK_EQ(weft_get_ident(), me);
}

typedef struct foreign_ids {
  uint64_t ident, ident2;
} foreign_ids;

static void foreign_record(void *arg) {
  foreign_ids *p = arg;
  p->ident = weft_get_ident();
  p->ident2 = weft_get_ident();
}

void test_core_get_ident_foreign(void) {
  foreign_ids a = {0, 0}, b = {0, 0};
  test_foreign *fa = test_foreign_start(foreign_record, &a);
  test_foreign_join(fa);
  test_foreign *fb = test_foreign_start(foreign_record, &b);
  test_foreign_join(fb);
  CHECK(a.ident != 0);
  CHECK_EQ(a.ident, a.ident2);
  CHECK(b.ident != 0);
  /* Never reused, even after the first foreign thread is gone. */
  CHECK(a.ident != b.ident);
  CHECK(a.ident != weft_get_ident() && b.ident != weft_get_ident());
}

void test_core_native_id(void) {
  uint64_t me = weft_get_native_id();
  CHECK_EQ(weft_get_native_id(), me);
  if (!TEST_EXPECT_NATIVE_ID && me == 0)
    test_skip("this build of weft has no way to learn OS thread ids");
  CHECK(me != 0);
  ids a = {0}, b = {0};
  weft_thread *ta = test_spawn(record_ids, &a);
  weft_thread *tb = test_spawn(record_ids, &b);
  test_flag_wait(&a.ready);
  test_flag_wait(&b.ready);
  /* All three alive: three different OS ids. */
  CHECK(a.native != 0 && b.native != 0);
  CHECK(a.native != me && b.native != me && a.native != b.native);
  test_flag_set(&a.go);
  test_flag_set(&b.go);
  test_join(ta);
  test_join(tb);
}

void test_core_cpu_count(void) {
  unsigned n = weft_cpu_count();
  CHECK(n >= 1);
  CHECK(n < (1u << 20));
  CHECK_EQ(weft_cpu_count(), n);
}

/* ---- call_once ---------------------------------------------------------- */

enum { ONCE_THREADS = 8 };

static weft_once the_once = WEFT_ONCE_INIT;
static atomic_int once_runs, once_returned, once_callers;
static test_flag once_go;
static int once_marker;

static void once_body(void *arg) {
  CHECK(arg == &once_marker);
  atomic_fetch_add(&once_runs, 1);
  weft_sleep(0.05); /* long enough for every caller to arrive meanwhile */
  atomic_store(&once_returned, 1);
}

static void once_caller(void *arg) {
  (void)arg;
  atomic_fetch_add(&once_callers, 1);
  while (!test_flag_get(&once_go))
    weft_yield();
  CHECK_STATUS(weft_call_once(&the_once, once_body, &once_marker), WEFT_OK);
  /* Whoever returns, returns after the body has. */
  CHECK_EQ(atomic_load(&once_returned), 1);
  CHECK_EQ(atomic_load(&once_runs), 1);
}

void test_core_call_once(void) {
  weft_thread *t[ONCE_THREADS];
  for (int i = 0; i < ONCE_THREADS; i++)
    t[i] = test_spawn(once_caller, NULL);
  while (atomic_load(&once_callers) < ONCE_THREADS)
    weft_yield();
  test_flag_set(&once_go);
  for (int i = 0; i < ONCE_THREADS; i++)
    test_join(t[i]);
  CHECK_EQ(atomic_load(&once_runs), 1);
  /* Later calls return at once without running it. */
  CHECK_STATUS(weft_call_once(&the_once, once_body, &once_marker), WEFT_OK);
  CHECK_EQ(atomic_load(&once_runs), 1);
}

static void count_call(void *arg) {
  ++*(int *)arg;
}

static weft_once reentered_main = WEFT_ONCE_INIT, reentered_other = WEFT_ONCE_INIT;
static weft_once *reentered;
static int reentered_status = -1, reentered_runs;

static void call_again(void *arg) {
  (void)arg;
  reentered_runs++;
  /* It would wait for itself: refused, and nothing runs. */
  reentered_status = weft_call_once(reentered, call_again, NULL);
}

static void call_reentered(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_call_once(reentered, call_again, NULL), WEFT_OK);
}

void test_core_call_once_reentrant(void) {
  reentered = &reentered_main;
  CHECK_STATUS(weft_call_once(reentered, call_again, NULL), WEFT_OK);
  CHECK_STATUS(reentered_status, WEFT_EDEADLK);
  CHECK_EQ(reentered_runs, 1);
  CHECK_STATUS(weft_call_once(reentered, call_again, NULL), WEFT_OK);
  CHECK_EQ(reentered_runs, 1);
  /* First used from another thread: the owner is that one. */
  reentered = &reentered_other;
  reentered_status = -1;
  reentered_runs = 0;
  test_join(test_spawn(call_reentered, NULL));
  CHECK_STATUS(reentered_status, WEFT_EDEADLK);
  CHECK_EQ(reentered_runs, 1);
}

void test_core_call_once_basic(void) {
  weft_once a, b = WEFT_ONCE_INIT;
  memset(&a, 0, sizeof a); /* all-zero storage is a ready once */
  int na = 0, nb = 0;
  CHECK_STATUS(weft_call_once(&a, count_call, &na), WEFT_OK);
  CHECK_STATUS(weft_call_once(&a, count_call, &na), WEFT_OK);
  CHECK_STATUS(weft_call_once(&b, count_call, &nb), WEFT_OK);
  CHECK_EQ(na, 1);
  CHECK_EQ(nb, 1);
  CHECK_STATUS(weft_call_once(NULL, count_call, &na), WEFT_EINVAL);
  weft_once c = WEFT_ONCE_INIT;
  int nc = 0;
  CHECK_STATUS(weft_call_once(&c, NULL, &nc), WEFT_EINVAL);
  /* A rejected call does not spend the once. */
  CHECK_STATUS(weft_call_once(&c, count_call, &nc), WEFT_OK);
  CHECK_EQ(nc, 1);
}

/* ---- allocator hook -----------------------------------------------------
 * A counting allocator with a header that marks its own blocks: weft freeing
 * a block it did not get from us (or freeing twice) is caught at once. It
 * can fail the n-th allocation. These tests must make the process's first
 * weft call: weft_tests runs each test in its own process and calls nothing
 * before. */

#define HDR 16
static const uint32_t LIVE_MAGIC = 0x77656674u, DEAD_MAGIC = 0xdeadbeefu;
static atomic_long alloc_live, alloc_total, alloc_fail_at, alloc_failed;

static void check_block(unsigned char *base, const char *what) {
  uint32_t m;
  memcpy(&m, base, sizeof m);
  if (m != LIVE_MAGIC) {
    printf("%s: block %p was not allocated by the hook (or was freed twice)\n", what,
           (void *)(base + HDR));
    fflush(stdout);
    _Exit(1);
  }
}

static bool alloc_should_fail(void) {
  long k = atomic_fetch_add(&alloc_total, 1) + 1;
  long f = atomic_load(&alloc_fail_at);
  if (f != 0 && k == f) {
    atomic_fetch_add(&alloc_failed, 1);
    return true;
  }
  return false;
}

static void *hook_malloc(size_t n) {
  if (alloc_should_fail()) return NULL;
  unsigned char *p = malloc(n + HDR);
  if (!p) return NULL;
  memcpy(p, &LIVE_MAGIC, sizeof LIVE_MAGIC);
  atomic_fetch_add(&alloc_live, 1);
  return p + HDR;
}

static void *hook_realloc(void *q, size_t n) {
  if (!q) return hook_malloc(n);
  check_block((unsigned char *)q - HDR, "realloc");
  if (alloc_should_fail()) return NULL;
  unsigned char *p = realloc((unsigned char *)q - HDR, n + HDR);
  return p ? p + HDR : NULL;
}

static void hook_free(void *q) {
  if (!q) return;
  unsigned char *base = (unsigned char *)q - HDR;
  check_block(base, "free");
  memcpy(base, &DEAD_MAGIC, sizeof DEAD_MAGIC);
  free(base);
  atomic_fetch_sub(&alloc_live, 1);
}

/* Wait (up to 5 s) for the live count to come back to `want`: a thread's
 * record may be freed by the exiting thread just after join returned. */
static void check_live_settles(long want) {
  double t0 = weft_monotonic();
  while (atomic_load(&alloc_live) != want && weft_monotonic() - t0 < 5.0)
    weft_sleep(0.005);
  CHECK_EQ(atomic_load(&alloc_live), want);
}

static atomic_int alloc_ran;

static void alloc_target(void *arg) {
  (void)arg;
  atomic_fetch_add(&alloc_ran, 1);
}

static void alloc_foreign(void *arg) {
  /* NULL only when memory is short. */
  weft_thread *self = weft_thread_current();
  *(bool *)arg = self != NULL;
}

/* One thread's life with everything that allocates: new, rename, start,
 * join; a start_new_thread; a foreign thread's Dummy record. With a failing
 * allocator each step either succeeds or reports WEFT_ENOMEM (NULL). */
static void alloc_round(void) {
  int ran_before = atomic_load(&alloc_ran), expect = 0;
  weft_thread *t = weft_thread_new(alloc_target, NULL);
  if (!t) {
    CHECK(atomic_load(&alloc_failed) > 0);
  } else {
    int rc = weft_thread_set_name(t, "a renamed thread");
    if (rc != WEFT_OK) {
      CHECK_STATUS(rc, WEFT_ENOMEM);
      CHECK(atomic_load(&alloc_failed) > 0);
    }
    rc = weft_thread_start(t);
    if (rc == WEFT_OK) {
      CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
      expect++;
    } else {
      CHECK_STATUS(rc, WEFT_ENOMEM);
      CHECK(atomic_load(&alloc_failed) > 0);
      CHECK(!weft_thread_is_alive(t));
    }
    weft_thread_unref(t);
  }
  int rc = weft_start_new_thread(alloc_target, NULL);
  if (rc == WEFT_OK) {
    expect++;
  } else {
    CHECK_STATUS(rc, WEFT_ENOMEM);
    CHECK(atomic_load(&alloc_failed) > 0);
  }
  bool got_self = false;
  test_foreign *f = test_foreign_start(alloc_foreign, &got_self);
  test_foreign_join(f);
  if (!got_self) CHECK(atomic_load(&alloc_failed) > 0);
  /* The daemon from start_new_thread has no handle: wait for its run. */
  double t0 = weft_monotonic();
  while (atomic_load(&alloc_ran) < ran_before + expect && weft_monotonic() - t0 < 30.0)
    weft_sleep(0.001);
  CHECK_EQ(atomic_load(&alloc_ran), ran_before + expect);
}

/* Fail the 1st, 2nd, ... allocation of a round until a round passes with
 * no allocation failed, i.e. every allocation of the round has failed once. */
static void alloc_fail_each(void) {
  for (long n = 1;; n++) {
    CHECK(n < 10000);
    atomic_store(&alloc_failed, 0);
    atomic_store(&alloc_fail_at, atomic_load(&alloc_total) + n);
    alloc_round();
    atomic_store(&alloc_fail_at, 0);
    if (atomic_load(&alloc_failed) == 0) break;
  }
}

void test_core_allocator_count(void) {
  CHECK_STATUS(weft_set_allocator(hook_malloc, hook_realloc, hook_free), WEFT_OK);
  alloc_round();
  /* weft allocates through the hook... */
  CHECK(atomic_load(&alloc_total) > 0);
  /* ...so it is too late to change it now. */
  CHECK_STATUS(weft_set_allocator(hook_malloc, hook_realloc, hook_free), WEFT_ESTATE);
  CHECK_STATUS(weft_set_allocator(NULL, NULL, NULL), WEFT_ESTATE);
  /* Once weft's lazy state exists, rounds leak nothing. */
  weft_sleep(0.01);
  long live = atomic_load(&alloc_live);
  for (int i = 0; i < 20; i++)
    alloc_round();
  check_live_settles(live);
}

void test_core_allocator_fail(void) {
  CHECK_STATUS(weft_set_allocator(hook_malloc, hook_realloc, hook_free), WEFT_OK);
  /* First with weft's lazy state still to be made, then without. */
  alloc_fail_each();
  alloc_round();
  weft_sleep(0.01);
  long live = atomic_load(&alloc_live);
  alloc_fail_each();
  alloc_round();
  check_live_settles(live);
}

void test_core_allocator_late(void) {
  /* A thread record is surely an allocation: after it, the hook is too late
   * and weft keeps using the C library's functions. */
  weft_thread *t = weft_thread_new(alloc_target, NULL);
  CHECK(t != NULL);
  CHECK_STATUS(weft_set_allocator(hook_malloc, hook_realloc, hook_free), WEFT_ESTATE);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  test_join(t);
  test_join(test_spawn(alloc_target, NULL));
  CHECK_EQ(atomic_load(&alloc_total), 0);
}
