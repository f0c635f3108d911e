/* The port: everything a backend (src/posix, src/win32, src/c11) implements.
 * The portable core in src/ uses nothing else from the OS. Each backend also
 * provides "port_types.h", defining weft__os_thread and weft__parker.
 *
 * Times are int64 nanoseconds on the port's monotonic clock; a deadline of
 * WEFT__FOREVER never expires. Unless stated, calls cannot fail. */
#ifndef WEFT_PORT_H
#define WEFT_PORT_H
#ifndef WEFT_BUILDING
#error "port.h is internal to weft"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port_types.h"

#define WEFT__FOREVER INT64_MAX

/* Name of the backend, as weft_backend() reports it. */
extern const char weft__port_name[];

/* How the port reaches the core: function pointers, so that the port calls
 * nothing above it by name. */
typedef struct weft__port_hooks {
  void (*thread_start)(void *arg); /* what a created thread runs */
  void (*thread_exit)(void *arg);  /* a thread whose exit hook is armed ends */
  void (*before_fork)(void);       /* pthread_atfork's three, where the OS forks */
  void (*after_fork_parent)(void);
  void (*after_fork_child)(void);
} weft__port_hooks;

/* Called once, before anything else in the port (from the core's first
 * use, maybe a constructor, so it must not allocate through weft). Keeps
 * `hooks` (static storage); on fork-capable systems installs its fork hooks
 * (pthread_atfork). */
int weft__port_init(const weft__port_hooks *hooks);

/* -- threads -- */

/* Start an OS thread running hooks->thread_start(arg) with the given stack
 * size (0: the OS default; otherwise raised to the OS minimum and rounded up
 * to pages). WEFT_OK, or WEFT_EAGAIN if the OS refused (nothing is left
 * behind). Allocates nothing: arg is the core's own start block. *t need not
 * outlive the call: the caller may keep it on its stack and release it at
 * once (detach). */
int weft__port_thread_create(weft__os_thread *t, size_t stack_size, void *arg);
/* Give up the handle of a created thread. `joinable_wait` is true when the
 * caller is not the thread itself: then wait for the OS thread to be gone
 * (it has already finished weft's work) and reclaim it; else detach it. */
void weft__port_thread_release(weft__os_thread *t, bool joinable_wait);
/* True if the backend can give a thread a chosen stack size. */
bool weft__port_stack_size_supported(void);
void weft__port_yield(void);
/* End the calling OS thread now, as its OS's own thread exit does
 * (pthread_exit, _endthreadex, thrd_exit): its exit hook runs. For the C11
 * names' thrd_exit. */
_Noreturn void weft__port_thread_exit(void);
/* Sleep about `ns` (may return early; the core loops on the clock). */
void weft__port_sleep(int64_t ns);
/* Monotonic clock. */
int64_t weft__port_now(void);
/* Wall clock (TIME_UTC): nanoseconds since 1970-01-01 UTC. Only for
 * converting the absolute deadlines of the C11 names, never for waiting. */
int64_t weft__port_wall_now(void);
/* Calling thread's OS id (TID); 0 where the OS offers none. */
uint64_t weft__port_native_id(void);
/* Longest OS-visible thread name in bytes, without the NUL. */
size_t weft__port_name_max(void);
/* Set the calling thread's OS-visible name (already cut to name_max). */
void weft__port_set_name_self(const char *name);
/* Set another running thread's OS-visible name; false where the OS cannot
 * (macOS, C11): weft then keeps the name only. */
bool weft__port_set_name_other(weft__os_thread *t, const char *name);
unsigned weft__port_cpu_count(void);

/* -- scheduling: a running thread's priority and CPUs, by its OS id
 * (weft__port_native_id; self: the id is the caller's, which some OSes can
 * only reach so). level is a WEFT_PRIORITY_*; cpus[i] for CPU i < n.
 * WEFT_OK; WEFT_ENOTSUP where the OS or backend cannot; WEFT_EPERM where it
 * refuses for want of privilege; WEFT_EINVAL for CPUs it will not give. -- */
int weft__port_set_priority(uint64_t native_id, bool self, int level);
int weft__port_set_affinity(uint64_t native_id, bool self, const bool *cpus, size_t n);
int weft__port_get_affinity(uint64_t native_id, bool self, bool *cpus, size_t n);

/* -- blocking: one parker per thread --
 * A parker holds at most one permit. park() consumes the permit, waiting
 * for it until the monotonic deadline: it returns WEFT_OK only once a permit
 * was consumed (never spuriously) and WEFT_TIMEOUT only at or after the
 * deadline. unpark() gives the permit and may touch the parker only while
 * its owner is still parked or about to consume it. */
void weft__parker_init(weft__parker *p);
void weft__parker_destroy(weft__parker *p);
int weft__parker_park(weft__parker *p, int64_t deadline);
void weft__parker_unpark(weft__parker *p);

/* Thread-local storage: C11's, or MSVC's own spelling of it. */
#if defined(_MSC_VER) && !defined(__clang__)
#define WEFT__THREAD_LOCAL __declspec(thread)
#else
#define WEFT__THREAD_LOCAL _Thread_local
#endif

/* -- one fast per-thread pointer --
 * For the core's hottest per-thread lookup (weft_local_get): the compiler's
 * thread-locals where they are native, TlsGetValue where mingw would
 * emulate them. NULL in a thread until set. A port with native ones says
 * so in its port_types.h (WEFT__PORT_TLS_SLOT) and defines the slot, which
 * the core then reads inline: a call fewer per get. */
#if defined(WEFT__PORT_TLS_SLOT)
extern WEFT__THREAD_LOCAL void *weft__port_tls_slot;
static inline void *weft__port_tls_get(void) {
  return weft__port_tls_slot;
}
static inline void weft__port_tls_set(void *p) {
  weft__port_tls_slot = p;
}
#else
void *weft__port_tls_get(void);
void weft__port_tls_set(void *p);
#endif

/* -- thread exit and process exit --
 * One native per-thread slot whose destructor runs hooks->thread_exit(arg)
 * when a thread that armed it ends, weft or foreign, normally or by the OS
 * thread-exit call. Disarming (arg NULL) means no call. */
int weft__port_exit_hook_arm(void *arg);
/* Run fn when the process ends normally (main returns or exit()), before
 * other threads are killed. Called once. */
int weft__port_atexit(void (*fn)(void));

/* -- for the debug tools (in <backend>/debug.c) -- */

/* Make signal sig, whenever it arrives, wake weft__port_signal_wait: the
 * handler does only async-signal-safe work. WEFT_ENOTSUP where the backend
 * has no signals, WEFT_EINVAL for a signal that cannot be caught,
 * WEFT_EAGAIN if the OS refused. After fork, call it again in the child. */
int weft__port_signal_watch(int sig);
/* Block until a watched signal arrives: the signal, or -1 if none can. */
int weft__port_signal_wait(void);
/* What lies at code address addr: its module (the file name, without
 * directories) and, where the OS can tell, the symbol; offset from the
 * symbol, else from the module's start. False if nothing is known. */
typedef struct weft__symbol {
  char module[64];
  char name[96]; /* "" where unknown */
  uintptr_t offset;
} weft__symbol;
bool weft__port_symbolize(const void *addr, weft__symbol *out);

#endif /* WEFT_PORT_H */
