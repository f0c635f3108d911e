/* A program written against C11 threads, built on weft with only
 * <weft/threads.h>, on every backend (also where the C library has no
 * <threads.h>). One mode per CTest entry: c11_program <mode>. The one weft
 * call it makes is weft_monotonic, as the stick that waits are measured
 * with (C11's only clock, TIME_UTC, may step and is coarse on some
 * systems). Exit 0 on success; a failed check prints FAIL and exits 1. */
#include <weft/threads.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                       \
      fflush(stdout);                                                                              \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

/* A TIME_UTC deadline `seconds` from now. */
static struct timespec deadline_in(double seconds) {
  struct timespec ts;
  CHECK(timespec_get(&ts, TIME_UTC) == TIME_UTC);
  long long ns = (long long)ts.tv_nsec + (long long)(seconds * 1e9);
  long long sec = ns / 1000000000, rest = ns % 1000000000;
  if (rest < 0) {
    rest += 1000000000;
    sec--;
  }
  ts.tv_sec += (time_t)sec;
  ts.tv_nsec = (long)rest;
  return ts;
}

static void check_elapsed(double t0, double lo, double hi) {
  double e = weft_monotonic() - t0;
  if (e < lo - 1e-6 || e > hi) {
    printf("FAIL: elapsed %.6f s, expected %.3f..%.3f\n", e, lo, hi);
    exit(1);
  }
}

/* ---- threads ---- */

static thrd_t seen_self[4];
static mtx_t seen_lock;

static int worker(void *arg) {
  int i = *(int *)arg;
  mtx_lock(&seen_lock);
  seen_self[i] = thrd_current();
  mtx_unlock(&seen_lock);
  thrd_yield();
  return 100 + i;
}

static void nested_exit(int res) {
  thrd_exit(res);
}

static int exiter(void *arg) {
  (void)arg;
  nested_exit(42);
  return 0; /* not reached */
}

static int detached_done;

static int detached(void *arg) {
  (void)arg;
  mtx_lock(&seen_lock);
  detached_done = 1;
  mtx_unlock(&seen_lock);
  return 7;
}

static int join_self_status;

static int joins_itself(void *arg) {
  (void)arg;
  join_self_status = thrd_join(thrd_current(), NULL);
  return 0;
}

static void test_threads(void) {
  CHECK(mtx_init(&seen_lock, mtx_plain) == thrd_success);
  thrd_t t[4];
  int ids[4] = {0, 1, 2, 3};
  for (int i = 0; i < 4; i++)
    CHECK(thrd_create(&t[i], worker, &ids[i]) == thrd_success);
  for (int i = 0; i < 4; i++) {
    /* the handle a thread sees for itself is the one its creator got */
    for (;;) {
      mtx_lock(&seen_lock);
      int seen = seen_self[i] != NULL;
      mtx_unlock(&seen_lock);
      if (seen) break;
      thrd_yield();
    }
    CHECK(thrd_equal(seen_self[i], t[i]));
    CHECK(!thrd_equal(t[i], thrd_current()));
  }
  for (int i = 0; i < 4; i++) {
    int res = -1;
    CHECK(thrd_join(t[i], &res) == thrd_success);
    CHECK(res == 100 + i);
  }
  CHECK(thrd_equal(thrd_current(), thrd_current()));

  thrd_t e;
  int res = -1;
  CHECK(thrd_create(&e, exiter, NULL) == thrd_success);
  CHECK(thrd_join(e, &res) == thrd_success);
  CHECK(res == 42);

  thrd_t d;
  CHECK(thrd_create(&d, detached, NULL) == thrd_success);
  CHECK(thrd_detach(d) == thrd_success);
  for (int done = 0; !done; thrd_yield()) {
    mtx_lock(&seen_lock);
    done = detached_done;
    mtx_unlock(&seen_lock);
  }

  thrd_t s;
  CHECK(thrd_create(&s, joins_itself, NULL) == thrd_success);
  CHECK(thrd_join(s, NULL) == thrd_success);
  CHECK(join_self_status == thrd_error);
  CHECK(thrd_join(thrd_current(), NULL) == thrd_error); /* the main thread */
  CHECK(thrd_create(&s, NULL, NULL) == thrd_error);
  mtx_destroy(&seen_lock);
}

/* ---- mutexes ---- */

typedef struct try_arg {
  mtx_t *m;
  int trylock, timedlock;
  double waited;
} try_arg;

static int try_other(void *arg) {
  try_arg *a = arg;
  a->trylock = mtx_trylock(a->m);
  if (a->trylock == thrd_success) mtx_unlock(a->m);
  struct timespec ts = deadline_in(0.05);
  double t0 = weft_monotonic();
  a->timedlock = mtx_timedlock(a->m, &ts);
  a->waited = weft_monotonic() - t0;
  if (a->timedlock == thrd_success) mtx_unlock(a->m);
  return 0;
}

static try_arg try_from_other_thread(mtx_t *m) {
  try_arg a = {m, -1, -1, 0};
  thrd_t t;
  CHECK(thrd_create(&t, try_other, &a) == thrd_success);
  CHECK(thrd_join(t, NULL) == thrd_success);
  return a;
}

static void test_mutex(void) {
  mtx_t m;
  CHECK(mtx_init(&m, 12345) == thrd_error);
  const int types[] = {mtx_plain, mtx_timed, mtx_plain | mtx_recursive, mtx_timed | mtx_recursive};
  for (int i = 0; i < 4; i++) {
    int rec = (types[i] & mtx_recursive) != 0;
    CHECK(mtx_init(&m, types[i]) == thrd_success);
    CHECK(mtx_unlock(&m) == thrd_error); /* not locked */
    CHECK(mtx_lock(&m) == thrd_success);
    if (rec) {
      CHECK(mtx_lock(&m) == thrd_success);
      CHECK(mtx_trylock(&m) == thrd_success);
      CHECK(mtx_unlock(&m) == thrd_success);
      CHECK(mtx_unlock(&m) == thrd_success);
    } else {
      CHECK(mtx_trylock(&m) == thrd_busy);
    }
    try_arg a = try_from_other_thread(&m);
    CHECK(a.trylock == thrd_busy);
    CHECK(a.timedlock == thrd_timedout);
    CHECK(a.waited >= 0.05 - 1e-6 - 0.002); /* the wall clock's conversion: 2 ms of slack */
    CHECK(mtx_unlock(&m) == thrd_success);
    CHECK(mtx_unlock(&m) == thrd_error);
    a = try_from_other_thread(&m);
    CHECK(a.trylock == thrd_success);
    CHECK(a.timedlock == thrd_success);
    /* a deadline already past tries once */
    struct timespec past = deadline_in(-1.0);
    CHECK(mtx_timedlock(&m, &past) == thrd_success);
    CHECK(mtx_unlock(&m) == thrd_success);
    struct timespec bad = {0, 2000000000L};
    CHECK(mtx_timedlock(&m, &bad) == thrd_error);
    mtx_destroy(&m);
  }
}

/* ---- condition variables ---- */

static mtx_t cv_lock;
static cnd_t cv, cv_done;
static int items, consumed, waiting, generation;

static int consumer(void *arg) {
  (void)arg;
  for (int got = 0; got < 100; got++) {
    mtx_lock(&cv_lock);
    while (items == 0)
      CHECK(cnd_wait(&cv, &cv_lock) == thrd_success);
    items--;
    consumed++;
    cnd_signal(&cv_done);
    mtx_unlock(&cv_lock);
  }
  return 0;
}

static int broadcast_waiter(void *arg) {
  (void)arg;
  mtx_lock(&cv_lock);
  int gen = generation;
  waiting++;
  cnd_signal(&cv_done);
  while (generation == gen)
    CHECK(cnd_wait(&cv, &cv_lock) == thrd_success);
  waiting--;
  mtx_unlock(&cv_lock);
  return 0;
}

static int rec_other_locked;

static int lock_meanwhile(void *arg) {
  mtx_t *m = arg;
  CHECK(mtx_lock(m) == thrd_success);
  rec_other_locked = 1;
  CHECK(cnd_signal(&cv) == thrd_success);
  CHECK(mtx_unlock(m) == thrd_success);
  return 0;
}

static void test_cond(void) {
  CHECK(mtx_init(&cv_lock, mtx_plain) == thrd_success);
  CHECK(cnd_init(&cv) == thrd_success);
  CHECK(cnd_init(&cv_done) == thrd_success);
  /* producer/consumer: every item is consumed once */
  thrd_t c[2];
  for (int i = 0; i < 2; i++)
    CHECK(thrd_create(&c[i], consumer, NULL) == thrd_success);
  for (int i = 0; i < 200; i++) {
    mtx_lock(&cv_lock);
    while (items >= 3)
      CHECK(cnd_wait(&cv_done, &cv_lock) == thrd_success);
    items++;
    cnd_signal(&cv);
    mtx_unlock(&cv_lock);
  }
  for (int i = 0; i < 2; i++)
    CHECK(thrd_join(c[i], NULL) == thrd_success);
  CHECK(consumed == 200 && items == 0);

  /* broadcast wakes every waiter */
  thrd_t w[3];
  for (int i = 0; i < 3; i++)
    CHECK(thrd_create(&w[i], broadcast_waiter, NULL) == thrd_success);
  mtx_lock(&cv_lock);
  while (waiting < 3)
    cnd_wait(&cv_done, &cv_lock);
  generation++;
  CHECK(cnd_broadcast(&cv) == thrd_success);
  mtx_unlock(&cv_lock);
  for (int i = 0; i < 3; i++)
    CHECK(thrd_join(w[i], NULL) == thrd_success);
  CHECK(waiting == 0);

  /* a timed wait times out, with the mutex held again */
  mtx_lock(&cv_lock);
  struct timespec ts = deadline_in(0.05);
  double t0 = weft_monotonic();
  CHECK(cnd_timedwait(&cv, &cv_lock, &ts) == thrd_timedout);
  check_elapsed(t0, 0.05 - 0.002, 5.0);
  try_arg a = try_from_other_thread(&cv_lock);
  CHECK(a.trylock == thrd_busy);
  CHECK(mtx_unlock(&cv_lock) == thrd_success);

  /* a recursive mutex locked twice is let go entirely while waiting */
  mtx_t rec;
  CHECK(mtx_init(&rec, mtx_recursive) == thrd_success);
  CHECK(mtx_lock(&rec) == thrd_success);
  CHECK(mtx_lock(&rec) == thrd_success);
  thrd_t o;
  CHECK(thrd_create(&o, lock_meanwhile, &rec) == thrd_success);
  while (!rec_other_locked) {
    struct timespec soon = deadline_in(1.0);
    int st = cnd_timedwait(&cv, &rec, &soon);
    CHECK(st == thrd_success || st == thrd_timedout);
  }
  CHECK(thrd_join(o, NULL) == thrd_success);
  CHECK(mtx_unlock(&rec) == thrd_success);
  CHECK(mtx_unlock(&rec) == thrd_success);
  CHECK(mtx_unlock(&rec) == thrd_error);
  cnd_destroy(&cv);
  cnd_destroy(&cv_done);
  mtx_destroy(&cv_lock);
  mtx_destroy(&rec);
}

/* ---- thread-specific storage ---- */

static tss_t key, again_key;
static mtx_t dtor_lock;
static int dtor_calls[8];
static int again_passes;

static void count_dtor(void *value) {
  CHECK(tss_get(key) == NULL); /* set to NULL before the destructor runs */
  mtx_lock(&dtor_lock);
  dtor_calls[*(int *)value]++;
  mtx_unlock(&dtor_lock);
}

/* Sets its value again every time: runs TSS_DTOR_ITERATIONS times. */
static void again_dtor(void *value) {
  mtx_lock(&dtor_lock);
  again_passes++;
  mtx_unlock(&dtor_lock);
  tss_set(again_key, value);
}

static int values[8] = {0, 1, 2, 3, 4, 5, 6, 7};

static int tss_worker(void *arg) {
  int i = *(int *)arg;
  CHECK(tss_get(key) == NULL);
  CHECK(tss_set(key, &values[7]) == thrd_success);
  CHECK(tss_set(key, &values[i]) == thrd_success); /* replaced: no destructor */
  CHECK(tss_get(key) == &values[i]);
  CHECK(tss_set(again_key, &values[0]) == thrd_success);
  if (i == 2) thrd_exit(0); /* destructors run on thrd_exit too */
  return 0;
}

static int tss_null_worker(void *arg) {
  (void)arg;
  CHECK(tss_set(key, &values[6]) == thrd_success);
  CHECK(tss_set(key, NULL) == thrd_success); /* NULL at exit: no destructor */
  return 0;
}

static void test_tss(void) {
  CHECK(mtx_init(&dtor_lock, mtx_plain) == thrd_success);
  CHECK(tss_create(&key, count_dtor) == thrd_success);
  CHECK(tss_create(&again_key, again_dtor) == thrd_success);
  CHECK(tss_get(key) == NULL);
  CHECK(tss_set(key, &values[5]) == thrd_success); /* main's own value */
  thrd_t t[3];
  for (int i = 1; i <= 3; i++)
    CHECK(thrd_create(&t[i - 1], tss_worker, &values[i]) == thrd_success);
  for (int i = 0; i < 3; i++)
    CHECK(thrd_join(t[i], NULL) == thrd_success);
  thrd_t n;
  CHECK(thrd_create(&n, tss_null_worker, NULL) == thrd_success);
  CHECK(thrd_join(n, NULL) == thrd_success);
  for (int i = 1; i <= 3; i++)
    CHECK(dtor_calls[i] == 1);
  CHECK(dtor_calls[5] == 0 && dtor_calls[6] == 0 && dtor_calls[7] == 0);
  CHECK(again_passes == 3 * TSS_DTOR_ITERATIONS);
  CHECK(tss_get(key) == &values[5]);
  tss_delete(key); /* runs no destructor, main's value included */
  tss_delete(again_key);
  CHECK(dtor_calls[5] == 0);
  mtx_destroy(&dtor_lock);
}

/* ---- once ---- */

static once_flag flag = ONCE_FLAG_INIT;
static mtx_t once_lock;
static int once_runs, once_seen;

static void init_once(void) {
  mtx_lock(&once_lock);
  once_runs++;
  mtx_unlock(&once_lock);
  struct timespec nap = {0, 10000000};
  thrd_sleep(&nap, NULL); /* the others must wait for it */
}

static int once_caller(void *arg) {
  (void)arg;
  call_once(&flag, init_once);
  mtx_lock(&once_lock);
  once_seen += once_runs;
  mtx_unlock(&once_lock);
  return 0;
}

static void test_once(void) {
  CHECK(mtx_init(&once_lock, mtx_plain) == thrd_success);
  thrd_t t[4];
  for (int i = 0; i < 4; i++)
    CHECK(thrd_create(&t[i], once_caller, NULL) == thrd_success);
  for (int i = 0; i < 4; i++)
    CHECK(thrd_join(t[i], NULL) == thrd_success);
  call_once(&flag, init_once);
  CHECK(once_runs == 1);
  CHECK(once_seen == 4); /* every caller returned after it ran */
  mtx_destroy(&once_lock);
}

/* ---- sleep and yield ---- */

#if defined(thread_local)
static thread_local int per_thread = 1;

static int touch_local(void *arg) {
  (void)arg;
  per_thread = 2;
  return per_thread;
}
#endif

static void test_sleep(void) {
  struct timespec d = {0, 50000000}, left = {5, 5};
  double t0 = weft_monotonic();
  CHECK(thrd_sleep(&d, &left) == 0);
  check_elapsed(t0, 0.05, 5.0);
  CHECK(left.tv_sec == 0 && left.tv_nsec == 0);
  struct timespec neg = {-1, 0}, bad = {0, 1000000000L};
  CHECK(thrd_sleep(&neg, NULL) < -1);
  CHECK(thrd_sleep(&bad, NULL) < -1);
  struct timespec zero = {0, 0};
  CHECK(thrd_sleep(&zero, NULL) == 0);
  thrd_yield();
#if defined(thread_local)
  thrd_t t;
  int res = 0;
  CHECK(thrd_create(&t, touch_local, NULL) == thrd_success);
  CHECK(thrd_join(t, &res) == thrd_success);
  CHECK(res == 2 && per_thread == 1);
#endif
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    void (*fn)(void);
  } modes[] = {{"threads", test_threads}, {"mutex", test_mutex}, {"cond", test_cond},
               {"tss", test_tss},         {"once", test_once},   {"sleep", test_sleep}};
  setvbuf(stdout, NULL, _IONBF, 0);
  for (size_t i = 0; argc == 2 && i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp(argv[1], modes[i].name) == 0) {
      modes[i].fn();
      printf("PASS: c11.%s\n", modes[i].name);
      return 0;
    }
  printf("usage: %s threads|mutex|cond|tss|once|sleep\n", argv[0]);
  return 2;
}
