#!/usr/bin/env bash
# Checks deploy/hftp-server.service the way systemd would read it, without installing it: `systemd-analyze verify`
# (which insists that ExecStart's binary exists, so the unit is checked as a copy pointing at a stand-in executable,
# or at BINARY if given), then `systemd-analyze security --offline=true` for its exposure score.
#
#   deploy/verify-unit.sh [BINARY]
#
# Exits non-zero if verify reports anything. Needs systemd-analyze (Debian: apt-get install -y systemd).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
unit="$here/hftp-server.service"
command -v systemd-analyze > /dev/null || { echo "verify-unit.sh: systemd-analyze is missing (apt-get install -y systemd)" >&2; exit 1; }

work=$(mktemp -d -t hftp-unit.XXXXXX)
trap 'rm -rf "$work"' EXIT
# A relative BINARY is relative to where the script was started; the checks below run in the scratch folder.
binary=${1:+$(realpath -m "$1")}
if [ -n "$binary" ] && [ ! -x "$binary" ]; then
  echo "verify-unit.sh: $1 is not an executable file" >&2
  exit 1
fi
if [ -z "$binary" ]; then
  binary="$work/hftp-server"
  printf '#!/bin/sh\nexit 0\n' > "$binary"
  chmod 755 "$binary"
fi
sed "s|^ExecStart=/usr/local/bin/hftp-server |ExecStart=$binary |" "$unit" > "$work/hftp-server.service"
grep -q "^ExecStart=$binary " "$work/hftp-server.service" || { echo "verify-unit.sh: no ExecStart=/usr/local/bin/hftp-server line to check" >&2; exit 1; }

echo "== systemd-analyze verify deploy/hftp-server.service"
report=$(cd "$work" && { systemd-analyze verify hftp-server.service 2>&1 || true; })
if [ -n "$report" ]; then
  echo "$report"
  echo "verify-unit.sh: systemd-analyze verify reported the above" >&2
  exit 1
fi
echo "no findings"

echo "== systemd-analyze security --offline=true deploy/hftp-server.service"
(cd "$work" && systemd-analyze security --offline=true --no-pager hftp-server.service) | tail -n 1
