// A Clock the test moves by hand: "an hour later" is advance(3600000), with
// no sleeping and no test switch in production code. Thread-safe (the
// SQLite worker thread may read it).
#pragma once

#include "shared/clock.h"

#include <atomic>

namespace qpush::test {

class FakeClock final : public Clock
{
public:
    /// Starts at a fixed, realistic instant (2026-01-01T00:00:00Z) unless told.
    explicit FakeClock(qint64 startMs = 1767225600000) : m_now(startMs) {}

    qint64 nowMs() const override { return m_now.load(); }
    void set(qint64 ms) { m_now.store(ms); }
    void advance(qint64 ms) { m_now.fetch_add(ms); }

private:
    std::atomic<qint64> m_now;
};

} // namespace qpush::test
