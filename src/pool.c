/* weft_pool: concurrent.futures.ThreadPoolExecutor, on weft threads.
 *
 * One lock guards a pool: its ring of tasks (function, argument and future
 * if one was asked for; the ring grows by doubling, so a steady stream
 * allocates nothing but the futures asked for), its workers and counts.
 * Workers are weft threads named <prefix>_N, started by submit when needed
 * and never more than max_workers. What a submit needs to know about them:
 *
 *   looking  workers awake and out of a task: each will look at the ring
 *            under the lock before it sleeps (a worker just started, just
 *            woken, or just out of its task's function)
 *   idle     workers asleep, on a stack (the last to sleep is woken first,
 *            its caches still warm), each parked on a word of its own
 *
 * submit queues the task and, if the ring (with a forked child's orphans)
 * now holds more tasks than there are workers looking, wakes the top idle
 * worker or else starts a new one: so no thread is started while one is
 * idle, a worker goes from task to task without sleeping, and a stream
 * into a busy pool wakes nobody. A worker counts itself looking before its
 * future shows the result, so a submit made after result() returns finds
 * it (three tasks one after another run on one worker).
 *
 * Tasks start in ring order. A future is started with a compare-and-swap
 * (future.c): a cancel that wins leaves the task in the ring, and the
 * worker that takes it out drops it.
 *
 * Process exit (process.c) waits until no non-daemon pool has a task
 * queued or running (the caller's own task excepted), then closes every
 * pool to later submits. Idle workers are `owned` threads (thread.h): the
 * exit wait does not wait for them, and they end with the process. For
 * fork and for the exit wait's last look every pool's lock is held too
 * (lock_more).
 *
 * In a forked child only the forking thread lives on. The pool keeps its
 * queued tasks and starts new workers for them at the first call that
 * needs them (a submit, a shutdown, a wait on a future, the exit wait).
 * Tasks whose workers stayed behind end there: a task that was still in
 * its function is cancelled, one whose result was in hand finishes with
 * it, each by the first new worker. If the forking thread was a worker
 * (it forked from a task, callback or initializer), it finishes that in
 * the child and then leaves the pool. */
#include "future.h"
#include "subsystem.h"
#include "thread.h"

#include <stdio.h>
#include <string.h>

typedef struct task {
  weft_task fn;
  void *arg;
  weft_future *f; /* NULL: fire and forget */
} task;

enum { NO_TASK, IN_TASK, COMPLETING };

typedef struct worker {
  weft__link link; /* in its pool's list, until the pool is freed */
  weft_pool *pool;
  weft_thread *thread;
  struct worker *next; /* in the idle stack, or the orphans */
  uintptr_t wake;      /* 0 while in the idle stack; parked on */
  int phase;           /* pool lock: NO_TASK, IN_TASK (in its function), COMPLETING */
  task current;        /* pool lock: the task it runs */
  void *result;        /* pool lock: the result, while COMPLETING */
  bool leaving;        /* a forked child's forking thread: leaves after this task */
} worker;

struct weft_pool {
  weft_lock lock;
  task *ring; /* capacity mask + 1, a power of two (0 while NULL) */
  size_t mask, head, count;
  size_t n_tasks; /* queued or running (callbacks included) */
  size_t max_workers;
  size_t n_workers;  /* started or being started, not yet ended */
  size_t n_starting; /* starts under way, outside the lock */
  size_t n_looking;
  worker *idle;
  worker *orphans; /* forked child: tasks whose workers stayed behind */
  size_t n_orphans;
  weft__list workers; /* every worker started, until the pool is freed */
  size_t n_names;     /* N of the next worker's name */
  size_t number;      /* K of the default prefix */
  char *prefix;
  weft_fn init;
  void *init_arg;
  bool daemon;
  bool used;          /* a task was submitted: the setters refuse */
  bool shut;          /* weft_pool_shutdown */
  bool closed;        /* process exit has finished waiting */
  bool starving;      /* forked child: tasks queued, nobody to run them */
  uintptr_t end_word; /* shutdown(wait) parks here */
  size_t end_waiters;
  weft__link link; /* in the list of pools */
};

/* The process's pools: the subsystem's lock and state. */
static weft_lock pools_lock;
static weft__list pools;
static bool pools_closed;             /* pools_lock: the exit wait is over */
static uintptr_t pool_counter;        /* K */
static uintptr_t quiet_seq;           /* exit waiters park on it; bumped as tasks end */
static uintptr_t quiet_waiters;       /* atomic: how many */
static uintptr_t starving;            /* atomic: some pool is starving (forked child) */
static WEFT__THREAD_LOCAL worker *me; /* the worker this thread is */

static weft_pool *pool_of(weft__link *l) {
  return WEFT__CONTAINER(l, weft_pool, link);
}

static worker *worker_of(weft__link *l) {
  return WEFT__CONTAINER(l, worker, link);
}

static void register_once(void);
static void kick_starving(void);

/* -- the ring -- */

/* Room for one more task; false (nothing changed) if memory is short. */
static bool ring_reserve(weft_pool *p) {
  size_t cap = p->ring ? p->mask + 1 : 0;
  if (p->count < cap) return true;
  size_t grown = cap ? cap * 2 : 16;
  if (grown <= cap || grown > SIZE_MAX / sizeof(task)) return false;
  task *ring = weft__malloc(grown * sizeof *ring);
  if (!ring) return false;
  for (size_t i = 0; i < p->count; i++)
    ring[i] = p->ring[(p->head + i) & p->mask];
  weft__free(p->ring);
  p->ring = ring;
  p->mask = grown - 1;
  p->head = 0;
  return true;
}

static void ring_push(weft_pool *p, task t) {
  p->ring[(p->head + p->count++) & p->mask] = t;
}

static task ring_pop(weft_pool *p) {
  task t = p->ring[p->head];
  p->head = (p->head + 1) & p->mask;
  p->count--;
  return t;
}

/* Take the last queued task equal to t out of the ring; false if none. */
static bool ring_take_back(weft_pool *p, task t) {
  for (size_t i = p->count; i-- > 0;) {
    task *at = &p->ring[(p->head + i) & p->mask];
    if (at->fn != t.fn || at->arg != t.arg || at->f != t.f) continue;
    for (size_t j = i; j + 1 < p->count; j++)
      p->ring[(p->head + j) & p->mask] = p->ring[(p->head + j + 1) & p->mask];
    p->count--;
    return true;
  }
  return false;
}

/* -- counts -- */

static size_t pending(const weft_pool *p) {
  return p->count + p->n_orphans;
}

/* Under the lock: how many of n_tasks the calling thread must not wait
 * for (its own task, when it ends the process or calls weft_shutdown). */
static size_t own_share(const weft_pool *p) {
  return me && me->pool == p && me->phase != NO_TASK ? 1 : 0;
}

static bool busy_locked(const weft_pool *p) {
  return !p->daemon && p->n_tasks > own_share(p);
}

/* Under the lock: wake a shutdown(wait) once all is over. */
static void wake_end_locked(weft_pool *p) {
  if (p->end_waiters && !p->n_workers && !p->n_starting && !p->n_tasks)
    weft__unpark_all(&p->end_word);
}

/* Under the lock: a task has ended (or left the ring unrun). */
static void task_done_locked(weft_pool *p) {
  p->n_tasks--;
  if (!p->daemon && p->n_tasks <= 1 && weft__load(&quiet_waiters, memory_order_seq_cst)) {
    weft__fetch_add(&quiet_seq, 1, memory_order_seq_cst);
    weft__unpark_all(&quiet_seq);
  }
  wake_end_locked(p);
}

/* -- workers -- */

/* Under the lock: a worker woken, or one to start reserved (*start, with
 * its name's number in *name), if the queued tasks outnumber the workers
 * looking. */
static worker *provide_locked(weft_pool *p, bool *start, size_t *name) {
  *start = false;
  if (pending(p) <= p->n_looking) return NULL;
  worker *w = p->idle;
  if (w) {
    p->idle = w->next;
    p->n_looking++;
    weft__store(&w->wake, 1, memory_order_release);
    return w;
  }
  if (p->n_workers < p->max_workers) {
    p->n_workers++;
    p->n_starting++;
    p->n_looking++;
    *name = p->n_names++;
    *start = true;
  }
  return NULL;
}

static void wake(worker *w) {
  if (w) weft__unpark_one(&w->wake, NULL, NULL);
}

/* Under the lock: wake or reserve workers until each queued task has one;
 * returns how many to start (their names: the next numbers). */
static size_t reserve_all_locked(weft_pool *p) {
  size_t k = 0;
  for (;;) {
    bool start;
    size_t name;
    worker *w = provide_locked(p, &start, &name);
    if (w)
      wake(w);
    else if (start)
      k++;
    else
      return k;
  }
}

/* Under the lock: go to sleep on the idle stack until a submit or a
 * shutdown wakes this worker (it is then counted looking again). */
static void sleep_idle(weft_pool *p, worker *w) {
  p->n_looking--;
  weft__store(&w->wake, 0, memory_order_relaxed);
  w->next = p->idle;
  p->idle = w;
  weft_lock_release(&p->lock);
  while (!weft__load(&w->wake, memory_order_acquire)) {
    weft__waiting(WEFT__WAIT_POOL, p, 0, 0);
    weft__park(&w->wake, 0, WEFT__FOREVER, NULL);
  }
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
}

/* Under the lock: take the next task and run it; back under the lock,
 * counted looking again. */
static void run_next(weft_pool *p, worker *w) {
  task t = ring_pop(p);
  p->n_looking--;
  w->phase = IN_TASK;
  w->current = t;
  weft_lock_release(&p->lock);
  bool run = !t.f || weft__future_start(t.f);
  void *result = run ? t.fn(t.arg) : NULL;
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
  if (!w->leaving) p->n_looking++;
  if (t.f && run) {
    w->phase = COMPLETING;
    w->result = result;
    weft_lock_release(&p->lock);
    weft__future_finish(t.f, result);
    weft_lock_acquire(&p->lock, WEFT_FOREVER);
  }
  /* Under the lock, so that a fork never finds the reference dropped
   * while the task still shows. */
  if (t.f) weft_future_unref(t.f);
  w->phase = NO_TASK;
  w->current.f = NULL;
  task_done_locked(p);
}

/* Under the lock, in a forked child: end a task whose worker stayed behind
 * in the parent (see the top). */
static void settle_orphan(weft_pool *p) {
  worker *o = p->orphans;
  p->orphans = o->next;
  p->n_orphans--;
  p->n_looking--;
  weft_lock_release(&p->lock);
  if (o->phase == COMPLETING)
    weft__future_finish(o->current.f, o->result);
  else
    weft__future_cancel_running(o->current.f);
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
  p->n_looking++;
  weft_future_unref(o->current.f);
  weft__free(o);
  task_done_locked(p);
}

static void worker_main(void *arg) {
  worker *w = arg;
  weft_pool *p = w->pool;
  me = w;
  if (p->init) p->init(p->init_arg);
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
  while (!w->leaving) {
    if (p->orphans)
      settle_orphan(p);
    else if (p->count)
      run_next(p, w);
    else if (p->shut)
      break;
    else
      sleep_idle(p, w);
  }
  bool leaving = w->leaving;
  if (!leaving) {
    p->n_looking--;
    p->n_workers--;
    wake_end_locked(p);
  }
  weft_lock_release(&p->lock);
  me = NULL;
  if (leaving) weft__free(w); /* no longer listed: its own */
}

/* Start a worker reserved under the lock (provide_locked), name number n.
 * On failure the reservation is undone; then, if the pool has no worker at
 * all, `mine` (the submit's task, may be NULL) is taken back out of the
 * ring and the failure returned; otherwise the task waits for the workers
 * there are (WEFT_OK). */
static int start_reserved(weft_pool *p, size_t n, const task *mine) {
  char buf[96], *name = buf;
  size_t len = strlen(p->prefix) + 24;
  if (len > sizeof buf) name = weft__malloc(len);
  worker *w = name ? weft__malloc(sizeof *w) : NULL;
  weft_thread *t = NULL;
  if (w) {
    memset(w, 0, sizeof *w);
    w->pool = p;
    snprintf(name, len, "%s_%lu", p->prefix, (unsigned long)n);
    t = w->thread = weft__thread_new_owned(worker_main, w, name, p->daemon);
  }
  if (name != buf) weft__free(name);
  int status = t ? weft_thread_start(t) : WEFT_ENOMEM;
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
  p->n_starting--;
  if (status == WEFT_OK) {
    weft__list_push_back(&p->workers, &w->link);
  } else {
    p->n_workers--;
    p->n_looking--;
    if (p->n_names == n + 1) p->n_names = n; /* names stay dense */
    if (mine && p->n_workers > 0)
      status = WEFT_OK;
    else if (mine && ring_take_back(p, *mine))
      task_done_locked(p);
    else if (mine)
      status = WEFT_OK; /* dealt with meanwhile (a shutdown cancelled it) */
    wake_end_locked(p);
  }
  weft_lock_release(&p->lock);
  if (t && status != WEFT_OK) weft_thread_unref(t);
  if (w && (!t || status != WEFT_OK)) weft__free(w);
  return status;
}

/* -- the API -- */

static char *default_prefix(size_t number) {
  char buf[48];
  snprintf(buf, sizeof buf, "ThreadPoolExecutor-%lu", (unsigned long)number);
  return weft__strdup(buf);
}

weft_pool *weft_pool_new(size_t max_workers) {
  register_once();
  weft_pool *p = weft__malloc(sizeof *p);
  if (!p) return NULL;
  memset(p, 0, sizeof *p);
  if (max_workers == 0) {
    unsigned n = weft_cpu_count() + 4;
    max_workers = n < 32 ? n : 32;
  }
  p->max_workers = max_workers;
  p->number = weft__fetch_add(&pool_counter, 1, memory_order_relaxed);
  p->prefix = default_prefix(p->number);
  if (!p->prefix) {
    weft__free(p);
    return NULL;
  }
  struct weft_thread *creator = weft__self();
  p->daemon = creator ? creator->daemon : false;
  weft_lock_acquire(&pools_lock, WEFT_FOREVER);
  p->closed = pools_closed;
  weft__list_push_back(&pools, &p->link);
  weft_lock_release(&pools_lock);
  return p;
}

/* The setters: under the lock, before the first submit. */
static int set_unused(weft_pool *p, char *prefix, const weft_fn *init, void *arg,
                      const bool *daemon) {
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
  int status = p->used ? WEFT_ESTATE : WEFT_OK;
  if (status == WEFT_OK) {
    if (prefix) {
      char *old = p->prefix;
      p->prefix = prefix;
      prefix = old; /* freed below */
    }
    if (init) {
      p->init = *init;
      p->init_arg = arg;
    }
    if (daemon) p->daemon = *daemon;
  }
  weft_lock_release(&p->lock);
  weft__free(prefix);
  return status;
}

int weft_pool_set_name_prefix(weft_pool *p, const char *prefix) {
  if (!p || !prefix) return WEFT_EINVAL;
  /* As Python's thread_name_prefix: empty means the default. */
  char *copy = *prefix ? weft__strdup(prefix) : default_prefix(p->number);
  if (!copy) return WEFT_ENOMEM;
  return set_unused(p, copy, NULL, NULL, NULL);
}

int weft_pool_set_initializer(weft_pool *p, weft_fn init, void *arg) {
  if (!p) return WEFT_EINVAL;
  return set_unused(p, NULL, &init, arg, NULL);
}

int weft_pool_set_daemon(weft_pool *p, bool daemon) {
  if (!p) return WEFT_EINVAL;
  return set_unused(p, NULL, NULL, NULL, &daemon);
}

int weft_pool_submit(weft_pool *p, weft_task fn, void *arg, weft_future **out) {
  if (out) *out = NULL;
  if (!p || !fn) return WEFT_EINVAL;
  weft_future *f = NULL;
  if (out && !(f = weft__future_new_pooled())) return WEFT_ENOMEM;
  kick_starving();
  task t = {fn, arg, f};
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
  int status = p->shut || p->closed ? WEFT_ESHUTDOWN : ring_reserve(p) ? WEFT_OK : WEFT_ENOMEM;
  bool start = false;
  size_t name = 0;
  worker *w = NULL;
  if (status == WEFT_OK) {
    p->used = true;
    ring_push(p, t);
    p->n_tasks++;
    w = provide_locked(p, &start, &name);
  }
  weft_lock_release(&p->lock);
  wake(w);
  if (start) status = start_reserved(p, name, &t);
  if (status != WEFT_OK) {
    if (f) { /* nobody saw it: both references go */
      weft_future_unref(f);
      weft_future_unref(f);
    }
    return status;
  }
  if (out) *out = f;
  return WEFT_OK;
}

int weft_pool_map(weft_pool *p, weft_task fn, void *const *args, size_t n, void **results,
                  double timeout) {
  if (!p || !fn || weft__bad_timeout(timeout) || (n && (!args || !results))) return WEFT_EINVAL;
  if (n == 0) return WEFT_OK;
  bool try_only = timeout == 0;
  int64_t deadline = try_only ? 0 : weft__deadline(timeout); /* from the call, as Python */
  weft_future **fs = n <= SIZE_MAX / sizeof *fs ? weft__malloc(n * sizeof *fs) : NULL;
  if (!fs) return WEFT_ENOMEM;
  size_t submitted = 0, got = 0;
  int status = WEFT_OK;
  for (; submitted < n && status == WEFT_OK; submitted++)
    status = weft_pool_submit(p, fn, args[submitted], &fs[submitted]);
  if (status != WEFT_OK) submitted--;
  for (; status == WEFT_OK && got < n; got++) {
    status = weft__future_wait_until(fs[got], deadline, try_only);
    if (status == WEFT_OK) status = weft_future_result(fs[got], 0, &results[got]);
  }
  if (status != WEFT_OK && got > 0 && got <= submitted) got--; /* the one that failed */
  for (size_t i = 0; i < submitted; i++) {
    if (i >= got) weft_future_cancel(fs[i]); /* pending ones never run */
    weft_future_unref(fs[i]);
  }
  weft__free(fs);
  return status;
}

/* The calling thread is one of p's workers (or, in a forked child, the
 * one that forked from p's task): waiting for p's tasks would wait for
 * its own. */
static bool own_worker(const weft_pool *p) {
  return me && me->pool == p;
}

int weft_pool_shutdown(weft_pool *p, bool wait, bool cancel_futures) {
  if (!p) return WEFT_EINVAL;
  if (wait && own_worker(p)) return WEFT_EDEADLK;
  kick_starving();
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
  p->shut = true;
  /* Idle workers wake to find the pool shut: they end once it is empty. */
  for (worker *w; (w = p->idle);) {
    p->idle = w->next;
    p->n_looking++;
    weft__store(&w->wake, 1, memory_order_release);
    wake(w);
  }
  /* Tasks left without a worker (their submits' starts failed) get one
   * more chance; if still nobody can run them they are cancelled. */
  size_t first = p->n_names, k = cancel_futures ? 0 : reserve_all_locked(p);
  weft_lock_release(&p->lock);
  for (size_t i = 0; i < k; i++)
    start_reserved(p, first + i, NULL);
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
  task *dropped = NULL;
  size_t n_dropped = 0, head = 0, mask = 0;
  if (p->count && (cancel_futures || !p->n_workers)) { /* the ring goes whole */
    dropped = p->ring;
    head = p->head;
    mask = p->mask;
    n_dropped = p->count;
    p->ring = NULL;
    p->head = p->mask = p->count = 0;
  }
  for (size_t i = 0; i < n_dropped; i++)
    task_done_locked(p);
  weft_lock_release(&p->lock);
  for (size_t i = 0; i < n_dropped; i++) {
    weft_future *f = dropped[(head + i) & mask].f;
    if (!f) continue;
    weft__future_cancel_pending(f);
    weft_future_unref(f);
  }
  weft__free(dropped);
  if (!wait) return WEFT_OK;
  weft_lock_acquire(&p->lock, WEFT_FOREVER);
  while (p->n_workers || p->n_starting || p->n_tasks) {
    p->end_waiters++;
    weft__park_unlocking(&p->end_word, &p->lock, WEFT__FOREVER, false);
    p->end_waiters--;
  }
  weft_lock_release(&p->lock);
  /* Every worker has left its loop; wait for their threads to end. The
   * list no longer changes: nothing starts on a shut pool. */
  for (weft__link *l = p->workers.head; l; l = l->next)
    weft_thread_join(worker_of(l)->thread, WEFT_FOREVER);
  return WEFT_OK;
}

int weft_pool_free(weft_pool *p) {
  if (!p) return WEFT_EINVAL;
  if (own_worker(p)) return WEFT_EDEADLK;
  weft_pool_shutdown(p, true, false);
  weft_lock_acquire(&pools_lock, WEFT_FOREVER);
  weft__list_remove(&pools, &p->link);
  weft_lock_release(&pools_lock);
  for (weft__link *l; (l = weft__list_pop_front(&p->workers));) {
    worker *w = worker_of(l);
    weft_thread_unref(w->thread);
    weft__free(w);
  }
  weft__free(p->ring);
  weft__free(p->prefix);
  weft__free(p);
  return WEFT_OK;
}

/* -- process exit and fork -- */

/* pools_lock held; takes each pool's lock in turn. */
static bool any_busy(void) {
  for (weft__link *l = pools.head; l; l = l->next) {
    weft_pool *p = pool_of(l);
    weft_lock_acquire(&p->lock, WEFT_FOREVER);
    bool busy = busy_locked(p);
    weft_lock_release(&p->lock);
    if (busy) return true;
  }
  return false;
}

/* Until no non-daemon pool has a task queued or running. A task that ends
 * bumps quiet_seq if anyone waits; the count of waiters is raised before
 * the look, so either the look sees the end or the end sees the waiter. */
static int wait_quiet(int64_t deadline, bool try_only, bool *waited) {
  kick_starving();
  int status = WEFT_OK;
  weft__fetch_add(&quiet_waiters, 1, memory_order_seq_cst);
  for (;;) {
    uintptr_t seen = weft__load(&quiet_seq, memory_order_seq_cst);
    weft_lock_acquire(&pools_lock, WEFT_FOREVER);
    bool busy = any_busy();
    weft_lock_release(&pools_lock);
    if (!busy) break;
    *waited = true;
    if (try_only || weft__park(&quiet_seq, seen, deadline, NULL) == WEFT__PARK_TIMEOUT ||
        weft__port_now() >= deadline) {
      weft_lock_acquire(&pools_lock, WEFT_FOREVER);
      busy = any_busy();
      weft_lock_release(&pools_lock);
      if (busy) status = WEFT_TIMEOUT;
      break;
    }
  }
  weft__fetch_sub(&quiet_waiters, 1, memory_order_relaxed);
  return status;
}

/* With pools_lock and (lock_more) every pool's lock held. */
static bool quiet_locked(void) {
  for (weft__link *l = pools.head; l; l = l->next)
    if (busy_locked(pool_of(l))) return false;
  return true;
}

static void close_locked(void) {
  pools_closed = true;
  for (weft__link *l = pools.head; l; l = l->next)
    pool_of(l)->closed = true;
}

static void lock_pools(void) {
  for (weft__link *l = pools.head; l; l = l->next)
    weft_lock_acquire(&pool_of(l)->lock, WEFT_FOREVER);
}

static void unlock_pools(void) {
  for (weft__link *l = pools.head; l; l = l->next)
    weft_lock_release(&pool_of(l)->lock);
}

/* A forked child, every lock held: the workers are gone (see the top). */
static void fork_child_pool(weft_pool *p) {
  worker *mine = me && me->pool == p ? me : NULL;
  for (weft__link *l; (l = weft__list_pop_front(&p->workers));) {
    worker *w = worker_of(l);
    weft_thread_unref(w->thread); /* ended here (thread.c's part of fork) */
    w->thread = NULL;
    if (w == mine) {
      w->leaving = true;
      continue;
    }
    weft_future *f = w->current.f;
    if (w->phase == COMPLETING) weft__future_fork_reset(f); /* it may have held f's lock */
    if (f && (w->phase == IN_TASK || (w->phase == COMPLETING && !weft__future_is_done(f)))) {
      w->next = p->orphans; /* ended by the first new worker */
      p->orphans = w;
      p->n_orphans++;
      continue;
    }
    if (f) weft_future_unref(f); /* done; its callbacks went with the worker */
    weft__free(w);
  }
  p->idle = NULL;
  p->n_workers = p->n_starting = p->n_looking = p->end_waiters = 0;
  p->n_tasks = pending(p) + (mine && mine->phase != NO_TASK);
  if (pending(p)) {
    p->starving = true;
    weft__store(&starving, 1, memory_order_relaxed);
  }
}

static void after_fork_child(void) {
  for (weft__link *l = pools.head; l; l = l->next) {
    weft_pool *p = pool_of(l);
    fork_child_pool(p);
    weft__store(&p->lock.v_, 0, memory_order_relaxed);
  }
  weft__store(&quiet_waiters, 0, memory_order_relaxed);
}

/* A forked child's starving pools get the workers they need, one pool at a
 * time (threads are started without any pool lock held). */
static void kick_starving(void) {
  while (weft__load(&starving, memory_order_acquire)) {
    weft_pool *found = NULL;
    size_t first = 0, k = 0;
    weft_lock_acquire(&pools_lock, WEFT_FOREVER);
    for (weft__link *l = pools.head; l && !found; l = l->next) {
      weft_pool *p = pool_of(l);
      weft_lock_acquire(&p->lock, WEFT_FOREVER);
      if (p->starving) {
        found = p;
        p->starving = false;
        first = p->n_names;
        k = reserve_all_locked(p);
      }
      weft_lock_release(&p->lock);
    }
    if (!found) weft__store(&starving, 0, memory_order_release);
    weft_lock_release(&pools_lock);
    for (size_t i = 0; i < k; i++)
      start_reserved(found, first + i, NULL);
  }
}

static weft__subsystem pools_subsystem = {.order = WEFT__ORDER_POOL,
                                          .lock = &pools_lock,
                                          .wait = wait_quiet,
                                          .quiet_locked = quiet_locked,
                                          .close_locked = close_locked,
                                          .after_fork_child = after_fork_child,
                                          .lock_more = lock_pools,
                                          .unlock_more = unlock_pools};

static void register_pools(void *unused) {
  (void)unused;
  weft__future_on_wait(kick_starving);
  weft__process_register(&pools_subsystem);
}

/* At the first pool: until then no task is pending. */
static void register_once(void) {
  static weft_once once = WEFT_ONCE_INIT;
  weft_call_once(&once, register_pools, NULL);
}
