/* Thread-local data, from the threading tutorial's local section: main and
 * each worker see their own value in one shared local ("No value yet" until
 * they set it). Where the seed picks random values, each worker here picks
 * its own (rand() is not thread-safe) and checks that it still sees that
 * value after the others have set theirs. A destructor frees each value:
 * weft runs it as each worker ends, before join returns; main's value goes
 * when the local is freed.
 *
 *   local_data = threading.local()   weft_local *local_data = weft_local_new(dtor)
 *   local_data.value                 weft_local_get(local_data)  (NULL: AttributeError)
 *   local_data.value = v             weft_local_set(local_data, v) */
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

enum { WORKERS = 4 };

static weft_lock count_lock = WEFT_LOCK_INIT;
static int destroyed;  /* values the destructor freed; under count_lock */
static int mismatches; /* a thread saw a value not its own; under count_lock */
static weft_event all_set = WEFT_EVENT_INIT;
static weft_sem set_count = WEFT_SEM_INIT; /* one unit per worker that has set */

static void free_value(void *value) {
  free(value);
  weft_lock_acquire(&count_lock, WEFT_FOREVER);
  destroyed++;
  weft_lock_release(&count_lock);
}

static void show_value(weft_local *data) {
  char name[32];
  weft_thread_get_name(weft_thread_current(), name, sizeof name);
  const int *value = weft_local_get(data);
  if (!value)
    printf("(%-10s) No value yet\n", name);
  else
    printf("(%-10s) value=%d\n", name, *value);
  fflush(stdout);
}

static void set_value(weft_local *data, int v) {
  int *value = malloc(sizeof *value);
  if (!value) abort();
  *value = v;
  weft_local_set(data, value);
}

static void check_value(weft_local *data, int v) {
  const int *value = weft_local_get(data);
  if (!value || *value != v) {
    weft_lock_acquire(&count_lock, WEFT_FOREVER);
    mismatches++;
    weft_lock_release(&count_lock);
  }
}

typedef struct job {
  weft_local *data;
  int value;
} job;

static void worker(void *arg) {
  const job *j = arg;
  /* Show local data for this thread before and after change. */
  show_value(j->data);
  set_value(j->data, j->value);
  show_value(j->data);
  weft_sem_release(&set_count, 1);
  weft_event_wait(&all_set, WEFT_FOREVER); /* every worker has set its own */
  check_value(j->data, j->value);
}

int main(void) {
  weft_local *local_data = weft_local_new(free_value);
  if (!local_data) return 1;

  /* Show value in main thread before and after change. */
  show_value(local_data);
  set_value(local_data, 1000);
  show_value(local_data);

  weft_thread *threads[WORKERS];
  job jobs[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    jobs[i] = (job){local_data, 10 * (i + 1)};
    threads[i] = weft_thread_new(worker, &jobs[i]);
    if (!threads[i] || weft_thread_start(threads[i]) != WEFT_OK) {
      printf("FAIL: could not start worker %d\n", i);
      return 1;
    }
  }
  for (int i = 0; i < WORKERS; i++)
    weft_sem_acquire(&set_count, WEFT_FOREVER);
  weft_event_set(&all_set);
  for (int i = 0; i < WORKERS; i++) {
    weft_thread_join(threads[i], WEFT_FOREVER);
    weft_thread_unref(threads[i]);
  }

  /* Destructors of the workers' values have run; main's value is intact. */
  check_value(local_data, 1000);
  weft_lock_acquire(&count_lock, WEFT_FOREVER);
  int at_exit = destroyed, wrong = mismatches;
  weft_lock_release(&count_lock);
  show_value(local_data);

  weft_local_free(local_data); /* frees main's value too */
  weft_lock_acquire(&count_lock, WEFT_FOREVER);
  int at_free = destroyed - at_exit;
  weft_lock_release(&count_lock);

  printf("destructor ran %d times as %d workers ended, %d time at weft_local_free\n", at_exit,
         WORKERS, at_free);
  if (at_exit != WORKERS || at_free != 1 || wrong != 0) {
    printf("FAIL: %d threads saw a value not their own\n", wrong);
    return 1;
  }
  printf("each of %d threads saw only its own value\n", WORKERS + 1);
  return 0;
}
