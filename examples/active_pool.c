/* The semaphore "active pool" from the threading tutorial's Semaphore
 * section: six workers want to run, a semaphore lets at most two of them
 * work at once, and an ActivePool (a list under a lock) shows who is running.
 * Unlike the seed, main joins the workers and checks what the pool saw.
 *
 *   s = threading.BoundedSemaphore(2)   weft_sem_init_bounded(&slots, LIMIT)
 *   s.acquire() / s.release()           weft_sem_acquire / weft_sem_release
 *   with self.lock:                     weft_lock_acquire ... weft_lock_release */
#include <stdio.h>
#include <string.h>
#include <weft.h>

enum { LIMIT = 2, WORKERS = 6 };

/* The pool: who is active now, and the most that ever were at once. */
static weft_lock pool_lock = WEFT_LOCK_INIT;
static const char *active[WORKERS]; /* guarded by pool_lock */
static int n_active, max_active;

/* "(2 ) Running: ['0', '2']", like the seed's logging line. */
static void show_running(const char *name) {
  printf("(%-2s) Running: [", name);
  for (int i = 0; i < n_active; i++)
    printf("%s'%s'", i ? ", " : "", active[i]);
  printf("]\n");
  fflush(stdout);
}

static void make_active(const char *name) {
  weft_lock_acquire(&pool_lock, WEFT_FOREVER);
  active[n_active++] = name;
  if (n_active > max_active) max_active = n_active;
  show_running(name);
  weft_lock_release(&pool_lock);
}

static void make_inactive(const char *name) {
  weft_lock_acquire(&pool_lock, WEFT_FOREVER);
  for (int i = 0; i < n_active; i++) {
    if (active[i] == name) {
      active[i] = active[--n_active];
      break;
    }
  }
  show_running(name);
  weft_lock_release(&pool_lock);
}

static void worker(void *arg) {
  weft_sem *slots = arg;
  /* The name is stable: nobody renames a started worker. */
  const char *name = weft_thread_name(weft_thread_current());
  weft_sem_acquire(slots, WEFT_FOREVER); /* wait to join the pool */
  make_active(name);
  weft_sleep(0.1);
  make_inactive(name);
  weft_sem_release(slots, 1);
}

int main(void) {
  weft_sem slots;
  weft_sem_init_bounded(&slots, LIMIT); /* at most LIMIT workers at a time */

  weft_thread *threads[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    char name[8];
    snprintf(name, sizeof name, "%d", i);
    threads[i] = weft_thread_new(worker, &slots);
    if (!threads[i] || weft_thread_set_name(threads[i], name) != WEFT_OK ||
        weft_thread_start(threads[i]) != WEFT_OK) {
      printf("FAIL: could not start worker %s\n", name);
      return 1;
    }
  }
  for (int i = 0; i < WORKERS; i++) {
    weft_thread_join(threads[i], WEFT_FOREVER);
    weft_thread_unref(threads[i]);
  }

  /* A bounded semaphore refuses to go past its initial value, as
   * BoundedSemaphore raises ValueError. */
  int over = weft_sem_release(&slots, 1);
  printf("release past the bound: %s; value %u\n", weft_strerror(over), weft_sem_value(&slots));

  if (max_active < 1 || max_active > LIMIT || n_active != 0 || over != WEFT_EOVERFLOW ||
      weft_sem_value(&slots) != LIMIT) {
    printf("FAIL: observed %d active at once (limit %d), %d left active\n", max_active, LIMIT,
           n_active);
    return 1;
  }
  printf("%d workers ran, at most %d active at once (limit %d)\n", WORKERS, max_active, LIMIT);
  return 0;
}
