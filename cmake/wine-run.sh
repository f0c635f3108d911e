#!/usr/bin/env bash
# Run a Windows program under wine with the environment weft's tests need
# (docs/toolchains.md): a 64-bit prefix, quiet logs except module load errors,
# no Mono/Gecko install prompts, no debugger that could turn a crash into
# exit 0, and no display.
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

start_server() {
  mkdir -p "$WINEPREFIX"  # wineserver refuses to start without it
  # The server and everything wineboot starts must not hold ctest's output
  # pipe, or ctest waits for them until the test's timeout.
  # A server still running for this prefix (a repeated run) refuses -p:
  # that is fine, the boot below is what must work.
  wineserver -p </dev/null >/dev/null 2>&1 || true
  wine cmd /c exit 0 </dev/null >/dev/null 2>&1
}

stop_server() {
  wineserver -k </dev/null >/dev/null 2>&1 || true
  wineserver -w </dev/null >/dev/null 2>&1 || true # until it is gone
}

case "${1:-}" in
  --start-server) start_server ;;
  --stop-server) stop_server ;;
  "") echo "usage: $0 prog.exe [args...] | --start-server | --stop-server" >&2; exit 2 ;;
  *) exec wine "$@" ;;
esac
