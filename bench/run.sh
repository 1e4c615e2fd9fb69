#!/usr/bin/env bash
# Builds Release, runs fixed loads against hftp-server and, as comparison points, nginx (same files over
# HTTP keep-alive) and Redis (GET) on loopback, alternating servers each round, then the abuse loads (soak,
# slowloris), and writes bench/BENCHMARKS.md with the medians.
# Usage: bench/run.sh [--quick] [--abuse] [--server-src DIR]   (full: ~13 min, quick: ~3 min; --abuse runs
# only soak and slowloris and rewrites only the "Under abuse" section of bench/BENCHMARKS.md; --server-src
# measures the server of another source tree, e.g. one extracted with `git archive BRANCH | tar -x -C DIR`)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 duration=8 idle=10000 p1_requests=400000 p16_requests=4000000
soak_clients=200 soak_seconds=60 slowloris=10000 slowloris_seconds=60
abuse_only=false server_src=.
arguments=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=1 duration=3 idle=2000 p1_requests=100000 p16_requests=1000000
             soak_clients=32 soak_seconds=10 slowloris=2000 slowloris_seconds=20 ;;
    --abuse) abuse_only=true ;;
    --server-src) server_src=${2:?--server-src needs a directory}; shift ;;
    *) echo "usage: bench/run.sh [--quick] [--abuse] [--server-src DIR]" >&2; exit 1 ;;
  esac
  shift
done
# Which server is measured: this tree's commit, or the SERVER_COMMIT file written beside an extracted tree.
if [ "$server_src" = . ]; then
  server_commit=$(git rev-parse --short HEAD)
else
  server_commit="$(cat "$server_src/SERVER_COMMIT" 2>/dev/null || echo unknown) (from $server_src)"
fi

scratch=$(mktemp -d /tmp/hftp-bench.XXXXXX)
chmod 755 "$scratch"  # nginx workers do not run as root
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

if ! $abuse_only && { ! command -v nginx >/dev/null || ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null \
  || ! command -v clang >/dev/null || [ ! -e /usr/include/zlib.h ]; }; then
  echo "== installing nginx and redis (comparison points), clang and zlib1g-dev (Native AOT)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light redis-server redis-tools clang zlib1g-dev >/dev/null
fi

echo "== building Release: ReadyToRun publish (what the loads run) and Native AOT (startup only)"
dotnet publish "$server_src/src/Hftp.Server" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$scratch/r2r" -v q -nologo >/dev/null
$abuse_only || dotnet publish "$server_src/src/Hftp.Server" -c Release -r linux-x64 -p:PublishAot=true -o "$scratch/aot" -v q -nologo >/dev/null
dotnet build -c Release src/Hftp.Benchmark -v q -nologo | grep -E "error|Warn" || true
server_exe=$scratch/r2r/hftp-server
bench() { dotnet src/Hftp.Benchmark/bin/Release/net10.0/hftp-benchmark.dll "$@"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

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
redis_get() { # label, pipeline, requests
  echo "-- $1: redis-benchmark -t get -c 32 -P $2 -n $3"
  local rps
  rps=$(redis-benchmark -h 127.0.0.1 -p "$redis_port" -t get -c 32 -P "$2" -n "$3" -q | tr '\r' '\n' | grep -oE 'GET: [0-9.]+' | tail -1 | cut -d' ' -f2)
  echo "$rps requests/s"
  echo "$1 rps=$rps" >> "$results"
}

if ! $abuse_only; then
nginx_port=$(free_port)
cat > "$scratch/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $scratch/nginx.pid;
error_log $scratch/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 300;
  server { listen 127.0.0.1:$nginx_port; root $scratch/data; }
}
NGINX
nginx -c "$scratch/nginx.conf" -p "$scratch" &
pids+=("$!")

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no > "$scratch/redis.log" 2>&1 &
pids+=("$!")
wait_port "$hftp_port"; wait_port "$nginx_port"; wait_port "$redis_port"

common=(--port "$hftp_port" --duration "$duration" --server-pid "$hftp_pid")
for round in $(seq "$rounds"); do
  echo "== round $round of $rounds"
  record hftp_bulk_64m_1 bench bulk -f m64.bin -c 1 "${common[@]}"
  record nginx_bulk_64m_1 bench http-bulk --url-path /m64.bin -c 1 --port "$nginx_port" --duration "$duration"
  record hftp_bulk_1g_1 bench bulk -f g1.bin -c 1 "${common[@]}"
  record nginx_bulk_1g_1 bench http-bulk --url-path /g1.bin -c 1 --port "$nginx_port" --duration "$duration"
  record hftp_bulk_64m_8 bench bulk -f m64.bin -c 8 "${common[@]}"
  record nginx_bulk_64m_8 bench http-bulk --url-path /m64.bin -c 8 --port "$nginx_port" --duration "$duration"
  record hftp_small_32_p1 bench small -f m64.bin -c 32 -P 1 "${common[@]}"
  redis_get redis_get_32_p1 1 "$p1_requests"
  record hftp_small_32_p16 bench small -f m64.bin -c 32 -P 16 "${common[@]}"
  redis_get redis_get_32_p16 16 "$p16_requests"
  record hftp_small_1_p1 bench small -f m64.bin -c 1 -P 1 "${common[@]}"
  record hftp_small_256_p1 bench small -f m64.bin -c 256 -P 1 "${common[@]}"
done

echo "== startup"
startup_port=$(free_port)
record hftp_startup bench startup --port "$startup_port" --rounds 7 -- "$server_exe" --address 127.0.0.1 --port "$startup_port" --dir "$scratch/data" --log-level Warning
record hftp_startup_aot bench startup --port "$startup_port" --rounds 7 -- "$scratch/aot/hftp-server" --address 127.0.0.1 --port "$startup_port" --dir "$scratch/data" --log-level Warning

# Closing thousands of sockets leaves the machine busy for a moment, which would skew startup times.
echo "== idle: $idle connections held"
record hftp_idle bench idle -f m64.bin -c "$idle" "${common[@]}"
fi

echo "== abuse: soak, $soak_clients clients x $soak_seconds s, every reply checked"
wait_port "$hftp_port"
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

if $abuse_only; then
  python3 bench/report.py --abuse-only "$results" bench/BENCHMARKS.md "${arguments[*]}"
else
  # Written aside first: report.py keeps the "Measured by hand" sections of the current file.
  python3 bench/report.py "$results" "$rounds" "$duration" "$idle" "${arguments[*]}" > "$scratch/BENCHMARKS.md"
  mv "$scratch/BENCHMARKS.md" bench/BENCHMARKS.md
fi
echo "== wrote bench/BENCHMARKS.md"
cat bench/BENCHMARKS.md
