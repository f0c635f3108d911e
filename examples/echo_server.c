/* A thread-per-client TCP server and a threaded client, from "Basic
 * Threading in Python" (Peyton McCullough): the server starts a
 * ClientThread for each connection it accepts, which sends a greeting (the
 * seed's pickled [1, 2, 7, 9, 0], here as text) and then reads the client's
 * ten messages; five ConnectionThreads connect at once and send "Hey. x".
 * Here the handler echoes what it reads so each client can check it, and
 * everything is bounded: 127.0.0.1 only, a port the OS picks, five clients,
 * then the server stops. All threads are daemons and main joins them with
 * a deadline, so a stuck socket fails the run instead of hanging it.
 * Where loopback TCP is unavailable it says "SKIP" and exits 0.
 *
 *   ClientThread(channel, details).start()   weft_thread_new(handle_client, conn) + start
 *   t.daemon = True                          weft_thread_set_daemon (handlers inherit it)
 *   t.join(timeout)                          weft_thread_join(t, timeout)
 *
 * Sockets are the one thing that differs by OS (winsock needs WSAStartup
 * and ws2_32); the threading does not. */
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
typedef SOCKET sock_t;
#define BAD_SOCK INVALID_SOCKET
#define close_sock closesocket
#define sock_errno() ((int)WSAGetLastError())
typedef int io_len; /* send/recv take and return int on Windows */
#else
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
typedef int sock_t;
#define BAD_SOCK (-1)
#define close_sock close
#define sock_errno() errno
typedef size_t io_len;
#endif
#ifndef MSG_NOSIGNAL /* a peer that went away: an error, not SIGPIPE (Linux) */
#define MSG_NOSIGNAL 0
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

enum { CLIENTS = 5, MESSAGES = 10 };
static const char greeting[] = "[1, 2, 7, 9, 0]\n";
static const double deadline = 10.0; /* seconds for the whole exchange */

static weft_lock print_lock = WEFT_LOCK_INIT;
static long echoed; /* bytes the handlers echoed; under print_lock */

/* One line, tagged with the calling thread's name. */
static void say(const char *fmt, ...) {
  char name[32];
  va_list args;
  weft_thread_get_name(weft_thread_current(), name, sizeof name);
  va_start(args, fmt);
  weft_lock_acquire(&print_lock, WEFT_FOREVER);
  printf("(%-9s) ", name);
  vprintf(fmt, args);
  printf("\n");
  fflush(stdout);
  weft_lock_release(&print_lock);
  va_end(args);
}

static bool send_all(sock_t s, const char *buf, size_t len) {
  while (len > 0) {
    int n = (int)send(s, buf, (io_len)len, MSG_NOSIGNAL);
    if (n <= 0) return false;
    buf += n;
    len -= (size_t)n;
  }
  return true;
}

static bool recv_exact(sock_t s, char *buf, size_t len) {
  while (len > 0) {
    int n = (int)recv(s, buf, (io_len)len, 0);
    if (n <= 0) return false;
    buf += n;
    len -= (size_t)n;
  }
  return true;
}

/* 127.0.0.1:port */
static struct sockaddr_in loopback(unsigned short port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

/* ---- The server: one thread per client (ClientThread) ---- */

typedef struct connection {
  sock_t channel;
  char details[32]; /* "127.0.0.1:port" of the peer */
} connection;

static void handle_client(void *arg) {
  connection *c = arg;
  say("Received connection: %s", c->details);
  long bytes = 0;
  if (send_all(c->channel, greeting, sizeof greeting - 1)) {
    char buf[256];
    int n;
    while ((n = (int)recv(c->channel, buf, sizeof buf, 0)) > 0 &&
           send_all(c->channel, buf, (size_t)n))
      bytes += n;
  }
  close_sock(c->channel);
  say("Closed connection: %s", c->details);
  weft_lock_acquire(&print_lock, WEFT_FOREVER);
  echoed += bytes;
  weft_lock_release(&print_lock);
  free(c);
}

static int served; /* connections handed to a thread; read by main after join */

/* Accept CLIENTS connections, a thread each, then wait for those threads. */
static void serve(void *arg) {
  sock_t server = *(sock_t *)arg;
  weft_thread *handlers[CLIENTS];
  int n = 0;
  while (n < CLIENTS) {
    struct sockaddr_in peer;
    socklen_t size = sizeof peer;
    connection *c = malloc(sizeof *c);
    if (!c) break;
    c->channel = accept(server, (struct sockaddr *)&peer, &size);
    if (c->channel == BAD_SOCK) {
      free(c);
      break;
    }
    snprintf(c->details, sizeof c->details, "%s:%u", inet_ntoa(peer.sin_addr),
             (unsigned)ntohs(peer.sin_port));
    handlers[n] = weft_thread_new(handle_client, c);
    if (!handlers[n] || weft_thread_start(handlers[n]) != WEFT_OK) {
      close_sock(c->channel);
      free(c);
      weft_thread_unref(handlers[n]);
      break;
    }
    n++;
  }
  close_sock(server);
  for (int i = 0; i < n; i++) {
    weft_thread_join(handlers[i], deadline);
    weft_thread_unref(handlers[i]);
  }
  served = n;
}

/* ---- The clients: ConnectionThread ---- */

typedef struct client {
  unsigned short port;
  int number;
  int echoes; /* messages that came back intact; read by main after join */
  bool greeted;
} client;

static void connect_and_talk(void *arg) {
  client *me = arg;
  sock_t s = socket(AF_INET, SOCK_STREAM, 0);
  if (s == BAD_SOCK) return;
  struct sockaddr_in addr = loopback(me->port);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) == 0) {
    char buf[sizeof greeting];
    me->greeted =
        recv_exact(s, buf, sizeof greeting - 1) && memcmp(buf, greeting, sizeof greeting - 1) == 0;
    for (int x = 0; me->greeted && x < MESSAGES; x++) {
      char message[32], echo[32];
      int len = snprintf(message, sizeof message, "Hey. %d from %d\n", x, me->number);
      if (!send_all(s, message, (size_t)len) || !recv_exact(s, echo, (size_t)len) ||
          memcmp(echo, message, (size_t)len) != 0)
        break;
      me->echoes++;
    }
  }
  close_sock(s);
  say("got the greeting: %s, %d messages echoed", me->greeted ? "yes" : "no", me->echoes);
}

/* The listening socket on 127.0.0.1, port chosen by the OS; BAD_SOCK with
 * *error set if this machine cannot do that. One probe connection, made
 * and accepted here, proves that loopback really carries traffic (in a
 * network namespace without it, listen works but connect does not). */
static sock_t listen_loopback(unsigned short *port, int *error) {
  sock_t s = socket(AF_INET, SOCK_STREAM, 0), probe = BAD_SOCK, probed = BAD_SOCK;
  struct sockaddr_in addr = loopback(0);
  socklen_t size = sizeof addr;
  bool ok = s != BAD_SOCK && bind(s, (struct sockaddr *)&addr, sizeof addr) == 0 &&
            listen(s, CLIENTS) == 0 && getsockname(s, (struct sockaddr *)&addr, &size) == 0 &&
            (probe = socket(AF_INET, SOCK_STREAM, 0)) != BAD_SOCK &&
            connect(probe, (struct sockaddr *)&addr, sizeof addr) == 0 &&
            (probed = accept(s, NULL, NULL)) != BAD_SOCK;
  if (!ok) *error = sock_errno();
  if (probed != BAD_SOCK) close_sock(probed);
  if (probe != BAD_SOCK) close_sock(probe);
  if (!ok && s != BAD_SOCK) close_sock(s);
  if (!ok) return BAD_SOCK;
  *port = ntohs(addr.sin_port);
  return s;
}

static weft_thread *spawn_daemon(const char *name, weft_fn fn, void *arg) {
  weft_thread *t = weft_thread_new(fn, arg);
  if (!t || weft_thread_set_name(t, name) != WEFT_OK ||
      weft_thread_set_daemon(t, true) != WEFT_OK || weft_thread_start(t) != WEFT_OK) {
    printf("FAIL: could not start %s\n", name);
    exit(1); /* the threads already started are daemons: nothing waits */
  }
  return t;
}

int main(void) {
#ifdef _WIN32
  WSADATA wsa;
  int wsa_error = WSAStartup(MAKEWORD(2, 2), &wsa);
  if (wsa_error != 0) {
    printf("SKIP: no sockets here (WSAStartup error %d)\n", wsa_error);
    return 0;
  }
#endif
  unsigned short port = 0;
  int error = 0;
  sock_t server = listen_loopback(&port, &error);
  if (server == BAD_SOCK) {
    printf("SKIP: no loopback TCP sockets here (error %d)\n", error);
    return 0;
  }
  printf("Echo server running at 127.0.0.1, port chosen by the OS\n");

  double t0 = weft_monotonic();
  weft_thread *server_thread = spawn_daemon("server", serve, &server);
  client clients[CLIENTS];
  weft_thread *threads[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) {
    char name[16];
    clients[i] = (client){port, i + 1, 0, false};
    snprintf(name, sizeof name, "client-%d", i + 1);
    threads[i] = spawn_daemon(name, connect_and_talk, &clients[i]);
  }

  int greeted = 0, echoes = 0, late = 0;
  for (int i = 0; i < CLIENTS; i++) {
    double left = deadline - (weft_monotonic() - t0);
    if (weft_thread_join(threads[i], left > 0 ? left : 0) != WEFT_OK) {
      late++; /* still running: read nothing it writes */
    } else {
      greeted += clients[i].greeted;
      echoes += clients[i].echoes;
    }
    weft_thread_unref(threads[i]);
  }
  double left = deadline - (weft_monotonic() - t0);
  int server_done = weft_thread_join(server_thread, left > 0 ? left : 0);
  int n_served = server_done == WEFT_OK ? served : -1; /* -1: still serving */
  weft_thread_unref(server_thread);

  weft_lock_acquire(&print_lock, WEFT_FOREVER);
  long bytes = echoed;
  weft_lock_release(&print_lock);
#ifdef _WIN32
  WSACleanup();
#endif
  if (late || n_served != CLIENTS || greeted != CLIENTS || echoes != CLIENTS * MESSAGES) {
    printf("FAIL: %d clients late, server %s, %d served, %d greeted, %d of %d echoes\n", late,
           weft_strerror(server_done), n_served, greeted, echoes, CLIENTS * MESSAGES);
    return 1; /* daemon threads still stuck in a socket call end with the process */
  }
  printf("%d clients, a server thread each: %d messages echoed (%ld bytes)\n", CLIENTS, echoes,
         bytes);
  return 0;
}
