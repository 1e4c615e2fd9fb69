#!/usr/bin/env bash
# Runs an hftp-server with the kernel's memory-deny-write-execute on (prctl PR_SET_MDWE, Linux 6.3 and later): the
# rule that MemoryDenyWriteExecute=yes in deploy/hftp-server.service enforces. Passes if the server starts and
# answers get_file_listing; a JIT-compiled build cannot (it must write code it then runs), a Native AOT build can.
#
#   deploy/check-mdwe.sh out/aot/hftp-server             # the Native AOT publish
#   deploy/check-mdwe.sh dotnet path/to/hftp-server.dll  # a JIT build: expected to fail
#
# Needs a C compiler (cc or clang) for the few-line launcher that sets the flag and then runs the server.
set -euo pipefail
[ $# -gt 0 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 1; }
work=$(mktemp -d -t hftp-mdwe.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/mdwe.c" << 'C'
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif
/* Sets the flag (kept across execve), then becomes the program named by its arguments. */
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L) != 0) { perror("prctl(PR_SET_MDWE)"); return 125; }
  execvp(argv[1], argv + 1);
  perror("execvp");
  return 126;
}
C
cc=$(command -v cc || command -v clang) || { echo "check-mdwe.sh: no C compiler (apt-get install -y clang)" >&2; exit 1; }
"$cc" -O2 -o "$work/mdwe" "$work/mdwe.c"

mkdir "$work/files"
echo hello > "$work/files/f.txt"
"$work/mdwe" "$@" --address 127.0.0.1 --port 0 --dir "$work/files" > "$work/log" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 300); do  # at most 30 s
  port=$(sed -n 's/.*Serving .* on .*:\([0-9][0-9]*\)$/\1/p' "$work/log")
  if [ -n "$port" ] || ! kill -0 "$pid" 2> /dev/null; then break; fi
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "check-mdwe.sh: FAIL: $* did not start with memory-deny-write-execute on:"
  head -n 5 "$work/log"
  exit 1
fi

exec 3<> "/dev/tcp/127.0.0.1/$port"
printf 'get_file_listing\r\nquit\r\n' >&3
reply=$(timeout 10 cat <&3 | tr -d '\r')
exec 3<&-
if [ "$reply" != $'0 OK\nf.txt\n\n0 OK' ]; then
  echo "check-mdwe.sh: FAIL: unexpected reply under memory-deny-write-execute: $reply"
  exit 1
fi
echo "check-mdwe.sh: OK: $* serves with memory-deny-write-execute on"
