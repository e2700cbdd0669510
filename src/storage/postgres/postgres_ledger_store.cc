#include "postgres_ledger_store.h"

namespace citygrid::storage::postgres {
namespace {

constexpr char kEventColumns[] =
    "seq, ledger_id, row_key, version, type, actor_user, actor_role, actor_unit, at, note, "
    "photos, payload_json, prev_hash, hash";

std::string JoinPhotos(const std::vector<std::string>& photos) {
  std::string out;
  for (const auto& p : photos) out += (out.empty() ? "" : ";") + p;
  return out;
}

std::vector<std::string> SplitPhotos(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Result<LedgerEvent> DecodeEventRow(const PgResult& r, int i) {
  LedgerEvent e;
  e.seq = r.Int(i, 0);
  e.ledger_id = r.String(i, 1);
  e.row_key = r.String(i, 2);
  e.version = r.Int(i, 3);
  auto corrupt = [&](const Status& s) {
    return InternalError("ledger event seq " + std::to_string(e.seq) + ": " + s.message());
  };
  auto type = ParseLedgerEventType(r.Text(i, 4));
  if (!type.ok()) return corrupt(type.status());
  e.type = *type;
  e.actor.user = r.String(i, 5);
  auto role = ParseRole(r.Text(i, 6));
  if (!role.ok()) return corrupt(role.status());
  e.actor.role = *role;
  e.actor.unit = r.String(i, 7);
  e.at = FromUnixMillis(r.Int(i, 8));
  e.note = r.String(i, 9);
  e.photos = SplitPhotos(r.Text(i, 10));
  e.payload_json = r.String(i, 11);
  e.prev_hash = r.String(i, 12);
  e.hash = r.String(i, 13);
  return e;
}

Result<std::vector<LedgerEvent>> DecodeEvents(const PgResult& r) {
  std::vector<LedgerEvent> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    CITYGRID_ASSIGN_OR_RETURN(LedgerEvent e, DecodeEventRow(r, i));
    out.push_back(std::move(e));
  }
  return out;
}

Result<LedgerRow> DecodeRow(const PgResult& r, int i) {
  Result<LedgerRow> row = DecodeLedgerRow(r.Text(i, 2));
  if (!row.ok()) {
    return InternalError("ledger " + r.String(i, 0) + " row " + r.String(i, 1) +
                         ": stored body does not decode: " + row.status().message());
  }
  row->ledger_id = r.String(i, 0);
  row->key = r.String(i, 1);
  row->version = r.Int(i, 3);
  return row;
}

// The body of one transaction; the caller begins and ends it.
Status WriteAll(PgConnection& conn, const std::string& ledger_id,
                std::vector<LedgerRowWrite>& writes, std::vector<LedgerEvent>& stored) {
  for (LedgerRowWrite& w : writes) {
    const std::string& key = w.next.key;
    const std::string what = "ledger " + ledger_id + " row " + key;
    w.next.ledger_id = ledger_id;
    const std::string body = EncodeLedgerRow(w.next);
    std::string prev_hash;
    if (w.expected_version == 0) {
      CITYGRID_ASSIGN_OR_RETURN(
          PgResult r,
          conn.Exec("INSERT INTO ledger_rows (ledger_id, row_key, version, body) "
                    "VALUES ($1, $2, $3, $4) ON CONFLICT (ledger_id, row_key) DO NOTHING "
                    "RETURNING 1",
                    PgParams().Add(ledger_id).Add(key).Add(w.next.version).Add(body)));
      if (r.rows() == 0) return AlreadyExistsError(what + " already exists");
    } else {
      CITYGRID_ASSIGN_OR_RETURN(
          PgResult r, conn.Exec("UPDATE ledger_rows SET version = $3, body = $4 "
                                "WHERE ledger_id = $1 AND row_key = $2 AND version = $5 "
                                "RETURNING 1",
                                PgParams()
                                    .Add(ledger_id)
                                    .Add(key)
                                    .Add(w.next.version)
                                    .Add(body)
                                    .Add(w.expected_version)));
      if (r.rows() == 0) {
        CITYGRID_ASSIGN_OR_RETURN(
            PgResult cur, conn.Exec("SELECT version FROM ledger_rows WHERE ledger_id = $1 AND "
                                    "row_key = $2",
                                    PgParams().Add(ledger_id).Add(key)));
        if (cur.rows() == 0) return NotFoundError(what + " not found");
        return AbortedError(what + " is at version " + cur.String(0, 0) + ", not " +
                            std::to_string(w.expected_version) +
                            ": someone else changed it first");
      }
      CITYGRID_ASSIGN_OR_RETURN(
          PgResult h, conn.Exec("SELECT hash FROM ledger_events WHERE ledger_id = $1 AND "
                                "row_key = $2 AND version = $3",
                                PgParams().Add(ledger_id).Add(key).Add(w.expected_version)));
      if (h.rows() == 0) {
        return InternalError(what + ": the event of version " +
                             std::to_string(w.expected_version) + " is missing");
      }
      prev_hash = h.String(0, 0);
    }
    int64_t version = w.expected_version;
    for (LedgerEvent& e : w.events) {
      e.ledger_id = ledger_id;
      e.row_key = key;
      e.version = ++version;
      SealLedgerEvent(e, prev_hash);
      prev_hash = e.hash;
      CITYGRID_ASSIGN_OR_RETURN(
          PgResult r,
          conn.Exec("INSERT INTO ledger_events (ledger_id, row_key, version, type, actor_user, "
                    "actor_role, actor_unit, at, note, photos, payload_json, prev_hash, hash) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
                    "RETURNING seq",
                    PgParams()
                        .Add(e.ledger_id)
                        .Add(e.row_key)
                        .Add(e.version)
                        .Add(Name(e.type))
                        .Add(e.actor.user)
                        .Add(Name(e.actor.role))
                        .Add(e.actor.unit)
                        .Add(ToUnixMillis(e.at))
                        .Add(e.note)
                        .Add(JoinPhotos(e.photos))
                        .Add(e.payload_json)
                        .Add(e.prev_hash)
                        .Add(e.hash)));
      e.seq = r.Int(0, 0);
      stored.push_back(e);
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<LedgerEvent>> PostgresLedgerStore::Write(const std::string& ledger_id,
                                                            std::vector<LedgerRowWrite> writes) {
  CITYGRID_RETURN_IF_ERROR(CheckLedgerWrites(ledger_id, writes));
  CITYGRID_ASSIGN_OR_RETURN(PgLease conn, pool_.Acquire());
  CITYGRID_RETURN_IF_ERROR(conn->Exec("BEGIN"));
  std::vector<LedgerEvent> stored;
  Status s = WriteAll(*conn, ledger_id, writes, stored);
  if (s.ok()) s = conn->Exec("COMMIT").status();
  if (!s.ok()) {
    if (PQtransactionStatus(conn->raw()) != PQTRANS_IDLE) (void)conn->Exec("ROLLBACK");
    return s;
  }
  return stored;
}

Result<LedgerRow> PostgresLedgerStore::LoadRow(const std::string& ledger_id,
                                               const std::string& row_key) {
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec("SELECT ledger_id, row_key, body, version FROM ledger_rows "
                             "WHERE ledger_id = $1 AND row_key = $2",
                             PgParams().Add(ledger_id).Add(row_key)));
  if (r.rows() == 0) return NotFoundError("ledger " + ledger_id + " has no row " + row_key);
  return DecodeRow(r, 0);
}

Result<std::vector<LedgerRow>> PostgresLedgerStore::ListRows(const std::string& ledger_id) {
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec("SELECT ledger_id, row_key, body, version FROM ledger_rows "
                             "WHERE ledger_id = $1 ORDER BY row_key COLLATE \"C\"",
                             PgParams().Add(ledger_id)));
  std::vector<LedgerRow> rows;
  rows.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    CITYGRID_ASSIGN_OR_RETURN(LedgerRow row, DecodeRow(r, i));
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<LedgerEvent>> PostgresLedgerStore::LoadRowHistory(
    const std::string& ledger_id, const std::string& row_key) {
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec(std::string("SELECT ") + kEventColumns +
                                 " FROM ledger_events WHERE ledger_id = $1 AND row_key = $2 "
                                 "ORDER BY version",
                             PgParams().Add(ledger_id).Add(row_key)));
  return DecodeEvents(r);
}

Result<std::vector<LedgerEvent>> PostgresLedgerStore::LoadLedgerEvents(
    const std::string& ledger_id) {
  // seq order is commit order for the events of one row (a row's writers serialize on its
  // row lock) — what chain verification needs.
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec(std::string("SELECT ") + kEventColumns +
                                 " FROM ledger_events WHERE ledger_id = $1 ORDER BY seq",
                             PgParams().Add(ledger_id)));
  return DecodeEvents(r);
}

}  // namespace citygrid::storage::postgres
