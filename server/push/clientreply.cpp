#include "clientreply.h"

#include "json.h"

#include <QJsonArray>

namespace qpush::push {

namespace {
int clientStatus(DomainError::Kind kind)
{
    switch (kind) {
    case DomainError::Invalid:
        return 400;
    case DomainError::Unauthorized:
        return 401;
    case DomainError::Forbidden:
        return 403;
    case DomainError::NotFound:
        return 404;
    case DomainError::Conflict:
        return 409;
    case DomainError::TooLarge:
        return 413;
    case DomainError::RateLimited:
        return 429;
    case DomainError::Unavailable:
        return 503;
    case DomainError::Internal:
        break;
    }
    return 500;
}

QJsonObject statusReply(int status, const QString &msg)
{
    return QJsonObject{{QStringLiteral("status"), status}, {QStringLiteral("msg"), msg}};
}
} // namespace

QJsonObject okReply()
{
    static const QJsonObject ok =
        statusReply(200, QStringLiteral("ok")); // shared, not rebuilt per ack
    return ok;
}

QJsonObject clientReply(const DomainError &error)
{
    return statusReply(clientStatus(error.kind), error.message);
}

QJsonObject syncReply(const store::SyncResult &result)
{
    QJsonArray list;
    for (const store::PushMessage &m : result.messages)
        list.append(messageToJson(m));
    QJsonObject reply = okReply();
    reply.insert(QStringLiteral("serverNum"), double(result.serverNum));
    reply.insert(QStringLiteral("msgList"), list);
    return reply;
}

} // namespace qpush::push
