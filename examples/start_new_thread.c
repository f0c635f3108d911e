/* The tutorial's _thread.start_new_thread: print_time runs in two threads
 * that nobody holds a handle to, printing the time five times each, at
 * their own pace. Such threads are daemons (the seed keeps main alive with
 * `while 1: pass`); here main waits on a semaphore they release when done.
 *
 *   thread.start_new_thread(print_time, ("Thread-1", 2))
 *                                          weft_start_new_thread(print_time, &job)
 */
#include <stdio.h>
#include <time.h>
#include <weft.h>

typedef struct job {
  const char *name;
  double delay;
  int printed;
  bool daemon;
} job;

static weft_lock print_lock = WEFT_LOCK_INIT; /* ctime's buffer is shared */
static weft_sem finished = WEFT_SEM_INIT;

static void print_time(void *arg) {
  job *j = arg;
  j->daemon = weft_thread_daemon(weft_thread_current());
  int count = 0;
  while (count < 5) {
    weft_sleep(j->delay);
    count++;
    time_t now = time(NULL);
    weft_lock_acquire(&print_lock, WEFT_FOREVER);
    printf("%s: %s", j->name, ctime(&now)); /* ctime's text ends in \n */
    j->printed++;
    weft_lock_release(&print_lock);
  }
  weft_sem_release(&finished, 1);
}

int main(void) {
  static job jobs[2] = {{"Thread-1", 0.02, 0, false}, {"Thread-2", 0.04, 0, false}};
  int started = 0;
  for (int i = 0; i < 2; i++) {
    if (weft_start_new_thread(print_time, &jobs[i]) == WEFT_OK)
      started++;
    else
      printf("Error: unable to start thread\n");
  }
  for (int i = 0; i < started; i++)
    weft_sem_acquire(&finished, 30.0);
  for (int i = 0; i < 2; i++) {
    if (jobs[i].printed != 5 || !jobs[i].daemon) {
      printf("FAIL: %s printed %d times, daemon %d\n", jobs[i].name, jobs[i].printed,
             jobs[i].daemon);
      return 1;
    }
  }
  printf("%s and %s printed 5 times each, both daemon threads\n", jobs[0].name, jobs[1].name);
  return 0;
}
