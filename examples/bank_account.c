/* The banking scenario from the threading tutorial (its "Banking Scenario
 * with threading" section names threading_bankexample_15.py without showing
 * it, so this is the scenario, not a line-by-line port): several customers
 * share one account and deposit and withdraw at the same time. A lock makes
 * each read-modify-write of the balance whole, so the final balance is
 * exact; a withdrawal larger than the balance is refused.
 *
 *   self.lock = threading.Lock()   weft_lock lock = WEFT_LOCK_INIT
 *   with self.lock:                weft_lock_acquire ... weft_lock_release */
#include <stdbool.h>
#include <stdio.h>
#include <weft.h>

enum { CUSTOMERS = 4, ROUNDS = 2000, OPENING = 100 };

typedef struct account {
  weft_lock lock;
  long balance;      /* guarded by lock */
  long transactions; /* guarded by lock */
} account;

static void deposit(account *a, long amount) {
  weft_lock_acquire(&a->lock, WEFT_FOREVER);
  a->balance += amount;
  a->transactions++;
  weft_lock_release(&a->lock);
}

/* Refuse to overdraw: the check and the update happen under one lock. */
static bool withdraw(account *a, long amount) {
  weft_lock_acquire(&a->lock, WEFT_FOREVER);
  bool ok = a->balance >= amount;
  if (ok) {
    a->balance -= amount;
    a->transactions++;
  }
  weft_lock_release(&a->lock);
  return ok;
}

typedef struct customer {
  account *account;
  long amount;    /* what this customer moves each round */
  long refused;   /* withdrawals refused; read by main after join */
  long deposited; /* net money this customer left in the account */
} customer;

/* Each round pays in twice and takes out once, so the customer never asks
 * for money it has not put in: no withdrawal should be refused. */
static void banking(void *arg) {
  customer *c = arg;
  for (int i = 0; i < ROUNDS; i++) {
    deposit(c->account, c->amount);
    deposit(c->account, c->amount);
    if (withdraw(c->account, c->amount))
      c->deposited += c->amount;
    else
      c->refused++;
  }
}

int main(void) {
  account acct = {WEFT_LOCK_INIT, OPENING, 0};
  customer customers[CUSTOMERS];
  weft_thread *threads[CUSTOMERS];
  long expected = OPENING;

  for (int i = 0; i < CUSTOMERS; i++) {
    customers[i] = (customer){&acct, 10 * (i + 1), 0, 0};
    expected += (long)ROUNDS * customers[i].amount;
    threads[i] = weft_thread_new(banking, &customers[i]);
    if (!threads[i] || weft_thread_start(threads[i]) != WEFT_OK) {
      printf("FAIL: could not start customer %d\n", i + 1);
      return 1;
    }
  }
  long refused = 0;
  for (int i = 0; i < CUSTOMERS; i++) {
    weft_thread_join(threads[i], WEFT_FOREVER);
    weft_thread_unref(threads[i]);
    printf("customer %d: moved %ld a time, left %ld in the account\n", i + 1, customers[i].amount,
           customers[i].deposited);
    refused += customers[i].refused;
  }

  /* Overdraw on purpose: refused, balance unchanged. */
  bool overdrawn = withdraw(&acct, acct.balance + 1);
  printf("withdraw more than the balance: %s\n", overdrawn ? "allowed" : "refused");

  printf("balance %ld after %ld transactions (expected %ld)\n", acct.balance, acct.transactions,
         expected);
  if (acct.balance != expected || refused != 0 || overdrawn ||
      acct.transactions != (long)CUSTOMERS * ROUNDS * 3) {
    printf("FAIL: balance %ld, expected %ld; %ld withdrawals refused\n", acct.balance, expected,
           refused);
    return 1;
  }
  printf("final balance exact: %ld\n", acct.balance);
  return 0;
}
