/* bench_pool.h over GLib's GThreadPool, built where pkg-config finds
 * glib-2.0 (and a program with it runs). GThreadPool has no futures: a
 * round trip's task pushes its item onto a GAsyncQueue that the submitter
 * pops, the way a GLib program waits for one result. */
#include "bench_pool.h"

#include <glib.h>

const char *const glib_pool_name = "GThreadPool";

static void reply(gpointer data, gpointer user_data) {
  g_async_queue_push(user_data, data);
}

int glib_round_trips(uint64_t n, unsigned workers) {
  GAsyncQueue *replies = g_async_queue_new();
  GThreadPool *pool = g_thread_pool_new(reply, replies, (gint)workers, FALSE, NULL);
  if (!pool) return -1;
  int bad = 0;
  for (uint64_t i = 0; i < n && !bad; i++) {
    gpointer item = GSIZE_TO_POINTER(i + 1);
    if (!g_thread_pool_push(pool, item, NULL))
      bad = 1;
    else if (g_async_queue_pop(replies) != item)
      bad = 1;
  }
  g_thread_pool_free(pool, FALSE, TRUE);
  g_async_queue_unref(replies);
  return bad;
}

static void count(gpointer data, gpointer user_data) {
  (void)data;
  g_atomic_int_inc((gint *)user_data);
}

int glib_fire_and_forget(uint64_t n, unsigned workers, uint64_t *ran) {
  gint counter = 0;
  GThreadPool *pool = g_thread_pool_new(count, &counter, (gint)workers, FALSE, NULL);
  if (!pool) return -1;
  int bad = 0;
  for (uint64_t i = 0; i < n && !bad; i++)
    if (!g_thread_pool_push(pool, GSIZE_TO_POINTER(i + 1), NULL)) bad = 1;
  g_thread_pool_free(pool, FALSE, TRUE); /* waits for every task */
  *ran = (uint64_t)g_atomic_int_get(&counter);
  return bad;
}
