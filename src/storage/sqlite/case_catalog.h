#pragma once

// The filter and sort columns of every case, in memory, column by column: how the SQLite store
// answers case lists and counts when it owns its data directory (it is then the only writer of
// cases, so what it committed is all there is).
//
// Why: the cases table used to carry a secondary index per filter (state, category, unit,
// sub-district, community, grid, updated, deadline). Their keys are scattered, so every create
// rewrote about eight B-tree pages of its own, each one a WAL frame and later a checkpoint
// write; that was half the committer's time (docs/operations.md, "What limits creates now").
// Here a create appends a few bytes per column instead.
//
// Meaning: storage/case_query.h. Every filter but `text` is evaluated here; the caller loads
// the cases of the ids it gets and checks the whole query (text included) on them.
// Cost: about 83 bytes per case. A created_asc/created_desc page reads the cases in that order
// from a permutation sorted by (created_at, id) and stops when the page is full. The
// deadline_asc and updated_desc orders keep, per block of kBlock rows, the block's earliest
// deadline and latest update: a page reads the blocks best bound first and stops at the first
// block that cannot beat the page's last case. Counts read every row's filter columns.
// Thread-safe: Put takes the lock exclusively, Next and Count share it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/domain/case.h"
#include "citygrid/storage/case_query.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage::sqlite {

class CaseCatalog {
 public:
  // What the catalog keeps of a case: the columns of the same names in the cases table.
  struct Row {
    int64_t id = 0;
    int64_t version = 0;
    int64_t created_at = 0;  // Unix ms
    int64_t updated_at = 0;
    int64_t deadline_key = kNoDeadlineSortKey;  // SortKeyOf(c, kDeadlineAsc).key
    double lon = 0;
    double lat = 0;
    CaseState state = CaseState::kReported;
    Channel channel = Channel::kInspector;
    bool overdue = false;
    std::string category, unit, district, subdistrict, community, grid;
  };
  static Row RowOf(const Case& c);

  // Records a case as it is now (a new case, or a new version of one: same id). A version older
  // than the one recorded is ignored: two writers' commits of one case may report out of order.
  void Put(const Row& row);
  // Replaces the whole catalog with the rows `next` yields (filling its argument and returning
  // true, or false at the end), best in id order; stops at the first error and leaves the
  // catalog empty then.
  Status Load(const std::function<Result<bool>(Row&)>& next);

  size_t size() const;
  // Bytes held by the columns, the order and the code table (capacity, not just size).
  size_t memory_bytes() const;

  // Up to `max` cases that pass every filter of `query` except `text`, in query.sort's order
  // (its cursor and limit are ignored), strictly after `after` when given: their sort keys.
  std::vector<CaseSortKey> Next(const CaseQuery& query, const std::optional<CaseSortKey>& after,
                                size_t max) const;

  // How many cases pass every filter of `query` except `text`.
  int64_t Count(const CaseQuery& query) const;

 private:
  struct Filter;  // a CaseQuery in this catalog's codes

  // REQUIRES: mu_ held (any mode).
  std::optional<Filter> Compile(const CaseQuery& query) const;
  bool Passes(const Filter& f, size_t row) const;
  CaseSortKey KeyAt(size_t row, CaseSort sort) const;
  // The row of case `id`, if recorded.
  std::optional<size_t> RowOf(int64_t id) const;
  // REQUIRES: mu_ held exclusively.
  uint32_t Intern(const std::string& text);
  void Append(const Row& r);
  void SetRow(size_t row, const Row& r);
  void Clear();
  void SortById();
  // Calls f(column) for each per-case column below (id_ .. overdue_), const or not.
  template <typename Self, typename F>
  static void ForEachColumn(Self& self, F f) {
    f(self.id_), f(self.version_), f(self.created_), f(self.updated_), f(self.deadline_);
    f(self.lon_), f(self.lat_);
    f(self.category_), f(self.unit_), f(self.district_), f(self.subdistrict_);
    f(self.community_), f(self.grid_);
    f(self.state_), f(self.channel_), f(self.overdue_);
  }
  void ComputeBlock(size_t block);
  void ComputeBlocks();
  // Next for the deadline_asc and updated_desc orders.
  std::vector<CaseSortKey> NextByBlocks(const Filter& f, CaseSort sort,
                                        const std::optional<CaseSortKey>& after,
                                        size_t max) const;
  void SortByCreated();
  bool CreatedBefore(uint32_t a, uint32_t b) const;

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, uint32_t> codes_;  // category, unit and place codes
  // One entry per case, ordered by id (cases are appended in id order).
  std::vector<int64_t> id_;
  std::vector<uint32_t> version_;
  std::vector<int64_t> created_;   // Unix ms
  std::vector<int64_t> updated_;   // Unix ms
  std::vector<int64_t> deadline_;  // Unix ms; kNoDeadlineSortKey without a stage deadline
  std::vector<double> lon_;
  std::vector<double> lat_;
  std::vector<uint32_t> category_;
  std::vector<uint32_t> unit_;
  std::vector<uint32_t> district_;
  std::vector<uint32_t> subdistrict_;
  std::vector<uint32_t> community_;
  std::vector<uint32_t> grid_;
  std::vector<uint8_t> state_;
  std::vector<uint8_t> channel_;
  std::vector<uint8_t> overdue_;
  // Rows ordered by (created_at, id).
  std::vector<uint32_t> by_created_;
  // Per block of kBlock consecutive rows: the least deadline_ and the greatest updated_.
  static constexpr size_t kBlock = 1024;
  std::vector<int64_t> block_min_deadline_;
  std::vector<int64_t> block_max_updated_;
};

}  // namespace citygrid::storage::sqlite
