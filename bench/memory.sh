#!/usr/bin/env bash
# Memory after bursts: builds Release, starts hftp-server on loopback, and runs bench/memory.py's three loads
# (500 x 20 MiB slices at once; 1000 stalled readers of a 100 MiB slice; 10,000 idle connections), printing the
# server's RSS before, at the peak and 30 s after each. About 2.5 minutes.
# Usage: bench/memory.sh [scenario ...]   HFTP_SERVER_DLL=path/to/hftp-server.dll measures another build.
set -euo pipefail
# A relative HFTP_SERVER_DLL is relative to where the script was started, not to the repository root.
server_dll=${HFTP_SERVER_DLL:+$(realpath -m "$HFTP_SERVER_DLL")}
cd "$(dirname "$0")/.."
source bench/common.sh

scratch=$(mktemp -d /tmp/hftp-memory.XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

if [ -z "$server_dll" ]; then
  dotnet build -c Release src/Hftp.Server -v q -nologo | grep -E " error |rror\(s\)" || true
  server_dll=src/Hftp.Server/bin/Release/net10.0/hftp-server.dll
fi

mkdir -p "$scratch/data"
head -c $((20 << 20)) /dev/urandom > "$scratch/data/m20.bin"
truncate -s $((100 << 20)) "$scratch/data/g100.bin"

ulimit -n "$(ulimit -Hn)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dotnet "$server_dll" --address 127.0.0.1 --port "$port" --dir "$scratch/data" --log-level Information > "$scratch/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

echo "== hftp-server $server_dll (pid $server_pid) on 127.0.0.1:$port"
echo "Stamp: $(stamp)"
python3 bench/memory.py "$port" "$server_pid" "$@"
echo "== server log: warnings, errors and memory given back"
grep -E "WRN|ERR|FTL|Gave memory back" "$scratch/server.log" | cut -c1-220 | head -20 || true
