/* Types of the win32 port (see ../port.h). The core never sees <windows.h>:
 * a HANDLE is a void *. */
#ifndef WEFT_PORT_TYPES_H
#define WEFT_PORT_TYPES_H

#include <stdint.h>

/* The handle from _beginthreadex. */
typedef struct weft__os_thread {
  void *handle;
} weft__os_thread;

/* One word for WaitOnAddress: 0 empty, 1 permit. Only its owner waits on it. */
typedef struct weft__parker {
  uint32_t word;
} weft__parker;

#endif
