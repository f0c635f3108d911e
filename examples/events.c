/* Events, from the threading tutorial's Event section: a worker blocks on a
 * "start" event until main sets it, works while it stays set, and stops
 * once main clears it. Before that, the worker shows a wait with a timeout
 * running out, and tells main so through a second event.
 *
 *   start = threading.Event()       weft_event start = WEFT_EVENT_INIT
 *   start.wait(timeout)             weft_event_wait(&start, timeout)
 *     (True / False)                  (WEFT_OK / WEFT_TIMEOUT)
 *   start.set() / clear() / is_set()  weft_event_set / _clear / _is_set */
#include <stdio.h>
#include <weft.h>

static weft_event start = WEFT_EVENT_INIT;
static weft_event timed_out = WEFT_EVENT_INIT; /* the worker's first wait is over */
static int first_wait, second_wait, rounds;    /* read by main after join */
static double first_waited;

static void say(const char *message) {
  char name[32];
  weft_thread_get_name(weft_thread_current(), name, sizeof name);
  printf("[INFO]:(%-10s): %s\n", name, message);
  fflush(stdout);
}

static void worker(void *arg) {
  (void)arg;
  /* Nobody sets start before timed_out is set, so this wait times out. */
  double t0 = weft_monotonic();
  first_wait = weft_event_wait(&start, 0.1);
  first_waited = weft_monotonic() - t0;
  say(first_wait == WEFT_TIMEOUT ? "wait(0.1): timed out" : "wait(0.1): set?");
  weft_event_set(&timed_out);

  second_wait = weft_event_wait(&start, WEFT_FOREVER); /* timeout=None */
  if (second_wait != WEFT_OK) return;
  say("Start");
  while (weft_event_is_set(&start)) {
    say("Working...");
    rounds++;
    weft_sleep(0.1);
  }
  say("End");
}

int main(void) {
  weft_thread *t = weft_thread_new(worker, NULL);
  if (!t || weft_thread_set_name(t, "worker") != WEFT_OK || weft_thread_start(t) != WEFT_OK) {
    printf("FAIL: could not start the worker\n");
    return 1;
  }

  weft_event_wait(&timed_out, WEFT_FOREVER);
  for (int i = 0; i < 3; i++) {
    say(".");
    weft_sleep(0.1);
  }

  weft_event_set(&start);
  weft_sleep(0.3);
  weft_event_clear(&start);
  int after_clear = weft_event_wait(&start, 0); /* timeout 0 never blocks */
  weft_thread_join(t, WEFT_FOREVER);
  weft_thread_unref(t);

  printf("first wait: %s after %.2f s; second wait: %s; %d rounds of work; "
         "wait(0) after clear: %s\n",
         weft_strerror(first_wait), first_waited, weft_strerror(second_wait), rounds,
         weft_strerror(after_clear));
  if (first_wait != WEFT_TIMEOUT || first_waited < 0.1 || second_wait != WEFT_OK ||
      after_clear != WEFT_TIMEOUT || weft_event_is_set(&start)) {
    printf("FAIL: the event did not behave like threading.Event\n");
    return 1;
  }
  printf("the worker waited for the event, worked while set and stopped when cleared\n");
  return 0;
}
