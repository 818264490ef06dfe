# shellcheck shell=bash
# Shared settings and helpers for start.sh / stop.sh. Sourced, not executed.

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
KAFKA_PORT=9092
CONTROLLER_PORT=9093
REGISTRY_PORT=8080
REGISTRY_MGMT_PORT=9000 # Quarkus management interface (health at /health); bound to 127.0.0.1
KAFKA_ADDR="$KAFKA_HOST:$KAFKA_PORT"
REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"

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

# Each JVM gets two marker properties so that it can be found again without trusting
# a pid file alone (pids get reused): -Devt.infra.role=<role> -Devt.infra.run=<run dir>.
marker_args() { echo "-Devt.infra.role=$1" "-Devt.infra.run=$RUN"; }

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

kafka_healthy() {
  [[ -n "$(find_pids kafka)" ]] && port_open "$KAFKA_PORT" &&
    grep -q "Kafka Server started" "$RUN/kafka.log" 2>/dev/null
}

registry_healthy() {
  [[ -n "$(find_pids registry)" ]] &&
    curl -sf -o /dev/null --max-time 5 "$REGISTRY_URL/subjects"
}

# stop_roles ROLE...: SIGTERM all, wait up to 20 s, then SIGKILL what is left.
stop_roles() {
  local role pids=() deadline
  for role in "$@"; do
    # shellcheck disable=SC2207
    pids+=($(find_pids "$role"))
  done
  if ((${#pids[@]} == 0)); then return 0; fi
  log "stopping $* (pid ${pids[*]})"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$(( $(now_ms) + 20000 ))
  while (( $(now_ms) < deadline )); do
    local alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    ((${#alive[@]} == 0)) && return 0
    sleep 0.2
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not exit after 20 s; sending SIGKILL"
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
