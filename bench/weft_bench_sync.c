/* weft_bench_sync: the synchronisation areas of weft_bench alone -
 * hand-offs, timed waits, queues, timers and thread-local values - for a
 * shorter run (the rows and options are weft_bench's; see weft_bench.c).
 *
 *   weft_bench_sync [--quick] [--only TEXT] [--area LIST] [--csv FILE]
 *
 * Exit status: 0, or 1 when a count came out wrong or a call failed;
 * --quick is what the test suite runs on every row. */
#include "bench.h"

int main(int argc, char **argv) {
  return bench_main("weft_bench_sync", "handoff,wait,queue,timer,local", argc, argv);
}
