/* The posix port: pthreads, plus Linux/macOS extras where probed. */
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include "internal.h"
#include "posix.h"
#include "unix.h"

#if defined(WEFT_HAVE_QOS_CLASS)
#include <pthread/qos.h>
#endif

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

const char weft__port_name[] = "posix";

static const weft__port_hooks *hooks;
static pthread_key_t exit_key;

static void exit_key_destructor(void *arg) {
  hooks->thread_exit(arg);
}

int weft__port_init(const weft__port_hooks *h) {
  hooks = h;
  if (pthread_key_create(&exit_key, exit_key_destructor) != 0) return WEFT_EAGAIN;
  pthread_atfork(h->before_fork, h->after_fork_parent, h->after_fork_child);
  return WEFT_OK;
}

int weft__port_exit_hook_arm(void *arg) {
  return pthread_setspecific(exit_key, arg) == 0 ? WEFT_OK : WEFT_ENOMEM;
}

int weft__port_atexit(void (*fn)(void)) {
  return atexit(fn) == 0 ? WEFT_OK : WEFT_ENOMEM;
}

/* -- threads -- */

static void *trampoline(void *arg) {
  hooks->thread_start(arg);
  return NULL;
}

static int set_stack_size(pthread_attr_t *attr, size_t size) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t min = PTHREAD_STACK_MIN;
  if (size < min) size = min;
  if (size > SIZE_MAX - page) return WEFT_EAGAIN;
  size = (size + page - 1) / page * page;
  return pthread_attr_setstacksize(attr, size) == 0 ? WEFT_OK : WEFT_EAGAIN;
}

int weft__port_thread_create(weft__os_thread *t, size_t stack_size, void *arg) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return WEFT_EAGAIN;
  int status = stack_size ? set_stack_size(&attr, stack_size) : WEFT_OK;
  if (status == WEFT_OK && pthread_create(t, &attr, trampoline, arg) != 0) status = WEFT_EAGAIN;
  pthread_attr_destroy(&attr);
  return status;
}

void weft__port_thread_release(weft__os_thread *t, bool joinable_wait) {
  if (joinable_wait)
    pthread_join(*t, NULL);
  else
    pthread_detach(*t);
}

bool weft__port_stack_size_supported(void) {
  return true;
}

void weft__port_yield(void) {
  sched_yield();
}

void weft__port_thread_exit(void) {
  pthread_exit(NULL);
}

int64_t weft__port_wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void weft__port_sleep(int64_t ns) {
  struct timespec ts = weft__timespec(ns);
  nanosleep(&ts, NULL);
}

int64_t weft__port_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t weft__port_native_id(void) {
#if defined(WEFT_HAVE_PTHREAD_THREADID_NP)
  uint64_t id = 0;
  pthread_threadid_np(NULL, &id);
  return id;
#else
  return weft__unix_tid(); /* 0 where there is no gettid either */
#endif
}

size_t weft__port_name_max(void) {
#if defined(__APPLE__)
  return 63;
#else
  return 15;               /* Linux's limit, and a safe one elsewhere */
#endif
}

void weft__port_set_name_self(const char *name) {
#if defined(WEFT_HAVE_SETNAME_NP_OTHER)
  pthread_setname_np(pthread_self(), name);
#elif defined(WEFT_HAVE_SETNAME_NP_SELF)
  pthread_setname_np(name);
#else
  weft__unix_prctl_name(name); /* does nothing without prctl */
#endif
}

bool weft__port_set_name_other(weft__os_thread *t, const char *name) {
#if defined(WEFT_HAVE_SETNAME_NP_OTHER)
  return pthread_setname_np(*t, name) == 0;
#else
  (void)t;
  (void)name;
  return false;
#endif
}

unsigned weft__port_cpu_count(void) {
#if defined(WEFT_HAVE_SCHED_GETAFFINITY)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return (unsigned)CPU_COUNT(&set);
#endif
#if defined(WEFT_HAVE_SYSCONF_NPROCESSORS)
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 0) return (unsigned)n;
#endif
  return 1;
}

/* -- scheduling: Linux by TID (unix.h); macOS the calling thread's QoS
 * class; elsewhere nothing portable -- */

int weft__port_set_priority(uint64_t native_id, bool self, int level) {
#if defined(WEFT_HAVE_QOS_CLASS)
  static const qos_class_t qos[] = {QOS_CLASS_UTILITY, QOS_CLASS_DEFAULT, QOS_CLASS_USER_INITIATED,
                                    QOS_CLASS_USER_INTERACTIVE};
  (void)native_id;
  if (!self) return WEFT_ENOTSUP;
  return pthread_set_qos_class_self_np(qos[level + 1], 0) == 0 ? WEFT_OK : WEFT_EPERM;
#else
  (void)self;
  return weft__unix_set_nice(native_id, level);
#endif
}
