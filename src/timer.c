/* weft_timer: threading.Timer without a thread per timer.
 *
 * Pending timers sit in one binary heap ordered by (due, arrival), under one
 * lock, served by a few helper threads ("weft-timer") in a leader/follower
 * scheme. The leader sleeps until the earliest due time; when timers fall
 * due it takes one to run itself (so the call follows the OS wake-up at
 * once) and hands the lead, and any other due timers, to idle helpers or
 * new ones. A slow callback therefore never delays the others. Due timers
 * go to helpers a few at a time (as many as may run at once), the rest
 * waiting in the heap for the helpers that come back for more, so that a
 * burst of thousands starts its calls at once. Idle helpers beyond the
 * leader leave after a while.
 *
 * A timer's life: NEW -> PENDING -> RUNNING -> FINISHED, or CANCELLED from
 * NEW or PENDING (and, for a periodic timer, after its current call).
 * Every change happens under the one lock, so a cancel and a firing cannot
 * both win. While pending or running, the helpers hold a reference;
 * joiners park on `state`. A timer is in one place at a time: the heap
 * (pending), the ready list (due, no helper yet) or the running list (its
 * call in progress), so that exit and fork can find every one of them. */
#include "lock.h"
#include "subsystem.h"
#include "thread.h"
#include "tsan.h"

#include <string.h>

enum { NEW, PENDING, RUNNING, FINISHED, CANCELLED };

#define IDLE_NS INT64_C(5000000000) /* a spare worker leaves after 5 s idle */
#define SLOW_NS INT64_C(1000000)    /* a call running longer no longer counts */
#define EXTRA_HELPERS 1 /* beyond the CPU count: the leader, asleep while the rest run calls */

struct weft_timer {
  uintptr_t refs;
  uintptr_t state; /* atomic for readers; changed under the lock */
  int64_t interval;
  weft_fn fn;
  void *arg;
  bool periodic;
  bool daemon;
  bool stop; /* periodic: cancelled while its call runs */
  int64_t start, due;
  int64_t ran_at; /* when its current call began (running list) */
  uint64_t seq;
  size_t slot;     /* index in the heap while pending */
  weft__link link; /* in the ready or the running list */
};

typedef struct heap_slot {
  int64_t due;
  uint64_t seq;
  struct weft_timer *timer;
} heap_slot;

static weft_lock lock;
static heap_slot *heap;
static size_t heap_len, heap_cap;
static uint64_t next_seq;
static weft__list ready, running;
static uintptr_t lead_word, idle_word, quiet_word; /* parking addresses */
static bool has_leader;
static int64_t lead_until = WEFT__FOREVER; /* what the leader sleeps towards */
static size_t ready_len;
static size_t n_helpers;       /* helper threads alive */
static size_t n_idle;          /* parked idle and not yet called on */
static size_t n_coming;        /* called on (woken or just started), not yet back at the lock */
static size_t n_non_daemon;    /* non-daemon one-shot timers pending or running */
static size_t n_quiet_waiters; /* parked on quiet_word */
static bool exiting;           /* the process is ending: periodic timers stop */
static bool closed;            /* the exit wait is over: no more starts */

/* The timer whose call this thread is running (helpers only). */
static WEFT__THREAD_LOCAL struct weft_timer *current;

static struct weft_timer *timer_of(weft__link *l) {
  return l ? WEFT__CONTAINER(l, struct weft_timer, link) : NULL;
}

/* Non-daemon one-shot timers are what the exit wait waits for. */
static bool awaited(const struct weft_timer *t) {
  return !t->periodic && !t->daemon;
}

/* Under the lock: how many of n_non_daemon the calling thread must not
 * wait for (its own call, when it ends the process from a callback). */
static size_t own_share(void) {
  return current && awaited(current) ? 1 : 0;
}

/* -- references -- */

weft_timer *weft_timer_ref(weft_timer *t) {
  if (t) weft__fetch_add(&t->refs, 1, memory_order_relaxed);
  return t;
}

void weft_timer_unref(weft_timer *t) {
  if (t && weft__fetch_sub(&t->refs, 1, memory_order_acq_rel) == 1) weft__free(t);
}

/* -- the heap -- */

/* Each slot holds its timer's key, so that ordering the heap reads only
 * the array: with many pending timers, following every pointer to compare
 * cost a cache miss per level. */
static bool earlier(const heap_slot *a, const heap_slot *b) {
  return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(size_t i, heap_slot s) {
  heap[i] = s;
  s.timer->slot = i;
}

/* A 4-ary heap: half the levels of a binary one, and the four children
 * of a slot share a cache line or two of the array. */
#define ARITY 4

static void sift_up(size_t i) {
  heap_slot s = heap[i];
  while (i > 0 && earlier(&s, &heap[(i - 1) / ARITY])) {
    heap_set(i, heap[(i - 1) / ARITY]);
    i = (i - 1) / ARITY;
  }
  heap_set(i, s);
}

static void sift_down(size_t i) {
  heap_slot s = heap[i];
  for (;;) {
    size_t first = ARITY * i + 1, c = first;
    if (first >= heap_len) break;
    size_t end = first + ARITY < heap_len ? first + ARITY : heap_len;
    for (size_t k = first + 1; k < end; k++)
      if (earlier(&heap[k], &heap[c])) c = k;
    if (!earlier(&heap[c], &s)) break;
    heap_set(i, heap[c]);
    i = c;
  }
  heap_set(i, s);
}

static bool heap_reserve(void) {
  if (heap_len < heap_cap) return true;
  size_t cap = heap_cap ? heap_cap * 2 : 64;
  heap_slot *h = weft__realloc(heap, cap * sizeof *h);
  if (!h) return false;
  heap = h;
  heap_cap = cap;
  return true;
}

#ifndef NDEBUG
/* Debug builds check the whole heap after every change, while it is small
 * enough for that (the tests' heaps mostly are). */
static bool heap_ordered(void) {
  if (heap_len > 1024) return true;
  for (size_t i = 0; i < heap_len; i++)
    if (heap[i].timer->slot != i || (i > 0 && earlier(&heap[i], &heap[(i - 1) / ARITY])))
      return false;
  return true;
}
#endif

/* The earliest pending timer, if it is due by `now`. */
static struct weft_timer *heap_due(int64_t now) {
  return heap_len && heap[0].due <= now ? heap[0].timer : NULL;
}

/* Insert (room reserved). True if the leader must be woken to sleep less
 * (this is now the earliest): the caller wakes it, best after letting go
 * of the lock, which the leader takes first thing. Waking it later is
 * safe: a leader parks on lead_word before it lets go of the lock, so it
 * is either parked by now, to be woken, or yet to take the lock and see
 * the new timer. */
static bool heap_insert(struct weft_timer *t) {
  t->seq = next_seq++;
  heap[heap_len++] = (heap_slot){t->due, t->seq, t};
  sift_up(heap_len - 1);
  assert(heap_ordered());
  if (heap[0].timer != t || t->due >= lead_until) return false;
  lead_until = t->due;
  return true;
}

static void wake_leader(void) {
  weft__unpark_one(&lead_word, NULL, NULL);
}

static void heap_remove(struct weft_timer *t) {
  size_t i = t->slot;
  heap_slot last = heap[--heap_len];
  if (i < heap_len) {
    heap_set(i, last);
    sift_up(i);
    sift_down(last.timer->slot);
  }
  assert(heap_ordered());
}

/* -- helper threads -- */

static void helper_main(void *unused);

static int spawn(void) {
  return weft__start_helper("weft-timer", helper_main, NULL);
}

static void set_state(struct weft_timer *t, uintptr_t state) {
  weft__store(&t->state, state, memory_order_release);
}

/* Under the lock: the timer has run or been cancelled for good. */
static void settle(struct weft_timer *t, uintptr_t state) {
  assert(t->state == PENDING || t->state == RUNNING);
  if (awaited(t)) {
    assert(n_non_daemon > 0);
    n_non_daemon--;
    if (n_quiet_waiters) weft__unpark_all(&quiet_word); /* they count for themselves */
  }
  set_state(t, state);
  weft__unpark_all(&t->state);
}

/* Under the lock: the most helpers that may be in play at once. */
static size_t helper_bound(void) {
  return weft__cpu_count() + EXTRA_HELPERS;
}

/* Under the lock: helpers that may be counted on soon: all but those
 * stuck in a call that has run for over SLOW_NS. */
static size_t helpers_in_play(void) {
  size_t slow = 0;
  int64_t now = weft__port_now();
  for (weft__link *l = running.head; l; l = l->next)
    slow += now - timer_of(l)->ran_at > SLOW_NS;
  return n_helpers - slow;
}

/* Under the lock: make sure a thread is on its way for each ready timer and
 * for the lead if nobody has it: idle helpers first, then new ones, but no
 * more than the CPUs (plus a few) that can run them at once. Busy helpers
 * come back for the rest; only a call that runs long stops counting, so a
 * slow callback never holds up the others for long. False if no helper
 * exists or could be had. */
static bool call_helpers(void) {
  size_t want = ready_len + !has_leader;
  size_t need = want > n_coming ? want - n_coming : 0;
  for (; need > 0 && n_idle > 0 && weft__unpark_one(&idle_word, NULL, NULL); need--) {
    n_idle--;
    n_coming++;
  }
  for (; need > 0 && helpers_in_play() < helper_bound() && spawn() == WEFT_OK; need--) {
    n_helpers++;
    n_coming++;
  }
  /* The lead is never left to nobody: with every helper the bound allows
   * in a call (begun too lately to stop counting), one more starts for it,
   * so that someone looks again once those calls turn slow, or a call that
   * runs for long would hold up every timer. */
  if (!has_leader && n_coming == 0 && spawn() == WEFT_OK) {
    n_helpers++;
    n_coming++;
  }
  return has_leader || n_coming > 0 || n_helpers > 0;
}

/* Under the lock: move due timers to the ready list, as many as the
 * helpers the bound allows can take at once. The rest stay in the heap,
 * where helpers coming back for more find them: moving a burst of 100k
 * in one go would keep every helper waiting on the lock until the last
 * had been sorted out, and nobody would run a call meanwhile. */
static void collect_due(int64_t now) {
  for (struct weft_timer *t; ready_len < helper_bound() && (t = heap_due(now));) {
    heap_remove(t);
    set_state(t, RUNNING);
    weft__list_push_back(&ready, &t->link);
    ready_len++;
  }
}

/* The first ready timer, moved to the running list. */
static struct weft_timer *take_ready(void) {
  struct weft_timer *t = timer_of(weft__list_pop_front(&ready));
  ready_len--;
  t->ran_at = weft__port_now();
  weft__list_push_back(&running, &t->link);
  return t;
}

/* Under the lock, after a call: the next tick of a periodic timer (fixed
 * rate; ticks already missed are skipped), or the end. */
static struct weft_timer *after_call(struct weft_timer *t) {
  weft__list_remove(&running, &t->link);
  if (t->periodic && !t->stop && !exiting && heap_reserve()) {
    int64_t now = weft__port_now();
    int64_t k = (now - t->start) / t->interval + 1;
    t->due = t->start + k * t->interval;
    set_state(t, PENDING);
    if (heap_insert(t)) wake_leader();
    return NULL;
  }
  settle(t, t->periodic ? CANCELLED : FINISHED);
  return t; /* the scheduler's reference is to be dropped */
}

/* Run a ready timer's call (the lock is dropped meanwhile). Timers and
 * threads made by the callback inherit the timer's daemon flag, as they
 * would from Python's Timer thread. */
static void run(struct weft_thread *self, struct weft_timer *t) {
  weft_lock_release(&lock);
  if (self) self->daemon = t->daemon;
  current = t;
  weft__tsan_acquire(t); /* what its starter did before start */
  t->fn(t->arg);
  weft__tsan_release(t); /* what the call did, for its joiners */
  current = NULL;
  weft__lock_acquire_brief(&lock); /* in a burst, every helper comes back at this point */
  struct weft_timer *done = after_call(t);
  /* The scheduler's reference: dropped here, under the lock, unless it is
   * the last and the free (the user's allocator) is to be made. */
  if (done && weft__fetch_sub(&done->refs, 1, memory_order_acq_rel) == 1) {
    weft_lock_release(&lock);
    weft__free(done);
    weft_lock_acquire(&lock, WEFT_FOREVER);
  }
}

/* Under the lock: whether another thread can take the lead now (an idle
 * helper, or a new one within the bound). */
static bool successor_available(void) {
  return n_idle > 0 || helpers_in_play() < helper_bound();
}

/* Under the lock: when the next running call turns slow (and stops
 * counting against the bound), or WEFT__FOREVER. The running list is in
 * the order the calls began. */
static int64_t next_slow(int64_t now) {
  for (weft__link *l = running.head; l; l = l->next)
    if (now - timer_of(l)->ran_at <= SLOW_NS) return timer_of(l)->ran_at + SLOW_NS + 1;
  return WEFT__FOREVER;
}

/* Hold the lead until timers fall due. Then run the first due call here
 * (it follows the OS wake-up at once), handing the lead to another helper
 * if timers remain; if none can be had (every helper busy, the bound
 * reached), keep the lead, let the busy helpers drain the ready list as
 * their calls end, and look again when a call has run long enough to stop
 * counting against the bound. */
static void lead(struct weft_thread *self) {
  has_leader = true;
  for (;;) {
    int64_t now = weft__port_now();
    collect_due(now);
    if (ready_len) {
      bool alone = ready_len == 1 && heap_len == 0;
      if (alone || successor_available()) {
        struct weft_timer *t = take_ready();
        has_leader = false;
        lead_until = WEFT__FOREVER;
        /* Nothing else: this thread takes the lead again after its call (a
         * timer started meanwhile calls a helper), sparing a wake-up. */
        if (!alone) call_helpers();
        run(self, t);
        return;
      }
      call_helpers(); /* idle ones for the ready timers, if any came back */
    }
    lead_until = heap_len ? heap[0].due : WEFT__FOREVER;
    if (ready_len) {
      /* When a call turns slow, or in any case soon: helpers on their way
       * may yet take ready timers into calls that turn slow later. Due
       * timers left in the heap are for the helpers draining the ready
       * list; they give no reason to look sooner. */
      int64_t slow = next_slow(now);
      if (slow > now + SLOW_NS) slow = now + SLOW_NS;
      if (slow < lead_until || lead_until <= now) lead_until = slow;
    }
    weft__waiting(WEFT__WAIT_HELPER, &lead_word, 0, 0);
    weft__park_unlocking(&lead_word, &lock, lead_until, false);
  }
}

static void helper_main(void *unused) {
  (void)unused;
  struct weft_thread *self = weft__self_if_any();
  weft_lock_acquire(&lock, WEFT_FOREVER);
  n_coming--; /* call_helpers counted this thread in when it started it */
  for (int64_t now;;) {
    if (!has_leader) {
      lead(self);
    } else if (!weft__list_empty(&ready)) {
      run(self, take_ready());
    } else if (heap_len && heap_due(now = weft__port_now())) {
      /* A burst bigger than the ready list: take the next share. Helpers
       * to call only if some are idle or may start; for the rest (calls
       * turning slow) the leader looks. */
      collect_due(now);
      if (n_idle > 0 || n_helpers < helper_bound()) call_helpers();
      run(self, take_ready());
    } else {
      n_idle++;
      weft__waiting(WEFT__WAIT_HELPER, &idle_word, 0, 0);
      int r = weft__park_unlocking(&idle_word, &lock, weft__port_now() + IDLE_NS, false);
      if (r == WEFT__PARK_OK) {
        n_coming--; /* call_helpers took it off n_idle */
        continue;
      }
      n_idle--;
      if (r == WEFT__PARK_TIMEOUT && has_leader && weft__list_empty(&ready) && n_helpers > 1) {
        n_helpers--;
        weft_lock_release(&lock);
        return;
      }
    }
  }
}

static void register_once(void);

/* -- the API -- */

weft_timer *weft_timer_new(double interval, weft_fn fn, void *arg) {
  if (!fn || interval != interval || interval < 0) return NULL;
  struct weft_thread *creator = weft__self();
  struct weft_timer *t = weft__malloc(sizeof *t);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->refs = 1;
  t->fn = fn;
  t->arg = arg;
  t->daemon = creator ? creator->daemon : false;
  if (interval > WEFT_TIMEOUT_MAX) {
    t->interval = WEFT__FOREVER; /* never comes */
  } else {
    double ns = interval * 1e9;
    t->interval = (int64_t)ns + ((double)(int64_t)ns < ns);
  }
  return t;
}

static int set_before_start(weft_timer *t, bool *field, bool value) {
  if (!t) return WEFT_EINVAL;
  weft_lock_acquire(&lock, WEFT_FOREVER);
  int status = t->state == NEW ? WEFT_OK : WEFT_ESTATE;
  if (status == WEFT_OK) *field = value;
  weft_lock_release(&lock);
  return status;
}

int weft_timer_set_periodic(weft_timer *t, bool periodic) {
  if (t && periodic && t->interval == 0) return WEFT_EINVAL;
  return set_before_start(t, t ? &t->periodic : NULL, periodic);
}

int weft_timer_set_daemon(weft_timer *t, bool daemon) {
  return set_before_start(t, t ? &t->daemon : NULL, daemon);
}

int weft_timer_start(weft_timer *t) {
  if (!t) return WEFT_EINVAL;
  weft__tsan_release(t);
  register_once();
  weft__process_arm_exit();
  weft_lock_acquire(&lock, WEFT_FOREVER);
  int status = WEFT_OK;
  bool wake = false;
  if (t->state != NEW)
    status = t->state == CANCELLED ? WEFT_ECANCELED : WEFT_ESTATE;
  else if (closed)
    status = WEFT_ESHUTDOWN;
  else if (!heap_reserve())
    status = WEFT_ENOMEM;
  else if (!call_helpers()) /* the first timer starts the first helper */
    status = WEFT_EAGAIN;
  if (status == WEFT_OK) {
    weft_timer_ref(t); /* the scheduler's */
    t->start = weft__port_now();
    t->due = t->interval == WEFT__FOREVER ? WEFT__FOREVER : t->start + t->interval;
    if (awaited(t)) n_non_daemon++;
    set_state(t, PENDING);
    wake = heap_insert(t);
  }
  weft_lock_release(&lock);
  if (wake) wake_leader(); /* not under the lock: the leader needs it at once */
  return status;
}

int weft_timer_cancel(weft_timer *t) {
  if (!t) return WEFT_EINVAL;
  bool drop = false;
  int status = WEFT_OK;
  weft_lock_acquire(&lock, WEFT_FOREVER);
  switch (t->state) {
  case NEW:
    set_state(t, CANCELLED);
    break;
  case PENDING:
    heap_remove(t);
    settle(t, CANCELLED);
    drop = true;
    break;
  case RUNNING:
    if (t->periodic && !t->stop)
      t->stop = true; /* its later calls will not happen */
    else
      status = WEFT_ESTATE;
    break;
  default:
    status = WEFT_ESTATE;
  }
  weft_lock_release(&lock);
  if (drop) weft_timer_unref(t);
  return status;
}

static int join(weft_timer *t, double timeout) {
  if (!t || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  if (t == current) return WEFT_EDEADLK; /* from its own callback */
  uintptr_t s = weft__load(&t->state, memory_order_acquire);
  if (s == NEW) return WEFT_ESTATE;
  int64_t deadline = weft__deadline(timeout);
  while ((s = weft__load(&t->state, memory_order_acquire)) == PENDING || s == RUNNING) {
    if (timeout != 0) weft__waiting(WEFT__WAIT_TIMER, t, 0, 0);
    if (timeout == 0 || weft__park(&t->state, s, deadline, NULL) == WEFT__PARK_TIMEOUT) {
      s = weft__load(&t->state, memory_order_acquire);
      return s == PENDING || s == RUNNING ? WEFT_TIMEOUT : WEFT_OK;
    }
  }
  return WEFT_OK;
}

int weft_timer_join(weft_timer *t, double timeout) {
  return weft__tsan_acquired(t, join(t, timeout));
}

/* -- process exit and fork -- */

/* Under the lock, at exit: periodic timers stop here, pending or due (a
 * call already under way finishes). They are gathered first, then taken
 * out: removing from the heap while walking it would move unvisited
 * timers into visited slots. The scheduler's references go with them (a
 * free takes no weft lock, so it may happen here). */
static void stop_periodic(void) {
  weft__list stopping = {NULL, NULL};
  for (size_t i = 0; i < heap_len; i++)
    if (heap[i].timer->periodic) weft__list_push_back(&stopping, &heap[i].timer->link);
  for (struct weft_timer *t; (t = timer_of(weft__list_pop_front(&stopping)));) {
    heap_remove(t);
    settle(t, CANCELLED);
    weft_timer_unref(t);
  }
  for (weft__link *l = ready.head, *next; l; l = next) {
    next = l->next;
    struct weft_timer *t = timer_of(l);
    if (!t->periodic) continue;
    weft__list_remove(&ready, l);
    ready_len--;
    settle(t, CANCELLED);
    weft_timer_unref(t);
  }
}

/* Process exit has begun: periodic timers are stopped, not awaited; daemon
 * timers are left to die with the process. */
static void exit_begin(void) {
  weft_lock_acquire(&lock, WEFT_FOREVER);
  if (!exiting) {
    exiting = true;
    stop_periodic();
  }
  weft_lock_release(&lock);
}

static int wait_quiet(int64_t deadline, bool try_only, bool *waited) {
  int status = WEFT_OK;
  weft_lock_acquire(&lock, WEFT_FOREVER);
  size_t own = own_share();
  *waited = n_non_daemon > own;
  while (n_non_daemon > own) {
    if (try_only) {
      status = WEFT_TIMEOUT;
      break;
    }
    n_quiet_waiters++;
    int r = weft__park_unlocking(&quiet_word, &lock, deadline, false);
    n_quiet_waiters--;
    if (r == WEFT__PARK_TIMEOUT && n_non_daemon > own) {
      status = WEFT_TIMEOUT;
      break;
    }
  }
  weft_lock_release(&lock);
  return status;
}

static bool quiet_locked(void) {
  return n_non_daemon <= own_share();
}

static void close_locked(void) {
  closed = true;
}

/* Under the (inherited) lock: a timer whose helper is gone ends here: a
 * pending or due one never fires, a running one counts as finished. The
 * helper's reference goes with it. */
static void end_in_child(struct weft_timer *t, uintptr_t state) {
  set_state(t, state);
  weft_timer_unref(t);
}

static void after_fork_child(void) {
  /* Only the forking thread lives on: the helpers are gone. If it is one
   * of them, in a callback, that timer is still running, here. */
  for (size_t i = 0; i < heap_len; i++)
    end_in_child(heap[i].timer, CANCELLED);
  for (struct weft_timer *t; (t = timer_of(weft__list_pop_front(&ready)));)
    end_in_child(t, CANCELLED);
  for (weft__link *l = running.head, *next; l; l = next) {
    next = l->next;
    struct weft_timer *t = timer_of(l);
    if (t == current) continue;
    weft__list_remove(&running, l);
    end_in_child(t, t->periodic ? CANCELLED : FINISHED);
  }
  heap_len = ready_len = 0;
  has_leader = false;
  lead_until = WEFT__FOREVER;
  n_helpers = current ? 1 : 0;
  n_idle = n_coming = n_quiet_waiters = 0;

  n_non_daemon = own_share();
}

static weft__subsystem timers_subsystem = {.order = WEFT__ORDER_TIMERS,
                                           .lock = &lock,
                                           .exit_begin = exit_begin,
                                           .wait = wait_quiet,
                                           .quiet_locked = quiet_locked,
                                           .close_locked = close_locked,
                                           .after_fork_child = after_fork_child};

static void register_timers(void *unused) {
  (void)unused;
  weft__process_register(&timers_subsystem);
}

/* At the first start: until then no timer is pending. */
static void register_once(void) {
  static weft_once once = WEFT_ONCE_INIT;
  weft_call_once(&once, register_timers, NULL);
}
