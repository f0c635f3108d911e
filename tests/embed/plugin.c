/* A shared library of the user's that has a static weft inside: the host
 * program sees only plugin_count(), never weft. */
#include <weft.h>

#if defined(_WIN32)
#define PLUGIN_API __declspec(dllexport)
#else
#define PLUGIN_API __attribute__((visibility("default")))
#endif

static weft_lock lock = WEFT_LOCK_INIT;
static int total;

static void add(void *arg) {
  weft_lock_acquire(&lock, WEFT_FOREVER);
  total += *(const int *)arg;
  weft_lock_release(&lock);
}

/* Start n weft threads that each add one; returns the sum, or -1. */
PLUGIN_API int plugin_count(int n) {
  static const int one = 1;
  weft_thread *threads[16];
  if (n > 16) return -1;
  for (int i = 0; i < n; i++) {
    threads[i] = weft_thread_new(add, (void *)&one);
    if (!threads[i] || weft_thread_start(threads[i]) != WEFT_OK) return -1;
  }
  for (int i = 0; i < n; i++) {
    weft_thread_join(threads[i], WEFT_FOREVER);
    weft_thread_unref(threads[i]);
  }
  return total;
}
