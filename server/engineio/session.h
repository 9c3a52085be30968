// One Engine.IO session: its transport (polling or websocket), the packets
// queued for the next poll, the upgrade from polling to websocket, and the
// heartbeat (v4: the server pings and waits for a pong; v3: the client
// pings and the server answers). Timers live in the shared DeadlineQueue.
#pragma once

#include "packet.h"

#include "net/connection.h"
#include "net/deadlinequeue.h"

#include <QHostAddress>
#include <QObject>
#include <QPointer>

namespace qpush::eio {

class Server;
class Session;

enum class Transport { Polling, WebSocket };

// Implemented by the layer above (Socket.IO), one per session.
class SessionHandler
{
public:
    virtual ~SessionHandler() = default;
    virtual void onMessage(Session *session, const QByteArray &data, bool binary) = 0;
    // The session is closed (called once); it is deleted right after.
    virtual void onClose(Session *session, const QString &reason) = 0;
};

// A message encoded once for many sessions: the packet (for polling, where
// each response batches its own packets) and the WebSocket frame bytes for
// each protocol version, shared by every websocket recipient.
struct PreparedMessage
{
    Packet packet;
    QByteArray wsFrameV3;
    QByteArray wsFrameV4;

    static PreparedMessage prepare(Packet packet);
    const QByteArray &wsFrame(Version v) const { return v == Version::V3 ? wsFrameV3 : wsFrameV4; }
};

// Not a QObject (one per connection: a QObject's private data costs ~130
// bytes): its server owns it, deletes it a pass after it closed, and
// callbacks that may outlive it look it up by id.
class Session : public net::WebSocketHandler
{
public:
    Session(Server *server, QByteArray id, Version version, const http::Request &handshake,
            QHostAddress remoteAddress);
    ~Session() override;
    Q_DISABLE_COPY_MOVE(Session)

    const QByteArray &id() const { return m_id; }
    Version version() const { return m_version; }
    Transport transport() const { return m_transport; }
    bool isOpen() const { return m_state == State::Open; }
    bool isUpgrading() const { return bool(m_probe); }
    // Of the handshake request, only its raw query and the headers the
    // layers above use (origin, cookie, user-agent, referer,
    // x-forwarded-for, x-real-ip, accept-language) are kept.
    const QByteArray &handshakeQuery() const { return m_handshakeQuery; }
    const http::Headers &handshakeHeaders() const { return m_handshakeHeaders; }
    const QHostAddress &remoteAddress() const { return m_remoteAddress; }

    void setHandler(SessionHandler *handler) { m_handler = handler; }

    // Sends a message packet (text or binary).
    void sendMessage(const QByteArray &data, bool binary = false);
    // Sends a message prepared once for many sessions.
    void sendPrepared(const PreparedMessage &message);
    // Closes from the server side: a close packet, then the transport.
    void close(const QString &reason = QStringLiteral("forced close"));

    qint64 queuedPackets() const { return m_queue.size(); }

private:
    friend class Server;
    enum class State { Open, Closing, Closed };

    // Called by Server.
    void start(net::Responder responder, const http::Request &request);
    void sendDelayedOpen();
    void handlePoll(net::Responder responder, const http::Request &request);
    void handlePost(net::Responder responder, const http::Request &request);
    void handleUpgrade(net::Responder responder, const http::Request &request);
    bool expiredBy(qint64 now) const { return m_expiresAt >= 0 && now >= m_expiresAt; }

    // WebSocketHandler (the session's websocket and the upgrade probe).
    void onWebSocketMessage(net::Connection *connection, const QByteArray &payload,
                            bool binary) override;
    void onWebSocketClosed(net::Connection *connection) override;

    void onPacket(const Packet &packet);
    void onProbePacket(net::Connection *connection, const Packet &packet);
    void completeUpgrade();
    void enqueue(Packet packet);
    // Closes at the next event-loop pass (never inside a send: the sender
    // may be walking a room; see docs/architecture.md, "Re-entrancy").
    void closeDeferred(const QString &reason);
    void scheduleFlush();
    void flushPoll();
    void answerPoll(const QList<Packet> &packets);
    void writeWs(const Packet &packet);
    void schedulePing();
    void armTimeout(qint64 ms);
    void onClosed(const QString &reason, bool clientInitiated);
    void pollConnectionClosed();

    Server *m_server;
    QByteArray m_id;
    Version m_version;
    Transport m_transport = Transport::Polling;
    State m_state = State::Open;
    QByteArray m_handshakeQuery;
    http::Headers m_handshakeHeaders;
    QHostAddress m_remoteAddress;
    SessionHandler *m_handler = nullptr;

    // polling
    net::Responder m_poll;
    QMetaObject::Connection m_pollWatch;
    QList<Packet> m_queue;
    qint64 m_queuedBytes = 0; // of m_queue, with a per-packet overhead
    bool m_closeQueued = false;
    QByteArray m_jsonp;           // v3 JSONP index, empty for XHR
    bool m_supportsBinary = true; // v3: false when b64=1
    bool m_flushScheduled = false;
    bool m_closePacketQueued = false;
    QString m_closeReason; // close(reason), reported once the close packet is out

    // websocket / upgrade
    QPointer<net::Connection> m_ws;
    QPointer<net::Connection> m_probe;
    bool m_noopOwed = false;
    std::optional<Packet> m_delayedOpen;
    net::DeadlineQueue::Id m_upgradeTimer = 0;

    // heartbeat
    net::DeadlineQueue::Id m_pingTimer = 0;
    net::DeadlineQueue::Id m_timeoutTimer = 0;
    qint64 m_expiresAt = -1;
};

} // namespace qpush::eio
