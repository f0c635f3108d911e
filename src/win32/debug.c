/* What the debug tools need from Windows (see ../port.h): no signals to
 * dump on, and a code address as module+offset (the module's symbols are
 * for a debugger: no dbghelp here). */
#include "internal.h"
#include "win32.h"

#include <string.h>

int weft__port_signal_watch(int sig) {
  (void)sig;
  return WEFT_ENOTSUP;
}

int weft__port_signal_wait(void) {
  return -1;
}

bool weft__port_symbolize(const void *addr, weft__symbol *out) {
  HMODULE m;
  DWORD flags =
      GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT;
  if (!addr || !GetModuleHandleExW(flags, (LPCWSTR)addr, &m)) return false;
  char path[MAX_PATH];
  DWORD n = GetModuleFileNameA(m, path, sizeof path);
  if (n == 0 || n >= sizeof path) return false;
  path[n] = '\0';
  const char *base = path;
  for (const char *p = path; *p; p++)
    if (*p == '\\' || *p == '/') base = p + 1;
  size_t len = strlen(base);
  if (len >= sizeof out->module) len = sizeof out->module - 1;
  memcpy(out->module, base, len);
  out->module[len] = '\0';
  out->name[0] = '\0';
  out->offset = (uintptr_t)addr - (uintptr_t)m;
  return true;
}
