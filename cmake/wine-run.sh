#!/usr/bin/env bash
# Run a Windows program under wine with the environment weft's tests need
# (docs/toolchains.md): a 64-bit prefix, quiet logs except module load errors,
# no Mono/Gecko install prompts, no debugger that could turn a crash into
# exit 0, no display, and no address randomisation for wine's own loader
# (below).
#
#   wine-run.sh prog.exe [args...]   run a program (CMAKE_CROSSCOMPILING_EMULATOR)
#   wine-run.sh --start-server       start a persistent wineserver and boot
#                                    the prefix (ctest setup fixture)
#   wine-run.sh --stop-server        stop that wineserver (cleanup fixture)
#
# WINEPREFIX comes from the environment (WeftTesting.cmake points it into
# the build directory); without it a per-user prefix under /tmp is used.
set -euo pipefail

export WINEPREFIX="${WINEPREFIX:-${TMPDIR:-/tmp}/weft-wine-$(id -u)}"
export WINEARCH=win64
export WINEDEBUG="-all,err+module"
export WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
unset DISPLAY WAYLAND_DISPLAY

# Debian's wine 8 ships no wine64-preloader. Without it, wine reserves the
# fixed addresses Windows needs (the shared user data at 0x7ffe0000) only
# once its loader, linked at 0x7d000000, is running, and Linux starts that
# loader's brk heap at a random place up to 1 GB above it. About once in
# 5,000-8,000 starts the heap's first 132 KB already cover 0x7ffe0000 and
# the process exits 1 before any Windows code runs ("failed to map the
# shared user data: c0000018", silenced by WINEDEBUG), whatever it links.
# Without randomisation the heap starts just past the loader, 48 MB below.
# setarch -R sets a personality flag that every process wine starts
# inherits; where a sandbox forbids it, wine runs as before.
run_wine=(wine)
if command -v setarch >/dev/null; then
  arch="$(uname -m)"
  if setarch "$arch" -R true 2>/dev/null; then
    run_wine=(setarch "$arch" -R wine)
  fi
fi

start_server() {
  mkdir -p "$WINEPREFIX"  # wineserver refuses to start without it
  # The server and everything wineboot starts must not hold ctest's output
  # pipe, or ctest waits for them until the test's timeout.
  # A server still running for this prefix (a repeated run) refuses -p:
  # that is fine, the boot below is what must work.
  wineserver -p </dev/null >/dev/null 2>&1 || true
  "${run_wine[@]}" cmd /c exit 0 </dev/null >/dev/null 2>&1
}

stop_server() {
  wineserver -k </dev/null >/dev/null 2>&1 || true
  wineserver -w </dev/null >/dev/null 2>&1 || true # until it is gone
}

case "${1:-}" in
  --start-server) start_server ;;
  --stop-server) stop_server ;;
  "") echo "usage: $0 prog.exe [args...] | --start-server | --stop-server" >&2; exit 2 ;;
  *) exec "${run_wine[@]}" "$@" ;;
esac
