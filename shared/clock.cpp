#include "clock.h"

#include <QDateTime>

namespace qpush {

qint64 SystemClock::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

const Clock &systemClock()
{
    static const SystemClock clock;
    return clock;
}

} // namespace qpush
