#!/usr/bin/env bash
# Control one Kafka node of the cluster started by start.sh, for fault tests. The node keeps its
# data dir: a stopped or killed node started again rejoins with its log (a rolling restart).
#
#   node.sh pid N          print node N's pid (exit 1 if it is not running)
#   node.sh stop N         SIGTERM (controlled shutdown) and wait until it has exited
#                          (up to EVT_INFRA_TIMEOUT s, then SIGKILL)
#   node.sh kill N         SIGKILL and wait until it is gone
#   node.sh freeze N       SIGSTOP (the process hangs: open sockets, no answers)
#   node.sh thaw N         SIGCONT
#   node.sh start N        start it again on its data; returns when it serves again ("Kafka Server
#                          started" in its log since this start, and its PLAINTEXT port accepts);
#                          stdout: "node N 127.0.0.1:PORT". A running healthy node is left alone.
#   node.sh wait-isr [S]   wait (up to S seconds, default EVT_INFRA_TIMEOUT) until every node of
#                          the cluster runs and no partition (internal topics included) is
#                          under-replicated, i.e. every replica is back in the ISR; exit 1 at once
#                          if a node is down or frozen, exit 1 after S seconds otherwise. Uses
#                          Kafka's own TopicCommand --describe --under-replicated-partitions.
#   node.sh status         one line per node: "N up|down|frozen PID PORTS..."
#
# Progress and timings go to stderr. Same env as start.sh (EVT_INFRA_RUN, EVT_INFRA_TIMEOUT, ...).
set -euo pipefail
# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; }

CMD=${1:-}
[[ -n "$CMD" ]] || { usage; exit 2; }
[[ "$CMD" == -h || "$CMD" == --help ]] && { usage; exit 0; }
shift

SIZE=$(cluster_size)

# node_arg N: a node id of the current cluster.
node_arg() {
  [[ "${1:-}" =~ ^[1-9][0-9]*$ ]] || die "$CMD needs a node id (1..${SIZE:-N}), got '${1:-}'"
  [[ -n "$SIZE" ]] || die "no cluster in $RUN (start one with scripts/kafka/start.sh)"
  (($1 <= SIZE)) || die "the running cluster has $SIZE node(s); there is no node $1"
  echo "$1"
}

require_pid() { # require_pid N -> pid, or exit 1 naming the node
  local pid
  pid=$(node_pid "$1")
  [[ -n "$pid" ]] || die "Kafka node $1 is not running"
  echo "$pid"
}

wait_gone() { # wait_gone PID SECONDS -> true if it exited in time
  local deadline=$(($(now_ms) + $2 * 1000))
  while alive "$1"; do
    (($(now_ms) < deadline)) || return 1
    sleep 0.1
  done
}

T0=$(now_ms)
case $CMD in
  pid)
    N=$(node_arg "${1:-}")
    require_pid "$N"
    ;;

  stop)
    N=$(node_arg "${1:-}")
    take_lock
    PID=$(node_pid "$N")
    if [[ -z "$PID" ]]; then log "node $N is not running"; exit 0; fi
    [[ "$(proc_state "$PID")" == T ]] && kill -CONT "$PID" 2>/dev/null # a frozen node cannot shut down
    kill -TERM "$PID"
    if ! wait_gone "$PID" "$TIMEOUT"; then
      log "node $N (pid $PID) did not exit within ${TIMEOUT}s after SIGTERM; sending SIGKILL"
      kill -KILL "$PID" 2>/dev/null || true
      wait_gone "$PID" 10 || die "node $N (pid $PID) is still there after SIGKILL"
    fi
    log "node $N stopped (SIGTERM) in $(secs_since "$T0")s"
    ;;

  kill)
    N=$(node_arg "${1:-}")
    take_lock
    PID=$(node_pid "$N")
    if [[ -z "$PID" ]]; then log "node $N is not running"; exit 0; fi
    kill -KILL "$PID"
    wait_gone "$PID" 10 || die "node $N (pid $PID) is still there 10 s after SIGKILL"
    log "node $N killed (SIGKILL) in $(secs_since "$T0")s"
    ;;

  freeze | thaw)
    N=$(node_arg "${1:-}")
    PID=$(require_pid "$N")
    if [[ $CMD == freeze ]]; then kill -STOP "$PID"; else kill -CONT "$PID"; fi
    log "node $N (pid $PID): $CMD"
    ;;

  start)
    N=$(node_arg "${1:-}")
    take_lock
    FROM=$(cat "$RUN/kafka-$N.from" 2>/dev/null || echo 0)
    if [[ -n "$(node_pid "$N")" ]] && node_healthy "$N" "$FROM"; then
      log "node $N is already running"
    else
      if [[ -z "$(node_pid "$N")" ]]; then
        compgen -G "$RUN/kafka-data.*/node-$N" >/dev/null ||
          die "the data dir of node $N is gone; run scripts/kafka/stop.sh and start.sh again"
        launch_node "$N"
        FROM=$(cat "$RUN/kafka-$N.from")
        log "starting node $N on its data (pid ${NODE_PIDS[0]})"
      fi
      deadline=$((T0 + TIMEOUT * 1000))
      until node_healthy "$N" "$FROM"; do
        if [[ -z "$(node_pid "$N")" ]]; then
          tail -n 30 "$(node_log "$N")" >&2 || true
          tail -n 15 "$RUN/kafka-$N.out" >&2 || true
          die "node $N exited during start-up"
        fi
        if (($(now_ms) > deadline)); then
          tail -n 30 "$(node_log "$N")" >&2 || true
          die "node $N not ready within ${TIMEOUT}s (log: $(node_log "$N"))"
        fi
        sleep 0.2
      done
      log "node $N ready after $(secs_since "$T0")s"
    fi
    echo "node $N $KAFKA_HOST:$(node_port "$N" plaintext)"
    ;;

  wait-isr)
    [[ -n "$SIZE" ]] || die "no cluster in $RUN (start one with scripts/kafka/start.sh)"
    LIMIT=${1:-$TIMEOUT}
    [[ "$LIMIT" =~ ^[0-9]+$ ]] || die "wait-isr takes a number of seconds, got '$LIMIT'"
    deadline=$((T0 + LIMIT * 1000))
    servers=()
    for ((n = 1; n <= SIZE; n++)); do
      PID=$(node_pid "$n")
      [[ -n "$PID" ]] || die "node $n is down: its replicas cannot rejoin the ISR (node.sh start $n first)"
      [[ "$(proc_state "$PID")" != T ]] || die "node $n is frozen (node.sh thaw $n first)"
      servers+=("$KAFKA_HOST:$(node_port "$n" plaintext)")
    done
    # The tool's own start-up costs ~1-2 s a round; C1 only and a small heap keep that down.
    tool=(java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dkafka.logs.dir="$RUN" -Devt.infra.log=tools
      -Dlog4j2.configurationFile="$HERE/log4j2.properties" -cp "$LIB/*" org.apache.kafka.tools.TopicCommand
      --bootstrap-server "$(IFS=,; echo "${servers[*]}")" --describe --under-replicated-partitions)
    rounds=0
    for (( ; ; )); do
      rounds=$((rounds + 1))
      if under=$("${tool[@]}" 2>"$RUN/wait-isr.err") && [[ -z "$under" ]]; then
        log "all partitions fully replicated (checked in $(secs_since "$T0")s, $rounds round(s))"
        exit 0
      fi
      if (($(now_ms) > deadline)); then
        [[ -n "$under" ]] && printf '%s\n' "$under" >&2
        tail -n 5 "$RUN/wait-isr.err" >&2 || true
        die "partitions still under-replicated after ${LIMIT}s"
      fi
      sleep 0.5
    done
    ;;

  status)
    [[ -n "$SIZE" ]] || { log "no cluster in $RUN"; exit 0; }
    for ((n = 1; n <= SIZE; n++)); do
      PID=$(node_pid "$n")
      state=down
      if [[ -n "$PID" ]]; then
        state=up
        [[ "$(proc_state "$PID")" == T ]] && state=frozen
      fi
      echo "$n $state ${PID:--} $(node_ports "$n" | tr '\n' ' ' | sed 's/ $//')"
    done
    ;;

  *)
    usage
    die "unknown command '$CMD'"
    ;;
esac
