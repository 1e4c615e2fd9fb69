#!/usr/bin/env bash
# Publishes hftp-server with Native AOT and measures what a deployer gets: the executable's size (stat) and its
# start-up time to the first reply (hftp-benchmark's startup probe: start the process, connect until the port
# answers, time the first get_file_listing; N rounds). Prints a table stamped with the date, commit and machine, and
# writes it into docs/performance.md between its "bench/aot.sh" markers.
#
#   bench/aot.sh [--rounds N] [--no-write]     (about 3 minutes, most of it the publish; needs clang and zlib1g-dev)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=21 write=true
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --no-write) write=false ;;
    *) echo "usage: bench/aot.sh [--rounds N] [--no-write]" >&2; exit 1 ;;
  esac
  shift
done
for tool in clang dotnet; do
  command -v "$tool" > /dev/null || { echo "aot.sh: $tool is missing (Native AOT needs clang and zlib1g-dev)" >&2; exit 1; }
done

# shellcheck source=bench/common.sh
source bench/common.sh
scratch=$(mktemp -d /tmp/hftp-aot.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

echo "== dotnet publish src/Hftp.Server -c Release -r linux-x64 -p:PublishAot=true"
publish_start=$SECONDS
dotnet publish src/Hftp.Server -c Release -r linux-x64 -p:PublishAot=true -o "$scratch/aot" -v q -nologo > "$scratch/publish.log" \
  || { cat "$scratch/publish.log"; exit 1; }
publish_seconds=$((SECONDS - publish_start))
executable=$scratch/aot/hftp-server
size=$(stat -c %s "$executable")

echo "== startup probe, $rounds rounds"
stamp_before=$(stamp)
dotnet build -c Release src/Hftp.Benchmark -v q -nologo > "$scratch/build.log" || { cat "$scratch/build.log"; exit 1; }
mkdir "$scratch/data"
echo hello > "$scratch/data/f.txt"
port=$(free_port)
dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll startup --port "$port" --rounds "$rounds" -- \
  "$executable" --address 127.0.0.1 --port "$port" --dir "$scratch/data" --log-level Warning | tee "$scratch/startup.txt"
# "startup: COMMAND: median M ms to first reply (of N: t1, t2, ...)", the times sorted.
read -r median fastest slowest < <(sed -n 's/.*median \([0-9.]*\) ms to first reply (of [0-9]*: \(.*\))$/\1 \2/p' "$scratch/startup.txt" \
  | tr -d ',' | awk '{ print $1, $2, $NF }')
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat > "$scratch/table.md" << TABLE
Stamp: $stamp_before when the probe started ($load_after after it). Measured by \`bench/aot.sh\`; the publish
took ${publish_seconds} s. A load average above the core count means other work shared the cores: start-up times
are then slower than on an idle machine.

| Native AOT \`hftp-server\` (linux-x64) | figure |
|---|---:|
| executable size (\`stat -c %s\`, without \`hftp-server.dbg\`) | $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }') MiB) |
| start-up to the first reply, median of $rounds | $median ms |
| fastest, slowest start-up | $fastest ms, $slowest ms |
TABLE
echo
cat "$scratch/table.md"
if $write; then python3 bench/write_block.py docs/performance.md bench/aot.sh "$scratch/table.md"; fi
