/* What the debug tools need from the OS (see ../port.h). C11 has no
 * signals worth the name: where the platform has sigaction (and dladdr),
 * the posix backend's code serves; elsewhere signals are not supported. */
#if defined(WEFT_HAVE_SIGACTION)
#include "../posix/debug.c"
#else
#include "internal.h"

int weft__port_signal_watch(int sig) {
  (void)sig;
  return WEFT_ENOTSUP;
}

int weft__port_signal_wait(void) {
  return -1;
}

bool weft__port_symbolize(const void *addr, weft__symbol *out) {
  (void)addr;
  (void)out;
  return false;
}
#endif
