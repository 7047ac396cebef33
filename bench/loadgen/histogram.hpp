#pragma once
// HDR-style log-linear histogram of nanosecond latencies. Values below 128
// are exact; above, each power of two is split into 64 linear sub-buckets,
// so any recorded value is reported within 1/64 (1.6%) of itself. Fixed size
// (about 30 KiB), O(1) record, no allocation after construction.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace herald::bench {

class Histogram {
 public:
  void record(std::int64_t value) {
    if (value < 0) value = 0;
    ++counts_[index_of(static_cast<std::uint64_t>(value))];
    ++total_;
    max_ = std::max(max_, value);
  }
  void reset() {
    counts_.fill(0);
    total_ = 0;
    max_ = 0;
  }
  [[nodiscard]] std::uint64_t count() const { return total_; }
  [[nodiscard]] std::int64_t max() const { return max_; }

  // The highest value equivalent to the bucket holding the p-quantile
  // (p in 0..1), as HdrHistogram reports it; 0 when empty.
  [[nodiscard]] std::int64_t percentile(double p) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(p * static_cast<double>(total_) + 0.5);
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min<std::int64_t>(highest_in(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int kSubBits = 7;
  static constexpr std::uint64_t kSub = 1u << kSubBits;  // 128 exact values
  static constexpr std::uint64_t kHalf = kSub / 2;       // 64 sub-buckets per octave
  static constexpr std::size_t kBuckets = kSub + (64 - kSubBits) * kHalf;

  static std::size_t index_of(std::uint64_t v) {
    if (v < kSub) return v;
    int msb = 63 - std::countl_zero(v);
    int shift = msb - (kSubBits - 1);  // >= 1; (v >> shift) is in [64, 128)
    return kSub + (shift - 1) * kHalf + ((v >> shift) - kHalf);
  }
  static std::int64_t highest_in(std::size_t index) {
    if (index < kSub) return static_cast<std::int64_t>(index);
    std::size_t j = index - kSub;
    int shift = static_cast<int>(j / kHalf) + 1;
    std::uint64_t mantissa = j % kHalf + kHalf;
    return static_cast<std::int64_t>(((mantissa + 1) << shift) - 1);
  }

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace herald::bench
