/* A Barrier (the tutorial names it, "only with versions 3.2+", with no
 * program): three runners meet at a barrier twice; its action runs once per
 * round, after all three have arrived and before any goes on, and each
 * runner gets an index 0-2 unique in its round. Then a lone wait with a
 * timeout breaks it (Python: BrokenBarrierError) until reset.
 *
 *   b = threading.Barrier(3, action=f)     weft_barrier_init(&b, 3, f, arg)
 *   i = b.wait()                           weft_barrier_wait(&b, WEFT_FOREVER, &i)
 *   b.broken, b.reset()                    weft_barrier_broken(&b), weft_barrier_reset(&b)
 */
#include <stdio.h>
#include <weft.h>

#define PARTIES 3
#define ROUNDS 2

static weft_barrier barrier;
static weft_lock lock = WEFT_LOCK_INIT;
static int arrived[ROUNDS], actions, action_saw_all;
static unsigned seen[ROUNDS]; /* bit i: index i was given in that round */

static void all_arrived(void *arg) {
  (void)arg;
  weft_lock_acquire(&lock, WEFT_FOREVER);
  printf("all %d runners arrived: round %d\n", PARTIES, actions + 1);
  action_saw_all += arrived[actions] == PARTIES;
  actions++;
  weft_lock_release(&lock);
}

static void runner(void *arg) {
  (void)arg;
  for (int round = 0; round < ROUNDS; round++) {
    weft_sleep(0.01 * (round + 1));
    weft_lock_acquire(&lock, WEFT_FOREVER);
    arrived[round]++;
    weft_lock_release(&lock);
    unsigned index = 0;
    if (weft_barrier_wait(&barrier, 10.0, &index) != WEFT_OK) return;
    weft_lock_acquire(&lock, WEFT_FOREVER);
    seen[round] |= 1u << index;
    weft_lock_release(&lock);
  }
}

int main(void) {
  weft_barrier_init(&barrier, PARTIES, all_arrived, NULL);
  weft_thread *t[PARTIES];
  for (int i = 0; i < PARTIES; i++) {
    t[i] = weft_thread_new(runner, NULL);
    weft_thread_start(t[i]);
  }
  for (int i = 0; i < PARTIES; i++) {
    weft_thread_join(t[i], WEFT_FOREVER);
    weft_thread_unref(t[i]);
  }
  int lone = weft_barrier_wait(&barrier, 0.05, NULL);
  bool broken = weft_barrier_broken(&barrier);
  int reset = weft_barrier_reset(&barrier);
  printf("a lone wait: %s, broken: %s; after reset broken: %s\n", weft_strerror(lone),
         broken ? "yes" : "no", weft_barrier_broken(&barrier) ? "yes" : "no");

  const unsigned all = (1u << PARTIES) - 1;
  bool indexes = seen[0] == all && seen[1] == all;
  if (actions != ROUNDS || action_saw_all != ROUNDS || !indexes || lone != WEFT_TIMEOUT ||
      !broken || reset != WEFT_OK || weft_barrier_broken(&barrier)) {
    printf("FAIL: %d actions (%d after all arrived), indexes %s\n", actions, action_saw_all,
           indexes ? "ok" : "wrong");
    return 1;
  }
  printf("%d rounds: the action ran once each, after all %d arrived; indexes 0-%d each round\n",
         ROUNDS, PARTIES, PARTIES - 1);
  return 0;
}
