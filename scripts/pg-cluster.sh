# Sourced by scripts/test: a throwaway PostgreSQL 15 cluster in a temp dir, on a unix socket and a
# free port, run as the postgres user (root cannot run the server). Sets PG_DSN.

pg_cluster_start() {
  local bin=/usr/lib/postgresql/15/bin
  PG_TMP=$(mktemp -d /tmp/citygrid-pg.XXXXXX)
  chmod 755 "$PG_TMP"
  local as_pg=()
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$PG_TMP"
    as_pg=(runuser -u postgres --)
  fi
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
  # On failure say why and leave nothing behind (the caller's EXIT trap is not set yet).
  if ! "${as_pg[@]}" "$bin/initdb" -D "$PG_TMP/data" -A trust -U postgres -E UTF8 \
        --locale=C.UTF-8 >"$PG_TMP/initdb.log" 2>&1; then
    echo "pg-cluster: initdb failed:" >&2; tail -20 "$PG_TMP/initdb.log" >&2
    rm -rf "$PG_TMP"; PG_TMP=; return 1
  fi
  if ! "${as_pg[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/log" -w \
        -o "-p $PG_PORT -k $PG_TMP -c listen_addresses='' -c max_connections=200 -c fsync=on" \
        start >/dev/null; then
    echo "pg-cluster: the server did not start:" >&2; tail -20 "$PG_TMP/log" >&2
    rm -rf "$PG_TMP"; PG_TMP=; return 1
  fi
  PG_DSN="postgresql://postgres@/postgres?host=$PG_TMP&port=$PG_PORT"
  PG_AS=("${as_pg[@]}")
  export PG_DSN
  echo "pg-cluster: PostgreSQL running at $PG_DSN"
}

pg_cluster_stop() {
  [[ -n "${PG_TMP:-}" && -d "$PG_TMP" ]] || return 0
  "${PG_AS[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$PG_TMP/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_TMP"
  PG_TMP=
}
