/* The demo: named threads, daemon flags, enumerate, join with a timeout and
 * Python's exit rule (the process waits for non-daemon threads only). */
#include <stdio.h>
#include <weft.h>

static weft_lock print_lock = WEFT_LOCK_INIT;

/* One line at a time, tagged with the calling thread's name, like logging's
 * "(%(threadName)-10s) %(message)s". */
static void say(const char *message) {
  char name[64];
  weft_thread_get_name(weft_thread_current(), name, sizeof name);
  weft_lock_acquire(&print_lock, WEFT_FOREVER);
  printf("(%-10s) %s\n", name, message);
  fflush(stdout);
  weft_lock_release(&print_lock);
}

static void worker(void *arg) {
  double seconds = *(const double *)arg;
  say("starting");
  weft_sleep(seconds);
  say("exiting");
}

static void daemon_loop(void *arg) {
  (void)arg;
  say("starting (a daemon: nobody waits for it)");
  for (;;) /* ends with the process */
    weft_sleep(0.1);
}

int main(void) {
  static const double short_work = 0.2, long_work = 0.5;
  printf("weft %s on the %s backend, %u CPUs\n", weft_version(), weft_backend(), weft_cpu_count());

  weft_thread *d = weft_thread_new(daemon_loop, NULL);
  weft_thread_set_name(d, "daemon");
  weft_thread_set_daemon(d, true);
  weft_thread_start(d);

  weft_thread *quick = weft_thread_new(worker, (void *)&short_work); /* named Thread-N */
  weft_thread *slow = weft_thread_new(worker, (void *)&long_work);
  weft_thread_set_name(slow, "non-daemon");
  weft_thread_start(quick);
  weft_thread_start(slow);

  weft_thread *all[16];
  size_t n = weft_enumerate(all, 16);
  printf("%zu threads alive:\n", n);
  for (size_t i = 0; i < n && i < 16; i++) {
    printf("  %-12s ident %-3llu daemon %-5s\n", weft_thread_name(all[i]),
           (unsigned long long)weft_thread_ident(all[i]),
           weft_thread_daemon(all[i]) ? "yes" : "no");
    weft_thread_unref(all[i]);
  }

  int status = weft_thread_join(quick, 1.0);
  printf("join(%s, 1.0): %s\n", weft_thread_name(quick), weft_strerror(status));
  status = weft_thread_join(slow, 0.05);
  printf("join(%s, 0.05): %s; still alive: %s\n", weft_thread_name(slow), weft_strerror(status),
         weft_thread_is_alive(slow) ? "yes" : "no");

  weft_thread_unref(quick);
  weft_thread_unref(slow);
  weft_thread_unref(d);
  say("returning from main: weft waits for non-daemon only");
  return 0;
}
