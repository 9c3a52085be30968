#include "cors.h"

namespace qpush::api {

namespace {
bool isOriginHeader(const QByteArray &name)
{
    const QByteArray n = name.toLower();
    return n == "access-control-allow-origin" || n == "access-control-allow-credentials" ||
           n == "vary";
}
} // namespace

bool CorsPolicy::isListed(const QByteArray &origin) const
{
    if (origin.isEmpty())
        return false;
    const QString o = QString::fromLatin1(origin);
    for (const QString &allowed : m_allowed)
        if (allowed.compare(o, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

http::Headers CorsPolicy::adjust(const http::Request &request, http::Headers headers) const
{
    const QByteArray origin = request.header("origin");
    const bool listed = isListed(origin);
    const bool admin = request.path.startsWith("/api/admin/") || request.path == "/api/admin";
    if (admin && !listed && !origin.isEmpty())
        return {}; // no CORS at all: the browser keeps the reply from the page
    http::Headers out;
    for (http::Header &h : headers)
        if (!isOriginHeader(h.name))
            out.append(std::move(h));
    if (origin.isEmpty()) {
        out.prepend(http::Header{"access-control-allow-origin", "*"});
        return out;
    }
    out.prepend(http::Header{"vary", "Origin"});
    if (listed)
        out.prepend(http::Header{"access-control-allow-credentials", "true"});
    out.prepend(http::Header{"access-control-allow-origin", origin});
    return out;
}

http::Headers CorsPolicy::replyHeaders(const http::Request &request) const
{
    return adjust(request, http::corsHeaders(request));
}

http::Headers CorsPolicy::preflightHeaders(const http::Request &request,
                                           QByteArrayView alwaysAllowed) const
{
    return adjust(request, http::corsPreflightHeaders(request, alwaysAllowed));
}

} // namespace qpush::api
