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

/* Linux: /proc/self/task/<tid>/comm (limit 15). Shared by posix and c11. */
bool test_proc_thread_name(uint64_t native_id, char *buf, size_t size, size_t *limit);

/* Run child() in a forked child process and return its exit status; -1
 * where the backend has no fork to test (win32; c11, whose standard has no
 * fork and so no hooks for it), with *why saying so. */
int test_fork(void (*child)(void), const char **why);

/* Pin the calling thread to one CPU: the cpu-th (from 0) of the CPUs the
 * process's main thread may run on, so that thread creators keep their own
 * affinity. False, with *why saying why, where the OS has no such call
 * (macOS), the process may run on fewer CPUs, or the OS refused. */
bool test_pin_self(unsigned cpu, const char **why);

#endif
