/* The c11 port (see ../port.h): threads, blocking and thread-exit cleanup
 * from <threads.h> alone. What C11 lacks (a monotonic clock, thread ids and
 * names, a CPU count) comes from the platform only where configure found it,
 * and degrades to a documented fallback elsewhere. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* gettid, prctl and clock_gettime under -std=c11 */
#endif

#include "internal.h"

#include <stdlib.h>
#include <threads.h>
#include <time.h>

#if defined(WEFT_HAVE_GETTID) || defined(WEFT_HAVE_SYSCONF_NPROCESSORS)
#include <unistd.h>
#endif
#if defined(WEFT_HAVE_PRCTL_SET_NAME)
#include <sys/prctl.h>
#endif
#if defined(WEFT_HAVE_PTHREAD_ATFORK)
#include <pthread.h>
#endif

#define WEFT__NS_PER_SEC INT64_C(1000000000)

/* C11 waits take TIME_UTC deadlines only: a timed park waits at most this
 * long per call, then re-checks the monotonic clock. */
#define WEFT__SLICE_NS INT64_C(50000000)

const char weft__port_name[] = "c11";

static mtx_t watch_lock; /* the clock watcher's, below */
static bool watch_ready;

static tss_t weft__exit_key;

static bool watcher_running;
static weft__parker *timed_waiters;

#if defined(WEFT_HAVE_PTHREAD_ATFORK)
/* C11 itself knows nothing of fork; where the platform has pthread_atfork
 * (glibc, musl), the core's fork work runs as it does on posix, and the
 * clock watcher's state is reset in the child (its thread is gone, and so
 * are every other thread's timed waits). */
static void before_fork(void) {
  weft__before_fork();
  if (watch_ready) mtx_lock(&watch_lock);
}

static void after_fork_parent(void) {
  if (watch_ready) mtx_unlock(&watch_lock);
  weft__after_fork_parent();
}

static void after_fork_child(void) {
  if (watch_ready) watch_ready = mtx_init(&watch_lock, mtx_plain) == thrd_success;
  watcher_running = false;
  timed_waiters = NULL;
  weft__after_fork_child();
}
#endif

/* tss destructors run only for non-NULL values, for weft and foreign
 * threads alike, which is exactly the arm/disarm contract of port.h. */
int weft__port_init(void) {
  if (tss_create(&weft__exit_key, weft__thread_exit_hook) != thrd_success) return WEFT_EAGAIN;
  watch_ready = mtx_init(&watch_lock, mtx_plain) == thrd_success;
#if defined(WEFT_HAVE_PTHREAD_ATFORK)
  pthread_atfork(before_fork, after_fork_parent, after_fork_child);
#endif
  return WEFT_OK;
}

/* -- threads -- */

/* thrd_create passes one pointer to an int-returning function: the entry
 * and its argument travel in a small block that the new thread frees. */
struct weft__start {
  void (*entry)(void *);
  void *arg;
};

static int weft__trampoline(void *p) {
  struct weft__start s = *(struct weft__start *)p;
  weft__free(p);
  s.entry(s.arg);
  return 0;
}

int weft__port_thread_create(weft__os_thread *t, size_t stack_size, void (*entry)(void *),
                             void *arg) {
  (void)stack_size; /* always 0: weft__port_stack_size_supported() is false */
  struct weft__start *s = weft__malloc(sizeof *s);
  if (!s) return WEFT_ENOMEM;
  s->entry = entry;
  s->arg = arg;
  /* thrd_nomem and thrd_error alike: the OS would not give us a thread. */
  if (thrd_create(t, weft__trampoline, s) == thrd_success) return WEFT_OK;
  weft__free(s);
  return WEFT_EAGAIN;
}

void weft__port_thread_release(weft__os_thread *t, bool joinable_wait) {
  if (joinable_wait)
    thrd_join(*t, NULL);
  else
    thrd_detach(*t);
}

/* thrd_create has no attributes: every thread gets the C library's default. */
bool weft__port_stack_size_supported(void) {
  return false;
}

void weft__port_yield(void) {
  thrd_yield();
}

/* -- clocks -- */

static int64_t weft__ts_to_ns(const struct timespec *ts) {
  return (int64_t)ts->tv_sec * WEFT__NS_PER_SEC + ts->tv_nsec;
}

int64_t weft__port_now(void) {
  struct timespec ts = {0, 0};
#if defined(WEFT_HAVE_CLOCK_MONOTONIC)
  clock_gettime(CLOCK_MONOTONIC, &ts);
#elif defined(TIME_MONOTONIC)
  timespec_get(&ts, TIME_MONOTONIC); /* C23 */
#else
  /* Last resort, and NOT monotonic: a wall-clock step moves every deadline
   * with it, so waits may end early or late by the size of the step. */
  timespec_get(&ts, TIME_UTC);
#endif
  return weft__ts_to_ns(&ts);
}

void weft__port_sleep(int64_t ns) {
  if (ns <= 0) return;
  /* Cap what one call asks for so that the seconds fit a 32-bit time_t;
   * the core loops on the clock for longer sleeps. */
  int64_t max = (int64_t)INT32_MAX * WEFT__NS_PER_SEC;
  if (ns > max) ns = max;
  struct timespec left = {.tv_sec = (time_t)(ns / WEFT__NS_PER_SEC),
                          .tv_nsec = (long)(ns % WEFT__NS_PER_SEC)};
  /* -1 means a signal interrupted the sleep: carry on with what is left. */
  while (thrd_sleep(&left, &left) == -1) {
  }
}

/* -- ids, names, CPUs -- */

uint64_t weft__port_native_id(void) {
#if defined(WEFT_HAVE_GETTID)
  return (uint64_t)gettid();
#else
  /* C11 has no thread id that an OS tool would show. */
  return 0;
#endif
}

size_t weft__port_name_max(void) {
#if defined(WEFT_HAVE_PRCTL_SET_NAME)
  return 15; /* Linux: 16 bytes with the NUL */
#else
  return 0;
#endif
}

void weft__port_set_name_self(const char *name) {
#if defined(WEFT_HAVE_PRCTL_SET_NAME)
  prctl(PR_SET_NAME, name, 0, 0, 0);
#else
  (void)name;
#endif
}

/* prctl names only the caller and C11 has no name call at all. */
bool weft__port_set_name_other(weft__os_thread *t, const char *name) {
  (void)t;
  (void)name;
  return false;
}

unsigned weft__port_cpu_count(void) {
#if defined(WEFT_HAVE_SYSCONF_NPROCESSORS)
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n >= 1) return (unsigned)n;
#endif
  return 1;
}

/* -- the parker -- */

/* mtx_init and cnd_init can only fail for lack of resources that glibc and
 * musl never take for them; port.h has no way to report it anyway. */
void weft__parker_init(weft__parker *p) {
  mtx_init(&p->mutex, mtx_plain);
  cnd_init(&p->cond);
  p->permit = false;
}

void weft__parker_destroy(weft__parker *p) {
  cnd_destroy(&p->cond);
  mtx_destroy(&p->mutex);
}

/* Wait on the condition for at most one slice of the time left. The
 * deadline is turned into TIME_UTC afresh for every slice: a forward step
 * of the wall clock only ends a slice early (the caller re-checks the
 * monotonic clock and waits again). A backward step would stretch the slice
 * it lands in by the whole step (glibc waits on the absolute CLOCK_REALTIME
 * deadline), so the clock watcher below wakes timed waiters when it sees
 * one. */
static void weft__wait_slice(weft__parker *p, int64_t left) {
  if (left > WEFT__SLICE_NS) left = WEFT__SLICE_NS;
  struct timespec at = {0, 0};
  timespec_get(&at, TIME_UTC);
  at.tv_nsec += (long)left;
  if (at.tv_nsec >= WEFT__NS_PER_SEC) {
    at.tv_nsec -= WEFT__NS_PER_SEC;
    at.tv_sec += 1;
  }
  cnd_timedwait(&p->cond, &p->mutex, &at);
}

/* -- the clock watcher --
 * While any thread is in a timed wait, a helper thread compares the wall
 * clock with the monotonic one every WATCH_NS; when the wall clock has gone
 * back it wakes every timed waiter, which then waits again on a deadline
 * converted afresh. So a backward step stretches a wait by at most about
 * WATCH_NS. The helper leaves after a second without timed waiters. */
#define WATCH_NS INT64_C(20000000)
#define WATCH_IDLE_ROUNDS 50

static int64_t weft__wall_minus_mono(void) {
  struct timespec ts = {0, 0};
  timespec_get(&ts, TIME_UTC);
  return weft__ts_to_ns(&ts) - weft__port_now();
}

static int weft__watch(void *unused) {
  (void)unused;
  int64_t offset = weft__wall_minus_mono();
  for (int idle = 0; idle < WATCH_IDLE_ROUNDS;) {
    weft__port_sleep(WATCH_NS);
    int64_t now = weft__wall_minus_mono();
    mtx_lock(&watch_lock);
    idle = timed_waiters ? 0 : idle + 1;
    if (now < offset - WATCH_NS / 4) { /* stepped back (beyond clock jitter) */
      for (weft__parker *p = timed_waiters; p; p = p->next) {
        mtx_lock(&p->mutex);
        cnd_broadcast(&p->cond);
        mtx_unlock(&p->mutex);
      }
    }
    if (idle == WATCH_IDLE_ROUNDS) watcher_running = false;
    mtx_unlock(&watch_lock);
    offset = now;
  }
  return 0;
}

/* Enter or leave the watcher's list; never with p->mutex held (the watcher
 * takes watch_lock, then p->mutex). Without a watcher, waits still work. */
static void weft__watch_enter(weft__parker *p) {
  if (!watch_ready) return;
  mtx_lock(&watch_lock);
  p->prev = NULL;
  p->next = timed_waiters;
  if (timed_waiters) timed_waiters->prev = p;
  timed_waiters = p;
  if (!watcher_running) {
    thrd_t t;
    if (thrd_create(&t, weft__watch, NULL) == thrd_success) {
      thrd_detach(t);
      watcher_running = true;
    }
  }
  mtx_unlock(&watch_lock);
}

static void weft__watch_leave(weft__parker *p) {
  if (!watch_ready) return;
  mtx_lock(&watch_lock);
  if (p->prev)
    p->prev->next = p->next;
  else
    timed_waiters = p->next;
  if (p->next) p->next->prev = p->prev;
  mtx_unlock(&watch_lock);
}

int weft__parker_park(weft__parker *p, int64_t deadline) {
  bool timed = deadline != WEFT__FOREVER;
  if (timed) weft__watch_enter(p);
  mtx_lock(&p->mutex);
  while (!p->permit) {
    if (!timed) {
      cnd_wait(&p->cond, &p->mutex);
      continue;
    }
    int64_t now = weft__port_now();
    if (now >= deadline) break;
    weft__wait_slice(p, deadline - now);
  }
  int rc = p->permit ? WEFT_OK : WEFT_TIMEOUT;
  p->permit = false;
  mtx_unlock(&p->mutex);
  if (timed) weft__watch_leave(p);
  return rc;
}

/* Signal while holding the mutex: once it is released the owner may take
 * the permit, finish and destroy the parker. */
void weft__parker_unpark(weft__parker *p) {
  mtx_lock(&p->mutex);
  p->permit = true;
  cnd_signal(&p->cond);
  mtx_unlock(&p->mutex);
}

/* -- thread exit and process exit -- */

/* tss_set fails only when the C library must grow its per-thread key
 * storage and cannot (pthread_setspecific's ENOMEM underneath). */
int weft__port_exit_hook_arm(void *arg) {
  return tss_set(weft__exit_key, arg) == thrd_success ? WEFT_OK : WEFT_ENOMEM;
}

int weft__port_atexit(void (*fn)(void)) {
  return atexit(fn) == 0 ? WEFT_OK : WEFT_ENOMEM;
}

static _Thread_local void *tls_slot;

void *weft__port_tls_get(void) {
  return tls_slot;
}

void weft__port_tls_set(void *p) {
  tls_slot = p;
}
