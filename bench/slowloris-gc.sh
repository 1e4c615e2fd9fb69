#!/usr/bin/env bash
# Collections during a slowloris, per server revision: with 10,000 threads alive each collection stops them all for
# tens of milliseconds, so what the server allocates while a slowloris is shed shows in a fresh client's p99. Publishes
# each revision's server (ReadyToRun Release, as compare.sh), builds a startup hook (a few lines of C#, written here)
# that prints the process's collections and allocated bytes every second, then runs `hftp-benchmark slowloris` (as
# compare.sh: 10,000 connections, a byte each every 5 s, 20 s, --request-timeout 10s) with bench/probe.py beside,
# against each revision in turn, ROUNDS times, the order alternating. Prints per run: what was allocated and collected
# while the connections were held (5-10 s) and while they were shed (10-20 s), the fresh client's p99 by 5 s window, and
# the server's CPU. Usage: bench/slowloris-gc.sh REV [REV...] [--rounds N]   (2 revisions, 2 rounds: about 6 min)
set -euo pipefail
repository=$(cd "$(dirname "$0")/.." && pwd)
cd "$repository"
# shellcheck source=bench/common.sh disable=SC1091  # followed with shellcheck -x
source bench/common.sh
parse_revisions slowloris-gc.sh "$@"
make_scratch slowloris-gc
echo "# bench/slowloris-gc.sh, $(stamp)"
for revision in "${revisions[@]}"; do
  publish_revision "$revision" "$scratch/$revision"
done
dotnet build src/Hftp.Benchmark "${build_flags[@]}" > "$scratch/build.log" 2>&1 || { tail -20 "$scratch/build.log" >&2; exit 1; }
generator=$(find src/Hftp.Benchmark/bin/Release -name hftp-benchmark.dll | head -1)

build_startup_hook GcHook <<'EOF'
// Loaded by DOTNET_STARTUP_HOOKS into the server: one line a second, seconds since start, collections, allocated MB.
internal static class StartupHook
{
    public static void Initialize() => new Thread(() =>
    {
        using var log = new StreamWriter(Environment.GetEnvironmentVariable("GC_LOG")!) { AutoFlush = true };
        for (var second = 0; ; second++)
        {
            log.WriteLine($"{second} {GC.CollectionCount(0)} {GC.GetTotalAllocatedBytes() / 1e6:0.00}");
            Thread.Sleep(1000);
        }
    }) { IsBackground = true }.Start();
}
EOF
printf '%s\n' '!Que calor que hace hoy, pinta una birra!' > "$scratch/archivo.txt"
ulimit -n "$(ulimit -Hn)"

echo
echo "| round | server | allocated MB, held / shed | collections, held / shed | fresh p99 ms by 5 s (load's probe) | probe.py p99 ms | CPU s |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  order_of_round "$round"
  for revision in "${order[@]}"; do
    port=$(free_port)
    GC_LOG=$scratch/gc.log DOTNET_STARTUP_HOOKS=$scratch/hook/out/GcHook.dll "$scratch/$revision/r2r/hftp-server" --address 127.0.0.1 \
      --port "$port" --dir "$scratch" --log-level Warning --request-timeout 10s --idle-timeout 30s > "$scratch/server.log" 2>&1 &
    server=$!; pids+=("$server")
    wait_port "$port"
    timeout 200 dotnet "$generator" slowloris -f archivo.txt -c 10000 --interval-ms 5000 --seconds 20 --port "$port" \
      --server-pid "$server" > "$scratch/load.txt" 2>&1 &
    load=$!
    timeout 60 python3 bench/probe.py --port "$port" --file archivo.txt --seconds 20 --rate 100 > "$scratch/probe.txt" 2>&1 || true
    wait "$load" || true
    cpu=$(awk '{ printf "%.1f", ($14 + $15) / 100 }' "/proc/$server/stat")
    kill "$server"; wait "$server" 2>/dev/null || true
    # Seconds 5, 10 and 20 of the server's own log: held from 5 to 10, shed from 10 to 20.
    read -r held_mb shed_mb held_gc shed_gc < <(awk '{ mb[$1] = $3; gc[$1] = $2 } END { printf "%.1f %.1f %d %d\n", mb[10] - mb[5], mb[20] - mb[10], gc[10] - gc[5], gc[20] - gc[10] }' "$scratch/gc.log")
    windows=$(sed -n 's/.*p99 by 5 s window: //p' "$scratch/load.txt")
    python_p99=$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' "$scratch/probe.txt")
    echo "| $round | \`${revision:0:9}\` | $held_mb / $shed_mb | $held_gc / $shed_gc | $windows | ${python_p99:-?} | $cpu |"
    sleep 3
  done
done
