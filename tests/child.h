/* What the child programs (exit_child, timer_exit_child) print: lines
 * written at once, so that their order is the order of events, and a
 * "FAIL:" line that the test's failure expression catches. */
#ifndef WEFT_TEST_CHILD_H
#define WEFT_TEST_CHILD_H

#include <stdio.h>
#include <stdlib.h>

static inline void say(const char *s) {
  printf("%s\n", s);
  fflush(stdout);
}

static inline _Noreturn void fail(const char *s) {
  printf("FAIL: %s\n", s);
  fflush(stdout);
  _Exit(1);
}

#endif
