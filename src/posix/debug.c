/* What the debug tools need from a Unix OS (see ../port.h): a signal that
 * wakes a thread, and the symbol at a code address (dladdr, where
 * configure found it). The posix backend builds it; the c11 backend
 * includes it where configure found sigaction (../c11/debug.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define _DARWIN_C_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#if defined(WEFT_HAVE_DLADDR)
#include <dlfcn.h>
#endif

/* The pipe the handler writes one byte to, made by the process that uses
 * it: a forked child's handler writes nothing until the child watches a
 * signal itself (the parent's helper reads the pipe they share). Called
 * under the tools' lock; the handler reads the fields once they are set. */
static volatile sig_atomic_t write_fd = -1;
static int read_fd = -1;
static volatile pid_t pipe_pid;

static void on_signal(int sig) {
  int saved = errno;
  if (write_fd >= 0 && getpid() == pipe_pid) {
    unsigned char b = (unsigned char)sig;
    ssize_t r = write(write_fd, &b, 1); /* full: a dump is on its way anyway */
    (void)r;
  }
  errno = saved;
}

static bool make_pipe(void) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  for (int i = 0; i < 2; i++)
    fcntl(fds[i], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFL, O_NONBLOCK); /* the handler never blocks */
  if (read_fd >= 0) {                 /* a forked child's copy of the parent's */
    close(read_fd);
    close((int)write_fd);
  }
  read_fd = fds[0];
  write_fd = fds[1];
  pipe_pid = getpid();
  return true;
}

int weft__port_signal_watch(int sig) {
  if (sig <= 0 || sig == SIGKILL || sig == SIGSTOP) return WEFT_EINVAL;
  if (pipe_pid != getpid() && !make_pipe()) return WEFT_EAGAIN;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  return sigaction(sig, &sa, NULL) == 0 ? WEFT_OK : WEFT_EINVAL;
}

int weft__port_signal_wait(void) {
  int fd = read_fd;
  if (fd < 0) return -1;
  for (;;) {
    unsigned char b;
    ssize_t r = read(fd, &b, 1);
    if (r == 1) return b;
    if (r < 0 && errno == EINTR) continue;
    return -1;
  }
}

static void copy_base(char *dst, size_t size, const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n >= size) n = size - 1;
  memcpy(dst, base, n);
  dst[n] = '\0';
}

bool weft__port_symbolize(const void *addr, weft__symbol *out) {
#if defined(WEFT_HAVE_DLADDR)
  Dl_info info;
  if (!addr || !dladdr(addr, &info) || !info.dli_fname) return false;
  copy_base(out->module, sizeof out->module, info.dli_fname);
  out->name[0] = '\0';
  if (info.dli_sname && info.dli_saddr) {
    copy_base(out->name, sizeof out->name, info.dli_sname);
    out->offset = (uintptr_t)addr - (uintptr_t)info.dli_saddr;
  } else {
    out->offset = (uintptr_t)addr - (uintptr_t)info.dli_fbase;
  }
  return true;
#else
  (void)addr;
  (void)out;
  (void)copy_base;
  return false;
#endif
}
