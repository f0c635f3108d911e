/* The shared test suite's check macros and helpers.
 *
 * A failed check prints file:line and what went wrong, then exits 1; a test
 * that cannot run on this backend prints why and exits 77 (CTest: skipped).
 * Tests synchronise with plain C11 atomics (test_flag) rather than weft's own
 * primitives, so that a broken lock fails the lock tests, not every test. */
#ifndef WEFT_TEST_H
#define WEFT_TEST_H

#include "weft.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__MINGW32__)
#define TEST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TEST_PRINTF(f, a)
#endif

/* Print "file:line: message" and exit(1). */
_Noreturn void test_fail_(const char *file, int line, const char *fmt, ...) TEST_PRINTF(3, 4);
/* Print "SKIP: message" and exit(77). */
_Noreturn void test_skip(const char *why);
/* "WEFT_TIMEOUT" for WEFT_TIMEOUT, "?" for anything else. */
const char *test_status_name(int status);

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) test_fail_(__FILE__, __LINE__, "CHECK(%s) failed", #cond);                        \
  } while (0)

/* Integers (signed or unsigned up to 64 bits, compared as int64 bit patterns). */
#define CHECK_EQ(a, b)                                                                             \
  do {                                                                                             \
    int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                                  \
    if (a_ != b_)                                                                                  \
      test_fail_(__FILE__, __LINE__, "CHECK_EQ(%s, %s) failed: %" PRId64 " != %" PRId64, #a, #b,   \
                 a_, b_);                                                                          \
  } while (0)

#define CHECK_STATUS(expr, want)                                                                   \
  do {                                                                                             \
    int got_ = (expr);                                                                             \
    if (got_ != (want))                                                                            \
      test_fail_(__FILE__, __LINE__, "%s returned %d %s (%s), expected %s (%s)", #expr, got_,      \
                 test_status_name(got_), weft_strerror(got_), #want, weft_strerror(want));         \
  } while (0)

/* Strings; either may be NULL. */
#define CHECK_STR(a, b)                                                                            \
  do {                                                                                             \
    const char *a_ = (a), *b_ = (b);                                                               \
    if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                         \
      test_fail_(__FILE__, __LINE__, "CHECK_STR(%s, %s) failed: \"%s\" != \"%s\"", #a, #b,         \
                 a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                          \
  } while (0)

/* Elapsed seconds since t0 within [lo, hi]. The lower bound is exact up to
 * TEST_CLOCK_EPS, which only absorbs the rounding of two doubles holding
 * clock readings; the upper bound is loose (loaded machines, wine, qemu,
 * TSan). */
#define TEST_CLOCK_EPS 1e-6
#define TEST_SLOW 5.0
#define CHECK_ELAPSED(t0, lo, hi)                                                                  \
  do {                                                                                             \
    double e_ = weft_monotonic() - (t0);                                                           \
    if (e_ < (lo)-TEST_CLOCK_EPS || e_ > (hi))                                                     \
      test_fail_(__FILE__, __LINE__, "elapsed %.6f s, expected between %.6f and %.6f s", e_,       \
                 (double)(lo), (double)(hi));                                                      \
  } while (0)

/* A one-shot signal between threads, independent of weft's primitives. */
typedef struct test_flag {
  atomic_int v;
} test_flag;
void test_flag_set(test_flag *f);
bool test_flag_get(test_flag *f);
/* Poll (with weft_sleep) until set; fail after 30 s. */
void test_flag_wait(test_flag *f);

/* Poll (with weft_sleep) until *v >= want; fail after 30 s. */
void test_await_count(atomic_int *v, int want);

/* weft_thread_new + weft_thread_start, checked. */
weft_thread *test_spawn(weft_fn fn, void *arg);
/* Join (bounded: fail after 30 s) and drop the reference. */
void test_join(weft_thread *t);

/* n scaled by the environment variable WEFT_STRESS_SCALE (default 1), at
 * least 1. */
long test_scaled(long n);

/* TEST_EXPECT_NATIVE_ID (from the build): 1 where this build of weft has a
 * way to learn OS thread ids, so weft_get_native_id() must not be 0. */
#ifndef TEST_EXPECT_NATIVE_ID
#error "the build passes TEST_EXPECT_NATIVE_ID"
#endif
/* TEST_EXPECT_SCHED: 1 where this build can set a thread's priority and
 * CPUs (Windows; Linux with the probes on), so WEFT_ENOTSUP is wrong. */
#ifndef TEST_EXPECT_SCHED
#error "the build passes TEST_EXPECT_SCHED"
#endif

/* The test list declares every test function. */
#define WEFT_TEST(area, name, timeout) void test_##area##_##name(void);
#include "list.h"
#undef WEFT_TEST

#endif
