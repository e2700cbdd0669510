#!/usr/bin/env bash
# citygrid over HTTP beside nginx (Debian nginx-light), same machine, same run, loopback only.
# Load: wrk (Debian) with bench/http/load.lua. Rows:
#   1. create-case/s: POST /api/v1/cases (JSON case at a random point of the demo district,
#      unique Idempotency-Key, inspector token) on the SQLite default, wrk -c64, closed loop;
#      nginx serves a static file of the same size as a create response.
#   2. latency at a fixed 2,000 req/s: the same creates paced by load.lua's delay() (each wrk
#      thread keeps a fixed schedule of RATE / WRK_THREADS requests per second, shared by its
#      connections: one slot per 1 ms with the 2 threads); p50/p99 from wrk's own
#      latency distribution (measured from when each request is written); nginx paced the same.
#   3. GET-case req/s: GET /api/v1/cases/{number} (case with history, signed in), round-robin
#      over the created cases, 1 server thread; nginx (1 worker) serves a same-size file.
#   4. GET /open311/v2/requests.json?page_size=OPEN311_PAGE (the newest cases as Open311 service
#      requests, no key), 1 server thread; nginx serves a same-size file.
#   5. a 1 KiB static file and GET /healthz (the HTTP core without the API).
# Under the table: the server's (and wrk's own) CPU per create in row 1, and each named server
# thread's share of a core during row 1 (cg-commit, cg-http, cg-follower, ...) with the
# machine's idle share; how long those threads waited for a CPU (runnable, not running) with
# the machine's stolen share; the store's group commit in row 1 (batches, writes per batch, wall
# time per batch, from /metrics); and the new cases row 1 left in the store, which must be at least wrk's
# count of answers (else the load repeated Idempotency-Keys, whose replays cost less than
# creates, and the run fails).
# The server is `citygrid demo --cases 0` (the 二七区 district, users, no generated cases) on a
# fresh temporary data directory. Create rows run CREATE_THREADS server threads (default: the
# number of cores; a create does not hold its thread while the SQLite group commit runs. A
# binary from before 2026-11-28 15:00 UTC parks a thread per create: give it CREATE_THREADS=64).
#
# usage: bench/http/run.sh [path/to/citygrid]
#   env: DURATION=10s CONNECTIONS=64 RATE=2000 CREATE_THREADS=$(nproc) OPEN311_PAGE=100
#        WRK_THREADS=2 (wrk's own default; every row, citygrid and nginx alike. Before
#        2026-11-29 the bench ran wrk -t1, whose one thread was itself a bottleneck: a
#        quarter of the machine stayed idle and creates/s were about a fifth lower)
#        DB=postgresql://... (the server on that PostgreSQL database instead of SQLite; it must
#        be empty: bench/http/run-postgres.sh starts a throwaway cluster and passes it)
#        ROWS=create (only rows 1 and 2, for profiling the create path)
#        ROWS=read (rows 3-5 only: the store then holds just the ~300 probe cases)
#        PERF_DATA=FILE (perf record -g of the server during one row, written to FILE)
#        PERF_ROW=create|get|open311 (the row PERF_DATA records; default create)
# or:    cmake --build build --target bench_http
set -euo pipefail

CITYGRID=${1:-build/src/citygrid}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
RATE=${RATE:-2000}
WRK_THREADS=${WRK_THREADS:-2}
CREATE_THREADS=${CREATE_THREADS:-$(nproc)}
ROWS=${ROWS:-all}
OPEN311_PAGE=${OPEN311_PAGE:-100}
PERF_ROW=${PERF_ROW:-create}
DB=${DB:-}
BACKEND=$([ -n "$DB" ] && echo PostgreSQL || echo SQLite)
HERE=$(cd "$(dirname "$0")" && pwd)
LUA="$HERE/load.lua"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for tool in wrk curl python3 "$NGINX" "$CITYGRID"; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "$tool" ]; then
    echo "bench/http: $tool is missing (scripts/install-deps --with-bench-peers installs wrk" \
      "and nginx-light)" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/citygrid-bench-http.XXXXXX")
citygrid_pid=""
nginx_pid=""
stop_citygrid() {
  if [ -n "$citygrid_pid" ]; then
    kill -TERM "$citygrid_pid" 2>/dev/null || true
    wait "$citygrid_pid" 2>/dev/null || true
    citygrid_pid=""
  fi
}
cleanup() {
  stop_citygrid
  if [ -n "$nginx_pid" ]; then
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# start_citygrid THREADS: (re)starts the demo server on the bench data dir; sets citygrid_addr.
start_citygrid() {
  stop_citygrid
  : >"$work/citygrid.out"
  "$CITYGRID" demo --data "$work/data" ${DB:+--db "$DB"} --cases 0 --listen 127.0.0.1:0 --threads "$1" \
    --web "$work/web" --access-log off >"$work/citygrid.out" 2>"$work/citygrid.err" &
  citygrid_pid=$!
  citygrid_addr=""
  for _ in $(seq 600); do
    citygrid_addr=$(sed -n 's/.*citygrid demo is running: *http:\/\/\([^ ]*\).*/\1/p' \
      "$work/citygrid.out" 2>/dev/null | head -n1)
    [ -n "$citygrid_addr" ] && break
    kill -0 "$citygrid_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$citygrid_addr" ]; then
    echo "bench/http: citygrid did not start:" >&2
    cat "$work/citygrid.out" "$work/citygrid.err" >&2
    exit 1
  fi
}

mkdir -p "$work/web" "$work/nginx/logs"
# nginx workers run as an unprivileged user: they must be able to reach the files (else every
# answer is a fast 403 and the peer figure is meaningless).
chmod 0755 "$work" "$work/web"
# make_file NAME BYTES: a JSON-looking static file of exactly BYTES bytes.
make_file() {
  python3 - "$work/web/$1" "$2" <<'PY'
import json, sys
path, size = sys.argv[1], int(sys.argv[2])
text = json.dumps({"number": "20240501-000123", "state": "handling", "description": ""})
text = text[:-2] + "x" * max(0, size - len(text)) + '"}'
open(path, "w").write(text[:size] if len(text) > size else text)
PY
}
make_file case.json 1024

start_citygrid "$CREATE_THREADS"
base="http://$citygrid_addr"
password=$(awk -F'\t' '$1 == "inspector" { print $4 }' "$work/data/demo-users.txt")
token=$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"username\":\"inspector\",\"password\":\"$password\"}" "$base/api/v1/auth/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
export BENCH_TOKEN="$token"

# Points inside the district: the centre of each unit grid's bounding box, kept when a create
# there is accepted (the first 300 grids that pass).
curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/geography/grids" >"$work/grids.json"
python3 - "$work/grids.json" "$work/candidates.txt" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    for f in doc["features"]:
        ring = f["geometry"]["coordinates"][0][0]
        lons = [p[0] for p in ring]; lats = [p[1] for p in ring]
        out.write("%.6f %.6f\n" % ((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2))
PY
: >"$work/points.txt"
n=0
while read -r lon lat && [ "$n" -lt 300 ]; do
  code=$(curl -s -o "$work/create.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -H "Idempotency-Key: probe-$lon-$lat" \
    -d "{\"channel\":\"inspector\",\"category\":\"06010\",\"description\":\"probe\",\"lon\":$lon,\"lat\":$lat}" \
    "$base/api/v1/cases")
  if [ "$code" = 201 ]; then
    echo "$lon $lat" >>"$work/points.txt"
    n=$((n + 1))
  fi
done < <(awk 'NR % 7 == 1' "$work/candidates.txt")
[ "$n" -gt 0 ] || { echo "bench/http: no grid centre was accepted as a case location" >&2; exit 1; }
export BENCH_POINTS="$work/points.txt"
make_file create.json "$(wc -c <"$work/create.json")"

nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
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
nginx="http://127.0.0.1:$nginx_port"

# wrk_run MODE URL [RATE]: runs wrk, leaves its output in $work/wrk.out.
# Also leaves wrk's own CPU time (user + system, seconds) in $work/wrk.cpu.
wrk_run() {
  (
    # BENCH_RATE is per wrk thread: each keeps its own schedule.
    BENCH_MODE=$1 BENCH_RATE=$(awk -v r="${3:-0}" -v t="$WRK_THREADS" 'BEGIN { print r / t }') \
      BENCH_RUN_ID="$1-$RANDOM-$(date +%s%N)" \
      wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "$2" >"$work/wrk.out" 2>&1 ||
      exit 1
    # the subshell's children's times: "XmY.YYYs XmY.YYYs" on the second line of `times`
    # (not piped: a pipeline's `times` would run in a subshell of its own, with no children)
    times >"$work/wrk.times"
    awk 'NR == 2 { n = 0; for (i = 1; i <= 2; ++i) { split($i, p, /m|s/); n += p[1] * 60 + p[2] }
                   print n }' "$work/wrk.times" >"$work/wrk.cpu"
  ) || {
    cat "$work/wrk.out" >&2
    exit 1
  }
  if grep -q 'Non-2xx' "$work/wrk.out"; then
    echo "bench/http: $1 $2: $(grep 'Non-2xx' "$work/wrk.out" | sed 's/^ *//'); the figure" \
      "counts only answers of 2xx" >&2
    if [ "$1" = static ]; then
      echo "bench/http: the static peer must answer 200; check $2 by hand" >&2
      exit 1
    fi
  fi
}
rps() { awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.out"; }
# pct P: the P% latency of the last run in ms.
pct() {
  awk -v p="$1%" '$1 == p {
    v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
    printf "%.2f", v }' "$work/wrk.out"
}
# cpu_ticks PID: user + system CPU time of a process so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# thread_ticks PID: "name ticks wait_ns" per thread of PID (threads of one name summed; wait_ns:
# time runnable but waiting for a CPU, from schedstat), then "machine BUSY TOTAL STEAL": every
# core's busy, total and stolen ticks from /proc/stat (TOTAL includes the stolen ones).
thread_ticks() {
  for t in /proc/"$1"/task/*; do
    printf '%s %s %s\n' "$(cat "$t/comm" 2>/dev/null)" "$(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null)" \
      "$(awk '{ print $2 }' "$t/schedstat" 2>/dev/null)"
  done | awk 'NF == 3 { n[$1] += $2; w[$1] += $3 } END { for (k in n) print k, n[k], w[k] }'
  awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8; print "machine", busy, busy + $5 + $6 + $9, $9 }' /proc/stat
}
# thread_report BEFORE AFTER: two lines from two thread_ticks. First the CPU each thread name
# used in between, in % of one core, busiest first, and how idle the machine was; then how long
# each waited for a CPU (runnable, not running), longest first, and the share of the machine the
# hypervisor took (steal). On a shared VM the second line says whether the server or the machine
# set the rate.
thread_report() {
  awk -v cores="$(nproc)" -v hz="$(getconf CLK_TCK)" '
       NR == FNR { t[$1] = $2; w[$1] = $3; s[$1] = $4; next }
       $1 == "machine" {
         busy = $2 - t["machine"]; total = $3 - w["machine"]; steal = $4 - s["machine"]; next }
       { dt[$1] = $2 - t[$1]; dw[$1] = $3 - w[$1] }
       END {
         if (total <= 0) exit
         seconds = total / cores / hz
         for (k in dt) if (dt[k] > 0) printf "1 %.0f %s\n", 100 * dt[k] * cores / total, k
         printf "1 -1 idle %.0f\n", 100 * (total - busy - steal) / total
         for (k in dw) if (dw[k] > 0) printf "2 %.0f %s\n", 100 * dw[k] / 1e9 / seconds, k
         printf "2 -1 stolen %.0f\n", 100 * steal / total
       }' "$1" "$2" | sort -k1,1n -k2,2rn |
    awk '$2 > 0 { line[$1] = line[$1] $3 " " $2 "%, " }
         $2 < 0 && $3 == "idle" { idle = $4 } $2 < 0 && $3 == "stolen" { stolen = $4 }
         END {
           print line[1] "machine idle " idle "%"
           print line[2] "stolen by the hypervisor " stolen "% of the machine"
         }'
}
# cases_total: the cases in the server's store (its /metrics gauge, summed over states).
cases_total() {
  curl -fsS "$base/metrics" | awk '/^citygrid_cases\{/ { n += $2 } END { print n + 0 }'
}
# commit_stats: "batches writes seconds" of the store's group commit so far (/metrics).
commit_stats() {
  curl -fsS "$base/metrics" | awk '$1 == "citygrid_store_commit_batches" { b = $2 }
    $1 == "citygrid_store_commit_writes" { w = $2 } $1 == "citygrid_store_commit_seconds" { s = $2 }
    END { print b + 0, w + 0, s + 0 }'
}
# commit_summary BEFORE AFTER: the group commit between two commit_stats.
commit_summary() {
  echo "$1 $2" | awk '{ b = $4 - $1; w = $5 - $2; s = $6 - $3
    if (b > 0) printf "%d batches of %.1f writes on average, %.2f ms each", b, w / b, 1000 * s / b
    else print "no batches" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
row() { printf '%-52s %14s %14s %7s\n' "$@"; }

# perf_start ROW / perf_stop: perf record of the server during row ROW when PERF_DATA is set.
perf_pid=""
perf_start() {
  if [ -n "${PERF_DATA:-}" ] && [ "$1" = "$PERF_ROW" ]; then
    perf record ${PERF_ARGS:--g} -o "$PERF_DATA" -p "$citygrid_pid" >/dev/null 2>&1 &
    perf_pid=$!
  fi
}
perf_stop() {
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    perf_pid=""
  fi
}

create_rps=-; nginx_create_rps=-; create_cpu_us=-; create_threads=-; create_commits=-; wrk_cpu_us=-
paced_rps=-; p50=-; p99=-; nginx_paced_rps=-; nginx_p50=-; nginx_p99=-
if [ "$ROWS" != read ]; then
  # 1. creates, closed loop.
  cases_before=$(cases_total)
  commits_before=$(commit_stats)
  perf_start create
  cpu_before=$(cpu_ticks "$citygrid_pid")
  thread_ticks "$citygrid_pid" >"$work/threads.before"
  wrk_run create "$base/api/v1/cases"
  create_rps=$(rps)
  wrk_cpu_us=$(awk -v n="$(awk '/requests in/ {print $1}' "$work/wrk.out")" \
    '{ printf "%.0f", (n > 0 ? $1 * 1e6 / n : 0) }' "$work/wrk.cpu")
  create_cpu_us=$(awk -v t="$(($(cpu_ticks "$citygrid_pid") - cpu_before))" -v hz="$(getconf CLK_TCK)" \
    -v n="$(awk '/requests in/ {print $1}' "$work/wrk.out")" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')
  thread_ticks "$citygrid_pid" >"$work/threads.after"
  thread_report "$work/threads.before" "$work/threads.after" >"$work/threads.report"
  create_threads=$(sed -n 1p "$work/threads.report")
  create_waits=$(sed -n 2p "$work/threads.report")
  perf_stop
  # Every answer of row 1 must be a new case (a replayed Idempotency-Key is answered without
  # one, and cheaper): the store may hold a few more (requests in flight when wrk stopped).
  create_commits=$(commit_summary "$commits_before" "$(commit_stats)")
  create_answers=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  create_new=$(($(cases_total) - cases_before))
  if [ "$create_new" -lt "$create_answers" ]; then
    echo "bench/http: row 1 got $create_answers answers but only $create_new new cases:" \
      "the load repeated requests, so its figure is not one of creates" >&2
    exit 1
  fi
  wrk_run static "$nginx/create.json"
  nginx_create_rps=$(rps)

  # 2. creates at a fixed rate.
  wrk_run create "$base/api/v1/cases" "$RATE"
  paced_rps=$(rps); p50=$(pct 50); p99=$(pct 99)
  wrk_run static "$nginx/create.json" "$RATE"
  nginx_paced_rps=$(rps); nginx_p50=$(pct 50); nginx_p99=$(pct 99)
fi

if [ "$ROWS" = create ]; then
  cases_in_store=$(cases_total)
  stop_citygrid
  echo "citygrid over HTTP vs nginx, wrk -t$WRK_THREADS -c$CONNECTIONS, $DURATION per row, $(nproc) cores"
  row "what" "citygrid" "nginx" "ratio"
  row "create case/s ($BACKEND, $CREATE_THREADS threads)" "$create_rps" "$nginx_create_rps" \
    "$(ratio "$create_rps" "$nginx_create_rps")"
  row "at $RATE req/s offered: achieved req/s" "$paced_rps" "$nginx_paced_rps" \
    "$(ratio "$paced_rps" "$nginx_paced_rps")"
  row "at $RATE req/s: p50 latency ms" "$p50" "$nginx_p50" "$(ratio "$p50" "$nginx_p50")"
  row "at $RATE req/s: p99 latency ms" "$p99" "$nginx_p99" "$(ratio "$p99" "$nginx_p99")"
  echo "server CPU per create (row 1): $create_cpu_us us; wrk's CPU per create: $wrk_cpu_us us"
  echo "server threads' CPU in row 1 (% of a core): $create_threads"
  echo "waiting for a CPU in row 1 (% of a core): $create_waits"
  echo "the store's group commit in row 1 (first statement to the end of COMMIT): $create_commits"
  echo "new cases in row 1: $create_new for $create_answers answers; cases in the store after the run: $cases_in_store"
  exit 0
fi

# 3. GET case with one server thread (beside one nginx worker; wrk has the other core).
start_citygrid 1
base="http://$citygrid_addr"
curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/cases?limit=1000" |
  python3 -c 'import json,sys; [print(c["number"]) for c in json.load(sys.stdin)["cases"]]' \
    >"$work/cases.txt"
export BENCH_CASES="$work/cases.txt"
first=$(head -n1 "$work/cases.txt")
make_file get.json "$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/cases/$first" | wc -c)"
perf_start get
wrk_run get "$base/api/v1/cases/$first"
get_rps=$(rps)
perf_stop
wrk_run static "$nginx/get.json"
nginx_get_rps=$(rps)

# 4. an Open311 page (GeoReport v2 GET requests.json: no key needed).
open311_path="/open311/v2/requests.json?page_size=$OPEN311_PAGE"
make_file open311.json "$(curl -fsS "$base$open311_path" | wc -c)"
open311_count=$(curl -fsS "$base$open311_path" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
perf_start open311
wrk_run static "$base$open311_path"
open311_rps=$(rps)
perf_stop
wrk_run static "$nginx/open311.json"
nginx_open311_rps=$(rps)

# 5. the HTTP core.
wrk_run static "$base/case.json"
file_rps=$(rps)
wrk_run static "$nginx/case.json"
nginx_file_rps=$(rps)
wrk_run static "$base/healthz"
health_rps=$(rps)

cases_in_store=$(cases_total)
stop_citygrid

echo "citygrid over HTTP vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), wrk -t$WRK_THREADS -c$CONNECTIONS, $DURATION per row, $(nproc) cores"
row "what" "citygrid" "nginx" "ratio"
if [ "$ROWS" != read ]; then
  row "create case/s ($BACKEND, $CREATE_THREADS threads) vs $(wc -c <"$work/web/create.json") B file" \
    "$create_rps" "$nginx_create_rps" "$(ratio "$create_rps" "$nginx_create_rps")"
  row "at $RATE req/s offered: achieved req/s" "$paced_rps" "$nginx_paced_rps" \
    "$(ratio "$paced_rps" "$nginx_paced_rps")"
  row "at $RATE req/s: p50 latency ms (create vs file)" "$p50" "$nginx_p50" "$(ratio "$p50" "$nginx_p50")"
  row "at $RATE req/s: p99 latency ms (create vs file)" "$p99" "$nginx_p99" "$(ratio "$p99" "$nginx_p99")"
fi
row "GET case/s (1 thread) vs $(wc -c <"$work/web/get.json") B file" "$get_rps" "$nginx_get_rps" \
  "$(ratio "$get_rps" "$nginx_get_rps")"
row "GET requests.json ($open311_count requests) vs $(wc -c <"$work/web/open311.json") B file" \
  "$open311_rps" "$nginx_open311_rps" "$(ratio "$open311_rps" "$nginx_open311_rps")"
row "GET 1 KiB static file (1 thread)" "$file_rps" "$nginx_file_rps" \
  "$(ratio "$file_rps" "$nginx_file_rps")"
row "GET /healthz (1 thread) vs 1 KiB file" "$health_rps" "$nginx_file_rps" \
  "$(ratio "$health_rps" "$nginx_file_rps")"
[ "$ROWS" = read ] || echo "server CPU per create (row 1): $create_cpu_us us; wrk's CPU per create: $wrk_cpu_us us"
[ "$ROWS" = read ] || echo "server threads' CPU in row 1 (% of a core): $create_threads"
[ "$ROWS" = read ] || echo "waiting for a CPU in row 1 (% of a core): $create_waits"
[ "$ROWS" = read ] || echo "the store's group commit in row 1 (first statement to the end of COMMIT): $create_commits"
echo "cases in the store after the run: $cases_in_store"
