# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings below are used by the scripts that source this file
# Shared settings and helpers for start.sh / stop.sh / node.sh. Sourced, not executed.

KAFKA_VERSION=4.1.1
# apicurio-registry-app 3.1.x / 3.2.x were never published to Maven Central (only the SDK,
# serdes and parent POM were); the 3.x server archives there are 3.0.9, 3.3.2 and 3.3.3, and
# 3.0.9 cannot be fetched with mvn (its parent POM is missing). 3.3.x needs Java 21+.
APICURIO_VERSION="${EVT_APICURIO_VERSION:-3.3.3}"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${EVT_INFRA_CACHE:-$HOME/.cache/evt-infra}"
RUN="${EVT_INFRA_RUN:-/tmp/evt-kafka}"
TIMEOUT="${EVT_INFRA_TIMEOUT:-120}"

KAFKA_HOST=127.0.0.1
REGISTRY_PORT=8080
REGISTRY_MGMT_PORT=9000 # Quarkus management interface (health at /health); bound to 127.0.0.1
REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
MAX_NODES=5

# Ports of Kafka node N (1-based): a block of 100 per node starting at 9092, so node 1 keeps the
# single-node ports. Offsets inside the block:
#   +0 PLAINTEXT  +1 CONTROLLER  +2 SASL_PLAINTEXT  +3 SSL  +4 SASL_SSL  +5 MTLS (SSL, client cert required)
node_base() { echo $((9092 + 100 * ($1 - 1))); }
node_port() { # node_port N plaintext|controller|sasl|ssl|sasl_ssl|mtls
  local base off
  base=$(node_base "$1")
  case $2 in
    plaintext) off=0 ;; controller) off=1 ;; sasl) off=2 ;; ssl) off=3 ;; sasl_ssl) off=4 ;; mtls) off=5 ;;
    *) die "unknown listener $2" ;;
  esac
  echo $((base + off))
}
node_ports() { local l; for l in plaintext controller sasl ssl sasl_ssl mtls; do node_port "$1" "$l"; done; }
# bootstrap COUNT LISTENER -> "127.0.0.1:9092,127.0.0.1:9192,..."
bootstrap() {
  local n out=()
  for ((n = 1; n <= $1; n++)); do out+=("$KAFKA_HOST:$(node_port "$n" "$2")"); done
  (IFS=,; echo "${out[*]}")
}

# The cluster size of the current run (written by a full start), empty if none.
SIZE_FILE_NAME=cluster.size
cluster_size() { cat "$RUN/$SIZE_FILE_NAME" 2>/dev/null || true; }
TLS_DIR="$RUN/tls"

LIB="$CACHE/lib"
APICURIO_DIR="$CACHE/apicurio-registry-$APICURIO_VERSION"

JVM_OPTS=(-Xmx512m -XX:+UseSerialGC -Djava.awt.headless=true)
# Extra JVM flags for both servers, e.g. EVT_INFRA_JAVA_OPTS="-XX:TieredStopAtLevel=1".
# shellcheck disable=SC2206
JVM_OPTS+=(${EVT_INFRA_JAVA_OPTS:-})

# java_feature BIN: major Java version of a java binary ("17", "25"), empty if unknown.
java_feature() {
  local bin=$1 home v=""
  home=$(dirname "$(dirname "$(readlink -f "$(command -v "$bin" 2>/dev/null || echo "$bin")")")")
  if [[ -f "$home/release" ]]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  fi
  if [[ -z "$v" ]]; then
    v=$("$bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
  fi
  echo "$v"
}

# registry_java: a java binary new enough for Apicurio 3.3 (21+). Order: $EVT_REGISTRY_JAVA,
# java on PATH, $JAVA_HOME, then the newest JDK under /usr/lib/jvm.
registry_java() {
  if [[ -n "${EVT_REGISTRY_JAVA:-}" ]]; then echo "$EVT_REGISTRY_JAVA"; return 0; fi
  local c v best="" bestv=0
  for c in java ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/*/bin/java; do
    [[ -x "$(command -v "$c" 2>/dev/null)" ]] || continue
    v=$(java_feature "$c")
    if [[ -n "$v" ]] && ((v >= 21)); then
      [[ "$c" == java || "$c" == "${JAVA_HOME:-}/bin/java" ]] && { echo "$c"; return 0; }
      ((v > bestv)) && { best=$c; bestv=$v; }
    fi
  done
  if [[ -n "$best" ]]; then echo "$best"; fi
}

log() { echo "[evt-kafka] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_ms() { date +%s%3N; }
# secs_since START_MS -> "12.3"
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%d' $((d / 1000)) $(((d % 1000) / 100)); }

# port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Each JVM gets marker properties so that it can be found again without trusting a pid file
# alone (pids get reused): -Devt.infra.role=<role> -Devt.infra.run=<run dir>. Every Kafka node
# has role "kafka" (test/reliability/kafka-faults.ts finds the single-node broker by it) plus
# -Devt.infra.node=<N>.
marker_args() { echo "-Devt.infra.role=$1" "-Devt.infra.run=$RUN"; }
node_marker_args() { echo "-Devt.infra.role=kafka" "-Devt.infra.node=$1" "-Devt.infra.run=$RUN"; }

# is_ours PID ROLE: the process exists and carries our markers for this run dir.
is_ours() {
  local pid=$1 role=$2 cmd
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmd" == *"-Devt.infra.role=$role "* && "$cmd" == *"-Devt.infra.run=$RUN "* ]]
}

# find_pids ROLE: pids of our JVMs for ROLE (from the pid file and a /proc scan).
find_pids() {
  local role=$1 pid f found=()
  if [[ -f "$RUN/$role.pid" ]]; then
    pid=$(cat "$RUN/$role.pid" 2>/dev/null || true)
    is_ours "$pid" "$role" && found+=("$pid")
  fi
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    [[ " ${found[*]} " == *" $pid "* ]] && continue
    is_ours "$pid" "$role" && found+=("$pid")
  done
  echo "${found[*]}"
}

# node_of PID: the node id a Kafka JVM of ours carries (1 for a broker without the node marker).
node_of() {
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 0
  if [[ "$cmd" =~ -Devt\.infra\.node=([0-9]+)\  ]]; then echo "${BASH_REMATCH[1]}"; else echo 1; fi
}

# node_pid N: the pid of Kafka node N of this run dir, empty if it is not running.
node_pid() {
  local pid
  pid=$(cat "$RUN/kafka-$1.pid" 2>/dev/null || true)
  if is_ours "$pid" kafka && [[ "$(node_of "$pid")" == "$1" ]]; then echo "$pid"; return 0; fi
  for pid in $(find_pids kafka); do
    if [[ "$(node_of "$pid")" == "$1" ]]; then echo "$pid"; return 0; fi
  done
}

# running_nodes: the node ids of the Kafka JVMs of this run dir, sorted ("1 2 3").
running_nodes() {
  local pid ids=()
  for pid in $(find_pids kafka); do ids+=("$(node_of "$pid")"); done
  ((${#ids[@]})) && printf '%s\n' "${ids[@]}" | sort -n | uniq | tr '\n' ' ' | sed 's/ $//'
  return 0
}

node_log() { echo "$RUN/kafka-$1.log"; }

# node_healthy N [FROM_BYTE]: the JVM runs, its PLAINTEXT port accepts and its log (from byte
# FROM_BYTE on, to ignore an earlier life of the node) says "Kafka Server started".
node_healthy() {
  local from=${2:-0}
  [[ -n "$(node_pid "$1")" ]] && port_open "$(node_port "$1" plaintext)" &&
    grep -q "Kafka Server started" <(tail -c +"$((from + 1))" "$(node_log "$1")" 2>/dev/null)
}

check_node_ports() {
  local p
  for p in $(node_ports "$1"); do
    port_open "$p" && die "port $p (Kafka node $1) is already in use by another process (not ours); stop it first"
  done
  return 0
}

NODE_PIDS=() # pids of the Kafka nodes launched by this invocation

# launch_node N: start node N on its config and data (both made by start.sh's full start).
launch_node() {
  local n=$1
  [[ -f "$RUN/server-$n.properties" ]] || die "no config for node $n in $RUN; run stop.sh and start again"
  check_node_ports "$n"
  # node_healthy looks for "Kafka Server started" only after this byte of the log (an earlier life).
  stat -c %s "$(node_log "$n")" 2>/dev/null >"$RUN/kafka-$n.from" || echo 0 >"$RUN/kafka-$n.from"
  # 9>&-: do not hand the start/stop lock (fd 9) down to the long-running JVM.
  # setsid: own session, so killing the caller's process group does not take the broker down.
  # shellcheck disable=SC2046
  setsid nohup java "${JVM_OPTS[@]}" $(node_marker_args "$n") -Dkafka.logs.dir="$RUN" -Devt.infra.log="kafka-$n" \
    -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    -cp "$LIB/*" kafka.Kafka "$RUN/server-$n.properties" >>"$RUN/kafka-$n.out" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/kafka-$n.pid"
  NODE_PIDS+=($!)
}

registry_healthy() {
  [[ -n "$(find_pids registry)" ]] &&
    curl -sf -o /dev/null --max-time 5 "$REGISTRY_URL/subjects"
}

# stop_roles ROLE...: SIGTERM all, wait up to 20 s, then SIGKILL what is left.
stop_roles() {
  local role pids=()
  for role in "$@"; do
    # shellcheck disable=SC2207
    pids+=($(find_pids "$role"))
  done
  if ((${#pids[@]} == 0)); then return 0; fi
  log "stopping $* (pid ${pids[*]})"
  stop_pids 20 "${pids[@]}"
}

# proc_state PID: the one-letter state of a process (R, S, T for stopped, Z for zombie), empty if gone.
proc_state() { sed -n 's/^State:\s*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true; }

# alive PID: the process exists and has not exited. A JVM whose launching script is gone is
# reparented to init, which may reap it a while later: a zombie counts as exited.
alive() { kill -0 "$1" 2>/dev/null && [[ "$(proc_state "$1")" != Z ]]; }

# stop_pids SECONDS PID...: SIGTERM, wait up to SECONDS for all to exit, then SIGKILL the rest.
stop_pids() {
  local secs=$1 deadline pid
  shift
  local pids=("$@")
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$(( $(now_ms) + secs * 1000 ))
  while (( $(now_ms) < deadline )); do
    local left=()
    for pid in "${pids[@]}"; do alive "$pid" && left+=("$pid"); done
    ((${#left[@]} == 0)) && return 0
    sleep 0.2
  done
  for pid in "${pids[@]}"; do
    if alive "$pid"; then
      log "pid $pid did not exit after $secs s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  sleep 0.5
}

# Serialize start.sh / stop.sh for the same run dir.
take_lock() {
  mkdir -p "$RUN"
  exec 9>"$RUN/.lock"
  flock -w 300 9 || die "could not lock $RUN/.lock (another start/stop still running?)"
}
