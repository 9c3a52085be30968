#include "clock.h"

#include <QDateTime>

namespace qpush {

qint64 SystemClock::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace qpush
