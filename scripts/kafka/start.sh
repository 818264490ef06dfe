#!/usr/bin/env bash
# Start a real Apache Kafka cluster (KRaft; every node broker+controller) and an Apicurio Registry
# (Confluent-compatible API) on 127.0.0.1, for integration tests and local development.
#
#   scripts/kafka/start.sh [--brokers N]     (or EVT_KAFKA_BROKERS=N; default 1, at most 5)
#     stdout, one "NAME VALUE" per line (the first two lines are what they always were):
#       kafka 127.0.0.1:9092[,127.0.0.1:9192,...]      PLAINTEXT bootstrap
#       registry http://127.0.0.1:8080/apis/ccompat/v7
#       kafka-sasl ...        SASL_PLAINTEXT (9094, 9194, ...)
#       kafka-ssl ...         SSL, no client certificate (9095, ...)
#       kafka-sasl-ssl ...    SASL_SSL (9096, ...)
#       kafka-mtls ...        SSL, client certificate required (9097, ...)
#       tls-ca PATH           the CA that signed the brokers' certificate
#       tls-dir DIR           ca.pem client.pem client-key.pem other-ca.pem ... (see README.md)
#   scripts/kafka/stop.sh
#   scripts/kafka/node.sh stop|kill|start|pid|... N    one node of the running cluster
#
# Progress goes to stderr. Idempotent: services that are already up are left alone; nodes of the
# running cluster that are down are started again on their data. A cluster of another size that
# is already running is an error (exit 1): stop it first with stop.sh.
# Env: EVT_KAFKA_BROKERS (node count), EVT_INFRA_CACHE (jars + registry, default ~/.cache/evt-infra),
#      EVT_INFRA_RUN (pids, logs, data; default /tmp/evt-kafka), EVT_INFRA_TIMEOUT (s, default 120),
#      EVT_INFRA_JAVA_OPTS (extra JVM flags for all), EVT_APICURIO_VERSION (default 3.3.3),
#      EVT_REGISTRY_JAVA (java binary for the registry; default: newest Java 21+ found).
set -euo pipefail
# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

NODES="${EVT_KAFKA_BROKERS:-1}"
while (($#)); do
  case $1 in
    --brokers) NODES=${2:-}; shift; shift || true ;;
    --brokers=*) NODES=${1#*=}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument '$1' (usage: start.sh [--brokers N])" ;;
  esac
done
if ! [[ "$NODES" =~ ^[1-9][0-9]*$ ]] || ((NODES > MAX_NODES)); then
  die "--brokers / EVT_KAFKA_BROKERS must be a number from 1 to $MAX_NODES (got '$NODES')"
fi

T0=$(now_ms)
command -v java >/dev/null || die "java not found (need Java 17+)"
command -v curl >/dev/null || die "curl not found"
take_lock
mkdir -p "$CACHE"

# ---------------------------------------------------------------- downloads (cached)
# Maven 3.8 -q still prints bare ANSI resets even with -Dstyle.color=never.
strip_ansi() { sed -u 's/\x1b\[[0-9;]*m//g' | grep -v '^$' || true; }

ensure_jars() {
  local want have=""
  want=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)
  [[ -f "$LIB/.pom.sha256" ]] && have=$(cat "$LIB/.pom.sha256")
  if [[ "$have" == "$want" ]] && compgen -G "$LIB/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Kafka jars)"
  log "fetching Kafka $KAFKA_VERSION jars into $LIB (mvn) ..."
  rm -rf "$LIB.tmp"
  (cd "$HERE" && mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIB.tmp" -DincludeScope=runtime) 2>&1 | strip_ansi >&2 ||
    die "mvn dependency:copy-dependencies failed"
  echo "$want" >"$LIB.tmp/.pom.sha256"
  rm -rf "$LIB"
  mv "$LIB.tmp" "$LIB"
}

ensure_apicurio() {
  [[ -f "$APICURIO_DIR/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch Apicurio Registry)"
  local tgz="$CACHE/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" jar
  if [[ ! -s "$tgz" ]]; then
    log "fetching Apicurio Registry $APICURIO_VERSION into $CACHE (mvn) ..."
    (cd "$HERE" && mvn -B -q -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
        -DoutputDirectory="$CACHE") 2>&1 | strip_ansi >&2 || die "mvn dependency:copy of apicurio-registry-app failed"
  fi
  log "unpacking $tgz ..."
  rm -rf "$APICURIO_DIR.tmp"
  mkdir -p "$APICURIO_DIR.tmp"
  tar -xzf "$tgz" -C "$APICURIO_DIR.tmp" --no-same-owner
  # The -all.tar.gz holds the *contents* of Quarkus' quarkus-app/ dir (quarkus-run.jar, lib/,
  # app/, quarkus/) without a top-level directory; locate quarkus-run.jar to be layout-agnostic.
  jar=$(find "$APICURIO_DIR.tmp" -name quarkus-run.jar -print -quit)
  [[ -n "$jar" ]] || die "quarkus-run.jar not found in $tgz"
  rm -rf "$APICURIO_DIR"
  mkdir -p "$APICURIO_DIR"
  mv "$(dirname "$jar")" "$APICURIO_DIR/quarkus-app"
  rm -rf "$APICURIO_DIR.tmp" "$tgz" # the tarball stays in ~/.m2 anyway
  touch "$APICURIO_DIR/.complete"
}

# ---------------------------------------------------------------- TLS material
# A throwaway CA, the brokers' certificate (IP:127.0.0.1, DNS:localhost), a client certificate
# for mTLS, and an unrelated second CA (with a client certificate of its own) for the
# "wrong CA" cases. RSA 2048, PEM, valid 30 days; remade on every full start.
make_tls() {
  command -v openssl >/dev/null || die "openssl not found (needed for the TLS listeners)"
  local tmp="$TLS_DIR.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  chmod 700 "$tmp"
  if ! (
    set -e
    cd "$tmp"
    ca() { # ca NAME CN
      openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$2" -keyout "$1-key.pem" -out "$1.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    }
    leaf() { # leaf NAME CA CN EXTENSIONS
      openssl req -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$1-key.pem" -out "$1.csr"
      printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$4" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2-key.pem" -set_serial "0x$(openssl rand -hex 8)" \
        -days 30 -extfile "$1.ext" -out "$1.pem"
      rm -f "$1.csr" "$1.ext"
    }
    ca ca "evt test CA"
    leaf server ca localhost $'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost'
    leaf client ca evt "extendedKeyUsage=clientAuth"
    ca other-ca "evt unrelated CA"
    leaf other-client other-ca evt "extendedKeyUsage=clientAuth"
  ) >"$RUN/tls.out" 2>&1; then
    tail -n 20 "$RUN/tls.out" >&2
    die "could not make the TLS certificates with openssl"
  fi
  chmod 600 "$tmp"/*-key.pem
  rm -rf "$TLS_DIR"
  mv "$tmp" "$TLS_DIR"
}

# pem_prop FILE: the file as one Java-properties value (newlines as \n escapes).
pem_prop() { awk '{printf "%s\\n", $0}' "$1"; }

# write_config N DATA_ROOT: $RUN/server-N.properties from the template.
write_config() {
  local n=$1 voters=() i rf minisr t
  for ((i = 1; i <= NODES; i++)); do voters+=("$i@$KAFKA_HOST:$(node_port "$i" controller)"); done
  rf=$((NODES < 3 ? NODES : 3))
  minisr=$((rf >= 3 ? 2 : 1))
  t=$(<"$HERE/server.properties")
  t=${t//@NODE_ID@/"$n"}
  t=${t//@VOTERS@/"$(IFS=,; echo "${voters[*]}")"}
  t=${t//@P_PLAINTEXT@/"$(node_port "$n" plaintext)"}
  t=${t//@P_CONTROLLER@/"$(node_port "$n" controller)"}
  t=${t//@P_SASL@/"$(node_port "$n" sasl)"}
  t=${t//@P_SSL@/"$(node_port "$n" ssl)"}
  t=${t//@P_SASL_SSL@/"$(node_port "$n" sasl_ssl)"}
  t=${t//@P_MTLS@/"$(node_port "$n" mtls)"}
  t=${t//@RF@/"$rf"}
  t=${t//@MIN_ISR@/"$minisr"}
  t=${t//@LOG_DIR@/"$2/node-$n"}
  t=${t//@TLS_DIR@/"$TLS_DIR"}
  t=${t//@SSL_KEY@/"$(pem_prop "$TLS_DIR/server-key.pem")"}
  t=${t//@SSL_CHAIN@/"$(pem_prop "$TLS_DIR/server.pem")"}
  printf '%s\n' "$t" >"$RUN/server-$n.properties"
  chmod 600 "$RUN/server-$n.properties"
}

# ---------------------------------------------------------------- launch
STARTED=() # roles launched by this invocation (cleaned up again if start-up fails)

# format_cluster: fresh TLS material, data dirs and configs for NODES nodes, each formatted with
# one new cluster id (in parallel: one JVM per node).
format_cluster() {
  local data cid n pids=() failed=0 t0
  t0=$(now_ms)
  rm -rf "${RUN:?}"/kafka-data.* "$RUN"/server*.properties "${RUN:?}/$SIZE_FILE_NAME" # leftovers of a crashed run
  data=$(mktemp -d "$RUN/kafka-data.XXXXXX")
  make_tls
  log "TLS material in $TLS_DIR ($(secs_since "$t0")s)"
  # Cluster id = a Kafka Uuid: 16 random bytes, base64url without padding (what
  # `kafka.tools.StorageTool random-uuid` prints, minus one JVM start). Kafka avoids a leading '-'.
  cid=-
  while [[ "$cid" == -* ]]; do
    cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  for ((n = 1; n <= NODES; n++)); do
    write_config "$n" "$data"
    : >"$(node_log "$n")"
    : >"$RUN/kafka-$n.out"
    # Static quorum (controller.quorum.voters) => plain format, no --standalone needed.
    # --add-scram: the SCRAM user of the SASL listeners that evt's SASL tests log in as.
    java -Dkafka.logs.dir="$RUN" -Devt.infra.log=kafka-$n -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
      -cp "$LIB/*" kafka.tools.StorageTool format -t "$cid" -c "$RUN/server-$n.properties" \
      --add-scram 'SCRAM-SHA-256=[name=evt,password=evt-test-secret]' >>"$RUN/kafka-$n.out" 2>&1 &
    pids+=($!)
  done
  for ((n = 1; n <= NODES; n++)); do
    if ! wait "${pids[$((n - 1))]}"; then
      tail -n 30 "$RUN/kafka-$n.out" >&2
      failed=1
    fi
  done
  ((failed == 0)) || die "kafka storage format failed"
  echo "$NODES" >"$RUN/$SIZE_FILE_NAME"
  log "formatted $NODES node(s) in $(secs_since "$t0")s (cluster $cid, data $data)"
}

launch_registry() {
  port_open "$REGISTRY_PORT" && die "port $REGISTRY_PORT is already in use by another process (not ours); stop it first"
  port_open "$REGISTRY_MGMT_PORT" && die "port $REGISTRY_MGMT_PORT (registry management) is already in use by another process"
  local rjava=$REGISTRY_JAVA
  mkdir -p "$RUN/registry-work"
  : >"$RUN/registry.log"
  log "starting Apicurio Registry $APICURIO_VERSION (Java $(java_feature "$rjava"): $rjava)"
  # In-memory H2 storage (the default): every start is an empty registry.
  # quarkus.management.host: the health/metrics interface (port 9000) binds 0.0.0.0 by default.
  # shellcheck disable=SC2046
  (cd "$RUN/registry-work" && exec setsid nohup "$rjava" "${JVM_OPTS[@]}" $(marker_args registry) \
    -Djava.io.tmpdir="$RUN/registry-work" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$REGISTRY_MGMT_PORT" \
    -Dapicurio.rules.global.compatibility=BACKWARD \
    -jar "$APICURIO_DIR/quarkus-app/quarkus-run.jar" >>"$RUN/registry.log" 2>&1 </dev/null 9>&-) &
  echo $! >"$RUN/registry.pid"
  STARTED+=(registry)
}

fail() {
  log "ERROR: $1"
  local n
  for n in "${WAITING[@]}"; do
    log "----- tail of $(node_log "$n") -----"
    tail -n 30 "$(node_log "$n")" >&2 2>/dev/null || true
    log "----- tail of $RUN/kafka-$n.out -----"
    tail -n 15 "$RUN/kafka-$n.out" >&2 2>/dev/null || true
  done
  if [[ " ${STARTED[*]} " == *" registry "* ]]; then
    log "----- tail of $RUN/registry.log -----"
    tail -n 40 "$RUN/registry.log" >&2 2>/dev/null || true
  fi
  ((${#NODE_PIDS[@]})) && stop_pids 20 "${NODE_PIDS[@]}"
  ((${#STARTED[@]})) && stop_roles "${STARTED[@]}"
  exit 1
}

print_addresses() {
  echo "kafka $(bootstrap "$NODES" plaintext)"
  echo "registry $REGISTRY_URL"
  echo "kafka-sasl $(bootstrap "$NODES" sasl)"
  echo "kafka-ssl $(bootstrap "$NODES" ssl)"
  echo "kafka-sasl-ssl $(bootstrap "$NODES" sasl_ssl)"
  echo "kafka-mtls $(bootstrap "$NODES" mtls)"
  echo "tls-ca $TLS_DIR/ca.pem"
  echo "tls-dir $TLS_DIR"
}

# ---------------------------------------------------------------- main
for pid in $(find_pids kafka); do
  [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *"-Devt.infra.node="* ]] ||
    die "a broker started by an older start.sh is running (pid $pid); stop it first with scripts/kafka/stop.sh"
done
RUNNING=$(running_nodes)
SIZE=$(cluster_size)
if [[ -n "$RUNNING" ]]; then
  [[ -n "$SIZE" ]] || die "Kafka node(s) $RUNNING of $RUN run, but $RUN/$SIZE_FILE_NAME is gone; stop them first with scripts/kafka/stop.sh"
  if [[ "$SIZE" != "$NODES" ]]; then
    die "a $SIZE-node Kafka cluster is already running (run dir $RUN, node(s) $RUNNING up); stop it first with scripts/kafka/stop.sh (npm run kafka:stop), then start the $NODES-node one"
  fi
fi

# Nodes of the running cluster that are down come back on their data (as node.sh start does);
# with no node running at all, the cluster is formatted afresh.
TO_LAUNCH=() WAITING=() ALL_UP=1
for ((n = 1; n <= NODES; n++)); do
  if [[ -z "$(node_pid "$n")" ]]; then
    TO_LAUNCH+=("$n") WAITING+=("$n") ALL_UP=0
  elif ! node_healthy "$n" "$(cat "$RUN/kafka-$n.from" 2>/dev/null || echo 0)"; then
    WAITING+=("$n") ALL_UP=0 # alive but not healthy: probably still starting; wait for it
  fi
done
REGISTRY_UP=0
registry_healthy && REGISTRY_UP=1
if ((ALL_UP && REGISTRY_UP)); then
  log "already running and healthy ($NODES node(s), run dir $RUN)"
  print_addresses
  exit 0
fi

ensure_jars
ensure_apicurio
if ((!REGISTRY_UP)); then
  REGISTRY_JAVA=$(registry_java)
  [[ -n "$REGISTRY_JAVA" ]] || die "Apicurio Registry $APICURIO_VERSION needs Java 21+; none found (java on PATH, \$JAVA_HOME, /usr/lib/jvm/*). Set EVT_REGISTRY_JAVA=/path/to/bin/java"
fi

if ((${#TO_LAUNCH[@]})); then
  for n in "${TO_LAUNCH[@]}"; do check_node_ports "$n"; done
  if [[ -z "$RUNNING" ]]; then
    format_cluster
  else
    for n in "${TO_LAUNCH[@]}"; do
      compgen -G "$RUN/kafka-data.*/node-$n" >/dev/null || die "node $n is down and its data dir is gone; run scripts/kafka/stop.sh and start again"
    done
    log "node(s) ${TO_LAUNCH[*]} of the running cluster are down: starting them again on their data"
  fi
fi
T_LAUNCH=$(now_ms)
for n in "${TO_LAUNCH[@]}"; do launch_node "$n"; done
((${#TO_LAUNCH[@]})) && log "starting Kafka $KAFKA_VERSION node(s) ${TO_LAUNCH[*]} (pid ${NODE_PIDS[*]})"
if ((!REGISTRY_UP)) && [[ -z "$(find_pids registry)" ]]; then launch_registry; fi

deadline=$((T_LAUNCH + TIMEOUT * 1000))
KAFKA_S="" REGISTRY_S=""
((${#WAITING[@]} == 0)) && KAFKA_S="already up"
((REGISTRY_UP)) && REGISTRY_S="already up"
declare -A READY=()
while [[ -z "$KAFKA_S" || -z "$REGISTRY_S" ]]; do
  if [[ -z "$KAFKA_S" ]]; then
    for n in "${WAITING[@]}"; do
      [[ -n "${READY[$n]:-}" ]] && continue
      [[ -n "$(node_pid "$n")" ]] || fail "Kafka node $n exited during start-up"
      if node_healthy "$n" "$(cat "$RUN/kafka-$n.from" 2>/dev/null || echo 0)"; then
        READY[$n]="$(secs_since "$T_LAUNCH")s"
        log "Kafka node $n ready after ${READY[$n]}"
      fi
    done
    ((${#READY[@]} == ${#WAITING[@]})) && KAFKA_S="$(secs_since "$T_LAUNCH")s"
  fi
  if [[ -z "$REGISTRY_S" ]]; then
    [[ -n "$(find_pids registry)" ]] || fail "Apicurio Registry exited during start-up"
    registry_healthy && REGISTRY_S="$(secs_since "$T_LAUNCH")s" && log "registry ready after $REGISTRY_S"
  fi
  [[ -n "$KAFKA_S" && -n "$REGISTRY_S" ]] && break
  (($(now_ms) < deadline)) || fail "not ready within ${TIMEOUT}s (kafka: ${KAFKA_S:-not ready}, registry: ${REGISTRY_S:-not ready})"
  sleep 0.25
done

# Confluent's default is global compatibility BACKWARD; the -D property above gives exactly
# that on a fresh registry. Verify, and fall back to setting it through the ccompat API.
if [[ " ${STARTED[*]} " == *" registry "* ]]; then
  level=$(curl -sf --max-time 5 "$REGISTRY_URL/config" | sed -n 's/.*"compatibilityLevel" *: *"\([A-Z_]*\)".*/\1/p')
  if [[ "$level" != "BACKWARD" ]]; then
    log "global compatibility is '${level:-?}', setting BACKWARD via PUT /config"
    curl -sf --max-time 5 -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
      -d '{"compatibility":"BACKWARD"}' "$REGISTRY_URL/config" >/dev/null ||
      fail "could not set global compatibility"
  fi
fi

log "up in $(secs_since "$T0")s total ($NODES node(s) kafka: $KAFKA_S, registry: $REGISTRY_S; logs in $RUN)"
print_addresses
