#pragma once

// LedgerService: ledgers (台账) — definitions, rows, progress updates with history, roll-ups,
// campaign figures, CSV/XLSX import and export — the application logic the HTTP layer calls.
//
// Storage: definitions are DocumentStore documents of kind "ledger" (key = ledger id,
// domain/ledger.h EncodeLedgerDefinition) with the document version as optimistic lock; rows
// and their hash-chained events live in the LedgerStore (storage/ledger_store.h).
//
// Permissions (Actor = who asks):
//   - read the definition: every signed-in role;
//   - read rows: admin, leader, operator, dispatcher, inspector and members of the owner unit
//     read every row; a handler of another unit sees only the rows its unit is responsible
//     for — any other row is kNotFound, exactly as a missing one;
//   - create a ledger: admin, or a handler whose unit is the new ledger's owner_unit;
//   - edit the definition, add rows, import, change a row's fixed fields (title, unit,
//     sub-district, batch, deadline) and accept (已验收) a row: admin or the owner unit;
//   - progress updates (state up to 已完成, progress, column values, photos, note): also the
//     row's responsible unit. Anyone else who can see the row gets kPermissionDenied.
//
// Every change of a row is an event (who, when, note, photos, what changed) sealed into the
// row's audit chain; VerifyChains re-checks a ledger's chains.
//
// 滞后 (behind) and overdue are derived at read time from the effective deadline (the row's
// own, else its batch's) and `clock` (domain/ledger.h IsBehind, IsOverdue).
//
// Thread safety: all methods may be called concurrently; consistency comes from the stores'
// optimistic versions (kAborted → HTTP 409 when someone else moved first).

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "citygrid/common/clock.h"
#include "citygrid/common/status.h"
#include "citygrid/domain/ledger.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

// A row as readers see it: the stored row plus what is derived now.
struct LedgerRowView {
  LedgerRow row;
  std::optional<std::chrono::year_month_day> effective_deadline;
  bool behind = false;   // 滞后
  bool overdue = false;  // open and past the deadline
};

struct LedgerRowFilter {
  std::string unit;         // exact unit code, "" = any
  std::string batch;        // exact batch name, "" = any
  std::string subdistrict;  // exact code, "" = any
  std::optional<LedgerRowState> state;
  std::optional<bool> behind;
  std::string text;         // substring of key or title
};

// A row to add (by hand or by import).
struct NewLedgerRow {
  std::string key;  // "" = next "R0001"-style key
  std::string title;
  std::string unit;         // unit code (required)
  std::string subdistrict;  // "" = the unit's own sub-district for street offices
  std::string batch;        // "" or a batch of the definition
  std::optional<std::chrono::year_month_day> deadline;
  LedgerRowState state = LedgerRowState::kNotStarted;
  double progress = 0;
  std::map<std::string, std::string> values;  // column key → text
  std::string note;
  std::vector<std::string> photos;  // stored media hashes
};

// A progress update or edit. Unset fields stay as they are.
struct LedgerRowUpdate {
  int64_t expected_version = 0;  // the version the caller saw
  std::optional<LedgerRowState> state;
  std::optional<double> progress;             // 0..100; 100 with no state given → 已完成
  std::map<std::string, std::string> values;  // column key → text; "" clears the value
  // Fixed fields: owner unit or admin only.
  std::optional<std::string> title;
  std::optional<std::string> unit;
  std::optional<std::string> subdistrict;
  std::optional<std::string> batch;
  std::optional<std::optional<std::chrono::year_month_day>> deadline;  // {nullopt} clears it
  std::string note;
  std::vector<std::string> photos;
};

// Roll-ups (GET /api/v1/ledgers/{id}/summary).
enum class LedgerGroupBy { kState, kBatch, kSubdistrict, kUnit, kType };
std::string_view Name(LedgerGroupBy group_by);
Result<LedgerGroupBy> ParseLedgerGroupBy(std::string_view name);  // "state", "batch", ...

struct LedgerGroup {
  std::string key;    // state name, batch name, code, or choice; "" = none
  std::string label;  // display: 进行中, 第一批, 建中街街道, 二七区住房和城乡建设局, 品质型
  int64_t rows = 0;
  std::array<int64_t, kLedgerRowStateCount> by_state{};  // indexed by LedgerRowState
  int64_t completed = 0;  // done + accepted
  int64_t behind = 0;     // 滞后
  int64_t overdue = 0;
  double progress_avg = 0;  // mean progress percent
  std::optional<std::chrono::year_month_day> deadline;  // batch groups: the batch deadline
  std::map<std::string, double> sums;  // number/percent column key → sum over the group
};

struct LedgerCurvePoint {
  std::chrono::year_month_day day;
  int64_t completed = 0;   // rows completed that day (Asia/Shanghai)
  int64_t cumulative = 0;  // rows completed up to and including that day
};

struct LedgerSummary {
  LedgerGroupBy group_by = LedgerGroupBy::kState;
  Timestamp as_of{};
  LedgerGroup total;
  std::vector<LedgerGroup> groups;         // in a stable order (state order, batch order, key)
  std::vector<LedgerRowView> overdue_rows;  // by effective deadline, then key
  std::vector<LedgerCurvePoint> curve;      // completion curve, by day
};

// Campaign figures (专项整治 linked to cases).
struct CampaignFigure {
  std::string name;  // CampaignFigureNames()
  double value = 0;
  std::optional<double> target;
  bool at_most = false;
  std::optional<bool> met;  // set when there is a target
};

struct CampaignGroup {
  std::string key;  // category or sub-district code
  std::string label;
  std::vector<CampaignFigure> figures;  // without targets
};

struct CampaignReport {
  CampaignScope scope;
  Timestamp as_of{};
  std::vector<CampaignFigure> figures;  // with targets
  std::vector<CampaignGroup> by_category;
  std::vector<CampaignGroup> by_subdistrict;
};

// Import.
enum class LedgerFileFormat { kCsv, kXlsx };
Result<LedgerFileFormat> ParseLedgerFileFormat(std::string_view name);  // "csv", "xlsx"

struct LedgerImportOptions {
  LedgerFileFormat format = LedgerFileFormat::kCsv;
  bool dry_run = false;          // validate and report only
  bool valid_rows_only = false;  // import the valid rows, report the others
};

// One problem with one cell (or a whole row when column is "").
struct LedgerImportError {
  int64_t row = 0;      // the file's row (CSV: line; XLSX: row number)
  std::string column;   // the header text of the column ("" for the whole row)
  std::string cell;     // XLSX: "C7"; CSV: ""
  std::string value;
  LedgerReason reason;  // reason.Text() in English; the console words the code itself

  friend bool operator==(const LedgerImportError&, const LedgerImportError&) = default;
};

struct LedgerImportReport {
  int64_t rows_read = 0;   // data rows (non-empty) in the file
  int64_t rows_valid = 0;
  int64_t rows_created = 0;  // written (or, on a dry run, that would be)
  int64_t rows_updated = 0;
  int64_t rows_unchanged = 0;
  bool applied = false;  // something was written
  std::vector<LedgerImportError> errors;
};

struct LedgerServiceOptions {
  size_t max_note_bytes = 2000;
  size_t max_photos = 9;
  size_t max_rows = 100'000;  // per ledger (and per import file)
};

class LedgerService {
 public:
  // `store`, `reference` and `clock` must outlive the service.
  LedgerService(storage::Store& store, ReferenceDataService& reference, const Clock& clock,
                LedgerServiceOptions options = {});

  // ---- definitions
  // kInvalidArgument from ValidateDefinition or an unknown owner unit / campaign category or
  // sub-district; kAlreadyExists for a taken id; kPermissionDenied per the table above.
  // Sets version 1, since_version 1 on every column, created_at/updated_at.
  Result<LedgerDefinition> CreateLedger(const Actor& actor, LedgerDefinition definition);
  // Replaces the definition at `expected_version` (kAborted when it moved). New columns get
  // since_version = version + 1 (the caller need not set it); ValidateDefinitionChange
  // applies; a choice still used by a row cannot be removed (kFailedPrecondition naming it).
  Result<LedgerDefinition> UpdateLedger(const Actor& actor, const std::string& id,
                                        int64_t expected_version, LedgerDefinition definition);
  Result<LedgerDefinition> GetLedger(const Actor& actor, const std::string& id);
  Result<std::vector<LedgerDefinition>> ListLedgers(const Actor& actor);

  // ---- rows
  Result<std::vector<LedgerRowView>> ListRows(const Actor& actor, const std::string& id,
                                              const LedgerRowFilter& filter = {});
  Result<LedgerRowView> GetRow(const Actor& actor, const std::string& id, const std::string& key);
  // kInvalidArgument naming the field or column; kAlreadyExists for a taken key.
  Result<LedgerRowView> AddRow(const Actor& actor, const std::string& id, NewLedgerRow row);
  // kFailedPrecondition when the update changes nothing, or sets 已验收 on a row that is not
  // 已完成; kInvalidArgument naming the column; kAborted on a stale expected_version.
  Result<LedgerRowView> UpdateRow(const Actor& actor, const std::string& id,
                                  const std::string& key, const LedgerRowUpdate& update);
  // Stores photos for a later progress update of row `key` and returns their media hashes in
  // order (pass them as LedgerRowUpdate::photos). The actor must be allowed to update the row
  // (as UpdateRow: kNotFound when it cannot see it, kPermissionDenied otherwise); at most
  // max_photos images; each must be a JPEG, PNG or WebP image (kInvalidArgument naming it by
  // `names[i]`). Nothing is stored when any check fails.
  Result<std::vector<std::string>> StorePhotos(const Actor& actor, const std::string& id,
                                               const std::string& key,
                                               const std::vector<std::string>& names,
                                               const std::vector<std::string>& images);
  // The row's history, oldest first.
  Result<std::vector<LedgerEvent>> RowHistory(const Actor& actor, const std::string& id,
                                              const std::string& key);

  // ---- roll-ups and campaigns
  // kInvalidArgument for group_by type on a ledger without a type column.
  Result<LedgerSummary> Summarize(const Actor& actor, const std::string& id,
                                  LedgerGroupBy group_by);
  // kFailedPrecondition for a ledger that is not a campaign.
  Result<CampaignReport> Campaign(const Actor& actor, const std::string& id);

  // ---- files
  // Header: LedgerFixedHeaders(), the definition's column names, then 滞后 (derived; ignored
  // on import). Rows by key, only those the actor may see. CSV is UTF-8 with a BOM (Excel).
  Result<std::string> ExportCsv(const Actor& actor, const std::string& id);
  Result<std::string> ExportXlsx(const Actor& actor, const std::string& id);
  // Imports rows: headers are matched to the fixed headers and to column names or keys; a row
  // whose 编号 exists updates it (only the columns present), others are created. Every cell is
  // validated; errors name row, column, value and reason. Unless valid_rows_only, any error
  // means nothing is written; otherwise the valid rows are written — in both cases in one
  // atomic LedgerStore::Write. A dry run writes nothing. kInvalidArgument only for a file that
  // cannot be read at all (not CSV/XLSX, no header row).
  Result<LedgerImportReport> Import(const Actor& actor, const std::string& id,
                                    std::string_view bytes, const LedgerImportOptions& options);

  // ---- audit
  Result<storage::LedgerChainReport> VerifyChains(const Actor& actor, const std::string& id);

 private:
  Result<LedgerDefinition> Load(const std::string& id);
  Result<std::vector<LedgerRowView>> VisibleRows(const Actor& actor, const LedgerDefinition& d);
  LedgerRowView View(const LedgerDefinition& d, LedgerRow row) const;

  storage::Store& store_;
  ReferenceDataService& reference_;
  const Clock& clock_;
  LedgerServiceOptions options_;
};

}  // namespace citygrid::service
