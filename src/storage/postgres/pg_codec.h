#pragma once

// Encoding of citygrid values into PostgreSQL columns and back (private to
// src/storage/postgres). A case row keeps the whole Case in `body` (storage/case_codec.h) beside
// the columns queries filter and sort on, like the SQLite backend; event photo lists are
// netstrings too. Both travel as BYTEA in libpq's text format ("\x" + hex).

#include <string>
#include <string_view>

#include "citygrid/common/status.h"
#include "citygrid/domain/case.h"
#include "pg_connection.h"

namespace citygrid::storage::postgres {

// The columns of `cases` that RowParams binds, in order.
extern const char* const kCaseRowColumns[];
extern const int kCaseRowColumnCount;
// Their SQL types, for casts of bound parameters in INSERT ... SELECT.
extern const char* const kCaseRowColumnTypes[];

// Binds the kCaseRowColumns of `c`: every column but id, number and idempotency_key, which
// never change after creation.
void AddCaseRow(PgParams& params, const Case& c);

// Selects what DecodeCaseRow reads.
inline constexpr char kCaseSelect[] = "id, number, version, idempotency_key, body";
// Decodes a row whose columns starting at `first` are kCaseSelect. The columns, not the body,
// are authoritative for id, number, version and idempotency_key.
Result<Case> DecodeCaseRow(const PgResult& r, int row, int first = 0);

// All columns of `events`, in the order DecodeEvent reads them.
inline constexpr char kEventColumns[] =
    "global_seq, case_id, version, type, action, actor_user, actor_role, actor_unit, at, note, "
    "photos, payload_json, prev_hash, hash";
// kInternal names the event and the bad value when a stored name is unknown to this citygrid.
Result<CaseEvent> DecodeEvent(const PgResult& r, int row, int first = 0);

// BYTEA in text format: "\x0a1b...", and back (kInternal when malformed).
std::string ByteaLiteral(std::string_view bytes);
Result<std::string> ParseBytea(std::string_view text);

}  // namespace citygrid::storage::postgres
