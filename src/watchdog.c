/* The hang watchdog (WEFT_DEBUG=hang=SECONDS, tools.h): a helper thread
 * ("weft-watchdog") that looks at every record's wait about four times per
 * threshold (at most once a second). A wait that has lasted longer than the
 * threshold (sleeps and idle helpers aside) gets a report, once: which
 * threads have waited that long, the cycle they wait in if there is one
 * (a lock waits for its holder, a join for its thread, a future for the
 * thread running it), then the whole dump. Every wait under way then is
 * counted as reported, so one hang gives one dump. Lock holders are known
 * because the watchdog turns held-lock tracking on (debug.c). */
#include "park.h"
#include "tools.h"

#include <stdlib.h>

#define CHAIN_MAX 64

static uintptr_t wd_lock;     /* spin: the three below */
static int64_t threshold_ns;  /* 0: off */
static bool running;          /* a watchdog thread exists (or is starting) */
static uintptr_t wake_word;   /* bumped to wake it at once */
static char report_buf[8192]; /* the watchdog thread's own */

static bool hangs(const struct weft_thread *r, unsigned kind) {
  if (r->kind == WEFT__KIND_HELPER) return false;
  return kind != WEFT__WAIT_NONE && kind < WEFT__WAIT_KINDS && kind != WEFT__WAIT_SLEEP &&
         kind != WEFT__WAIT_HELPER && kind != WEFT__WAIT_SIGNAL && kind != WEFT__WAIT_POOL;
}

/* Under the records lock: the thread r waits for, or NULL. */
static struct weft_thread *waits_for(const struct weft_thread *r) {
  const weft__wait *w = &r->dbg.wait;
  unsigned kind = (unsigned)weft__load(&w->kind, memory_order_acquire);
  uintptr_t obj = weft__load(&w->obj, memory_order_relaxed);
  uintptr_t a = weft__load(&w->a, memory_order_relaxed);
  switch (kind) {
  case WEFT__WAIT_LOCK:
    return weft__holder_locked(obj);
  case WEFT__WAIT_RLOCK: {
    struct weft_thread *h = weft__holder_locked(obj);
    return h ? h : a ? weft__record_by_ident(a) : NULL;
  }
  case WEFT__WAIT_JOIN:
  case WEFT__WAIT_FUTURE:
    return a ? weft__record_by_ident(a) : NULL;
  default:
    return NULL;
  }
}

static void text_waits(weft__text *t, const struct weft_thread *r, bool names, uintptr_t now) {
  const weft__wait *w = &r->dbg.wait;
  unsigned kind = (unsigned)weft__load(&w->kind, memory_order_acquire);
  uintptr_t since = weft__load(&w->since, memory_order_relaxed);
  weft__text_str(t, "  ");
  weft__text_thread(t, r, names);
  weft__text_str(t, " has waited ");
  weft__text_ms(t, since ? now - since : 0);
  weft__text_str(t, " s on ");
  weft__dump_wait(t, r, kind, weft__load(&w->obj, memory_order_relaxed),
                  weft__load(&w->a, memory_order_relaxed), weft__load(&w->b, memory_order_relaxed),
                  names);
  weft__text_str(t, "\n");
}

/* Under the records lock: follow what `from` waits for; true, with the
 * cycle in chain[*start..*len), if it comes back to a thread on its way. */
static bool find_cycle(struct weft_thread *from, struct weft_thread **chain, size_t *start,
                       size_t *len) {
  size_t n = 0;
  for (struct weft_thread *r = from; r && n < CHAIN_MAX; r = waits_for(r)) {
    for (size_t i = 0; i < n; i++) {
      if (chain[i] == r) {
        *start = i;
        *len = n;
        return true;
      }
    }
    chain[n++] = r;
  }
  return false;
}

static void text_cycle(weft__text *t, struct weft_thread **chain, size_t start, size_t len,
                       bool names) {
  weft__text_str(t, "weft: deadlock: ");
  weft__text_u64(t, len - start);
  weft__text_str(t, len - start == 1 ? " thread waits for itself\n"
                                     : " threads wait for each other in a cycle\n");
  for (size_t i = start; i < len; i++) {
    const weft__wait *w = &chain[i]->dbg.wait;
    weft__text_str(t, "  ");
    weft__text_thread(t, chain[i], names);
    weft__text_str(t, " waits on ");
    weft__dump_wait(t, chain[i], (unsigned)weft__load(&w->kind, memory_order_acquire),
                    weft__load(&w->obj, memory_order_relaxed),
                    weft__load(&w->a, memory_order_relaxed),
                    weft__load(&w->b, memory_order_relaxed), names);
    weft__text_str(t, "\n");
  }
}

static void to_report(const char *text, size_t len, void *arg) {
  (void)arg;
  weft__report(text, len);
}

/* One look at every wait. */
static void check(int64_t threshold) {
  weft__tool tool = weft__tool_enter();
  struct weft_thread *self = tool.t;
  uintptr_t th_ms = (uintptr_t)(threshold / 1000000);
  weft__text t;
  weft__text_init(&t, report_buf, sizeof report_buf);
  bool names = weft__names_lock(0.5);
  weft__records_lock();
  uintptr_t now = weft__wait_ms(weft__port_now());
  size_t stuck = 0;
  struct weft_thread *first = NULL;
  for (struct weft_thread *r = weft__records_first(); r; r = weft__records_next(r)) {
    const weft__wait *w = &r->dbg.wait;
    unsigned kind = (unsigned)weft__load(&w->kind, memory_order_acquire);
    uintptr_t since = weft__load(&w->since, memory_order_relaxed);
    if (r == self || !hangs(r, kind) || !since || now - since < th_ms || r->dbg.reported == since)
      continue;
    if (!stuck++) first = r;
  }
  bool cycle = false;
  if (stuck) {
    weft__text_str(&t, "weft: hang: ");
    weft__text_u64(&t, stuck);
    weft__text_str(&t, stuck == 1 ? " thread has" : " threads have");
    weft__text_str(&t, " waited longer than ");
    weft__text_ms(&t, th_ms);
    weft__text_str(&t, " s (WEFT_DEBUG hang)\n");
    for (struct weft_thread *r = weft__records_first(); r; r = weft__records_next(r)) {
      const weft__wait *w = &r->dbg.wait;
      unsigned kind = (unsigned)weft__load(&w->kind, memory_order_acquire);
      uintptr_t since = weft__load(&w->since, memory_order_relaxed);
      if (r != self && hangs(r, kind) && since && now - since >= th_ms && r->dbg.reported != since)
        text_waits(&t, r, names, now);
    }
    /* The first cycle any stuck thread leads to. */
    struct weft_thread *chain[CHAIN_MAX];
    size_t start = 0, len = 0;
    for (struct weft_thread *r = first; r && !cycle; r = weft__records_next(r)) {
      unsigned kind = (unsigned)weft__load(&r->dbg.wait.kind, memory_order_acquire);
      if (r != self && hangs(r, kind)) cycle = find_cycle(r, chain, &start, &len);
    }
    if (cycle) text_cycle(&t, chain, start, len, names);
    /* One hang, one report: every wait under way now is reported. */
    for (struct weft_thread *r = weft__records_first(); r; r = weft__records_next(r))
      r->dbg.reported = weft__load(&r->dbg.wait.since, memory_order_relaxed);
  }
  weft__records_unlock();
  if (names) weft__names_unlock();
  if (stuck) {
    weft__report(t.buf, t.len);
    weft_dump(to_report, NULL);
    if (cycle && (weft__tools_flags() & WEFT_DEBUG_ABORT)) abort();
  }
  weft__tool_leave(tool);
}

static void watch(void *unused) {
  (void)unused;
  for (;;) {
    weft__spin_lock(&wd_lock);
    int64_t threshold = threshold_ns;
    if (!threshold) running = false;
    weft__spin_unlock(&wd_lock);
    if (!threshold) return;
    int64_t tick = threshold / 4;
    if (tick > INT64_C(1000000000)) tick = INT64_C(1000000000);
    if (tick < INT64_C(10000000)) tick = INT64_C(10000000);
    uintptr_t w = weft__load(&wake_word, memory_order_acquire);
    weft__waiting(WEFT__WAIT_HELPER, &wake_word, 0, 0);
    weft__park(&wake_word, w, weft__port_now() + tick, NULL);
    weft__spin_lock(&wd_lock);
    threshold = threshold_ns;
    weft__spin_unlock(&wd_lock);
    if (threshold) check(threshold);
  }
}

int weft__watchdog_set(double seconds) {
  int64_t ns = seconds > 0 ? (int64_t)(seconds * 1e9) : 0;
  if (seconds > 0 && ns < 1000000) ns = 1000000; /* 1 ms at least */
  weft__spin_lock(&wd_lock);
  threshold_ns = ns;
  bool start = ns && !running;
  if (start) running = true;
  weft__spin_unlock(&wd_lock);
  weft__fetch_add(&wake_word, 1, memory_order_release);
  weft__unpark_all(&wake_word);
  if (!start) return WEFT_OK;
  int status = weft__start_helper("weft-watchdog", watch, NULL);
  if (status != WEFT_OK) {
    weft__spin_lock(&wd_lock);
    running = false;
    weft__spin_unlock(&wd_lock);
  }
  return status;
}

void weft__watchdog_after_fork_child(void) {
  wd_lock = 0;
  running = false;
  if (threshold_ns) weft__watchdog_set((double)threshold_ns / 1e9);
}
