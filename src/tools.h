/* What the debug tools share: debug.c (settings, reports, names, fork),
 * text.c (bounded text), objtab.c (the side table of objects), dump.c,
 * lockorder.c, contention.c, watchdog.c. They sit above everything else
 * (internal.h's layers) and reach the primitives' work only through what
 * the records hold (debug.h) and the hooks that debug.c registers.
 *
 * Their own tables are guarded by spin locks (debug.h) held for a few
 * instructions, taken in this order when nested: the names lock (thread.h)
 * before the records lock (self.h) before the graph lock (lockorder.c)
 * before the table lock (objtab.c). A thread inside a tool marks itself
 * busy (weft__tool_enter), so that the weft locks a tool takes are not
 * tracked, and a tool never starts from inside another one's report. */
#ifndef WEFT_TOOLS_H
#define WEFT_TOOLS_H
#ifndef WEFT_BUILDING
#error "tools.h is internal to weft"
#endif

#include "thread.h"

/* -- settings (debug.c) -- */

/* WEFT_DEBUG_* flags as set now. */
unsigned weft__tools_flags(void);
/* The tracking epoch: held-lock stacks of another epoch are stale. */
uintptr_t weft__tools_epoch(void);

/* The calling thread enters a tool (its record, if any, marked busy) and
 * leaves it (busy as before: tools nest, in a report's write function). */
typedef struct weft__tool {
  struct weft_thread *t;
  bool was_busy;
} weft__tool;
weft__tool weft__tool_enter(void);
void weft__tool_leave(weft__tool tool);

/* Send text through weft_set_report's function (stderr by default). */
void weft__report(const char *text, size_t len);

/* -- text: a bounded buffer, filled without allocating or printf -- */

typedef struct weft__text {
  char *buf;
  size_t cap, len; /* len < cap: the text is always NUL-terminated */
  bool cut;        /* something did not fit */
} weft__text;

void weft__text_init(weft__text *t, char *buf, size_t cap);
void weft__text_str(weft__text *t, const char *s);
void weft__text_u64(weft__text *t, uint64_t v);
void weft__text_hex(weft__text *t, uintptr_t v); /* 0x... */
/* ms (or ns) as seconds with three decimals: "2.003". */
void weft__text_ms(weft__text *t, uintptr_t ms);
void weft__text_ns(weft__text *t, int64_t ns);
/* A name in double quotes; control characters and quotes escaped, cut to
 * 64 bytes on a UTF-8 boundary. */
void weft__text_quoted(weft__text *t, const char *s);
/* A code address: "function+0x1c (module)", "module+0x1234" or the bare
 * address, as the OS can tell. Not with a lock held: the OS may take the
 * loader's lock. */
void weft__text_site(weft__text *t, const void *site);
/* An object: `"name" (0x...)` if it has a name, else its address. Takes
 * the table lock: not with it held. */
void weft__text_object(weft__text *t, uintptr_t addr);
/* A thread: `"name" (ident N)`; the name from the record under the names
 * lock (names_held), else `ident N`. */
void weft__text_thread(weft__text *t, const struct weft_thread *r, bool names_held);

/* -- the side table of objects (objtab.c) --
 * One entry per address that was named, counted or put in the lock-order
 * graph. Entries are never freed (forgetting one clears it), so a pointer
 * to one stays valid; lookups take no lock. */

#define WEFT__NAME_MAX 63

typedef struct weft__edge weft__edge;

typedef struct weft__obj {
  uintptr_t key[2]; /* the address, 0 */
  /* under the table lock */
  char name[WEFT__NAME_MAX + 1];
  /* contention (contention.c): acquisitions atomic, the rest under count_lock */
  uintptr_t kind; /* atomic: WEFT__WAIT_LOCK or _RLOCK, as last acquired */
  uintptr_t acquisitions;
  uintptr_t count_lock;
  uint64_t contended, wait_total, wait_max; /* ns */
  /* lock order (lockorder.c), under the graph lock */
  weft__edge *out;
  uintptr_t stamp;
} weft__obj;

/* A table of entries that start with two key words, found without a lock,
 * added to under the caller's lock. */
typedef struct weft__tab {
  uintptr_t array; /* atomic: its slots (objtab.c) */
} weft__tab;

void *weft__tab_find(weft__tab *tab, uintptr_t k1, uintptr_t k2);
/* Under the caller's lock: add entry (its keys not in the table); false if
 * memory is short. */
bool weft__tab_add(weft__tab *tab, void *entry);
/* Each entry, as the table is now (no lock; entries added meanwhile may be
 * missed). */
void weft__tab_each(weft__tab *tab, void (*fn)(void *entry, void *arg), void *arg);

weft__obj *weft__obj_find(uintptr_t addr);
/* Found, or added (allocating); NULL if memory is short. */
weft__obj *weft__obj_get(uintptr_t addr);
/* Copy its name into buf (size > WEFT__NAME_MAX); false if it has none. */
bool weft__obj_name(uintptr_t addr, char *buf);
void weft__obj_set_name(weft__obj *o, const char *name);
void weft__obj_each(void (*fn)(weft__obj *o, void *arg), void *arg);
/* Fork: the table lock across it. */
void weft__objtab_lock(void);
void weft__objtab_unlock(void);

/* -- held locks and lock order (lockorder.c) -- */

/* For debug.c's hooks, with t the calling thread's record (not busy): t
 * took l (push) or someone lets l go (pop; t NULL for a thread that is
 * ending); t is about to wait for l (check the order against what t
 * holds). */
void weft__held_push(struct weft_thread *t, weft_lock *l, unsigned kind, const void *site);
void weft__held_pop(struct weft_thread *t, weft_lock *l);
void weft__order_check(struct weft_thread *t, weft_lock *l, unsigned kind, const void *site);
/* r's held stack is current (tracked now, not of an old epoch). */
bool weft__held_current(const struct weft_thread *r);
/* Under the records lock: a thread that holds lock addr, or NULL. Known
 * only while held locks are tracked. */
struct weft_thread *weft__holder_locked(uintptr_t addr);
/* Forget addr's edges (weft_debug_name(addr, NULL)). */
void weft__order_forget(uintptr_t addr);
/* Fork: the graph lock across it; in the child, drop the held entries of
 * locks that fork's reset let go. */
void weft__order_lock(void);
void weft__order_unlock(void);
void weft__order_after_fork_child(struct weft_thread *me);

/* -- contention (contention.c) -- */

void weft__count_acquired(weft_lock *l, unsigned kind, bool contended, int64_t wait_ns);
void weft__count_forget(weft__obj *o);

/* -- the dump and the watchdog -- */

/* Under the names and records locks: one thread's block, as weft_dump
 * writes it, but for the locks it holds: those are copied (under the
 * records lock) and written later, with no lock held (naming a code
 * address may take the loader's lock). */
void weft__dump_block(weft__text *t, struct weft_thread *r, bool names_held);
typedef struct weft__held_copy {
  size_t n;
  uintptr_t lock[WEFT__HELD_MAX], site[WEFT__HELD_MAX];
} weft__held_copy;
void weft__dump_held(const struct weft_thread *r, weft__held_copy *c);
void weft__dump_held_text(weft__text *t, const weft__held_copy *c);
/* The state line's object part for r's wait of kind k ("lock "a" (0x..),
 * held by ..."): for the watchdog's lines too. */
void weft__dump_wait(weft__text *t, const struct weft_thread *r, unsigned kind, uintptr_t obj,
                     uintptr_t a, uintptr_t b, bool names_held);
/* Under the records lock: the record whose ident is id, or NULL. */
struct weft_thread *weft__record_by_ident(uint64_t id);
/* Start, retune or stop (0) the watchdog; its status. */
int weft__watchdog_set(double seconds);
/* Fork: the helpers are gone in the child. */
void weft__watchdog_after_fork_child(void);
void weft__dump_after_fork_child(void);

#endif /* WEFT_TOOLS_H */
