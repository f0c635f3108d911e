/* The banking scenario (bank_account.c) with two accounts and transfers
 * between them, each account with its own lock. The natural code locks the
 * account money leaves, then the one it goes to: a transfer from A to B
 * and one from B to A at the same moment take the two locks in opposite
 * orders and can deadlock.
 *
 * With lock-order checking on, weft reports that inversion the first time
 * both orders have been seen, even though here the two transfers run one
 * after the other and never deadlock. The fix, locking the accounts in one
 * fixed order (by number), makes the checker silent.
 *
 *   (no Python equivalent)   weft_set_debug(WEFT_DEBUG_LOCK_ORDER, 0),
 *                            or WEFT_DEBUG=lock-order in the environment */
#include <stdio.h>
#include <string.h>
#include <weft.h>

enum { ROUNDS = 1000 };

typedef struct account {
  int number;
  weft_lock lock;
  long balance; /* guarded by lock */
} account;

typedef struct transfer {
  account *from, *to;
  long amount;
  bool ordered; /* lock by account number, not by direction */
} transfer;

static void move(transfer *t) {
  account *first = t->from, *second = t->to;
  if (t->ordered && second->number < first->number) {
    first = t->to;
    second = t->from;
  }
  weft_lock_acquire(&first->lock, WEFT_FOREVER);
  weft_lock_acquire(&second->lock, WEFT_FOREVER);
  t->from->balance -= t->amount;
  t->to->balance += t->amount;
  weft_lock_release(&second->lock);
  weft_lock_release(&first->lock);
}

static void clerk(void *arg) {
  for (int i = 0; i < ROUNDS; i++)
    move(arg);
}

/* Reports go here, so that main can tell whether one came. */
static char reports[4096];
static size_t reports_len;

static void keep(const char *text, size_t len, void *arg) {
  (void)arg;
  fwrite(text, 1, len, stdout);
  if (reports_len + len < sizeof reports) {
    memcpy(reports + reports_len, text, len);
    reports_len += len;
    reports[reports_len] = '\0';
  }
}

/* One transfer each way, one clerk after the other (so never a deadlock). */
static bool run(account *a, account *b, bool ordered) {
  transfer there = {a, b, 7, ordered}, back = {b, a, 5, ordered};
  transfer *jobs[2] = {&there, &back};
  for (int i = 0; i < 2; i++) {
    weft_thread *t = weft_thread_new(clerk, jobs[i]);
    if (!t || weft_thread_start(t) != WEFT_OK) return false;
    weft_thread_join(t, WEFT_FOREVER);
    weft_thread_unref(t);
  }
  return true;
}

int main(void) {
  weft_set_report(keep, NULL);
  weft_set_debug(WEFT_DEBUG_LOCK_ORDER, 0);
  account a = {1, WEFT_LOCK_INIT, 1000}, b = {2, WEFT_LOCK_INIT, 1000};
  weft_debug_name(&a.lock, "account 1");
  weft_debug_name(&b.lock, "account 2");

  puts("transfers that lock the paying account first:");
  if (!run(&a, &b, false)) return 1;
  bool reported = strstr(reports, "potential deadlock") != NULL;
  printf("lock order checker: %s\n", reported ? "reported the inversion" : "said nothing");

  /* The fix, on two more accounts. */
  account c = {1, WEFT_LOCK_INIT, 1000}, d = {2, WEFT_LOCK_INIT, 1000};
  size_t before = reports_len;
  puts("transfers that lock the lower account number first:");
  if (!run(&c, &d, true)) return 1;
  bool quiet = reports_len == before;
  printf("lock order checker: %s\n", quiet ? "no report" : "reported again");

  long total = a.balance + b.balance + c.balance + d.balance;
  printf("balances %ld %ld %ld %ld, total %ld (expected 4000)\n", a.balance, b.balance, c.balance,
         d.balance, total);
  if (!reported || !quiet || total != 4000 || a.balance != 1000 + ROUNDS * (5 - 7)) {
    puts("FAIL: the checker or the balances are wrong");
    return 1;
  }
  puts("the inversion was reported without deadlocking; the ordered version is quiet");
  return 0;
}
