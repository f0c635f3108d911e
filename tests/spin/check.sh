#!/usr/bin/env bash
# Verify one of weft's Promela models with spin.
#
#   check.sh <model.pml>               the model must verify: no error in the
#                                      safety search (assertions, invalid end
#                                      states) nor in the non-progress search
#   check.sh <model.pml> expect-fail   a kept negative model: the safety search
#                                      must report an assertion violation; the
#                                      shortest trail is replayed
#
# Works in a temporary directory (the model's folder is copied there, so
# includes resolve and no trail lands in the source tree) and removes it.
# Exit status: 0 when the result is the expected one, 1 when it is not, 2
# when the model cannot be checked (usage, spin or the compiler failed).
# SPIN and SPIN_CC name the tools (default spin, cc); SPIN_CFLAGS replaces
# the flags pan is compiled with (default -O0: these models are small, and
# an optimised build of pan.c costs more time than it saves); PAN_FLAGS
# replaces the search options (default -m100000 -w20).
set -u

usage() {
  echo "usage: $0 <model.pml> [expect-fail]" >&2
  exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
model=$1
expect=pass
if [ $# -eq 2 ]; then
  [ "$2" = expect-fail ] || usage
  expect=fail
fi
[ -f "$model" ] || { echo "check.sh: no such model: $model" >&2; exit 2; }

spin=${SPIN:-spin}
cc=${SPIN_CC:-cc}
cflags=${SPIN_CFLAGS:--O0}
pan_flags=${PAN_FLAGS:--m100000 -w20}
name=$(basename "$model")
dir=$(cd "$(dirname "$model")" && pwd) || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-spin.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
cp "$dir"/*.pml "$dir"/*.inc "$tmp"/ 2>/dev/null
cd "$tmp" || exit 2

# fail_tool <what> <log>: the model could not be checked at all.
fail_tool() {
  cat "$2"
  echo "check.sh: $name: $1 failed" >&2
  exit 2
}

# summary <log>: pan's report without the list of unreached statements.
summary() {
  awk '/^unreached in/ { skip = 1 } /^pan: elapsed/ { skip = 0 } !skip' "$1"
}

# errors <log>: the error count pan reported, or "none" if it did not finish.
errors() {
  local n
  n=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$1" | tail -n 1)
  echo "${n:-none}"
}

# verified <log>: pan searched the whole state space and found no error.
verified() {
  [ "$(errors "$1")" = 0 ] &&
    ! grep -qE "max search depth too small|Search not completed|out of memory" "$1"
}

"$spin" -a "$name" >spin.log 2>&1 || fail_tool "spin -a" spin.log

if [ "$expect" = fail ]; then
  # Breadth-first: the trail is a shortest counterexample.
  # shellcheck disable=SC2086 # cflags is a list of options
  "$cc" $cflags -w -DSAFETY -DBFS -o pan pan.c >cc.log 2>&1 || fail_tool "compiling pan" cc.log
  # shellcheck disable=SC2086 # pan_flags is a list of options
  ./pan $pan_flags >pan.log 2>&1
  summary pan.log
  n=$(errors pan.log)
  if [ "$n" = none ] || [ "$n" -eq 0 ] || ! grep -q "assertion violated" pan.log; then
    echo "check.sh: $name: FAIL: spin found no assertion violation in a model it must reject"
    exit 1
  fi
  echo
  echo "== the counterexample (spin -t -p, shortest trail) =="
  # Each step of the processes, without init's and the bare control flow.
  "$spin" -t -p -k "$name.trail" "$name" 2>&1 | grep -E '^ *[0-9]+:|assertion violated' |
    grep -vE 'proc +[0-9]+ \(:init:|\[(\(1\)|else|break|goto :?[a-z0-9_]*)\]$' | head -n 300
  echo "check.sh: $name: rejected as expected ($n error(s): $(grep -m1 'assertion violated' pan.log))"
  exit 0
fi

status=0
# shellcheck disable=SC2086
"$cc" $cflags -w -DSAFETY -o pan_safety pan.c >cc.log 2>&1 || fail_tool "compiling pan" cc.log
echo "== safety: assertions and invalid end states =="
# shellcheck disable=SC2086
./pan_safety $pan_flags >safety.log 2>&1
summary safety.log
if ! verified safety.log; then
  echo "check.sh: $name: FAIL: safety search: errors: $(errors safety.log), or incomplete"
  status=1
fi

# shellcheck disable=SC2086
"$cc" $cflags -w -DNP -o pan_np pan.c >cc.log 2>&1 || fail_tool "compiling pan -DNP" cc.log
echo "== liveness: non-progress cycles (every run ends) =="
# shellcheck disable=SC2086
./pan_np -l $pan_flags >np.log 2>&1
summary np.log
if ! verified np.log; then
  echo "check.sh: $name: FAIL: non-progress search: errors: $(errors np.log), or incomplete"
  status=1
fi

[ "$status" -eq 0 ] && echo "check.sh: $name: verified (errors: 0)"
exit "$status"
