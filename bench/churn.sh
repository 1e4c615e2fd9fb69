#!/usr/bin/env bash
# Fresh clients beside idle ones: each server holds 8,000 idle connections (hftp-load open), then 30,000 clients
# connect one after another, each asking get_file_listing and get_metadata and leaving. With thousands of connection
# threads alive every garbage collection stops and scans them all (about 100 ms at 8,000), so what each new client
# allocates decides how often everyone stalls. Prints, per server and round, the seconds the 30,000 took and their
# connect-to-reply p50/p99/max. Servers log at Information (a connected and a closed line per client), as deployed.
# Usage: bench/churn.sh [--rounds N] NAME=SERVER_DLL_OR_EXE...   (rounds alternate the servers; about 40 s each)
# e.g.   bench/churn.sh old=/tmp/old/r2r/hftp-server.dll new=/tmp/new/r2r/hftp-server.dll
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=2 servers=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?}; shift ;;
    *=*) servers+=("$1") ;;
    *) echo "usage: bench/churn.sh [--rounds N] NAME=SERVER..." >&2; exit 1 ;;
  esac
  shift
done
[ "${#servers[@]}" -gt 0 ] || { echo "usage: bench/churn.sh [--rounds N] NAME=SERVER..." >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"

source bench/common.sh
make_scratch churn
gcc -O2 -Wall -o "$scratch/hftp-load" bench/hftp-load.c
mkdir -p "$scratch/data" && printf 'hello world' > "$scratch/data/archivo.txt"
echo "# bench/churn.sh: $(stamp)"
for round in $(seq "$rounds"); do
  for spec in "${servers[@]}"; do
    name=${spec%%=*} server=${spec#*=} port=$(free_port)
    run=("$server"); [[ $server == *.dll ]] && run=(dotnet "$server")
    "${run[@]}" --address 127.0.0.1 --port "$port" --dir "$scratch/data" --idle-timeout 300s --log-level Information \
      > "$scratch/$name.log" 2>&1 &
    server_pid=$!; pids+=("$server_pid")
    wait_port "$port"
    "$scratch/hftp-load" open --port "$port" --local "$scratch/data/archivo.txt" --name archivo.txt -n 8000 --hold-seconds 60 \
      > "$scratch/open.txt" 2>&1 &
    holder_pid=$!; pids+=("$holder_pid")
    for _ in $(seq 300); do grep -q "^holding" "$scratch/open.txt" && break; sleep 0.1; done
    result=$(python3 - "$port" <<'PYTHON'
import socket, sys, time
port, latencies = int(sys.argv[1]), []
started = time.monotonic()
for _ in range(30000):
    begun = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(b"get_file_listing\r\nget_metadata archivo.txt\r\n")
        reply = b""
        while reply.count(b"\r\n") < 5:
            chunk = client.recv(4096)
            if not chunk:
                sys.exit("closed early")
            reply += chunk
    latencies.append((time.monotonic() - begun) * 1000)
    if time.monotonic() - started > 120:
        sys.exit("over 120 s")
latencies.sort()
print(f"30000 clients in {time.monotonic() - started:.1f} s; p50 {latencies[15000]:.2f} ms, "
      f"p99 {latencies[29700]:.1f} ms, max {latencies[-1]:.1f} ms")
PYTHON
)
    echo "round $round $name: $result; idle: $(grep -o '[0-9]* served' "$scratch/open.txt" | head -1)"
    kill "$holder_pid" "$server_pid"; wait "$holder_pid" "$server_pid" 2>/dev/null || true
  done
done
