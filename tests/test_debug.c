/* Seeing inside: weft_dump (every line it can print, checked by parsing
 * the text), lock-order checking, contention counts, the settings and the
 * signal dump. The watchdog and WEFT_DEBUG itself are judged in child
 * processes (debug_child.c). */
#include "test.h"
#include "foreign.h"

#include <math.h>
#include <signal.h>

/* ---- capturing text -------------------------------------------------- */

/* Text written by weft (dumps, reports), from any thread. */
typedef struct capture {
  atomic_flag busy;
  size_t len;
  char buf[1 << 16];
} capture;

static void capture_write(const char *text, size_t len, void *arg) {
  capture *c = arg;
  while (atomic_flag_test_and_set(&c->busy)) {
  }
  if (c->len + len < sizeof c->buf) {
    memcpy(c->buf + c->len, text, len);
    c->len += len;
    c->buf[c->len] = '\0';
  }
  atomic_flag_clear(&c->busy);
}

static void capture_clear(capture *c) {
  while (atomic_flag_test_and_set(&c->busy)) {
  }
  c->len = 0;
  c->buf[0] = '\0';
  atomic_flag_clear(&c->busy);
}

static bool capture_has(capture *c, const char *needle) {
  while (atomic_flag_test_and_set(&c->busy)) {
  }
  bool found = strstr(c->buf, needle) != NULL;
  atomic_flag_clear(&c->busy);
  return found;
}

static int count_of(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
    n++;
  return n;
}

static capture dump_text, reports;

/* A fresh dump of every thread. */
static const char *dump_now(void) {
  capture_clear(&dump_text);
  CHECK_STATUS(weft_dump(capture_write, &dump_text), WEFT_OK);
  return dump_text.buf;
}

/* The block of the thread named `name` in the last dump (header and
 * indented lines), copied into a static buffer; fails if there is none. */
static const char *block_of(const char *dump, const char *name) {
  static char block[4096];
  char header[128];
  snprintf(header, sizeof header, "thread \"%s\" ", name);
  const char *b = strstr(dump, header);
  if (!b) test_fail_(__FILE__, __LINE__, "no block for %s in:\n%s", name, dump);
  const char *end = strstr(b + 1, "\nthread ");
  if (end)
    end++; /* with its last line's newline */
  else
    end = strstr(b, "end of dump");
  size_t n = end ? (size_t)(end - b) : strlen(b);
  if (n >= sizeof block) n = sizeof block - 1;
  memcpy(block, b, n);
  block[n] = '\0';
  return block;
}

/* Dump until the block of `name` contains `needle` (the thread has got
 * there); fail after 20 s. Returns that block. */
static const char *await_block(const char *name, const char *needle) {
  double t0 = weft_monotonic();
  for (;;) {
    const char *d = dump_now();
    char header[128];
    snprintf(header, sizeof header, "thread \"%s\" ", name);
    if (strstr(d, header)) {
      const char *b = block_of(d, name);
      if (strstr(b, needle)) return b;
    }
    if (weft_monotonic() - t0 > 20.0)
      test_fail_(__FILE__, __LINE__, "%s never showed \"%s\"; last dump:\n%s", name, needle, d);
    weft_sleep(0.005);
  }
}

#define CHECK_HAS(text, needle)                                                                    \
  do {                                                                                             \
    const char *t_ = (text), *n_ = (needle);                                                       \
    if (!strstr(t_, n_)) test_fail_(__FILE__, __LINE__, "\"%s\" not found in:\n%s", n_, t_);       \
  } while (0)

#define CHECK_HAS_NOT(text, needle)                                                                \
  do {                                                                                             \
    const char *t_ = (text), *n_ = (needle);                                                       \
    if (strstr(t_, n_)) test_fail_(__FILE__, __LINE__, "\"%s\" found in:\n%s", n_, t_);            \
  } while (0)

/* How a dump writes an address. */
static const char *addr_text(const void *p) {
  static char buf[4][32];
  static int next;
  char *b = buf[next++ % 4];
  snprintf(b, 32, "0x%" PRIxPTR, (uintptr_t)p);
  return b;
}

static weft_thread *spawn_named(weft_fn fn, void *arg, const char *name) {
  weft_thread *t = weft_thread_new(fn, arg);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_set_name(t, name), WEFT_OK);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  return t;
}

/* The seconds a block's state line says it has waited. */
static double waited(const char *block) {
  const char *w = strstr(block, "  waiting ");
  CHECK(w != NULL);
  double s = -1;
  CHECK_EQ(sscanf(w, "  waiting %lf s on ", &s), 1);
  return s;
}

/* ---- bad input ---------------------------------------------------------- */

void test_debug_invalid(void) {
  CHECK_STATUS(weft_dump(NULL, NULL), WEFT_EINVAL);
  CHECK_STATUS(weft_contention_report(NULL, NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_debug_name(NULL, "x"), WEFT_EINVAL);
  CHECK_STATUS(weft_debug_name(NULL, NULL), WEFT_EINVAL);
  int unknown;
  CHECK_STATUS(weft_debug_name(&unknown, NULL), WEFT_OK); /* nothing to forget */
  CHECK_STATUS(weft_set_debug(8, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_set_debug(~0u, 0), WEFT_EINVAL);
  const double bad[] = {NAN, -1.0, -1e-9, INFINITY, -INFINITY, 2e9};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_STATUS(weft_set_debug(0, bad[i]), WEFT_EINVAL);
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
  CHECK_STATUS(weft_dump_on_signal(0), WEFT_EINVAL);
  CHECK_STATUS(weft_dump_on_signal(-3), WEFT_EINVAL);
  weft_set_report(NULL, NULL); /* the default again: fine any time */
  CHECK_STATUS(weft_dump_stderr(), WEFT_OK);
}

/* ---- the dump: the calling thread, header, footer ---------------------- */

void test_debug_dump_running(void) {
  const char *d = dump_now();
  char expect[64];
  snprintf(expect, sizeof expect, "weft dump (%s): 1 thread\n", weft_backend());
  CHECK(strncmp(d, expect, strlen(expect)) == 0);
  const char *b = block_of(d, "MainThread");
  char header[128];
  snprintf(header, sizeof header,
           "thread \"MainThread\" ident %" PRIu64 " native %" PRIu64 " non-daemon\n  running\n",
           weft_get_ident(), weft_get_native_id());
  CHECK_STR(b, header);
  CHECK_HAS(d, "end of dump\n");
  CHECK_EQ(count_of(d, "\nthread "), 1);
}

/* ---- one thread parked on each kind of object --------------------------- */

static weft_lock gate = WEFT_LOCK_INIT;

static void take_gate(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_lock_acquire(&gate, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&gate), WEFT_OK);
}

void test_debug_dump_lock(void) {
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK); /* whatever WEFT_DEBUG says */
  CHECK_STATUS(weft_lock_acquire(&gate, WEFT_FOREVER), WEFT_OK);
  weft_thread *t = spawn_named(take_gate, NULL, "locker");
  /* Unnamed: by address. */
  char needle[96];
  snprintf(needle, sizeof needle, " s on lock %s\n", addr_text(&gate));
  const char *b = await_block("locker", needle);
  CHECK_HAS(b, " non-daemon\n  waiting ");
  /* Named: the name, then the address. */
  CHECK_STATUS(weft_debug_name(&gate, "the gate"), WEFT_OK);
  snprintf(needle, sizeof needle, " s on lock \"the gate\" (%s)\n", addr_text(&gate));
  await_block("locker", needle);
  /* Without held-lock tracking, nobody is known to hold it. */
  CHECK_HAS_NOT(block_of(dump_now(), "locker"), "held by");
  CHECK_STATUS(weft_lock_release(&gate), WEFT_OK);
  test_join(t);
  CHECK_HAS(block_of(dump_now(), "MainThread"), "  running\n");
}

static weft_rlock rgate = WEFT_RLOCK_INIT;

static void take_rgate(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_rlock_acquire(&rgate, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&rgate), WEFT_OK);
}

void test_debug_dump_rlock(void) {
  CHECK_STATUS(weft_rlock_acquire(&rgate, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rlock_acquire(&rgate, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_debug_name(&rgate, "records"), WEFT_OK);
  weft_thread *t = spawn_named(take_rgate, NULL, "rlocker");
  char needle[128];
  snprintf(needle, sizeof needle,
           " s on rlock \"records\" (%s), owned by \"MainThread\" (ident %" PRIu64 ")\n",
           addr_text(&rgate), weft_get_ident());
  await_block("rlocker", needle);
  CHECK_STATUS(weft_rlock_release(&rgate), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&rgate), WEFT_OK);
  test_join(t);
}

static weft_cond cond = WEFT_COND_INIT;
static bool cond_go;

static void wait_cond(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_cond_acquire(&cond, WEFT_FOREVER), WEFT_OK);
  while (!cond_go)
    CHECK_STATUS(weft_cond_wait(&cond, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_cond_release(&cond), WEFT_OK);
}

void test_debug_dump_cond(void) {
  weft_thread *t = spawn_named(wait_cond, NULL, "cond waiter");
  char needle[96];
  snprintf(needle, sizeof needle, " s on cond %s\n", addr_text(&cond));
  await_block("cond waiter", needle);
  CHECK_STATUS(weft_cond_acquire(&cond, WEFT_FOREVER), WEFT_OK);
  cond_go = true;
  CHECK_STATUS(weft_cond_notify_all(&cond), WEFT_OK);
  CHECK_STATUS(weft_cond_release(&cond), WEFT_OK);
  test_join(t);
}

static weft_sem sem = WEFT_SEM_INIT;

static void take_sem(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_sem_acquire(&sem, WEFT_FOREVER), WEFT_OK);
}

void test_debug_dump_sem(void) {
  CHECK_STATUS(weft_debug_name(&sem, "slots"), WEFT_OK);
  weft_thread *t = spawn_named(take_sem, NULL, "sem waiter");
  char needle[96];
  snprintf(needle, sizeof needle, " s on sem \"slots\" (%s), value 0\n", addr_text(&sem));
  await_block("sem waiter", needle);
  CHECK_STATUS(weft_sem_release(&sem, 1), WEFT_OK);
  test_join(t);
}

static weft_event event = WEFT_EVENT_INIT;

static void wait_event(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_event_wait(&event, WEFT_FOREVER), WEFT_OK);
}

void test_debug_dump_event(void) {
  weft_thread *t = spawn_named(wait_event, NULL, "event waiter");
  char needle[96];
  snprintf(needle, sizeof needle, " s on event %s\n", addr_text(&event));
  await_block("event waiter", needle);
  weft_event_set(&event);
  test_join(t);
}

static weft_barrier barrier;

static void wait_barrier(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_barrier_wait(&barrier, WEFT_FOREVER, NULL), WEFT_OK);
}

void test_debug_dump_barrier(void) {
  CHECK_STATUS(weft_barrier_init(&barrier, 3, NULL, NULL), WEFT_OK);
  CHECK_STATUS(weft_debug_name(&barrier, "meeting"), WEFT_OK);
  weft_thread *a = spawn_named(wait_barrier, NULL, "first");
  char needle[96];
  snprintf(needle, sizeof needle, " s on barrier \"meeting\" (%s), 1/3 waiting\n",
           addr_text(&barrier));
  await_block("first", needle);
  weft_thread *b = spawn_named(wait_barrier, NULL, "second");
  /* Both say how many are in now, whoever came first. (Each line reads
   * the count as the dump reaches it: a dump taken while the second
   * arrives can still show 1/3 for the first, so look again.) */
  snprintf(needle, sizeof needle, " s on barrier \"meeting\" (%s), 2/3 waiting\n",
           addr_text(&barrier));
  await_block("second", needle);
  await_block("first", needle);
  CHECK_STATUS(weft_barrier_wait(&barrier, WEFT_FOREVER, NULL), WEFT_OK);
  test_join(a);
  test_join(b);
}

typedef struct queue_job {
  weft_queue *q;
  bool put;
  bool join;
} queue_job;

static void use_queue(void *arg) {
  queue_job *j = arg;
  void *item = NULL;
  if (j->join)
    CHECK_STATUS(weft_queue_join(j->q, WEFT_FOREVER), WEFT_OK);
  else if (j->put)
    CHECK_STATUS(weft_queue_put(j->q, &item, WEFT_FOREVER), WEFT_OK);
  else
    CHECK_STATUS(weft_queue_get(j->q, &item, WEFT_FOREVER), WEFT_OK);
}

/* A getter of an empty queue and a putter of a full one, for each kind of
 * queue (FIFO, LIFO, priority; bounded and not). */
static int by_address(const void *a, const void *b) {
  return (a > b) - (a < b);
}

static void check_queue_sides(weft_queue *q, size_t maxsize) {
  char needle[128], max[32];
  if (maxsize)
    snprintf(max, sizeof max, "(max %zu)", maxsize);
  else
    snprintf(max, sizeof max, "(unbounded)");
  queue_job get = {q, false, false};
  weft_thread *t = spawn_named(use_queue, &get, "getter");
  snprintf(needle, sizeof needle, " s on queue \"jobs\" (%s), get, size 0 %s\n", addr_text(q), max);
  await_block("getter", needle);
  int item;
  CHECK_STATUS(weft_queue_put(q, &item, WEFT_FOREVER), WEFT_OK);
  test_join(t);
  CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
  if (!maxsize) return;
  for (size_t i = 0; i < maxsize; i++)
    CHECK_STATUS(weft_queue_put(q, &item, WEFT_FOREVER), WEFT_OK);
  queue_job put = {q, true, false};
  t = spawn_named(use_queue, &put, "putter");
  snprintf(needle, sizeof needle, " s on queue \"jobs\" (%s), put, size %zu %s\n", addr_text(q),
           maxsize, max);
  await_block("putter", needle);
  void *got;
  CHECK_STATUS(weft_queue_get(q, &got, WEFT_FOREVER), WEFT_OK);
  test_join(t);
  /* A joiner: maxsize + 1 items put, one task done. */
  CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
  queue_job join = {q, false, true};
  t = spawn_named(use_queue, &join, "joiner");
  snprintf(needle, sizeof needle, " s on queue \"jobs\" (%s), join, %zu unfinished\n", addr_text(q),
           maxsize);
  await_block("joiner", needle);
  for (size_t i = 0; i < maxsize; i++) {
    CHECK_STATUS(weft_queue_get(q, &got, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_queue_task_done(q), WEFT_OK);
  }
  test_join(t);
}

void test_debug_dump_queue(void) {
  weft_queue *qs[] = {weft_queue_new(2), weft_queue_new(0), weft_queue_new_lifo(3),
                      weft_queue_new_priority(2, by_address)};
  size_t max[] = {2, 0, 3, 2};
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    CHECK(qs[i] != NULL);
    CHECK_STATUS(weft_debug_name(qs[i], "jobs"), WEFT_OK);
    check_queue_sides(qs[i], max[i]);
    CHECK_STATUS(weft_debug_name(qs[i], NULL), WEFT_OK); /* before its address is reused */
    weft_queue_free(qs[i]);
  }
}

static weft_event release_target;

static void target_body(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_event_wait(&release_target, WEFT_FOREVER), WEFT_OK);
}

static void join_target(void *arg) {
  CHECK_STATUS(weft_thread_join(arg, WEFT_FOREVER), WEFT_OK);
}

void test_debug_dump_join(void) {
  weft_thread *target = spawn_named(target_body, NULL, "target");
  weft_thread *joiner = spawn_named(join_target, target, "joiner");
  char needle[96];
  snprintf(needle, sizeof needle, " s on join of \"target\" (ident %" PRIu64 ")\n",
           weft_thread_ident(target));
  await_block("joiner", needle);
  weft_event_set(&release_target);
  test_join(joiner);
  test_join(target);
}

static void nothing(void *arg) {
  (void)arg;
}

static void join_timer(void *arg) {
  CHECK_STATUS(weft_timer_join(arg, WEFT_FOREVER), WEFT_OK);
}

void test_debug_dump_timer(void) {
  weft_timer *tm = weft_timer_new(60.0, nothing, NULL);
  CHECK(tm != NULL);
  CHECK_STATUS(weft_timer_start(tm), WEFT_OK);
  weft_thread *t = spawn_named(join_timer, tm, "timer joiner");
  char needle[96];
  snprintf(needle, sizeof needle, " s on timer %s\n", addr_text(tm));
  await_block("timer joiner", needle);
  /* The scheduler's helper is listed too, idle. */
  const char *b = await_block("weft-timer", " s on idle (weft helper)\n");
  CHECK_HAS(b, " daemon helper\n  waiting ");
  CHECK_STATUS(weft_timer_cancel(tm), WEFT_OK);
  test_join(t);
  weft_timer_unref(tm);
}

static void shut_down(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_shutdown(30.0), WEFT_OK);
}

/* A park that no primitive describes: weft's own (here, weft_shutdown
 * waiting for a pending non-daemon timer). */
void test_debug_dump_internal(void) {
  weft_timer *tm = weft_timer_new(60.0, nothing, NULL);
  CHECK(tm != NULL);
  CHECK_STATUS(weft_timer_set_daemon(tm, false), WEFT_OK);
  CHECK_STATUS(weft_timer_start(tm), WEFT_OK);
  weft_thread *t = spawn_named(shut_down, NULL, "shutter");
  await_block("shutter", " s on weft internal 0x");
  CHECK_STATUS(weft_timer_cancel(tm), WEFT_OK);
  test_join(t);
  weft_timer_unref(tm);
}

static void sleep_long(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_sleep(1.5), WEFT_OK);
}

void test_debug_dump_sleep(void) {
  weft_thread *t = spawn_named(sleep_long, NULL, "sleeper");
  const char *b = await_block("sleeper", " s on sleep of 1.500 s\n");
  CHECK(waited(b) >= 0 && waited(b) <= 1.5);
  test_join(t);
}

static weft_once once = WEFT_ONCE_INIT;
static weft_event once_go;
static test_flag in_once;

static void slow_init(void *arg) {
  (void)arg;
  test_flag_set(&in_once);
  CHECK_STATUS(weft_event_wait(&once_go, WEFT_FOREVER), WEFT_OK);
}

static void call_init(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_call_once(&once, slow_init, NULL), WEFT_OK);
}

void test_debug_dump_once(void) {
  weft_thread *a = spawn_named(call_init, NULL, "initialiser");
  test_flag_wait(&in_once);
  weft_thread *b = spawn_named(call_init, NULL, "latecomer");
  char needle[96];
  snprintf(needle, sizeof needle, " s on once %s\n", addr_text(&once));
  await_block("latecomer", needle);
  snprintf(needle, sizeof needle, " s on event %s\n", addr_text(&once_go));
  await_block("initialiser", needle);
  weft_event_set(&once_go);
  test_join(a);
  test_join(b);
}

/* ---- the pool, futures, rwlocks, latches ------------------------------- */

static weft_event task_go;

static void *blocking_task(void *arg) {
  CHECK_STATUS(weft_event_wait(&task_go, WEFT_FOREVER), WEFT_OK);
  return arg;
}

static void wait_result(void *arg) {
  void *result = NULL;
  CHECK_STATUS(weft_future_result(arg, WEFT_FOREVER, &result), WEFT_OK);
}

static void wait_first(void *arg) {
  weft_future *fs[1] = {arg};
  CHECK_STATUS(weft_wait(fs, 1, WEFT_FIRST_COMPLETED, WEFT_FOREVER), WEFT_OK);
}

void test_debug_dump_pool(void) {
  weft_pool *p = weft_pool_new(1);
  CHECK(p != NULL);
  CHECK_STATUS(weft_pool_set_name_prefix(p, "worker"), WEFT_OK);
  int x = 0;
  weft_future *f = NULL;
  CHECK_STATUS(weft_pool_submit(p, blocking_task, &x, &f), WEFT_OK);
  /* The worker runs the task (it waits on task_go). */
  char needle[128];
  snprintf(needle, sizeof needle, " s on event %s\n", addr_text(&task_go));
  await_block("worker_0", needle);
  /* A result's waiter and weft_wait's: on the future, run by the worker. */
  weft_thread *a = spawn_named(wait_result, f, "result waiter");
  weft_thread *b = spawn_named(wait_first, f, "wait caller");
  snprintf(needle, sizeof needle, " s on future %s, run by \"worker_0\" (ident ", addr_text(f));
  await_block("result waiter", needle);
  await_block("wait caller", needle);
  weft_event_set(&task_go);
  test_join(a);
  test_join(b);
  /* The worker idles in its pool. */
  snprintf(needle, sizeof needle, " s on pool %s, idle worker\n", addr_text(p));
  await_block("worker_0", needle);
  weft_future_unref(f);
  CHECK_STATUS(weft_pool_free(p), WEFT_OK);
  /* A standalone future: nobody runs it. */
  f = weft_future_new();
  CHECK(f != NULL);
  a = spawn_named(wait_result, f, "result waiter");
  snprintf(needle, sizeof needle, " s on future %s\n", addr_text(f));
  await_block("result waiter", needle);
  CHECK_STATUS(weft_future_set_result(f, &x), WEFT_OK);
  test_join(a);
  weft_future_unref(f);
}

static weft_rwlock rw = WEFT_RWLOCK_INIT;
static weft_latch latch;

static void read_rw(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
}

static void write_rw(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
}

static void wait_latch(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_latch_wait(&latch, WEFT_FOREVER), WEFT_OK);
}

void test_debug_dump_rwlock_latch(void) {
  char needle[96];
  CHECK_STATUS(weft_rwlock_acquire_exclusive(&rw, WEFT_FOREVER), WEFT_OK);
  weft_thread *t = spawn_named(read_rw, NULL, "reader");
  snprintf(needle, sizeof needle, " s on rwlock %s, shared\n", addr_text(&rw));
  await_block("reader", needle);
  CHECK_STATUS(weft_rwlock_release_exclusive(&rw), WEFT_OK);
  test_join(t);
  CHECK_STATUS(weft_rwlock_acquire_shared(&rw, WEFT_FOREVER), WEFT_OK);
  t = spawn_named(write_rw, NULL, "writer");
  snprintf(needle, sizeof needle, " s on rwlock %s, exclusive\n", addr_text(&rw));
  await_block("writer", needle);
  CHECK_STATUS(weft_rwlock_release_shared(&rw), WEFT_OK);
  test_join(t);
  CHECK_STATUS(weft_latch_init(&latch, 2), WEFT_OK);
  t = spawn_named(wait_latch, NULL, "latch waiter");
  snprintf(needle, sizeof needle, " s on latch %s, count 2\n", addr_text(&latch));
  await_block("latch waiter", needle);
  CHECK_STATUS(weft_latch_count_down(&latch, 2), WEFT_OK);
  test_join(t);
}

/* The time a wait has lasted grows. */
void test_debug_dump_since(void) {
  CHECK_STATUS(weft_lock_acquire(&gate, WEFT_FOREVER), WEFT_OK);
  weft_thread *t = spawn_named(take_gate, NULL, "patient");
  double w0 = waited(await_block("patient", " s on lock "));
  weft_sleep(0.3);
  double w1 = waited(block_of(dump_now(), "patient"));
  CHECK(w0 >= 0 && w0 < 30);
  CHECK(w1 >= w0 + 0.25);
  CHECK(w1 < w0 + 30);
  CHECK_STATUS(weft_lock_release(&gate), WEFT_OK);
  test_join(t);
}

/* ---- threads weft did not start ----------------------------------------- */

static weft_event foreign_go;
static test_flag named_ready;

static void foreign_waits(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_event_wait(&foreign_go, WEFT_FOREVER), WEFT_OK);
}

static void foreign_named(void *arg) {
  (void)arg;
  CHECK(weft_thread_current() != NULL); /* Dummy-N from now on */
  test_flag_set(&named_ready);
  CHECK_STATUS(weft_event_wait(&foreign_go, WEFT_FOREVER), WEFT_OK);
}

void test_debug_dump_foreign(void) {
  test_foreign *bare = test_foreign_start(foreign_waits, NULL);
  test_foreign *named = test_foreign_start(foreign_named, NULL);
  test_flag_wait(&named_ready);
  char needle[96];
  snprintf(needle, sizeof needle, " s on event %s\n", addr_text(&foreign_go));
  double t0 = weft_monotonic();
  const char *d;
  /* Both parked: the bare one unnamed, the other as Dummy-N. */
  while (count_of(d = dump_now(), needle) < 2) {
    if (weft_monotonic() - t0 > 20) test_fail_(__FILE__, __LINE__, "dump:\n%s", d);
    weft_sleep(0.005);
  }
  CHECK_HAS(d, "thread (foreign, unnamed) ident ");
  const char *bare_block = strstr(d, "thread (foreign, unnamed) ident ");
  CHECK(strstr(bare_block, " daemon dummy\n  waiting ") != NULL);
  CHECK_HAS(d, "thread \"Dummy-");
  const char *named_block = strstr(d, "thread \"Dummy-");
  CHECK(strstr(named_block, " daemon dummy\n  waiting ") != NULL);
  CHECK_HAS(d, "weft dump (");
  CHECK_HAS(d, "): 3 threads\n");
  weft_event_set(&foreign_go);
  test_foreign_join(bare);
  test_foreign_join(named);
  /* Ended threads leave the dump. */
  t0 = weft_monotonic();
  while (!strstr(dump_now(), "): 1 thread\n")) {
    if (weft_monotonic() - t0 > 20) test_fail_(__FILE__, __LINE__, "dump:\n%s", dump_text.buf);
    weft_sleep(0.005);
  }
}

/* A thread that appears while a dump is being written is not in it, so
 * the count in the dump's first line is the number of blocks that follow.
 * The write callback, given that first line, has a foreign thread take a
 * record (weft_thread_current) before it lets the dump go on: the walk,
 * which lets go of the records' lock between blocks, then finds it. */
static weft_event late_go;
static test_flag late_ready;

static void late_arrival(void *arg) {
  (void)arg;
  CHECK(weft_thread_current() != NULL);
  test_flag_set(&late_ready);
  CHECK_STATUS(weft_event_wait(&late_go, WEFT_FOREVER), WEFT_OK);
}

static test_foreign *late_thread;

static void write_then_arrive(const char *text, size_t len, void *arg) {
  capture_write(text, len, arg);
  if (late_thread) return;
  late_thread = test_foreign_start(late_arrival, NULL);
  test_flag_wait(&late_ready);
}

void test_debug_dump_count(void) {
  capture_clear(&dump_text);
  CHECK_STATUS(weft_dump(write_then_arrive, &dump_text), WEFT_OK);
  const char *d = dump_text.buf;
  char expect[64];
  snprintf(expect, sizeof expect, "weft dump (%s): 1 thread\n", weft_backend());
  if (strncmp(d, expect, strlen(expect)) != 0 || count_of(d, "\nthread ") != 1)
    test_fail_(__FILE__, __LINE__, "a thread that came during the dump is in it:\n%s", d);
  /* The next dump has both. */
  CHECK_HAS(dump_now(), "): 2 threads\n");
  CHECK_EQ(count_of(dump_text.buf, "\nthread "), 2);
  weft_event_set(&late_go);
  test_foreign_join(late_thread);
}

/* ---- held locks (lock order or the watchdog on) ------------------------- */

static weft_lock outer = WEFT_LOCK_INIT;
static weft_rlock inner = WEFT_RLOCK_INIT;

void test_debug_dump_held(void) {
  CHECK_STATUS(weft_set_debug(WEFT_DEBUG_LOCK_ORDER, 0), WEFT_OK);
  CHECK_STATUS(weft_debug_name(&outer, "outer"), WEFT_OK);
  CHECK_STATUS(weft_lock_acquire(&outer, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rlock_acquire(&inner, WEFT_FOREVER), WEFT_OK);
  const char *b = block_of(dump_now(), "MainThread");
  char needle[96];
  snprintf(needle, sizeof needle, "\n  holds lock \"outer\" (%s), acquired at ", addr_text(&outer));
  CHECK_HAS(b, needle);
  snprintf(needle, sizeof needle, "\n  holds rlock %s, acquired at ", addr_text(&inner));
  CHECK_HAS(b, needle);
  /* A thread that waits for a held lock: its holder is named. */
  CHECK_STATUS(weft_lock_acquire(&gate, WEFT_FOREVER), WEFT_OK);
  weft_thread *t = spawn_named(take_gate, NULL, "blocked");
  snprintf(needle, sizeof needle, " s on lock %s, held by \"MainThread\" (ident %" PRIu64 ")\n",
           addr_text(&gate), weft_get_ident());
  await_block("blocked", needle);
  CHECK_STATUS(weft_lock_release(&gate), WEFT_OK);
  test_join(t);
  CHECK_STATUS(weft_rlock_release(&inner), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&outer), WEFT_OK);
  CHECK_HAS_NOT(block_of(dump_now(), "MainThread"), "holds");
  /* Off: no more holds lines, even for a lock held now. */
  CHECK_STATUS(weft_lock_acquire(&outer, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
  CHECK_HAS_NOT(block_of(dump_now(), "MainThread"), "holds");
  CHECK_STATUS(weft_lock_release(&outer), WEFT_OK);
}

/* ---- lock order --------------------------------------------------------- */

static weft_lock lock_a = WEFT_LOCK_INIT, lock_b = WEFT_LOCK_INIT, lock_c = WEFT_LOCK_INIT;

typedef struct pair {
  weft_lock *first, *second;
} pair;

static void take_in_order(void *arg) {
  pair *p = arg;
  CHECK_STATUS(weft_lock_acquire(p->first, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_lock_acquire(p->second, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_lock_release(p->second), WEFT_OK);
  CHECK_STATUS(weft_lock_release(p->first), WEFT_OK);
}

/* Run take_in_order on a thread named `name`, to its end. */
static void run_pair(weft_lock *first, weft_lock *second, const char *name) {
  pair p = {first, second};
  test_join(spawn_named(take_in_order, &p, name));
}

static void order_on(void) {
  capture_clear(&reports);
  weft_set_report(capture_write, &reports);
  CHECK_STATUS(weft_set_debug(WEFT_DEBUG_LOCK_ORDER, 0), WEFT_OK);
}

/* The classic: one thread takes A then B, another B then A. Run one after
 * the other, they never deadlock; the checker says they could have. */
void test_debug_order_inversion(void) {
  order_on();
  CHECK_STATUS(weft_debug_name(&lock_a, "A"), WEFT_OK);
  CHECK_STATUS(weft_debug_name(&lock_b, "B"), WEFT_OK);
  run_pair(&lock_a, &lock_b, "alice");
  CHECK_EQ(reports.len, 0);
  run_pair(&lock_b, &lock_a, "bob");
  const char *r = reports.buf;
  CHECK_HAS(r, "weft: potential deadlock: lock order cycle of 2 locks\n");
  char needle[160];
  snprintf(needle, sizeof needle, "  \"bob\" (ident ");
  CHECK_HAS(r, needle);
  snprintf(needle, sizeof needle, " acquires lock \"A\" (%s) at ", addr_text(&lock_a));
  CHECK_HAS(r, needle);
  snprintf(needle, sizeof needle, "    while it holds lock \"B\" (%s), acquired at ",
           addr_text(&lock_b));
  CHECK_HAS(r, needle);
  CHECK_HAS(r, "  \"alice\" (ident ");
  snprintf(needle, sizeof needle, " acquired lock \"B\" (%s) at ", addr_text(&lock_b));
  CHECK_HAS(r, needle);
  snprintf(needle, sizeof needle, "    while it held lock \"A\" (%s), acquired at ",
           addr_text(&lock_a));
  CHECK_HAS(r, needle);
  /* Four sites, none empty. */
  CHECK_EQ(count_of(r, " at "), 4);
  CHECK_HAS_NOT(r, " at \n");
  CHECK_HAS_NOT(r, " at 0x0\n");
  /* Once: the same inversion again says nothing more. */
  size_t len = reports.len;
  run_pair(&lock_b, &lock_a, "bob again");
  run_pair(&lock_a, &lock_b, "alice again");
  CHECK_EQ(reports.len, len);
  CHECK_EQ(count_of(r, "potential deadlock"), 1);
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
}

void test_debug_order_cycle3(void) {
  order_on();
  run_pair(&lock_a, &lock_b, "ab");
  run_pair(&lock_b, &lock_c, "bc");
  CHECK_EQ(reports.len, 0);
  run_pair(&lock_c, &lock_a, "ca");
  const char *r = reports.buf;
  CHECK_HAS(r, "lock order cycle of 3 locks\n");
  CHECK_HAS(r, "\"ca\" (ident ");
  CHECK_HAS(r, "\"ab\" (ident ");
  CHECK_HAS(r, "\"bc\" (ident ");
  char needle[96];
  snprintf(needle, sizeof needle, " acquires lock %s at ", addr_text(&lock_a));
  CHECK_HAS(r, needle);
  CHECK_EQ(count_of(r, "potential deadlock"), 1);
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
}

static atomic_int rounds_done;

static void ordered_rounds(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000; i++) {
    CHECK_STATUS(weft_lock_acquire(&lock_a, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_lock_acquire(&lock_b, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_lock_acquire(&lock_c, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_lock_release(&lock_c), WEFT_OK);
    CHECK_STATUS(weft_lock_release(&lock_b), WEFT_OK);
    CHECK_STATUS(weft_lock_release(&lock_a), WEFT_OK);
  }
  atomic_fetch_add(&rounds_done, 1);
}

/* The same order from several threads at once, contended: nothing to say,
 * and the held stacks end empty. */
void test_debug_order_consistent(void) {
  order_on();
  weft_thread *t[4];
  for (int i = 0; i < 4; i++)
    t[i] = test_spawn(ordered_rounds, NULL);
  for (int i = 0; i < 4; i++)
    test_join(t[i]);
  CHECK_EQ(atomic_load(&rounds_done), 4);
  CHECK_EQ(reports.len, 0);
  CHECK_HAS_NOT(dump_now(), "holds");
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
}

static void try_reverse(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_lock_acquire(&lock_b, WEFT_FOREVER), WEFT_OK);
  int status = weft_lock_acquire(&lock_a, 0); /* a try never waits: no order */
  CHECK(status == WEFT_OK || status == WEFT_TIMEOUT);
  if (status == WEFT_OK) CHECK_STATUS(weft_lock_release(&lock_a), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&lock_b), WEFT_OK);
}

void test_debug_order_try(void) {
  order_on();
  run_pair(&lock_a, &lock_b, "ordered");
  test_join(spawn_named(try_reverse, NULL, "trier"));
  CHECK_EQ(reports.len, 0);
  /* An acquire that can wait counts. */
  run_pair(&lock_b, &lock_a, "reversed");
  CHECK_HAS(reports.buf, "potential deadlock");
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
}

static test_flag taken, released;

static void take_and_keep(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_lock_acquire(&lock_a, WEFT_FOREVER), WEFT_OK);
  test_flag_set(&taken);
  test_flag_wait(&released); /* main releases lock_a for us */
  run_pair(&lock_b, &lock_c, "unused");
  /* lock_a is not ours any more: taking b here is no order a -> b. */
  CHECK_STATUS(weft_lock_acquire(&lock_b, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&lock_b), WEFT_OK);
}

/* A weft_lock released by another thread leaves its holder's stack. */
void test_debug_order_cross_release(void) {
  order_on();
  weft_thread *t = spawn_named(take_and_keep, NULL, "keeper");
  test_flag_wait(&taken);
  char needle[96];
  snprintf(needle, sizeof needle, "\n  holds lock %s, acquired at ", addr_text(&lock_a));
  CHECK_HAS(block_of(dump_now(), "keeper"), needle);
  CHECK_STATUS(weft_lock_release(&lock_a), WEFT_OK); /* not ours */
  CHECK_HAS_NOT(block_of(dump_now(), "keeper"), needle);
  test_flag_set(&released);
  test_join(t);
  run_pair(&lock_b, &lock_a, "reverse"); /* no a -> b edge exists: fine */
  CHECK_EQ(reports.len, 0);
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
}

static weft_rlock order_r = WEFT_RLOCK_INIT;
static weft_cond order_c = WEFT_COND_INIT;

static void rlock_then_cond(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_rlock_acquire(&order_r, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rlock_acquire(&order_r, WEFT_FOREVER), WEFT_OK); /* again: no order */
  CHECK_STATUS(weft_cond_acquire(&order_c, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_cond_wait(&order_c, 0.01), WEFT_TIMEOUT); /* lets go, takes it again */
  CHECK_STATUS(weft_cond_release(&order_c), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&order_r), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&order_r), WEFT_OK);
}

static void cond_then_rlock(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_cond_acquire(&order_c, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rlock_acquire(&order_r, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&order_r), WEFT_OK);
  CHECK_STATUS(weft_cond_release(&order_c), WEFT_OK);
}

/* rlocks and a condition's lock are in the graph as what they are. */
void test_debug_order_rlock_cond(void) {
  order_on();
  CHECK_STATUS(weft_debug_name(&order_c, "cond"), WEFT_OK);
  test_join(spawn_named(rlock_then_cond, NULL, "r then c"));
  CHECK_EQ(reports.len, 0);
  CHECK_HAS_NOT(dump_now(), "holds");
  test_join(spawn_named(cond_then_rlock, NULL, "c then r"));
  const char *r = reports.buf;
  CHECK_HAS(r, "lock order cycle of 2 locks");
  char needle[96];
  snprintf(needle, sizeof needle, " acquires rlock %s at ", addr_text(&order_r));
  CHECK_HAS(r, needle);
  snprintf(needle, sizeof needle, " while it holds rlock \"cond\" (%s)", addr_text(&order_c));
  CHECK_HAS(r, needle);
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
}

/* Forgetting a lock drops its order: its storage can be another lock. */
void test_debug_order_forget(void) {
  order_on();
  run_pair(&lock_a, &lock_b, "first use");
  CHECK_STATUS(weft_debug_name(&lock_a, NULL), WEFT_OK);
  run_pair(&lock_b, &lock_a, "second use");
  CHECK_EQ(reports.len, 0);
  /* Off, nothing is checked at all. */
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
  run_pair(&lock_a, &lock_c, "off 1");
  run_pair(&lock_c, &lock_a, "off 2");
  CHECK_EQ(reports.len, 0);
}

/* ---- contention --------------------------------------------------------- */

static weft_lock counted = WEFT_LOCK_INIT;

static void take_counted(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_lock_acquire(&counted, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&counted), WEFT_OK);
}

/* The report's line for the object named `name`. */
static void report_line(const char *name, char *line, size_t size) {
  capture_clear(&dump_text);
  CHECK_STATUS(weft_contention_report(capture_write, &dump_text, 0), WEFT_OK);
  char needle[96];
  snprintf(needle, sizeof needle, "\"%s\" (", name);
  const char *l = strstr(dump_text.buf, needle);
  if (!l) test_fail_(__FILE__, __LINE__, "no %s in:\n%s", name, dump_text.buf);
  while (l > dump_text.buf && l[-1] != '\n')
    l--;
  size_t n = strcspn(l, "\n");
  if (n >= size) n = size - 1;
  memcpy(line, l, n);
  line[n] = '\0';
}

void test_debug_contention_counts(void) {
  CHECK_STATUS(weft_set_debug(WEFT_DEBUG_CONTENTION, 0), WEFT_OK);
  CHECK_STATUS(weft_debug_name(&counted, "counted"), WEFT_OK);
  for (int i = 0; i < 1000; i++) {
    CHECK_STATUS(weft_lock_acquire(&counted, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_lock_release(&counted), WEFT_OK);
  }
  CHECK_STATUS(weft_lock_acquire(&counted, 0), WEFT_OK);
  CHECK_STATUS(weft_lock_acquire(&counted, 0), WEFT_TIMEOUT); /* not an acquisition */
  char line[256], expect[256];
  report_line("counted", line, sizeof line);
  snprintf(expect, sizeof expect,
           "  lock \"counted\" (%s): 1001 acquisitions, 0 contended, wait 0.000 ms total, 0.000 "
           "ms max",
           addr_text(&counted));
  CHECK_STR(line, expect);
  /* One contended acquisition that waits about 0.2 s. */
  weft_thread *t = spawn_named(take_counted, NULL, "contender");
  await_block("contender", " s on lock \"counted\"");
  weft_sleep(0.2);
  CHECK_STATUS(weft_lock_release(&counted), WEFT_OK);
  test_join(t);
  report_line("counted", line, sizeof line);
  double total = 0, max = 0;
  char tail[64];
  snprintf(expect, sizeof expect, "  lock \"counted\" (%s): 1002 acquisitions, 1 contended, wait ",
           addr_text(&counted));
  CHECK(strncmp(line, expect, strlen(expect)) == 0);
  CHECK_EQ(sscanf(line + strlen(expect), "%lf ms total, %lf ms %63s", &total, &max, tail), 3);
  CHECK_STR(tail, "max");
  CHECK(total >= 150 && total < 30000);
  CHECK(max == total);
  /* Counting stops when it is turned off; forgetting clears. */
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
  take_counted(NULL);
  report_line("counted", line, sizeof line);
  CHECK(strstr(line, ": 1002 acquisitions, 1 contended") != NULL);
  CHECK_STATUS(weft_debug_name(&counted, NULL), WEFT_OK);
  capture_clear(&dump_text);
  CHECK_STATUS(weft_contention_report(capture_write, &dump_text, 0), WEFT_OK);
  CHECK_HAS_NOT(dump_text.buf, addr_text(&counted));
}

static weft_lock busy_lock = WEFT_LOCK_INIT, quiet_lock = WEFT_LOCK_INIT;
static weft_rlock counted_r = WEFT_RLOCK_INIT;

static void take_busy(void *arg) {
  (void)arg;
  CHECK_STATUS(weft_lock_acquire(&busy_lock, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&busy_lock), WEFT_OK);
}

void test_debug_contention_report(void) {
  CHECK_STATUS(weft_set_debug(WEFT_DEBUG_CONTENTION, 0), WEFT_OK);
  CHECK_STATUS(weft_debug_name(&busy_lock, "busy"), WEFT_OK);
  CHECK_STATUS(weft_debug_name(&quiet_lock, "quiet"), WEFT_OK);
  CHECK_STATUS(weft_debug_name(&counted_r, "recursive"), WEFT_OK);
  for (int i = 0; i < 10; i++) {
    CHECK_STATUS(weft_lock_acquire(&quiet_lock, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_lock_release(&quiet_lock), WEFT_OK);
  }
  CHECK_STATUS(weft_rlock_acquire(&counted_r, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rlock_acquire(&counted_r, WEFT_FOREVER), WEFT_OK); /* the lock is taken once */
  CHECK_STATUS(weft_rlock_release(&counted_r), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&counted_r), WEFT_OK);
  CHECK_STATUS(weft_lock_acquire(&busy_lock, WEFT_FOREVER), WEFT_OK);
  weft_thread *t = spawn_named(take_busy, NULL, "contender");
  await_block("contender", " s on lock \"busy\"");
  weft_sleep(0.05);
  CHECK_STATUS(weft_lock_release(&busy_lock), WEFT_OK);
  test_join(t);
  /* All of them, longest total wait first. */
  capture_clear(&dump_text);
  CHECK_STATUS(weft_contention_report(capture_write, &dump_text, 0), WEFT_OK);
  const char *all = dump_text.buf;
  CHECK(strncmp(all, "weft contention: ", 17) == 0);
  CHECK_HAS(all, "(longest total wait first)\n");
  const char *busy = strstr(all, "  lock \"busy\" (");
  const char *quiet = strstr(all, "  lock \"quiet\" (");
  const char *rec = strstr(all, "  rlock \"recursive\" (");
  CHECK(busy && quiet && rec);
  CHECK(busy < quiet && busy < rec);
  CHECK(strstr(quiet, ": 10 acquisitions, 0 contended, wait 0.000 ms total") ==
        quiet + strcspn(quiet, ":"));
  CHECK(strstr(rec, ": 1 acquisitions, 0 contended") == rec + strcspn(rec, ":"));
  /* The first one only. */
  capture_clear(&dump_text);
  CHECK_STATUS(weft_contention_report(capture_write, &dump_text, 1), WEFT_OK);
  CHECK_HAS(dump_text.buf, ", the 1 that waited longest (longest total wait first)\n");
  CHECK_HAS(dump_text.buf, "  lock \"busy\" (");
  CHECK_EQ(count_of(dump_text.buf, "\n  "), 1);
  CHECK_STATUS(weft_set_debug(0, 0), WEFT_OK);
}

/* ---- on a signal -------------------------------------------------------- */

#if defined(SIGUSR1)
#define DUMP_SIGNAL SIGUSR1
#else
#define DUMP_SIGNAL SIGTERM /* Windows' C library has no SIGUSR1 */
#endif

void test_debug_dump_on_signal(void) {
  capture_clear(&reports);
  weft_set_report(capture_write, &reports);
  int status = weft_dump_on_signal(DUMP_SIGNAL);
  if (status == WEFT_ENOTSUP) test_skip("no signals to dump on with this backend");
  CHECK_STATUS(status, WEFT_OK);
  CHECK_STATUS(weft_dump_on_signal(DUMP_SIGNAL), WEFT_OK); /* again: one helper */
  /* The helper waits for the signal. */
  await_block("weft-dump", " s on signal (dump helper)\n");
  CHECK_HAS(block_of(dump_text.buf, "weft-dump"), " daemon helper\n");
  for (int round = 0; round < 2; round++) {
    capture_clear(&reports);
    CHECK_EQ(raise(DUMP_SIGNAL), 0);
    double t0 = weft_monotonic();
    while (!capture_has(&reports, "end of dump\n")) {
      if (weft_monotonic() - t0 > 20) test_fail_(__FILE__, __LINE__, "no dump: %s", reports.buf);
      weft_sleep(0.005);
    }
    CHECK_HAS(reports.buf, "weft dump (");
    CHECK_HAS(reports.buf, "thread \"MainThread\" ident ");
    CHECK_HAS(reports.buf, "thread \"weft-dump\" ident ");
  }
  weft_set_report(NULL, NULL);
}
