/* The tutorial's synchronised threads: two myThreads each take threadLock
 * around print_time, so one prints its three lines, then the other; never
 * mixed. The program records who printed each line to check it.
 *
 *   threadLock = threading.Lock()          static weft_lock thread_lock = WEFT_LOCK_INIT;
 *   threadLock.acquire() / .release()      weft_lock_acquire(&thread_lock, WEFT_FOREVER) / _release
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <weft.h>

typedef struct my_thread {
  int thread_id;
  const char *name;
  double counter; /* the seed passes it as print_time's delay */
} my_thread;

static weft_lock thread_lock = WEFT_LOCK_INIT;
static int order[6], n_lines; /* thread ids in the order they printed */

static void print_time(const my_thread *t, double delay, int counter) {
  while (counter) {
    weft_sleep(delay);
    time_t now = time(NULL);
    printf("%s: %s", t->name, ctime(&now)); /* ctime is safe here: under the lock */
    if (n_lines < 6) order[n_lines++] = t->thread_id;
    counter--;
  }
}

static void run(void *arg) {
  const my_thread *t = arg;
  printf("Starting %s\n", t->name);
  weft_lock_acquire(&thread_lock, WEFT_FOREVER); /* get lock to synchronise threads */
  print_time(t, t->counter, 3);
  weft_lock_release(&thread_lock); /* free lock to release next thread */
}

int main(void) {
  static my_thread data[2] = {{1, "Thread-1", 0.01}, {2, "Thread-2", 0.02}};
  weft_thread *threads[2];
  for (int i = 0; i < 2; i++) {
    threads[i] = weft_thread_new(run, &data[i]);
    if (!threads[i]) return 1;
    weft_thread_set_name(threads[i], data[i].name);
  }
  for (int i = 0; i < 2; i++)
    weft_thread_start(threads[i]);
  for (int i = 0; i < 2; i++) {
    weft_thread_join(threads[i], WEFT_FOREVER);
    weft_thread_unref(threads[i]);
  }
  printf("Exiting Main Thread\n");
  int together = n_lines == 6 && order[0] == order[1] && order[1] == order[2] &&
                 order[3] == order[4] && order[4] == order[5] && order[0] != order[3];
  if (!together) {
    printf("FAIL: the two threads' lines were mixed\n");
    return 1;
  }
  printf("each thread printed its 3 lines together\n");
  return 0;
}
