#!/usr/bin/env bash
# storage_bench with its PostgreSQL rows, against a throwaway PostgreSQL 15 cluster started for
# the run (scripts/pg-cluster.sh: a temp dir on the local disk, unix socket, fsync=on, the
# default synchronous_commit=on) and removed afterwards:
#
#   bench/storage/run-postgres.sh [BUILD_DIR] [storage_bench options]
#
# e.g. bench/storage/run-postgres.sh build --seconds 5. By hand, the same is:
#   source scripts/pg-cluster.sh; pg_cluster_start
#   build/bench/storage/storage_bench --postgres "$PG_DSN"; pg_cluster_stop
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${1:-build}
shift || true
bench="$build_dir/bench/storage/storage_bench"
[[ -x "$bench" ]] || { echo "run-postgres.sh: build $bench first" >&2; exit 2; }
source scripts/pg-cluster.sh
pg_cluster_start
trap pg_cluster_stop EXIT
"$bench" --postgres "$PG_DSN" "$@"
