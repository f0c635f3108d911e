/* weft_rlock: recursion, ownership, the recursion bound. */
#include "test.h"

#include <math.h>

typedef struct rholder {
  weft_rlock *r;
  test_flag held, release;
  bool owned_inside;
} rholder;

static void hold_rlock(void *arg) {
  rholder *h = arg;
  CHECK_STATUS(weft_rlock_acquire(h->r, WEFT_FOREVER), WEFT_OK);
  CHECK_STATUS(weft_rlock_acquire(h->r, 0), WEFT_OK);
  h->owned_inside = weft_rlock_is_owned(h->r);
  test_flag_set(&h->held);
  test_flag_wait(&h->release);
  CHECK_STATUS(weft_rlock_release(h->r), WEFT_OK);
  CHECK(weft_rlock_is_owned(h->r));
  CHECK_STATUS(weft_rlock_release(h->r), WEFT_OK);
  CHECK(!weft_rlock_is_owned(h->r));
}

static weft_rlock static_rlock;

void test_rlock_zero_init(void) {
  weft_rlock stack_rlock, init_rlock = WEFT_RLOCK_INIT;
  memset(&stack_rlock, 0, sizeof stack_rlock);
  weft_rlock *all[] = {&static_rlock, &stack_rlock, &init_rlock};
  for (int i = 0; i < 3; i++) {
    CHECK(!weft_rlock_is_owned(all[i]));
    CHECK_STATUS(weft_rlock_acquire(all[i], WEFT_FOREVER), WEFT_OK);
    CHECK(weft_rlock_is_owned(all[i]));
    CHECK_STATUS(weft_rlock_release(all[i]), WEFT_OK);
    CHECK(!weft_rlock_is_owned(all[i]));
  }
}

void test_rlock_recursion(void) {
  weft_rlock r = WEFT_RLOCK_INIT;
  enum { DEPTH = 100 };
  for (int i = 0; i < DEPTH; i++) {
    CHECK_STATUS(weft_rlock_acquire(&r, i % 3 == 0 ? WEFT_FOREVER : i % 3 == 1 ? 0 : 0.5), WEFT_OK);
    CHECK(weft_rlock_is_owned(&r));
  }
  for (int i = 0; i < DEPTH; i++) {
    CHECK(weft_rlock_is_owned(&r));
    CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
  }
  CHECK(!weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_release(&r), WEFT_EPERM);
  /* Fully released: another thread can take it. */
  rholder h = {&r, {0}, {0}, false};
  test_flag_set(&h.release);
  test_join(test_spawn(hold_rlock, &h));
  CHECK(h.owned_inside);
  CHECK(!weft_rlock_is_owned(&r));
}

void test_rlock_release_unowned(void) {
  weft_rlock r = WEFT_RLOCK_INIT;
  CHECK_STATUS(weft_rlock_release(&r), WEFT_EPERM);
  CHECK(!weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&r), WEFT_EPERM);
}

void test_rlock_release_non_owner(void) {
  weft_rlock r = WEFT_RLOCK_INIT;
  rholder h = {&r, {0}, {0}, false};
  weft_thread *t = test_spawn(hold_rlock, &h);
  test_flag_wait(&h.held);
  CHECK(h.owned_inside);
  CHECK(!weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_release(&r), WEFT_EPERM);
  CHECK_STATUS(weft_rlock_release(&r), WEFT_EPERM);
  /* The failed releases took nothing from the owner (who releases twice). */
  test_flag_set(&h.release);
  test_join(t);
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
}

void test_rlock_held_by_other(void) {
  weft_rlock r = WEFT_RLOCK_INIT;
  rholder h = {&r, {0}, {0}, false};
  weft_thread *t = test_spawn(hold_rlock, &h);
  test_flag_wait(&h.held);
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_TIMEOUT);
  double t0 = weft_monotonic();
  CHECK_STATUS(weft_rlock_acquire(&r, 0.1), WEFT_TIMEOUT);
  CHECK_ELAPSED(t0, 0.1, TEST_SLOW);
  CHECK(!weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_acquire(&r, NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_rlock_acquire(&r, -0.5), WEFT_EINVAL);
  test_flag_set(&h.release);
  t0 = weft_monotonic();
  CHECK_STATUS(weft_rlock_acquire(&r, WEFT_FOREVER), WEFT_OK);
  CHECK(weft_rlock_is_owned(&r));
  test_join(t);
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
}

void test_rlock_timeout_invalid(void) {
  weft_rlock r = WEFT_RLOCK_INIT;
  CHECK_STATUS(weft_rlock_acquire(&r, NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_rlock_acquire(&r, -0.5), WEFT_EINVAL);
  CHECK(!weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_OK);
  /* An owner's re-acquire is checked too, and does not count. */
  CHECK_STATUS(weft_rlock_acquire(&r, NAN), WEFT_EINVAL);
  CHECK_STATUS(weft_rlock_acquire(&r, -INFINITY), WEFT_EINVAL);
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
  CHECK(!weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_release(&r), WEFT_EPERM);
}

void test_rlock_overflow(void) {
  /* Reaching a depth of UINT32_MAX - 1 honestly takes 4 billion calls, so
   * this test reaches into the private fields: the header documents count_
   * as the recursion depth, touched only by the owner, and we are the
   * owner. It checks the representation first so that a change to it fails
   * here loudly instead of testing nothing. */
  weft_rlock r = WEFT_RLOCK_INIT;
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_OK);
  CHECK_EQ(r.count_, 1);
  CHECK_EQ(r.owner_, weft_get_ident());
  r.count_ = UINT32_MAX - 2;
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_OK); /* depth UINT32_MAX - 1: allowed */
  CHECK_EQ(r.count_, UINT32_MAX - 1);
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_EOVERFLOW);
  CHECK_STATUS(weft_rlock_acquire(&r, WEFT_FOREVER), WEFT_EOVERFLOW);
  CHECK_EQ(r.count_, UINT32_MAX - 1);
  CHECK(weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
  CHECK_EQ(r.count_, UINT32_MAX - 2);
  r.count_ = 1; /* back to the one honest acquire */
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
  CHECK(!weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_release(&r), WEFT_EPERM);
}

void test_rlock_null(void) {
  CHECK_STATUS(weft_rlock_acquire(NULL, 0), WEFT_EINVAL);
  CHECK_STATUS(weft_rlock_acquire(NULL, WEFT_FOREVER), WEFT_EINVAL);
  CHECK_STATUS(weft_rlock_release(NULL), WEFT_EINVAL);
  CHECK(!weft_rlock_is_owned(NULL));
}

static void own_in_foreign_way(void *arg) {
  weft_rlock *r = arg;
  CHECK(!weft_rlock_is_owned(r));
  CHECK_STATUS(weft_rlock_acquire(r, 0), WEFT_TIMEOUT);
  CHECK_STATUS(weft_rlock_release(r), WEFT_EPERM);
}

void test_rlock_is_owned_other(void) {
  weft_rlock r = WEFT_RLOCK_INIT;
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_OK);
  CHECK_STATUS(weft_rlock_acquire(&r, 0), WEFT_OK);
  test_join(test_spawn(own_in_foreign_way, &r));
  CHECK(weft_rlock_is_owned(&r));
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
  CHECK_STATUS(weft_rlock_release(&r), WEFT_OK);
  CHECK(!weft_rlock_is_owned(&r));
}
