#include "reply.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace qpush::api {

int ApiError::httpStatus() const
{
    switch (kind) {
    case BadRequest:
        return 400;
    case Unauthorized:
        return 401;
    case Forbidden:
        return 403;
    case NotFound:
        return 404;
    case MethodNotAllowed:
        return 405;
    case Conflict:
        return 409;
    case TooLarge:
        return 413;
    case RateLimited:
        return 429;
    case Unavailable:
        return 503;
    case Internal:
        return 500;
    }
    return 500;
}

void Reply::json(const QJsonValue &body, int status)
{
    http::Headers h = m_cors;
    h.append(http::Header{"content-type", "application/json; charset=utf-8"});
    QByteArray bytes;
    if (body.isObject())
        bytes = QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
    else if (body.isArray())
        bytes = QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact);
    else
        bytes = "{}";
    m_responder.respond(status, h, bytes);
}

void Reply::error(const ApiError &error, int retryAfterSeconds)
{
    const int status = error.httpStatus();
    http::Headers h = m_cors;
    if (status == 401)
        h.append(http::Header{"www-authenticate", "Basic realm=\"qpush\""});
    if (retryAfterSeconds > 0)
        h.append(http::Header{"retry-after", QByteArray::number(retryAfterSeconds)});
    h.append(http::Header{"content-type", "application/json; charset=utf-8"});
    const QJsonObject body{{QStringLiteral("code"), status},
                           {QStringLiteral("msg"), error.message}};
    m_responder.respond(status, h, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

void Reply::text(int status, const QByteArray &contentType, const QByteArray &body)
{
    http::Headers h = m_cors;
    h.append(http::Header{"content-type", contentType});
    m_responder.respond(status, h, body);
}

} // namespace qpush::api
