/* Timers, from the threading tutorial's Timer section: "a Timer starts its
 * work after a delay, and can be canceled at any point within that delay".
 * One timer is left to fire ("Reset"); a second is cancelled before its
 * delay is up and never runs. Main ticks meanwhile, as the seed does.
 *
 *   t = threading.Timer(interval, function)   weft_timer_new(interval, fn, arg)
 *   t.start() / t.cancel() / t.join()         weft_timer_start / _cancel / _join
 *
 * The callbacks run on weft's timer workers, not on a thread per timer. */
#include <stdio.h>
#include <weft.h>

typedef struct shot {
  const char *name;
  double started; /* weft_monotonic() at start */
  double fired;   /* seconds after start; written before the timer finishes */
  int calls;
} shot;

static void reset(void *arg) {
  shot *s = arg;
  s->fired = weft_monotonic() - s->started;
  s->calls++;
  printf("%s: Reset\n", s->name);
  fflush(stdout);
}

int main(void) {
  shot fires = {"fires", 0, 0, 0}, cancelled = {"cancelled", 0, 0, 0};
  const double fire_after = 0.2, cancel_after = 0.4;

  printf("Test start\n");
  weft_timer *t1 = weft_timer_new(fire_after, reset, &fires);
  weft_timer *t2 = weft_timer_new(cancel_after, reset, &cancelled);
  if (!t1 || !t2) return 1;
  fires.started = weft_monotonic();
  weft_timer_start(t1);
  cancelled.started = weft_monotonic();
  weft_timer_start(t2);

  /* Cancel the second well inside its delay: WEFT_OK means "it will not run". */
  weft_sleep(0.05);
  int cancel_pending = weft_timer_cancel(t2);
  printf("cancel(%s) while pending: %s\n", cancelled.name, weft_strerror(cancel_pending));

  /* Tick past both deadlines, like the seed's loop of logging.info("."). */
  for (int i = 0; i < 6; i++) {
    printf(".\n");
    fflush(stdout);
    weft_sleep(0.1);
  }

  /* join returns once the timer is finished: called, or cancelled. */
  int join1 = weft_timer_join(t1, 5.0), join2 = weft_timer_join(t2, 5.0);
  int cancel_late = weft_timer_cancel(t1); /* too late: it has run */
  printf("join: %s, %s; cancel(%s) after it ran: %s\n", weft_strerror(join1), weft_strerror(join2),
         fires.name, weft_strerror(cancel_late));
  weft_timer_unref(t1);
  weft_timer_unref(t2);

  if (join1 != WEFT_OK || join2 != WEFT_OK || cancel_pending != WEFT_OK ||
      cancel_late != WEFT_ESTATE || fires.calls != 1 || cancelled.calls != 0 ||
      fires.fired < fire_after) {
    printf("FAIL: %s called %d times (%.3f s after start), %s called %d times\n", fires.name,
           fires.calls, fires.fired, cancelled.name, cancelled.calls);
    return 1;
  }
  printf("%s fired once, not before %.1f s; %s never fired\n", fires.name, fire_after,
         cancelled.name);
  return 0;
}
