/* The debug tools' hub (tools.h): which tools are on (weft_set_debug, the
 * WEFT_DEBUG environment variable, read at load), where reports go, names
 * for objects, the hooks that lock.c calls while a tool is on, and fork.
 *
 * The switch word and the hooks pointer (debug.h) are defined here, so
 * that any program that takes a weft lock links the tools: WEFT_DEBUG then
 * works in a static build too, where an object nothing refers to would be
 * left out, with its constructor. */
#include "park.h"
#include "tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uintptr_t weft__debug_mode;
uintptr_t weft__debug_hooks_ptr;

static uintptr_t epoch;         /* atomic: held stacks of another epoch are stale */
static uintptr_t flags_word;    /* atomic: WEFT_DEBUG_* as set */
static uintptr_t settings_lock; /* spin: the report function and its argument */
static weft_write_fn report_fn; /* NULL: stderr */
static void *report_arg;
static uintptr_t fork_was_busy; /* the forking thread's busy flag, across fork */

unsigned weft__tools_flags(void) {
  return (unsigned)weft__load(&flags_word, memory_order_relaxed);
}

uintptr_t weft__tools_epoch(void) {
  return weft__load(&epoch, memory_order_acquire);
}

/* No new record here: a dump allocates nothing. */
weft__tool weft__tool_enter(void) {
  weft__tool tool = {weft__self_if_any(), false};
  if (tool.t) {
    tool.was_busy = tool.t->dbg.busy;
    tool.t->dbg.busy = true;
  }
  return tool;
}

void weft__tool_leave(weft__tool tool) {
  if (tool.t) tool.t->dbg.busy = tool.was_busy;
}

/* -- reports -- */

static void write_stderr(const char *text, size_t len, void *arg) {
  (void)arg;
  fwrite(text, 1, len, stderr);
  fflush(stderr);
}

void weft_set_report(weft_write_fn write, void *arg) {
  weft__spin_lock(&settings_lock);
  report_fn = write;
  report_arg = write ? arg : NULL;
  weft__spin_unlock(&settings_lock);
}

void weft__report(const char *text, size_t len) {
  weft__spin_lock(&settings_lock);
  weft_write_fn fn = report_fn ? report_fn : write_stderr;
  void *arg = report_arg;
  weft__spin_unlock(&settings_lock);
  weft__tool tool = weft__tool_enter(); /* its weft locks are not tracked */
  fn(text, len, arg);
  weft__tool_leave(tool);
}

/* -- the hooks (debug.h) -- */

static uintptr_t mode(void) {
  return weft__load(&weft__debug_mode, memory_order_relaxed);
}

static void on_acquiring(weft_lock *l, unsigned kind, bool blocking, const void *site) {
  if (!blocking || !(mode() & WEFT__DEBUG_ORDER)) return;
  struct weft_thread *t = weft__self_for_debug();
  if (t && !t->dbg.busy) weft__order_check(t, l, kind, site);
}

static void on_acquired(weft_lock *l, unsigned kind, const void *site, bool contended,
                        int64_t wait_ns) {
  struct weft_thread *t = weft__self_for_debug();
  if (!t || t->dbg.busy) return;
  uintptr_t m = mode();
  if (m & WEFT__DEBUG_HELD) weft__held_push(t, l, kind, site);
  if (m & WEFT__DEBUG_COUNT) {
    t->dbg.busy = true; /* counting may allocate */
    weft__count_acquired(l, kind, contended, wait_ns);
    t->dbg.busy = false;
  }
}

static void on_releasing(weft_lock *l) {
  if (!(mode() & WEFT__DEBUG_HELD)) return;
  struct weft_thread *t = weft__self_for_debug();
  if (t && t->dbg.busy) return;
  weft__held_pop(t, l);
}

static const weft__debug_hooks hooks = {on_acquiring, on_acquired, on_releasing};

/* -- settings -- */

static int apply(unsigned flags, double hang_seconds) {
  uintptr_t m = 0;
  if (flags & WEFT_DEBUG_LOCK_ORDER) m |= WEFT__DEBUG_HELD | WEFT__DEBUG_ORDER;
  if (hang_seconds > 0) m |= WEFT__DEBUG_HELD;
  if (flags & WEFT_DEBUG_CONTENTION) m |= WEFT__DEBUG_COUNT;
  weft__spin_lock(&settings_lock);
  uintptr_t old = mode();
  /* Tracking anew: whatever the stacks held from before is stale. */
  if ((m & WEFT__DEBUG_HELD) && !(old & WEFT__DEBUG_HELD))
    weft__fetch_add(&epoch, 1, memory_order_release);
  weft__store(&flags_word, flags, memory_order_relaxed);
  weft__store(&weft__debug_hooks_ptr, (uintptr_t)&hooks, memory_order_release);
  weft__store(&weft__debug_mode, m, memory_order_release);
  weft__spin_unlock(&settings_lock);
  return weft__watchdog_set(hang_seconds);
}

int weft_set_debug(unsigned flags, double hang_seconds) {
  unsigned known = WEFT_DEBUG_LOCK_ORDER | WEFT_DEBUG_CONTENTION | WEFT_DEBUG_ABORT;
  if (flags & ~known) return WEFT_EINVAL;
  if (!(hang_seconds >= 0) || hang_seconds > WEFT_TIMEOUT_MAX) return WEFT_EINVAL;
  return apply(flags, hang_seconds);
}

int weft_debug_name(const void *object, const char *name) {
  if (!object) return WEFT_EINVAL;
  uintptr_t addr = (uintptr_t)object;
  weft__tool tool = weft__tool_enter();
  int status = WEFT_OK;
  if (name) {
    weft__obj *o = weft__obj_get(addr);
    if (o)
      weft__obj_set_name(o, name);
    else
      status = WEFT_ENOMEM;
  } else {
    weft__obj *o = weft__obj_find(addr);
    if (o) {
      weft__order_forget(addr);
      weft__count_forget(o);
      weft__obj_set_name(o, "");
    }
  }
  weft__tool_leave(tool);
  return status;
}

/* -- WEFT_DEBUG -- */

static void to_report(const char *text, size_t len, void *arg) {
  (void)arg;
  weft__report(text, len);
}

static void report_at_exit(void) {
  weft_contention_report(to_report, NULL, 20);
}

static bool token_is(const char *s, size_t n, const char *word) {
  return strlen(word) == n && memcmp(s, word, n) == 0;
}

static void warn_token(const char *s, size_t n) {
  char buf[160];
  weft__text t;
  weft__text_init(&t, buf, sizeof buf);
  weft__text_str(&t, "weft: WEFT_DEBUG: ignored \"");
  if (n > 40) n = 40;
  char word[41];
  memcpy(word, s, n);
  word[n] = '\0';
  weft__text_str(&t, word);
  weft__text_str(&t, "\" (known: lock-order, contention, hang=SECONDS, abort)\n");
  write_stderr(t.buf, t.len, NULL);
}

/* "lock-order,contention,hang=10,abort" (commas or spaces between). */
static void parse(const char *env, unsigned *flags, double *hang) {
  for (const char *s = env; *s;) {
    size_t n = strcspn(s, ", ");
    if (token_is(s, n, "lock-order") || token_is(s, n, "lock_order"))
      *flags |= WEFT_DEBUG_LOCK_ORDER;
    else if (token_is(s, n, "contention"))
      *flags |= WEFT_DEBUG_CONTENTION;
    else if (token_is(s, n, "abort"))
      *flags |= WEFT_DEBUG_ABORT;
    else if (token_is(s, n, "hang"))
      *hang = 10;
    else if (n > 5 && memcmp(s, "hang=", 5) == 0) {
      char num[32];
      size_t k = n - 5 < sizeof num - 1 ? n - 5 : sizeof num - 1;
      memcpy(num, s + 5, k);
      num[k] = '\0';
      char *end;
      double v = strtod(num, &end);
      if (*end == '\0' && v > 0 && v <= WEFT_TIMEOUT_MAX)
        *hang = v;
      else
        warn_token(s, n);
    } else if (n) {
      warn_token(s, n);
    }
    s += n;
    while (*s == ',' || *s == ' ')
      s++;
  }
}

/* -- fork: the tools' spin locks are held across it, and the forking
 * thread is busy meanwhile (fork's other hooks take weft locks) -- */

static void before_fork(void) {
  weft__tool tool = weft__tool_enter();
  weft__store(&fork_was_busy, tool.was_busy, memory_order_relaxed);
  weft__spin_lock(&settings_lock);
  weft__order_lock();
  weft__objtab_lock();
}

static void after_fork_parent(void) {
  weft__objtab_unlock();
  weft__order_unlock();
  weft__spin_unlock(&settings_lock);
  weft__tool tool = {weft__self_if_any(), weft__load(&fork_was_busy, memory_order_relaxed)};
  weft__tool_leave(tool);
}

static void after_fork_child(void) {
  weft__objtab_unlock();
  settings_lock = 0;
  struct weft_thread *me = weft__self_if_any();
  weft__order_after_fork_child(me);
  weft__tool tool = {me, weft__load(&fork_was_busy, memory_order_relaxed)};
  weft__tool_leave(tool);
  weft__dump_after_fork_child();
  weft__watchdog_after_fork_child(); /* its thread is gone: a new one */
}

static const weft__fork_hooks fork_hooks = {before_fork, after_fork_parent, after_fork_child};

WEFT__CONSTRUCTOR(weft__debug_constructor) {
  weft__self_init();
  weft__store(&weft__debug_hooks_ptr, (uintptr_t)&hooks, memory_order_release);
  weft__on_fork(WEFT__FORK_DEBUG, &fork_hooks);
  const char *env = getenv("WEFT_DEBUG");
  if (!env || !*env) return;
  unsigned flags = 0;
  double hang = 0;
  parse(env, &flags, &hang);
  if (apply(flags, hang) != WEFT_OK)
    write_stderr("weft: WEFT_DEBUG: the watchdog did not start\n", 45, NULL);
  if (flags & WEFT_DEBUG_CONTENTION) atexit(report_at_exit);
}
