/* Uses an installed weft the way a user would: version, backend, and one
 * thread started and joined. argv[1], if given, is the backend to expect. */
#include <stdio.h>
#include <string.h>

#include <weft.h>

static void set_flag(void *arg) { *(int *)arg = 1; }

int main(int argc, char **argv) {
  const char *backend = weft_backend();
  printf("weft %s, backend %s\n", weft_version(), backend);
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
