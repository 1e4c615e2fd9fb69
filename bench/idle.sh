#!/usr/bin/env bash
# What an idle server costs the machine: CPU time and context switches of a server with no client, over 10 s after
# a 4 s start, from /proc (the process's ticks, and every thread's voluntary and involuntary switches). A server that
# only waits should barely wake: each wake-up is a timer, a spinning thread, or a poll.
# Usage: bench/idle.sh [--seconds S] NAME=SERVER_DLL_OR_EXE...   (each server runs alone, one after another)
# e.g.   bench/idle.sh old=/tmp/old/r2r/hftp-server.dll new=/tmp/new/r2r/hftp-server.dll
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10 servers=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?}; shift ;;
    *=*) servers+=("$1") ;;
    *) echo "usage: bench/idle.sh [--seconds S] NAME=SERVER..." >&2; exit 1 ;;
  esac
  shift
done
[ "${#servers[@]}" -gt 0 ] || { echo "usage: bench/idle.sh [--seconds S] NAME=SERVER..." >&2; exit 1; }

source bench/common.sh
make_scratch idle
ticks() { local fields; read -r -a fields < "/proc/$1/stat"; echo $((fields[13] + fields[14])); }
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { total += $2 } END { print total + 0 }'; }
echo "# bench/idle.sh: $(stamp)"
for spec in "${servers[@]}"; do
  name=${spec%%=*} server=${spec#*=} port=$(free_port)
  run=("$server"); [[ $server == *.dll ]] && run=(dotnet "$server")
  "${run[@]}" --address 127.0.0.1 --port "$port" --dir "$scratch" --log-level Warning > "$scratch/$name.log" 2>&1 &
  server_pid=$!; pids+=("$server_pid")
  wait_port "$port"
  sleep 4
  ticks_before=$(ticks "$server_pid") switches_before=$(switches "$server_pid")
  sleep "$seconds"
  ticks_after=$(ticks "$server_pid") switches_after=$(switches "$server_pid")
  awk -v name="$name" -v t=$((ticks_after - ticks_before)) -v s=$((switches_after - switches_before)) -v hz="$(getconf CLK_TCK)" \
    -v seconds="$seconds" 'BEGIN { printf "%s: %.1f ms CPU and %d context switches a second, idle\n", name, t * 1000 / hz / seconds, s / seconds }'
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
done
