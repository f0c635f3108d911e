/* raw.h for the win32 backend: an exclusive SRWLOCK, a CONDITION_VARIABLE
 * (SleepConditionVariableSRW, millisecond timeouts rounded up, measured
 * with QueryPerformanceCounter), a TLS index and
 * _beginthreadex / WaitForSingleObject / CloseHandle. */
#define WIN32_LEAN_AND_MEAN
#include "raw.h"
#include "lock_loop.h"

#include <process.h>
#include <string.h>
#include <windows.h>

#include <tlhelp32.h>

const char raw_mutex_name[] = "SRWLOCK (exclusive)";
const char raw_cond_name[] = "CONDITION_VARIABLE";
const char raw_tls_name[] = "TlsGetValue";
const char raw_thread_name[] = "_beginthreadex/WaitForSingleObject";
const char raw_sleep_name[] = "Sleep";

_Static_assert(sizeof(SRWLOCK) <= sizeof(((raw_mutex *)0)->os), "SRWLOCK fits");
_Static_assert(sizeof(CONDITION_VARIABLE) <= sizeof(((raw_cond *)0)->os),
               "CONDITION_VARIABLE fits");
_Static_assert(sizeof(HANDLE) <= sizeof(((raw_thread *)0)->os), "HANDLE fits");

static SRWLOCK *mutex_of(raw_mutex *m) {
  return (SRWLOCK *)(void *)m->os;
}

static CONDITION_VARIABLE *cond_of(raw_cond *c) {
  return (CONDITION_VARIABLE *)(void *)c->os;
}

/* SRW locks and condition variables report no errors, except a timed
 * wait's timeout, which is not one here. */
int raw_mutex_init(raw_mutex *m) {
  InitializeSRWLock(mutex_of(m));
  return 0;
}

void raw_mutex_destroy(raw_mutex *m) {
  (void)m;
}

int raw_mutex_lock(raw_mutex *m) {
  AcquireSRWLockExclusive(mutex_of(m));
  return 0;
}

int raw_mutex_unlock(raw_mutex *m) {
  ReleaseSRWLockExclusive(mutex_of(m));
  return 0;
}

static int lock_fn(void *m) {
  AcquireSRWLockExclusive(m);
  return 0;
}

static int unlock_fn(void *m) {
  ReleaseSRWLockExclusive(m);
  return 0;
}

void raw_mutex_run(raw_mutex *m, lock_worker *w) {
  lock_worker_run(w, lock_fn, unlock_fn, mutex_of(m));
}

int raw_cond_init(raw_cond *c) {
  InitializeConditionVariable(cond_of(c));
  return 0;
}

void raw_cond_destroy(raw_cond *c) {
  (void)c;
}

int raw_cond_wait(raw_cond *c, raw_mutex *m) {
  return SleepConditionVariableSRW(cond_of(c), mutex_of(m), INFINITE, 0) ? 0 : -1;
}

int raw_cond_wait_until(raw_cond *c, raw_mutex *m, int64_t deadline) {
  int64_t left = deadline - raw_clock_ns();
  if (left <= 0) return 0;
  DWORD ms = (DWORD)((left + 999999) / 1000000);
  if (SleepConditionVariableSRW(cond_of(c), mutex_of(m), ms, 0)) return 0;
  return GetLastError() == ERROR_TIMEOUT ? 0 : -1;
}

int raw_cond_signal(raw_cond *c) {
  WakeConditionVariable(cond_of(c));
  return 0;
}

int raw_cond_broadcast(raw_cond *c) {
  WakeAllConditionVariable(cond_of(c));
  return 0;
}

/* Sleep takes milliseconds: what is left, rounded up. */
int raw_sleep_until(int64_t deadline) {
  for (;;) {
    int64_t left = deadline - raw_clock_ns();
    if (left <= 0) return 0;
    Sleep((DWORD)((left + 999999) / 1000000));
  }
}

int64_t raw_clock_ns(void) {
  LARGE_INTEGER freq, now;
  QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&now);
  int64_t f = freq.QuadPart;
  return now.QuadPart / f * 1000000000 + now.QuadPart % f * 1000000000 / f;
}

static DWORD key = TLS_OUT_OF_INDEXES;

int raw_tls_init(void) {
  key = TlsAlloc();
  return key == TLS_OUT_OF_INDEXES ? -1 : 0;
}

void raw_tls_destroy(void) {
  TlsFree(key);
}

int raw_tls_set(void *value) {
  return TlsSetValue(key, value) ? 0 : -1;
}

uintptr_t raw_tls_loop(uint64_t n) {
  uintptr_t sum = 0;
  for (uint64_t i = 0; i < n; i++)
    sum += (uintptr_t)TlsGetValue(key);
  return sum;
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

/* -- what the benchmarks ask of the OS -- */

static double seconds_of(FILETIME t) {
  ULARGE_INTEGER u;
  u.LowPart = t.dwLowDateTime;
  u.HighPart = t.dwHighDateTime;
  return (double)u.QuadPart * 1e-7; /* 100 ns units */
}

double raw_process_cpu(void) {
  FILETIME created, exited, kernel, user;
  if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)) return -1;
  return seconds_of(kernel) + seconds_of(user);
}

double raw_thread_cpu(void) {
  FILETIME created, exited, kernel, user;
  if (!GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user)) return -1;
  return seconds_of(kernel) + seconds_of(user);
}

int raw_thread_count(void) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  if (snap == INVALID_HANDLE_VALUE) return -1;
  DWORD self = GetCurrentProcessId();
  THREADENTRY32 e;
  e.dwSize = sizeof e;
  int n = 0;
  for (BOOL more = Thread32First(snap, &e); more; more = Thread32Next(snap, &e))
    n += e.th32OwnerProcessID == self;
  CloseHandle(snap);
  return n;
}

static DWORD_PTR process_mask;

unsigned raw_pin_init(const char **why) {
  DWORD_PTR system = 0;
  if (!GetProcessAffinityMask(GetCurrentProcess(), &process_mask, &system)) {
    *why = "GetProcessAffinityMask failed";
    return 0;
  }
  unsigned n = 0;
  for (unsigned i = 0; i < 8 * sizeof process_mask; i++)
    n += (process_mask >> i) & 1;
  return n;
}

int raw_pin_self(int cpu) {
  DWORD_PTR mask = process_mask;
  if (cpu >= 0) {
    int seen = 0;
    mask = 0;
    for (unsigned i = 0; i < 8 * sizeof process_mask && !mask; i++)
      if (((process_mask >> i) & 1) && seen++ == cpu) mask = (DWORD_PTR)1 << i;
  }
  return mask && SetThreadAffinityMask(GetCurrentThread(), mask) != 0 ? 0 : -1;
}
