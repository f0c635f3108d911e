/* The tutorial's Lock tests: a lock is not owned, so another thread may
 * release it (test 01); a non-blocking acquire of a held lock fails at once
 * (test 02: acquire(0), Python's acquire(blocking=False)).
 *
 *   lock.acquire()                         weft_lock_acquire(&lock, WEFT_FOREVER) == WEFT_OK
 *   lock.acquire(0)                        weft_lock_acquire(&lock, 0) == WEFT_OK (else
 * WEFT_TIMEOUT) lock.release(); lock.locked()          weft_lock_release(&lock);
 * weft_lock_locked(&lock)
 */
#include <stdio.h>
#include <weft.h>

static const char *py(bool b) {
  return b ? "True" : "False";
}

static void test_01(void *arg) {
  weft_lock *lock = arg;
  weft_lock_release(lock);
  printf("%s\n", py(weft_lock_locked(lock)));
}

static void test_02(void *arg) {
  weft_lock *lock = arg;
  int result = weft_lock_acquire(lock, 0);
  printf("%s\n", py(result == WEFT_OK));
}

static void run(weft_fn test, weft_lock *lock) {
  weft_thread *t = weft_thread_new(test, lock);
  weft_thread_start(t);
  weft_thread_join(t, WEFT_FOREVER);
  weft_thread_unref(t);
}

int main(void) {
  printf("@test_01 : Another thread releases the lock\n");
  weft_lock lock = WEFT_LOCK_INIT;
  printf("%s\n", py(weft_lock_acquire(&lock, WEFT_FOREVER) == WEFT_OK));
  run(test_01, &lock);

  printf("@test_02 : Another thread tries to acquire the lock\n");
  weft_lock lock2 = WEFT_LOCK_INIT;
  printf("%s\n", py(weft_lock_acquire(&lock2, WEFT_FOREVER) == WEFT_OK));
  run(test_02, &lock2);
  return 0;
}
