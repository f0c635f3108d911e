/* The tutorial's daemon that is left behind: main says "Leaving." and the
 * program ends at once, while the daemon still sleeps. The seed calls
 * setDaemon(True) inside run(), which Python refuses once a thread runs
 * (RuntimeError); weft refuses it too (WEFT_ESTATE), so the flag is set
 * before start, as it has to be.
 *
 *   t.daemon = True; t.start()             weft_thread_set_daemon(t, true); weft_thread_start(t)
 */
#include <stdio.h>
#include <weft.h>

static weft_event tried = WEFT_EVENT_INIT;

static void daemon_thread(void *arg) {
  int *late = arg;
  *late = weft_thread_set_daemon(weft_thread_current(), true);
  weft_event_set(&tried);
  weft_sleep(30.0); /* the seed's time.sleep(10); the test gives up long before */
  printf("FAIL: the process waited for its daemon\n");
}

int main(void) {
  int late = -1;
  weft_thread *t = weft_thread_new(daemon_thread, &late);
  if (!t) return 1;
  weft_thread_set_daemon(t, true);
  weft_thread_start(t);
  weft_event_wait(&tried, 10.0);
  printf("set_daemon from its own run(): %s (Python: RuntimeError)\n", weft_strerror(late));
  if (late != WEFT_ESTATE) printf("FAIL: expected WEFT_ESTATE\n");
  weft_thread_unref(t);
  printf("Leaving.\n");
  return 0; /* exit does not wait for daemon threads */
}
