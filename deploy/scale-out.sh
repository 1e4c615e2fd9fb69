#!/usr/bin/env bash
# Starts N hftp-server instances on 127.0.0.1 serving one directory, and HAProxy in front of them (deploy/haproxy.cfg
# with one "server" line per instance). An instance that ends is reported, and HAProxy goes on serving from the
# others (or, with --restart, the instance is started again). Runs until Ctrl+C or SIGTERM, then stops every process
# it started, by PID.
#
#   deploy/scale-out.sh [-n N] [-p PORT] [-d DIR] [--restart] [--proxy-protocol v1|v2] [-- EXTRA hftp-server OPTIONS]
#
#   -n N          instances (default 2), on ports PORT+1 ... PORT+N
#   -p PORT       where HAProxy listens, on 127.0.0.1 (default 19500)
#   -d DIR        the directory every instance serves (default testdata)
#   --restart     start an instance again, 1 s after it ends, instead of serving on without it
#   --proxy-protocol v1|v2
#                 HAProxy sends a PROXY header (send-proxy / send-proxy-v2, health checks too) and the instances
#                 run with --proxy-protocol, so their logs name the real clients
#
# The server is $HFTP_SERVER if set (an executable such as a Native AOT publish, or a .dll run with dotnet), else
# hftp-server from PATH, else src/Hftp.Server built once (Release) into the temporary folder. Exits 0 when stopped
# by a signal, 1 when something could not start or HAProxy itself ended.
set -euo pipefail

instances=2
port=19500
directory=testdata
proxy=""
restart=false
while [ $# -gt 0 ]; do
  case "$1" in
    -n) instances=$2; shift 2 ;;
    -p) port=$2; shift 2 ;;
    -d) directory=$2; shift 2 ;;
    --restart) restart=true; shift ;;
    --proxy-protocol) proxy=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale-out.sh: unknown argument '$1' (try --help)" >&2; exit 1 ;;
  esac
done
extra=("$@")
case "$proxy" in
  "") send_proxy="" ; server_proxy=() ;;
  v1) send_proxy=" send-proxy check-send-proxy" ; server_proxy=(--proxy-protocol) ;;
  v2) send_proxy=" send-proxy-v2 check-send-proxy" ; server_proxy=(--proxy-protocol) ;;
  *) echo "scale-out.sh: --proxy-protocol takes v1 or v2" >&2; exit 1 ;;
esac
command -v haproxy > /dev/null || { echo "scale-out.sh: haproxy is not installed (apt-get install -y haproxy)" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d -t hftp-scale-out.XXXXXX)
instance_pids=()  # index i: the PID of hftp$i, empty once it ended (and was not restarted)
haproxy_pid=""
stop() {
  trap - EXIT INT TERM
  local pid started=()
  for pid in "${instance_pids[@]}" "$haproxy_pid"; do
    if [ -n "$pid" ]; then started+=("$pid"); kill -TERM "$pid" 2> /dev/null || true; fi
  done
  for pid in "${started[@]}"; do wait "$pid" 2> /dev/null || true; done
  echo "scale-out.sh: stopped; logs kept in $state"
}
trap stop EXIT
trap 'exit 0' INT TERM

read -r -a server <<< "${HFTP_SERVER:-}"
if [ ${#server[@]} -eq 0 ]; then
  if command -v hftp-server > /dev/null; then
    server=(hftp-server)
  else
    echo "scale-out.sh: building src/Hftp.Server (Release) into $state/bin"
    dotnet build "$here/../src/Hftp.Server" -c Release -o "$state/bin" -v quiet -nologo > "$state/build.log"
    server=(dotnet "$state/bin/hftp-server.dll")
  fi
elif [[ "${server[0]}" == *.dll ]]; then
  server=(dotnet "${server[@]}")
fi

# One server line per instance, in place of the two in the shipped configuration.
config="$state/haproxy.cfg"
grep -v '^ *server ' "$here/haproxy.cfg" | sed "s/^\( *bind \)127\.0\.0\.1:[0-9]*/\1127.0.0.1:$port/" > "$config"
for i in $(seq 1 "$instances"); do
  echo "    server hftp$i 127.0.0.1:$((port + i)) check$send_proxy" >> "$config"
done
haproxy -c -q -f "$config"

start_instance() { # i
  "${server[@]}" --address 127.0.0.1 --port $((port + $1)) --dir "$directory" "${server_proxy[@]}" "${extra[@]}" >> "$state/hftp$1.log" 2>&1 &
  instance_pids[$1]=$!
  echo "scale-out.sh: hftp$1 pid $! on 127.0.0.1:$((port + $1)), log $state/hftp$1.log"
}

# Waits (at most 60 s: a first JIT start on a busy machine is slow) until something listens on 127.0.0.1:$1; fails if
# process $2 ends. Read from /proc/net/tcp (state 0A) rather than by connecting, which would reach the servers' logs.
wait_listening() {
  local address
  address=$(printf '0100007F:%04X' "$1")
  for _ in $(seq 600); do
    awk -v address="$address" '$2 == address && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp && return 0
    kill -0 "$2" 2> /dev/null || return 1
    sleep 0.1
  done
  return 1
}

# How a process ended, from its wait status.
ending() {
  if [ "$1" -gt 128 ]; then echo "was killed by signal $(($1 - 128)) ($(kill -l "$(($1 - 128))" 2> /dev/null || echo '?'))"; else echo "exited with status $1"; fi
}

for i in $(seq 1 "$instances"); do start_instance "$i"; done
for i in $(seq 1 "$instances"); do
  wait_listening $((port + i)) "${instance_pids[i]}" \
    || { echo "scale-out.sh: hftp$i did not start listening; its log:" >&2; tail -n 5 "$state/hftp$i.log" >&2; exit 1; }
done

haproxy -db -f "$config" > "$state/haproxy.log" 2>&1 &
haproxy_pid=$!
echo "$haproxy_pid" > "$state/haproxy.pid"
wait_listening "$port" "$haproxy_pid" || { echo "scale-out.sh: haproxy did not start; its log:" >&2; tail -n 5 "$state/haproxy.log" >&2; exit 1; }
echo "scale-out.sh: haproxy pid $haproxy_pid on 127.0.0.1:$port, config $config; serving; Ctrl+C stops everything"

# Until a signal (its trap exits, and the EXIT trap stops everything): report each process that ends on its own.
while true; do
  live=("$haproxy_pid")
  for pid in "${instance_pids[@]}"; do [ -n "$pid" ] && live+=("$pid"); done
  ended="" status=0
  # stderr silenced: bash's own "Killed" line would repeat, less clearly, the line this loop prints below.
  wait -n -p ended "${live[@]}" 2> /dev/null || status=$?
  [ -n "$ended" ] || continue
  if [ "$ended" = "$haproxy_pid" ]; then
    haproxy_pid=""
    echo "scale-out.sh: haproxy (pid $ended) $(ending "$status"); stopping the instances (log $state/haproxy.log)" >&2
    exit 1
  fi
  for i in $(seq 1 "$instances"); do
    [ "${instance_pids[i]}" = "$ended" ] || continue
    instance_pids[i]=""
    if $restart; then
      echo "scale-out.sh: hftp$i (pid $ended) $(ending "$status"); HAProxy serves from the others; restarting it in 1 s" >&2
      sleep 1 & wait $!
      start_instance "$i"
    else
      left=0
      for pid in "${instance_pids[@]}"; do [ -n "$pid" ] && left=$((left + 1)); done
      echo "scale-out.sh: hftp$i (pid $ended) $(ending "$status"); HAProxy serves from the $left left (log $state/hftp$i.log)" >&2
    fi
  done
done
