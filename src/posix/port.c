/* The posix port: pthreads, plus Linux/macOS extras where probed. */
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(WEFT_HAVE_PRCTL_SET_NAME)
#include <sys/prctl.h>
#endif

const char weft__port_name[] = "posix";

static pthread_key_t exit_key;

static void exit_key_destructor(void *arg) {
  weft__thread_exit_hook(arg);
}

int weft__port_init(void) {
  if (pthread_key_create(&exit_key, exit_key_destructor) != 0) return WEFT_EAGAIN;
  pthread_atfork(weft__before_fork, weft__after_fork_parent, weft__after_fork_child);
  return WEFT_OK;
}

int weft__port_exit_hook_arm(void *arg) {
  return pthread_setspecific(exit_key, arg) == 0 ? WEFT_OK : WEFT_ENOMEM;
}

int weft__port_atexit(void (*fn)(void)) {
  return atexit(fn) == 0 ? WEFT_OK : WEFT_ENOMEM;
}

/* -- threads -- */

typedef struct start {
  void (*entry)(void *);
  void *arg;
} start;

static void *trampoline(void *p) {
  start s = *(start *)p;
  weft__free(p);
  s.entry(s.arg);
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

int weft__port_thread_create(weft__os_thread *t, size_t stack_size, void (*entry)(void *),
                             void *arg) {
  start *s = weft__malloc(sizeof *s);
  if (!s) return WEFT_ENOMEM;
  s->entry = entry;
  s->arg = arg;
  pthread_attr_t attr;
  int status = pthread_attr_init(&attr) == 0 ? WEFT_OK : WEFT_EAGAIN;
  if (status == WEFT_OK && stack_size) status = set_stack_size(&attr, stack_size);
  if (status == WEFT_OK && pthread_create(t, &attr, trampoline, s) != 0) status = WEFT_EAGAIN;
  pthread_attr_destroy(&attr);
  if (status != WEFT_OK) weft__free(s);
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

static struct timespec to_timespec(int64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
  return ts;
}

void weft__port_sleep(int64_t ns) {
  struct timespec ts = to_timespec(ns);
  nanosleep(&ts, NULL);
}

int64_t weft__port_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t weft__port_native_id(void) {
#if defined(WEFT_HAVE_GETTID)
  return (uint64_t)gettid();
#elif defined(WEFT_HAVE_PTHREAD_THREADID_NP)
  uint64_t id = 0;
  pthread_threadid_np(NULL, &id);
  return id;
#else
  return 0;
#endif
}

size_t weft__port_name_max(void) {
#if defined(__APPLE__)
  return 63;
#else
  return 15; /* Linux's limit, and a safe one elsewhere */
#endif
}

void weft__port_set_name_self(const char *name) {
#if defined(WEFT_HAVE_SETNAME_NP_OTHER)
  pthread_setname_np(pthread_self(), name);
#elif defined(WEFT_HAVE_SETNAME_NP_SELF)
  pthread_setname_np(name);
#elif defined(WEFT_HAVE_PRCTL_SET_NAME)
  prctl(PR_SET_NAME, name, 0, 0, 0);
#else
  (void)name;
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

static _Thread_local void *tls_slot;

void *weft__port_tls_get(void) {
  return tls_slot;
}

void weft__port_tls_set(void *p) {
  tls_slot = p;
}
