/* weft_tests <area.name>: run one test in this process (exit 0 pass,
 * 1 fail, 77 skip). Without an argument: list the tests, one per line.
 *
 * Nothing here calls weft before the test runs: core.allocator_* need
 * weft_set_allocator to be the process's first weft call. */
#include "test.h"

static const struct {
  const char *name;
  void (*fn)(void);
} tests[] = {
#define WEFT_TEST(area, name, timeout) {#area "." #name, test_##area##_##name},
#include "list.h"
#undef WEFT_TEST
};

int main(int argc, char **argv) {
  size_t n = sizeof tests / sizeof tests[0];
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc < 2) {
    for (size_t i = 0; i < n; i++)
      printf("%s\n", tests[i].name);
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (strcmp(tests[i].name, argv[1]) == 0) {
      tests[i].fn();
      printf("PASS: %s\n", tests[i].name);
      return 0;
    }
  }
  printf("no test named %s\n", argv[1]);
  return 1;
}
