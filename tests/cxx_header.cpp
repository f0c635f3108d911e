// weft.h and weft/threads.h as a C++ program sees them. The build compiles
// this file with -Wall -Wextra -Werror -Wzero-as-null-pointer-constant (and
// -Wold-style-cast): every initialiser, at namespace and at block scope,
// and the declarations must pass, then the objects must work.
#include <weft.h>
#include <weft/threads.h>

#include <cstdio>

static weft_lock lock = WEFT_LOCK_INIT;
static weft_rlock rlock = WEFT_RLOCK_INIT;
static weft_cond cond = WEFT_COND_INIT;
static weft_sem sem = WEFT_SEM_INIT;
static weft_event event = WEFT_EVENT_INIT;
static weft_once once = WEFT_ONCE_INIT;
static weft_rwlock rwlock = WEFT_RWLOCK_INIT;
static weft_latch latch = WEFT_LATCH_INIT;
static once_flag c11_once = ONCE_FLAG_INIT;
static int once_runs, c11_once_runs;

extern "C" {
static void count_once(void *arg) {
  ++*static_cast<int *>(arg);
}
static void count_c11_once(void) {
  ++c11_once_runs;
}
static void worker(void *arg) {
  weft_cond *c = static_cast<weft_cond *>(arg);
  weft_cond_acquire(c, WEFT_FOREVER);
  weft_event_set(&event);
  weft_cond_notify_all(c);
  weft_cond_release(c);
  weft_sem_release(&sem, 1);
}
}

int main() {
  weft_cond local = WEFT_COND_INIT; // block scope too
  int fails = 0;
  fails += weft_lock_acquire(&lock, 0) != WEFT_OK;
  fails += weft_lock_release(&lock) != WEFT_OK;
  fails += weft_rlock_acquire(&rlock, 0) != WEFT_OK;
  fails += weft_rlock_release(&rlock) != WEFT_OK;
  fails += weft_call_once(&once, count_once, &once_runs) != WEFT_OK;
  fails += weft_call_once(&once, count_once, &once_runs) != WEFT_OK;
  fails += once_runs != 1;
  fails += weft_rwlock_acquire_shared(&rwlock, 0) != WEFT_OK;
  fails += weft_rwlock_release_shared(&rwlock) != WEFT_OK;
  fails += weft_latch_wait(&latch, 0) != WEFT_OK; // all zero: released
  call_once(&c11_once, count_c11_once);
  call_once(&c11_once, count_c11_once);
  fails += c11_once_runs != 1;
  mtx_t mtx;
  fails += mtx_init(&mtx, mtx_plain) != thrd_success || mtx_lock(&mtx) != thrd_success ||
           mtx_unlock(&mtx) != thrd_success;
  mtx_destroy(&mtx);

  weft_cond *conds[] = {&cond, &local};
  for (weft_cond *c : conds) {
    weft_event_clear(&event);
    weft_cond_acquire(c, WEFT_FOREVER);
    weft_thread *t = weft_thread_new(worker, c);
    fails += t == nullptr || weft_thread_start(t) != WEFT_OK;
    while (!weft_event_is_set(&event)) // the worker notifies once it holds the lock
      fails += weft_cond_wait(c, 10.0) != WEFT_OK && !weft_event_is_set(&event);
    weft_cond_release(c);
    fails += weft_sem_acquire(&sem, 10.0) != WEFT_OK;
    fails += weft_thread_join(t, WEFT_FOREVER) != WEFT_OK;
    weft_thread_unref(t);
  }
  if (fails) {
    std::printf("FAIL: %d checks failed\n", fails);
    return 1;
  }
  std::printf("C++ (%ld): initialisers and calls work (weft %s)\n", static_cast<long>(__cplusplus),
              weft_version());
  return 0;
}
