#!/usr/bin/env bash
# Stops the PostgreSQL server started by start.sh and deletes its data directory.
# Idempotent: nothing running is not an error.
set -euo pipefail
DIR="${EVT_PG_DIR:-/tmp/evt-postgres}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [[ -f "$DIR/data/postmaster.pid" && -n "$BIN" ]]; then
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null || true
  else "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null || true; fi
  echo "postgres: stopped" >&2
else
  echo "postgres: not running" >&2
fi
rm -rf "$DIR"
