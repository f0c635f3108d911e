/* queue_ops.h over GLib's GAsyncQueue, built where pkg-config finds
 * glib-2.0. GAsyncQueue has no bound and refuses NULL items; the benchmark
 * asks for neither. */
#include "queue_ops.h"

#include <glib.h>

static void *create(size_t maxsize) {
  return maxsize ? NULL : g_async_queue_new();
}

static int put(void *q, void *item) {
  if (!item) return -1;
  g_async_queue_push(q, item);
  return 0;
}

static int get(void *q, void **item) {
  *item = g_async_queue_pop(q);
  return *item ? 0 : -1;
}

static void destroy(void *q) {
  g_async_queue_unref(q);
}

static const queue_ops ops = {"GAsyncQueue", create, put, get, destroy};
const queue_ops *const glib_queue_ops = &ops;
