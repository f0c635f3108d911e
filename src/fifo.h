/* The FIFO queue behind weft_queue_new: see fifo.c. */
#ifndef WEFT_FIFO_H
#define WEFT_FIFO_H
#ifndef WEFT_BUILDING
#error "fifo.h is internal to weft"
#endif

#include "lock.h"

/* Producers and consumers each have their own lock and cache lines; they
 * meet only in the ring and in each other's index. head and tail count the
 * items ever got and put (they never wrap in practice: 2^64). The queue is
 * on the heap, whose blocks are not cache-line aligned: padding, not
 * _Alignas, keeps the groups apart, and apart from their neighbours. */
#define WEFT__LINE 64
typedef struct weft__fifo {
  char pad0[WEFT__LINE];
  /* read by every put and get, written rarely: the ring (changed only under
   * both locks), and who waits (changed only when someone parks) */
  void **ring;
  size_t mask; /* capacity - 1; capacity a power of two */
  size_t maxsize;
  uintptr_t shut;         /* atomic */
  uintptr_t putter_waits; /* atomic: a putter is (about to be) parked */
  uintptr_t getter_waits;
  uintptr_t joiner_waits;
  uintptr_t put_seq; /* a blocked putter parks on it; gets bump it */
  uintptr_t get_seq; /* a blocked getter parks on it; puts bump it */
  uintptr_t join_seq;
  const void *owner; /* the weft_queue, as a dump names it */
  char pad1[WEFT__LINE];
  /* the producers' side */
  weft_lock put_lock;
  uintptr_t tail;      /* atomic: items put; written under put_lock */
  uintptr_t seen_head; /* put_lock: a lower bound of head, read lazily */
  char pad2[WEFT__LINE];
  /* the consumers' side */
  weft_lock get_lock;
  uintptr_t head;      /* atomic: items got; written under get_lock */
  uintptr_t seen_tail; /* get_lock: a lower bound of tail, read lazily */
  char pad3[WEFT__LINE];
  uintptr_t done;        /* atomic: tasks done; unfinished = tail - done */
  char pad4[WEFT__LINE]; /* and away from the next heap block (often the ring) */
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
