/* Many threads at once. Sizes scale with WEFT_STRESS_SCALE (default 1);
 * at 1 each test takes well under a second natively, and stays within ~30 s
 * under qemu (contended atomics ~9x slower) and TSan. */
#include "test.h"

enum { WORKERS = 8 };

typedef struct counter {
  weft_lock lock;
  weft_rlock rlock;
  long count, per_thread;
  atomic_int ready;
  test_flag go;
} counter;

static void start_together(counter *c) {
  atomic_fetch_add(&c->ready, 1);
  while (!test_flag_get(&c->go))
    weft_yield();
}

static void lock_worker(void *arg) {
  counter *c = arg;
  start_together(c);
  for (long i = 0; i < c->per_thread; i++) {
    CHECK_STATUS(weft_lock_acquire(&c->lock, WEFT_FOREVER), WEFT_OK);
    c->count++;
    CHECK_STATUS(weft_lock_release(&c->lock), WEFT_OK);
  }
}

static void rlock_worker(void *arg) {
  counter *c = arg;
  start_together(c);
  for (long i = 0; i < c->per_thread; i++) {
    CHECK_STATUS(weft_rlock_acquire(&c->rlock, WEFT_FOREVER), WEFT_OK);
    CHECK_STATUS(weft_rlock_acquire(&c->rlock, 0), WEFT_OK);
    c->count++;
    CHECK_STATUS(weft_rlock_release(&c->rlock), WEFT_OK);
    c->count++;
    CHECK_STATUS(weft_rlock_release(&c->rlock), WEFT_OK);
  }
}

static void run_workers(counter *c, weft_fn fn) {
  weft_thread *t[WORKERS];
  for (int i = 0; i < WORKERS; i++)
    t[i] = test_spawn(fn, c);
  while (atomic_load(&c->ready) < WORKERS)
    weft_yield();
  test_flag_set(&c->go);
  for (int i = 0; i < WORKERS; i++)
    CHECK_STATUS(weft_thread_join(t[i], 120.0), WEFT_OK);
  for (int i = 0; i < WORKERS; i++)
    weft_thread_unref(t[i]);
}

void test_stress_lock_counter(void) {
  static counter c;
  c.per_thread = test_scaled(100000);
  run_workers(&c, lock_worker);
  CHECK_EQ(c.count, WORKERS * c.per_thread);
  CHECK(!weft_lock_locked(&c.lock));
}

void test_stress_rlock_counter(void) {
  static counter c;
  c.per_thread = test_scaled(100000);
  run_workers(&c, rlock_worker);
  CHECK_EQ(c.count, 2 * WORKERS * c.per_thread);
  CHECK_STATUS(weft_rlock_acquire(&c.rlock, 0), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&c.rlock), WEFT_OK);
}

/* Timed acquires racing releases: a timed-out waiter must leave no trace
 * (no lock left taken, no wake-up lost), and every success is counted. */
static void timed_worker(void *arg) {
  counter *c = arg;
  static const double timeouts[] = {0, 1e-6, 1e-4, 1e-3};
  start_together(c);
  for (long i = 0; i < c->per_thread; i++) {
    int rc = weft_lock_acquire(&c->lock, timeouts[i % 4]);
    if (rc == WEFT_TIMEOUT) continue;
    CHECK_STATUS(rc, WEFT_OK);
    c->count++;
    CHECK_STATUS(weft_lock_release(&c->lock), WEFT_OK);
  }
  /* One last acquire that must succeed. */
  CHECK_STATUS(weft_lock_acquire(&c->lock, 60.0), WEFT_OK);
  c->count += 1000000;
  CHECK_STATUS(weft_lock_release(&c->lock), WEFT_OK);
}

void test_stress_lock_timed(void) {
  static counter c;
  c.per_thread = test_scaled(20000);
  run_workers(&c, timed_worker);
  CHECK(c.count >= WORKERS * 1000000L);
  CHECK(!weft_lock_locked(&c.lock));
  CHECK_STATUS(weft_lock_acquire(&c.lock, 0), WEFT_OK);
  CHECK_STATUS(weft_lock_release(&c.lock), WEFT_OK);
}

static void bump(void *arg) {
  atomic_fetch_add((atomic_long *)arg, 1);
}

void test_stress_start_join(void) {
  enum { BATCH = 200 };
  static atomic_long ran;
  long rounds = test_scaled(5);
  for (long r = 0; r < rounds; r++) {
    weft_thread *t[BATCH];
    for (int i = 0; i < BATCH; i++)
      t[i] = test_spawn(bump, &ran);
    for (int i = 0; i < BATCH; i++)
      CHECK_STATUS(weft_thread_join(t[i], 60.0), WEFT_OK);
    for (int i = 0; i < BATCH; i++)
      weft_thread_unref(t[i]);
    CHECK_EQ(atomic_load(&ran), (r + 1) * BATCH);
    CHECK_EQ(weft_active_count(), 1);
  }
}

/* Joins with short timeouts racing the thread's exit: every answer is OK
 * or TIMEOUT, OK means it has ended, and OK comes eventually. */
typedef struct racer {
  weft_thread *target;
  test_flag *go;
  long timeouts;
} racer;

static void spin_briefly(void *arg) {
  long n = (long)(intptr_t)arg;
  for (long i = 0; i < n; i++)
    weft_yield();
}

static void join_racer(void *arg) {
  racer *r = arg;
  static const double timeouts[] = {0, 1e-6, 1e-5, 1e-4};
  test_flag_wait(r->go);
  for (long i = 0;; i++) {
    int rc = weft_thread_join(r->target, timeouts[i % 4]);
    if (rc == WEFT_OK) {
      CHECK(!weft_thread_is_alive(r->target));
      return;
    }
    CHECK_STATUS(rc, WEFT_TIMEOUT);
    r->timeouts++;
  }
}

void test_stress_join_race(void) {
  enum { JOINERS = 3 };
  long rounds = test_scaled(200);
  for (long k = 0; k < rounds; k++) {
    test_flag go = {0};
    weft_thread *t = test_spawn(spin_briefly, (void *)(intptr_t)(k % 50));
    racer r[JOINERS];
    weft_thread *j[JOINERS];
    for (int i = 0; i < JOINERS; i++) {
      r[i].target = t;
      r[i].go = &go;
      r[i].timeouts = 0;
      j[i] = test_spawn(join_racer, &r[i]);
    }
    test_flag_set(&go);
    int rc;
    while ((rc = weft_thread_join(t, 1e-5)) == WEFT_TIMEOUT)
      ;
    CHECK_STATUS(rc, WEFT_OK);
    for (int i = 0; i < JOINERS; i++)
      test_join(j[i]);
    weft_thread_unref(t);
  }
}

/* Handles dropped while their threads run: each record is freed by whoever
 * is last (the thread or us), never twice, never early. */
void test_stress_unref_race(void) {
  static atomic_long ran;
  long n = test_scaled(500);
  for (long i = 0; i < n; i++) {
    weft_thread *t = test_spawn(bump, &ran);
    if (i % 2) weft_yield();
    weft_thread_unref(t);
  }
  CHECK_STATUS(weft_shutdown(60.0), WEFT_OK);
  CHECK_EQ(atomic_load(&ran), n);
  CHECK_EQ(weft_active_count(), 1);
}
