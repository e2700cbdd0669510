#!/usr/bin/env bash
# bench/http/run.sh with the server on PostgreSQL: a throwaway PostgreSQL 15 cluster started for
# the run (scripts/pg-cluster.sh: a temp dir on the local disk, unix socket, fsync=on, the
# default synchronous_commit=on) and removed afterwards. Same rows and environment as run.sh.
#
#   bench/http/run-postgres.sh [path/to/citygrid]      e.g. ROWS=create bench/http/run-postgres.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/pg-cluster.sh
pg_cluster_start >&2
trap pg_cluster_stop EXIT
DB="$PG_DSN" bench/http/run.sh "$@"
