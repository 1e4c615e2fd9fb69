#!/usr/bin/env bash
# Raw slices (2026) against nginx, side by side: alternating pairs of hftp-server raw bulk 64 MiB and nginx's sendfile
# over HTTP by the same client (hftp-load, then hftp-benchmark), the base64 bulk of the same pair beside them, each on
# one connection; then the peak RSS of a fresh server that sends only 1 GiB raw slices (/usr/bin/time -v and VmHWM).
# Prints each pair's ratios and their medians, and each server's CPU seconds per GB sent (user + system, from
# /proc/PID/stat): on a machine shared with other work the MB/s swing, the CPU a server spends per byte much less. bench/run.sh measures the same rows within its full run; this is the
# quick form (about 3 minutes with the defaults, plus the Release builds).
# The same pairs also run against a second server with HFTP_SENDFILE=0 and HFTP_ENCODE_AHEAD=0 ("plain": raw slices
# through a buffer, base64 encoded on the connection's thread): what the server's two fast paths are worth.
# Usage: bench/raw.sh [--pairs 6] [--seconds 3] [--server-exe PATH (default: a ReadyToRun Release publish of this tree)]
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=6 seconds=3 server_exe=
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=${2:?}; shift ;;
    --seconds) seconds=${2:?}; shift ;;
    --server-exe) server_exe=${2:?}; shift ;;
    *) echo "usage: bench/raw.sh [--pairs N] [--seconds S] [--server-exe PATH]" >&2; exit 1 ;;
  esac
  shift
done

source bench/common.sh
make_scratch raw
stamp_before=$(stamp)

if [ -z "$server_exe" ]; then
  dotnet publish src/Hftp.Server -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$scratch/r2r" -v q -nologo >/dev/null
  server_exe=$scratch/r2r/hftp-server
fi
dotnet build -c Release src/Hftp.Benchmark -v q -nologo | grep -E "error|Warn" || true
bench() { dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll "$@"; }
gcc -O2 -Wall -o "$scratch/hftp-load" bench/hftp-load.c
load() { "$scratch/hftp-load" "$@"; }

mkdir -p "$scratch/data"
head -c $((64 << 20)) /dev/urandom > "$scratch/data/m64.bin"
for _ in $(seq 16); do cat "$scratch/data/m64.bin"; done > "$scratch/data/g1.bin"
chmod 755 "$scratch/data"; chmod 644 "$scratch/data"/*

hftp_port=$(free_port) nginx_port=$(free_port)
"$server_exe" --address 127.0.0.1 --port "$hftp_port" --dir "$scratch/data" --log-level Warning > "$scratch/hftp.log" 2>&1 &
hftp_pid=$!; pids+=("$hftp_pid")
plain_port=$(free_port)
HFTP_SENDFILE=0 HFTP_ENCODE_AHEAD=0 "$server_exe" --address 127.0.0.1 --port "$plain_port" --dir "$scratch/data" --log-level Warning > "$scratch/plain.log" 2>&1 &
plain_pid=$!; pids+=("$plain_pid")
start_nginx "$scratch" "$nginx_port" "$scratch/data"
wait_port "$hftp_port"; wait_port "$plain_port"; wait_port "$nginx_port"
mapfile -t nginx_workers < <(pgrep -P "${pids[-1]}")
nginx_pids=("${pids[-1]}" "${nginx_workers[@]}")
# CPU ticks (user + system) of the processes given, summed.
cpu_ticks() { local pid total=0 fields; for pid in "$@"; do read -r -a fields < "/proc/$pid/stat"; total=$((total + fields[13] + fields[14])); done; echo "$total"; }
ticks_per_second=$(getconf CLK_TCK)

results=$scratch/results.txt
record() { # label, then the command; keeps its RESULT line's mbps, and the server's CPU seconds per GB, under the label
  local label=$1 server=("$hftp_pid") before mbps replies; shift
  [[ $label == *nginx* ]] && server=("${nginx_pids[@]}")
  [[ $label == *plain* ]] && server=("$plain_pid")
  before=$(cpu_ticks "${server[@]}")
  "$@" > "$scratch/last.txt" || echo "(this load reported errors: $*)"
  mbps=$(grep '^RESULT' "$scratch/last.txt" | grep -oE 'mbps=[0-9.]+' | cut -d= -f2 || true)
  replies=$(grep '^RESULT' "$scratch/last.txt" | grep -oE 'replies=[0-9]+' | cut -d= -f2 || true)
  echo "$label mbps=${mbps:-0} cpu_s_per_gb=$(awk -v t=$(($(cpu_ticks "${server[@]}") - before)) -v hz="$ticks_per_second" -v n="${replies:-0}" \
    -v size="$(stat -c %s "$local_file")" 'BEGIN { printf "%.3f", (n > 0 ? t / hz / (n * size / 1e9) : 0) }')" | tee -a "$results"
}
local_file=$scratch/data/m64.bin
for pair in $(seq "$pairs"); do
  load_raw=(record "load raw $pair" load bulk --raw --port "$hftp_port" --local "$local_file" -d "$seconds" --discard)
  load_base64=(record "load base64 $pair" load bulk --port "$hftp_port" --local "$local_file" -d "$seconds" --discard)
  load_plain_raw=(record "load plain-raw $pair" load bulk --raw --port "$plain_port" --local "$local_file" -d "$seconds" --discard)
  load_plain_base64=(record "load plain-base64 $pair" load bulk --port "$plain_port" --local "$local_file" -d "$seconds" --discard)
  load_nginx=(record "load nginx $pair" load http --port "$nginx_port" --local "$local_file" --url-path /m64.bin -d "$seconds" --discard)
  bench_raw=(record "bench raw $pair" bench bulk --raw -f m64.bin -c 1 --port "$hftp_port" --duration "$seconds")
  bench_base64=(record "bench base64 $pair" bench bulk -f m64.bin -c 1 --port "$hftp_port" --duration "$seconds")
  bench_plain_raw=(record "bench plain-raw $pair" bench bulk --raw -f m64.bin -c 1 --port "$plain_port" --duration "$seconds")
  bench_plain_base64=(record "bench plain-base64 $pair" bench bulk -f m64.bin -c 1 --port "$plain_port" --duration "$seconds")
  bench_nginx=(record "bench nginx $pair" bench http-bulk --url-path /m64.bin -c 1 --port "$nginx_port" --duration "$seconds")
  # nginx in the middle, each fast path beside its plain form, sides swapping every pair: a drift in the machine's
  # speed falls on both alike.
  if [ $((pair % 2)) = 1 ]; then
    "${load_raw[@]}"; "${load_plain_raw[@]}"; "${load_nginx[@]}"; "${load_base64[@]}"; "${load_plain_base64[@]}"
    "${bench_raw[@]}"; "${bench_plain_raw[@]}"; "${bench_nginx[@]}"; "${bench_base64[@]}"; "${bench_plain_base64[@]}"
  else
    "${load_plain_base64[@]}"; "${load_base64[@]}"; "${load_nginx[@]}"; "${load_plain_raw[@]}"; "${load_raw[@]}"
    "${bench_plain_base64[@]}"; "${bench_base64[@]}"; "${bench_nginx[@]}"; "${bench_plain_raw[@]}"; "${bench_raw[@]}"
  fi
done

echo "== raw 1 GiB slices against a fresh server under /usr/bin/time -v"
rss_port=$(free_port)
/usr/bin/time -v -o "$scratch/time-raw.txt" "$server_exe" --address 127.0.0.1 --port "$rss_port" --dir "$scratch/data" --log-level Warning > "$scratch/rss.log" 2>&1 &
time_pid=$!; pids+=("$time_pid")
wait_port "$rss_port"
rss_server=$(pgrep -P "$time_pid" | head -1)
load bulk --raw --port "$rss_port" --local "$scratch/data/g1.bin" -d $((seconds * 3)) --discard | tail -1
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$rss_server/status")
kill "$rss_server"; wait "$time_pid" || true
echo "raw 1 GiB: peak RSS $(awk '/Maximum resident set size/ { printf "%.1f", $NF / 1024 }' "$scratch/time-raw.txt") MB by /usr/bin/time -v," \
  "VmHWM $(awk -v kb="$hwm_kb" 'BEGIN { printf "%.1f", kb / 1024 }') MB" | tee "$scratch/rss.txt"

python3 - "$results" <<'PY' | tee "$scratch/summary.txt"
import statistics, sys
mbps, cpu = {}, {}
for line in open(sys.argv[1]):
    client, kind, pair, *pairs = line.split()
    values = dict(item.split("=", 1) for item in pairs)
    mbps[client, kind, pair] = float(values["mbps"] or "nan")
    cpu[client, kind, pair] = float(values["cpu_s_per_gb"])
for client in ("load", "bench"):
    pairs = sorted({pair for c, _, pair in mbps if c == client}, key=int)
    for kind in ("raw", "base64"):
        ratios = [mbps[client, kind, p] / mbps[client, "nginx", p] for p in pairs if mbps.get((client, "nginx", p), 0) > 0]
        print(f"{client} {kind}/nginx per pair: " + " ".join(f"{r:.2f}" for r in ratios) + f"  median {statistics.median(ratios):.2f}x")
    for kind in ("raw", "base64"):
        ratios = [mbps[client, kind, p] / mbps[client, "plain-" + kind, p] for p in pairs if mbps.get((client, "plain-" + kind, p), 0) > 0]
        print(f"{client} {kind}/plain-{kind} per pair: " + " ".join(f"{r:.2f}" for r in ratios) + f"  median {statistics.median(ratios):.2f}x")
    kinds = ("raw", "plain-raw", "nginx", "base64", "plain-base64")
    print(f"{client} medians MB/s: " + ", ".join(f"{k} {statistics.median(mbps[client, k, p] for p in pairs):,.0f}" for k in kinds))
    print(f"{client} medians of the server's CPU s per GB: " + ", ".join(f"{k} {statistics.median(cpu[client, k, p] for p in pairs):.3f}" for k in kinds))
PY

# The same summary, stamped, into docs/performance.md between its bench/raw.sh markers.
{
  echo "Stamp: $stamp_before when the loads started (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)."
  echo "Measured by \`bench/raw.sh --pairs $pairs --seconds $seconds\`: hftp-server raw (\`get_slice NAME 0 SIZE raw\`) and base64"
  echo "bulk 64 MiB on one connection, each paired with nginx's sendfile over HTTP by the same client; plain-raw and"
  echo "plain-base64: a second server with HFTP_SENDFILE=0 and HFTP_ENCODE_AHEAD=0, without its two fast paths."
  echo
  echo '```text'
  cat "$scratch/summary.txt" "$scratch/rss.txt"
  echo '```'
} > "$scratch/block.md"
python3 bench/write_block.py docs/performance.md bench/raw.sh "$scratch/block.md"
