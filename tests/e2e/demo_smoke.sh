#!/usr/bin/env bash
# End-to-end smoke test of `citygrid demo`: seeds a small demo into a temp directory, waits for
# /healthz, logs in as a user from demo-users.txt, lists cases, stops with SIGTERM and expects a
# clean exit. Usage: demo_smoke.sh PATH/TO/citygrid
set -euo pipefail
citygrid=${1:?usage: demo_smoke.sh PATH/TO/citygrid}
command -v curl >/dev/null || { echo "demo_smoke: curl is missing (scripts/install-deps)"; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/citygrid-demo-smoke.XXXXXX")
pid=
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "demo_smoke: FAIL: $*"; echo "--- server output:"; cat "$dir/out.log" || true; exit 1; }

"$citygrid" demo --data "$dir/data" --listen 127.0.0.1:0 --cases 200 --access-log off \
  >"$dir/out.log" 2>&1 &
pid=$!

# The banner names the URL once the port is bound (seeding comes first).
url=
for _ in $(seq 1 600); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$dir/out.log" | head -n1 || true)
  [[ -n "$url" ]] && break
  kill -0 "$pid" 2>/dev/null || fail "citygrid demo exited before listening"
  sleep 0.2
done
[[ -n "$url" ]] || fail "no listening banner after 120 s"

curl -fsS "$url/healthz" | grep -q '"ok"' || fail "/healthz is not ok"

users="$dir/data/demo-users.txt"
[[ -f "$users" ]] || fail "no $users"
[[ $(stat -c %a "$users") == 600 ]] || fail "$users is not mode 0600"
password=$(awk -F'\t' '$1 == "operator" { print $4 }' "$users")
[[ -n "$password" ]] || fail "no operator in $users"

login=$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"username\":\"operator\",\"password\":\"$password\"}" "$url/api/v1/auth/login") ||
  fail "login refused"
token=$(printf '%s' "$login" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
[[ ${#token} -eq 64 ]] || fail "no token in login answer: $login"

cases=$(curl -fsS -H "Authorization: Bearer $token" "$url/api/v1/cases?limit=5") ||
  fail "GET /api/v1/cases failed"
printf '%s' "$cases" | grep -q '"number":"[0-9]\{8\}-[0-9]*"' || fail "no cases listed: $cases"

curl -fsS "$url/metrics" | grep -q '^citygrid_cases{state="closed"}' || fail "no case gauges"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc -eq 0 ]] || fail "exit status $rc after SIGTERM"

# A second start on the now non-empty directory just serves.
"$citygrid" demo --data "$dir/data" --listen 127.0.0.1:0 --access-log off >"$dir/out2.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  grep -q 'http://127' "$dir/out2.log" && break
  sleep 0.2
done
grep -q 'already holds data' "$dir/out2.log" || { cat "$dir/out2.log"; fail "second start re-seeded"; }
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc -eq 0 ]] || fail "second run: exit status $rc after SIGTERM"
# Every case chain and every demo ledger's row chains verify.
check=$("$citygrid" check --data "$dir/data") || fail "citygrid check failed: $check"
printf '%s' "$check" | grep -q ' 3 ledgers with [1-9][0-9]* rows' ||
  fail "citygrid check did not verify the three demo ledgers: $check"
echo "demo_smoke: ok"
