/* A queue as the queue benchmark drives it: weft_queue, the plain ring
 * buffer on raw.h, or GLib's GAsyncQueue. Every call returns 0 on success;
 * put and get block as long as they must. */
#ifndef WEFT_BENCH_QUEUE_OPS_H
#define WEFT_BENCH_QUEUE_OPS_H

#include <stddef.h>

typedef struct queue_ops {
  const char *name;
  void *(*create)(size_t maxsize); /* 0: unbounded; NULL if out of memory */
  int (*put)(void *q, void *item);
  int (*get)(void *q, void **item);
  void (*destroy)(void *q);
} queue_ops;

/* GAsyncQueue (unbounded only), or NULL where the build found no GLib:
 * glib_queue.c or glib_queue_none.c defines it. */
extern const queue_ops *const glib_queue_ops;

#endif
