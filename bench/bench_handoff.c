/* The hand-off area: two threads passing the turn back and forth, round
 * trips per second and CPU per round trip, each primitive on weft and on
 * the raw mutex + condition variable (raw.h):
 *   - weft_cond on a weft_lock around a turn variable, against the raw
 *     mutex + condition around the same variable;
 *   - two weft_events against two raw "events" (mutex, condition, flag;
 *     set broadcasts, as Python's Event does);
 *   - two weft_sems against two raw semaphores built the same way (mutex,
 *     condition, count).
 * Each in three placements: both threads pinned to one CPU (every hand-off
 * is a switch on that CPU), pinned to two CPUs (every hand-off crosses),
 * and unpinned (what a user's program gets). The partner is a raw thread on
 * both sides, so only the primitive differs. The note gives CPUs busy (CPU
 * time over wall time): a side that spins while it waits keeps 2 busy. */
#include "bench.h"
#include "harness.h"
#include "raw.h"
#include "weft.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

/* One primitive on one side. The main thread pings (hands over, waits for
 * the answer), the partner pongs (waits, answers). To stop, the main thread
 * sets `quit` and nudges (hands over without waiting): the partner then
 * ends whether it was waiting or about to read `quit`. Failed calls are
 * ORed into *bad. */
typedef struct pp_ops {
  int (*init)(void *obj);
  void (*destroy)(void *obj);
  void (*ping)(void *obj, int *bad);
  void (*pong)(void *obj, int *bad);
  void (*nudge)(void *obj, int *bad);
} pp_ops;

typedef struct weft_turn {
  _Alignas(64) weft_lock lock;
  weft_cond cond;
  int turn; /* 1: the partner's, 0: the main thread's */
} weft_turn;

typedef struct raw_turn {
  _Alignas(64) raw_mutex mutex;
  raw_cond cond;
  int turn;
} raw_turn;

/* The raw pair as an event and as a semaphore: a flag or a count. */
typedef struct raw_flag {
  _Alignas(64) raw_mutex mutex;
  raw_cond cond;
  unsigned value;
} raw_flag;

typedef struct padded_event {
  _Alignas(64) weft_event e;
} padded_event;

typedef struct padded_sem {
  _Alignas(64) weft_sem s;
} padded_sem;

static union {
  weft_turn wt;
  raw_turn rt;
  padded_event we[2];
  padded_sem ws[2];
  raw_flag rf[2];
} pp_obj;

static void nothing_to_destroy(void *obj) {
  (void)obj;
}

static int weft_turn_init(void *obj) {
  weft_turn *t = obj;
  t->lock = (weft_lock)WEFT_LOCK_INIT;
  weft_cond_init_lock(&t->cond, &t->lock);
  t->turn = 0;
  return 0;
}

static void weft_turn_give(weft_turn *t, int *bad) {
  t->turn = 1;
  *bad |= weft_cond_notify(&t->cond, 1);
}

static void weft_turn_ping(void *obj, int *bad) {
  weft_turn *t = obj;
  *bad |= weft_lock_acquire(&t->lock, WEFT_FOREVER);
  weft_turn_give(t, bad);
  while (t->turn != 0)
    *bad |= weft_cond_wait(&t->cond, WEFT_FOREVER);
  *bad |= weft_lock_release(&t->lock);
}

static void weft_turn_pong(void *obj, int *bad) {
  weft_turn *t = obj;
  *bad |= weft_lock_acquire(&t->lock, WEFT_FOREVER);
  while (t->turn != 1)
    *bad |= weft_cond_wait(&t->cond, WEFT_FOREVER);
  t->turn = 0;
  *bad |= weft_cond_notify(&t->cond, 1);
  *bad |= weft_lock_release(&t->lock);
}

static void weft_turn_nudge(void *obj, int *bad) {
  weft_turn *t = obj;
  *bad |= weft_lock_acquire(&t->lock, WEFT_FOREVER);
  weft_turn_give(t, bad);
  *bad |= weft_lock_release(&t->lock);
}

static int raw_turn_init(void *obj) {
  raw_turn *t = obj;
  t->turn = 0;
  if (raw_mutex_init(&t->mutex) != 0) return -1;
  if (raw_cond_init(&t->cond) == 0) return 0;
  raw_mutex_destroy(&t->mutex);
  return -1;
}

static void raw_turn_destroy(void *obj) {
  raw_turn *t = obj;
  raw_cond_destroy(&t->cond);
  raw_mutex_destroy(&t->mutex);
}

static void raw_turn_ping(void *obj, int *bad) {
  raw_turn *t = obj;
  *bad |= raw_mutex_lock(&t->mutex);
  t->turn = 1;
  *bad |= raw_cond_signal(&t->cond);
  while (t->turn != 0)
    *bad |= raw_cond_wait(&t->cond, &t->mutex);
  *bad |= raw_mutex_unlock(&t->mutex);
}

static void raw_turn_pong(void *obj, int *bad) {
  raw_turn *t = obj;
  *bad |= raw_mutex_lock(&t->mutex);
  while (t->turn != 1)
    *bad |= raw_cond_wait(&t->cond, &t->mutex);
  t->turn = 0;
  *bad |= raw_cond_signal(&t->cond);
  *bad |= raw_mutex_unlock(&t->mutex);
}

static void raw_turn_nudge(void *obj, int *bad) {
  raw_turn *t = obj;
  *bad |= raw_mutex_lock(&t->mutex);
  t->turn = 1;
  *bad |= raw_cond_signal(&t->cond);
  *bad |= raw_mutex_unlock(&t->mutex);
}

static const pp_ops weft_cond_pp = {weft_turn_init, nothing_to_destroy, weft_turn_ping,
                                    weft_turn_pong, weft_turn_nudge};
static const pp_ops raw_cond_pp = {raw_turn_init, raw_turn_destroy, raw_turn_ping, raw_turn_pong,
                                   raw_turn_nudge};

/* Events: the main thread sets e[0] and waits for e[1]; the partner the
 * other way round. Each clears the event it waited for before answering, so
 * no set is lost. */
static int weft_events_init(void *obj) {
  padded_event *e = obj;
  e[0].e = e[1].e = (weft_event)WEFT_EVENT_INIT;
  return 0;
}

static void weft_event_pass(padded_event *e, int from, int *bad) {
  *bad |= weft_event_wait(&e[from].e, WEFT_FOREVER);
  weft_event_clear(&e[from].e);
}

static void weft_events_ping(void *obj, int *bad) {
  padded_event *e = obj;
  weft_event_set(&e[0].e);
  weft_event_pass(e, 1, bad);
}

static void weft_events_pong(void *obj, int *bad) {
  padded_event *e = obj;
  weft_event_pass(e, 0, bad);
  weft_event_set(&e[1].e);
}

static void weft_events_nudge(void *obj, int *bad) {
  (void)bad;
  weft_event_set(&((padded_event *)obj)[0].e);
}

static int raw_flags_init(void *obj) {
  raw_flag *f = obj;
  for (int i = 0; i < 2; i++) {
    f[i].value = 0;
    if (raw_mutex_init(&f[i].mutex) != 0) return -1;
    if (raw_cond_init(&f[i].cond) != 0) return -1;
  }
  return 0;
}

static void raw_flags_destroy(void *obj) {
  raw_flag *f = obj;
  for (int i = 0; i < 2; i++) {
    raw_cond_destroy(&f[i].cond);
    raw_mutex_destroy(&f[i].mutex);
  }
}

/* The raw pair as Python's Event: set = flag and notify_all. */
static void raw_event_set(raw_flag *f, int *bad) {
  *bad |= raw_mutex_lock(&f->mutex);
  f->value = 1;
  *bad |= raw_cond_broadcast(&f->cond);
  *bad |= raw_mutex_unlock(&f->mutex);
}

static void raw_event_wait_clear(raw_flag *f, int *bad) {
  *bad |= raw_mutex_lock(&f->mutex);
  while (!f->value)
    *bad |= raw_cond_wait(&f->cond, &f->mutex);
  *bad |= raw_mutex_unlock(&f->mutex);
  *bad |= raw_mutex_lock(&f->mutex); /* clear() is a call of its own */
  f->value = 0;
  *bad |= raw_mutex_unlock(&f->mutex);
}

static void raw_events_ping(void *obj, int *bad) {
  raw_flag *f = obj;
  raw_event_set(&f[0], bad);
  raw_event_wait_clear(&f[1], bad);
}

static void raw_events_pong(void *obj, int *bad) {
  raw_flag *f = obj;
  raw_event_wait_clear(&f[0], bad);
  raw_event_set(&f[1], bad);
}

static void raw_events_nudge(void *obj, int *bad) {
  raw_event_set(&((raw_flag *)obj)[0], bad);
}

static const pp_ops weft_event_pp = {weft_events_init, nothing_to_destroy, weft_events_ping,
                                     weft_events_pong, weft_events_nudge};
static const pp_ops raw_event_pp = {raw_flags_init, raw_flags_destroy, raw_events_ping,
                                    raw_events_pong, raw_events_nudge};

/* Semaphores: the main thread releases s[0] and acquires s[1]. */
static int weft_sems_init(void *obj) {
  padded_sem *s = obj;
  weft_sem_init(&s[0].s, 0);
  weft_sem_init(&s[1].s, 0);
  return 0;
}

static void weft_sems_ping(void *obj, int *bad) {
  padded_sem *s = obj;
  *bad |= weft_sem_release(&s[0].s, 1);
  *bad |= weft_sem_acquire(&s[1].s, WEFT_FOREVER);
}

static void weft_sems_pong(void *obj, int *bad) {
  padded_sem *s = obj;
  *bad |= weft_sem_acquire(&s[0].s, WEFT_FOREVER);
  *bad |= weft_sem_release(&s[1].s, 1);
}

static void weft_sems_nudge(void *obj, int *bad) {
  *bad |= weft_sem_release(&((padded_sem *)obj)[0].s, 1);
}

/* The raw pair as a counting semaphore: release signals one waiter. */
static void raw_sem_release(raw_flag *f, int *bad) {
  *bad |= raw_mutex_lock(&f->mutex);
  f->value++;
  *bad |= raw_cond_signal(&f->cond);
  *bad |= raw_mutex_unlock(&f->mutex);
}

static void raw_sem_acquire(raw_flag *f, int *bad) {
  *bad |= raw_mutex_lock(&f->mutex);
  while (!f->value)
    *bad |= raw_cond_wait(&f->cond, &f->mutex);
  f->value--;
  *bad |= raw_mutex_unlock(&f->mutex);
}

static void raw_sems_ping(void *obj, int *bad) {
  raw_flag *f = obj;
  raw_sem_release(&f[0], bad);
  raw_sem_acquire(&f[1], bad);
}

static void raw_sems_pong(void *obj, int *bad) {
  raw_flag *f = obj;
  raw_sem_acquire(&f[0], bad);
  raw_sem_release(&f[1], bad);
}

static void raw_sems_nudge(void *obj, int *bad) {
  raw_sem_release(&((raw_flag *)obj)[0], bad);
}

static const pp_ops weft_sem_pp = {weft_sems_init, nothing_to_destroy, weft_sems_ping,
                                   weft_sems_pong, weft_sems_nudge};
static const pp_ops raw_sem_pp = {raw_flags_init, raw_flags_destroy, raw_sems_ping, raw_sems_pong,
                                  raw_sems_nudge};

typedef struct partner {
  const pp_ops *ops;
  int cpu; /* -1: unpinned */
  atomic_bool started, quit;
  bool pin_failed;
  int bad;
} partner;

static void partner_main(void *arg) {
  partner *p = arg;
  if (p->cpu >= 0 && !bench_pin(p->cpu)) p->pin_failed = true;
  atomic_store(&p->started, true);
  do
    p->ops->pong(&pp_obj, &p->bad);
  while (!atomic_load(&p->quit));
}

typedef struct placement {
  const char *name;
  int main_cpu, partner_cpu; /* -1: unpinned */
} placement;

typedef struct pp_case {
  const pp_ops *side[2];
  const placement *where;
} pp_case;

/* Round trips for j->seconds. */
static cost sample_pingpong(const job *j) {
  const pp_case *c = j->ctx;
  const pp_ops *ops = c->side[j->side];
  cost out = {1.0, 1.0, {0}};
  if (ops->init(&pp_obj) != 0) {
    bench_fail("cannot initialise the ping-pong objects", j->side);
    return out;
  }
  if (c->where->main_cpu >= 0 && !bench_pin(c->where->main_cpu))
    bench_fail("cannot pin the main thread", j->side);
  partner p = {.ops = ops, .cpu = c->where->partner_cpu};
  raw_thread thread;
  if (raw_thread_start(&thread, partner_main, &p) != 0) {
    bench_fail("cannot start the partner thread", j->side);
    ops->destroy(&pp_obj);
    bench_pin(-1);
    return out;
  }
  while (!atomic_load(&p.started))
    weft_yield();
  int bad = 0;
  uint64_t rounds = 0;
  meter m = bench_start();
  double t0 = m.wall;
  do {
    for (int i = 0; i < 16; i++)
      ops->ping(&pp_obj, &bad);
    rounds += 16;
  } while (weft_monotonic() - t0 < j->seconds);
  out = bench_stop(m, (double)rounds);
  atomic_store(&p.quit, true);
  ops->nudge(&pp_obj, &bad);
  if (raw_thread_join(&thread) != 0) bench_fail("cannot join the partner thread", j->side);
  if (bad || p.bad) bench_fail("a ping-pong call failed", j->side);
  if (p.pin_failed) bench_fail("cannot pin the partner thread", j->side);
  ops->destroy(&pp_obj);
  if (c->where->main_cpu >= 0) bench_pin(-1);
  return out;
}

void bench_handoff(const bench_config *cfg) {
  static const placement places[] = {{"same-cpu", 0, 0}, {"cross-cpu", 0, 1}, {"unpinned", -1, -1}};
  static const struct {
    const pp_ops *side[2];
    const char *name, *benchmark;
  } prims[] = {{{&weft_cond_pp, &raw_cond_pp}, "cond ping-pong", "handoff.cond"},
               {{&weft_event_pp, &raw_event_pp}, "event ping-pong", "handoff.event"},
               {{&weft_sem_pp, &raw_sem_pp}, "sem hand-off", "handoff.sem"}};
  for (unsigned i = 0; i < sizeof prims / sizeof prims[0]; i++) {
    for (unsigned k = 0; k < sizeof places / sizeof places[0]; k++) {
      const placement *where = &places[k];
      char name[64];
      snprintf(name, sizeof name, "%s, %s", prims[i].name, where->name);
      if (!bench_wanted(name)) continue;
      unsigned cpus_needed = where->main_cpu < 0 ? 0 : where->partner_cpu == 0 ? 1 : 2;
      if (bench_pin_cpus < cpus_needed) {
        char line[128];
        snprintf(line, sizeof line, "%-46s skipped: %s", name,
                 bench_pin_cpus ? "one CPU" : bench_pin_why);
        bench_print_text(line);
        continue;
      }
      pp_case c = {{prims[i].side[0], prims[i].side[1]}, where};
      job j = {.seconds = cfg->pingpong_sample, .ctx = &c};
      cost costs[2];
      bench_measure(sample_pingpong, j, cfg->repeats, costs);
      char note[80];
      snprintf(note, sizeof note, "CPUs busy: weft %.2f raw %.2f", costs[0].cpu / costs[0].wall,
               costs[1].cpu / costs[1].wall);
      row r = {.name = name,
               .benchmark = prims[i].benchmark,
               .metric = "round trips",
               .threads = 2,
               .placement = where->name,
               .unit = "M round trips/s",
               .precision = 4,
               .goal = 1.00,
               .baseline = raw_cond_name};
      bench_print_row(&r, costs, note);
    }
  }
}
