// One warning line per tripped limit and minute (docs/security-domain.md):
// a flood of refused events must not become a flood of log lines.
#pragma once

#include "metrics/servermetrics.h"
#include "shared/clock.h"
#include "shared/limits.h"

#include <QString>

namespace qpush::push {

class LimitLog
{
public:
    // `metrics` (qpush_limits_tripped_total) may be null: not counted. The
    // minute of a line is read from `clock`.
    LimitLog(const Clock *clock, metrics::ServerMetrics *metrics)
        : m_clock(clock), m_metrics(metrics)
    {
    }

    void tripped(const char *limit, const QString &what);

private:
    const Clock *m_clock;
    metrics::ServerMetrics *m_metrics;
    LogGate m_gate;
};

} // namespace qpush::push
