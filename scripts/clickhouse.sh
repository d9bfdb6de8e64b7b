#!/usr/bin/env bash
# Runs a private ClickHouse server (Debian's clickhouse-server 18.16) on loopback.
#
#   scripts/clickhouse.sh start|stop|status|install [--dir DIR] [--http-port N] [--tcp-port N] [--interserver-port N]
#
# Each --dir is an independent instance (data, logs, pid file); give a second instance
# its own dir and ports. Data stays in DIR/data across stop/start. Progress goes to stderr,
# the one-line result of start/status to stdout.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
STATE_DIR=${DRIFTWATCH_STATE_DIR:-$REPO_DIR/.services}

CH_SERVER=/usr/sbin/clickhouse-server
CH_CONFIG=/etc/clickhouse-server/config.xml
START_DEADLINE_S=60
STOP_DEADLINE_S=30

usage() {
  cat >&2 <<EOF
usage: $(basename "$0") start|stop|status|install [options]
  --dir DIR               instance directory (default \$DRIFTWATCH_STATE_DIR/clickhouse = $STATE_DIR/clickhouse)
Ports not given are those the instance in DIR was last started with, else:
  --http-port N           HTTP interface (default 18123)
  --tcp-port N            native protocol (default 19000)
  --interserver-port N    replica data exchange (default 19009)
EOF
  exit 2
}

log() { printf 'clickhouse: %s\n' "$*" >&2; }
die() { printf 'clickhouse: error: %s\n' "$*" >&2; exit 1; }

cmd=""
dir="$STATE_DIR/clickhouse"
http_port="" tcp_port="" interserver_port=""
while [ $# -gt 0 ]; do
  case "$1" in
    start|stop|status|install) [ -z "$cmd" ] || usage; cmd=$1 ;;
    --dir) [ $# -ge 2 ] || usage; dir=$2; shift ;;
    --dir=*) dir=${1#*=} ;;
    --http-port) [ $# -ge 2 ] || usage; http_port=$2; shift ;;
    --http-port=*) http_port=${1#*=} ;;
    --tcp-port) [ $# -ge 2 ] || usage; tcp_port=$2; shift ;;
    --tcp-port=*) tcp_port=${1#*=} ;;
    --interserver-port) [ $# -ge 2 ] || usage; interserver_port=$2; shift ;;
    --interserver-port=*) interserver_port=${1#*=} ;;
    -h|--help) usage ;;
    *) log "unknown argument: $1"; usage ;;
  esac
  shift
done
[ -n "$cmd" ] || usage
for p in "$http_port" "$tcp_port" "$interserver_port"; do
  [ -z "$p" ] || [[ "$p" =~ ^[0-9]+$ && "$p" -ge 1 && "$p" -le 65535 ]] || die "not a port number: $p"
done

dir=$(realpath -m -- "$dir")
pid_file="$dir/server.pid"
ports_file="$dir/ports"   # ports of the last start, so status/stop find the instance by --dir alone

# Ports: explicit options, else those this instance was last started with, else the defaults.
if [ -f "$ports_file" ]; then
  read -r rec_http rec_tcp rec_inter < "$ports_file" || true
  http_port=${http_port:-$rec_http} tcp_port=${tcp_port:-$rec_tcp} interserver_port=${interserver_port:-$rec_inter}
fi
http_port=${http_port:-18123} tcp_port=${tcp_port:-19000} interserver_port=${interserver_port:-19009}

ensure_installed() {
  local missing=()
  [ -x "$CH_SERVER" ] || missing+=(clickhouse-server)
  command -v clickhouse-client >/dev/null 2>&1 || missing+=(clickhouse-client)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}; run as root or install: apt-get install -y ${missing[*]}"
    sudo="sudo"
  fi
  log "installing ${missing[*]} (apt-get)"
  $sudo apt-get update -qq >&2 || die "apt-get update failed"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
  [ -x "$CH_SERVER" ] || die "$CH_SERVER still missing after install"
}

# The server of THIS instance: the pid file, else a process whose command line names our pid
# file (a pid file deleted by hand must not leave an orphan server behind).
server_pid() {
  local pid
  if [ -f "$pid_file" ]; then
    pid=$(tr -dc '0-9' < "$pid_file" || true)
    if [ -n "$pid" ] && is_our_server "$pid"; then echo "$pid"; return 0; fi
  fi
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    if is_our_server "$pid"; then echo "$pid"; return 0; fi
  done
  return 1
}

is_our_server() {
  local args cmdline
  { mapfile -d '' -t args < "/proc/$1/cmdline"; } 2>/dev/null || return 1
  cmdline=" ${args[*]} "
  [[ "$cmdline" == *clickhouse-server* && "$cmdline" == *"--pid-file=$pid_file "* ]]
}

pinged() { curl -sf --max-time 2 "http://127.0.0.1:$http_port/ping" >/dev/null 2>&1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

summary() {
  echo "clickhouse: running (pid $1) http://127.0.0.1:$http_port native 127.0.0.1:$tcp_port dir $dir"
}

print_error_log() {
  local f
  for f in "$dir/start.out" "$dir/log/server.err.log"; do
    if [ -s "$f" ]; then
      printf -- '--- last lines of %s ---\n' "$f" >&2
      tail -n 30 "$f" >&2
    fi
  done
}

wait_until_answering() {
  local pid=$1 deadline=$((SECONDS + START_DEADLINE_S))
  until pinged; do
    if ! kill -0 "$pid" 2>/dev/null; then
      print_error_log
      die "server (pid $pid) exited during start-up"
    fi
    if [ $SECONDS -ge $deadline ]; then
      print_error_log
      die "no answer on http://127.0.0.1:$http_port/ping after ${START_DEADLINE_S}s (pid $pid still running; stop it with: $0 stop --dir $dir)"
    fi
    sleep 0.1
  done
}

# One start/stop at a time per instance directory.
lock_instance() {
  mkdir -p "$dir"
  exec 8>"$dir/.lock"
  flock -w 120 8 || die "another start/stop is still working on $dir"
}

do_start() {
  ensure_installed
  lock_instance
  local pid
  if pid=$(server_pid); then
    if [ -f "$ports_file" ] && [ "$(cat "$ports_file")" != "$http_port $tcp_port $interserver_port" ]; then
      die "instance in $dir already runs (pid $pid) with ports $(cat "$ports_file") (http tcp interserver); stop it first"
    fi
    pinged || { log "pid $pid is starting; waiting"; wait_until_answering "$pid"; }
    log "already running"
    summary "$pid"
    return 0
  fi
  if [ -f "$pid_file" ]; then
    log "removing stale pid file $pid_file"
    rm -f "$pid_file"
  fi
  local p
  for p in "$http_port" "$tcp_port" "$interserver_port"; do
    port_busy "$p" && die "port 127.0.0.1:$p is already in use by another process (pick other ports with --http-port/--tcp-port/--interserver-port)"
  done

  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
  echo "$http_port $tcp_port $interserver_port" > "$ports_file"
  # 8>&-: the daemon must not inherit (and so keep holding) the instance lock.
  # Everything after `--` overrides a key of the packaged config.xml. 18.16 listens on
  # http_port, tcp_port and interserver_http_port only (https_port / tcp_port_secure are
  # commented out in the Debian config; 18.16 has no mysql/postgresql/prometheus ports), so
  # these three are all that must differ between instances. The preprocessed config is
  # written under --path, so instances do not share it either.
  if ! "$CH_SERVER" --config-file="$CH_CONFIG" --daemon --pid-file="$pid_file" -- \
      --listen_host=127.0.0.1 \
      --path="$dir/data/" --tmp_path="$dir/tmp/" \
      --user_files_path="$dir/user_files/" --format_schema_path="$dir/format_schemas/" \
      --http_port="$http_port" --tcp_port="$tcp_port" --interserver_http_port="$interserver_port" \
      --logger.log="$dir/log/server.log" --logger.errorlog="$dir/log/server.err.log" \
      --logger.size=100M --logger.count=3 \
      < /dev/null > "$dir/start.out" 2>&1 8>&-; then
    print_error_log
    die "clickhouse-server failed to start"
  fi
  # --daemon returns before the child has written its pid file.
  local deadline=$((SECONDS + 10))
  until pid=$(server_pid); do
    if [ $SECONDS -ge $deadline ]; then
      print_error_log
      die "server process did not come up"
    fi
    sleep 0.05
  done
  wait_until_answering "$pid"
  log "started"
  summary "$pid"
}

do_stop() {
  [ ! -d "$dir" ] || lock_instance
  local pid
  if ! pid=$(server_pid); then
    rm -f "$pid_file"
    log "not running ($dir)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_DEADLINE_S))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "pid $pid still running after ${STOP_DEADLINE_S}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
  done
  rm -f "$pid_file"
  log "stopped (pid $pid)"
}

do_status() {
  local pid
  if ! pid=$(server_pid); then
    echo "clickhouse: stopped (dir $dir)"
    return 3
  fi
  if pinged; then
    summary "$pid"
  else
    echo "clickhouse: NOT ANSWERING (pid $pid) http://127.0.0.1:$http_port dir $dir"
    return 1
  fi
}

case "$cmd" in
  install) ensure_installed ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac
