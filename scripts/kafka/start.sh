#!/usr/bin/env bash
# Start a real single-node Apache Kafka (KRaft, broker+controller) and an Apicurio Registry
# (Confluent-compatible API) on 127.0.0.1, for integration tests and local development.
#
#   scripts/kafka/start.sh   -> stdout: "kafka 127.0.0.1:9092"
#                                       "registry http://127.0.0.1:8080/apis/ccompat/v7"
#   scripts/kafka/stop.sh
#
# Progress goes to stderr. Idempotent: services that are already up are left alone.
# Env: EVT_INFRA_CACHE (jars + registry, default ~/.cache/evt-infra),
#      EVT_INFRA_RUN (pids, logs, data; default /tmp/evt-kafka), EVT_INFRA_TIMEOUT (s, default 120),
#      EVT_INFRA_JAVA_OPTS (extra JVM flags for both), EVT_APICURIO_VERSION (default 3.3.3),
#      EVT_REGISTRY_JAVA (java binary for the registry; default: newest Java 21+ found).
set -euo pipefail
# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

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

# ---------------------------------------------------------------- launch
STARTED=() # roles launched by this invocation (cleaned up again if start-up fails)

launch_kafka() {
  local data cid
  for p in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
    port_open "$p" && die "port $p is already in use by another process (not ours); stop it first"
  done
  rm -rf "$RUN"/kafka-data.* # leftovers of a crashed run
  data=$(mktemp -d "$RUN/kafka-data.XXXXXX")
  sed "s#@LOG_DIR@#$data#" "$HERE/server.properties" >"$RUN/server.properties"
  : >"$RUN/kafka.log"
  : >"$RUN/kafka.out"
  local cp="$LIB/*"
  local logopts=(-Dkafka.logs.dir="$RUN" -Dlog4j2.configurationFile="$HERE/log4j2.properties")
  # Cluster id = a Kafka Uuid: 16 random bytes, base64url without padding (what
  # `kafka.tools.StorageTool random-uuid` prints, minus one JVM start). Kafka avoids a leading '-'.
  cid=-
  while [[ "$cid" == -* ]]; do
    cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  # Static quorum (controller.quorum.voters) => plain format, no --standalone needed.
  # --add-scram: the SCRAM user of the SASL listener (9094) that evt's SASL tests log in as.
  if ! java "${logopts[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cid" \
      -c "$RUN/server.properties" --add-scram 'SCRAM-SHA-256=[name=evt,password=evt-test-secret]' \
      >>"$RUN/kafka.out" 2>&1; then
    tail -n 30 "$RUN/kafka.out" >&2
    die "kafka storage format failed"
  fi
  log "starting Kafka $KAFKA_VERSION (cluster $cid, data $data)"
  # 9>&-: do not hand the start/stop lock (fd 9) down to the long-running JVM.
  # setsid: own session, so killing the caller's process group does not take the broker down.
  # shellcheck disable=SC2046
  setsid nohup java "${JVM_OPTS[@]}" $(marker_args kafka) "${logopts[@]}" \
    -cp "$cp" kafka.Kafka "$RUN/server.properties" >>"$RUN/kafka.out" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/kafka.pid"
  STARTED+=(kafka)
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
  local role
  for role in kafka registry; do
    log "----- tail of $RUN/$role.log -----"
    tail -n 40 "$RUN/$role.log" >&2 2>/dev/null || true
  done
  log "----- tail of $RUN/kafka.out -----"
  tail -n 20 "$RUN/kafka.out" >&2 2>/dev/null || true
  ((${#STARTED[@]})) && stop_roles "${STARTED[@]}"
  exit 1
}

# ---------------------------------------------------------------- main
KAFKA_UP=0 REGISTRY_UP=0
kafka_healthy && KAFKA_UP=1
registry_healthy && REGISTRY_UP=1
if ((KAFKA_UP && REGISTRY_UP)); then
  log "already running and healthy (run dir $RUN)"
  echo "kafka $KAFKA_ADDR"
  echo "registry $REGISTRY_URL"
  exit 0
fi

ensure_jars
ensure_apicurio
if ((!REGISTRY_UP)); then
  REGISTRY_JAVA=$(registry_java)
  [[ -n "$REGISTRY_JAVA" ]] || die "Apicurio Registry $APICURIO_VERSION needs Java 21+; none found (java on PATH, \$JAVA_HOME, /usr/lib/jvm/*). Set EVT_REGISTRY_JAVA=/path/to/bin/java"
fi
T_LAUNCH=$(now_ms)

# A process of ours that is alive but not (yet) healthy is probably still starting: wait for it.
if ((!KAFKA_UP)) && [[ -z "$(find_pids kafka)" ]]; then launch_kafka; fi
if ((!REGISTRY_UP)) && [[ -z "$(find_pids registry)" ]]; then launch_registry; fi

deadline=$((T_LAUNCH + TIMEOUT * 1000))
KAFKA_S="" REGISTRY_S=""
((KAFKA_UP)) && KAFKA_S="already up"
((REGISTRY_UP)) && REGISTRY_S="already up"
while [[ -z "$KAFKA_S" || -z "$REGISTRY_S" ]]; do
  if [[ -z "$KAFKA_S" ]]; then
    [[ -n "$(find_pids kafka)" ]] || fail "Kafka exited during start-up"
    kafka_healthy && KAFKA_S="$(secs_since "$T_LAUNCH")s" && log "Kafka ready after $KAFKA_S"
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

log "up in $(secs_since "$T0")s total (kafka: $KAFKA_S, registry: $REGISTRY_S; logs in $RUN)"
echo "kafka $KAFKA_ADDR"
echo "registry $REGISTRY_URL"
