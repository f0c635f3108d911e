/* Foreign threads for the win32 backend: _beginthreadex, and thread names
 * read back with GetThreadDescription (looked up at run time: Windows 10
 * 1607+, and mingw's headers do not declare it). */
#include "foreign.h"
#include "test.h"

#include <windows.h>
#include <process.h>
#include <tlhelp32.h>

struct test_foreign {
  HANDLE thread;
  void (*fn)(void *);
  void *arg;
};

static unsigned __stdcall foreign_entry(void *p) {
  test_foreign *f = p;
  f->fn(f->arg);
  return 0;
}

test_foreign *test_foreign_start(void (*fn)(void *), void *arg) {
  test_foreign *f = malloc(sizeof *f);
  CHECK(f != NULL);
  f->fn = fn;
  f->arg = arg;
  uintptr_t h = _beginthreadex(NULL, 0, foreign_entry, f, 0, NULL);
  CHECK(h != 0);
  f->thread = (HANDLE)h;
  return f;
}

void test_foreign_join(test_foreign *f) {
  CHECK_EQ(WaitForSingleObject(f->thread, INFINITE), WAIT_OBJECT_0);
  CloseHandle(f->thread);
  free(f);
}

int test_os_thread_count(void) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  if (snap == INVALID_HANDLE_VALUE) return -1;
  THREADENTRY32 e;
  e.dwSize = sizeof e;
  int n = 0;
  DWORD me = GetCurrentProcessId();
  for (BOOL ok = Thread32First(snap, &e); ok; ok = Thread32Next(snap, &e))
    n += e.th32OwnerProcessID == me;
  CloseHandle(snap);
  return n;
}

typedef HRESULT(WINAPI *get_description_fn)(HANDLE, PWSTR *);

bool test_os_thread_name(uint64_t native_id, char *buf, size_t size, size_t *limit) {
  HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
  FARPROC p = k32 ? GetProcAddress(k32, "GetThreadDescription") : NULL;
  if (!p) return false;
  get_description_fn get_description = (get_description_fn)(void (*)(void))p;
  HANDLE h = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)native_id);
  if (!h) return false;
  PWSTR w = NULL;
  HRESULT hr = get_description(h, &w);
  CloseHandle(h);
  if (FAILED(hr) || !w) return false;
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)size, NULL, NULL);
  LocalFree(w);
  if (n <= 0) return false;
  *limit = SIZE_MAX; /* Windows keeps the whole name */
  return true;
}

long test_fork_begin(const char **why) {
  *why = "Windows has no fork";
  return -1;
}

int test_fork_wait(long pid, double timeout) {
  (void)pid;
  (void)timeout;
  return -1;
}

/* Windows has no call that reads a thread's affinity: SetThreadAffinityMask
 * answers with the old mask, which is put back at once. */
bool test_os_thread_cpus(uint64_t native_id, bool *cpus, size_t n) {
  DWORD_PTR process = 0, system = 0;
  HANDLE h = OpenThread(THREAD_SET_INFORMATION | THREAD_QUERY_INFORMATION, FALSE, (DWORD)native_id);
  if (!h || !GetProcessAffinityMask(GetCurrentProcess(), &process, &system)) {
    if (h) CloseHandle(h);
    return false;
  }
  DWORD_PTR old = SetThreadAffinityMask(h, process);
  if (old) SetThreadAffinityMask(h, old);
  CloseHandle(h);
  for (size_t i = 0; i < n; i++)
    cpus[i] = i < 8 * sizeof old && (old >> i & 1);
  return old != 0;
}

bool test_os_thread_priority(uint64_t native_id, int *level) {
  HANDLE h = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)native_id);
  if (!h) return false;
  int p = GetThreadPriority(h);
  CloseHandle(h);
  if (p == THREAD_PRIORITY_ERROR_RETURN) return false;
  *level = p == THREAD_PRIORITY_BELOW_NORMAL    ? -1
           : p == THREAD_PRIORITY_NORMAL        ? 0
           : p == THREAD_PRIORITY_HIGHEST       ? 1
           : p == THREAD_PRIORITY_TIME_CRITICAL ? 2
                                                : -99;
  return true;
}

unsigned test_cpu_count(void) {
  DWORD_PTR process = 0, system = 0;
  if (!GetProcessAffinityMask(GetCurrentProcess(), &process, &system)) return weft_cpu_count();
  unsigned n = 0;
  for (; process; process &= process - 1)
    n++;
  return n;
}

bool test_pin_self(unsigned cpu, const char **why) {
  DWORD_PTR process = 0, system = 0;
  if (!GetProcessAffinityMask(GetCurrentProcess(), &process, &system)) {
    *why = "GetProcessAffinityMask failed";
    return false;
  }
  unsigned seen = 0;
  for (unsigned i = 0; i < 8 * sizeof process; i++) {
    DWORD_PTR bit = (DWORD_PTR)1 << i;
    if (!(process & bit) || seen++ != cpu) continue;
    if (SetThreadAffinityMask(GetCurrentThread(), bit) != 0) return true;
    *why = "SetThreadAffinityMask failed";
    return false;
  }
  *why = "the process may run on fewer CPUs than that";
  return false;
}
