/* weft_timer: threading.Timer without a thread per timer.
 *
 * Pending timers sit in one binary heap ordered by (due, arrival), under one
 * lock. A scheduler thread ("weft-sched") sleeps until the earliest due
 * time, moves due timers to a ready list and hands them to callback workers
 * ("weft-timer"), starting another worker whenever every worker is busy, so
 * a slow callback never delays the others. Idle workers beyond the first
 * leave after a while.
 *
 * A timer's life: NEW -> PENDING -> RUNNING -> FINISHED, or CANCELLED from
 * NEW or PENDING (and, for a periodic timer, after its current call).
 * Every change happens under the scheduler lock, so a cancel and a firing
 * cannot both win. While pending or running, the scheduler holds a
 * reference; joiners park on `state`. */
#include "internal.h"

#include <string.h>

enum { NEW, PENDING, RUNNING, FINISHED, CANCELLED };

#define IDLE_NS INT64_C(5000000000) /* a spare worker leaves after 5 s idle */

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
  uint64_t seq;
  size_t slot; /* index in the heap while pending */
  struct weft_timer *next_ready;
};

static weft_lock lock;
static struct weft_timer **heap;
static size_t heap_len, heap_cap;
static uint64_t next_seq;
static struct weft_timer *ready_head, *ready_tail;
static uintptr_t sched_word, worker_word, quiet_word; /* parking addresses */
static bool sched_started;
static int64_t sched_until = WEFT__FOREVER; /* what the scheduler sleeps towards */
static size_t ready_len;
static size_t n_workers;    /* callback workers alive */
static size_t n_idle;       /* parked and not yet called on */
static size_t n_coming;     /* called on (woken or just started), not yet at the ready list */
static size_t n_non_daemon; /* non-daemon one-shot timers pending or running */
static bool exiting;        /* the process is ending: periodic timers stop */

/* -- references -- */

weft_timer *weft_timer_ref(weft_timer *t) {
  if (t) weft__fetch_add(&t->refs, 1, memory_order_relaxed);
  return t;
}

void weft_timer_unref(weft_timer *t) {
  if (t && weft__fetch_sub(&t->refs, 1, memory_order_acq_rel) == 1) weft__free(t);
}

/* -- the heap -- */

static bool earlier(const struct weft_timer *a, const struct weft_timer *b) {
  return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(size_t i, struct weft_timer *t) {
  heap[i] = t;
  t->slot = i;
}

static void sift_up(size_t i) {
  struct weft_timer *t = heap[i];
  while (i > 0 && earlier(t, heap[(i - 1) / 2])) {
    heap_set(i, heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  heap_set(i, t);
}

static void sift_down(size_t i) {
  struct weft_timer *t = heap[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= heap_len) break;
    if (c + 1 < heap_len && earlier(heap[c + 1], heap[c])) c++;
    if (!earlier(heap[c], t)) break;
    heap_set(i, heap[c]);
    i = c;
  }
  heap_set(i, t);
}

static bool heap_reserve(void) {
  if (heap_len < heap_cap) return true;
  size_t cap = heap_cap ? heap_cap * 2 : 64;
  struct weft_timer **h = weft__realloc(heap, cap * sizeof *h);
  if (!h) return false;
  heap = h;
  heap_cap = cap;
  return true;
}

/* Insert (room reserved); wake the scheduler if this is now the earliest. */
static void heap_insert(struct weft_timer *t) {
  t->seq = next_seq++;
  heap[heap_len++] = t;
  sift_up(heap_len - 1);
  if (heap[0] == t && t->due < sched_until) {
    sched_until = t->due;
    weft__unpark_one(&sched_word, NULL, NULL);
  }
}

static void heap_remove(struct weft_timer *t) {
  size_t i = t->slot;
  struct weft_timer *last = heap[--heap_len];
  if (i == heap_len) return;
  heap_set(i, last);
  sift_up(i);
  sift_down(last->slot);
}

/* -- helper threads -- */

static int spawn(void (*entry)(void *)) {
  weft__os_thread os;
  int status = weft__port_thread_create(&os, 0, entry, NULL);
  if (status == WEFT_OK) weft__port_thread_release(&os, false); /* detach */
  return status;
}

static void set_state(struct weft_timer *t, uintptr_t state) {
  weft__store(&t->state, state, memory_order_release);
}

/* Under the lock: the timer has run or been cancelled for good. */
static void settle(struct weft_timer *t, uintptr_t state) {
  if (!t->periodic && !t->daemon && --n_non_daemon == 0) weft__unpark_all(&quiet_word);
  set_state(t, state);
  weft__unpark_all(&t->state);
}

static void worker_main(void *unused);

/* Under the lock: move due timers to the ready list and make sure each has
 * a worker on its way: an idle one woken, or a new one started. */
static void dispatch(int64_t now) {
  while (heap_len && heap[0]->due <= now) {
    struct weft_timer *t = heap[0];
    heap_remove(t);
    set_state(t, RUNNING);
    t->next_ready = NULL;
    if (ready_tail)
      ready_tail->next_ready = t;
    else
      ready_head = t;
    ready_tail = t;
    ready_len++;
  }
  size_t need = ready_len > n_coming ? ready_len - n_coming : 0;
  for (; need > 0 && n_idle > 0 && weft__unpark_one(&worker_word, NULL, NULL); need--) {
    n_idle--;
    n_coming++;
  }
  for (; need > 0 && spawn(worker_main) == WEFT_OK; need--) {
    n_workers++;
    n_coming++;
  }
}

static void scheduler_main(void *unused) {
  (void)unused;
  weft__become_helper("weft-sched");
  weft_lock_acquire(&lock, WEFT_FOREVER);
  for (;;) {
    dispatch(weft__port_now());
    sched_until = heap_len ? heap[0]->due : WEFT__FOREVER;
    weft__park_unlocking(&sched_word, &lock, sched_until);
  }
}

/* Under the lock, after a call: the next tick of a periodic timer (fixed
 * rate; ticks already missed are skipped), or the end. */
static struct weft_timer *after_call(struct weft_timer *t) {
  if (t->periodic && !t->stop && !exiting && heap_reserve()) {
    int64_t now = weft__port_now();
    int64_t k = (now - t->start) / t->interval + 1;
    t->due = t->start + k * t->interval;
    set_state(t, PENDING);
    heap_insert(t);
    return NULL;
  }
  settle(t, t->periodic ? CANCELLED : FINISHED);
  return t; /* the scheduler's reference is to be dropped */
}

static void worker_main(void *unused) {
  (void)unused;
  struct weft_thread *self = weft__become_helper("weft-timer");
  weft_lock_acquire(&lock, WEFT_FOREVER);
  n_coming--; /* dispatch counted this worker in when it started it */
  for (;;) {
    while (!ready_head) {
      n_idle++;
      int r = weft__park_unlocking(&worker_word, &lock, weft__port_now() + IDLE_NS);
      if (r == WEFT__PARK_OK) {
        n_coming--; /* dispatch took it off n_idle */
        continue;
      }
      n_idle--;
      if (r == WEFT__PARK_TIMEOUT && !ready_head && n_workers > 1) {
        n_workers--;
        weft_lock_release(&lock);
        return;
      }
    }
    struct weft_timer *t = ready_head;
    ready_head = t->next_ready;
    if (!ready_head) ready_tail = NULL;
    ready_len--;
    weft_lock_release(&lock);
    /* Timers and threads made by the callback inherit the timer's flag, as
     * they would from Python's Timer thread. */
    if (self) self->daemon = t->daemon;
    t->fn(t->arg);
    weft_lock_acquire(&lock, WEFT_FOREVER);
    struct weft_timer *done = after_call(t);
    if (done) {
      weft_lock_release(&lock);
      weft_timer_unref(done);
      weft_lock_acquire(&lock, WEFT_FOREVER);
    }
  }
}

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
  weft__ensure_exit_wait();
  weft_lock_acquire(&lock, WEFT_FOREVER);
  int status = WEFT_OK;
  if (t->state != NEW)
    status = t->state == CANCELLED ? WEFT_ECANCELED : WEFT_ESTATE;
  else if (!heap_reserve())
    status = WEFT_ENOMEM;
  else if (!sched_started && (status = spawn(scheduler_main)) == WEFT_OK)
    sched_started = true;
  if (status == WEFT_OK) {
    weft_timer_ref(t); /* the scheduler's */
    t->start = weft__port_now();
    t->due = t->interval == WEFT__FOREVER ? WEFT__FOREVER : t->start + t->interval;
    if (!t->periodic && !t->daemon) n_non_daemon++;
    set_state(t, PENDING);
    heap_insert(t);
  }
  weft_lock_release(&lock);
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

int weft_timer_join(weft_timer *t, double timeout) {
  if (!t || weft__bad_timeout(timeout)) return WEFT_EINVAL;
  uintptr_t s = weft__load(&t->state, memory_order_acquire);
  if (s == NEW) return WEFT_ESTATE;
  int64_t deadline = weft__deadline(timeout);
  while ((s = weft__load(&t->state, memory_order_acquire)) == PENDING || s == RUNNING) {
    if (timeout == 0 || weft__park(&t->state, s, deadline, NULL) == WEFT__PARK_TIMEOUT) {
      s = weft__load(&t->state, memory_order_acquire);
      return s == PENDING || s == RUNNING ? WEFT_TIMEOUT : WEFT_OK;
    }
  }
  return WEFT_OK;
}

/* -- process exit and fork -- */

int weft__timers_wait(int64_t deadline, bool try_only, bool at_exit, bool *waited) {
  int status = WEFT_OK;
  weft_lock_acquire(&lock, WEFT_FOREVER);
  if (at_exit && !exiting) {
    /* Periodic timers are stopped, not awaited; daemon timers are left to
     * die with the process. */
    exiting = true;
    for (size_t i = heap_len; i-- > 0;) {
      struct weft_timer *t = heap[i];
      if (t->periodic) {
        heap_remove(t);
        settle(t, CANCELLED); /* its reference is left: the process ends */
      }
    }
  }
  *waited = n_non_daemon > 0;
  while (n_non_daemon > 0) {
    if (try_only) {
      status = WEFT_TIMEOUT;
      break;
    }
    if (weft__park_unlocking(&quiet_word, &lock, deadline) == WEFT__PARK_TIMEOUT &&
        n_non_daemon > 0) {
      status = WEFT_TIMEOUT;
      break;
    }
  }
  weft_lock_release(&lock);
  return status;
}

void weft__timers_after_fork(void) {
  /* The scheduler and the workers are gone: every timer ends here as
   * cancelled, and a new scheduler starts on demand. */
  weft__store(&lock.v_, 0, memory_order_relaxed);
  for (size_t i = 0; i < heap_len; i++)
    set_state(heap[i], CANCELLED);
  for (struct weft_timer *t = ready_head; t; t = t->next_ready)
    set_state(t, CANCELLED);
  heap_len = ready_len = 0;
  ready_head = ready_tail = NULL;
  sched_started = false;
  sched_until = WEFT__FOREVER;
  n_workers = n_idle = n_coming = n_non_daemon = 0;
}
