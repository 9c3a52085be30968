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

QString platformName(Platform p)
{
    switch (p) {
    case Platform::Ios:
        return QStringLiteral("ios");
    case Platform::Android:
        return QStringLiteral("android");
    case Platform::Web:
        break;
    }
    return QStringLiteral("web");
}

std::optional<Platform> platformFromName(QStringView name)
{
    if (name == u"web")
        return Platform::Web;
    if (name == u"ios")
        return Platform::Ios;
    if (name == u"android")
        return Platform::Android;
    return std::nullopt;
}

std::optional<ClientIdParts> parseClientId(const QString &clientId)
{
    // <nsp>#<userid>#<platform>-<uuid>; names match key_reg, which allows '#'
    // and '-' inside names, so split at the first '#' and at the last '#'.
    const qsizetype first = clientId.indexOf(u'#');
    const qsizetype last = clientId.lastIndexOf(u'#');
    if (first <= 0 || last <= first)
        return std::nullopt;
    const QString tail = clientId.mid(last + 1);
    const qsizetype dash = tail.indexOf(u'-');
    if (dash <= 0 || dash == tail.size() - 1)
        return std::nullopt;
    const auto platform = platformFromName(QStringView(tail).left(dash));
    if (!platform)
        return std::nullopt;
    ClientIdParts parts;
    parts.nsp = clientId.left(first);
    parts.userid = clientId.mid(first + 1, last - first - 1);
    parts.platform = *platform;
    parts.uuid = tail.mid(dash + 1);
    if (parts.userid.isEmpty() || !parts.nsp.startsWith(u'/'))
        return std::nullopt;
    return parts;
}

QString makeClientId(const QString &nsp, const QString &userid, Platform platform,
                     const QString &uuid)
{
    return nsp + u'#' + userid + u'#' + platformName(platform) + u'-' + uuid;
}

Store::~Store() = default;

void Store::awaitJobs(int max, qint64 leaseMs, int waitMs, Callback<QList<Job>> done)
{
    Q_UNUSED(waitMs);
    claimJobs(QDateTime::currentMSecsSinceEpoch(), max, leaseMs, std::move(done));
}

} // namespace qpush::store
