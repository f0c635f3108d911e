/* Queued workers: ten daemon threads pull items from one queue while the
 * main thread puts 100 of them, then waits with weft_queue_join until every
 * item has been processed (Python's queue.Queue with task_done / join).
 * The workers are daemons: nobody stops them, the process just ends. */
#include <stdint.h>
#include <stdio.h>
#include <weft.h>

enum { WORKERS = 10, ITEMS = 100 };

static weft_lock log_lock = WEFT_LOCK_INIT;
static int processed[ITEMS]; /* guarded by log_lock; counted before task_done */

/* "[INFO]:(Worker-3  ): 42", like logging's
 * "[%(levelname)s]:(%(threadName)-10s): %(message)s". */
static void log_item(int item) {
  char name[32];
  weft_thread_get_name(weft_thread_current(), name, sizeof name);
  weft_lock_acquire(&log_lock, WEFT_FOREVER);
  printf("[INFO]:(%-10s): %d\n", name, item);
  fflush(stdout);
  weft_lock_release(&log_lock);
}

static void mark_processed(int item) {
  weft_lock_acquire(&log_lock, WEFT_FOREVER);
  processed[item]++;
  weft_lock_release(&log_lock);
}

static void worker(void *arg) {
  weft_queue *stream = arg;
  void *item;
  while (weft_queue_get(stream, &item, WEFT_FOREVER) == WEFT_OK) {
    log_item((int)(intptr_t)item);
    weft_sleep(0.2); /* the work */
    mark_processed((int)(intptr_t)item);
    weft_queue_task_done(stream);
  }
}

int main(void) {
  weft_queue *stream = weft_queue_new(0);
  if (!stream) return 1;

  /* Start parallel workers to work on the stream. */
  for (int i = 0; i < WORKERS; i++) {
    char name[16];
    snprintf(name, sizeof name, "Worker-%d", i + 1);
    weft_thread *t = weft_thread_new(worker, stream);
    if (!t || weft_thread_set_name(t, name) != WEFT_OK ||
        weft_thread_set_daemon(t, true) != WEFT_OK || weft_thread_start(t) != WEFT_OK) {
      printf("FAIL: could not start %s\n", name);
      return 1;
    }
    weft_thread_unref(t); /* it runs on; weft holds it while it does */
  }

  double t0 = weft_monotonic();
  for (int item = 0; item < ITEMS; item++)
    weft_queue_put(stream, (void *)(intptr_t)item, WEFT_FOREVER);

  /* Wait until every item in the stream has been processed. */
  int status = weft_queue_join(stream, WEFT_FOREVER);
  double elapsed = weft_monotonic() - t0;

  int once = 0, sum = 0;
  weft_lock_acquire(&log_lock, WEFT_FOREVER);
  for (int i = 0; i < ITEMS; i++) {
    once += processed[i] == 1;
    sum += processed[i] * i;
  }
  weft_lock_release(&log_lock);
  printf("join: %s after %.1f s (%d items, 0.2 s each, %d workers)\n", weft_strerror(status),
         elapsed, ITEMS, WORKERS);
  /* Each worker works through its items one by one: 100 items of 0.2 s
   * over 10 workers cannot all be done in less than 2 s. */
  if (status != WEFT_OK || once != ITEMS || sum != ITEMS * (ITEMS - 1) / 2 ||
      elapsed < ITEMS * 0.2 / WORKERS - 1e-6) {
    printf("FAIL: %d of %d items processed exactly once, sum %d\n", once, ITEMS, sum);
    return 1;
  }
  printf("all %d items processed exactly once (sum %d)\n", ITEMS, sum);
  /* The daemon workers are still blocked in get: the process ends anyway. */
  return 0;
}
