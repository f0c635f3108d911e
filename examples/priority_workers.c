/* Multithreaded priority queue: three named threads take work from a shared
 * priority queue (lowest priority number first, equal priorities in the
 * order they came) until the main thread tells them to exit.
 *
 * As in the Python original, the main thread fills the queue while holding
 * queue_lock and the workers take an item only under that lock, so every
 * item is in before the first is taken and the order is fixed: the queue
 * alone decides it. */
#include <stdio.h>
#include <string.h>
#include <weft.h>

typedef struct work {
  int priority;
  const char *name;
} work;

static int by_priority(const void *a, const void *b) {
  const work *x = a, *y = b;
  return (x->priority > y->priority) - (x->priority < y->priority);
}

static weft_lock queue_lock = WEFT_LOCK_INIT;
static weft_queue *work_queue;
static weft_event exit_flag = WEFT_EVENT_INIT;
static const char *taken[8]; /* the order items were taken, under queue_lock */
static int n_taken;

static void process_data(const char *thread_name) {
  while (!weft_event_is_set(&exit_flag)) {
    void *item;
    weft_lock_acquire(&queue_lock, WEFT_FOREVER);
    if (weft_queue_get(work_queue, &item, 0) == WEFT_OK) {
      const work *w = item;
      taken[n_taken++] = w->name;
      weft_lock_release(&queue_lock);
      printf("%s processing %s (priority %d)\n", thread_name, w->name, w->priority);
      weft_queue_task_done(work_queue);
    } else {
      weft_lock_release(&queue_lock);
    }
    weft_sleep(0.1);
  }
}

static void run(void *arg) {
  (void)arg;
  const char *name = weft_thread_name(weft_thread_current());
  printf("Starting %s\n", name);
  process_data(name);
  printf("Exiting %s\n", name);
}

int main(void) {
  static const char *const thread_list[] = {"Thread-1", "Thread-2", "Thread-3"};
  /* The names arrive in this order; the priorities reorder them. */
  static const work name_list[] = {{3, "One"}, {1, "Two"}, {2, "Three"}, {1, "Four"}, {3, "Five"}};
  const char *expected = "Two Four Three One Five";

  work_queue = weft_queue_new_priority(10, by_priority);
  if (!work_queue) return 1;

  /* Create new threads. */
  weft_thread *threads[3];
  for (int i = 0; i < 3; i++) {
    threads[i] = weft_thread_new(run, NULL);
    if (!threads[i] || weft_thread_set_name(threads[i], thread_list[i]) != WEFT_OK ||
        weft_thread_start(threads[i]) != WEFT_OK) {
      printf("FAIL: could not start %s\n", thread_list[i]);
      return 1;
    }
  }

  /* Fill the queue. */
  weft_lock_acquire(&queue_lock, WEFT_FOREVER);
  for (int i = 0; i < 5; i++)
    weft_queue_put(work_queue, (void *)&name_list[i], WEFT_FOREVER);
  weft_lock_release(&queue_lock);

  /* Wait until every item has been processed, then tell the threads. */
  weft_queue_join(work_queue, WEFT_FOREVER);
  weft_event_set(&exit_flag);
  for (int i = 0; i < 3; i++) {
    weft_thread_join(threads[i], WEFT_FOREVER);
    weft_thread_unref(threads[i]);
  }

  char order[64] = "";
  for (int i = 0; i < n_taken; i++) {
    if (i) strcat(order, " ");
    strcat(order, taken[i]);
  }
  printf("processing order: %s\n", order);
  int failed = strcmp(order, expected) != 0;
  if (failed) printf("FAIL: expected %s\n", expected);
  weft_queue_free(work_queue);
  printf("Exiting Main Thread\n");
  return failed;
}
