#!/usr/bin/env bash
# Runs a single-node Apache Kafka broker (KRaft combined mode: broker + controller in one
# JVM) from the official jars, which Maven fetches once into a cache outside git.
#
#   scripts/kafka.sh start|stop|status|install [--dir DIR] [--port N] [--controller-port N]
#
# DIR holds config/, data/ (log.dirs), logs/, the cluster id and the pid file; data stays
# across stop/start. Progress goes to stderr, the one-line result of start/status to stdout.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
STATE_DIR=${DRIFTWATCH_STATE_DIR:-$REPO_DIR/.services}
CACHE_DIR=${DRIFTWATCH_CACHE_DIR:-$HOME/.cache/driftwatch}
POM="$SCRIPT_DIR/kafka/pom.xml"
START_DEADLINE_S=180
STOP_DEADLINE_S=60
JVM_OPTS=(-Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true)

usage() {
  cat >&2 <<EOF
usage: $(basename "$0") start|stop|status|install [options]
  --dir DIR              instance directory (default \$DRIFTWATCH_STATE_DIR/kafka = $STATE_DIR/kafka)
Ports not given are those the instance in DIR was last started with, else:
  --port N               PLAINTEXT broker listener on 127.0.0.1 (default 19092)
  --controller-port N    KRaft controller listener on 127.0.0.1 (default 19093)
install only fetches the jars (into \$DRIFTWATCH_CACHE_DIR, default ~/.cache/driftwatch).
EOF
  exit 2
}

log() { printf 'kafka: %s\n' "$*" >&2; }
die() { printf 'kafka: error: %s\n' "$*" >&2; exit 1; }

cmd=""
dir="$STATE_DIR/kafka"
port="" controller_port=""
while [ $# -gt 0 ]; do
  case "$1" in
    start|stop|status|install) [ -z "$cmd" ] || usage; cmd=$1 ;;
    --dir) [ $# -ge 2 ] || usage; dir=$2; shift ;;
    --dir=*) dir=${1#*=} ;;
    --port) [ $# -ge 2 ] || usage; port=$2; shift ;;
    --port=*) port=${1#*=} ;;
    --controller-port) [ $# -ge 2 ] || usage; controller_port=$2; shift ;;
    --controller-port=*) controller_port=${1#*=} ;;
    -h|--help) usage ;;
    *) log "unknown argument: $1"; usage ;;
  esac
  shift
done
[ -n "$cmd" ] || usage
for p in "$port" "$controller_port"; do
  [ -z "$p" ] || [[ "$p" =~ ^[0-9]+$ && "$p" -ge 1 && "$p" -le 65535 ]] || die "not a port number: $p"
done

[ -f "$POM" ] || die "missing $POM"
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")
[ -n "$KAFKA_VERSION" ] || die "no <kafka.version> in $POM"
DIST_DIR="$CACHE_DIR/kafka-$KAFKA_VERSION"
LIBS="$DIST_DIR/libs"
MARKER="$DIST_DIR/.fetched"   # holds the pom's checksum: written only after a complete fetch

dir=$(realpath -m -- "$dir")
pid_file="$dir/kafka.pid"
ports_file="$dir/ports"
props="$dir/config/server.properties"
log_file="$dir/logs/server.log"

if [ -f "$ports_file" ]; then
  read -r rec_port rec_ctrl < "$ports_file" || true
  port=${port:-$rec_port} controller_port=${controller_port:-$rec_ctrl}
fi
port=${port:-19092} controller_port=${controller_port:-19093}
[ "$port" != "$controller_port" ] || die "--port and --controller-port must differ"

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing $*; run as root or install: apt-get install -y $*"
    sudo="sudo"
  fi
  log "installing $* (apt-get)"
  $sudo apt-get update -qq >&2 || die "apt-get update failed"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 || die "apt-get install $* failed"
}

tools_checked=""
ensure_tools() {
  [ -z "$tools_checked" ] || return 0
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [[ "${major%%.*}" =~ ^[0-9]+$ && "${major%%.*}" -ge 17 ]] || die "Kafka $KAFKA_VERSION needs Java 17+, found '${major:-unknown}'"
  tools_checked=1
}

pom_sum() { sha256sum "$POM" | cut -d' ' -f1; }

jars_fetched() { [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$(pom_sum)" ]; }

ensure_jars() {
  jars_fetched && return 0
  ensure_tools
  # Brokers started at once (parallel CI jobs) share the cache: one fetches, the others wait.
  mkdir -p "$DIST_DIR"
  exec 9>"$DIST_DIR/.lock"
  flock -w 600 9 || die "timed out waiting for another fetch into $DIST_DIR"
  if jars_fetched; then exec 9>&-; return 0; fi
  log "fetching Kafka $KAFKA_VERSION jars with Maven into $LIBS (once)"
  rm -rf "$LIBS" "$MARKER"
  mkdir -p "$LIBS"
  local t0=$SECONDS
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS" > "$DIST_DIR/mvn.log" 2>&1; then
    cat "$DIST_DIR/mvn.log" >&2
    die "Maven could not fetch the jars (is Maven Central reachable?); rerun to retry"
  fi
  [ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ] || die "Maven finished but $LIBS has no kafka_2.13-$KAFKA_VERSION.jar"
  pom_sum > "$MARKER"
  local jars=("$LIBS"/*.jar)
  log "fetched ${#jars[@]} jars in $((SECONDS - t0))s"
  exec 9>&-
}

# One start/stop at a time per instance directory.
lock_instance() {
  mkdir -p "$dir"
  exec 8>"$dir/.lock"
  flock -w 300 8 || die "another start/stop is still working on $dir"
}

kafka_java() { java -cp "$LIBS/*" "$@"; }

# The broker of THIS instance: the pid file, else a process whose command line names our
# server.properties (a pid file deleted by hand must not leave an orphan broker behind).
broker_pid() {
  local pid
  if [ -f "$pid_file" ]; then
    pid=$(tr -dc '0-9' < "$pid_file" || true)
    if [ -n "$pid" ] && is_our_broker "$pid"; then echo "$pid"; return 0; fi
  fi
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    if is_our_broker "$pid"; then echo "$pid"; return 0; fi
  done
  return 1
}

is_our_broker() {
  local args cmdline
  { mapfile -d '' -t args < "/proc/$1/cmdline"; } 2>/dev/null || return 1
  cmdline=" ${args[*]} "
  [[ "$cmdline" == *" kafka.Kafka $props "* ]]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

summary() {
  echo "kafka: running (pid $1) broker 127.0.0.1:$port controller 127.0.0.1:$controller_port dir $dir"
}

print_log_tail() {
  local f
  for f in "$dir/logs/stdout.log" "$log_file"; do
    if [ -s "$f" ]; then
      printf -- '--- last lines of %s ---\n' "$f" >&2
      tail -n 40 "$f" >&2
    fi
  done
}

write_config() {
  mkdir -p "$dir/config" "$dir/data" "$dir/logs"
  cat > "$props" <<EOF
# Generated by scripts/kafka.sh at every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data

# One node: every internal topic has a single replica.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer __consumer_offsets partitions than the default 50: the first consumer group
# then waits less for the topic to be created.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10

group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
num.partitions=3

# Modest retention for a development broker.
log.retention.hours=24
log.retention.bytes=268435456
log.segment.bytes=67108864
log.retention.check.interval.ms=300000

num.network.threads=2
num.io.threads=4
EOF
  cat > "$dir/config/log4j2.properties" <<EOF
# Generated by scripts/kafka.sh. INFO to logs/server.log, rolled at 50 MB, 3 kept.
name=driftwatch-kafka
appender.file.type=RollingFile
appender.file.name=file
appender.file.fileName=$log_file
appender.file.filePattern=$dir/logs/server.log.%i
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
appender.file.policies.type=Policies
appender.file.policies.size.type=SizeBasedTriggeringPolicy
appender.file.policies.size.size=50MB
appender.file.strategy.type=DefaultRolloverStrategy
appender.file.strategy.max=3
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.controller.name=kafka.controller
logger.controller.level=INFO
logger.state.name=state.change.logger
logger.state.level=WARN
logger.request.name=kafka.request.logger
logger.request.level=WARN
EOF
}

ensure_formatted() {
  local cluster_id_file="$dir/cluster.id"
  if [ ! -s "$cluster_id_file" ]; then
    kafka_java kafka.tools.StorageTool random-uuid > "$cluster_id_file.tmp" 2>"$dir/logs/format.log" \
      || { print_log_tail; cat "$dir/logs/format.log" >&2; die "could not generate a cluster id"; }
    mv "$cluster_id_file.tmp" "$cluster_id_file"
  fi
  [ -f "$dir/data/meta.properties" ] && return 0
  log "formatting storage in $dir/data (cluster id $(cat "$cluster_id_file"))"
  kafka_java kafka.tools.StorageTool format -t "$(cat "$cluster_id_file")" -c "$props" --ignore-formatted \
      > "$dir/logs/format.log" 2>&1 \
    || { cat "$dir/logs/format.log" >&2; die "kafka-storage format failed"; }
}

# Ready = this run's log says "Kafka Server started" and the broker port accepts TCP.
wait_until_ready() {
  local pid=$1 log_offset=$2 deadline=$((SECONDS + START_DEADLINE_S))
  while :; do
    if [ -f "$log_file" ]; then
      # A log smaller than the offset was rolled over: read all of it.
      local size from=$((log_offset + 1))
      size=$(stat -c %s "$log_file")
      [ "$size" -ge "$log_offset" ] || from=1
      # grep without -q reads to the end: an early exit would fail the pipe (pipefail, SIGPIPE).
      if tail -c +"$from" "$log_file" | grep -F 'Kafka Server started' >/dev/null && port_open "$port"; then
        return 0
      fi
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      print_log_tail
      rm -f "$pid_file"
      die "broker (pid $pid) exited during start-up"
    fi
    if [ $SECONDS -ge $deadline ]; then
      print_log_tail
      die "broker not ready after ${START_DEADLINE_S}s (pid $pid still running; stop it with: $0 stop --dir $dir)"
    fi
    sleep 0.2
  done
}

do_start() {
  lock_instance
  local pid
  if pid=$(broker_pid); then
    if [ -f "$ports_file" ] && [ "$(cat "$ports_file")" != "$port $controller_port" ]; then
      die "instance in $dir already runs (pid $pid) with ports $(cat "$ports_file") (broker controller); stop it first"
    fi
    if ! port_open "$port"; then
      log "pid $pid is starting; waiting"
      wait_until_ready "$pid" 0
    fi
    log "already running"
    summary "$pid"
    return 0
  fi
  if [ -f "$pid_file" ]; then
    log "removing stale pid file $pid_file"
    rm -f "$pid_file"
  fi
  ensure_jars
  ensure_tools
  local p
  for p in "$port" "$controller_port"; do
    port_open "$p" && die "port 127.0.0.1:$p is already in use by another process (pick other ports with --port/--controller-port)"
  done

  write_config
  echo "$port $controller_port" > "$ports_file"
  ensure_formatted

  local log_offset=0
  [ -f "$log_file" ] && log_offset=$(stat -c %s "$log_file")
  log "starting Kafka $KAFKA_VERSION"
  # setsid: own session, so the broker outlives the calling shell and its terminal. The
  # subshell is not a process-group leader, so setsid execs in place and $! is the JVM.
  # 8>&- 9>&-: the broker must not inherit (and so keep holding) the locks.
  ( cd "$dir" && exec setsid nohup java "${JVM_OPTS[@]}" \
      -Dlog4j2.configurationFile="$dir/config/log4j2.properties" \
      -Dkafka.logs.dir="$dir/logs" \
      -cp "$LIBS/*" kafka.Kafka "$props" \
      > "$dir/logs/stdout.log" 2>&1 < /dev/null 8>&- 9>&- ) &
  pid=$!
  echo "$pid" > "$pid_file"
  wait_until_ready "$pid" "$log_offset"
  log "started"
  summary "$pid"
}

do_stop() {
  [ ! -d "$dir" ] || lock_instance
  local pid
  if ! pid=$(broker_pid); then
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
    sleep 0.2
  done
  rm -f "$pid_file"
  log "stopped (pid $pid)"
}

do_status() {
  local pid
  if ! pid=$(broker_pid); then
    echo "kafka: stopped (dir $dir)"
    return 3
  fi
  if port_open "$port"; then
    summary "$pid"
  else
    echo "kafka: NOT ANSWERING (pid $pid) broker 127.0.0.1:$port dir $dir"
    return 1
  fi
}

case "$cmd" in
  install) ensure_jars; ensure_tools ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac
