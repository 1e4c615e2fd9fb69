#!/usr/bin/env bash
# Bytes a server allocates per fresh client, per revision: with thousands of connection threads alive each collection
# stops them all for tens of milliseconds, so what a new client costs in allocation sets how often the clients beside
# it stall (docs/architecture.md, Memory). Publishes each revision's server (ReadyToRun Release, as compare.sh), loads a
# startup hook (written here) that prints the process's exact allocated bytes when asked, then has bench/probe.py's way
# of connecting (Python, one connection per get_metadata) open 2,000 clients to warm up and 20,000 more, one after
# another, and prints allocated bytes / 20,000 for each revision, ROUNDS times in alternating order.
# Usage: bench/client-allocations.sh REV [REV...] [--rounds N]   (2 revisions, 2 rounds: about 3 min)
set -euo pipefail
repository=$(cd "$(dirname "$0")/.." && pwd)
cd "$repository"
# shellcheck source=bench/common.sh disable=SC1091  # followed with shellcheck -x
source bench/common.sh
parse_revisions client-allocations.sh "$@"
clients=20000
make_scratch client-allocations
echo "# bench/client-allocations.sh, $(stamp)"
for revision in "${revisions[@]}"; do
  publish_revision "$revision" "$scratch/$revision"
done

build_startup_hook AllocationHook <<'CS'
// Loaded by DOTNET_STARTUP_HOOKS into the server: whenever the file $ALLOCATIONS.ask appears, writes the process's exact
// allocated bytes to $ALLOCATIONS and removes the .ask file.
internal static class StartupHook
{
    public static void Initialize() => new Thread(() =>
    {
        var answer = Environment.GetEnvironmentVariable("ALLOCATIONS")!;
        while (true)
        {
            Thread.Sleep(100);
            if (File.Exists(answer + ".ask"))
            {
                File.WriteAllText(answer, GC.GetTotalAllocatedBytes(precise: true).ToString());
                File.Delete(answer + ".ask");
            }
        }
    }) { IsBackground = true }.Start();
}
CS
printf '%s\n' '!Que calor que hace hoy, pinta una birra!' > "$scratch/archivo.txt"
answer=$scratch/allocations
# allocated: the server's allocated bytes now, asked through the hook (at most 10 s).
allocated() {
  touch "$answer.ask"
  for _ in $(seq 100); do [ -e "$answer.ask" ] || { cat "$answer"; return; }; sleep 0.1; done
  echo "the server did not answer" >&2; exit 1
}

echo
echo "| round | server | bytes allocated per fresh client |"
echo "|---|---|---:|"
for round in $(seq "$rounds"); do
  order_of_round "$round"
  for revision in "${order[@]}"; do
    port=$(free_port)
    ALLOCATIONS=$answer DOTNET_STARTUP_HOOKS=$scratch/hook/out/AllocationHook.dll "$scratch/$revision/r2r/hftp-server" \
      --address 127.0.0.1 --port "$port" --dir "$scratch" --log-level Warning > "$scratch/server.log" 2>&1 &
    server=$!; pids+=("$server")
    wait_port "$port"
    python3 bench/probe.py --port "$port" --file archivo.txt --seconds 600 --rate 100000 --count 2000 > /dev/null
    before=$(allocated)
    python3 bench/probe.py --port "$port" --file archivo.txt --seconds 600 --rate 100000 --count "$clients" > "$scratch/probe.txt"
    after=$(allocated)
    kill "$server"; wait "$server" 2>/dev/null || true
    grep -q "failures=0" "$scratch/probe.txt" || { echo "clients failed: $(head -1 "$scratch/probe.txt")" >&2; exit 1; }
    echo "| $round | \`${revision:0:9}\` | $(( (after - before) / clients )) |"
  done
done
