#!/usr/bin/env bash
# The one-connection bulk rows measured by an independent client (bench/bulk_client.c, plain C, no decoding) rather
# than hftp-benchmark: get_slice of a 64 MiB and a 1 GiB file against hftp-server, and GET of the same files against
# nginx with sendfile (configured as bench/run.sh does), alternating the servers round by round. Prints each round,
# then the medians, the ratio to nginx and the server's peak RSS (VmHWM). Loopback only; stops what it starts by PID.
# Usage: bench/bulk-raw.sh [--rounds N] [--server-exe PATH]   (default: 5 rounds; a ReadyToRun Release build of this tree)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 server_exe=
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --server-exe) server_exe=${2:?--server-exe needs a path}; shift ;;
    *) echo "usage: bench/bulk-raw.sh [--rounds N] [--server-exe PATH]" >&2; exit 1 ;;
  esac
  shift
done

scratch=$(mktemp -d /tmp/hftp-bulk-raw.XXXXXX)
chmod 755 "$scratch"  # nginx workers do not run as root
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

command -v nginx > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light > /dev/null; }
gcc -O2 -o "$scratch/bulk_client" bench/bulk_client.c
if [ -z "$server_exe" ]; then
  echo "== building Release (ReadyToRun)"
  dotnet publish src/Hftp.Server -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$scratch/r2r" -v q -nologo > /dev/null
  server_exe=$scratch/r2r/hftp-server
fi

mkdir -p "$scratch/data"
head -c $((64 << 20)) /dev/urandom > "$scratch/data/m64.bin"
for _ in $(seq 16); do cat "$scratch/data/m64.bin"; done > "$scratch/data/g1.bin"

source bench/common.sh

hftp_port=$(free_port)
"$server_exe" --address 127.0.0.1 --port "$hftp_port" --dir "$scratch/data" --log-level Warning > "$scratch/hftp.log" 2>&1 &
hftp_pid=$!; pids+=("$hftp_pid")
nginx_port=$(free_port)
start_nginx "$scratch" "$nginx_port" "$scratch/data"
wait_port "$hftp_port"; wait_port "$nginx_port"

results=$scratch/results.txt
for round in $(seq "$rounds"); do
  for load in "m64.bin $((64 << 20)) 8" "g1.bin $((1 << 30)) 2"; do
    set -- $load
    "$scratch/bulk_client" hftp "$hftp_port" "$1" "$2" "$3" | tee -a "$results"
    "$scratch/bulk_client" http "$nginx_port" "$1" "$2" "$3" | tee -a "$results"
  done
done

echo "== medians of $rounds rounds (payload MB/s: file bytes per second, one connection)"
python3 - "$results" <<'PY'
import re, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\w+) (\S+) payload_MBps_mean=(\d+)", line)
    if m:
        rates.setdefault((m[1], m[2]), []).append(int(m[3]))
for name in ("m64.bin", "g1.bin"):
    hftp, nginx = statistics.median(rates[("hftp", name)]), statistics.median(rates[("http", name)])
    print(f"RESULT bulk_raw file={name} hftp_MBps={hftp:.0f} nginx_MBps={nginx:.0f} ratio={hftp / nginx:.2f}")
PY
echo "hftp-server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$hftp_pid/status)"
