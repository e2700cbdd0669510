#pragma once

// DaySeries: the per-day counts of one evaluation group (every Metric and handle-time bucket of
// domain/indicator.h, "values" below), stored so that the sum over ANY range of days costs two
// lookups, whatever the range's length: Sum(from, to) = Through(to) - Through(from - 1).
//
// Layout: 32-day blocks (allocated when a day of theirs first gets a count). A block holds, per
// value, the cumulative sum of every earlier day of the series (int64), and per day of the block
// the running sum from the block's first day through that day — 16 bits per count and 32 bits
// for the handling minutes; a block whose running sums would leave that range keeps them in 64
// bits instead (widens), so nothing ever saturates. Through(day) is the block's cumulative start
// plus the day's running sum.
//
// Two ways to fill it:
//   - Add(): the sums stay in query form; costs O(32 + later blocks) (a follower's live events
//     land in the latest block, so "later blocks" are few);
//   - AddDaily() then Seal(): plain per-day counts, O(1) per add, turned into query form once by
//     Seal() (a rebuild over millions of cases). Between the first AddDaily() and Seal() the
//     series must not be queried nor Add()ed to.
// Counts may be negative transiently only by design of the caller: a removal always takes back
// an earlier addition (the engine subtracts a case's old contributions before adding the new).
//
// Not thread-safe; the engine guards it with its data lock.

#include <cstdint>
#include <memory>
#include <vector>

#include "citygrid/domain/indicator.h"

namespace citygrid::service {

// Values per day: the metrics in Metric order, then the handle-time buckets.
inline constexpr int kDayValues = kMetricCount + kHandleTimeBuckets;
// Index of the value of histogram bucket k.
constexpr int HandleTimeSlot(int bucket) { return kMetricCount + bucket; }

class DaySeries {
 public:
  DaySeries();
  ~DaySeries();
  DaySeries(DaySeries&&) noexcept;
  DaySeries& operator=(DaySeries&&) noexcept;

  // Adds `v` to value `slot` (0 .. kDayValues-1) of civil day `day`, keeping the query form.
  void Add(int32_t day, int slot, int64_t v);
  // Adds `v` to the plain count of `day` (see the header comment); Seal() before querying.
  void AddDaily(int32_t day, int slot, int64_t v);
  // Turns the plain per-day counts into the query form. No-op when nothing was AddDaily()ed.
  void Seal();

  // Sets out[0 .. kDayValues-1] to the sums of every day up to and including `day`.
  void Through(int32_t day, int64_t* out) const;
  // Sets out[...] to the sums of days [from, to] (from <= to); returns whether any is non-zero.
  bool Sum(int32_t from, int32_t to, int64_t* out) const;
  // As Sum, the metrics only (out[0 .. kMetricCount-1]; about half the memory reads).
  bool SumMetrics(int32_t from, int32_t to, int64_t* out) const;

  bool empty() const { return blocks_.empty(); }
  // Bytes held (the series, its block table and blocks).
  int64_t bytes() const;

 private:
  struct Block;

  Block* BlockAt(int32_t block_no);  // allocates (and links its cumulative start) when missing
  // The cumulative sums through the end of the last allocated block before index `index`, of
  // values 0 .. count-1.
  void EndBefore(int64_t index, int64_t* out, int count = kDayValues) const;
  void Through(int32_t day, int64_t* out, int count) const;

  int32_t first_block_ = 0;
  std::vector<std::unique_ptr<Block>> blocks_;  // block first_block_ + i; null = no count yet
  bool daily_ = false;                          // AddDaily() since the last Seal()
};

}  // namespace citygrid::service
