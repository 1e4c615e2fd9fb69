#!/usr/bin/env bash
# What --metrics costs: pipelined get_metadata (32 connections, 16 in flight, 5 s) against a server without and
# with --metrics (scraped every second), alternating, 3 rounds; prints one line per run. Loopback only; every
# process is stopped by its PID. Figures on a shared machine are indicative.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/Hftp.Server >/dev/null
dotnet build -c Release src/Hftp.Benchmark >/dev/null
server=src/Hftp.Server/bin/Release/net10.0/hftp-server.dll
generator=src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll
files=$(mktemp -d)
trap 'rm -rf "$files"' EXIT
head -c 1048576 /dev/urandom > "$files/big.bin"

for round in 1 2 3; do
  for metrics in off on; do
    port=$((19700 + round * 2)); extra=()
    if [ "$metrics" = on ]; then port=$((port + 1)); extra=(--metrics 127.0.0.1:19799); fi
    dotnet "$server" --address 127.0.0.1 --port "$port" --dir "$files" --log-level Warning "${extra[@]}" >/dev/null 2>&1 &
    pid=$!
    sleep 2
    scraper=
    if [ "$metrics" = on ]; then
      (for _ in $(seq 1 12); do curl -s -o /dev/null http://127.0.0.1:19799/metrics; sleep 1; done) &
      scraper=$!
    fi
    echo "round $round metrics=$metrics $(dotnet "$generator" small --port "$port" -f big.bin -c 32 -P 16 -d 5 2>&1 | grep '^RESULT')"
    if [ -n "$scraper" ]; then kill "$scraper" 2>/dev/null || true; fi
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
