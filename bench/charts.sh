#!/usr/bin/env bash
# charts.sh: turn weft_bench's CSV (--csv FILE) into PNG charts.
#
#   bench/charts.sh [CSV] [OUTDIR]      defaults: bench.csv, docs/bench
#
# Needs bash, awk and gnuplot (Debian: gnuplot-nox). Writes:
#   lock-throughput.png  contended lock: Mops/s of both sides by thread
#                        count, and the throughput and CPU ratios
#   lock-latency.png     contended lock: fairness and acquire latency
#                        (p99, max) of both sides by thread count
#   lock-methods.png     2-thread contention measured eight ways: the
#                        throughput and CPU ratios of each
#   handoff.png          ping-pong round trips/s and CPU per round trip,
#                        by primitive and placement
#   timers.png           burst lateness (p50, p99, last) of both sides, and
#                        the CPU ratios of timed waits and a single timer
#                        (against the plain sleep and a raw timer thread)
# Only the CSV's last column (note) may hold commas, so the others split
# on "," alone.
set -euo pipefail

csv=${1:-bench.csv}
out=${2:-docs/bench}
if [[ ! -r "$csv" ]]; then
  echo "charts.sh: cannot read $csv (make it with: weft_bench --csv $csv)" >&2
  exit 2
fi
command -v gnuplot >/dev/null || {
  echo "charts.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2
  exit 2
}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pick BENCHMARK METRIC LABEL-COLUMNS...: one line per matching row,
#   "label" weft raw ratio cpu_ratio weft_cpu_us raw_cpu_us
# with the label made of the named columns (threads, placement, variant)
# and NaN for empty figures.
pick() {
  local bench=$1 metric=$2
  shift 2
  awk -F, -v bench="$bench" -v metric="$metric" -v cols="$*" '
    function num(v) { return v == "" ? "NaN" : v }
    function us(v) { return v == "" ? "NaN" : v * 1e6 }
    BEGIN { n = split(cols, want, " ") }
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["benchmark"] == bench && $col["metric"] == metric {
      label = ""
      for (k = 1; k <= n; k++) label = label (k > 1 ? " " : "") $col[want[k]]
      printf "\"%s\" %s %s %s %s %s %s\n", label, num($col["weft"]), num($col["raw"]),
             num($col["ratio"]), num($col["cpu_ratio"]), us($col["weft_cpu_s"]),
             us($col["raw_cpu_s"])
    }' "$csv"
}

# The run's description, for the titles.
run=$(awk -F, 'NR > 1 && $2 == "run" { sub(/^[^"]*"/, ""); sub(/"$/, ""); print; exit }' "$csv")

pick lock.contended throughput threads >"$work/lock_tp"
pick lock.contended fairness threads >"$work/lock_fair"
pick lock.contended p99 threads >"$work/lock_p99"
pick lock.contended max threads >"$work/lock_max"
pick lock.method throughput variant >"$work/methods"
: >"$work/handoff"
for prim in cond event sem; do
  pick "handoff.$prim" "round trips" placement | sed "s/^\"/\"$prim /" >>"$work/handoff"
done
: >"$work/burst"
for m in lateness-p50 lateness-p99 lateness-max; do
  pick timer.burst "$m" metric >>"$work/burst"
done
: >"$work/cpu"
for b in wait.event wait.cond wait.sem; do
  pick "$b" lateness-p50 benchmark >>"$work/cpu"
done
pick timer.single lateness-p50 variant |
  sed -n -e 's/^"vs-sleep"/"timer vs sleep"/p' -e 's/^"vs-timer-thread"/"timer vs raw timer thread"/p' >>"$work/cpu"

common='
set terminal pngcairo size 1200,520 font ",10"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left
set xtics rotate by -30
'

plot_if() { # FILE: true if it has rows
  [[ -s "$1" ]]
}

if plot_if "$work/lock_tp"; then
  gnuplot <<EOF
$common
set output "$out/lock-throughput.png"
set multiplot layout 1,2 title "Contended lock, unpinned, time window (${run//\"/})"
set title "throughput (Mops/s, higher is better)"
set xlabel "threads"
set yrange [0:*]
plot "$work/lock_tp" using 2:xtic(1) title "weft", "" using 3 title "raw"
set title "weft / raw (<= 1 is better)"
set style data linespoints
set yrange [0:*]
plot "$work/lock_tp" using 0:4:xtic(1) title "time per op ratio" lw 2, \
     "" using 0:5 title "CPU per op ratio" lw 2, 1 title "" lc "black" dt 2
unset multiplot
EOF
fi

if plot_if "$work/lock_fair"; then
  gnuplot <<EOF
$common
set output "$out/lock-latency.png"
set multiplot layout 1,2 title "Contended lock: fairness and acquire latency (${run//\"/})"
set logscale y
set xlabel "threads"
set title "fairness: max/min ops per thread (lower is fairer)"
plot "$work/lock_fair" using 2:xtic(1) title "weft", "" using 3 title "raw"
set title "acquire latency (us, log)"
set key top left
plot "$work/lock_p99" using 2:xtic(1) title "weft p99", "" using 3 title "raw p99", \
     "$work/lock_max" using 2 title "weft max", "" using 3 title "raw max"
unset multiplot
EOF
fi

if plot_if "$work/methods"; then
  gnuplot <<EOF
$common
set output "$out/lock-methods.png"
set title "2-thread contention measured eight ways: weft / raw (<= 1 is better) (${run//\"/})"
set bmargin 7
set yrange [0:*]
plot "$work/methods" using 4:xtic(1) title "time per op ratio", "" using 5 title "CPU per op ratio", \
     1 with lines title "" lc "black" dt 2
EOF
fi

if plot_if "$work/handoff"; then
  gnuplot <<EOF
$common
set output "$out/handoff.png"
set multiplot layout 1,2 title "Hand-offs between two threads (${run//\"/})"
set logscale y
set bmargin 6
set title "round trips (M/s, log; higher is better)"
plot "$work/handoff" using 2:xtic(1) title "weft", "" using 3 title "raw"
set title "CPU per round trip (us, log)"
plot "$work/handoff" using 6:xtic(1) title "weft", "" using 7 title "raw"
unset multiplot
EOF
fi

if plot_if "$work/burst"; then
  gnuplot <<EOF
$common
set output "$out/timers.png"
set multiplot layout 1,2 title "Timers (${run//\"/})"
set logscale y
set title "burst due together: lateness (us, log), raw = a thread per timer"
plot "$work/burst" using 2:xtic(1) title "weft", "" using 3 title "raw"
unset logscale y
set yrange [0:*]
set title "CPU per 10 ms timed wait, and per single timer: weft / raw"
set bmargin 6
plot "$work/cpu" using 5:xtic(1) title "CPU ratio", 1 with lines title "" lc "black" dt 2
unset multiplot
EOF
fi

ls -1 "$out"/*.png
