/* Process-wide calls: status names, version, clock, allocator (weft_sleep
 * is the self layer's: a dump shows a thread that sleeps). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

const char *weft_strerror(int status) {
  switch (status) {
  case WEFT_OK:
    return "ok";
  case WEFT_TIMEOUT:
    return "timed out";
  case WEFT_EINVAL:
    return "invalid argument";
  case WEFT_ESTATE:
    return "object in the wrong state";
  case WEFT_EPERM:
    return "caller does not own it";
  case WEFT_EDEADLK:
    return "would deadlock";
  case WEFT_ENOMEM:
    return "out of memory";
  case WEFT_EAGAIN:
    return "resource refused by the OS";
  case WEFT_EOVERFLOW:
    return "counter overflow";
  case WEFT_ESHUTDOWN:
    return "shut down";
  case WEFT_EBROKEN:
    return "barrier broken";
  case WEFT_ECANCELED:
    return "cancelled";
  case WEFT_ENOTSUP:
    return "not supported here";
  default:
    return "unknown status";
  }
}

const char *weft_version(void) {
  return WEFT_VERSION_STRING;
}

const char *weft_backend(void) {
  return weft__port_name;
}

double weft_monotonic(void) {
  return (double)weft__port_now() / 1e9;
}

void weft_yield(void) {
  weft__port_yield();
}

unsigned weft_cpu_count(void) {
  unsigned n = weft__port_cpu_count();
  return n ? n : 1;
}

unsigned weft__cpu_count(void) {
  static uintptr_t cached; /* 0 until first asked */
  uintptr_t n = weft__load(&cached, memory_order_relaxed);
  if (!n) {
    n = weft_cpu_count();
    weft__store(&cached, n, memory_order_relaxed);
  }
  return (unsigned)n;
}

int64_t weft__deadline(double timeout) {
  if (timeout < 0 || timeout > WEFT_TIMEOUT_MAX) return WEFT__FOREVER;
  /* Round up so that no wait ends before the time asked for. */
  double ns = timeout * 1e9;
  int64_t whole = (int64_t)ns;
  return weft__port_now() + whole + ((double)whole < ns);
}

/* -- allocator --
 * Swappable until weft has allocated once; after that, memory from one set of
 * functions could be freed by another. */
static void *(*alloc_fn)(size_t) = malloc;
static void *(*realloc_fn)(void *, size_t) = realloc;
static void (*free_fn)(void *) = free;
static uintptr_t allocated;

int weft_set_allocator(void *(*m)(size_t), void *(*r)(void *, size_t), void (*f)(void *)) {
  if (!m && !r && !f) {
    m = malloc;
    r = realloc;
    f = free;
  }
  if (!m || !r || !f) return WEFT_EINVAL;
  if (weft__load(&allocated, memory_order_acquire)) return WEFT_ESTATE;
  alloc_fn = m;
  realloc_fn = r;
  free_fn = f;
  return WEFT_OK;
}

static void note_allocated(void) {
  if (!weft__load(&allocated, memory_order_relaxed))
    weft__store(&allocated, 1, memory_order_release);
}

void *weft__malloc(size_t size) {
  note_allocated();
  return alloc_fn(size ? size : 1);
}

void *weft__realloc(void *p, size_t size) {
  note_allocated();
  return realloc_fn(p, size ? size : 1);
}

void weft__free(void *p) {
  if (p) free_fn(p);
}

char *weft__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = weft__malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
