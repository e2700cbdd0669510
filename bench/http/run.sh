#!/usr/bin/env bash
# The HTTP core beside nginx, same machine, same run: requests/s with wrk over keep-alive
# connections to 127.0.0.1 for
#   - a 1 KiB JSON file served as a static file (citygrid StaticFiles vs nginx),
#   - GET /healthz (citygrid's router + in-memory handler) vs the same nginx file,
# with one server thread / one nginx worker each, so the second core runs wrk.
#
# usage: bench/http/run.sh [path/to/citygrid]   (env: DURATION=5s CONNECTIONS=64)
# or:    cmake --build build --target bench_http
set -euo pipefail

CITYGRID=${1:-build/src/citygrid}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for tool in wrk "$NGINX" "$CITYGRID"; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "$tool" ]; then
    echo "bench/http: $tool is missing (scripts/install-deps installs wrk and nginx-light)" >&2
    exit 1
  fi
done

work=$(mktemp -d)
citygrid_pid=""
nginx_pid=""
cleanup() {
  [ -n "$citygrid_pid" ] && kill "$citygrid_pid" 2>/dev/null && wait "$citygrid_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/web" "$work/nginx/logs"
# 1 KiB of JSON, about the size of one case.
python3 - "$work/web/case.json" <<'PY'
import json, sys
doc = {"number": "20240501-000123", "state": "handling", "description": "x" * 880}
text = json.dumps(doc)
open(sys.argv[1], "w").write(text + " " * (1024 - len(text)))
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$CITYGRID" serve --listen 127.0.0.1:0 --threads 1 --data "$work/data" --web "$work/web" \
  --access-log off >"$work/citygrid.out" 2>"$work/citygrid.err" &
citygrid_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/citygrid.out" 2>/dev/null && break; sleep 0.05; done
citygrid_addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$work/citygrid.out")
[ -n "$citygrid_addr" ] || { echo "citygrid did not start:" >&2; cat "$work/citygrid.err" >&2; exit 1; }

nginx_port=$(free_port)
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  default_type application/json;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/web;
  }
}
CONF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/case.json" && break; sleep 0.05; done

rps() {  # url -> requests/s
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "$1" | awk '/^Requests\/sec:/ {printf "%.0f", $2}'
}

nginx_file=$(rps "http://127.0.0.1:$nginx_port/case.json")
citygrid_file=$(rps "http://$citygrid_addr/case.json")
citygrid_health=$(rps "http://$citygrid_addr/healthz")

printf '%-44s %14s %14s %7s\n' "what (wrk -c$CONNECTIONS, $DURATION, 1 server thread)" "citygrid req/s" "nginx req/s" "ratio"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '%-44s %14s %14s %7s\n' "GET 1 KiB static file" "$citygrid_file" "$nginx_file" \
  "$(ratio "$citygrid_file" "$nginx_file")"
printf '%-44s %14s %14s %7s\n' "GET /healthz (router, in-memory) vs file" "$citygrid_health" \
  "$nginx_file" "$(ratio "$citygrid_health" "$nginx_file")"
