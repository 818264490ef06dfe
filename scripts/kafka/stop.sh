#!/usr/bin/env bash
# Stop the Kafka node(s) and Apicurio Registry started by start.sh (SIGTERM, up to 20 s, then
# SIGKILL), whatever the cluster size, and delete the brokers' data, configs and TLS material.
# Logs stay in the run dir until the next start. Idempotent: nothing running is not an error.
set -euo pipefail
# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

T0=$(now_ms)
if [[ ! -d "$RUN" ]]; then
  log "nothing to stop ($RUN does not exist)"
  exit 0
fi
take_lock
if [[ -z "$(find_pids kafka)$(find_pids registry)" ]]; then
  log "not running"
else
  stop_roles registry kafka
  log "stopped in $(secs_since "$T0")s"
fi
rm -rf "$RUN"/kafka-data.* "$RUN/registry-work" "$TLS_DIR" "$TLS_DIR.tmp" "$RUN"/*.pid "$RUN"/kafka-*.from \
  "$RUN"/server*.properties "${RUN:?}/$SIZE_FILE_NAME"
