#!/usr/bin/env bash
# Compares the servers of two revisions on the headline loads, side by side on this machine: extracts both with
# git archive, publishes each server (ReadyToRun Release, as bench/run.sh does), builds the load generator
# (src/Hftp.Benchmark) of NEW_REV only, so both servers meet the same client, starts nginx and Redis as anchors, and
# runs every load against OLD and NEW one right after the other, the order swapped every round, so a drift in the
# machine's speed falls on both alike. Prints (stdout) the date, both commits and the machine, then one markdown
# table: medians over the rounds, and new/old as the median of each round's own ratio. Progress goes to stderr.
# Loads as bench/run.sh's full mode (--quick: its quick mode's durations, the same connection counts), except, to
# stay within the time: slowloris 20 s (run.sh: 60 s; the connections are shed about 10 s after they open, at
# --request-timeout 10s, so the rest of a minute measures a server at rest) and 100,000 Redis GETs (run.sh: 400,000).
# The old and new server alike get --request-timeout 10s and --idle-timeout 30s for slowloris when their --help lists
# them. Beside the idle and slowloris loads, bench/probe.py (Python) measures a fresh client too, independently of the
# load's own probe. Every load meets a server started for it alone, warmed by 2 s of get_metadata, and stopped after
# it. With one long-lived server a side, A/A runs (the same binary on both sides) measured identical servers 0.32-0.41
# apart on slowloris (2026-12-07 19:31) and 0.78 on get_metadata at 4,000 connections (22:46): the bias followed the
# process and what it had served before, not the order of the runs.
# Usage: bench/compare.sh OLD_REV NEW_REV [--quick] [--rounds N]   (3 rounds, about 19 min; --quick: one round of
# shorter loads, about 8 min). The last column shows each round's new/old: latency rows move by 2x or more between
# rounds on a shared 2-core machine, and the median of 3 cannot say whether two servers are within 10%; 5 rounds can
# say more. The same revision on both sides (HEAD HEAD) shows what the machine alone does to each row.
set -euo pipefail
repository=$(cd "$(dirname "$0")/.." && pwd)

usage() { echo "usage: bench/compare.sh OLD_REV NEW_REV [--quick] [--rounds N]" >&2; exit 1; }
arguments="$*" revisions=() quick=false rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true ;;
    --rounds) [[ "${2:-}" =~ ^[1-9][0-9]?$ ]] || usage; rounds=$2; shift ;;
    -*) usage ;;
    *) revisions+=("$1") ;;
  esac
  shift
done
[ "${#revisions[@]}" = 2 ] || usage

duration=8 bulk_seconds=4 redis_requests=100000 idle=10000 opens=10000 slowloris=10000 slowloris_seconds=20
# The 4,000-connection load by hftp-load runs longer: admitting 4,000 clients takes the servers 3-6 s, and the
# starvation figure counts only the requests sent once every connection has had its first reply.
starvation_seconds=20
if $quick; then rounds=1 duration=3 bulk_seconds=2 starvation_seconds=12; fi

cd "$repository"
commit_of() { git rev-parse --verify --quiet "$1^{commit}" || { echo "not a commit: $1" >&2; exit 1; }; }
old_commit=$(commit_of "${revisions[0]}")
new_commit=$(commit_of "${revisions[1]}")
# shellcheck source=bench/common.sh disable=SC1091  # followed with shellcheck -x
source bench/common.sh

make_scratch compare
progress() { echo "$(date -u +%H:%M:%S) $*" >&2; }

for tool in nginx redis-server redis-benchmark gcc; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y nginx-light redis-server redis-tools gcc" >&2; exit 1; }
done

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "# bench/compare.sh $arguments"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- old: \`$(git log -1 --format='%h %s' "$old_commit")\`"
echo "- new: \`$(git log -1 --format='%h %s' "$new_commit")\`"
echo "- machine: $(nproc) cores, ${model:-unknown CPU}, $(uname -srm); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- rounds: $rounds; loads of ${duration} s, bulk ${bulk_seconds} s, slowloris ${slowloris_seconds} s"
echo

for side in old new; do
  commit=${side}_commit
  progress "extracting and publishing the $side server (${!commit:0:9})"
  publish_revision "${!commit}" "$scratch/$side"
done
progress "building the load generator of the new revision"
dotnet build "$scratch/new/src/src/Hftp.Benchmark" "${build_flags[@]}" > "$scratch/benchmark-build.log" 2>&1 \
  || { tail -20 "$scratch/benchmark-build.log" >&2; exit 1; }
generator=$(find "$scratch/new/src/src/Hftp.Benchmark/bin/Release" -name hftp-benchmark.dll | head -1)
gcc -O2 -Wall -o "$scratch/hftp-load" "$scratch/new/src/bench/hftp-load.c"

progress "generating files"
data=$scratch/data
mkdir -p "$data"
head -c $((64 << 20)) /dev/urandom > "$data/m64.bin"
for _ in $(seq 16); do cat "$data/m64.bin"; done > "$data/g1.bin"
printf '!Que calor que hace hoy, pinta una birra!' > "$data/archivo.txt"
chmod 755 "$data"; chmod 644 "$data"/*

ulimit -n "$(ulimit -Hn)"
threads_of() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
server_port='' server_pid='' server_baseline=''
# start_fresh SIDE [OPTION...]: the SIDE's server for one load, on a free loopback port (its port, PID and thread count
# at rest), warmed by 2 s of get_metadata at 32 connections so that its hot paths run tiered-up code from the start.
start_fresh() {
  local side=$1; shift
  server_port=$(free_port)
  "$scratch/$side/r2r/hftp-server" --address 127.0.0.1 --port "$server_port" --dir "$data" --log-level Warning "$@" \
    > "$scratch/$side.log" 2>&1 &
  server_pid=$!; pids+=("$!")
  wait_port "$server_port"
  server_baseline=$(threads_of "$server_pid")
  bench 60 small -f m64.bin -c 32 -P 1 --port "$server_port" --duration 2
}
# stop_fresh: stops that server by its PID and waits for it to exit, so no thread of it shares the cores with the next.
stop_fresh() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
declare -A slow_options
for side in old new; do
  slow_options[$side]=""
  help=$("$scratch/$side/r2r/hftp-server" --help)
  if grep -q -- --request-timeout <<< "$help"; then slow_options[$side]+=" --request-timeout 10s"; fi
  if grep -q -- --idle-timeout <<< "$help"; then slow_options[$side]+=" --idle-timeout 30s"; fi
done
nginx_port=$(free_port)
start_nginx "$scratch" "$nginx_port" "$data"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --maxclients 4200 > "$scratch/redis.log" 2>&1 &
pids+=("$!")
wait_port "$nginx_port"; wait_port "$redis_port"

results=$scratch/results.txt
: > "$results"
note() { echo "$1 $2 $3 $4" >> "$results"; }  # key, side (old, new, anchor), round, value
# A key of the RESULT line of the last load, or nothing.
field() { grep '^RESULT' "$scratch/last.txt" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p" || true; }
# run SECONDS COMMAND...: runs a load, bounded to SECONDS, its output in last.txt; says so when it failed.
run() {
  local bound=$1; shift
  if ! timeout -k 5 "$bound" "$@" > "$scratch/last.txt" 2>&1; then
    progress "   (reported errors or timed out: $*)"
    grep -m3 -E '^(error|warning|probe failed)' "$scratch/last.txt" >&2 || true
  fi
}
bench() { run "$1" dotnet "$generator" "${@:2}"; }
# independent_probe KEY SIDE ROUND PORT SECONDS: bench/probe.py beside a load, a fresh client 100 times a second. The
# load's own probe shares a process with thousands of client sockets and its pauses; this one (no .NET) cross-checks it.
independent_probe() {
  timeout -k 5 $(($5 + 30)) python3 "$repository/bench/probe.py" --port "$4" --file archivo.txt --seconds "$5" --rate 100 \
    > "$scratch/probe.txt" 2>&1 || progress "   (bench/probe.py failed: $(head -1 "$scratch/probe.txt"))"
  note "$1" "$2" "$3" "$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' "$scratch/probe.txt")"
}
sides_of() { if [ $(($1 % 2)) = 1 ]; then echo old new; else echo new old; fi; }

for round in $(seq "$rounds"); do
  read -r -a sides <<< "$(sides_of "$round")"
  progress "== round $round of $rounds, ${sides[0]} first: bulk, one connection"
  for file in 64m:m64.bin 1g:g1.bin; do
    size=${file%%:*} name=${file#*:}
    for side in "${sides[@]}"; do
      start_fresh "$side"
      bench 120 bulk -f "$name" -c 1 --port "$server_port" --duration "$bulk_seconds"
      stop_fresh
      note "base64_$size" "$side" "$round" "$(field mbps)"
    done
    bench 120 http-bulk --url-path "/$name" -c 1 --port "$nginx_port" --duration "$bulk_seconds"
    note "base64_$size" anchor "$round" "$(field mbps)"; note "raw_$size" anchor "$round" "$(field mbps)"
    for side in "${sides[@]}"; do
      start_fresh "$side"
      bench 120 bulk --raw -f "$name" -c 1 --port "$server_port" --duration "$bulk_seconds"
      stop_fresh
      note "raw_$size" "$side" "$round" "$(field mbps)"
    done
  done

  for connections in 32 1000 4000; do
    progress "== round $round: get_metadata, $connections connections, pipeline 1"
    for side in "${sides[@]}"; do
      start_fresh "$side"
      bench $((duration + 120)) small -f m64.bin -c "$connections" -P 1 --port "$server_port" --duration "$duration" --server-pid "$server_pid"
      stop_fresh
      rps=$(field rps) p99=$(field p99_ms) mean=$(field mean_ms)
      # Closed loop, one request in flight per connection: mean latency = connections / throughput (Little's law).
      [ -n "$mean" ] || mean=$(awk -v c="$connections" -v r="${rps:-0}" 'BEGIN { if (r > 0) printf "%.3f", 1000 * c / r }')
      note "small_${connections}_rps" "$side" "$round" "$rps"
      note "small_${connections}_p99" "$side" "$round" "$p99"
      note "small_${connections}_mean" "$side" "$round" "$mean"
      note "small_${connections}_p99_mean" "$side" "$round" "$(awk -v p="${p99:-0}" -v m="${mean:-0}" 'BEGIN { if (m > 0) printf "%.2f", p / m }')"
    done
    # redis-benchmark's own figures: requests/s, mean and p99 latency.
    csv=$(timeout -k 5 300 redis-benchmark -h 127.0.0.1 -p "$redis_port" -t get -c "$connections" -P 1 -n "$redis_requests" --csv 2>/dev/null \
      | grep '^"GET"' | tr -d '"' || true)
    IFS=, read -r _ rps mean _ _ _ p99 _ <<< "${csv:-GET,,,,,,,}"
    note "small_${connections}_rps" anchor "$round" "$rps"
    note "small_${connections}_p99" anchor "$round" "$p99"
    note "small_${connections}_mean" anchor "$round" "$mean"
    note "small_${connections}_p99_mean" anchor "$round" "$(awk -v p="${p99:-0}" -v m="${mean:-0}" 'BEGIN { if (m > 0) printf "%.2f", p / m }')"
  done

  # The starvation check, by the C generator (one epoll thread, lighter than the 4,000 threads of hftp-benchmark):
  # each connection's first reply (admission: the server accepts it and gives it a thread) apart from the requests
  # sent once every connection has had one (does any connection starve once all are served?).
  progress "== round $round: get_metadata, 4000 connections, by hftp-load"
  for side in "${sides[@]}" anchor; do
    if [ "$side" = anchor ]; then
      run $((starvation_seconds + 60)) "$scratch/hftp-load" redis --port "$redis_port" --local "$data/archivo.txt" -c 4000 -d "$starvation_seconds"
    else
      start_fresh "$side"
      run $((starvation_seconds + 60)) "$scratch/hftp-load" small --port "$server_port" --local "$data/archivo.txt" -c 4000 \
        -d "$starvation_seconds"
      stop_fresh
    fi
    note c4000_rps "$side" "$round" "$(field rps)"
    note c4000_first_p99 "$side" "$round" "$(field first_p99_ms)"
    note c4000_all_served "$side" "$round" "$(field all_served_s)"
    note c4000_later_p99_mean "$side" "$round" "$(awk -v p="$(field later_p99_ms)" -v m="$(field later_mean_ms)" 'BEGIN { if (m > 0) printf "%.2f", p / m }')"
  done

  progress "== round $round: opening $opens connections (each served once, all held)"
  for side in "${sides[@]}"; do
    start_fresh "$side"
    bench 180 open -f m64.bin -c "$opens" --port "$server_port" --duration 60 --server-pid "$server_pid"
    stop_fresh
    note open_rate "$side" "$round" "$(field conn_per_s)"
  done

  progress "== round $round: $idle idle connections held"
  for side in "${sides[@]}"; do
    start_fresh "$side"
    bench $((duration + 180)) idle -f m64.bin -c "$idle" --port "$server_port" --duration "$duration" --server-pid "$server_pid" &
    loading=$!
    # The independent probe once the server holds them all (a thread each) and the last accepts are a second past,
    # ending within the load's own probe time: a fresh client beside idle connections, not beside connections opening.
    for _ in $(seq 900); do
      [ "$(threads_of "$server_pid")" -ge $((server_baseline + idle * 99 / 100)) ] && break
      sleep 0.1
    done
    sleep 1
    independent_probe idle_py_p99 "$side" "$round" "$server_port" $((duration - 3))
    wait "$loading"
    stop_fresh
    note idle_kb "$side" "$round" "$(field rss_kb_per_connection)"
    note idle_p99 "$side" "$round" "$(field probe_p99_ms)"
  done

  progress "== round $round: slowloris, $slowloris connections for $slowloris_seconds s"
  for side in "${sides[@]}"; do
    # shellcheck disable=SC2086  # the options are words
    start_fresh "$side" ${slow_options[$side]}
    bench $((slowloris_seconds + 180)) slowloris -f archivo.txt -c "$slowloris" --interval-ms 5000 --seconds "$slowloris_seconds" \
      --port "$server_port" --server-pid "$server_pid" &
    loading=$!
    independent_probe slowloris_py_p99 "$side" "$round" "$server_port" "$slowloris_seconds"
    wait "$loading"
    stop_fresh
    note slowloris_p99 "$side" "$round" "$(field probe_p99_ms)"
  done
done

progress "done"
python3 - "$results" "$idle" "$opens" "$slowloris" <<'PYTHON'
import statistics
import sys

path, idle, opens, slowloris = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
values = {}  # (key, side) -> {round: value}
for line in open(path):
    key, side, round_, value = (line.split() + [""] * 4)[:4]
    try:
        values.setdefault((key, side), {})[round_] = float(value)
    except ValueError:
        pass  # the load gave no figure: it failed, and said so on stderr

def median(key, side):
    found = list(values.get((key, side), {}).values())
    return statistics.median(found) if found else None

def ratios(key):
    old, new = values.get((key, "old"), {}), values.get((key, "new"), {})
    return [new[r] / old[r] for r in sorted(old, key=int) if r in new and old[r] > 0]

def shown(value):
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"

rows = [
    ("base64_64m", "base64 bulk 64 MiB, 1 connection, MB/s", "nginx"),
    ("base64_1g", "base64 bulk 1 GiB, 1 connection, MB/s", "nginx"),
    ("raw_64m", "raw bulk 64 MiB, 1 connection, MB/s", "nginx"),
    ("raw_1g", "raw bulk 1 GiB, 1 connection, MB/s", "nginx"),
]
for connections in (32, 1000, 4000):
    rows.append((f"small_{connections}_rps", f"get_metadata {connections:,} connections, requests/s", "redis GET"))
    rows.append((f"small_{connections}_p99", f"get_metadata {connections:,} connections, p99 ms", "redis GET"))
rows += [
    ("small_4000_mean", "get_metadata 4,000 connections, mean ms (connections / requests/s)", "redis GET"),
    ("small_4000_p99_mean", "get_metadata 4,000 connections, p99 / mean", "redis GET"),
    ("c4000_rps", "get_metadata 4,000 connections by hftp-load, requests/s", "redis GET, same client"),
    ("c4000_first_p99", "the same, each connection's first reply, p99 ms", "redis GET, same client"),
    ("c4000_all_served", "the same, seconds until every connection had its first reply", "redis GET, same client"),
    ("c4000_later_p99_mean", "the same, requests sent after that, p99 / mean", "redis GET, same client"),
    ("idle_kb", f"{idle:,} idle connections, server KB per connection", None),
    ("idle_p99", f"{idle:,} idle connections, fresh-client p99 ms", None),
    ("idle_py_p99", "the same by bench/probe.py (independent client), p99 ms", None),
    ("open_rate", f"open {opens:,} connections (held), connections/s", None),
    ("slowloris_p99", f"slowloris {slowloris:,}, fresh-client p99 ms", None),
    ("slowloris_py_p99", "the same by bench/probe.py (independent client), p99 ms", None),
]
print("| load | old | new | new/old | anchor | each round's new/old |")
print("|---|---:|---:|---:|---|---|")
for key, label, anchor in rows:
    each = ratios(key)
    anchor_text = f"{shown(median(key, 'anchor'))} ({anchor})" if anchor else ""
    print(f"| {label} | {shown(median(key, 'old'))} | {shown(median(key, 'new'))} | "
          f"{f'{statistics.median(each):.2f}' if each else 'n/a'} | {anchor_text} | {' '.join(f'{r:.2f}' for r in each)} |")
PYTHON
echo
echo "Medians of the rounds; new/old is the median of each round's own ratio (above 1: more MB/s, requests/s, connections/s,"
echo "but also more ms and KB). Anchors measured in the same rounds: nginx by hftp-benchmark http-bulk (sendfile), Redis"
echo "by redis-benchmark GET, its own mean and p99. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
