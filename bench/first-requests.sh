#!/usr/bin/env bash
# What thousands of connection threads' first requests cost, per revision: 4,000 connections asking get_metadata in a
# loop (hftp-benchmark small, one request in flight each, 8 s), each revision's server (ReadyToRun Release, as
# compare.sh) started fresh for the load and warmed by 2 s at 32 connections. Prints requests/s, the server's CPU per
# request, and the page faults the server took during the load (minflt + majflt of /proc/PID/stat): a connection
# thread whose first request allocates takes a fresh allocation context (8 KB of the young generation, cleared page
# by page), about three pages more per thread (docs/architecture.md, Memory). ROUNDS times in alternating order.
# Usage: bench/first-requests.sh REV [REV...] [--rounds N]   (3 revisions, 4 rounds: about 6 min)
set -euo pipefail
repository=$(cd "$(dirname "$0")/.." && pwd)
cd "$repository"
# shellcheck source=bench/common.sh disable=SC1091  # followed with shellcheck -x
source bench/common.sh
parse_revisions first-requests.sh "$@"
make_scratch first-requests
echo "# bench/first-requests.sh, $(stamp)"
for revision in "${revisions[@]}"; do
  publish_revision "$revision" "$scratch/$revision"
done
dotnet build "$scratch/${revisions[-1]}/src/src/Hftp.Benchmark" "${build_flags[@]}" > "$scratch/benchmark-build.log" 2>&1 \
  || { tail -20 "$scratch/benchmark-build.log" >&2; exit 1; }
generator=$(find "$scratch/${revisions[-1]}/src/src/Hftp.Benchmark/bin/Release" -name hftp-benchmark.dll | head -1)
head -c $((64 << 20)) /dev/urandom > "$scratch/m64.bin"
ulimit -n "$(ulimit -Hn)"
# faults PID: the process's page faults so far, minor and major.
faults() { awk '{ print $10 + $12 }' "/proc/$1/stat"; }
# field NAME: a key of the RESULT line of the last load.
field() { grep '^RESULT' "$scratch/last.txt" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }

echo
echo "| round | server | requests/s | server CPU µs per request | page faults during the load |"
echo "|---|---|---:|---:|---:|"
for round in $(seq "$rounds"); do
  order_of_round "$round"
  for revision in "${order[@]}"; do
    port=$(free_port)
    "$scratch/$revision/r2r/hftp-server" --address 127.0.0.1 --port "$port" --dir "$scratch" --log-level Warning \
      > "$scratch/server.log" 2>&1 &
    server=$!; pids+=("$server")
    wait_port "$port"
    timeout 60 dotnet "$generator" small -f m64.bin -c 32 -P 1 --port "$port" --duration 2 > /dev/null
    before=$(faults "$server")
    timeout 120 dotnet "$generator" small -f m64.bin -c 4000 -P 1 --port "$port" --duration 8 --server-pid "$server" \
      > "$scratch/last.txt" 2>&1 || { echo "the load failed:" >&2; tail -5 "$scratch/last.txt" >&2; exit 1; }
    after=$(faults "$server")
    kill "$server"; wait "$server" 2>/dev/null || true
    echo "| $round | \`${revision:0:9}\` | $(field rps) | $(field server_cpu_us_per_request) | $((after - before)) |"
  done
done
