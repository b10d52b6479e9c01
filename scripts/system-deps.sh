#!/usr/bin/env bash
# Debian packages the console needs that a fresh machine may lack: Qt's runtime
# libraries (the X11 platform a desktop uses, and the offscreen one the tests use) and,
# for the tests, PostgreSQL.
# Usage: scripts/system-deps.sh [--with-postgres]
set -euo pipefail
want=()
for lib in libEGL.so.1:libegl1 libxkbcommon.so.0:libxkbcommon0 libfontconfig.so.1:libfontconfig1 \
           libGL.so.1:libgl1 libdbus-1.so.3:libdbus-1-3 libxkbcommon-x11.so.0:libxkbcommon-x11-0 \
           libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 \
           libxcb-keysyms.so.1:libxcb-keysyms1; do
  ldconfig -p | grep -q "${lib%%:*}" || want+=("${lib##*:}")
done
if [ "${1:-}" = "--with-postgres" ]; then
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || want+=(postgresql)
fi
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${want[*]} (install them with: sudo apt-get install ${want[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
