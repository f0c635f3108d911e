/* Shared by the win32 port's files only. */
#ifndef WEFT_WIN32_H
#define WEFT_WIN32_H

/* WaitOnAddress needs Windows 8; GetActiveProcessorCount Windows 7. */
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0602
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0602
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdbool.h>
#include <stdint.h>

/* Longest finite wait handed to a Win32 call: far below INFINITE (which a
 * wrapped value could hit by accident) and positive even where a callee
 * reads it as signed. Longer waits go in pieces. */
#define WEFT__WIN32_WAIT_MAX_MS 0x7FFFFFFFu

/* Milliseconds to wait for the rest of `left_ns` (> 0): rounded up, so that
 * a wait never ends early on our account, and capped at one piece. */
static inline DWORD weft__win32_ms(int64_t left_ns) {
  int64_t ms = left_ns / 1000000 + (left_ns % 1000000 != 0);
  return ms > (int64_t)WEFT__WIN32_WAIT_MAX_MS ? WEFT__WIN32_WAIT_MAX_MS : (DWORD)ms;
}

/* True once ExitProcess has begun: the other threads are gone, perhaps
 * holding weft's locks, so exit-time work must be skipped. */
bool weft__win32_process_ending(void);
/* The core's hooks, from weft__port_init. */
extern const weft__port_hooks *weft__win32_hooks;
/* exit.c's part of weft__port_init: the FLS slot and the look-ups. */
int weft__win32_exit_init(void);

#endif
