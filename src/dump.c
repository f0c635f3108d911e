/* weft_dump: one block per live record, in ident order (tools.h).
 *
 * Each block is written into a buffer on the stack under the names lock
 * (thread.h: a weft_lock that nobody holds across a wait, tried for half a
 * second at most) and the records lock, then handed to the caller's write
 * with no lock held; the next block is the record with the next ident, so
 * threads that come and go meanwhile never break the walk. Nothing is
 * allocated, no object is read: what a waiting thread waits on comes from
 * its record (debug.h).
 *
 * weft_dump_on_signal: the port's handler writes a byte to a pipe; the
 * "weft-dump" helper reads it and dumps to the report function. */
#include "tools.h"

#include <stdio.h>

/* -- one block -- */

struct weft_thread *weft__record_by_ident(uint64_t id) {
  for (struct weft_thread *r = weft__records_first(); r; r = weft__records_next(r))
    if (r->ident == id) return r;
  return NULL;
}

/* The listed record with the least ident above `after`, among those put
 * in the list by the time the dump counted them (stamp). */
static struct weft_thread *next_by_ident(uint64_t after, uint64_t stamp) {
  struct weft_thread *best = NULL;
  for (struct weft_thread *r = weft__records_first(); r; r = weft__records_next(r))
    if (r->dbg.listed_at <= stamp && r->ident > after && (!best || r->ident < best->ident))
      best = r;
  return best;
}

static size_t count_records(void) {
  size_t n = 0;
  for (struct weft_thread *r = weft__records_first(); r; r = weft__records_next(r))
    n++;
  return n;
}

/* A thread known by ident: its name if it is alive. */
static void text_ident(weft__text *t, uint64_t id, bool names_held, const char *gone) {
  struct weft_thread *r = id ? weft__record_by_ident(id) : NULL;
  if (r) {
    weft__text_thread(t, r, names_held);
    return;
  }
  weft__text_str(t, "(ident ");
  weft__text_u64(t, id);
  weft__text_str(t, gone);
}

/* Threads waiting on barrier obj: as each saw its cycle's count when it
 * parked, the most any saw is how many are in. */
static uintptr_t barrier_count(uintptr_t obj, uintptr_t mine) {
  uintptr_t most = mine;
  for (struct weft_thread *r = weft__records_first(); r; r = weft__records_next(r)) {
    const weft__wait *w = &r->dbg.wait;
    if (weft__load(&w->kind, memory_order_acquire) == WEFT__WAIT_BARRIER &&
        weft__load(&w->obj, memory_order_relaxed) == obj) {
      uintptr_t a = weft__load(&w->a, memory_order_relaxed);
      if (a > most) most = a;
    }
  }
  return most;
}

static void text_queue(weft__text *t, const char *side, uintptr_t obj, uintptr_t size,
                       uintptr_t max) {
  weft__text_str(t, "queue ");
  weft__text_object(t, obj);
  weft__text_str(t, side);
  weft__text_str(t, ", size ");
  weft__text_u64(t, size);
  if (max) {
    weft__text_str(t, " (max ");
    weft__text_u64(t, max);
    weft__text_str(t, ")");
  } else {
    weft__text_str(t, " (unbounded)");
  }
}

static void kind_and_object(weft__text *t, const char *kind, uintptr_t obj) {
  weft__text_str(t, kind);
  weft__text_object(t, obj);
}

void weft__dump_wait(weft__text *t, const struct weft_thread *r, unsigned kind, uintptr_t obj,
                     uintptr_t a, uintptr_t b, bool names_held) {
  (void)r;
  switch (kind) {
  case WEFT__WAIT_LOCK: {
    kind_and_object(t, "lock ", obj);
    struct weft_thread *holder = weft__holder_locked(obj);
    if (holder) {
      weft__text_str(t, ", held by ");
      weft__text_thread(t, holder, names_held);
    }
    break;
  }
  case WEFT__WAIT_RLOCK:
    kind_and_object(t, "rlock ", obj);
    if (a) {
      weft__text_str(t, ", owned by ");
      text_ident(t, a, names_held, ")");
    }
    break;
  case WEFT__WAIT_COND:
    kind_and_object(t, "cond ", obj);
    break;
  case WEFT__WAIT_SEM:
    kind_and_object(t, "sem ", obj);
    weft__text_str(t, ", value ");
    weft__text_u64(t, a);
    break;
  case WEFT__WAIT_EVENT:
    kind_and_object(t, "event ", obj);
    break;
  case WEFT__WAIT_BARRIER:
    kind_and_object(t, "barrier ", obj);
    weft__text_str(t, ", ");
    weft__text_u64(t, barrier_count(obj, a));
    weft__text_str(t, "/");
    weft__text_u64(t, b);
    weft__text_str(t, " waiting");
    break;
  case WEFT__WAIT_QUEUE_GET:
    text_queue(t, ", get", obj, a, b);
    break;
  case WEFT__WAIT_QUEUE_PUT:
    text_queue(t, ", put", obj, a, b);
    break;
  case WEFT__WAIT_QUEUE_JOIN:
    kind_and_object(t, "queue ", obj);
    weft__text_str(t, ", join, ");
    weft__text_u64(t, a);
    weft__text_str(t, " unfinished");
    break;
  case WEFT__WAIT_JOIN:
    if (a) {
      weft__text_str(t, "join of ");
      text_ident(t, a, names_held, ", ended)");
    } else {
      weft__text_str(t, "join of a thread that is starting");
    }
    break;
  case WEFT__WAIT_TIMER:
    kind_and_object(t, "timer ", obj);
    break;
  case WEFT__WAIT_FUTURE:
    kind_and_object(t, "future ", obj);
    if (a) {
      weft__text_str(t, ", run by ");
      text_ident(t, a, names_held, ")");
    }
    break;
  case WEFT__WAIT_POOL:
    kind_and_object(t, "pool ", obj);
    weft__text_str(t, ", idle worker");
    break;
  case WEFT__WAIT_SLEEP:
    weft__text_str(t, "sleep of ");
    weft__text_ms(t, a);
    weft__text_str(t, " s");
    break;
  case WEFT__WAIT_ONCE:
    kind_and_object(t, "once ", obj);
    break;
  case WEFT__WAIT_SIGNAL:
    weft__text_str(t, "signal (dump helper)");
    break;
  case WEFT__WAIT_HELPER:
    weft__text_str(t, "idle (weft helper)");
    break;
  case WEFT__WAIT_RWLOCK:
    kind_and_object(t, "rwlock ", obj);
    weft__text_str(t, a ? ", exclusive" : ", shared");
    break;
  case WEFT__WAIT_LATCH:
    kind_and_object(t, "latch ", obj);
    weft__text_str(t, ", count ");
    weft__text_u64(t, a);
    break;
  default: /* WEFT__WAIT_PARKED */
    kind_and_object(t, "weft internal ", obj);
    break;
  }
}

static void text_state(weft__text *t, const struct weft_thread *r, bool names_held) {
  const weft__wait *w = &r->dbg.wait;
  unsigned kind = (unsigned)weft__load(&w->kind, memory_order_acquire);
  if (kind == WEFT__WAIT_NONE || kind >= WEFT__WAIT_KINDS) {
    weft__text_str(t, "  running\n");
    return;
  }
  uintptr_t obj = weft__load(&w->obj, memory_order_relaxed);
  uintptr_t a = weft__load(&w->a, memory_order_relaxed);
  uintptr_t b = weft__load(&w->b, memory_order_relaxed);
  uintptr_t since = weft__load(&w->since, memory_order_relaxed);
  uintptr_t now = weft__wait_ms(weft__port_now());
  weft__text_str(t, "  waiting ");
  weft__text_ms(t, since && now - since < UINTPTR_MAX / 2 ? now - since : 0);
  weft__text_str(t, " s on ");
  weft__dump_wait(t, r, kind, obj, a, b, names_held);
  weft__text_str(t, "\n");
}

void weft__dump_held(const struct weft_thread *r, weft__held_copy *c) {
  c->n = 0;
  if (!weft__held_current(r)) return;
  const weft__held *h = &r->dbg.held;
  uintptr_t n = weft__load(&h->n, memory_order_acquire);
  for (uintptr_t i = 0; i < n && i < WEFT__HELD_MAX; i++) {
    uintptr_t e = weft__load(&h->lock[i], memory_order_acquire);
    if (!e) continue;
    c->lock[c->n] = e;
    c->site[c->n++] = weft__load(&h->site[i], memory_order_relaxed);
  }
}

void weft__dump_held_text(weft__text *t, const weft__held_copy *c) {
  for (size_t i = 0; i < c->n; i++) {
    weft__text_str(t, c->lock[i] & WEFT__HELD_RLOCK ? "  holds rlock " : "  holds lock ");
    weft__text_object(t, c->lock[i] & ~WEFT__HELD_RLOCK);
    weft__text_str(t, ", acquired at ");
    weft__text_site(t, (const void *)c->site[i]);
    weft__text_str(t, "\n");
  }
}

void weft__dump_block(weft__text *t, struct weft_thread *r, bool names_held) {
  const char *name = names_held ? weft__name_locked(r) : NULL;
  weft__text_str(t, "thread ");
  if (name)
    weft__text_quoted(t, name);
  else
    weft__text_str(t, r->kind == WEFT__KIND_DUMMY ? "(foreign, unnamed)" : "(name unknown)");
  weft__text_str(t, " ident ");
  weft__text_u64(t, r->ident);
  weft__text_str(t, " native ");
  weft__text_u64(t, r->native_id);
  /* A helper is never waited for (its daemon flag is the timer callback's
   * it runs, which it changes as it runs). */
  if (r->kind == WEFT__KIND_HELPER)
    weft__text_str(t, " daemon helper");
  else
    weft__text_str(t, r->daemon ? " daemon" : " non-daemon");
  if (r->kind == WEFT__KIND_DUMMY) weft__text_str(t, " dummy");
  weft__text_str(t, "\n");
  text_state(t, r, names_held);
}

/* -- the dump -- */

int weft_dump(weft_write_fn write, void *arg) {
  if (!write) return WEFT_EINVAL;
  weft__tool tool = weft__tool_enter();
  char buf[2048];
  weft__text t;
  double patience = 0.5; /* for the names lock: none once it was not had */
  /* The threads counted here are the ones listed below, less those that
   * end meanwhile: one that registers during the dump (the lock is let go
   * between blocks) is not in it. */
  weft__records_lock();
  size_t n = count_records();
  uint64_t stamp = weft__records_stamp();
  weft__records_unlock();
  weft__text_init(&t, buf, sizeof buf);
  weft__text_str(&t, "weft dump (");
  weft__text_str(&t, weft_backend());
  weft__text_str(&t, "): ");
  weft__text_u64(&t, n);
  weft__text_str(&t, n == 1 ? " thread\n" : " threads\n");
  write(t.buf, t.len, arg);
  for (uint64_t last = 0;;) {
    bool names = weft__names_lock(patience);
    if (!names) patience = 0;
    weft__records_lock();
    struct weft_thread *r = next_by_ident(last, stamp);
    weft__held_copy held;
    if (r) {
      last = r->ident;
      weft__text_init(&t, buf, sizeof buf);
      weft__dump_block(&t, r, names);
      weft__dump_held(r, &held);
    }
    weft__records_unlock();
    if (names) weft__names_unlock();
    if (!r) break;
    /* Sites with no lock held: naming them may take the loader's lock. */
    weft__dump_held_text(&t, &held);
    if (t.cut) {
      t.len = t.len > 5 ? t.len - 5 : 0;
      t.buf[t.len] = '\0';
      t.cut = false;
      weft__text_str(&t, "...\n");
    }
    write(t.buf, t.len, arg);
  }
  write("end of dump\n", 12, arg);
  weft__tool_leave(tool);
  return WEFT_OK;
}

static void to_stderr(const char *text, size_t len, void *arg) {
  (void)arg;
  fwrite(text, 1, len, stderr);
}

int weft_dump_stderr(void) {
  int status = weft_dump(to_stderr, NULL);
  fflush(stderr);
  return status;
}

/* -- on a signal -- */

static uintptr_t signal_lock; /* spin */
static bool helper_running;   /* under signal_lock */

static void to_report(const char *text, size_t len, void *arg) {
  (void)arg;
  weft__report(text, len);
}

static void dump_helper(void *unused) {
  (void)unused;
  struct weft_thread *self = weft__self_if_any();
  for (;;) {
    if (self) weft__wait_set(self, WEFT__WAIT_SIGNAL, NULL, 0, 0, weft__port_now());
    int sig = weft__port_signal_wait();
    if (self) weft__wait_clear(self);
    if (sig < 0) break;
    weft_dump(to_report, NULL);
  }
  weft__spin_lock(&signal_lock);
  helper_running = false;
  weft__spin_unlock(&signal_lock);
}

int weft_dump_on_signal(int sig) {
  if (sig <= 0) return WEFT_EINVAL;
  weft__spin_lock(&signal_lock);
  int status = weft__port_signal_watch(sig);
  bool start = status == WEFT_OK && !helper_running;
  if (start) helper_running = true;
  weft__spin_unlock(&signal_lock);
  if (!start) return status;
  status = weft__start_helper("weft-dump", dump_helper, NULL);
  if (status != WEFT_OK) {
    weft__spin_lock(&signal_lock);
    helper_running = false;
    weft__spin_unlock(&signal_lock);
  }
  return status;
}

void weft__dump_after_fork_child(void) {
  signal_lock = 0;
  helper_running = false;
}
