/* weft_bench_pool: weft's pool and futures against a plain pool (one mutex,
 * one condition variable, a condition per future) written here on raw.h's
 * primitives, and against GLib's GThreadPool where the build has it; and
 * the seed's echo server, weft_pool_new(128) against a thread per
 * connection, at 128 concurrent clients.
 *
 * Every figure comes from this run: each row is the median of several
 * samples, the sides taking turns to go first. Wall time per operation
 * and process CPU time per operation (getrusage: every thread, so a win
 * bought by spinning idle CPUs shows) are printed side by side; a ratio is
 * weft's cost over the baseline's, <= 1.00 meaning weft is at least as
 * cheap. The allocator hook counts weft's allocations per task.
 *
 *   weft_bench_pool [--quick]   --quick: small counts, for the test suite
 *                               (it fails only on wrong counts) */
#include "bench_pool.h"
#include "net.h"
#include "raw.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <weft.h>

enum { WORKERS = 4, MAX_REPEATS = 9, WINDOW = 256 };
enum { WEFT, PLAIN, GLIB, SIDES };
static const char *const side_names[SIDES] = {"weft", "plain", "GThreadPool"};

typedef struct config {
  uint64_t round_trips, tasks;
  int repeats;
  unsigned echo_clients, echo_connections, echo_messages;
} config;

static const config full = {20000, 1000000, 5, 128, 8, 25};
static const config quick = {500, 20000, 1, 16, 2, 10};

static int failures;

static void fail(const char *what, int side) {
  fprintf(stderr, "weft_bench_pool: %s (%s)\n", what, side_names[side]);
  failures++;
}

/* ---- weft's allocations, counted through the allocator hook ---- */

static atomic_ulong allocations;

static void *count_malloc(size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return malloc(n);
}

static void *count_realloc(void *p, size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return realloc(p, n);
}

/* ---- the tasks: every side runs the same ---- */

static atomic_ulong ran;

static void *empty_task(void *arg) {
  atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed);
  return arg;
}

/* ---- the plain pool: mutex + condition variable, on raw.h ---- */

typedef struct plain_future {
  raw_mutex m;
  raw_cond c;
  int done;
  void *result;
} plain_future;

typedef struct plain_task {
  weft_task fn;
  void *arg;
  plain_future *f;
} plain_task;

typedef struct plain_pool {
  raw_mutex m;
  raw_cond work;
  plain_task *ring;
  size_t cap, head, count;
  int stop;
  unsigned n;
  raw_thread threads[WORKERS];
} plain_pool;

static void plain_worker(void *arg) {
  plain_pool *p = arg;
  raw_mutex_lock(&p->m);
  for (;;) {
    while (!p->count && !p->stop)
      raw_cond_wait(&p->work, &p->m);
    if (!p->count) break; /* stopped and drained */
    plain_task t = p->ring[p->head];
    p->head = (p->head + 1) % p->cap;
    p->count--;
    raw_mutex_unlock(&p->m);
    void *r = t.fn(t.arg);
    if (t.f) {
      raw_mutex_lock(&t.f->m);
      t.f->result = r;
      t.f->done = 1;
      raw_cond_signal(&t.f->c);
      raw_mutex_unlock(&t.f->m);
    }
    raw_mutex_lock(&p->m);
  }
  raw_mutex_unlock(&p->m);
}

static plain_pool *plain_new(unsigned workers) {
  plain_pool *p = calloc(1, sizeof *p);
  if (!p || raw_mutex_init(&p->m) || raw_cond_init(&p->work)) return NULL;
  p->cap = 16;
  p->ring = malloc(p->cap * sizeof *p->ring);
  for (p->n = 0; p->ring && p->n < workers; p->n++)
    if (raw_thread_start(&p->threads[p->n], plain_worker, p)) return NULL;
  return p->ring ? p : NULL;
}

static int plain_submit(plain_pool *p, weft_task fn, void *arg, plain_future **out) {
  plain_future *f = NULL;
  if (out) {
    f = malloc(sizeof *f);
    if (!f || raw_mutex_init(&f->m) || raw_cond_init(&f->c)) return -1;
    f->done = 0;
    *out = f;
  }
  raw_mutex_lock(&p->m);
  if (p->count == p->cap) {
    plain_task *ring = malloc(2 * p->cap * sizeof *ring);
    if (!ring) {
      raw_mutex_unlock(&p->m);
      return -1;
    }
    for (size_t i = 0; i < p->count; i++)
      ring[i] = p->ring[(p->head + i) % p->cap];
    free(p->ring);
    p->ring = ring;
    p->head = 0;
    p->cap *= 2;
  }
  p->ring[(p->head + p->count++) % p->cap] = (plain_task){fn, arg, f};
  raw_cond_signal(&p->work);
  raw_mutex_unlock(&p->m);
  return 0;
}

static void *plain_result(plain_future *f) {
  raw_mutex_lock(&f->m);
  while (!f->done)
    raw_cond_wait(&f->c, &f->m);
  raw_mutex_unlock(&f->m);
  void *r = f->result;
  raw_cond_destroy(&f->c);
  raw_mutex_destroy(&f->m);
  free(f);
  return r;
}

static void plain_free(plain_pool *p) {
  raw_mutex_lock(&p->m);
  p->stop = 1;
  raw_cond_broadcast(&p->work);
  raw_mutex_unlock(&p->m);
  for (unsigned i = 0; i < p->n; i++)
    raw_thread_join(&p->threads[i]);
  raw_cond_destroy(&p->work);
  raw_mutex_destroy(&p->m);
  free(p->ring);
  free(p);
}

/* ---- samples: each returns 0, or nonzero on a failed call ---- */

typedef enum { ROUND_TRIP, FIRE, FUTURES } kind;

static int weft_sample(kind k, uint64_t n) {
  weft_pool *p = weft_pool_new(WORKERS);
  if (!p) return -1;
  int bad = 0;
  weft_future *fs[WINDOW];
  for (uint64_t i = 0; i < n && !bad;) {
    if (k == FIRE) {
      bad = weft_pool_submit(p, empty_task, NULL, NULL);
      i++;
      continue;
    }
    uint64_t w = k == ROUND_TRIP ? 1 : (n - i < WINDOW ? n - i : WINDOW);
    for (uint64_t j = 0; j < w && !bad; j++)
      bad = weft_pool_submit(p, empty_task, (void *)(uintptr_t)(i + j + 1), &fs[j]);
    for (uint64_t j = 0; j < w && !bad; j++) {
      void *r = NULL;
      bad = weft_future_result(fs[j], WEFT_FOREVER, &r) || r != (void *)(uintptr_t)(i + j + 1);
      weft_future_unref(fs[j]);
    }
    i += w;
  }
  return weft_pool_free(p) || bad;
}

static int plain_sample(kind k, uint64_t n) {
  plain_pool *p = plain_new(WORKERS);
  if (!p) return -1;
  int bad = 0;
  plain_future *fs[WINDOW];
  for (uint64_t i = 0; i < n && !bad;) {
    if (k == FIRE) {
      bad = plain_submit(p, empty_task, NULL, NULL);
      i++;
      continue;
    }
    uint64_t w = k == ROUND_TRIP ? 1 : (n - i < WINDOW ? n - i : WINDOW);
    for (uint64_t j = 0; j < w && !bad; j++)
      bad = plain_submit(p, empty_task, (void *)(uintptr_t)(i + j + 1), &fs[j]);
    for (uint64_t j = 0; j < w && !bad; j++)
      bad = plain_result(fs[j]) != (void *)(uintptr_t)(i + j + 1);
    i += w;
  }
  plain_free(p);
  return bad;
}

static int glib_sample(kind k, uint64_t n) {
  uint64_t done = n;
  int bad =
      k == ROUND_TRIP ? glib_round_trips(n, WORKERS) : glib_fire_and_forget(n, WORKERS, &done);
  atomic_fetch_add(&ran, done);
  return bad;
}

/* ---- measuring ---- */

typedef struct cost {
  double wall, cpu; /* seconds per operation, medians */
  bool have;
} cost;

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef int (*sample_fn)(kind k, uint64_t n);

static void measure(kind k, uint64_t n, int repeats, cost out[SIDES]) {
  sample_fn fns[SIDES] = {weft_sample, plain_sample, glib_pool_name ? glib_sample : NULL};
  if (k == FUTURES) fns[GLIB] = NULL; /* GThreadPool has no futures */
  double wall[SIDES][MAX_REPEATS], cpu[SIDES][MAX_REPEATS];
  for (int s = 0; s < SIDES; s++)
    if (fns[s]) fns[s](k, n / 20 + 1); /* warm up */
  for (int r = 0; r < repeats; r++) {
    for (int i = 0; i < SIDES; i++) {
      int s = (r + i) % SIDES; /* each side goes first in turn */
      if (!fns[s]) continue;
      unsigned long ran0 = atomic_load(&ran);
      double c0 = raw_process_cpu(), t0 = weft_monotonic();
      if (fns[s](k, n)) fail("a call failed", s);
      wall[s][r] = (weft_monotonic() - t0) / (double)n;
      cpu[s][r] = (raw_process_cpu() - c0) / (double)n;
      if (atomic_load(&ran) - ran0 != n) fail("a task lost or run twice", s);
    }
  }
  for (int s = 0; s < SIDES; s++) {
    out[s].have = fns[s] != NULL;
    if (!out[s].have) continue;
    out[s].wall = median(wall[s], repeats);
    out[s].cpu = median(cpu[s], repeats);
  }
}

static int goals_met, goals_total;

static void goal(bool met) {
  goals_total++;
  goals_met += met;
}

/* One row: weft and each baseline; throughput rows (per_second) show
 * Mtasks/s and their goal is a speed-up, the others a cost ratio. */
static void print_row(const char *name, const cost c[SIDES], bool per_second, double goal_ratio) {
  printf("%-40s", name);
  for (int s = 0; s < SIDES; s++) {
    if (!c[s].have) {
      printf(" %12s", "n/a");
      continue;
    }
    if (per_second)
      printf(" %9.2f M/s", 1e-6 / c[s].wall);
    else
      printf(" %10.2f us", c[s].wall * 1e6);
  }
  double ratio = c[WEFT].wall / c[PLAIN].wall, cpu_ratio = c[WEFT].cpu / c[PLAIN].cpu;
  printf("  | cost x%.2f, CPU x%.2f", ratio, cpu_ratio);
  if (c[GLIB].have)
    printf(" | vs GLib x%.2f, CPU x%.2f", c[WEFT].wall / c[GLIB].wall, c[WEFT].cpu / c[GLIB].cpu);
  printf("\n%-40s", "  CPU per task (us)");
  for (int s = 0; s < SIDES; s++)
    if (c[s].have)
      printf(" %10.2f us", c[s].cpu * 1e6);
    else
      printf(" %12s", "n/a");
  bool met = ratio <= goal_ratio, cpu_met = cpu_ratio <= 1.0;
  goal(met);
  goal(cpu_met);
  if (per_second)
    printf("  | goal: >= %.1fx the plain pool (%s), CPU <= 1.0x (%s)\n", 1 / goal_ratio,
           met ? "met" : "MISSED", cpu_met ? "met" : "MISSED");
  else
    printf("  | goal: <= %.1fx the plain pool (%s), CPU <= 1.0x (%s)\n", goal_ratio,
           met ? "met" : "MISSED", cpu_met ? "met" : "MISSED");
}

/* ---- allocations per task ---- */

static void report_allocations(uint64_t n) {
  weft_pool *p = weft_pool_new(WORKERS);
  weft_future *f;
  if (!p) {
    fail("weft_pool_new", WEFT);
    return;
  }
  /* Warm: workers started, the ring grown for this backlog. */
  for (uint64_t i = 0; i < n; i++)
    weft_pool_submit(p, empty_task, NULL, NULL);
  weft_pool_submit(p, empty_task, NULL, &f);
  weft_future_result(f, WEFT_FOREVER, NULL);
  weft_future_unref(f);
  unsigned long a0 = atomic_load(&allocations);
  for (uint64_t i = 0; i < n; i++)
    weft_pool_submit(p, empty_task, NULL, NULL);
  unsigned long fire = atomic_load(&allocations) - a0;
  a0 = atomic_load(&allocations);
  for (uint64_t i = 0; i < n; i++) {
    if (weft_pool_submit(p, empty_task, NULL, &f) != WEFT_OK) {
      fail("submit", WEFT);
      break;
    }
    weft_future_result(f, WEFT_FOREVER, NULL);
    weft_future_unref(f);
  }
  unsigned long with = atomic_load(&allocations) - a0;
  weft_pool_free(p);
  printf("allocations per task (weft, steady): fire and forget %.4f, with a future %.4f\n",
         (double)fire / (double)n, (double)with / (double)n);
  if (with > n) fail("more than one allocation per submit with a future", WEFT);
}

/* ---- the echo server at 128 concurrent clients ---- */

typedef struct echo_run {
  sock_t listener;
  unsigned short port;
  unsigned connections; /* in all */
  unsigned messages;
  bool pool; /* weft_pool_new(128) + submit, or a thread per connection */
  weft_pool *workers;
  atomic_uint served;
  atomic_ulong good;
} echo_run;

typedef struct echo_conn {
  sock_t s;
  echo_run *run;
} echo_conn;

static void *echo_task(void *arg) {
  echo_conn *c = arg;
  echo_all(c->s);
  close_sock(c->s);
  atomic_fetch_add(&c->run->served, 1);
  free(c);
  return NULL;
}

static void echo_thread(void *arg) {
  echo_task(arg);
}

static void acceptor(void *arg) {
  echo_run *e = arg;
  for (unsigned i = 0; i < e->connections; i++) {
    echo_conn *c = malloc(sizeof *c);
    char details[32];
    if (!c || (c->s = accept_peer(e->listener, details, sizeof details)) == BAD_SOCK) {
      free(c);
      fail("accept", WEFT);
      return;
    }
    c->run = e;
    int rc = e->pool ? weft_pool_submit(e->workers, echo_task, c, NULL)
                     : weft_start_new_thread(echo_thread, c);
    if (rc != WEFT_OK) {
      close_sock(c->s);
      free(c);
      fail("serve", WEFT);
      return;
    }
  }
}

typedef struct echo_client {
  echo_run *run;
  unsigned connections;
  raw_thread t;
} echo_client;

static void client(void *arg) {
  echo_client *me = arg;
  echo_run *e = me->run;
  char msg[64], echo[64];
  memset(msg, 'x', sizeof msg);
  for (unsigned c = 0; c < me->connections; c++) {
    sock_t s = connect_loopback(e->port);
    if (s == BAD_SOCK) return;
    for (unsigned m = 0; m < e->messages; m++) {
      msg[0] = (char)('a' + m % 26);
      if (!send_all(s, msg, sizeof msg) || !recv_exact(s, echo, sizeof echo) ||
          memcmp(msg, echo, sizeof msg) != 0)
        break;
      atomic_fetch_add(&e->good, 1);
    }
    close_sock(s);
  }
}

/* Messages per second (and CPU per message) with `clients` clients at
 * once, each making `per_client` connections in turn. */
static bool echo_sample(echo_run *e, unsigned clients, unsigned per_client, double *wall,
                        double *cpu) {
  static echo_client cs[256];
  e->connections = clients * per_client;
  atomic_store(&e->served, 0);
  atomic_store(&e->good, 0);
  e->workers = e->pool ? weft_pool_new(128) : NULL;
  if (e->pool && !e->workers) return false;
  double c0 = raw_process_cpu(), t0 = weft_monotonic();
  weft_thread *a = weft_thread_new(acceptor, e);
  if (!a || weft_thread_start(a) != WEFT_OK) return false;
  for (unsigned i = 0; i < clients; i++) {
    cs[i] = (echo_client){e, per_client, {0}};
    if (raw_thread_start(&cs[i].t, client, &cs[i])) return false;
  }
  for (unsigned i = 0; i < clients; i++)
    raw_thread_join(&cs[i].t);
  weft_thread_join(a, WEFT_FOREVER);
  weft_thread_unref(a);
  while (atomic_load(&e->served) < e->connections) /* the last handlers end */
    weft_sleep(0.0001);
  unsigned long msgs = (unsigned long)e->connections * e->messages;
  *wall = (weft_monotonic() - t0) / (double)msgs;
  *cpu = (raw_process_cpu() - c0) / (double)msgs;
  if (e->workers) weft_pool_free(e->workers);
  if (atomic_load(&e->good) != msgs) fail("an echo missing or wrong", WEFT);
  return true;
}

static void bench_echo(const config *cfg) {
  echo_run e;
  memset(&e, 0, sizeof e);
  e.messages = cfg->echo_messages;
  if (!net_start() || (e.listener = listen_loopback(&e.port, 256)) == BAD_SOCK) {
    printf("echo server rows: n/a (no loopback sockets)\n");
    return;
  }
  double wall[2][MAX_REPEATS], cpu[2][MAX_REPEATS];
  for (int r = 0; r < cfg->repeats; r++) {
    for (int i = 0; i < 2; i++) {
      int pool = (r + i) % 2;
      e.pool = pool;
      if (!echo_sample(&e, cfg->echo_clients, cfg->echo_connections, &wall[pool][r],
                       &cpu[pool][r])) {
        fail("echo run", WEFT);
        return;
      }
    }
  }
  double w[2], c[2];
  for (int v = 0; v < 2; v++) {
    w[v] = median(wall[v], cfg->repeats);
    c[v] = median(cpu[v], cfg->repeats);
  }
  close_sock(e.listener);
  net_stop();
  double speed = w[0] / w[1]; /* thread-per-connection time / pool time */
  char name[64];
  snprintf(name, sizeof name, "echo, %u clients: pool / thread each", cfg->echo_clients);
  printf("%-40s %9.1f k/s %9.1f k/s  | pool x%.2f the messages/s, CPU x%.2f\n", name, 1e-3 / w[1],
         1e-3 / w[0], speed, c[1] / c[0]);
  printf("%-40s %10.2f us %10.2f us\n", "  CPU per message (us)", c[1] * 1e6, c[0] * 1e6);
  printf("  (%u clients at once, %u connections each, %u messages of 64 bytes per connection)\n",
         cfg->echo_clients, cfg->echo_connections, cfg->echo_messages);
  goal(speed >= 1.0);
  printf("  goal: the pool serves >= 1.0x the thread-per-connection server (%s)\n",
         speed >= 1.0 ? "met" : "MISSED");
}

int main(int argc, char **argv) {
  const config *cfg = &full;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      cfg = &quick;
    } else {
      fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
      return 2;
    }
  }
  /* The first weft call: from here on weft's allocations are counted. */
  if (weft_set_allocator(count_malloc, count_realloc, free) != WEFT_OK) {
    fprintf(stderr, "weft_bench_pool: weft_set_allocator refused\n");
    return 1;
  }
  double start = weft_monotonic();
  printf("weft_bench_pool: weft %s, backend %s, %u CPUs, build %s, median of %d%s\n",
         weft_version(), weft_backend(), weft_cpu_count(),
         WEFT_BENCH_CONFIG[0] ? WEFT_BENCH_CONFIG : "(none)", cfg->repeats,
         cfg == &quick ? " (--quick)" : "");
  printf("plain pool: %s + %s, a ring, a condition per future; %d workers everywhere\n",
         raw_mutex_name, raw_cond_name, WORKERS);
  printf("%-40s %12s %12s %12s\n", "", side_names[WEFT], side_names[PLAIN],
         glib_pool_name ? side_names[GLIB] : "(no GLib)");
  cost c[SIDES];
  measure(ROUND_TRIP, cfg->round_trips, cfg->repeats, c);
  print_row("round trip: submit + result, 1 task", c, false, 1.0);
  char name[64];
  snprintf(name, sizeof name, "%luk empty tasks, fire and forget",
           (unsigned long)(cfg->tasks / 1000));
  measure(FIRE, cfg->tasks, cfg->repeats, c);
  print_row(name, c, true, 1 / 1.5);
  snprintf(name, sizeof name, "%luk empty tasks, with futures", (unsigned long)(cfg->tasks / 1000));
  measure(FUTURES, cfg->tasks, cfg->repeats, c);
  print_row(name, c, true, 1 / 1.5);
  report_allocations(cfg->tasks / 10);
  bench_echo(cfg);
  printf("goals met: %d of %d (timings on a shared machine are noisy); %.1f s\n", goals_met,
         goals_total, weft_monotonic() - start);
  return failures ? 1 : 0;
}
