// Latency histogram with ~0.8 % resolution from 1 µs to hours, mergeable
// and small enough (18 KB) to ship over a pipe at the end of every phase.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace qpushbench {

class Histogram
{
public:
    static constexpr int kSub = 128;
    static constexpr int kBuckets = 2 * kSub + 40 * kSub;

    void add(uint64_t us)
    {
        ++m_counts[index(us)];
        ++m_count;
        m_max = std::max(m_max, us);
    }
    void merge(const Histogram &other)
    {
        for (int i = 0; i < kBuckets; ++i)
            m_counts[i] += other.m_counts[i];
        m_count += other.m_count;
        m_max = std::max(m_max, other.m_max);
    }
    uint64_t count() const { return m_count; }
    uint64_t max() const { return m_max; }
    // Value (µs) at quantile q in [0,1]: the middle of the bucket holding it.
    uint64_t quantile(double q) const
    {
        if (m_count == 0)
            return 0;
        const auto rank = static_cast<uint64_t>(q * static_cast<double>(m_count - 1)) + 1;
        uint64_t seen = 0;
        for (int i = 0; i < kBuckets; ++i) {
            seen += m_counts[i];
            if (seen >= rank)
                return std::min(value(i), m_max);
        }
        return m_max;
    }

private:
    static int index(uint64_t v)
    {
        if (v < 2 * kSub)
            return static_cast<int>(v);
        const int e = std::bit_width(v) - 8; // v >> e in [128, 255]
        const int i = 2 * kSub + (e - 1) * kSub + static_cast<int>((v >> e) - kSub);
        return std::min(i, kBuckets - 1);
    }
    static uint64_t value(int i)
    {
        if (i < 2 * kSub)
            return static_cast<uint64_t>(i);
        const int e = (i - 2 * kSub) / kSub + 1;
        const uint64_t m = static_cast<uint64_t>((i - 2 * kSub) % kSub + kSub);
        return (m << e) + (uint64_t{1} << e) / 2;
    }

    std::array<uint32_t, kBuckets> m_counts{};
    uint64_t m_count = 0;
    uint64_t m_max = 0;
};

} // namespace qpushbench
