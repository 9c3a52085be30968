// CORS of the API port as SPEC §10 says: `/api/auth/*` answers any origin
// (its Origin reflected, or `*` without one) but grants credentials
// (`Access-Control-Allow-Credentials: true`) only to origins listed in
// `cors_origins`; `/api/admin/*` answers CORS only to listed origins, so a
// page on another site can never read admin replies with credentials the
// browser cached. Built on http::corsHeaders / corsPreflightHeaders (net/),
// whose origin and credential headers are replaced here.
#pragma once

#include "net/httpmessage.h"

#include <QStringList>

namespace qpush::api {

class CorsPolicy
{
public:
    explicit CorsPolicy(QStringList allowedOrigins = {}) : m_allowed(std::move(allowedOrigins)) {}

    // Headers for a reply to `request` (empty: no CORS for it).
    http::Headers replyHeaders(const http::Request &request) const;
    // Headers for the answer to a preflight (OPTIONS).
    http::Headers preflightHeaders(const http::Request &request,
                                   QByteArrayView alwaysAllowed) const;

    bool isListed(const QByteArray &origin) const;

private:
    http::Headers adjust(const http::Request &request, http::Headers headers) const;
    QStringList m_allowed;
};

} // namespace qpush::api
