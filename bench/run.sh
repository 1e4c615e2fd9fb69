#!/usr/bin/env bash
# Builds Release, runs fixed loads against hftp-server and, as comparison points (anchors), nginx (same files
# over HTTP keep-alive), Redis (GET) and a course-style Python thread-per-connection HFTP server on loopback,
# alternating servers each round, then the abuse loads (soak, slowloris), and writes the medians, stamped with the
# date, commit and machine, into docs/performance.md between its "bench/run.sh" markers. Every hftp-server figure is measured twice: by hftp-benchmark (src/Hftp.Benchmark) and by the
# independent C generator bench/hftp-load.c; nginx by hftp-benchmark http-bulk and hftp-load http (both let the
# kernel drop the bodies they do not check), and by curl and wrk (which copy every byte: their figures show what
# a copying client caps nginx at); RSS also by ps and /usr/bin/time -v.
# Usage: bench/run.sh [--quick] [--abuse] [--server-src DIR]   (full: ~25 min, quick: ~5 min; --abuse runs
# only soak and slowloris and rewrites only the "Under abuse" part of docs/performance.md; --server-src
# measures the server of another source tree, e.g. one extracted with `git archive BRANCH | tar -x -C DIR`)
set -euo pipefail
repository=$(cd "$(dirname "$0")/.." && pwd)

rounds=3 duration=8 bulk_pairs=8 bulk_seconds=4 idle=10000 opens=10000 p1_requests=400000 p16_requests=4000000
soak_clients=200 soak_seconds=60 slowloris=10000 slowloris_seconds=60
abuse_only=false server_src=.
arguments=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=1 duration=3 bulk_pairs=2 bulk_seconds=2 idle=2000 opens=2000 p1_requests=100000 p16_requests=1000000
             soak_clients=32 soak_seconds=10 slowloris=2000 slowloris_seconds=20 ;;
    --abuse) abuse_only=true ;;
    --server-src) server_src=$(realpath -m "${2:?--server-src needs a directory}"); shift ;;
    *) echo "usage: bench/run.sh [--quick] [--abuse] [--server-src DIR]" >&2; exit 1 ;;
  esac
  shift
done
cd "$repository"
# Which server is measured: this tree's commit, or the SERVER_COMMIT file written beside an extracted tree.
if [ "$server_src" = . ]; then
  server_commit=$(git rev-parse --short HEAD)
else
  server_commit="$(cat "$server_src/SERVER_COMMIT" 2>/dev/null || echo unknown) (from $server_src)"
fi

source bench/common.sh
make_scratch bench

if ! $abuse_only && { ! command -v nginx >/dev/null || ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null \
  || ! command -v clang >/dev/null || [ ! -e /usr/include/zlib.h ] || ! command -v wrk >/dev/null || ! command -v curl >/dev/null \
  || ! command -v gcc >/dev/null || [ ! -x /usr/bin/time ]; }; then
  echo "== installing nginx, redis, wrk, curl (comparison points), clang and zlib1g-dev (Native AOT), gcc and time (hftp-load)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light redis-server redis-tools wrk curl clang zlib1g-dev \
    gcc libc6-dev time procps >/dev/null
fi

echo "== building Release: ReadyToRun publish (what the loads run) and Native AOT (startup only)"
dotnet publish "$server_src/src/Hftp.Server" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$scratch/r2r" -v q -nologo >/dev/null
$abuse_only || dotnet publish "$server_src/src/Hftp.Server" -c Release -r linux-x64 -p:PublishAot=true -o "$scratch/aot" -v q -nologo >/dev/null
dotnet build -c Release src/Hftp.Benchmark -v q -nologo | grep -E "error|Warn" || true
server_exe=$scratch/r2r/hftp-server
bench() { dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll "$@"; }
# The independent generator: C, epoll, no code shared with hftp-benchmark; built here, never committed.
$abuse_only || gcc -O2 -Wall -o "$scratch/hftp-load" bench/hftp-load.c
load() { "$scratch/hftp-load" "$@"; }

# shellcheck source=bench/common.sh
# Where and when, taken as the loads start: the load average says whether other work shared the cores.
BENCH_STAMP=$(stamp)
export BENCH_STAMP

echo "== generating files in $scratch/data"
mkdir -p "$scratch/data"
head -c $((64 << 20)) /dev/urandom > "$scratch/data/m64.bin"
for _ in $(seq 16); do cat "$scratch/data/m64.bin"; done > "$scratch/data/g1.bin"
# Small and edge-sized files for the soak, which slices every served file at random.
printf '!Que calor que hace hoy, pinta una birra!' > "$scratch/data/archivo.txt"
: > "$scratch/data/empty.bin"
head -c 1 /dev/urandom > "$scratch/data/one.bin"
head -c 100000 /dev/urandom > "$scratch/data/r100k.bin"

ulimit -n "$(ulimit -Hn)"
hftp_port=$(free_port)
"$server_exe" --address 127.0.0.1 --port "$hftp_port" --dir "$scratch/data" --log-level Warning > "$scratch/hftp.log" 2>&1 &
hftp_pid=$!; pids+=("$hftp_pid")

results="$scratch/results.txt"
: > "$results"
record() { # label, then the command; keeps its RESULT line under the label
  local label=$1; shift
  echo "-- $label: $*"
  "$@" | tee "$scratch/last.txt" || echo "(this load reported errors)"
  grep '^RESULT' "$scratch/last.txt" | sed "s/^RESULT/$label/" >> "$results"
}
redis_get() { # label, pipeline, requests[, connections]
  local connections=${4:-32} rps output
  echo "-- $1: redis-benchmark -t get -c $connections -P $2 -n $3"
  output=$(redis-benchmark -h 127.0.0.1 -p "$redis_port" -t get -c "$connections" -P "$2" -n "$3" -q 2>&1 || true)
  rps=$(echo "$output" | tr '\r' '\n' | grep -oE 'GET: [0-9.]+' | tail -1 | cut -d' ' -f2 || true)
  [ -n "$rps" ] || { echo "$output" | tail -2; rps=NaN; }
  echo "$rps requests/s"
  echo "$1 rps=$rps" >> "$results"
}
curl_bulk() { # label, URL path, expected size: one curl per transfer for $duration s; MB/s = bytes / summed transfer time
  echo "-- $1: curl http://127.0.0.1:$nginx_port$2 in a loop for $duration s"
  local end=$((SECONDS + duration))
  while [ "$SECONDS" -lt "$end" ]; do
    curl -s --max-time 120 -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "http://127.0.0.1:$nginx_port$2" || echo "curl-failed 0 0"
  done | awk -v label="$1" -v size="$3" '{ if ($1 != 200 || $2 != size) errors++; bytes += $2; seconds += $3 }
    END { line = sprintf("%s mbps=%.1f transfers=%d errors=%d", label, seconds > 0 ? bytes / seconds / 1e6 : 0, NR, errors + 0); print line }' \
    | tee -a "$results"
}
wrk_bulk() { # label, URL path: wrk -t1 -c1 for $duration s; its Transfer/sec (binary units, headers included) in MB/s
  echo "-- $1: wrk -t1 -c1 -d${duration}s http://127.0.0.1:$nginx_port$2"
  wrk -t1 -c1 -d"${duration}s" "http://127.0.0.1:$nginx_port$2" | tee "$scratch/wrk.txt"
  awk -v label="$1" '/Transfer\/sec/ { value = $2; unit = value; sub(/[0-9.]+/, "", unit); sub(/[A-Za-z]+/, "", value)
      scale = unit == "GB" ? 1073741824 : unit == "MB" ? 1048576 : unit == "KB" ? 1024 : 1; mbps = value * scale / 1e6 }
    /Non-2xx|Socket errors/ { errors++ }
    END { printf "%s mbps=%.1f errors=%d\n", label, mbps, errors + 0 }' "$scratch/wrk.txt" | tee -a "$results"
}
rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }
# Waits (at most 60 s) until process $1 has no more than 300 threads above $2, its count before any load: when
# thousands of connections end together their threads take seconds to end (in hftp-server those past
# --max-spare-threads end with their connections; 30 s in the Python server), and a load started meanwhile measures something else than a
# cold opening (threads reused in hftp-server; second-long connects in the Python server). The load_reopen rows
# measure exactly that case on purpose.
threads_of() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
settle() {
  for _ in $(seq 300); do
    [ "$(threads_of "$1")" -le $(($2 + 300)) ] && return 0
    sleep 0.2
  done
  echo "(process $1 still has $(threads_of "$1") threads after 60 s)"
}

if ! $abuse_only; then
nginx_port=$(free_port)
start_nginx "$scratch" "$nginx_port" "$scratch/data"

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --maxclients 4200 > "$scratch/redis.log" 2>&1 &
pids+=("$!")
python_port=$(free_port)
python3 bench/python_server.py --port "$python_port" --dir "$scratch/data" > "$scratch/python-server.log" 2>&1 &
python_pid=$!; pids+=("$python_pid")
wait_port "$hftp_port"; wait_port "$nginx_port"; wait_port "$redis_port"; wait_port "$python_port"
m64_size=$(stat -c %s "$scratch/data/m64.bin"); g1_size=$(stat -c %s "$scratch/data/g1.bin")
hftp_threads=$(threads_of "$hftp_pid"); python_threads=$(threads_of "$python_pid")

# Bulk over one connection, in pairs: hftp-server and nginx measured one right after the other by the same tool,
# the order swapped every pair so a drift in the machine's speed falls on both sides alike. This machine's speed
# swings by half from one run to the next (nginx measured 1,066 to 2,415 MB/s in back-to-back 2 s runs), so the
# ratio is taken within each pair and the report gives the median of those ratios.
for pair in $(seq "$bulk_pairs"); do
  echo "== bulk pair $pair of $bulk_pairs"
  for file in 64m:m64.bin 1g:g1.bin; do
    size=${file%%:*} name=${file#*:}
    hftp_side=(record "hftp_bulk_${size}_1 pair=$pair" bench bulk -f "$name" -c 1 --port "$hftp_port" --duration "$bulk_seconds" --server-pid "$hftp_pid")
    nginx_side=(record "nginx_bulk_${size}_1 pair=$pair" bench http-bulk --url-path "/$name" -c 1 --port "$nginx_port" --duration "$bulk_seconds")
    load_side=(record "load_bulk_${size}_1 pair=$pair" load bulk --port "$hftp_port" --local "$scratch/data/$name" -d "$bulk_seconds" --discard)
    load_nginx_side=(record "load_http_${size}_1 pair=$pair" load http --port "$nginx_port" --local "$scratch/data/$name" --url-path "/$name" -d "$bulk_seconds" --discard)
    if [ $((pair % 2)) = 1 ]; then
      "${hftp_side[@]}"; "${nginx_side[@]}"; "${load_side[@]}"; "${load_nginx_side[@]}"
    else
      "${nginx_side[@]}"; "${hftp_side[@]}"; "${load_nginx_side[@]}"; "${load_side[@]}"
    fi
  done
done

# Raw slices (2026) over one connection, paired with nginx the same way: the file's bytes as they are, sent with
# sendfile(2) like nginx's, so the target is near parity. Both clients; the base64 rows above are the same run's.
for pair in $(seq "$bulk_pairs"); do
  echo "== raw bulk pair $pair of $bulk_pairs"
  raw_side=(record "hftp_raw_64m_1 pair=$pair" bench bulk --raw -f m64.bin -c 1 --port "$hftp_port" --duration "$bulk_seconds" --server-pid "$hftp_pid")
  nginx_side=(record "nginx_raw_64m_1 pair=$pair" bench http-bulk --url-path /m64.bin -c 1 --port "$nginx_port" --duration "$bulk_seconds")
  load_raw_side=(record "load_raw_64m_1 pair=$pair" load bulk --raw --port "$hftp_port" --local "$scratch/data/m64.bin" -d "$bulk_seconds" --discard)
  load_nginx_side=(record "load_http_raw_64m_1 pair=$pair" load http --port "$nginx_port" --local "$scratch/data/m64.bin" --url-path /m64.bin -d "$bulk_seconds" --discard)
  if [ $((pair % 2)) = 1 ]; then
    "${raw_side[@]}"; "${nginx_side[@]}"; "${load_raw_side[@]}"; "${load_nginx_side[@]}"
  else
    "${nginx_side[@]}"; "${raw_side[@]}"; "${load_nginx_side[@]}"; "${load_raw_side[@]}"
  fi
done

common=(--port "$hftp_port" --duration "$duration" --server-pid "$hftp_pid")
for round in $(seq "$rounds"); do
  echo "== round $round of $rounds"
  curl_bulk curl_bulk_64m_1 /m64.bin "$m64_size"
  wrk_bulk wrk_bulk_64m_1 /m64.bin
  curl_bulk curl_bulk_1g_1 /g1.bin "$g1_size"
  wrk_bulk wrk_bulk_1g_1 /g1.bin
  record hftp_bulk_64m_8 bench bulk -f m64.bin -c 8 "${common[@]}"
  record nginx_bulk_64m_8 bench http-bulk --url-path /m64.bin -c 8 --port "$nginx_port" --duration "$duration"
  record hftp_small_32_p1 bench small -f m64.bin -c 32 -P 1 "${common[@]}"
  record load_small_32 load small --port "$hftp_port" --local "$scratch/data/m64.bin" -c 32 -d "$duration"
  redis_get redis_get_32_p1 1 "$p1_requests"
  record load_redis_32 load redis --port "$redis_port" --local "$scratch/data/m64.bin" -c 32 -d "$duration"
  for connections in 1000 4000; do
    record "hftp_small_${connections}_p1" bench small -f m64.bin -c "$connections" -P 1 "${common[@]}"
    record "load_small_${connections}" load small --port "$hftp_port" --local "$scratch/data/m64.bin" -c "$connections" -d "$duration"
    redis_get "redis_get_${connections}_p1" 1 "$p1_requests" "$connections"
    record "load_redis_${connections}" load redis --port "$redis_port" --local "$scratch/data/m64.bin" -c "$connections" -d "$duration"
  done
  record hftp_small_32_p16 bench small -f m64.bin -c 32 -P 16 "${common[@]}"
  redis_get redis_get_32_p16 16 "$p16_requests"
  record hftp_small_1_p1 bench small -f m64.bin -c 1 -P 1 "${common[@]}"
  record hftp_small_256_p1 bench small -f m64.bin -c 256 -P 1 "${common[@]}"
done

echo "== startup"
echo "hftp_aot_size bytes=$(stat -c %s "$scratch/aot/hftp-server")" | tee -a "$results"
startup_port=$(free_port)
record hftp_startup bench startup --port "$startup_port" --rounds 7 -- "$server_exe" --address 127.0.0.1 --port "$startup_port" --dir "$scratch/data" --log-level Warning
record hftp_startup_aot bench startup --port "$startup_port" --rounds 7 -- "$scratch/aot/hftp-server" --address 127.0.0.1 --port "$startup_port" --dir "$scratch/data" --log-level Warning

# Peak RSS of a server that serves only 1 GiB slices, by /usr/bin/time -v (the kernel's maxrss, not our sampler).
echo "== bulk 1 GiB against a fresh hftp-server under /usr/bin/time -v"
rss_port=$(free_port)
/usr/bin/time -v -o "$scratch/time-bulk.txt" "$server_exe" --address 127.0.0.1 --port "$rss_port" --dir "$scratch/data" --log-level Warning > "$scratch/rss-server.log" 2>&1 &
time_pid=$!; pids+=("$time_pid")
wait_port "$rss_port"
record load_bulk_1g_fresh load bulk --port "$rss_port" --local "$scratch/data/g1.bin" -d "$duration" --discard
rss_server=$(pgrep -P "$time_pid" | head -1 || true)
[ -n "$rss_server" ] && kill "$rss_server"
wait "$time_pid" || true
echo "time_bulk_1g max_rss_mb=$(awk '/Maximum resident set size/ { printf "%.1f", $NF / 1024 }' "$scratch/time-bulk.txt")" | tee -a "$results"

# The same for raw 1 GiB slices: sendfile(2) moves them without this process's memory, so the RSS is the server's own.
echo "== raw bulk 1 GiB against a fresh hftp-server under /usr/bin/time -v"
rss_port=$(free_port)
/usr/bin/time -v -o "$scratch/time-raw.txt" "$server_exe" --address 127.0.0.1 --port "$rss_port" --dir "$scratch/data" --log-level Warning > "$scratch/rss-raw-server.log" 2>&1 &
time_pid=$!; pids+=("$time_pid")
wait_port "$rss_port"
record load_raw_1g_fresh load bulk --raw --port "$rss_port" --local "$scratch/data/g1.bin" -d "$duration" --discard
rss_server=$(pgrep -P "$time_pid" | head -1 || true)
[ -n "$rss_server" ] && kill "$rss_server"
wait "$time_pid" || true
echo "time_raw_1g max_rss_mb=$(awk '/Maximum resident set size/ { printf "%.1f", $NF / 1024 }' "$scratch/time-raw.txt")" | tee -a "$results"


# Opening connections: each served once (one get_metadata), held until the end or closed after its reply. Each
# load starts once both servers' threads from the loads before have ended: the Python server ending 10,000 threads
# takes half a minute, and a load run meanwhile shares the cores with it.
settle_both() { settle "$hftp_pid" "$hftp_threads"; settle "$python_pid" "$python_threads"; }
echo "== open: $opens connections, each served once, against hftp-server and the Python thread-per-connection server"
for variant in held churn; do
  flag=(); [ "$variant" = churn ] && flag=(--churn)
  settle_both
  record "hftp_open_$variant" bench open -f m64.bin -c "$opens" "${flag[@]}" --port "$hftp_port" --duration 60 --server-pid "$hftp_pid"
  settle_both
  record "load_open_$variant" load open --port "$hftp_port" --local "$scratch/data/m64.bin" -n "$opens" "${flag[@]}" -d 60
  # The same again at once, while the threads of the load before are still alive or ending (held: all of them).
  [ "$variant" = held ] && record load_reopen_held load open --port "$hftp_port" --local "$scratch/data/m64.bin" -n "$opens" -d 60
  settle_both
  record "python_open_$variant" bench open -f m64.bin -c "$opens" "${flag[@]}" --port "$python_port" --duration 60
  settle_both
  record "load_python_open_$variant" load open --port "$python_port" --local "$scratch/data/m64.bin" -n "$opens" "${flag[@]}" -d 60
  [ "$variant" = held ] && record load_python_reopen_held load open --port "$python_port" --local "$scratch/data/m64.bin" -n "$opens" -d 60
done

# Closing thousands of sockets leaves the machine busy for a moment, which would skew startup times.
echo "== idle: $idle connections held"
settle_both
record hftp_idle bench idle -f m64.bin -c "$idle" "${common[@]}"
# The same, independently: hftp-load holds $idle connections (each served once) while its own fresh client
# probes every 10 ms; ps reads the server's RSS before and while they are held.
echo "-- load_idle: hftp-load open -n $idle --hold-seconds $duration --probe-ms 10, server RSS by ps"
settle_both
rss_before=$(rss_kb "$hftp_pid")
load open --port "$hftp_port" --local "$scratch/data/m64.bin" -n "$idle" --hold-seconds "$duration" --probe-ms 10 -d 60 > "$scratch/load-idle.txt" &
idle_pid=$!; pids+=("$idle_pid")
for _ in $(seq 1200); do grep -q '^holding' "$scratch/load-idle.txt" && break; kill -0 "$idle_pid" 2>/dev/null || break; sleep 0.1; done
sleep 1
rss_held=$(rss_kb "$hftp_pid")
wait "$idle_pid" || echo "(this load reported errors)"
cat "$scratch/load-idle.txt"
grep '^RESULT' "$scratch/load-idle.txt" | sed "s/^RESULT/load_idle/; s/\$/ ps_rss_before_kb=$rss_before ps_rss_held_kb=$rss_held/" >> "$results"
fi

echo "== abuse: soak, $soak_clients clients x $soak_seconds s, every reply checked"
wait_port "$hftp_port"
# The soak takes the server's thread count at its start as the baseline its leak check comes back to: not while the
# threads of the loads before are still ending. A fresh server (--abuse) gets a short
# soak first instead: the threads a load frees stay idle for reuse, up to --max-spare-threads for 60 s by design, and
# the baseline must already hold them, as it does after the full run's loads.
if $abuse_only; then
  bench soak --dir "$scratch/data" --clients "$soak_clients" --seconds 3 --port "$hftp_port" > /dev/null || true
else
  settle "$hftp_pid" "$hftp_threads"
fi
record hftp_soak bench soak --dir "$scratch/data" --clients "$soak_clients" --seconds "$soak_seconds" --port "$hftp_port" --server-pid "$hftp_pid"

# Slowloris gets a server of its own, with request and idle timeouts when this server has them.
timeouts=()
if "$server_exe" --help | grep -q -- --request-timeout; then timeouts+=(--request-timeout 10s); fi
if "$server_exe" --help | grep -q -- --idle-timeout; then timeouts+=(--idle-timeout 30s); fi
slow_port=$(free_port)
"$server_exe" --address 127.0.0.1 --port "$slow_port" --dir "$scratch/data" --log-level Warning "${timeouts[@]}" > "$scratch/slowloris-server.log" 2>&1 &
slow_pid=$!; pids+=("$slow_pid")
wait_port "$slow_port"
echo "== abuse: slowloris, $slowloris connections x $slowloris_seconds s against hftp-server ${timeouts[*]:-(no timeouts)}"
# An independent probe in Python, beside the load's own, cross-checks the fresh client's latency.
python3 bench/probe.py --port "$slow_port" --file archivo.txt --seconds "$slowloris_seconds" --rate 10 --label python_probe > "$scratch/python-probe.txt" &
probe_pid=$!; pids+=("$probe_pid")
record hftp_slowloris bench slowloris -f archivo.txt -c "$slowloris" --interval-ms 5000 --seconds "$slowloris_seconds" --port "$slow_port" --server-pid "$slow_pid"
wait "$probe_pid" || true
cat "$scratch/python-probe.txt"
grep '^python_probe' "$scratch/python-probe.txt" >> "$results" || true
printf 'hftp_slowloris_server flags=%s commit=%s\n' "$(IFS=,; echo "${timeouts[*]:-none}")" "$(echo "$server_commit" | tr ' ' '_')" >> "$results"

BENCH_STAMP="$BENCH_STAMP (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
if $abuse_only; then
  python3 bench/report.py --abuse-only "$results" docs/performance.md "${arguments[*]}"
else
  python3 bench/report.py "$results" "$rounds" "$duration" "$idle" "${arguments[*]}" "$opens" "$bulk_pairs" "$bulk_seconds" > "$scratch/tables.md"
  python3 bench/write_block.py docs/performance.md bench/run.sh "$scratch/tables.md"
fi
echo "== every result line"
cat "$results"
echo "== wrote docs/performance.md"
sed -n '/^<!-- begin bench\/run.sh/,/^<!-- end bench\/run.sh -->/p' docs/performance.md
