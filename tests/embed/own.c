/* One of the embedding project's own programs, named like one of weft's. */
#include <stdio.h>

int main(void) {
  printf("ours: %s\n", OWN_NAME);
  return 0;
}
