/* A deadlock on purpose, and the dump that shows it: two tellers each take
 * one lock, then wait for the other's. Neither can go on; the main thread,
 * which takes no part, calls weft_dump and reads what every thread waits
 * on: each teller waits on the lock the other holds.
 *
 * The program is the disposable process the deadlock lives in: the tellers
 * are daemon threads, so they end with it (on every backend; no fork).
 * Held-lock tracking (weft_set_debug with lock order) adds who holds each
 * lock to the dump; its lock-order check also says, before the deadlock
 * happens, that it could, and we let it report that too.
 *
 *   faulthandler.dump_traceback()    weft_dump(write, arg), weft_dump_stderr()
 *   (lock names)                     weft_debug_name(&lock, "accounts") */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <weft.h>

static weft_lock accounts = WEFT_LOCK_INIT, ledger = WEFT_LOCK_INIT;
static atomic_int holding;

typedef struct teller {
  weft_lock *first, *second;
} teller;

static void work(void *arg) {
  teller *t = arg;
  weft_lock_acquire(t->first, WEFT_FOREVER);
  atomic_fetch_add(&holding, 1);
  while (atomic_load(&holding) < 2) /* until both hold their first lock */
    weft_sleep(0.001);
  weft_lock_acquire(t->second, WEFT_FOREVER); /* the other teller holds it: for ever */
  puts("FAIL: a teller got both locks");
}

/* The dump, kept in memory (it is written in pieces). */
static char dump[1 << 14];
static size_t dump_len;

static void keep(const char *text, size_t len, void *arg) {
  (void)arg;
  if (dump_len + len < sizeof dump) {
    memcpy(dump + dump_len, text, len);
    dump_len += len;
    dump[dump_len] = '\0';
  }
}

static void report(const char *text, size_t len, void *arg) {
  (void)arg;
  fwrite(text, 1, len, stdout);
}

/* Both tellers parked, each on the other's lock. */
static bool both_stuck(void) {
  dump_len = 0;
  dump[0] = '\0';
  weft_dump(keep, NULL);
  return strstr(dump, "on lock \"ledger\"") && strstr(dump, "on lock \"accounts\"");
}

int main(void) {
  weft_set_report(report, NULL);
  weft_set_debug(WEFT_DEBUG_LOCK_ORDER, 0);
  weft_debug_name(&accounts, "accounts");
  weft_debug_name(&ledger, "ledger");
  static teller tellers[2] = {{&accounts, &ledger}, {&ledger, &accounts}};
  const char *names[2] = {"teller-1", "teller-2"};
  for (int i = 0; i < 2; i++) {
    weft_thread *t = weft_thread_new(work, &tellers[i]);
    if (!t || weft_thread_set_name(t, names[i]) != WEFT_OK ||
        weft_thread_set_daemon(t, true) != WEFT_OK || weft_thread_start(t) != WEFT_OK) {
      puts("FAIL: could not start a teller");
      return 1;
    }
    weft_thread_unref(t);
  }
  double t0 = weft_monotonic();
  while (!both_stuck()) {
    if (weft_monotonic() - t0 > 30) {
      printf("FAIL: the tellers never deadlocked:\n%s", dump);
      return 1;
    }
    weft_sleep(0.01);
  }
  fputs(dump, stdout);
  /* Each teller's block: it waits on one lock, held by the other, and
   * holds the other lock. */
  const char *one = strstr(dump, "thread \"teller-1\"");
  const char *two = strstr(dump, "thread \"teller-2\"");
  if (!one || !two || !strstr(one, "on lock \"ledger\"") ||
      !strstr(dump, ", held by \"teller-2\"") || !strstr(dump, ", held by \"teller-1\"")) {
    puts("FAIL: the dump does not name both tellers and their locks");
    return 1;
  }
  puts("the dump names both deadlocked tellers, the locks they wait on and who holds them");
  return 0; /* the tellers are daemons: they end with the process */
}
