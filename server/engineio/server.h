// The Engine.IO server: verifies requests under its path (EIO version,
// transport, sid, method), creates sessions at handshake and hands them to
// the layer above, and routes polling requests and websocket upgrades to
// their session. Speaks v3 and v4 on the same path, chosen per session.
#pragma once

#include "metrics/servermetrics.h"
#include "session.h"

#include "net/clientaddress.h"
#include "net/connection.h"
#include "net/deadlinequeue.h"
#include "net/ratelimiter.h"

#include <QHash>
#include <QObject>

#include <array>
#include <functional>
#include <vector>

namespace qpush::eio {

struct ServerOptions
{
    metrics::ServerMetrics *metrics = nullptr; // not owned; null: not counted
    QByteArray path = "/engine.io/";
    int pingIntervalMs = 25000;
    int pingTimeoutMs = 20000;
    qint64 maxPayload = 1000000;
    bool allowPolling = true;
    bool allowWebSocket = true;
    int upgradeTimeoutMs = 10000;
    int openPacketDelayMs = 0; // delay of the open packet on a fresh websocket
    // Bytes of packets a polling session may hold for its next poll; a
    // client that stops polling (or only POSTs pings, v3) is closed past it.
    qint64 maxQueuedBytes = 4 << 20;
    // Handshakes (new sessions) per second per client address, token bucket
    // of handshakeBurst; 0 = no limit. Past it the handshake is answered 429.
    double handshakeRatePerIp = 0;
    double handshakeBurst = 0;   // 0: 4 x the rate (at least 1)
    bool exemptLoopback = false; // no rate limit for a loopback client address
    // Proxies whose X-Forwarded-For names the client (net::clientAddress):
    // the session's remoteAddress() is that client.
    QList<net::Cidr> trustedProxies;
};

// Engine.IO error codes (the same numbers in v3 and v4 servers).
enum class ErrorCode {
    UnknownTransport = 0,
    UnknownSid = 1,
    BadHandshakeMethod = 2,
    BadRequest = 3,
    Forbidden = 4,
    UnsupportedProtocolVersion = 5,
};

class Server : public QObject
{
    Q_OBJECT
public:
    using ConnectionHandler = std::function<void(Session *)>;

    Server(ServerOptions options, net::DeadlineQueue *deadlines, QObject *parent = nullptr);
    ~Server() override;

    const ServerOptions &options() const { return m_options; }
    net::DeadlineQueue *deadlines() const { return m_deadlines; }

    // Called for every new open session, right after its handshake was sent.
    void setConnectionHandler(ConnectionHandler handler) { m_onConnection = std::move(handler); }

    // True when `path` is served by this server.
    bool matches(const QByteArray &path) const;
    // Handles one HTTP request (or websocket upgrade) under the path.
    void handleRequest(net::Responder responder, http::Request &request);

    Session *session(const QByteArray &sid) const { return m_sessions.value(sid); }
    qsizetype sessionCount() const { return m_sessions.size(); }
    // Open sessions by [EIO 3 polling, EIO 3 websocket, EIO 4 polling, EIO 4
    // websocket] (for /metrics; walks the sessions).
    std::array<qsizetype, 4> sessionCounts() const;
    // Closes every session (graceful shutdown).
    void closeAll(const QString &reason = QStringLiteral("server shutting down"));

private:
    friend class Session;
    void sendError(net::Responder &responder, const http::Request &request, ErrorCode code);
    void handshake(net::Responder responder, http::Request &request, Version version,
                   Transport transport);
    void removeSession(Session *session);
    // Deletes a closed session at the next event-loop pass (or with the server).
    void deleteSessionLater(Session *session);
    void deleteClosed();
    QByteArray generateId() const;

    ServerOptions m_options;
    net::DeadlineQueue *m_deadlines;
    QHash<QByteArray, Session *> m_sessions;
    std::vector<Session *> m_closed; // closed, deleted at the next pass
    bool m_deleteScheduled = false;
    ConnectionHandler m_onConnection;
    net::RateLimiter m_handshakes;
};

} // namespace qpush::eio
