/* The threading tutorial's first programs: the simplest thread (its run()
 * prints two lines; it is started and left to run) and a group of 20, each
 * saying its number. The seed's group shares `theVar` with no lock, so two
 * threads could say the same number; here a lock makes each number said
 * once.
 *
 *   class MyThread(threading.Thread):          static void run(void *arg)
 *       def run(self): ...
 *   MyThread().start()                         weft_thread_start(weft_thread_new(run, NULL))
 *
 * Nobody joins the simplest thread: as in Python, the process waits for it
 * (it is not a daemon) before it exits. */
#include <stdio.h>
#include <weft.h>

#define GROUP 20

static void simplest(void *arg) {
  (void)arg;
  printf("You called my start method, yeah.\n");
  printf("Were you expecting something amazing?\n");
}

static weft_lock the_var_lock = WEFT_LOCK_INIT;
static int the_var = 1;
static int said[GROUP + 1];

static void speak(void *arg) {
  (void)arg;
  weft_lock_acquire(&the_var_lock, WEFT_FOREVER);
  printf("This is thread %d speaking.\n", the_var);
  printf("Hello and good bye.\n");
  if (the_var <= GROUP) said[the_var]++;
  the_var = the_var + 1;
  weft_lock_release(&the_var_lock);
}

int main(void) {
  weft_thread *t = weft_thread_new(simplest, NULL);
  if (!t || weft_thread_start(t) != WEFT_OK) return 1;
  weft_thread_unref(t); /* our handle only: the thread runs on */

  weft_thread *group[GROUP];
  for (int x = 0; x < GROUP; x++) {
    group[x] = weft_thread_new(speak, NULL);
    if (!group[x] || weft_thread_start(group[x]) != WEFT_OK) return 1;
  }
  for (int x = 0; x < GROUP; x++) {
    weft_thread_join(group[x], WEFT_FOREVER);
    weft_thread_unref(group[x]);
  }
  for (int n = 1; n <= GROUP; n++) {
    if (said[n] != 1) {
      printf("FAIL: number %d was said %d times\n", n, said[n]);
      return 1;
    }
  }
  printf("%d threads spoke, numbers 1 to %d once each\n", GROUP, GROUP);
  return 0;
}
