/* The debug tools' hub (tools to come): the switch word and the hooks
 * pointer (debug.h) are defined here, so that any program that takes a weft
 * lock links the tools: WEFT_DEBUG then works in a static build too, where
 * an object nothing refers to would be left out, with its constructor. */
#include "debug.h"

uintptr_t weft__debug_mode;
uintptr_t weft__debug_hooks_ptr;
