/* Built only by the test c11.header_clash, which expects it NOT to compile:
 * a translation unit that includes the C library's <threads.h> and then
 * <weft/threads.h> must stop at weft's #error, not at a pile of
 * redefinitions. */
#include <threads.h>

#include <weft/threads.h>

int main(void) {
  return 0;
}
