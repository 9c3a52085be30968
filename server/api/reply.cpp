#include "reply.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace qpush::api {

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

void Reply::error(const push::DomainError &error, int retryAfterSeconds)
{
    this->error(httpError(error), retryAfterSeconds);
}

void Reply::error(const HttpError &error, int retryAfterSeconds)
{
    const int status = error.status;
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
