/* The tutorial's named threads: Cazaril, Ista, and one left with its
 * default name, which (as in Python) is Thread-N, N counting the threads
 * created in the process: the third is Thread-3.
 *
 *   cazaril = TestThread()                 weft_thread *cazaril = weft_thread_new(run, NULL);
 *   cazaril.setName('Cazaril')             weft_thread_set_name(cazaril, "Cazaril");
 *   self.getName()                         weft_thread_name(weft_thread_current())
 */
#include <stdio.h>
#include <string.h>
#include <weft.h>

static void test_thread(void *arg) {
  (void)arg;
  char name[64];
  weft_thread_get_name(weft_thread_current(), name, sizeof name);
  printf("Hello, my name is %s\n", name);
}

static weft_thread *start(const char *name) {
  weft_thread *t = weft_thread_new(test_thread, NULL);
  if (t && name) weft_thread_set_name(t, name);
  if (t) weft_thread_start(t);
  return t;
}

int main(void) {
  weft_thread *threads[3] = {start("Cazaril"), start("Ista"), start(NULL)};
  const char *expected[3] = {"Cazaril", "Ista", "Thread-3"};
  int ok = 1;
  for (int i = 0; i < 3; i++) {
    if (!threads[i]) return 1;
    weft_thread_join(threads[i], WEFT_FOREVER);
    if (strcmp(weft_thread_name(threads[i]), expected[i]) != 0) {
      printf("FAIL: thread %d is named %s, expected %s\n", i + 1, weft_thread_name(threads[i]),
             expected[i]);
      ok = 0;
    }
  }
  if (ok)
    printf("names: %s, %s and the default %s\n", weft_thread_name(threads[0]),
           weft_thread_name(threads[1]), weft_thread_name(threads[2]));
  for (int i = 0; i < 3; i++)
    weft_thread_unref(threads[i]);
  return ok ? 0 : 1;
}
