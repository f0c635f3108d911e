/* Found first by the library in an interlocked build (WEFT_ATOMICS=interlocked,
 * cmake/WeftAtomics.cmake): it stands for a compiler without C11 atomics, so
 * that the whole library is seen to go through src/atomic.h's Interlocked
 * implementation. */
#error "weft: <stdatomic.h> used in an interlocked build; go through src/atomic.h"
