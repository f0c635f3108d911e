/* The c11 port (see ../port.h): threads and thread-exit cleanup from
 * <threads.h> alone (the parker is in parker.c). What C11 lacks (a monotonic clock, thread ids and
 * names, a CPU count) comes from the platform only where configure found it,
 * and degrades to a documented fallback elsewhere. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* gettid, prctl and clock_gettime under -std=c11 */
#endif

#include "internal.h"
#include "c11.h"
#include "../posix/unix.h"

#include <stdlib.h>
#include <threads.h>
#include <time.h>

#if defined(WEFT_HAVE_SYSCONF_NPROCESSORS)
#include <unistd.h>
#endif
#if defined(WEFT_HAVE_PTHREAD_ATFORK)
#include <pthread.h>
#endif

const char weft__port_name[] = "c11";

static tss_t weft__exit_key;

static const weft__port_hooks *hooks;

static void exit_key_destructor(void *arg) {
  hooks->thread_exit(arg);
}

#if defined(WEFT_HAVE_PTHREAD_ATFORK)
/* C11 itself knows nothing of fork; where the platform has pthread_atfork
 * (glibc, musl), the core's fork work runs as it does on posix, and the
 * clock watcher's state is reset in the child. */
static void before_fork(void) {
  hooks->before_fork();
  weft__c11_watch_before_fork();
}

static void after_fork_parent(void) {
  weft__c11_watch_after_fork_parent();
  hooks->after_fork_parent();
}

static void after_fork_child(void) {
  weft__c11_watch_after_fork_child();
  hooks->after_fork_child();
}
#endif

/* tss destructors run only for non-NULL values, for weft and foreign
 * threads alike, which is exactly the arm/disarm contract of port.h. */
int weft__port_init(const weft__port_hooks *h) {
  hooks = h;
  if (tss_create(&weft__exit_key, exit_key_destructor) != thrd_success) return WEFT_EAGAIN;
  weft__c11_watch_init();
#if defined(WEFT_HAVE_PTHREAD_ATFORK)
  pthread_atfork(before_fork, after_fork_parent, after_fork_child);
#endif
  return WEFT_OK;
}

/* -- threads -- */

static int weft__trampoline(void *arg) {
  hooks->thread_start(arg);
  return 0;
}

int weft__port_thread_create(weft__os_thread *t, size_t stack_size, void *arg) {
  (void)stack_size; /* always 0: weft__port_stack_size_supported() is false */
  /* thrd_nomem and thrd_error alike: the OS would not give us a thread. */
  return thrd_create(t, weft__trampoline, arg) == thrd_success ? WEFT_OK : WEFT_EAGAIN;
}

void weft__port_thread_release(weft__os_thread *t, bool joinable_wait) {
  (void)(joinable_wait ? thrd_join(*t, NULL) : thrd_detach(*t));
}

/* thrd_create has no attributes: every thread gets the C library's default. */
bool weft__port_stack_size_supported(void) {
  return false;
}

void weft__port_yield(void) {
  thrd_yield();
}

void weft__port_thread_exit(void) {
  thrd_exit(0);
}

int64_t weft__port_wall_now(void) {
  struct timespec ts = {0, 0};
  timespec_get(&ts, TIME_UTC);
  return (int64_t)ts.tv_sec * WEFT__NS_PER_SEC + ts.tv_nsec;
}

/* -- clocks -- */

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
  return (int64_t)ts.tv_sec * WEFT__NS_PER_SEC + ts.tv_nsec;
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

/* C11 has no thread id that an OS tool would show, nor thread names: the
 * platform's, where configure found them (unix.h), else 0 and none. */
uint64_t weft__port_native_id(void) {
  return weft__unix_tid();
}

size_t weft__port_name_max(void) {
  return weft__unix_prctl_name_max();
}

void weft__port_set_name_self(const char *name) {
  weft__unix_prctl_name(name);
}

/* prctl names only the caller and C11 has no name call at all. */
bool weft__port_set_name_other(weft__os_thread *t, const char *name) {
  return (void)t, (void)name, false;
}

unsigned weft__port_cpu_count(void) {
#if defined(WEFT_HAVE_SYSCONF_NPROCESSORS)
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n >= 1) return (unsigned)n;
#endif
  return 1;
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

/* -- scheduling: C11 has none; Linux's by TID where configure found it
 * (unix.h) -- */

int weft__port_set_priority(uint64_t native_id, bool self, int level) {
  (void)self;
  return weft__unix_set_nice(native_id, level);
}
