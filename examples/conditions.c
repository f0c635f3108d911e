/* Conditions, from the threading tutorial's Condition section, grown from
 * "consumers wait, the producer notifies" into a producer/consumer: two
 * consumers wait on one condition for an item, the producer adds items one
 * at a time and wakes one consumer per item, then wakes them all to say it
 * is done. Every item must be consumed exactly once.
 *
 *   condition = threading.Condition()   weft_cond cond = WEFT_COND_INIT (own RLock)
 *   with condition:                     weft_cond_acquire ... weft_cond_release
 *   condition.wait_for(predicate)       weft_cond_wait_for(&cond, pred, arg, timeout)
 *   condition.notify() / notify_all()   weft_cond_notify(&cond, 1) / _notify_all */
#include <stdbool.h>
#include <stdio.h>
#include <weft.h>

enum { ITEMS = 20, CONSUMERS = 2 };

/* Everything below is guarded by the condition's lock. */
static weft_cond cond = WEFT_COND_INIT;
static int stock[ITEMS], n_stock; /* items made, not yet taken */
static bool done;                 /* the producer has no more */
static int consumed[ITEMS];       /* how often each item was taken */

static bool item_or_done(void *arg) {
  (void)arg;
  return n_stock > 0 || done;
}

static void say(const char *message, int item) {
  char name[32];
  weft_thread_get_name(weft_thread_current(), name, sizeof name);
  printf("[INFO]:(%-10s): %s %d\n", name, message, item);
  fflush(stdout);
}

static void consumer(void *arg) {
  int *count = arg;
  for (;;) {
    weft_cond_acquire(&cond, WEFT_FOREVER);
    /* Released while waiting, held again on return. */
    weft_cond_wait_for(&cond, item_or_done, NULL, WEFT_FOREVER);
    if (n_stock == 0) { /* done, and nothing left */
      weft_cond_release(&cond);
      return;
    }
    int item = stock[--n_stock];
    consumed[item]++;
    weft_cond_release(&cond);
    say("Resource is available to consumer: item", item);
    ++*count;
  }
}

static void producer(void *arg) {
  (void)arg;
  for (int item = 0; item < ITEMS; item++) {
    weft_cond_acquire(&cond, WEFT_FOREVER);
    stock[n_stock++] = item;
    weft_cond_notify(&cond, 1); /* one item: wake one consumer */
    weft_cond_release(&cond);
    if (item % 5 == 4) weft_sleep(0.02); /* let the consumers catch up now and then */
  }
  weft_cond_acquire(&cond, WEFT_FOREVER);
  done = true;
  say("Send notification and release resource: done after", ITEMS);
  weft_cond_notify_all(&cond);
  weft_cond_release(&cond);
}

static weft_thread *spawn(const char *name, weft_fn fn, void *arg) {
  weft_thread *t = weft_thread_new(fn, arg);
  if (!t || weft_thread_set_name(t, name) != WEFT_OK || weft_thread_start(t) != WEFT_OK) {
    printf("FAIL: could not start %s\n", name);
    return NULL;
  }
  return t;
}

int main(void) {
  int counts[CONSUMERS] = {0};
  weft_thread *threads[CONSUMERS + 1];
  threads[0] = spawn("c1", consumer, &counts[0]);
  weft_sleep(0.05); /* as in the seed, c1 waits a while alone */
  threads[1] = spawn("c2", consumer, &counts[1]);
  weft_sleep(0.05);
  threads[2] = spawn("p", producer, NULL);
  bool started = threads[0] && threads[1] && threads[2];
  if (!started) { /* let whoever did start finish, so the process can exit */
    weft_cond_acquire(&cond, WEFT_FOREVER);
    done = true;
    weft_cond_notify_all(&cond);
    weft_cond_release(&cond);
  }
  for (int i = 0; i < CONSUMERS + 1; i++) {
    if (!threads[i]) continue;
    weft_thread_join(threads[i], WEFT_FOREVER);
    weft_thread_unref(threads[i]);
  }
  if (!started) return 1;

  int once = 0;
  for (int i = 0; i < ITEMS; i++)
    once += consumed[i] == 1;
  printf("c1 consumed %d, c2 consumed %d\n", counts[0], counts[1]);
  if (once != ITEMS || counts[0] + counts[1] != ITEMS || n_stock != 0) {
    printf("FAIL: %d of %d items consumed exactly once\n", once, ITEMS);
    return 1;
  }
  printf("all %d items consumed exactly once\n", ITEMS);
  return 0;
}
