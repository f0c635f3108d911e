/* The tutorial's doctor: a thread is alive until its run() returns. The
 * dying patient only asks its question, so the doctor's answer right after
 * start may be either (the seed's race, kept); the living one sleeps after
 * asking, so it is alive when the doctor looks. After join both are gone.
 *
 *   dying.isAlive()                        weft_thread_is_alive(dying)
 */
#include <stdio.h>
#include <weft.h>

static void patient(void *arg) {
  (void)arg;
  printf("Patient: Doctor, am I going to die?\n");
}

static void living_patient(void *arg) {
  patient(arg);
  weft_sleep(1.0); /* the seed's time.sleep(10), shorter */
}

static bool doctor(const weft_thread *t) {
  bool alive = weft_thread_is_alive(t);
  printf("%s\n", alive ? "Doctor: No." : "Doctor: Next!");
  return alive;
}

int main(void) {
  weft_thread *dying = weft_thread_new(patient, NULL);
  weft_thread_start(dying);
  doctor(dying);

  weft_thread *living = weft_thread_new(living_patient, NULL);
  weft_thread_start(living);
  bool living_alive = doctor(living);

  weft_thread_join(dying, WEFT_FOREVER);
  weft_thread_join(living, WEFT_FOREVER);
  bool gone = !weft_thread_is_alive(dying) && !weft_thread_is_alive(living);
  weft_thread_unref(dying);
  weft_thread_unref(living);
  if (!living_alive || !gone) {
    printf("FAIL: living patient alive while asleep: %d; both gone after join: %d\n", living_alive,
           gone);
    return 1;
  }
  printf("the living patient was alive while it slept; after join both are gone\n");
  return 0;
}
