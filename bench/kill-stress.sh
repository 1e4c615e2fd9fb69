#!/usr/bin/env bash
# Kills real `hftp get` processes (SIGKILL) at random moments and checks that no run ever exits 0 with bytes
# other than the server's. Each round downloads one file: one to three attempts, each with -j 1 or -j 4, fresh or
# --continue at random, killed after a random delay (some finish first), then a --continue that must end
# byte-exact. Prints `rounds=N wrong_with_exit0=W ...`; exits 1 when W or any wrong saved file is not 0.
# killed_mid_download counts the kills that landed after the attempt began its download (wrote PATH.part.state
# anew) and before PATH was in place; killed_with_bytes those whose state already recorded bytes. The client is
# stopped (SIGSTOP, and seen stopped) before the files are looked at, so both counts are exact, not a guess.
#
#   bench/kill-stress.sh [ROUNDS] [SIZE_MIB]       (defaults: 300 rounds of a 6 MiB file)
#   KILL_WHEN=started bench/kill-stress.sh ...     every kill as soon as the download has begun, or in even rounds
#                                                  once its state records bytes (CI's short run)
#
# HFTP and HFTP_SERVER name the commands to run (default: the Debug builds under src/, via dotnet); a relative path
# in them is relative to where the script was started.
set -uo pipefail

# The words of command $1, each relative path to an existing file made absolute (before the cd below).
absolute() {
  local word words=()
  for word in $1; do
    if [[ "$word" != /* ]] && [[ "$word" == */* ]] && [ -e "$word" ]; then word=$(realpath "$word"); fi
    words+=("$word")
  done
  echo "${words[*]}"
}
hftp=$(absolute "${HFTP:-}")
server=$(absolute "${HFTP_SERVER:-}")
cd "$(dirname "$0")/.." || exit 1

rounds=${1:-300}
size_mib=${2:-6}
hftp=${hftp:-dotnet src/Hftp.Cli/bin/Debug/net10.0/hftp.dll}
server=${server:-dotnet src/Hftp.Server/bin/Debug/net10.0/hftp-server.dll}

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/served" "$work/saved"
head -c $((size_mib << 20)) /dev/urandom > "$work/served/data.bin"
expected=$(sha256sum < "$work/served/data.bin" | cut -d' ' -f1)
# Port 0: the kernel picks; the server's "Serving ... on 127.0.0.1:PORT" line says which.
$server --address 127.0.0.1 --port 0 --dir "$work/served" > "$work/server.log" 2>&1 &
pids+=("$!")
port=
for _ in $(seq 600); do
  port=$(sed -n 's/.*Serving .* on .*:\([0-9]*\)$/\1/p' "$work/server.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "the server never said its port" >&2; cat "$work/server.log" >&2; exit 1; }

wrong_with_exit0=0 wrong_saved=0 killed=0 killed_mid=0 killed_bytes=0 finished_first=0 unfinished=0
kill_when=${KILL_WHEN:-random}
# Which state file is there: a save writes a new one and renames it over the old, so this changes with each save.
state_id() { stat -c '%i %z' "$1.part.state" 2>/dev/null || echo none; }
is_exact() { [ -f "$1" ] && [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "$expected" ]; }

for round in $(seq "$rounds"); do
  out="$work/saved/r$round.bin"
  for attempt in $(seq $((RANDOM % 3 + 1))); do
    jobs_flag=$([ $((RANDOM % 2)) -eq 0 ] && echo 1 || echo 4)
    mode=$([ "$attempt" -gt 1 ] && [ $((RANDOM % 3)) -ne 0 ] && echo --continue || echo --quiet)
    before=$(state_id "$out")
    $hftp get data.bin -o "$out" -q -j "$jobs_flag" "$mode" -H 127.0.0.1 -p "$port" > /dev/null 2>> "$work/client.log" &
    pid=$!
    # Half the kills at a random moment from the start (start-up included), half once the download is under way;
    # with KILL_WHEN=started, each as soon as it has begun (a busy wait: a sleep could outlast a small download).
    if [ "$kill_when" = started ]; then
      while kill -0 "$pid" 2>/dev/null && [ "$(state_id "$out")" = "$before" ] && [ ! -e "$out" ]; do :; done
      if [ $((round % 2)) -eq 0 ]; then
        while kill -0 "$pid" 2>/dev/null && ! grep -q '^done ' "$out.part.state" 2>/dev/null && [ ! -e "$out" ]; do :; done
      fi
    elif [ $((RANDOM % 2)) -eq 0 ]; then
      for _ in $(seq 300); do [ -e "$out.part.state" ] || [ -e "$out" ] || ! kill -0 "$pid" 2>/dev/null && break; sleep 0.01; done
      sleep "0.$(printf '%03d' $((RANDOM % 600)))"
    else
      sleep "$((RANDOM % 3)).$(printf '%03d' $((RANDOM % 1000)))"
    fi
    # Stopped first, so what is on disk at the kill is what the kill left; a client that had already exited (a
    # zombie not yet waited for) is told apart by its status, 137 only for SIGKILL.
    mid=0 bytes=0
    if kill -STOP "$pid" 2>/dev/null; then
      # The signal is delivered asynchronously: wait (bounded) until the process is stopped (T) or gone (Z).
      for _ in $(seq 400); do
        case $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) in T | Z | "") break ;; esac
        sleep 0.005
      done
      now=$(state_id "$out")
      if [ "$now" != none ] && [ "$now" != "$before" ] && [ ! -e "$out" ]; then
        mid=1
        grep -q '^done ' "$out.part.state" 2>/dev/null && bytes=1
      fi
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null; status=$?
    if [ "$status" -eq 137 ]; then
      killed=$((killed + 1)) killed_mid=$((killed_mid + mid)) killed_bytes=$((killed_bytes + bytes))
    else
      finished_first=$((finished_first + 1))
      if [ "$status" -eq 0 ] && ! is_exact "$out"; then wrong_with_exit0=$((wrong_with_exit0 + 1)); fi
    fi
    if [ -e "$out" ] && ! is_exact "$out"; then wrong_saved=$((wrong_saved + 1)); fi
    [ -e "$out" ] && break
  done

  if [ ! -e "$out" ]; then
    $hftp get data.bin -o "$out" -q --continue -H 127.0.0.1 -p "$port" > /dev/null 2>> "$work/client.log"; status=$?
    if [ "$status" -eq 0 ] && ! is_exact "$out"; then wrong_with_exit0=$((wrong_with_exit0 + 1)); fi
    if [ "$status" -ne 0 ]; then unfinished=$((unfinished + 1)); echo "round $round: --continue exited $status" >&2; tail -3 "$work/client.log" >&2; fi
  fi
  if [ -e "$out" ] && ! is_exact "$out"; then wrong_saved=$((wrong_saved + 1)); fi
  rm -f "$out" "$out".part*
done

echo "rounds=$rounds wrong_with_exit0=$wrong_with_exit0 wrong_saved=$wrong_saved unfinished=$unfinished killed=$killed killed_mid_download=$killed_mid killed_with_bytes=$killed_bytes finished_before_kill=$finished_first size_mib=$size_mib"
[ "$wrong_with_exit0" -eq 0 ] && [ "$wrong_saved" -eq 0 ] && [ "$unfinished" -eq 0 ]
