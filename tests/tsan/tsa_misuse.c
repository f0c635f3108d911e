/* Compiled with clang -Wthread-safety -Werror: must fail, naming the data
 * written without its lock. */
#include <weft.h>

static weft_lock lock = WEFT_LOCK_INIT;
static long balance WEFT_GUARDED_BY(lock);

long deposit(long amount) {
  balance += amount; /* no lock */
  return balance;
}
