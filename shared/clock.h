// qpush::Clock — the one place the domain and the stores read wall-clock
// time (send dates, expiry, report hour buckets, legacy-client cutoffs).
// Production passes a SystemClock; tests pass a fake one they move by hand,
// so that "an hour later" needs neither sleeping nor a test switch in
// production code. Timers (QTimer, deadlines) stay on the monotonic clock.
#pragma once

#include <QtGlobal>

namespace qpush {

class Clock
{
public:
    virtual ~Clock() = default;
    /// Milliseconds since the Unix epoch (UTC). Safe to call from any thread.
    virtual qint64 nowMs() const = 0;
};

/// The real clock: QDateTime::currentMSecsSinceEpoch().
class SystemClock final : public Clock
{
public:
    qint64 nowMs() const override;
};

/// A SystemClock to point at by default. It has no state, so sharing one
/// instance is sharing a function, not a global.
const Clock &systemClock();

} // namespace qpush
