#!/usr/bin/env bash
# Starts N hftp-server instances on 127.0.0.1 serving one directory, and HAProxy in front of them (deploy/haproxy.cfg
# with one "server" line per instance). Runs until Ctrl+C or SIGTERM, then stops every process it started, by PID.
#
#   deploy/scale-out.sh [-n N] [-p PORT] [-d DIR] [--proxy-protocol v1|v2] [-- EXTRA hftp-server OPTIONS]
#
#   -n N          instances (default 2), on ports PORT+1 ... PORT+N
#   -p PORT       where HAProxy listens, on 127.0.0.1 (default 19500)
#   -d DIR        the directory every instance serves (default testdata)
#   --proxy-protocol v1|v2
#                 HAProxy sends a PROXY header (send-proxy / send-proxy-v2, health checks too) and the instances
#                 run with --proxy-protocol, so their logs name the real clients
#
# The server is $HFTP_SERVER if set (an executable such as a Native AOT publish, or a .dll run with dotnet), else
# hftp-server from PATH, else src/Hftp.Server built once (Release) into the temporary folder.
set -euo pipefail

instances=2
port=19500
directory=testdata
proxy=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n) instances=$2; shift 2 ;;
    -p) port=$2; shift 2 ;;
    -d) directory=$2; shift 2 ;;
    --proxy-protocol) proxy=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale-out.sh: unknown argument '$1' (try --help)" >&2; exit 1 ;;
  esac
done
case "$proxy" in
  "") send_proxy="" ; server_proxy=() ;;
  v1) send_proxy=" send-proxy check-send-proxy" ; server_proxy=(--proxy-protocol) ;;
  v2) send_proxy=" send-proxy-v2 check-send-proxy" ; server_proxy=(--proxy-protocol) ;;
  *) echo "scale-out.sh: --proxy-protocol takes v1 or v2" >&2; exit 1 ;;
esac
command -v haproxy > /dev/null || { echo "scale-out.sh: haproxy is not installed (apt-get install -y haproxy)" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d -t hftp-scale-out.XXXXXX)
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
  echo "scale-out.sh: stopped; logs kept in $state"
}
trap stop EXIT
trap 'exit 0' INT TERM

server=(${HFTP_SERVER:-})
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

for i in $(seq 1 "$instances"); do
  "${server[@]}" --address 127.0.0.1 --port $((port + i)) --dir "$directory" "${server_proxy[@]}" "$@" > "$state/hftp$i.log" 2>&1 &
  pids+=($!)
  echo "scale-out.sh: hftp$i pid $! on 127.0.0.1:$((port + i)), log $state/hftp$i.log"
done

haproxy -db -f "$config" > "$state/haproxy.log" 2>&1 &
pids+=($!)
echo "$!" > "$state/haproxy.pid"
echo "scale-out.sh: haproxy pid $! on 127.0.0.1:$port, config $config; Ctrl+C stops everything"

# Until a signal, or until any of them ends on its own (then the rest are stopped too).
wait -n "${pids[@]}" || true
