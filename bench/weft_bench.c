/* weft_bench: everything bench/ measures, in one run, each figure against
 * the backend's own primitive measured in the same run (raw.h), with the
 * process's CPU per operation beside every wall-time figure.
 *
 *   weft_bench [--quick] [--only TEXT] [--area LIST] [--csv FILE]
 *
 * The areas, one file each: bench_lock.c (uncontended and contended locks,
 * fairness, acquire latency, the ways of measuring 2-thread contention),
 * bench_thread.c (start+join), bench_handoff.c (ping-pong on one CPU,
 * across two, unpinned), bench_wait.c (10 ms timed waits that time out),
 * bench_queue.c, bench_timer.c (pending timers, lateness, bursts of 1000
 * and 100k due together) and bench_local.c. charts.sh turns the --csv
 * output into charts.
 *
 * Exit status: 0, or 1 when a count came out wrong or a call failed. Slow
 * ratios never fail the run (the CI machines are too noisy for that);
 * --quick (a few seconds) is what the test suite runs on every row. */
#include "bench.h"

int main(int argc, char **argv) {
  return bench_main("weft_bench", "all", argc, argv);
}
