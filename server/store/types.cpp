#include "types.h"
#include "result.h"
#include "store.h"

#include <QDateTime>

namespace qpush::store {

QString errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Unavailable:
        return QStringLiteral("Unavailable");
    case ErrorCode::NotFound:
        return QStringLiteral("NotFound");
    case ErrorCode::Conflict:
        return QStringLiteral("Conflict");
    case ErrorCode::Corrupt:
        return QStringLiteral("Corrupt");
    case ErrorCode::Invalid:
        return QStringLiteral("Invalid");
    case ErrorCode::Internal:
        return QStringLiteral("Internal");
    }
    return QStringLiteral("Internal");
}

Store::~Store() = default;

void Store::awaitJobs(int max, qint64 leaseMs, int waitMs, Callback<QList<Job>> done)
{
    Q_UNUSED(waitMs);
    claimJobs(QDateTime::currentMSecsSinceEpoch(), max, leaseMs, std::move(done));
}

} // namespace qpush::store
