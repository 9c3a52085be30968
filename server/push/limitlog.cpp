#include "limitlog.h"

#include "logging.h"

namespace qpush::push {

void LimitLog::tripped(const char *limit, const QString &what)
{
    if (m_metrics)
        m_metrics->limitsTripped.inc(QByteArray(limit).replace(" (disconnect)", ""));
    qint64 suppressed = 0;
    if (m_gate.allow(limit, m_clock->nowMs(), &suppressed))
        qCWarning(lcPush).noquote()
            << "limit" << limit << "tripped:" << what
            << QStringLiteral("(%1 more since the last line)").arg(suppressed);
}

} // namespace qpush::push
