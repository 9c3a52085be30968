// The answer to one REST request: JSON bodies, the error shape {code, msg}
// with its HTTP status (from the table of errors.h), and the CORS headers of
// the request's origin.
#pragma once

#include "errors.h"

#include "net/connection.h"

#include <QJsonValue>
#include <QString>

namespace qpush::api {

class Reply
{
public:
    Reply(net::Responder responder, http::Headers cors)
        : m_responder(std::move(responder)), m_cors(std::move(cors))
    {
    }

    bool isValid() const { return m_responder.isValid(); }
    void json(const QJsonValue &body, int status = 200);
    // {code, msg} with the error's status (errors.h); retryAfterSeconds > 0
    // adds a Retry-After header (429).
    void error(const push::DomainError &error, int retryAfterSeconds = 0);
    void error(const HttpError &error, int retryAfterSeconds = 0);
    void text(int status, const QByteArray &contentType, const QByteArray &body);
    net::Responder takeResponder() && { return std::move(m_responder); }

private:
    net::Responder m_responder;
    http::Headers m_cors;
};

} // namespace qpush::api
