#!/usr/bin/env bash
# Pipelined get_metadata, builds side by side: hftp-benchmark small with 32 connections and 16 requests in flight
# each (and without pipelining, for contrast), cross-checked by nc sending 1,000,000 requests down one connection
# (timed by /usr/bin/time). The builds alternate within each round. About 1 minute per build and round.
#
#   bench/pipeline.sh [--rounds N] NAME=path/to/hftp-server.dll ...     (default: this tree's Release build)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

rounds=3 builds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?}; shift ;;
    *=*) builds+=("$1") ;;
    *) echo "usage: bench/pipeline.sh [--rounds N] NAME=DLL ..." >&2; exit 1 ;;
  esac
  shift
done
dotnet build -c Release src/Hftp.Benchmark -v q -nologo | grep -E " error |rror\(s\)" || true
if [ ${#builds[@]} -eq 0 ]; then
  dotnet build -c Release src/Hftp.Server -v q -nologo | grep -E " error |rror\(s\)" || true
  builds=("this=src/Hftp.Server/bin/Release/net10.0/hftp-server.dll")
fi

make_scratch pipeline
head -c $((64 << 20)) /dev/urandom > "$scratch/big.bin"
for _ in $(seq 1000000); do printf 'get_metadata big.bin\r\n'; done > "$scratch/requests"
declare -A port
for build in "${builds[@]}"; do
  name=${build%%=*} port[$name]=$(free_port)
  dotnet "${build#*=}" --address 127.0.0.1 --port "${port[$name]}" --dir "$scratch" --log-level Warning > "$scratch/$name.log" 2>&1 &
  pids+=("$!")
  wait_port "${port[$name]}"
done

echo "Stamp: $(stamp)"
bench() { dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll "$@" | grep '^RESULT' | grep -oE 'rps=[0-9]+' | cut -d= -f2; }
for round in $(seq "$rounds"); do
  for build in "${builds[@]}"; do
    name=${build%%=*} p=${port[${build%%=*}]}
    pipelined=$(bench small --port "$p" -f big.bin -c 32 -P 16 -d 5)
    single=$(bench small --port "$p" -f big.bin -c 32 -d 5)
    seconds=$({ /usr/bin/time -f %e bash -c "nc -N 127.0.0.1 $p < '$scratch/requests' > /dev/null"; } 2>&1)
    echo "round $round $name: 32 connections x 16 in flight $pipelined req/s; 32 x 1 $single req/s; nc 1,000,000 on one connection $seconds s"
  done
done
