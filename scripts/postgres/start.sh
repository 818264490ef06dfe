#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for evt's tests and benchmarks: Debian's `postgresql`
# package, a data directory under /tmp, port 5433, loopback only, trust authentication, a
# database named `evt`. The server refuses to run as root, so initdb and pg_ctl run as the
# `postgres` user when started by root. Idempotent: a running server is left as it is.
#   EVT_PG_PORT  the port (5433)      EVT_PG_DIR  the data and log directory (/tmp/evt-postgres)
set -euo pipefail
PORT="${EVT_PG_PORT:-5433}"
DIR="${EVT_PG_DIR:-/tmp/evt-postgres}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
  echo "postgres: no server found under /usr/lib/postgresql; install it with: apt-get install -y postgresql" >&2
  exit 1
fi

as_server_user() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [[ -f "$DIR/data/postmaster.pid" ]] && as_server_user "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  echo "postgres: already running on 127.0.0.1:$PORT ($DIR)" >&2
  exit 0
fi

T0=$(date +%s%N)
mkdir -p "$DIR"
[[ "$(id -u)" == 0 ]] && chown postgres: "$DIR"
if [[ ! -f "$DIR/data/PG_VERSION" ]]; then
  rm -rf "$DIR/data"
  as_server_user "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }
fi

# Sockets in the data directory (not /var/run/postgresql, which the machine's own server uses);
# fsync off: a test server loses nothing worth keeping when the machine stops.
as_server_user "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
  -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR/data -c fsync=off -c full_page_writes=off -c synchronous_commit=off" >/dev/null \
  || { tail -20 "$DIR/server.log" >&2; exit 1; }
as_server_user "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAt \
  -c "SELECT 1 FROM pg_database WHERE datname = 'evt'" | grep -q 1 \
  || as_server_user "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres evt
echo "postgres: ready on postgres://postgres@127.0.0.1:$PORT/evt in $(( ($(date +%s%N) - T0) / 1000000 )) ms" >&2
