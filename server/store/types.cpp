#include "types.h"
#include "result.h"
#include "store.h"

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

} // namespace qpush::store
