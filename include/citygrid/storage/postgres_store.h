#pragma once

// The PostgreSQL backend (--db postgresql://...): N stateless citygrid nodes on one database.
// OpenStore dispatches here for db_url values starting with "postgresql://" (or "postgres://").
//
// Schema: the SQLite backend's migrations, same numbering and meaning, in plain SQL (BIGINT,
// TEXT, DOUBLE PRECISION, BOOLEAN, BYTEA; no extensions); the version is in schema_version.
// Media stay in files under options.data_dir/media (FileMediaStore), never in the database.
//
// Writes. Each store has one writer connection; the CreateCase/Append at the front of its queue
// writes itself and every request waiting behind it in ONE transaction (READ COMMITTED), sent as
// two or three libpq pipelines, so concurrent writers of a node share one WAL flush (group
// commit, as in the SQLite backend). Optimistic
// concurrency is a row version: UPDATE cases ... WHERE id = $1 AND version = $2 matches no row
// when someone moved first (kAborted), on this node or another — PostgreSQL re-checks the
// version after waiting for a concurrent writer of the same row, so of two appends with one
// expected version exactly one wins. Idempotency keys are claimed with INSERT ... ON CONFLICT
// DO NOTHING; case numbers come from INSERT ... ON CONFLICT DO UPDATE ... RETURNING on the
// day's row, locked before the case id is drawn, so a day's numbers follow id order.
// Durability: OK is returned only after COMMIT returned, with the server's synchronous_commit
// (on by default) deciding when that is; nothing is acknowledged before.
//
// Commit order. A sequence (BIGSERIAL) hands out numbers in call order, not commit order: a
// follower could read seq 11 committed while seq 10 is still in flight, move past 10, and
// never see it. So global_seq is allocated instead from the single row of event_log_head
// (UPDATE ... SET last_seq = last_seq + n RETURNING), whose row lock the transaction holds
// until it commits: the next writer gets its numbers only after the previous one is visible,
// so global_seq order is commit order and EventsAfter never skips an event.
// The trade-off: event-writing transactions of the whole cluster serialize on that row from
// the moment they take it to their COMMIT. A batch takes it last (after the case rows,
// idempotency keys and counters — counters in key order — are written), so it covers only
// the event INSERT and the COMMIT's WAL flush, and one lock hold covers a whole batch of
// requests. Cluster-wide event throughput is thus bounded by about (batch size) / (INSERT +
// WAL flush time): bench/storage measures it beside a bare libpq INSERT loop, which gives no
// order at all and so commits in parallel.
//
// Notifications. Each batch's transaction calls pg_notify('citygrid_events', last_seq), which
// PostgreSQL delivers at commit to every listening node. The store's cases() also implements
// EventNotifier (event_notifier.h): a listener thread holds a LISTEN connection and wakes
// WaitForEvents; while that connection is down it falls back to polling LastGlobalSeq().
// Use PostgresEventNotifier(store) to reach it.
//
// Errors: kUnavailable when the server cannot be reached (also for a write whose COMMIT's
// outcome is unknown because the connection broke); kFailedPrecondition for a schema written by
// a newer citygrid; kInvalidArgument for a malformed connection string.
//
// Thread safety: every method may be called concurrently from many threads.

#include <memory>

#include "citygrid/common/status.h"
#include "citygrid/storage/event_notifier.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage {

// Connections in each store's pool (reads, documents); writes use one more of their own and
// the LISTEN thread another.
inline constexpr int kDefaultPostgresPoolSize = 8;

// Opens (creating and migrating as needed) the PostgreSQL database options.db_url names, with
// options.db_pool_size pooled connections; media go to options.data_dir/media.
Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreOptions& options);

// The LISTEN/NOTIFY-driven notifier of a store opened by OpenPostgresStore; nullptr for any
// other store.
EventNotifier* PostgresEventNotifier(Store& store);

}  // namespace citygrid::storage
