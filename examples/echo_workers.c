/* The 128-worker echo server of the Python Cookbook (Beazley and Jones,
 * "Creating a worker pool"), in both of the seed's versions, and a load
 * client that checks every echo:
 *
 *   1. threading + queue: 128 daemon worker threads, each running
 *      echo_client(q) for ever; the accept loop puts (socket, address)
 *      into the queue;
 *   2. concurrent.futures: pool = ThreadPoolExecutor(128); the accept loop
 *      calls pool.submit(echo_client, client_sock, client_addr).
 *
 * The load client opens CONNECTIONS connections, each sending MESSAGES
 * lines and checking each echo, from the threads of a pool of its own
 * (weft_pool_submit, one task per connection, futures for the counts).
 *
 * Bounded, as the tests need: 127.0.0.1 only, a port the OS picks, the
 * server accepts CONNECTIONS connections and stops. Where loopback TCP is
 * unavailable it says "SKIP" and exits 77.
 *
 *   t = Thread(target=echo_client, args=(q,))   weft_thread_new(echo_client_queue, q)
 *   t.daemon = True; t.start()                  weft_thread_set_daemon, _start
 *   q.put((client_sock, client_addr))           weft_queue_put(q, conn, WEFT_FOREVER)
 *   pool = ThreadPoolExecutor(128)              weft_pool_new(128)
 *   pool.submit(echo_client, sock, addr)        weft_pool_submit(pool, echo_client, conn, NULL)
 */
#include "net.h"

#include <stdlib.h>
#include <weft.h>

enum { WORKERS = 128, CONNECTIONS = 32, MESSAGES = 20, CLIENT_THREADS = 8 };
static const double deadline = 30.0; /* seconds per version */

typedef struct conn {
  sock_t sock;
  char addr[32];
} conn;

static weft_lock count_lock = WEFT_LOCK_INIT;
static long served, echoed_bytes; /* under count_lock */

/* One client connection: echo until it closes. */
static void *echo_client(void *arg) {
  conn *c = arg;
  long bytes = echo_all(c->sock);
  close_sock(c->sock);
  free(c);
  weft_lock_acquire(&count_lock, WEFT_FOREVER);
  served++;
  echoed_bytes += bytes;
  weft_lock_release(&count_lock);
  return NULL;
}

/* Version 1's workers: take connections out of the queue for ever (here:
 * until the queue is shut down). */
static void echo_client_queue(void *arg) {
  weft_queue *q = arg;
  void *item;
  while (weft_queue_get(q, &item, WEFT_FOREVER) == WEFT_OK)
    echo_client(item);
}

/* ---- the servers ---- */

typedef struct server {
  sock_t sock;
  weft_queue *q;   /* version 1 */
  weft_pool *pool; /* version 2 */
  int accepted;    /* read after join */
} server;

static void accept_loop(void *arg) {
  server *s = arg;
  while (s->accepted < CONNECTIONS) {
    conn *c = malloc(sizeof *c);
    if (!c) break;
    c->sock = accept_peer(s->sock, c->addr, sizeof c->addr);
    int rc = c->sock == BAD_SOCK ? WEFT_EINVAL
             : s->q              ? weft_queue_put(s->q, c, WEFT_FOREVER)
                                 : weft_pool_submit(s->pool, echo_client, c, NULL);
    if (rc != WEFT_OK) {
      if (c->sock != BAD_SOCK) close_sock(c->sock);
      free(c);
      break;
    }
    s->accepted++;
  }
}

/* ---- the load client ---- */

static unsigned short server_port;

/* One connection's exchange; its result is the number of good echoes. */
static void *talk(void *arg) {
  uintptr_t number = (uintptr_t)arg, good = 0;
  sock_t s = connect_loopback(server_port);
  if (s == BAD_SOCK) return (void *)good;
  for (int m = 0; m < MESSAGES; m++) {
    char message[64], echo[64];
    int len = snprintf(message, sizeof message, "message %d of connection %lu\n", m,
                       (unsigned long)number);
    if (!send_all(s, message, (size_t)len) || !recv_exact(s, echo, (size_t)len) ||
        memcmp(echo, message, (size_t)len) != 0)
      break;
    good++;
  }
  close_sock(s);
  return (void *)good;
}

/* CONNECTIONS connections from CLIENT_THREADS threads; the echoes that
 * came back intact, or -1 if the client ran out of time. */
static long load(double t0) {
  weft_pool *clients = weft_pool_new(CLIENT_THREADS);
  if (!clients) return -1;
  /* Daemon workers: a stuck socket must fail the run, not hang its exit. */
  weft_pool_set_daemon(clients, true);
  weft_pool_set_name_prefix(clients, "load");
  weft_future *fs[CONNECTIONS];
  size_t n = 0;
  for (uintptr_t i = 0; i < CONNECTIONS; i++)
    if (weft_pool_submit(clients, talk, (void *)i, &fs[n]) == WEFT_OK) n++;
  double left = deadline - (weft_monotonic() - t0);
  long good = weft_wait(fs, n, WEFT_ALL_COMPLETED, left > 0 ? left : 0) == WEFT_OK ? 0 : -1;
  for (size_t i = 0; i < n; i++) {
    void *r = NULL;
    if (good >= 0 && weft_future_result(fs[i], 0, &r) == WEFT_OK) good += (long)(uintptr_t)r;
    weft_future_unref(fs[i]);
  }
  if (good >= 0) weft_pool_free(clients); /* else its threads may be stuck: leave them */
  return good;
}

static bool check(const char *version, server *s, weft_thread *acceptor, long good, double t0) {
  double left = deadline - (weft_monotonic() - t0);
  bool joined = weft_thread_join(acceptor, left > 0 ? left : 0) == WEFT_OK;
  weft_thread_unref(acceptor);
  if (!joined || good != CONNECTIONS * MESSAGES || s->accepted != CONNECTIONS) {
    printf("FAIL: %s: acceptor %s, %d accepted, %ld of %d echoes\n", version,
           joined ? "done" : "late", s->accepted, good, CONNECTIONS * MESSAGES);
    return false;
  }
  return true;
}

static weft_thread *start_acceptor(server *s) {
  weft_thread *t = weft_thread_new(accept_loop, s);
  if (!t || weft_thread_set_daemon(t, true) != WEFT_OK || weft_thread_start(t) != WEFT_OK) {
    printf("FAIL: could not start the accept loop\n");
    exit(1);
  }
  return t;
}

static long served_now(void) {
  weft_lock_acquire(&count_lock, WEFT_FOREVER);
  long n = served;
  weft_lock_release(&count_lock);
  return n;
}

int main(void) {
  if (!net_start()) return NET_SKIP;
  server s = {BAD_SOCK, NULL, NULL, 0};
  s.sock = listen_loopback(&server_port, WORKERS);
  if (s.sock == BAD_SOCK) return NET_SKIP;
  printf("Echo server running at 127.0.0.1, port chosen by the OS\n");

  /* 1. 128 daemon workers fed by a queue. */
  double t0 = weft_monotonic();
  s.q = weft_queue_new(0);
  if (!s.q) return 1;
  weft_thread *workers[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    workers[i] = weft_thread_new(echo_client_queue, s.q);
    if (!workers[i] || weft_thread_set_daemon(workers[i], true) != WEFT_OK ||
        weft_thread_start(workers[i]) != WEFT_OK) {
      printf("FAIL: could not start worker %d\n", i);
      return 1;
    }
  }
  weft_thread *acceptor = start_acceptor(&s);
  long good = load(t0);
  if (!check("queue version", &s, acceptor, good, t0)) return 1;
  weft_queue_shutdown(s.q, false); /* the workers' gets fail: they end */
  for (int i = 0; i < WORKERS; i++) {
    double left = deadline - (weft_monotonic() - t0);
    if (weft_thread_join(workers[i], left > 0 ? left : 0) != WEFT_OK) {
      printf("FAIL: worker %d did not end\n", i);
      return 1;
    }
    weft_thread_unref(workers[i]);
  }
  weft_queue_free(s.q);
  printf("queue version: %d daemon workers, %ld connections served, %ld messages echoed\n", WORKERS,
         served_now(), good);

  /* 2. weft_pool_new(128), one submit per connection. */
  t0 = weft_monotonic();
  s = (server){s.sock, NULL, weft_pool_new(WORKERS), 0};
  if (!s.pool) return 1;
  weft_pool_set_daemon(s.pool, true); /* as above: fail, do not hang */
  acceptor = start_acceptor(&s);
  good = load(t0);
  if (!check("pool version", &s, acceptor, good, t0)) return 1;
  weft_pool_free(s.pool); /* waits for the echo_client tasks */
  close_sock(s.sock);
  net_stop();
  printf("pool version: weft_pool_new(%d), %ld connections served, %ld messages echoed\n", WORKERS,
         served_now() - CONNECTIONS, good);
  printf("%d x %d messages from %d client threads, every echo checked, both versions\n",
         CONNECTIONS, MESSAGES, CLIENT_THREADS);
  return 0;
}
