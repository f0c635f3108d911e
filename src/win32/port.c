/* The win32 port: threads, clock, sleep, names and CPUs with Win32 and the
 * C runtime. The parker is in parker.c, the exit hooks in exit.c. */
#include "internal.h"
#include "win32.h"

#include <limits.h>
#include <process.h>

const char weft__port_name[] = "win32";

typedef HRESULT(WINAPI *set_description_fn)(HANDLE thread, PCWSTR name);

/* SetThreadDescription exists from Windows 10 1607, in kernel32 on some
 * versions and only in KernelBase on others: look for it in both. */
static set_description_fn set_description;

static FARPROC lookup(const wchar_t *module, const char *name) {
  HMODULE m = GetModuleHandleW(module);
  return m ? GetProcAddress(m, name) : NULL;
}

/* mingw's gcc emulates _Thread_local with a call and a lookup; a TLS slot
 * is a load from the thread's TEB. */
static DWORD tls_index = TLS_OUT_OF_INDEXES;

void *weft__port_tls_get(void) {
  return TlsGetValue(tls_index);
}

void weft__port_tls_set(void *p) {
  TlsSetValue(tls_index, p);
}

const weft__port_hooks *weft__win32_hooks;

int weft__port_init(const weft__port_hooks *hooks) {
  weft__win32_hooks = hooks;
  tls_index = TlsAlloc();
  if (tls_index == TLS_OUT_OF_INDEXES) return WEFT_EAGAIN;
  FARPROC f = lookup(L"kernel32.dll", "SetThreadDescription");
  if (!f) f = lookup(L"kernelbase.dll", "SetThreadDescription");
  /* Through void (*)(void), the one cast gcc accepts between function types. */
  set_description = (set_description_fn)(void (*)(void))f;
  return weft__win32_exit_init();
}

/* -- threads -- */

static unsigned __stdcall trampoline(void *arg) {
  weft__win32_hooks->thread_start(arg);
  return 0;
}

int weft__port_thread_create(weft__os_thread *t, size_t stack_size, void *arg) {
  if (stack_size > UINT_MAX) return WEFT_EAGAIN;
  /* Reserve the whole size (Windows rounds it up to its granularity);
   * without the flag the size would be the initial commit. */
  unsigned flags = stack_size ? STACK_SIZE_PARAM_IS_A_RESERVATION : 0;
  uintptr_t h = _beginthreadex(NULL, (unsigned)stack_size, trampoline, arg, flags, NULL);
  if (!h) return WEFT_EAGAIN;
  t->handle = (HANDLE)h;
  return WEFT_OK;
}

void weft__port_thread_release(weft__os_thread *t, bool joinable_wait) {
  if (joinable_wait) WaitForSingleObject(t->handle, INFINITE);
  CloseHandle(t->handle);
  t->handle = NULL;
}

bool weft__port_stack_size_supported(void) {
  return true;
}

void weft__port_yield(void) {
  SwitchToThread();
}

void weft__port_thread_exit(void) {
  _endthreadex(0);
  for (;;) /* _endthreadex does not return; tell the compiler so */
    ExitThread(0);
}

/* FILETIME counts 100 ns from 1601-01-01; 1970 is 11644473600 s later. */
int64_t weft__port_wall_now(void) {
  FILETIME ft;
  GetSystemTimeAsFileTime(&ft);
  int64_t t = (int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
  return (t - INT64_C(116444736000000000)) * 100;
}

/* -- clock and sleep -- */

static uint64_t qpc_hz;

/* Read lazily: weft_monotonic() may run in another constructor, before
 * weft__port_init. QueryPerformanceFrequency cannot fail since XP. */
static int64_t qpc_frequency(void) {
  int64_t hz = (int64_t)weft__atomic_load64(&qpc_hz, memory_order_relaxed);
  if (hz) return hz;
  LARGE_INTEGER f;
  QueryPerformanceFrequency(&f);
  weft__atomic_store64(&qpc_hz, (uint64_t)f.QuadPart, memory_order_relaxed);
  return f.QuadPart;
}

/* Whole seconds and the remainder apart, so that nothing overflows for
 * centuries of uptime (the remainder product needs hz < 9.2 GHz; QPC runs
 * at 10 MHz on Windows 10, at most a few GHz before). */
int64_t weft__port_now(void) {
  LARGE_INTEGER c;
  QueryPerformanceCounter(&c);
  int64_t hz = qpc_frequency();
  return c.QuadPart / hz * 1000000000 + c.QuadPart % hz * 1000000000 / hz;
}

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x2 /* Windows 10 1803; mingw lacks it */
#endif

enum { HIRES_UNKNOWN, HIRES_YES, HIRES_NO };
static uint32_t hires_timer = HIRES_UNKNOWN;

/* Sleep() ends on the scheduler tick (15.6 ms by default); a
 * high-resolution timer ends within about a millisecond. Relative timers
 * follow the interrupt clock, so the wall clock cannot stretch them. */
static bool sleep_hires(int64_t ns) {
  if (weft__atomic_load32(&hires_timer, memory_order_relaxed) == HIRES_NO) return false;
  HANDLE timer =
      CreateWaitableTimerExW(NULL, NULL, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, TIMER_ALL_ACCESS);
  if (!timer) {
    weft__atomic_store32(&hires_timer, HIRES_NO, memory_order_relaxed);
    return false;
  }
  LARGE_INTEGER due; /* negative: relative, in 100 ns units, rounded up */
  due.QuadPart = -(ns / 100 + (ns % 100 != 0));
  bool ok = SetWaitableTimer(timer, &due, 0, NULL, NULL, FALSE) &&
            WaitForSingleObject(timer, INFINITE) == WAIT_OBJECT_0;
  CloseHandle(timer);
  if (ok) weft__atomic_store32(&hires_timer, HIRES_YES, memory_order_relaxed);
  return ok;
}

void weft__port_sleep(int64_t ns) {
  if (ns <= 0) return;
  if (!sleep_hires(ns)) Sleep(weft__win32_ms(ns));
}

/* -- identity and names -- */

uint64_t weft__port_native_id(void) {
  return GetCurrentThreadId();
}

size_t weft__port_name_max(void) {
  return 255;
}

static bool describe(HANDLE thread, const char *name) {
  /* name_max bytes of UTF-8 never need more UTF-16 units, plus the NUL. */
  wchar_t wide[256];
  if (!set_description) return false;
  if (!MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, (int)(sizeof wide / sizeof *wide)))
    return false;
  return SUCCEEDED(set_description(thread, wide));
}

void weft__port_set_name_self(const char *name) {
  describe(GetCurrentThread(), name);
}

bool weft__port_set_name_other(weft__os_thread *t, const char *name) {
  return describe(t->handle, name);
}

unsigned weft__port_cpu_count(void) {
  DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
  if (!n) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    n = si.dwNumberOfProcessors;
  }
  return n ? (unsigned)n : 1;
}

/* -- scheduling, by thread id (OpenThread) -- */

static HANDLE open_thread(uint64_t native_id, bool self, DWORD access) {
  return self ? GetCurrentThread() : OpenThread(access, FALSE, (DWORD)native_id);
}

static void close_thread(HANDLE h, bool self) {
  if (!self && h) CloseHandle(h);
}

static int win32_status(void) {
  DWORD e = GetLastError();
  return e == ERROR_ACCESS_DENIED       ? WEFT_EPERM
         : e == ERROR_INVALID_PARAMETER ? WEFT_EINVAL
                                        : WEFT_EAGAIN;
}

int weft__port_set_priority(uint64_t native_id, bool self, int level) {
  static const int priority[] = {THREAD_PRIORITY_BELOW_NORMAL, THREAD_PRIORITY_NORMAL,
                                 THREAD_PRIORITY_HIGHEST, THREAD_PRIORITY_TIME_CRITICAL};
  HANDLE h = open_thread(native_id, self, THREAD_SET_INFORMATION | THREAD_QUERY_INFORMATION);
  if (!h) return win32_status();
  int status = SetThreadPriority(h, priority[level + 1]) ? WEFT_OK : win32_status();
  close_thread(h, self);
  return status;
}

int weft__port_set_affinity(uint64_t native_id, bool self, const bool *cpus, size_t n) {
  DWORD_PTR mask = 0;
  for (size_t i = 0; i < n; i++) {
    if (!cpus[i]) continue;
    if (i >= 8 * sizeof mask) return WEFT_ENOTSUP; /* beyond one processor group */
    mask |= (DWORD_PTR)1 << i;
  }
  HANDLE h = open_thread(native_id, self, THREAD_SET_INFORMATION | THREAD_QUERY_INFORMATION);
  if (!h) return win32_status();
  int status = SetThreadAffinityMask(h, mask) ? WEFT_OK : win32_status();
  close_thread(h, self);
  return status;
}

/* Windows has no GetThreadAffinityMask: ntdll's thread information holds
 * the mask (looked up at run time, as it is not in mingw's import libs). */
typedef struct thread_basic_information {
  LONG exit_status;
  void *teb;
  struct {
    void *process, *thread;
  } client_id;
  DWORD_PTR affinity_mask;
  LONG priority, base_priority;
} thread_basic_information;
typedef LONG(NTAPI *query_thread_fn)(HANDLE, int, void *, ULONG, ULONG *);

int weft__port_get_affinity(uint64_t native_id, bool self, bool *cpus, size_t n) {
  query_thread_fn query =
      (query_thread_fn)(void (*)(void))lookup(L"ntdll.dll", "NtQueryInformationThread");
  if (!query) return WEFT_ENOTSUP;
  HANDLE h = open_thread(native_id, self, THREAD_QUERY_INFORMATION);
  if (!h) return win32_status();
  thread_basic_information info;
  LONG rc = query(h, 0 /* ThreadBasicInformation */, &info, sizeof info, NULL);
  close_thread(h, self);
  if (rc < 0) return WEFT_ENOTSUP;
  for (size_t i = 0; i < n; i++)
    cpus[i] = i < 8 * sizeof info.affinity_mask && (info.affinity_mask >> i & 1);
  return WEFT_OK;
}
