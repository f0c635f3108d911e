/* Thread priority and CPU affinity: weft's calls, checked against the OS's
 * own view of the thread (foreign.h), before start and while running, for
 * weft, main and foreign threads. Where the build cannot do it
 * (TEST_EXPECT_SCHED 0: macOS, the minimal-POSIX row) the calls must say
 * WEFT_ENOTSUP, and the rest is skipped. */
#include "foreign.h"
#include "test.h"

enum { MAX_CPUS = 64 };

typedef struct sched_probe {
  test_flag started, release;
  uint64_t native_id;
  bool cpus[MAX_CPUS]; /* as the thread saw them from inside */
  int level;
  bool saw_level, saw_cpus;
} sched_probe;

static void sched_body(void *arg) {
  sched_probe *p = arg;
  p->native_id = weft_get_native_id();
  p->saw_level = test_os_thread_priority(p->native_id, &p->level);
  p->saw_cpus = test_os_thread_cpus(p->native_id, p->cpus, MAX_CPUS);
  test_flag_set(&p->started);
  test_flag_wait(&p->release);
}

/* WEFT_OK where the build can; WEFT_ENOTSUP (then skip) where it cannot. */
static void expect_supported(int status, const char *what) {
  if (!TEST_EXPECT_SCHED) {
    CHECK_STATUS(status, WEFT_ENOTSUP);
    printf("SKIP: %s: this build has no per-thread priority or CPUs (WEFT_ENOTSUP)\n", what);
    fflush(stdout);
    _Exit(77);
  }
  CHECK_STATUS(status, WEFT_OK);
}

static void check_os_level(uint64_t native_id, int want) {
  int level = -100;
  if (test_os_thread_priority(native_id, &level)) CHECK_EQ(level, want);
}

void test_sched_priority_bad_input(void) {
  CHECK_STATUS(weft_thread_set_priority(NULL, WEFT_PRIORITY_NORMAL), WEFT_EINVAL);
  weft_thread *t = weft_thread_new(sched_body, NULL);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_set_priority(t, 3), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_set_priority(t, -2), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_set_priority(t, WEFT_PRIORITY_LOW), WEFT_OK); /* kept for its start */
  weft_thread_unref(t);
  /* A finished thread has no priority to set. */
  static sched_probe p;
  test_flag_set(&p.release);
  t = test_spawn(sched_body, &p);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK_STATUS(weft_thread_set_priority(t, WEFT_PRIORITY_NORMAL), WEFT_ESTATE);
  weft_thread_unref(t);
}

void test_sched_priority_running(void) {
  static sched_probe p;
  weft_thread *t = test_spawn(sched_body, &p);
  test_flag_wait(&p.started);
  /* Lowering needs no privilege; raising back and above may: as root (the
   * matrix) it works, elsewhere WEFT_EPERM is an honest answer. */
  const int levels[] = {WEFT_PRIORITY_LOW, WEFT_PRIORITY_NORMAL, WEFT_PRIORITY_HIGH,
                        WEFT_PRIORITY_TIME_CRITICAL, WEFT_PRIORITY_NORMAL};
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    int status = weft_thread_set_priority(t, levels[i]);
    if (i == 0) expect_supported(status, "priority");
    if (status == WEFT_EPERM) continue;
    CHECK_STATUS(status, WEFT_OK);
    check_os_level(weft_thread_native_id(t), levels[i]);
  }
  test_flag_set(&p.release);
  test_join(t);
}

void test_sched_priority_before_start(void) {
  static sched_probe p;
  weft_thread *t = weft_thread_new(sched_body, &p);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_set_priority(t, WEFT_PRIORITY_LOW), WEFT_OK);
  int status = weft_thread_start(t);
  expect_supported(status, "priority before start");
  test_flag_wait(&p.started);
  if (p.saw_level) CHECK_EQ(p.level, WEFT_PRIORITY_LOW); /* from its first instruction */
  test_flag_set(&p.release);
  test_join(t);
}

static void set_own_priority(void *arg) {
  int *status = arg;
  *status = weft_thread_set_priority(weft_thread_current(), WEFT_PRIORITY_LOW);
  if (*status == WEFT_OK) check_os_level(weft_get_native_id(), WEFT_PRIORITY_LOW);
}

void test_sched_priority_foreign(void) {
  /* A thread weft did not start, through its Dummy record. */
  int status = -1;
  test_foreign_join(test_foreign_start(set_own_priority, &status));
  expect_supported(status, "priority of a foreign thread");
}

static int first_cpu(const bool *cpus, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (cpus[i]) return (int)i;
  return -1;
}

void test_sched_affinity_bad_input(void) {
  bool cpus[MAX_CPUS] = {true};
  CHECK_STATUS(weft_thread_set_affinity(NULL, cpus, 1), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_get_affinity(NULL, cpus, 1), WEFT_EINVAL);
  weft_thread *t = weft_thread_new(sched_body, NULL);
  CHECK(t != NULL);
  CHECK_STATUS(weft_thread_set_affinity(t, NULL, 1), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_set_affinity(t, cpus, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_get_affinity(t, NULL, 4), WEFT_EINVAL);
  CHECK_STATUS(weft_thread_get_affinity(t, cpus, 0), WEFT_EINVAL);
  bool none[4] = {false, false, false, false};
  CHECK_STATUS(weft_thread_set_affinity(t, none, 4), WEFT_EINVAL);
  weft_thread_unref(t);
  /* A CPU the machine does not have, on a running thread. */
  static bool far[4096];
  far[4095] = true;
  int status = weft_thread_set_affinity(weft_thread_current(), far, 4096);
  if (TEST_EXPECT_SCHED)
    CHECK(status == WEFT_EINVAL || status == WEFT_ENOTSUP);
  else
    CHECK_STATUS(status, WEFT_ENOTSUP);
}

void test_sched_affinity(void) {
  unsigned n_cpus = test_cpu_count();
  bool mine[MAX_CPUS];
  expect_supported(weft_thread_get_affinity(weft_thread_current(), mine, MAX_CPUS), "affinity");
  /* The OS's view and weft's agree for the calling (main) thread. */
  bool os[MAX_CPUS];
  if (test_os_thread_cpus(weft_get_native_id(), os, MAX_CPUS))
    for (int i = 0; i < MAX_CPUS; i++)
      CHECK_EQ(mine[i], os[i]);
  int cpu = first_cpu(mine, MAX_CPUS);
  CHECK(cpu >= 0);
  /* Before start: one CPU, from the thread's first instruction. */
  static sched_probe p;
  weft_thread *t = weft_thread_new(sched_body, &p);
  bool one[MAX_CPUS] = {false};
  one[cpu] = true;
  CHECK_STATUS(weft_thread_set_affinity(t, one, MAX_CPUS), WEFT_OK);
  bool got[MAX_CPUS];
  CHECK_STATUS(weft_thread_get_affinity(t, got, MAX_CPUS), WEFT_OK);
  for (int i = 0; i < MAX_CPUS; i++)
    CHECK_EQ(got[i], one[i]);
  CHECK_STATUS(weft_thread_start(t), WEFT_OK);
  test_flag_wait(&p.started);
  if (p.saw_cpus)
    for (int i = 0; i < MAX_CPUS; i++)
      CHECK_EQ(p.cpus[i], one[i]);
  /* While it runs: another CPU where there is one, then all it had. */
  if (n_cpus > 1) {
    int other = first_cpu(mine + cpu + 1, MAX_CPUS - (size_t)cpu - 1);
    if (other >= 0) {
      bool two[MAX_CPUS] = {false};
      two[cpu + 1 + other] = true;
      CHECK_STATUS(weft_thread_set_affinity(t, two, MAX_CPUS), WEFT_OK);
      CHECK_STATUS(weft_thread_get_affinity(t, got, MAX_CPUS), WEFT_OK);
      for (int i = 0; i < MAX_CPUS; i++)
        CHECK_EQ(got[i], two[i]);
      if (test_os_thread_cpus(weft_thread_native_id(t), os, MAX_CPUS))
        for (int i = 0; i < MAX_CPUS; i++)
          CHECK_EQ(os[i], two[i]);
    }
  }
  CHECK_STATUS(weft_thread_set_affinity(t, mine, MAX_CPUS), WEFT_OK);
  test_flag_set(&p.release);
  CHECK_STATUS(weft_thread_join(t, 30.0), WEFT_OK);
  CHECK_STATUS(weft_thread_set_affinity(t, mine, MAX_CPUS), WEFT_ESTATE);
  CHECK_STATUS(weft_thread_get_affinity(t, got, MAX_CPUS), WEFT_ESTATE);
  weft_thread_unref(t);
}
