/* A thread-pool server fed by a queue, from "Basic Threading in Python"
 * (Peyton McCullough): two ClientThreads serve "forever", each taking the
 * next client out of clientPool, a Queue that the main loop fills with
 * server.accept(); each sends the greeting (the seed's pickled
 * [1, 2, 7, 9, 0], here as text) and reads the client's ten messages, and
 * five ConnectionThreads connect at once. Two threads serve five clients:
 * the others wait in the queue until a thread is free.
 *
 * Here the server echoes each message so that its client can check it,
 * and everything is bounded: 127.0.0.1 only, a port the OS picks, five
 * clients, then the queue is shut down and the threads end. Where loopback
 * TCP is unavailable it says "SKIP" and exits 77.
 *
 *   clientPool = Queue.Queue(0)          weft_queue_new(0)
 *   ClientThread().start()  (x 2)        weft_thread_new(client_thread, pool) + start
 *   client = clientPool.get()            weft_queue_get(pool, &client, WEFT_FOREVER)
 *   clientPool.put(server.accept())      weft_queue_put(pool, accepted, WEFT_FOREVER)
 */
#include "net.h"

#include <stdarg.h>
#include <stdlib.h>
#include <weft.h>

enum { THREADS = 2, CLIENTS = 5, MESSAGES = 10 };
static const char greeting[] = "[1, 2, 7, 9, 0]\n";
static const double deadline = 20.0; /* seconds for the whole exchange */

static weft_lock print_lock = WEFT_LOCK_INIT;
static long echoed; /* bytes the server echoed; under print_lock */

static void say(const char *fmt, ...) {
  char name[32];
  va_list args;
  weft_thread_get_name(weft_thread_current(), name, sizeof name);
  va_start(args, fmt);
  weft_lock_acquire(&print_lock, WEFT_FOREVER);
  printf("(%-14s) ", name);
  vprintf(fmt, args);
  printf("\n");
  fflush(stdout);
  weft_lock_release(&print_lock);
  va_end(args);
}

/* What server.accept() returns: the channel and the peer's details. */
typedef struct client {
  sock_t channel;
  char details[32];
} client;

/* ---- the server: two ClientThreads on one queue ---- */

static void client_thread(void *arg) {
  weft_queue *client_pool = arg;
  int served = 0;
  for (;;) {
    void *item = NULL;
    /* Shut down and drained: the server is done (the seed serves for ever). */
    if (weft_queue_get(client_pool, &item, WEFT_FOREVER) != WEFT_OK) break;
    client *c = item;
    if (!c) continue; /* "if client != None" */
    say("Received connection: %s", c->details);
    long bytes = 0;
    if (send_all(c->channel, greeting, sizeof greeting - 1)) bytes = echo_all(c->channel);
    close_sock(c->channel);
    say("Closed connection: %s", c->details);
    weft_lock_acquire(&print_lock, WEFT_FOREVER);
    echoed += bytes;
    weft_lock_release(&print_lock);
    free(c);
    served++;
  }
  say("served %d clients", served);
}

/* ---- the clients: ConnectionThreads ---- */

typedef struct connection {
  unsigned short port;
  int number;
  int echoes; /* read by main after join */
  bool greeted;
} connection;

static void connection_thread(void *arg) {
  connection *me = arg;
  sock_t s = connect_loopback(me->port);
  if (s == BAD_SOCK) return;
  char buf[sizeof greeting];
  me->greeted =
      recv_exact(s, buf, sizeof greeting - 1) && memcmp(buf, greeting, sizeof greeting - 1) == 0;
  for (int x = 0; me->greeted && x < MESSAGES; x++) {
    char message[32], echo[32];
    int len = snprintf(message, sizeof message, "Hey. %d\n", x);
    if (!send_all(s, message, (size_t)len) || !recv_exact(s, echo, (size_t)len) ||
        memcmp(echo, message, (size_t)len) != 0)
      break;
    me->echoes++;
  }
  close_sock(s);
}

static weft_thread *start_named(const char *name, weft_fn fn, void *arg) {
  weft_thread *t = weft_thread_new(fn, arg);
  /* Daemons, so that a stuck socket fails the run instead of hanging it. */
  if (!t || weft_thread_set_name(t, name) != WEFT_OK ||
      weft_thread_set_daemon(t, true) != WEFT_OK || weft_thread_start(t) != WEFT_OK) {
    printf("FAIL: could not start %s\n", name);
    exit(1);
  }
  return t;
}

static int join_by(weft_thread *t, double t0) {
  double left = deadline - (weft_monotonic() - t0);
  int rc = weft_thread_join(t, left > 0 ? left : 0);
  weft_thread_unref(t);
  return rc;
}

int main(void) {
  if (!net_start()) return NET_SKIP;
  unsigned short port = 0;
  sock_t server = listen_loopback(&port, CLIENTS);
  if (server == BAD_SOCK) return NET_SKIP;
  double t0 = weft_monotonic();

  weft_queue *client_pool = weft_queue_new(0);
  if (!client_pool) return 1;
  weft_thread *threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    char name[32];
    snprintf(name, sizeof name, "ClientThread-%d", i + 1);
    threads[i] = start_named(name, client_thread, client_pool);
  }
  connection conns[CLIENTS];
  weft_thread *clients[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) {
    char name[32];
    conns[i] = (connection){port, i + 1, 0, false};
    snprintf(name, sizeof name, "Connection-%d", i + 1);
    clients[i] = start_named(name, connection_thread, &conns[i]);
  }

  /* "while True: clientPool.put(server.accept())", for five clients. */
  int accepted = 0;
  while (accepted < CLIENTS) {
    client *c = malloc(sizeof *c);
    if (!c) break;
    c->channel = accept_peer(server, c->details, sizeof c->details);
    if (c->channel == BAD_SOCK || weft_queue_put(client_pool, c, WEFT_FOREVER) != WEFT_OK) {
      if (c->channel != BAD_SOCK) close_sock(c->channel);
      free(c);
      break;
    }
    accepted++;
  }
  close_sock(server);

  int greeted = 0, echoes = 0, late = 0;
  for (int i = 0; i < CLIENTS; i++) {
    if (join_by(clients[i], t0) != WEFT_OK) {
      late++; /* still running: read nothing it writes */
      continue;
    }
    greeted += conns[i].greeted;
    echoes += conns[i].echoes;
  }
  /* Done serving: the threads drain the queue, then their gets fail. */
  weft_queue_shutdown(client_pool, false);
  for (int i = 0; i < THREADS; i++)
    late += join_by(threads[i], t0) != WEFT_OK;
  weft_lock_acquire(&print_lock, WEFT_FOREVER);
  long bytes = echoed;
  weft_lock_release(&print_lock);
  if (late || accepted != CLIENTS || greeted != CLIENTS || echoes != CLIENTS * MESSAGES) {
    printf("FAIL: %d threads late, %d accepted, %d greeted, %d of %d echoes\n", late, accepted,
           greeted, echoes, CLIENTS * MESSAGES);
    return 1; /* daemon threads still stuck in a socket call end with the process */
  }
  weft_queue_free(client_pool);
  net_stop();
  printf("%d clients, %d pooled threads: %d messages echoed (%ld bytes)\n", CLIENTS, THREADS,
         echoes, bytes);
  return 0;
}
