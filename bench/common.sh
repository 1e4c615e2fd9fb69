# shellcheck shell=bash
# Helpers shared by the bench scripts (sourced, not run). The caller keeps the PIDs it starts in the array
# `pids` and stops them by PID on exit.

# Makes $scratch, a temporary directory nginx workers (not root) can read, named after $1, and on exit stops every
# PID in `pids` and removes it. Call it from the script itself, not a subshell.
make_scratch() {
  scratch=$(mktemp -d "/tmp/hftp-$1.XXXXXX")
  chmod 755 "$scratch"
  pids=()
  trap cleanup_scratch EXIT
}
cleanup_scratch() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}

# A free loopback port, picked by the kernel.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits (at most 20 s) until something accepts on the loopback port $1.
wait_port() { for _ in $(seq 400); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

# Starts nginx on 127.0.0.1:$2 serving $3 as the comparison point for bulk loads (sendfile, keep-alive without
# limits, no access log), its config and logs in the scratch directory $1; adds its PID to `pids`.
start_nginx() {
  cat > "$1/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $1/nginx.pid;
error_log $1/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 300;
  server { listen 127.0.0.1:$2; root $3; }
}
NGINX
  nginx -c "$1/nginx.conf" -p "$1" &
  pids+=("$!")
}

# One line naming where and when figures were taken: date (UTC), commit, kernel, cores, CPU model, and the load
# average at that moment (the machine may be shared: a busy one reads slower).
stamp() {
  local commit model
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  git diff --quiet HEAD -- src 2>/dev/null || commit="$commit (with uncommitted changes in src/)"
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$commit\`, $(uname -srm), $(nproc) cores, ${model:-unknown CPU}, load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# No build server outlives a script: no MSBuild node reuse, no shared compiler process.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
# shellcheck disable=SC2034  # used by the scripts that source this file
build_flags=(-c Release -v q -nologo -nodeReuse:false -p:UseSharedCompilation=false)

# publish_revision COMMIT DIR: COMMIT's tree extracted into DIR/src (git archive), its server published into DIR/r2r
# as the loads run it (ReadyToRun, Release); the build's log in DIR/publish.log, its tail on failure, which exits.
publish_revision() {
  mkdir -p "$2/src"
  git archive "$1" | tar -x -C "$2/src"
  dotnet publish "$2/src/src/Hftp.Server" -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$2/r2r" "${build_flags[@]}" > "$2/publish.log" 2>&1 || { tail -20 "$2/publish.log" >&2; exit 1; }
}

# parse_revisions SCRIPT ARG...: the arguments REV [REV...] [--rounds N] into `revisions` (their commits) and `rounds`
# (2 unless given); anything else prints SCRIPT's usage and exits.
# shellcheck disable=SC2034  # rounds is the calling script's
parse_revisions() {
  local script=$1; shift
  revisions=() rounds=2
  while [ $# -gt 0 ]; do
    case "$1" in
      --rounds) [[ "${2:-}" =~ ^[1-9]$ ]] || { echo "--rounds takes 1-9" >&2; exit 1; }; rounds=$2; shift ;;
      *) revisions+=("$(git rev-parse --verify --quiet "$1^{commit}" || { echo "not a commit: $1" >&2; exit 1; })") ;;
    esac
    shift
  done
  [ "${#revisions[@]}" -ge 1 ] || { echo "usage: bench/$script REV [REV...] [--rounds N]" >&2; exit 1; }
}

# order_of_round ROUND: `revisions` into `order`, reversed every other round, so a drift in the machine's speed falls
# on every revision alike.
# shellcheck disable=SC2034  # order is the calling script's
order_of_round() {
  order=("${revisions[@]}")
  if [ $(($1 % 2)) = 0 ]; then mapfile -t order < <(printf '%s\n' "${revisions[@]}" | tac); fi
}

# build_startup_hook NAME: builds the C# read from stdin (a class StartupHook with a static Initialize) into
# $scratch/hook/out/NAME.dll, for DOTNET_STARTUP_HOOKS; its log in $scratch/hook.log, its tail on failure, which exits.
build_startup_hook() {
  mkdir -p "$scratch/hook"
  cat > "$scratch/hook/StartupHook.cs"
  cat > "$scratch/hook/$1.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
</Project>
XML
  dotnet build "$scratch/hook" -o "$scratch/hook/out" "${build_flags[@]}" > "$scratch/hook.log" 2>&1 \
    || { tail -20 "$scratch/hook.log" >&2; exit 1; }
}
