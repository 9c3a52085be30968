#include "router.h"

#include "logging.h"

namespace qpush::api {

void Router::add(const QByteArray &method, const QByteArray &path, Handler handler)
{
    Route r;
    r.method = method;
    r.withParam = path.endsWith("/:");
    r.path = r.withParam ? path.chopped(1) : path;
    r.handler = std::move(handler);
    m_routes.append(std::move(r));
}

const Router::Route *Router::find(const QByteArray &path, const QByteArray &method, bool *pathKnown,
                                  QString *param) const
{
    *pathKnown = false;
    for (const Route &r : m_routes) {
        bool match = false;
        if (r.withParam)
            match = path.startsWith(r.path) && path.size() > r.path.size() &&
                    !path.sliced(r.path.size()).contains('/');
        else
            match = path == r.path || (path.size() == r.path.size() + 1 && path.endsWith('/') &&
                                       path.startsWith(r.path));
        if (!match)
            continue;
        *pathKnown = true;
        if (r.method != method)
            continue;
        if (r.withParam && param)
            *param = QString::fromUtf8(path.sliced(r.path.size()));
        return &r;
    }
    return nullptr;
}

bool Router::matches(const QByteArray &path) const
{
    bool known = false;
    find(path, "GET", &known, nullptr);
    return known;
}

void Router::handle(net::Responder responder, http::Request &request) const
{
    // The caller's address is looked up here, for REST only (the client
    // port's polling requests do not pay a getpeername per request): the
    // peer, or what a trusted proxy says in X-Forwarded-For; unless the
    // caller of handle() already did.
    net::Connection *c = request.peerAddress.isEmpty() ? responder.connection() : nullptr;
    if (c) {
        const QHostAddress peer = c->peerAddress();
        QHostAddress caller = peer;
        if (!m_trustedProxies.isEmpty()) {
            caller =
                net::clientAddress(peer, request.joinedHeader("x-forwarded-for"), m_trustedProxies);
        }
        request.peerAddress = net::normalized(caller).toString().toLatin1();
    }
    http::Headers headers = m_cors.replyHeaders(request);
    // Who answers (the console's About box shows it).
    headers.append(http::Header{"server", QByteArrayLiteral("qpush/" QPUSH_VERSION)});
    Reply reply(std::move(responder), std::move(headers));
    if (request.method == "OPTIONS") {
        // Always Authorization and Content-Type (SPEC §10), plus what the
        // preflight asks for.
        const http::Headers h = m_cors.preflightHeaders(request, "Authorization, Content-Type");
        net::Responder r = std::move(reply).takeResponder();
        r.respond(204, h, {});
        return;
    }
    bool known = false;
    QString param;
    // Parameters are matched on the raw (still encoded) path so that an
    // encoded '/' (%2F) stays inside the parameter.
    const qsizetype q = request.target.indexOf('?');
    const QByteArray rawPath = q < 0 ? request.target : request.target.first(q);
    const Route *route = find(rawPath, request.method, &known, &param);
    if (!route) {
        if (known)
            reply.error(methodNotAllowed());
        else
            reply.error(push::DomainError::notFound(QStringLiteral("no such path: ") +
                                                    QString::fromUtf8(request.path)));
        return;
    }
    if (route->withParam)
        param = QString::fromUtf8(http::percentDecode(param.toUtf8(), false));
    qCDebug(lcApi) << request.method << request.path;
    route->handler(Context{request, param}, std::move(reply));
}

} // namespace qpush::api
