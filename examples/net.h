/* Loopback TCP for the socket examples that serve from pools (pool_server.c,
 * echo_workers.c) and for the pool benchmark: sockets are the one thing
 * that differs by OS (winsock needs WSAStartup and ws2_32); the threading
 * does not. Everything here is static inline, so a program uses what it
 * needs. */
#ifndef WEFT_EXAMPLES_NET_H
#define WEFT_EXAMPLES_NET_H

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
#include <netinet/tcp.h>
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

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The process exits 77 (CTest: skipped) with a message where there are no
 * sockets, or no loopback traffic. */
#define NET_SKIP 77

static inline bool net_start(void) {
#ifdef _WIN32
  WSADATA wsa;
  int error = WSAStartup(MAKEWORD(2, 2), &wsa);
  if (error != 0) {
    printf("SKIP: no sockets here (WSAStartup error %d)\n", error);
    return false;
  }
#endif
  return true;
}

static inline void net_stop(void) {
#ifdef _WIN32
  WSACleanup();
#endif
}

static inline bool send_all(sock_t s, const char *buf, size_t len) {
  while (len > 0) {
    int n = (int)send(s, buf, (io_len)len, MSG_NOSIGNAL);
    if (n <= 0) return false;
    buf += n;
    len -= (size_t)n;
  }
  return true;
}

static inline bool recv_exact(sock_t s, char *buf, size_t len) {
  while (len > 0) {
    int n = (int)recv(s, buf, (io_len)len, 0);
    if (n <= 0) return false;
    buf += n;
    len -= (size_t)n;
  }
  return true;
}

/* Echo what arrives until the peer closes; returns the bytes echoed. */
static inline long echo_all(sock_t s) {
  char buf[512];
  long bytes = 0;
  int n;
  while ((n = (int)recv(s, buf, sizeof buf, 0)) > 0 && send_all(s, buf, (size_t)n))
    bytes += n;
  return bytes;
}

/* 127.0.0.1:port */
static inline struct sockaddr_in loopback(unsigned short port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

/* Small request/reply exchanges: no Nagle delay. */
static inline void no_delay(sock_t s) {
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
}

/* A connection to 127.0.0.1:port, or BAD_SOCK. */
static inline sock_t connect_loopback(unsigned short port) {
  sock_t s = socket(AF_INET, SOCK_STREAM, 0);
  if (s == BAD_SOCK) return BAD_SOCK;
  struct sockaddr_in addr = loopback(port);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close_sock(s);
    return BAD_SOCK;
  }
  no_delay(s);
  return s;
}

/* A listening socket on 127.0.0.1, port chosen by the OS, or BAD_SOCK with
 * a "SKIP:" line printed if this machine cannot do that. One probe
 * connection, made and accepted here, proves that loopback really carries
 * traffic (in a network namespace without it, listen works but connect
 * does not). */
static inline sock_t listen_loopback(unsigned short *port, int backlog) {
  sock_t s = socket(AF_INET, SOCK_STREAM, 0), probe = BAD_SOCK, probed = BAD_SOCK;
  struct sockaddr_in addr = loopback(0);
  socklen_t size = sizeof addr;
  bool ok = s != BAD_SOCK && bind(s, (struct sockaddr *)&addr, sizeof addr) == 0 &&
            listen(s, backlog) == 0 && getsockname(s, (struct sockaddr *)&addr, &size) == 0 &&
            (probe = socket(AF_INET, SOCK_STREAM, 0)) != BAD_SOCK &&
            connect(probe, (struct sockaddr *)&addr, sizeof addr) == 0 &&
            (probed = accept(s, NULL, NULL)) != BAD_SOCK;
  int error = ok ? 0 : sock_errno();
  if (probed != BAD_SOCK) close_sock(probed);
  if (probe != BAD_SOCK) close_sock(probe);
  if (!ok && s != BAD_SOCK) close_sock(s);
  if (!ok) {
    printf("SKIP: no loopback TCP sockets here (error %d)\n", error);
    return BAD_SOCK;
  }
  *port = ntohs(addr.sin_port);
  return s;
}

/* Accept one connection; *details gets "127.0.0.1:port" of the peer. */
static inline sock_t accept_peer(sock_t server, char *details, size_t size) {
  struct sockaddr_in peer;
  socklen_t len = sizeof peer;
  sock_t s = accept(server, (struct sockaddr *)&peer, &len);
  if (s == BAD_SOCK) return BAD_SOCK;
  no_delay(s);
  snprintf(details, size, "%s:%u", inet_ntoa(peer.sin_addr), (unsigned)ntohs(peer.sin_port));
  return s;
}

#endif /* WEFT_EXAMPLES_NET_H */
