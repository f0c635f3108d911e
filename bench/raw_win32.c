/* raw.h for the win32 backend: an exclusive SRWLOCK and
 * _beginthreadex / WaitForSingleObject / CloseHandle. */
#define WIN32_LEAN_AND_MEAN
#include "raw.h"

#include <process.h>
#include <string.h>
#include <windows.h>

const char raw_mutex_name[] = "SRWLOCK (exclusive)";
const char raw_thread_name[] = "_beginthreadex/WaitForSingleObject";

static struct { _Alignas(64) SRWLOCK m; } mutex;

_Static_assert(sizeof(HANDLE) <= sizeof(((raw_thread *)0)->os), "HANDLE fits");

int raw_mutex_init(void) {
  InitializeSRWLock(&mutex.m);
  return 0;
}

void raw_mutex_destroy(void) {}

/* SRW locks report no errors. */
int raw_mutex_loop(uint64_t *counter, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    AcquireSRWLockExclusive(&mutex.m);
    ++*counter;
    ReleaseSRWLockExclusive(&mutex.m);
  }
  return 0;
}

static unsigned __stdcall entry(void *arg) {
  raw_thread *t = arg;
  t->fn(t->arg);
  return 0;
}

int raw_thread_start(raw_thread *t, void (*fn)(void *), void *arg) {
  t->fn = fn;
  t->arg = arg;
  HANDLE h = (HANDLE)_beginthreadex(NULL, 0, entry, t, 0, NULL);
  if (!h) return -1;
  memcpy(t->os, &h, sizeof h);
  return 0;
}

int raw_thread_join(raw_thread *t) {
  HANDLE h;
  memcpy(&h, t->os, sizeof h);
  int status = WaitForSingleObject(h, INFINITE) == WAIT_OBJECT_0 ? 0 : -1;
  CloseHandle(h);
  return status;
}
