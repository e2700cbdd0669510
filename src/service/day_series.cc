#include "citygrid/service/day_series.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace citygrid::service {
namespace {

constexpr int kBlockDays = 32;
constexpr int kMinutesSlot = static_cast<int>(Metric::kHandleMinutes);

int32_t FloorDiv(int32_t a, int32_t b) {
  int32_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// One day of a block in 16 bits per count and 32 bits for the handling minutes (which grow
// hundreds per case).
struct NarrowDay {
  uint16_t counts[kDayValues - 1];  // every value but the minutes, in slot order
  uint32_t minutes;
};

bool FitsNarrow(int slot, int64_t v) {
  return v >= 0 && v <= (slot == kMinutesSlot ? int64_t{std::numeric_limits<uint32_t>::max()}
                                              : int64_t{std::numeric_limits<uint16_t>::max()});
}

}  // namespace

struct DaySeries::Block {
  // The sums of every day of the series before this block.
  int64_t start[kDayValues] = {};
  // Day d: the sum of the block's days 0..d (query form) or day d's own count (while daily).
  NarrowDay days[kBlockDays] = {};
  // When set (kBlockDays × kDayValues), the days live here instead, in 64 bits.
  std::unique_ptr<int64_t[]> wide;

  int64_t Get(int d, int slot) const {
    if (wide) return wide[d * kDayValues + slot];
    if (slot == kMinutesSlot) return days[d].minutes;
    return days[d].counts[slot < kMinutesSlot ? slot : slot - 1];
  }
  void SetNarrow(int d, int slot, int64_t v) {
    if (slot == kMinutesSlot) {
      days[d].minutes = static_cast<uint32_t>(v);
    } else {
      days[d].counts[slot < kMinutesSlot ? slot : slot - 1] = static_cast<uint16_t>(v);
    }
  }
  void Widen() {
    auto w = std::make_unique<int64_t[]>(kBlockDays * kDayValues);
    for (int d = 0; d < kBlockDays; ++d) {
      for (int s = 0; s < kDayValues; ++s) w[d * kDayValues + s] = Get(d, s);
    }
    wide = std::move(w);
  }
  // Adds `v` to value `slot` of days lo..hi.
  void AddRange(int lo, int hi, int slot, int64_t v) {
    if (!wide) {
      bool fits = true;
      for (int d = lo; d <= hi && fits; ++d) fits = FitsNarrow(slot, Get(d, slot) + v);
      if (fits) {
        for (int d = lo; d <= hi; ++d) SetNarrow(d, slot, Get(d, slot) + v);
        return;
      }
      Widen();
    }
    for (int d = lo; d <= hi; ++d) wide[d * kDayValues + slot] += v;
  }
  // out = the series' sums through day d of this block, of values 0 .. count-1 (count is
  // kDayValues or kMetricCount).
  void Through(int d, int64_t* out, int count) const {
    if (wide) {
      const int64_t* w = &wide[d * kDayValues];
      for (int s = 0; s < count; ++s) out[s] = start[s] + w[s];
      return;
    }
    const NarrowDay& n = days[d];
    for (int s = 0; s < kMinutesSlot; ++s) out[s] = start[s] + n.counts[s];
    out[kMinutesSlot] = start[kMinutesSlot] + n.minutes;
    for (int s = kMinutesSlot + 1; s < count; ++s) out[s] = start[s] + n.counts[s - 1];
  }
};

DaySeries::DaySeries() = default;
DaySeries::~DaySeries() = default;
DaySeries::DaySeries(DaySeries&&) noexcept = default;
DaySeries& DaySeries::operator=(DaySeries&&) noexcept = default;

void DaySeries::EndBefore(int64_t index, int64_t* out, int count) const {
  for (int64_t i = std::min<int64_t>(index, static_cast<int64_t>(blocks_.size())) - 1; i >= 0;
       --i) {
    if (blocks_[static_cast<size_t>(i)]) {
      blocks_[static_cast<size_t>(i)]->Through(kBlockDays - 1, out, count);
      return;
    }
  }
  std::fill(out, out + count, 0);
}

DaySeries::Block* DaySeries::BlockAt(int32_t block_no) {
  if (blocks_.empty()) {
    first_block_ = block_no;
    blocks_.emplace_back();
  } else if (block_no < first_block_) {
    std::vector<std::unique_ptr<Block>> grown(static_cast<size_t>(first_block_ - block_no));
    grown.reserve(grown.size() + blocks_.size());
    for (auto& b : blocks_) grown.push_back(std::move(b));
    blocks_ = std::move(grown);
    first_block_ = block_no;
  } else if (block_no - first_block_ >= static_cast<int32_t>(blocks_.size())) {
    blocks_.resize(static_cast<size_t>(block_no - first_block_ + 1));
  }
  const size_t index = static_cast<size_t>(block_no - first_block_);
  std::unique_ptr<Block>& b = blocks_[index];
  if (!b) {
    b = std::make_unique<Block>();
    // In query form a new block starts where the series stood at the end of the block before;
    // while daily, Seal() links the starts.
    if (!daily_) EndBefore(static_cast<int64_t>(index), b->start);
  }
  return b.get();
}

void DaySeries::Add(int32_t day, int slot, int64_t v) {
  const int32_t block_no = FloorDiv(day, kBlockDays);
  Block* b = BlockAt(block_no);
  b->AddRange(day - block_no * kBlockDays, kBlockDays - 1, slot, v);
  for (size_t i = static_cast<size_t>(block_no - first_block_) + 1; i < blocks_.size(); ++i) {
    if (blocks_[i]) blocks_[i]->start[slot] += v;
  }
}

void DaySeries::AddDaily(int32_t day, int slot, int64_t v) {
  daily_ = true;
  const int32_t block_no = FloorDiv(day, kBlockDays);
  const int d = day - block_no * kBlockDays;
  BlockAt(block_no)->AddRange(d, d, slot, v);
}

void DaySeries::Seal() {
  if (!daily_) return;
  daily_ = false;
  int64_t running[kDayValues] = {};
  std::vector<int64_t> sums(static_cast<size_t>(kBlockDays) * kDayValues);
  for (auto& b : blocks_) {
    if (!b) continue;
    std::copy(running, running + kDayValues, b->start);
    int64_t acc[kDayValues] = {};
    bool fits = true;
    for (int d = 0; d < kBlockDays; ++d) {
      for (int s = 0; s < kDayValues; ++s) {
        acc[s] += b->Get(d, s);
        sums[static_cast<size_t>(d * kDayValues + s)] = acc[s];
        fits = fits && FitsNarrow(s, acc[s]);
      }
    }
    if (fits) {
      b->wide.reset();
      for (int d = 0; d < kBlockDays; ++d) {
        for (int s = 0; s < kDayValues; ++s) {
          b->SetNarrow(d, s, sums[static_cast<size_t>(d * kDayValues + s)]);
        }
      }
    } else {
      if (!b->wide) b->wide = std::make_unique<int64_t[]>(kBlockDays * kDayValues);
      std::copy(sums.begin(), sums.end(), b->wide.get());
    }
    for (int s = 0; s < kDayValues; ++s) running[s] += acc[s];
  }
}

void DaySeries::Through(int32_t day, int64_t* out) const { Through(day, out, kDayValues); }

void DaySeries::Through(int32_t day, int64_t* out, int count) const {
  if (blocks_.empty()) {
    std::fill(out, out + count, 0);
    return;
  }
  const int32_t block_no = FloorDiv(day, kBlockDays);
  const int64_t index = static_cast<int64_t>(block_no) - first_block_;
  if (index < 0) {
    std::fill(out, out + count, 0);
  } else if (index >= static_cast<int64_t>(blocks_.size())) {
    EndBefore(static_cast<int64_t>(blocks_.size()), out, count);
  } else if (const Block* b = blocks_[static_cast<size_t>(index)].get()) {
    b->Through(day - block_no * kBlockDays, out, count);
  } else {
    EndBefore(index, out, count);
  }
}

bool DaySeries::Sum(int32_t from, int32_t to, int64_t* out) const {
  int64_t before[kDayValues];
  Through(from - 1, before, kDayValues);
  Through(to, out, kDayValues);
  bool any = false;
  for (int s = 0; s < kDayValues; ++s) {
    out[s] -= before[s];
    any = any || out[s] != 0;
  }
  return any;
}

bool DaySeries::SumMetrics(int32_t from, int32_t to, int64_t* out) const {
  int64_t before[kMetricCount];
  Through(from - 1, before, kMetricCount);
  Through(to, out, kMetricCount);
  bool any = false;
  for (int s = 0; s < kMetricCount; ++s) {
    out[s] -= before[s];
    any = any || out[s] != 0;
  }
  return any;
}

int64_t DaySeries::bytes() const {
  int64_t n = static_cast<int64_t>(sizeof(DaySeries) + blocks_.capacity() * sizeof(void*));
  for (const auto& b : blocks_) {
    if (!b) continue;
    n += static_cast<int64_t>(sizeof(Block));
    if (b->wide) n += static_cast<int64_t>(sizeof(int64_t)) * kBlockDays * kDayValues;
  }
  return n;
}

}  // namespace citygrid::service
