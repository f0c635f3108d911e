/* Foreign threads: threads created with the backend's own API (pthreads,
 * _beginthreadex, thrd_create), not by weft. This is the only
 * backend-specific code of the suite: foreign_<backend>.c implements it. */
#ifndef WEFT_TEST_FOREIGN_H
#define WEFT_TEST_FOREIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct test_foreign test_foreign;

/* Start fn(arg) on a new native thread; fails the test if it cannot. */
test_foreign *test_foreign_start(void (*fn)(void *), void *arg);
/* Wait for the native thread to end and free f. */
void test_foreign_join(test_foreign *f);

/* Read back the OS-visible name of the thread whose OS id is native_id with
 * the OS's own API. *limit is the longest name the OS keeps, in bytes.
 * False where the test cannot read it (the test then skips). */
bool test_os_thread_name(uint64_t native_id, char *buf, size_t size, size_t *limit);

/* How many OS threads the process has now, or -1 where the test cannot
 * tell (macOS: no /proc). */
int test_os_thread_count(void);
/* Linux: the entries of /proc/self/task; -1 without /proc. */
int test_proc_thread_count(void);

/* Linux: /proc/self/task/<tid>/comm (limit 15). Shared by posix and c11. */
bool test_proc_thread_name(uint64_t native_id, char *buf, size_t size, size_t *limit);

/* fork() where the backend follows it: 0 in the child, the child's id in
 * the parent; -1 where the backend or the tools cannot (win32: Windows has
 * no fork; c11 where the platform has no pthread_atfork; ThreadSanitizer and
 * qemu-user cannot run threads in a child of a multithreaded fork), with
 * *why saying so. fork_unix.c serves posix and c11. */
long test_fork_begin(const char **why);
/* Wait up to `timeout` seconds for the child to end: its exit status, 128 +
 * the signal that ended it, or -2 if it was still running (it is killed). */
int test_fork_wait(long pid, double timeout);

/* Run child() in a forked child process (then _exit(0)) and return its
 * exit status; fails the test if the child runs for over 30 s. -1 where
 * fork cannot be tested (see test_fork_begin), with *why saying so. */
int test_fork(void (*child)(void), const char **why);

/* Pin the calling thread to one CPU: the cpu-th (from 0) of the CPUs the
 * process's main thread may run on, so that thread creators keep their own
 * affinity. False, with *why saying why, where the OS has no such call
 * (macOS), the process may run on fewer CPUs, or the OS refused. */
bool test_pin_self(unsigned cpu, const char **why);
/* The OS's own view of a thread, by its native id, read with the OS's own
 * calls (not weft's): the CPUs it may run on (cpus[i] for CPU i < n) and
 * its priority as the WEFT_PRIORITY_* level weft maps to (-99 for a value
 * no level maps to). False where the test cannot ask. */
bool test_os_thread_cpus(uint64_t native_id, bool *cpus, size_t n);
bool test_os_thread_priority(uint64_t native_id, int *level);
/* How many CPUs this process may run on, as the OS says (not weft: a build
 * whose probes are off may not know). */
unsigned test_cpu_count(void);

#endif
