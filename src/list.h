/* One intrusive doubly linked list for the core: a weft__link lives inside
 * the listed object, a weft__list has a head and a tail (FIFO order). None
 * of it allocates or locks; the owner of the list guards it. */
#ifndef WEFT_LIST_H
#define WEFT_LIST_H
#ifndef WEFT_BUILDING
#error "list.h is internal to weft"
#endif

#include <stdbool.h>
#include <stddef.h>

typedef struct weft__link {
  struct weft__link *prev, *next;
} weft__link;

typedef struct weft__list {
  weft__link *head, *tail;
} weft__list;

/* The object that holds `link` as its member `member`. */
#define WEFT__CONTAINER(link, type, member)                                                        \
  ((type *)(void *)((char *)(link)-offsetof(type, member)))

static inline bool weft__list_empty(const weft__list *l) {
  return l->head == NULL;
}

/* Insert n after `after` (NULL: at the head). */
static inline void weft__list_insert(weft__list *l, weft__link *after, weft__link *n) {
  weft__link *next = after ? after->next : l->head;
  n->prev = after;
  n->next = next;
  *(after ? &after->next : &l->head) = n;
  *(next ? &next->prev : &l->tail) = n;
}

static inline void weft__list_push_back(weft__list *l, weft__link *n) {
  weft__list_insert(l, l->tail, n);
}

static inline void weft__list_push_front(weft__list *l, weft__link *n) {
  weft__list_insert(l, NULL, n);
}

static inline void weft__list_remove(weft__list *l, weft__link *n) {
  if (n->prev)
    n->prev->next = n->next;
  else
    l->head = n->next;
  if (n->next)
    n->next->prev = n->prev;
  else
    l->tail = n->prev;
  n->prev = n->next = NULL;
}

/* Remove and return the first link; NULL if the list is empty. */
static inline weft__link *weft__list_pop_front(weft__list *l) {
  weft__link *n = l->head;
  if (n) weft__list_remove(l, n);
  return n;
}

#endif /* WEFT_LIST_H */
