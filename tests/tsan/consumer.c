/* A program built with -fsanitize=thread against a weft built without it:
 * every shared int below is guarded by one weft primitive, used correctly,
 * so ThreadSanitizer must report nothing (weft tells it the primitives'
 * happens-before edges, src/tsan.h). With the argument "race" one more int
 * is written by two threads with nothing between them, and TSan must say
 * so: the check can fail. */
#include <stdio.h>
#include <string.h>

#include <weft.h>

enum { ROUNDS = 200 };

static int by_lock, by_rlock, by_cond, by_sem, by_event, by_barrier, by_once, by_queue, by_join,
    by_timer, by_future, by_rwlock, by_latch, by_task_done, unguarded;
static int cond_turn;
static weft_lock lock;
static weft_rlock rlock;
static weft_cond cond;
static weft_sem sem;
static weft_event event;
static weft_barrier barrier;
static weft_once once;
static weft_rwlock rwlock;
static weft_latch latch;
static weft_queue *fifo, *lifo;
static bool race;

static void once_body(void *arg) {
  (void)arg;
  by_once = 1;
}

static void worker(void *arg) {
  int id = *(int *)arg;
  for (int i = 0; i < ROUNDS; i++) {
    weft_lock_acquire(&lock, WEFT_FOREVER);
    by_lock++;
    weft_lock_release(&lock);
    weft_rlock_acquire(&rlock, WEFT_FOREVER);
    weft_rlock_acquire(&rlock, WEFT_FOREVER);
    by_rlock++;
    weft_rlock_release(&rlock);
    weft_rlock_release(&rlock);
    weft_rwlock_acquire_exclusive(&rwlock, WEFT_FOREVER);
    by_rwlock++;
    weft_rwlock_release_exclusive(&rwlock);
    weft_rwlock_acquire_shared(&rwlock, WEFT_FOREVER);
    (void)by_rwlock;
    weft_rwlock_release_shared(&rwlock);
    if (race) unguarded++;
  }
  /* Turns through a condition: each side writes in its turn. */
  for (int i = 0; i < ROUNDS; i++) {
    weft_cond_acquire(&cond, WEFT_FOREVER);
    while (cond_turn % 2 != id)
      weft_cond_wait(&cond, WEFT_FOREVER);
    by_cond++;
    cond_turn++;
    weft_cond_notify_all(&cond);
    weft_cond_release(&cond);
  }
  weft_call_once(&once, once_body, NULL);
  (void)by_once;
  unsigned index;
  if (id == 0) by_barrier = 1; /* before the barrier, read by the other after it */
  weft_barrier_wait(&barrier, WEFT_FOREVER, &index);
  (void)by_barrier;
}

static void producer(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) {
    int *slot = &by_queue; /* handed over through the queue */
    *slot += 1;
    weft_queue_put(fifo, slot, WEFT_FOREVER);
    void *item;
    weft_queue_get(lifo, &item, WEFT_FOREVER); /* wait for the reply */
  }
  by_sem = 7;
  weft_sem_release(&sem, 1);
  by_event = 9;
  weft_event_set(&event);
  by_latch = 11;
  weft_latch_count_down(&latch, 1);
}

static void set_join(void *arg) {
  (void)arg;
  by_join = 42;
}

static void set_timer(void *arg) {
  (void)arg;
  by_timer = 43;
}

static void *set_future(void *arg) {
  (void)arg;
  by_future = 44;
  return NULL;
}

static void task_worker(void *arg) {
  weft_queue *q = arg;
  void *item;
  weft_queue_get(q, &item, WEFT_FOREVER);
  by_task_done = 45;
  weft_queue_task_done(q);
}

static void check(bool ok, const char *what) {
  if (!ok) {
    printf("FAIL: %s\n", what);
    fflush(stdout);
  }
}

int main(int argc, char **argv) {
  race = argc > 1 && strcmp(argv[1], "race") == 0;
  weft_barrier_init(&barrier, 2, NULL, NULL);
  weft_latch_init(&latch, 1);
  fifo = weft_queue_new(4);
  lifo = weft_queue_new_lifo(4);
  int ids[2] = {0, 1};
  weft_thread *w[2] = {weft_thread_new(worker, &ids[0]), weft_thread_new(worker, &ids[1])};
  weft_thread *p = weft_thread_new(producer, NULL);
  for (int i = 0; i < 2; i++)
    weft_thread_start(w[i]);
  weft_thread_start(p);
  for (int i = 0; i < ROUNDS; i++) { /* the consumer side of the queue */
    void *item;
    weft_queue_get(fifo, &item, WEFT_FOREVER);
    *(int *)item += 1;
    weft_queue_put(lifo, item, WEFT_FOREVER);
  }
  weft_sem_acquire(&sem, WEFT_FOREVER);
  check(by_sem == 7, "sem");
  weft_event_wait(&event, WEFT_FOREVER);
  check(by_event == 9, "event");
  weft_latch_wait(&latch, WEFT_FOREVER);
  check(by_latch == 11, "latch");
  for (int i = 0; i < 2; i++) {
    weft_thread_join(w[i], WEFT_FOREVER);
    weft_thread_unref(w[i]);
  }
  weft_thread_join(p, WEFT_FOREVER);
  weft_thread_unref(p);
  check(by_lock == 2 * ROUNDS && by_rlock == 2 * ROUNDS && by_cond == 2 * ROUNDS &&
            by_rwlock == 2 * ROUNDS && by_queue == 2 * ROUNDS && by_once == 1 && by_barrier == 1,
        "counts");
  weft_thread *j = weft_thread_new(set_join, NULL);
  weft_thread_start(j);
  weft_thread_join(j, WEFT_FOREVER);
  weft_thread_unref(j);
  check(by_join == 42, "join");
  weft_timer *t = weft_timer_new(0.001, set_timer, NULL);
  weft_timer_start(t);
  weft_timer_join(t, WEFT_FOREVER);
  weft_timer_unref(t);
  check(by_timer == 43, "timer");
  weft_pool *pool = weft_pool_new(2);
  weft_future *f = NULL;
  weft_pool_submit(pool, set_future, NULL, &f);
  weft_future_result(f, WEFT_FOREVER, NULL);
  check(by_future == 44, "future");
  weft_future_unref(f);
  weft_pool_free(pool);
  weft_queue *tasks = weft_queue_new(0);
  weft_queue_put(tasks, &by_task_done, WEFT_FOREVER);
  weft_thread *tw = weft_thread_new(task_worker, tasks);
  weft_thread_start(tw);
  weft_queue_join(tasks, WEFT_FOREVER);
  check(by_task_done == 45, "task_done");
  weft_thread_join(tw, WEFT_FOREVER);
  weft_thread_unref(tw);
  weft_queue_free(tasks);
  weft_queue_free(fifo);
  weft_queue_free(lifo);
  printf("%s run done\n", race ? "racy" : "clean");
  return 0;
}
