#!/usr/bin/env bash
# Abuse experiments for the server's operating limits (issue 8), run by hand, not in CI: each starts
# hftp-server on loopback (under a lowered limit where it says so), runs bench/abuse.py against it, stops it
# with SIGTERM and reports whether it stayed alive, served a fresh client afterwards, and exited 0.
# Usage: bench/limits.sh [fd] [tasks] [tasks-shared] [slowloris] [stalled] [drain]   (no argument: all but
# tasks-shared; about 4 minutes)
# 'tasks' needs root: it creates an unprivileged user 'hftp-limits' to run the server under RLIMIT_NPROC.
set -euo pipefail
cd "$(dirname "$0")/.."
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(fd tasks slowloris stalled drain)

scratch=$(mktemp -d /tmp/hftp-limits.XXXXXX)
chmod 755 "$scratch"
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

echo "== publishing Release (ReadyToRun) to $scratch/server"
dotnet publish src/Hftp.Server -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$scratch/server" -v q -nologo >/dev/null
chmod -R a+rX "$scratch/server"
mkdir -p "$scratch/data" && echo hello > "$scratch/data/probe.txt" && truncate -s 128M "$scratch/data/big.bin"
chmod -R a+rX "$scratch/data"
ulimit -n "$(ulimit -Hn)"

source bench/common.sh

# start_server LOG PREFIX... :: OPTIONS...: runs the server behind PREFIX (prlimit, runuser) in the background.
start_server() {
  local log=$1; shift
  local prefix=()
  while [ "$1" != "::" ]; do prefix+=("$1"); shift; done
  shift
  port=$(free_port)
  "${prefix[@]}" "$scratch/server/hftp-server" --address 127.0.0.1 --port "$port" --dir "$scratch/data" "$@" > "$log" 2>&1 &
  server_pid=$!
  wait_port "$port" || { cat "$log"; return 1; }
  grep -m1 "Max connections" "$log" | cut -c1-400 || true
}

# stop_server LOG: SIGTERM, wait (bounded), report exit code, close lines and the Stopped line.
stop_server() {
  local log=$1 code=0 target=$server_pid rss
  # runuser forks the server and dies of the signal it forwards (143): signal the server itself.
  if [ "$(cat "/proc/$server_pid/comm")" = runuser ]; then target=$(ps --ppid "$server_pid" -o pid= | tr -d ' ' | head -1); fi
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$target/status" 2>/dev/null || echo "?")
  kill -TERM "$target"
  for _ in $(seq 600); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  wait "$server_pid" || code=$?
  server_pid=
  echo "exit code $code after SIGTERM; peak RSS ${rss} kB; $(grep -c ' Closed ' "$log") close lines; $(grep -c 'WRN]' "$log") warnings"
  grep -E "Stopped" "$log" || echo "NO 'Stopped' LINE"
  grep -E "WRN" "$log" | grep -v -E "idle timeout|request timeout|send timeout" | cut -c1-300 | head -5 || true
  if grep -q -E "Unhandled|Out of memory|   at " "$log"; then echo "CRASH OR STACK TRACE in the log:"; grep -m5 -E "Unhandled|Out of memory|   at " "$log"; fi
}

abuse() { python3 bench/abuse.py "$@" --port "$port" | grep -E "^(RESULT|opened|probes over)|t= *(1|10|20|30|40)\.[0-9]s"; }

for scenario in "${scenarios[@]}"; do
  log=$scratch/$scenario.log
  case $scenario in
    fd)
      echo "== fd: RLIMIT_NOFILE 1024 (hard), 1100 clients held for 30 s"
      start_server "$log" prlimit --nofile=1024:1024 -- :: --log-level Information
      abuse hold --count 1100 --seconds 30 --probe-every 0.5
      stop_server "$log" ;;
    tasks)
      echo "== tasks: unprivileged user, RLIMIT_NPROC 400, 1100 clients held for 30 s"
      id hftp-limits >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin hftp-limits
      start_server "$log" runuser -u hftp-limits -- prlimit --nproc=400:400 -- :: --log-level Information
      abuse hold --count 1100 --seconds 30 --probe-every 0.5
      stop_server "$log" ;;
    tasks-shared)
      echo "== tasks-shared: as 'tasks', but once the server runs another process of the same user takes 200 tasks for 45 s"
      id hftp-limits >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin hftp-limits
      start_server "$log" runuser -u hftp-limits -- prlimit --nproc=400:400 -- :: --log-level Information
      # shellcheck disable=SC2016 # expanded by the inner bash, as the other user
      runuser -u hftp-limits -- bash -c 'for i in $(seq 200); do sleep 45 & done; wait' &
      hog=$!
      sleep 2
      abuse hold --count 1100 --seconds 30 --probe-every 0.5
      stop_server "$log"
      wait "$hog" ;;
    slowloris)
      echo "== slowloris: 10000 clients, a byte every 5 s, --request-timeout 10s, fresh clients probed every 50 ms"
      start_server "$log" env :: --request-timeout 10s
      abuse slowloris --count 10000 --interval 5 --seconds 30
      stop_server "$log" ;;
    stalled)
      echo "== stalled: 200 clients ask for a 100 MiB slice and never read, --send-timeout 10s"
      start_server "$log" env :: --send-timeout 10s
      abuse stalled --count 200 --slice-bytes $((100 << 20)) --seconds 20 --probe-every 0.5
      stop_server "$log" ;;
    drain)
      echo "== drain: 10000 idle clients, then SIGTERM while they are held"
      start_server "$log" env :: --log-level Information
      python3 bench/abuse.py hold --count 10000 --seconds 600 --probe-every 1 --port "$port" > "$scratch/drain-clients.log" &
      clients=$!
      for _ in $(seq 1200); do [ "$(grep -c 'Connected by' "$log")" -ge 10000 ] && break; sleep 0.1; done
      echo "$(grep -c 'Connected by' "$log") connected"
      started=$(date +%s.%N)
      stop_server "$log"
      echo "stopped in $(echo "$(date +%s.%N) - $started" | bc) s"
      kill "$clients" 2>/dev/null || true; wait "$clients" 2>/dev/null || true ;;
    *) echo "unknown scenario $scenario" >&2; exit 1 ;;
  esac
done
