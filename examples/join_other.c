/* The tutorial's join: ThreadTwo waits for ThreadOne, not main. Whatever
 * order the two start in, Thread-2 can only end after Thread-1 has.
 *
 *   thingOne.join()   (in ThreadTwo.run)   weft_thread_join(thing_one, WEFT_FOREVER)
 */
#include <stdio.h>
#include <weft.h>

static weft_thread *thing_one;

static void say(const char *what) {
  char name[32];
  weft_thread_get_name(weft_thread_current(), name, sizeof name);
  printf("Thread %s %s.\n", name, what);
}

static void thread_one(void *arg) {
  (void)arg;
  say("started");
  weft_sleep(0.3); /* the seed's time.sleep(5), shorter */
  say("ended");
}

static void thread_two(void *arg) {
  int *status = arg;
  say("started");
  *status = weft_thread_join(thing_one, WEFT_FOREVER);
  say("ended");
}

int main(void) {
  int status = -1;
  thing_one = weft_thread_new(thread_one, NULL);
  weft_thread *thing_two = weft_thread_new(thread_two, &status);
  if (!thing_one || !thing_two) return 1;
  weft_thread_start(thing_one);
  weft_thread_start(thing_two);
  weft_thread_join(thing_two, WEFT_FOREVER);
  if (status != WEFT_OK || weft_thread_is_alive(thing_one)) {
    printf("FAIL: Thread-2's join of Thread-1: %s\n", weft_strerror(status));
    return 1;
  }
  weft_thread_unref(thing_one);
  weft_thread_unref(thing_two);
  return 0;
}
