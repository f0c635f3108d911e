/* Thread-exit and process-exit hooks of the win32 port.
 *
 * Thread exit: an FLS slot whose callback runs when any thread that set it
 * ends, weft's or foreign (a static library has no DllMain to hook).
 *
 * Process exit: when main returns, the executable's C runtime runs its exit
 * table, then ExitProcess kills every other thread, and only then does a DLL
 * get DLL_PROCESS_DETACH, where its own atexit entries run (libuv#2980). So
 * when weft is not linked into the executable itself, the wait for
 * non-daemon threads goes into the exit table of the C runtime that the
 * executable calls exit() from: msvcrt's _onexit or UCRT's _crt_atexit. */
#include "internal.h"
#include "win32.h"

#include <stdlib.h>
#include <string.h>

static DWORD fls_slot = FLS_OUT_OF_INDEXES;
static BOOLEAN(NTAPI *dll_shutdown_in_progress)(void);
static void (*exit_fn)(void);

bool weft__win32_process_ending(void) {
  return dll_shutdown_in_progress && dll_shutdown_in_progress();
}

/* Runs at thread exit, for every thread with a value. During ExitProcess
 * it also runs for the exiting thread, whose hook would take locks that
 * killed threads may hold: skip it then, the process is going anyway. */
static void NTAPI fls_callback(void *value) {
  if (value && !weft__win32_process_ending()) weft__win32_hooks->thread_exit(value);
}

/* The module holding this code: the executable, or a DLL (weft's, or the
 * user's when weft is linked statically into one). */
static HMODULE module_of(const void *address, DWORD flags) {
  HMODULE m = NULL;
  flags |= GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS;
  return GetModuleHandleExW(flags, (LPCWSTR)address, &m) ? m : NULL;
}

static bool in_executable(void) {
  return module_of(&fls_slot, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT) ==
         GetModuleHandleW(NULL);
}

int weft__win32_exit_init(void) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  FARPROC f = ntdll ? GetProcAddress(ntdll, "RtlDllShutdownInProgress") : NULL;
  dll_shutdown_in_progress = (BOOLEAN(NTAPI *)(void))(void (*)(void))f;
  /* The FLS callback (and later the exit-table entry) point into this
   * module: pin it, so that FreeLibrary cannot leave them dangling. */
  if (!in_executable()) module_of(&fls_slot, GET_MODULE_HANDLE_EX_FLAG_PIN);
  fls_slot = FlsAlloc(fls_callback);
  return fls_slot == FLS_OUT_OF_INDEXES ? WEFT_EAGAIN : WEFT_OK;
}

int weft__port_exit_hook_arm(void *arg) {
  return FlsSetValue(fls_slot, arg) ? WEFT_OK : WEFT_ENOMEM;
}

/* -- process exit -- */

/* If we end up in a DLL's own table after all, this runs under the loader
 * lock with the other threads already killed: waiting would hang. */
static void __cdecl run_exit_fn(void) {
  if (!weft__win32_process_ending()) exit_fn();
}

static int __cdecl run_exit_fn_onexit(void) {
  run_exit_fn();
  return 0;
}

/* The address the executable's import table bound `name` to, or NULL. */
static void *bound_import(BYTE *base, const IMAGE_IMPORT_DESCRIPTOR *d, const char *name) {
  if (!d->OriginalFirstThunk) return NULL; /* no name table to read */
  const IMAGE_THUNK_DATA *names = (const void *)(base + d->OriginalFirstThunk);
  const IMAGE_THUNK_DATA *bound = (const void *)(base + d->FirstThunk);
  for (; names->u1.AddressOfData; names++, bound++) {
    if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal)) continue;
    const IMAGE_IMPORT_BY_NAME *by_name = (const void *)(base + names->u1.AddressOfData);
    if (strcmp((const char *)by_name->Name, name) == 0) return (void *)bound->u1.Function;
  }
  return NULL;
}

/* The C runtime the executable calls exit() from. Following the bound
 * address rather than the DLL's name sees through API sets
 * (api-ms-win-crt-runtime-*.dll is ucrtbase.dll) and versioned msvcr*.dll. */
static HMODULE executable_crt(void) {
  BYTE *base = (BYTE *)GetModuleHandleW(NULL);
  const IMAGE_DOS_HEADER *dos = (const void *)base;
  if (dos->e_magic != IMAGE_DOS_SIGNATURE) return NULL;
  const IMAGE_NT_HEADERS *nt = (const void *)(base + dos->e_lfanew);
  if (nt->Signature != IMAGE_NT_SIGNATURE) return NULL;
  IMAGE_DATA_DIRECTORY dir = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
  if (!dir.VirtualAddress) return NULL;
  for (const IMAGE_IMPORT_DESCRIPTOR *d = (const void *)(base + dir.VirtualAddress); d->Name; d++) {
    void *exit_address = bound_import(base, d, "exit");
    if (exit_address) return module_of(exit_address, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT);
  }
  return NULL; /* a C runtime linked statically (MSVC /MT): out of reach */
}

typedef int(__cdecl *crt_atexit_fn)(void(__cdecl *)(void));
typedef _onexit_t(__cdecl *onexit_fn)(_onexit_t);

/* Both functions register in the process-wide table that the runtime's
 * exit() runs (a DLL's own atexit is a table of its own). UCRT must be
 * initialised by then: the core registers at the first thread start. */
static bool register_with(HMODULE crt) {
  FARPROC f = GetProcAddress(crt, "_crt_atexit"); /* UCRT */
  if (f) return ((crt_atexit_fn)(void (*)(void))f)(run_exit_fn) == 0;
  f = GetProcAddress(crt, "_onexit"); /* msvcrt.dll, msvcr*.dll */
  if (f) return ((onexit_fn)(void (*)(void))f)(run_exit_fn_onexit) != NULL;
  return false;
}

int weft__port_atexit(void (*fn)(void)) {
  exit_fn = fn;
  if (!in_executable()) {
    HMODULE crt = executable_crt();
    if (crt && register_with(crt)) return WEFT_OK;
  }
  return atexit(run_exit_fn) == 0 ? WEFT_OK : WEFT_ENOMEM;
}
