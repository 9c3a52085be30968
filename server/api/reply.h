// The answer to one REST request: JSON bodies, the error shape
// {code, msg} with its HTTP status (mapped here and nowhere else), and the
// CORS headers of the request's origin.
#pragma once

#include "net/connection.h"

#include <QJsonValue>
#include <QString>

namespace qpush::api {

// A failure as the API reports it. `status` is the HTTP status; the body is
// {"code": status, "msg": message}.
struct ApiError
{
    enum Kind {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        TooLarge,
        RateLimited,
        Unavailable,
        Internal
    };
    Kind kind = Internal;
    QString message;

    static ApiError badRequest(QString m) { return {BadRequest, std::move(m)}; }
    static ApiError unauthorized(QString m = QStringLiteral("unauthorized"))
    {
        return {Unauthorized, std::move(m)};
    }
    static ApiError forbidden(QString m) { return {Forbidden, std::move(m)}; }
    static ApiError notFound(QString m = QStringLiteral("not found"))
    {
        return {NotFound, std::move(m)};
    }
    static ApiError conflict(QString m) { return {Conflict, std::move(m)}; }
    static ApiError unavailable(QString m) { return {Unavailable, std::move(m)}; }
    int httpStatus() const;
};

class Reply
{
public:
    Reply(net::Responder responder, http::Headers cors)
        : m_responder(std::move(responder)), m_cors(std::move(cors))
    {
    }

    bool isValid() const { return m_responder.isValid(); }
    void json(const QJsonValue &body, int status = 200);
    // retryAfterSeconds > 0 adds a Retry-After header (429).
    void error(const ApiError &error, int retryAfterSeconds = 0);
    void text(int status, const QByteArray &contentType, const QByteArray &body);
    net::Responder takeResponder() && { return std::move(m_responder); }

private:
    net::Responder m_responder;
    http::Headers m_cors;
};

} // namespace qpush::api
