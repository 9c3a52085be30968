// One warning line per tripped limit and minute (docs/security-domain.md):
// a flood of refused events must not become a flood of log lines.
#pragma once

#include "metrics/servermetrics.h"
#include "shared/limits.h"

#include <QString>

namespace qpush::push {

class LimitLog
{
public:
    void tripped(const char *limit, const QString &what);
    metrics::ServerMetrics *metrics = nullptr; // qpush_limits_tripped_total; null: not counted

private:
    LogGate m_gate;
};

} // namespace qpush::push
