/* Uses an installed weft the way a user would: version (the installed
 * weft_version.h agrees with the library), backend, and one thread started
 * and joined. argv[1], if given, is the backend to expect. */
#include <stdio.h>
#include <string.h>

#include <weft.h>

static void set_flag(void *arg) { *(int *)arg = 1; }

int main(int argc, char **argv) {
  const char *backend = weft_backend();
  printf("weft %s, backend %s\n", weft_version(), backend);
#if !WEFT_VERSION_AT_LEAST(0, 1, 0)
#error "weft_version.h: WEFT_VERSION_AT_LEAST(0, 1, 0) is false"
#endif
  if (strcmp(weft_version(), WEFT_VERSION_STRING) != 0) {
    fprintf(stderr, "the header says %s, the library %s\n", WEFT_VERSION_STRING, weft_version());
    return 1;
  }
  if (argc > 1 && strcmp(backend, argv[1]) != 0) {
    fprintf(stderr, "expected backend %s, got %s\n", argv[1], backend);
    return 1;
  }

  int flag = 0;
  weft_thread *t = weft_thread_new(set_flag, &flag);
  if (t == NULL) {
    fprintf(stderr, "weft_thread_new failed\n");
    return 1;
  }
  int status = weft_thread_start(t);
  if (status == WEFT_OK) {
    status = weft_thread_join(t, WEFT_FOREVER);
  }
  weft_thread_unref(t);
  if (status != WEFT_OK || flag != 1) {
    fprintf(stderr, "thread: %s, flag %d\n", weft_strerror(status), flag);
    return 1;
  }
  printf("thread started and joined\n");
  return 0;
}
