/* Compiled with clang -Wthread-safety -Werror: correct use of weft's locks
 * raises nothing (the misuse next door must). */
#include <weft.h>

static weft_lock lock = WEFT_LOCK_INIT;
static weft_rwlock table = WEFT_RWLOCK_INIT;
static weft_cond ready = WEFT_COND_INIT;
static long balance WEFT_GUARDED_BY(lock);
static long rows WEFT_GUARDED_BY(table);
static int turn WEFT_GUARDED_BY(ready);

long deposit(long amount) {
  if (weft_lock_acquire(&lock, WEFT_FOREVER) != WEFT_OK) return -1;
  balance += amount;
  long now = balance;
  weft_lock_release(&lock);
  return now;
}

long count_rows(void) {
  if (weft_rwlock_acquire_shared(&table, 1.0) != WEFT_OK) return -1;
  long n = rows;
  weft_rwlock_release_shared(&table);
  return n;
}

void add_row(void) {
  if (weft_rwlock_acquire_exclusive(&table, WEFT_FOREVER) != WEFT_OK) return;
  rows++;
  weft_rwlock_release_exclusive(&table);
}

void wait_turn(int mine) {
  if (weft_cond_acquire(&ready, WEFT_FOREVER) != WEFT_OK) return;
  while (turn != mine)
    weft_cond_wait(&ready, WEFT_FOREVER);
  turn++;
  weft_cond_notify_all(&ready);
  weft_cond_release(&ready);
}
