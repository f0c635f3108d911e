/* The tutorial's RLock tests: only the owner may release a recursive lock
 * (test 01: Python raises RuntimeError, weft returns WEFT_EPERM); another
 * thread's non-blocking acquire fails while it is held (test 02); the owner
 * may acquire it again, and it is free only after as many releases
 * (test 03).
 *
 *   lock = threading.RLock()               weft_rlock lock = WEFT_RLOCK_INIT;
 *   lock.acquire(blocking=False)           weft_rlock_acquire(&lock, 0)
 */
#include <stdio.h>
#include <weft.h>

static void test_01(void *arg) {
  if (weft_rlock_release(arg) == WEFT_EPERM) printf("RLock can be released only by the owner!\n");
}

static void test_02(void *arg) {
  if (weft_rlock_acquire(arg, 0) == WEFT_OK)
    printf("Locked by me\n");
  else
    printf("Already locked by another thread\n");
}

static void run(weft_fn test, weft_rlock *lock) {
  weft_thread *t = weft_thread_new(test, lock);
  weft_thread_start(t);
  weft_thread_join(t, WEFT_FOREVER);
  weft_thread_unref(t);
}

int main(void) {
  printf("@test_01\n");
  weft_rlock lock1 = WEFT_RLOCK_INIT;
  weft_rlock_acquire(&lock1, WEFT_FOREVER);
  run(test_01, &lock1);

  printf("@test_02\n");
  weft_rlock lock2 = WEFT_RLOCK_INIT;
  weft_rlock_acquire(&lock2, WEFT_FOREVER);
  run(test_02, &lock2);

  printf("@test_03\n");
  weft_rlock lock3 = WEFT_RLOCK_INIT;
  for (int i = 0; i < 3; i++) /* lock several times */
    weft_rlock_acquire(&lock3, WEFT_FOREVER);
  weft_rlock_release(&lock3); /* first release: still locked */
  run(test_02, &lock3);
  weft_rlock_release(&lock3); /* second release: still locked */
  run(test_02, &lock3);
  weft_rlock_release(&lock3); /* third release: free */
  run(test_02, &lock3);
  return 0;
}
