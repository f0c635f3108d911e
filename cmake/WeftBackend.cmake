# Resolve WEFT_BACKEND to exactly one of posix, win32, c11 and probe the
# optional OS features that backend can use. Sets:
#   WEFT_BACKEND            the resolved backend
#   WEFT_PORT_DEFINITIONS   WEFT_HAVE_* definitions for the library's sources
#   WEFT_PORT_LIBRARIES     what the backend links
# Every probe can be forced off with WEFT_MINIMAL_POSIX, so that the fallback
# paths (the ones macOS and the BSDs take) are built and tested here.
include(CheckIncludeFile)
include(CheckSymbolExists)
include(CheckCSourceCompiles)

set(_weft_backends posix win32 c11)
if(WEFT_BACKEND STREQUAL "auto")
  if(WIN32)
    set(WEFT_BACKEND win32)
  else()
    set(WEFT_BACKEND posix)
  endif()
elseif(NOT WEFT_BACKEND IN_LIST _weft_backends)
  message(FATAL_ERROR
    "WEFT_BACKEND='${WEFT_BACKEND}' is not a weft backend: use auto, posix, win32 or c11.")
endif()

set(WEFT_PORT_DEFINITIONS "")
set(WEFT_PORT_LIBRARIES "")

# weft_probe(<name> <code>): compile-test <code>; on success define <name>.
function(weft_probe name code)
  if(WEFT_MINIMAL_POSIX)
    message(STATUS "weft: ${name} forced off (WEFT_MINIMAL_POSIX)")
    return()
  endif()
  set(CMAKE_REQUIRED_DEFINITIONS -D_GNU_SOURCE -D_DARWIN_C_SOURCE)
  set(CMAKE_REQUIRED_LIBRARIES ${WEFT_PORT_LIBRARIES})
  check_c_source_compiles("${code}" ${name})
  if(${name})
    set(WEFT_PORT_DEFINITIONS ${WEFT_PORT_DEFINITIONS} ${name} PARENT_SCOPE)
  endif()
endfunction()

if(WEFT_BACKEND STREQUAL "win32")
  if(NOT WIN32)
    message(FATAL_ERROR
      "WEFT_BACKEND=win32 needs a Windows target (use cmake/mingw-w64.cmake to cross-compile); "
      "this target is ${CMAKE_SYSTEM_NAME}.")
  endif()
  set(WEFT_PORT_LIBRARIES synchronization)
  set(WEFT_PC_LIBS "-lsynchronization")
  return()
endif()

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads)

if(WEFT_BACKEND STREQUAL "posix")
  check_include_file(pthread.h WEFT_HAVE_PTHREAD_H)
  if(NOT WEFT_HAVE_PTHREAD_H OR NOT CMAKE_USE_PTHREADS_INIT)
    message(FATAL_ERROR "WEFT_BACKEND=posix needs <pthread.h>, which this target lacks.")
  endif()
else() # c11
  check_include_file(threads.h WEFT_HAVE_THREADS_H)
  if(NOT WEFT_HAVE_THREADS_H)
    message(FATAL_ERROR
      "WEFT_BACKEND=c11 needs <threads.h>, which this target's C library lacks "
      "(mingw-w64 and macOS have none; use posix or win32 there).")
  endif()
endif()
set(WEFT_PORT_LIBRARIES Threads::Threads)
set(WEFT_PC_LIBS "${CMAKE_THREAD_LIBS_INIT}")

# Linux futex: the parker is one word and no mutex.
weft_probe(WEFT_HAVE_FUTEX "
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) { int w = 0; return (int)syscall(SYS_futex, &w, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0); }")
weft_probe(WEFT_HAVE_GETTID "
#include <unistd.h>
int main(void) { return (int)gettid(); }")
weft_probe(WEFT_HAVE_PTHREAD_THREADID_NP "
#include <pthread.h>
#include <stdint.h>
int main(void) { uint64_t id; return pthread_threadid_np(0, &id); }")
# Monotonic deadlines for the condition-variable parker, best first.
weft_probe(WEFT_HAVE_CONDATTR_SETCLOCK "
#include <pthread.h>
#include <time.h>
int main(void) { pthread_condattr_t a; pthread_condattr_init(&a);
  return pthread_condattr_setclock(&a, CLOCK_MONOTONIC); }")
weft_probe(WEFT_HAVE_COND_TIMEDWAIT_RELATIVE_NP "
#include <pthread.h>
#include <time.h>
int main(void) { pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER; struct timespec t = {0, 1};
  return pthread_cond_timedwait_relative_np(&c, &m, &t); }")
# Thread names: Linux names any thread, macOS only the caller, Linux's
# prctl serves backends that hold no pthread_t.
weft_probe(WEFT_HAVE_SETNAME_NP_OTHER "
#include <pthread.h>
int main(void) { return pthread_setname_np(pthread_self(), \"x\"); }")
weft_probe(WEFT_HAVE_SETNAME_NP_SELF "
#include <pthread.h>
int main(void) { return pthread_setname_np(\"x\"); }")
weft_probe(WEFT_HAVE_PRCTL_SET_NAME "
#include <sys/prctl.h>
int main(void) { return prctl(PR_SET_NAME, \"x\", 0, 0, 0); }")
# C11 has only TIME_UTC deadlines; C23 adds TIME_MONOTONIC.
weft_probe(WEFT_HAVE_CLOCK_MONOTONIC "
#include <time.h>
int main(void) { struct timespec t; return clock_gettime(CLOCK_MONOTONIC, &t); }")
weft_probe(WEFT_HAVE_SCHED_GETAFFINITY "
#include <sched.h>
int main(void) { cpu_set_t s; return sched_getaffinity(0, sizeof s, &s) + CPU_COUNT(&s); }")

# fork hooks for the c11 backend (posix requires pthread_atfork anyway).
if(WEFT_BACKEND STREQUAL "c11")
  weft_probe(WEFT_HAVE_PTHREAD_ATFORK "
#include <pthread.h>
static void f(void) {}
int main(void) { return pthread_atfork(f, f, f); }")
endif()
# Per-thread affinity and priority by OS thread id (Linux; posix and c11).
weft_probe(WEFT_HAVE_SCHED_SETAFFINITY "
#include <sched.h>
int main(void) { cpu_set_t s; CPU_ZERO(&s); CPU_SET(0, &s); return sched_setaffinity(0, sizeof s, &s); }")
weft_probe(WEFT_HAVE_SETPRIORITY "
#include <sys/resource.h>
int main(void) { return setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0)); }")
# macOS: the calling thread's QoS class.
weft_probe(WEFT_HAVE_QOS_CLASS "
#include <pthread.h>
#include <pthread/qos.h>
int main(void) { return pthread_set_qos_class_self_np(QOS_CLASS_DEFAULT, 0); }")

# The debug tools: code addresses as symbols (dladdr, in libdl before
# glibc 2.34) and, for c11, a signal that wakes the dump helper (posix
# requires sigaction anyway).
set(_weft_libs_before_dl ${WEFT_PORT_LIBRARIES})
list(APPEND WEFT_PORT_LIBRARIES ${CMAKE_DL_LIBS})
weft_probe(WEFT_HAVE_DLADDR "
#include <dlfcn.h>
int main(void) { Dl_info i; return dladdr((void *)&i, &i); }")
if("WEFT_HAVE_DLADDR" IN_LIST WEFT_PORT_DEFINITIONS AND CMAKE_DL_LIBS)
  string(APPEND WEFT_PC_LIBS " -l${CMAKE_DL_LIBS}")
else()
  set(WEFT_PORT_LIBRARIES ${_weft_libs_before_dl})
endif()
if(WEFT_BACKEND STREQUAL "c11")
  weft_probe(WEFT_HAVE_SIGACTION "
#include <signal.h>
#include <unistd.h>
static void h(int s) { (void)s; }
int main(void) { struct sigaction a = {0}; int p[2]; a.sa_handler = h;
  return sigaction(SIGUSR1, &a, 0) + pipe(p) + (int)getpid(); }")
endif()
weft_probe(WEFT_HAVE_SYSCONF_NPROCESSORS "
#include <unistd.h>
int main(void) { return (int)sysconf(_SC_NPROCESSORS_ONLN); }")

message(STATUS "weft: backend ${WEFT_BACKEND}; probes: ${WEFT_PORT_DEFINITIONS}")
