/* The FIFO queue behind weft_queue_new: see fifo.c. */
#ifndef WEFT_FIFO_H
#define WEFT_FIFO_H
#ifndef WEFT_BUILDING
#error "fifo.h is internal to weft"
#endif

#include "internal.h"

/* Producers and consumers each have their own lock and cache lines; they
 * meet only in the ring and in each other's index. head and tail count the
 * items ever got and put (they never wrap in practice: 2^64). The queue is
 * on the heap, whose blocks are not cache-line aligned: padding, not
 * _Alignas, keeps the groups apart. */
#define WEFT__LINE 64
typedef struct weft__fifo {
  /* the producers' side */
  weft_lock put_lock;
  uintptr_t tail;         /* atomic: items put; written under put_lock */
  uintptr_t seen_head;    /* put_lock: a lower bound of head, read lazily */
  uintptr_t put_seq;      /* a blocked putter parks on it; gets bump it */
  uintptr_t putter_waits; /* atomic: a putter is (about to be) parked */
  char pad1[WEFT__LINE];
  /* the consumers' side */
  weft_lock get_lock;
  uintptr_t head;      /* atomic: items got; written under get_lock */
  uintptr_t seen_tail; /* get_lock: a lower bound of tail, read lazily */
  uintptr_t get_seq;   /* a blocked getter parks on it; puts bump it */
  uintptr_t getter_waits;
  char pad2[WEFT__LINE];
  /* task accounting: unfinished tasks = tail - done */
  uintptr_t done; /* atomic */
  uintptr_t join_seq;
  uintptr_t joiner_waits;
  uintptr_t shut; /* atomic */
  /* the ring: changed only under both locks */
  void **ring;
  size_t mask; /* capacity - 1; capacity a power of two */
  size_t maxsize;
} weft__fifo;

bool weft__fifo_init(weft__fifo *f, size_t maxsize);
int weft__fifo_put(weft__fifo *f, void *item, double timeout);
int weft__fifo_get(weft__fifo *f, void **item, double timeout);
size_t weft__fifo_size(const weft__fifo *f);
int weft__fifo_task_done(weft__fifo *f);
int weft__fifo_join(weft__fifo *f, double timeout);
/* Shut down; with immediate, the items left are taken out: they are
 * handed to free_item (outside every lock) and counted as done. */
void weft__fifo_shutdown(weft__fifo *f, bool immediate, void (*free_item)(void *));
/* Hand what is left to free_item and free the ring. */
void weft__fifo_destroy(weft__fifo *f, void (*free_item)(void *));

#endif
