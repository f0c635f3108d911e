/* What the debug tools (dump, lock order, contention, watchdog: debug.c
 * and tools.h) need from the rest of the core, and nothing more:
 *
 *   - what a thread waits on: a small descriptor in its record, set by the
 *     primitive right before it parks (weft__waiting, self.h) and cleared
 *     by the lot when the park returns; the dump reads it racily;
 *   - the locks a thread holds, while a tool that needs them is on;
 *   - the hooks through which lock.c tells the tools about acquisitions and
 *     releases, and the one word that says whether any tool is on.
 *
 * With every tool off (the default) a lock's acquire and release read that
 * word once, relaxed, and go on; nothing else here runs on a fast path.
 * Nothing the dump reads is ever dereferenced: objects are shown by address
 * and by the values the waiter saw when it parked. */
#ifndef WEFT_DEBUG_H
#define WEFT_DEBUG_H

#include "internal.h"
#include "list.h"

#if defined(__GNUC__) || defined(__clang__)
#define WEFT__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WEFT__NOINLINE __attribute__((noinline))
/* The code address the current function returns to: its caller's site. */
#define WEFT__SITE() ((const void *)__builtin_return_address(0))
#elif defined(_MSC_VER)
#include <intrin.h>
#define WEFT__UNLIKELY(x) (x)
#define WEFT__NOINLINE __declspec(noinline)
#define WEFT__SITE() ((const void *)_ReturnAddress())
#else
#define WEFT__UNLIKELY(x) (x)
#define WEFT__NOINLINE
#define WEFT__SITE() ((const void *)0)
#endif

/* -- what a thread waits on --
 * kind, obj, and the details a and b the waiter saw as it parked. */
enum {
  WEFT__WAIT_NONE,       /* running */
  WEFT__WAIT_PARKED,     /* parked by weft itself on obj; nothing more is known */
  WEFT__WAIT_LOCK,       /* weft_lock obj */
  WEFT__WAIT_RLOCK,      /* weft_rlock obj; a: its owner's ident */
  WEFT__WAIT_COND,       /* weft_cond obj: a notify */
  WEFT__WAIT_SEM,        /* weft_sem obj; a: its value */
  WEFT__WAIT_EVENT,      /* weft_event obj */
  WEFT__WAIT_BARRIER,    /* weft_barrier obj; a: threads in its cycle, b: parties */
  WEFT__WAIT_QUEUE_GET,  /* weft_queue obj; a: its size, b: its maxsize (0: unbounded) */
  WEFT__WAIT_QUEUE_PUT,  /* likewise */
  WEFT__WAIT_QUEUE_JOIN, /* weft_queue obj; a: unfinished tasks */
  WEFT__WAIT_JOIN,       /* weft_thread obj; a: its ident */
  WEFT__WAIT_TIMER,      /* weft_timer obj (a join) */
  WEFT__WAIT_FUTURE,     /* weft_future obj (its result); a: ident of the thread running it, 0 */
  WEFT__WAIT_POOL,       /* an idle worker of weft_pool obj */
  WEFT__WAIT_SLEEP,      /* weft_sleep; a: the duration in ms */
  WEFT__WAIT_ONCE,       /* weft_once obj */
  WEFT__WAIT_SIGNAL,     /* the dump helper awaits a signal; a: the signal */
  WEFT__WAIT_HELPER,     /* a weft helper thread idles, on obj */
  WEFT__WAIT_RWLOCK,     /* weft_rwlock obj; a: 1 exclusive, 0 shared */
  WEFT__WAIT_LATCH,      /* weft_latch obj; a: its count */
  WEFT__WAIT_KINDS
};

/* A primitive describes its wait with weft__waiting(kind, obj, a, b)
 * (self.h) right before each park; the lot clears it. The pool's waits:
 *   future.c, a result: weft__waiting(WEFT__WAIT_FUTURE, f, ident of the
 *     worker running f (stored when it took the task) or 0 if pending, 0);
 *     the watchdog then follows the wait to that worker (not for a waiter
 *     that parked while the task was pending: starting a task wakes
 *     nobody, and a dump never reads the future itself);
 *   wait.c, weft_wait / weft_as_completed_next: WEFT__WAIT_FUTURE with
 *     the first future not done yet;
 *   pool.c, an idle worker: weft__waiting(WEFT__WAIT_POOL, p, 0, 0) (never
 *     reported as a hang). */

/* Written by its thread only; every field atomic. kind is stored last
 * (release), so a reader that sees it sees the rest of that wait, or of a
 * later one: a racy snapshot, which is what a dump is. */
typedef struct weft__wait {
  uintptr_t kind;
  uintptr_t obj;
  uintptr_t a, b;
  uintptr_t since; /* ms on the monotonic clock when it began (never 0); 0: not yet */
} weft__wait;

/* ms since the monotonic clock's origin, never 0 (0 means "not stamped";
 * differences stay right when a 32-bit word wraps). */
static inline uintptr_t weft__wait_ms(int64_t ns) {
  uintptr_t ms = (uintptr_t)(ns / 1000000);
  return ms ? ms : 1;
}

/* -- the locks a thread holds (while lock order or the watchdog is on) --
 * A stack that only its thread pushes and pops; a release by another
 * thread (allowed for a weft_lock) clears the holder's entry with a CAS.
 * Entries belong to one tracking epoch: turning tracking on again starts
 * every stack afresh. */
#define WEFT__HELD_MAX 16
#define WEFT__HELD_RLOCK ((uintptr_t)1) /* in an entry's low bit: acquired as an rlock */
typedef struct weft__held {
  uintptr_t epoch;                /* atomic: the epoch of the entries */
  uintptr_t n;                    /* atomic: entries in use */
  uintptr_t lock[WEFT__HELD_MAX]; /* atomic: address | WEFT__HELD_RLOCK; 0 once released */
  uintptr_t site[WEFT__HELD_MAX]; /* atomic: the code address that acquired it */
} weft__held;

/* A thread record's part for the tools. */
typedef struct weft__thread_debug {
  weft__wait wait;
  weft__held held;
  weft__link all;     /* in the self layer's list of live records */
  bool listed;        /* in that list (under its lock) */
  uint64_t listed_at; /* weft__records_stamp() when it was put in the list */
  bool busy;          /* inside a tool: its own lock use is not tracked */
  uintptr_t reported; /* the watchdog's: `since` of the last wait it reported */
} weft__thread_debug;

/* -- the switch and the hooks --
 * weft__debug_mode is 0 unless a tool is on. Its bits: */
enum {
  WEFT__DEBUG_HELD = 1,  /* track held locks (lock order, the watchdog) */
  WEFT__DEBUG_ORDER = 2, /* the lock-order graph */
  WEFT__DEBUG_COUNT = 4  /* contention counts */
};
typedef struct weft__debug_hooks {
  /* Before an acquire of l (blocking: a timeout other than 0). kind is
   * WEFT__WAIT_LOCK or _RLOCK; site, where the user called from. */
  void (*acquiring)(weft_lock *l, unsigned kind, bool blocking, const void *site);
  /* l is the caller's: contended if it found l held, having waited wait_ns. */
  void (*acquired)(weft_lock *l, unsigned kind, const void *site, bool contended, int64_t wait_ns);
  /* Before l is released, by its holder or (a weft_lock) another thread. */
  void (*releasing)(weft_lock *l);
} weft__debug_hooks;

/* Both live in debug.c, which fills the hooks at load: so every program
 * that takes a lock links the tools, and WEFT_DEBUG works in static builds.
 * The primitives reach the tools only through these pointers. */
extern uintptr_t weft__debug_mode;
extern uintptr_t weft__debug_hooks_ptr; /* const weft__debug_hooks * */

static inline bool weft__debug_on(void) {
  return WEFT__UNLIKELY(weft__load(&weft__debug_mode, memory_order_relaxed) != 0);
}

static inline const weft__debug_hooks *weft__debug_hooks_get(void) {
  return (const weft__debug_hooks *)weft__load(&weft__debug_hooks_ptr, memory_order_acquire);
}

/* -- spin locks for the tools' tables and the list of records --
 * Held for a few instructions, never across a park or a call out. */
static inline void weft__spin_lock(uintptr_t *l) {
  for (unsigned spins = 0;; spins++) {
    uintptr_t unlocked = 0;
    if (weft__load(l, memory_order_relaxed) == 0 &&
        weft__cas(l, &unlocked, 1, memory_order_acquire))
      return;
    if (spins < 100)
      weft__cpu_relax();
    else
      weft__port_yield();
  }
}

static inline void weft__spin_unlock(uintptr_t *l) {
  weft__store(l, 0, memory_order_release);
}

#endif /* WEFT_DEBUG_H */
