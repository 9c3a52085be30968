#include "server.h"

#include "logging.h"

#include "net/logthrottle.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRandomGenerator>

namespace qpush::eio {

namespace {
QByteArray errorMessage(ErrorCode code)
{
    switch (code) {
    case ErrorCode::UnknownTransport:
        return "Transport unknown";
    case ErrorCode::UnknownSid:
        return "Session ID unknown";
    case ErrorCode::BadHandshakeMethod:
        return "Bad handshake method";
    case ErrorCode::BadRequest:
        return "Bad request";
    case ErrorCode::Forbidden:
        return "Forbidden";
    case ErrorCode::UnsupportedProtocolVersion:
        return "Unsupported protocol version";
    }
    return "Bad request";
}

// The qpush_engineio_handshakes_refused_total reason of an error.
QByteArray refusalReason(ErrorCode code)
{
    switch (code) {
    case ErrorCode::UnknownTransport:
        return "unknown_transport";
    case ErrorCode::BadHandshakeMethod:
        return "bad_handshake_method";
    case ErrorCode::UnsupportedProtocolVersion:
        return "unsupported_protocol_version";
    default:
        return "bad_request";
    }
}
} // namespace

namespace {
double burstOf(const ServerOptions &o)
{
    return o.handshakeBurst > 0 ? o.handshakeBurst : std::max(1.0, 4 * o.handshakeRatePerIp);
}
} // namespace

Server::Server(ServerOptions options, net::DeadlineQueue *deadlines, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_deadlines(deadlines),
      m_handshakes(m_options.handshakeRatePerIp, burstOf(m_options))
{
    if (!m_options.path.endsWith('/'))
        m_options.path += '/';
}

Server::~Server()
{
    // Sessions are children; make sure none calls back into a dying server.
    const auto sessions = m_sessions;
    m_sessions.clear();
    for (Session *s : sessions)
        s->setHandler(nullptr);
    // Delete them (closed ones still waiting too) while this is still a
    // Server: ~Session reaches the deadline queue through it.
    qDeleteAll(sessions);
    deleteClosed();
}

void Server::deleteSessionLater(Session *session)
{
    m_closed.push_back(session);
    if (m_deleteScheduled)
        return;
    m_deleteScheduled = true;
    QMetaObject::invokeMethod(
        this, [this] { deleteClosed(); }, Qt::QueuedConnection);
}

void Server::deleteClosed()
{
    m_deleteScheduled = false;
    // ~Session calls no one back (its handler was told in onClose).
    const std::vector<Session *> closed = std::exchange(m_closed, {});
    qDeleteAll(closed);
}

bool Server::matches(const QByteArray &path) const
{
    return path == m_options.path || path == m_options.path.chopped(1);
}

void Server::sendError(net::Responder &responder, const http::Request &request, ErrorCode code)
{
    http::Headers headers = http::corsHeaders(request);
    headers.append(http::Header{"content-type", "application/json"});
    const int status = code == ErrorCode::Forbidden ? 403 : 400;
    if (auto *m = m_options.metrics; m && request.queryValue("sid").isNull())
        m->handshakesRefused.inc(refusalReason(code)); // requests of a session are not handshakes
    const QByteArray body = "{\"code\":" + QByteArray::number(int(code)) + ",\"message\":\"" +
                            errorMessage(code) + "\"}";
    responder.respond(status, headers, body, request.isWebSocketUpgrade());
}

QByteArray Server::generateId() const
{
    // 15 random bytes -> 20 base64url characters, like engine.io's base64id.
    for (;;) {
        quint32 words[4];
        QRandomGenerator::global()->fillRange(words);
        QByteArray raw(reinterpret_cast<const char *>(words), 15);
        QByteArray id = raw.toBase64(QByteArray::Base64UrlEncoding);
        if (!m_sessions.contains(id))
            return id;
    }
}

void Server::handleRequest(net::Responder responder, http::Request &request)
{
    if (request.method == "OPTIONS") {
        const http::Headers headers = http::corsPreflightHeaders(request);
        responder.respond(204, headers, {});
        return;
    }

    const QByteArray transportName = request.queryValue("transport");
    Transport transport;
    if (transportName == "polling" && m_options.allowPolling)
        transport = Transport::Polling;
    else if (transportName == "websocket" && m_options.allowWebSocket)
        transport = Transport::WebSocket;
    else
        return sendError(responder, request, ErrorCode::UnknownTransport);

    const QByteArray eio = request.queryValue("EIO");
    Version version;
    if (eio == "4")
        version = Version::V4;
    else if (eio == "3")
        version = Version::V3;
    else
        return sendError(responder, request, ErrorCode::UnsupportedProtocolVersion);

    const bool upgrade = request.isWebSocketUpgrade();
    const QByteArray sid = request.queryValue("sid");
    if (sid.isNull()) {
        if (transport == Transport::WebSocket && !upgrade)
            return sendError(responder, request, ErrorCode::BadRequest);
        if (transport == Transport::Polling && request.method != "GET")
            return sendError(responder, request, ErrorCode::BadHandshakeMethod);
        return handshake(std::move(responder), request, version, transport);
    }

    Session *session = m_sessions.value(sid);
    if (session && session->expiredBy(m_deadlines->now())) {
        // The heartbeat deadline passed but its timer has not run yet.
        session->onClosed(QStringLiteral("ping timeout"), false);
        session = nullptr;
    }
    // A closing session still exists: its next poll carries the close packet.
    if (!session || session->m_state == Session::State::Closed)
        return sendError(responder, request, ErrorCode::UnknownSid);
    if (session->version() != version)
        return sendError(responder, request, ErrorCode::BadRequest);

    if (transport == Transport::WebSocket) {
        if (!upgrade || !session->isOpen())
            return sendError(responder, request, ErrorCode::BadRequest);
        if (session->transport() != Transport::Polling || session->isUpgrading()) {
            // Like engine.io: accept the extra websocket, then close it; the
            // session keeps its transport.
            net::Connection *extra = responder.connection();
            if (responder.upgradeToWebSocket(request, nullptr) && extra)
                extra->closeWebSocket(ws::CloseCode::PolicyViolation);
            return;
        }
        return session->handleUpgrade(std::move(responder), request);
    }
    if (session->transport() != Transport::Polling)
        return sendError(responder, request, ErrorCode::BadRequest);
    if (request.method == "GET")
        return session->handlePoll(std::move(responder), request);
    if (request.method == "POST")
        return session->handlePost(std::move(responder), request);
    return sendError(responder, request, ErrorCode::BadRequest);
}

void Server::handshake(net::Responder responder, http::Request &request, Version version,
                       Transport transport)
{
    net::Connection *connection = responder.connection();
    if (!connection)
        return;
    const QByteArray forwarded =
        m_options.trustedProxies.isEmpty() ? QByteArray() : request.joinedHeader("x-forwarded-for");
    const QHostAddress client =
        net::clientAddress(connection->peerAddress(), forwarded, m_options.trustedProxies);
    if (m_handshakes.enabled() && !(m_options.exemptLoopback && client.isLoopback())) {
        const Q_IPV6ADDR raw = client.toIPv6Address();
        const QByteArray key(reinterpret_cast<const char *>(&raw), sizeof raw);
        if (!m_handshakes.tryAcquire(key, m_deadlines->now())) {
            static net::LogThrottle throttle;
            qint64 suppressed = 0;
            if (throttle.allow(&suppressed))
                qCWarning(lcEngineIo).nospace()
                    << "handshakes from " << client.toString()
                    << " exceed handshake_rate_per_ip, answering 429"
                    << (suppressed
                            ? qPrintable(QStringLiteral(" (%1 more not logged)").arg(suppressed))
                            : "");
            if (auto *m = m_options.metrics) {
                m->handshakesRefused.inc("rate_limited");
                m->limitsTripped.inc("handshake_rate_per_ip");
            }
            http::Headers headers = http::corsHeaders(request);
            headers.append(http::Header{"content-type", "application/json"});
            headers.append(http::Header{"retry-after", "1"});
            responder.respond(429, headers, "{\"code\":3,\"message\":\"Too many requests\"}",
                              request.isWebSocketUpgrade());
            return;
        }
    }
    const QByteArray id = generateId();
    auto *session = new Session(this, id, version, request, client);
    session->m_transport = transport;
    m_sessions.insert(id, session);
    session->start(std::move(responder), request);
    if (!session->isOpen())
        return;
    if (auto *m = m_options.metrics)
        m->countHandshake(version == Version::V4, transport == Transport::WebSocket);
    qCDebug(lcEngineIo) << "session" << id << "opened, EIO" << int(version)
                        << (transport == Transport::Polling ? "polling" : "websocket");
    if (session->m_delayedOpen) {
        // Open packet (and whatever the layer above sends at connection)
        // a few ms after the 101, in their own TCP segment.
        m_deadlines->schedule(m_options.openPacketDelayMs, [this, id] {
            Session *s = this->session(id); // by id: it may have closed meanwhile
            if (!s || !s->isOpen())
                return;
            s->sendDelayedOpen();
            if (m_onConnection)
                m_onConnection(s);
        });
        return;
    }
    if (m_onConnection)
        m_onConnection(session);
}

std::array<qsizetype, 4> Server::sessionCounts() const
{
    std::array<qsizetype, 4> counts{};
    for (const Session *s : m_sessions)
        ++counts[(s->version() == Version::V4 ? 2 : 0) +
                 (s->transport() == Transport::WebSocket ? 1 : 0)];
    return counts;
}

void Server::removeSession(Session *session)
{
    m_sessions.remove(session->id());
}

void Server::closeAll(const QString &reason)
{
    const auto sessions = m_sessions.values();
    for (Session *s : sessions)
        s->close(reason);
}

} // namespace qpush::eio
