#include "session.h"

#include "logging.h"
#include "server.h"

#include "net/logthrottle.h"

#include <algorithm>

namespace qpush::eio {

PreparedMessage PreparedMessage::prepare(Packet packet)
{
    PreparedMessage m;
    const Frame v4 = encodeFrame(Version::V4, packet);
    m.wsFrameV4 = ws::encodeFrame(v4.binary ? ws::Opcode::Binary : ws::Opcode::Text, v4.bytes);
    if (packet.binary) {
        const Frame v3 = encodeFrame(Version::V3, packet);
        m.wsFrameV3 = ws::encodeFrame(v3.binary ? ws::Opcode::Binary : ws::Opcode::Text, v3.bytes);
    } else {
        m.wsFrameV3 = m.wsFrameV4; // text frames are the same in both versions
    }
    m.packet = std::move(packet);
    return m;
}

Session::Session(Server *server, QByteArray id, Version version, const http::Request &handshake,
                 QHostAddress remoteAddress)
    : m_server(server), m_id(std::move(id)), m_version(version), m_remoteAddress(remoteAddress)
{
    // Only the query and the headers the layers above use are kept (CORS,
    // handshake callbacks, client address behind a proxy): the rest of a
    // handshake (method, target, path: their own allocations) would cost
    // every connection for nothing.
    m_handshakeQuery = handshake.rawQuery;
    static const QByteArrayView kept[] = {"origin",         "cookie",          "user-agent",
                                          "referer",        "x-forwarded-for", "x-real-ip",
                                          "accept-language"};
    for (const http::Header &h : handshake.headers)
        if (std::find(std::begin(kept), std::end(kept), QByteArrayView(h.name)) != std::end(kept))
            m_handshakeHeaders.append(h);
    m_handshakeHeaders.squeeze();
}

Session::~Session()
{
    net::DeadlineQueue *dq = m_server->deadlines();
    dq->cancel(m_pingTimer);
    dq->cancel(m_timeoutTimer);
    dq->cancel(m_upgradeTimer);
    if (m_ws)
        m_ws->setWebSocketHandler(nullptr);
    if (m_probe)
        m_probe->setWebSocketHandler(nullptr);
}

void Session::start(net::Responder responder, const http::Request &request)
{
    const ServerOptions &o = m_server->options();
    if (m_version == Version::V3) {
        m_jsonp = request.queryValue("j");
        m_supportsBinary = request.queryValue("b64").isEmpty() && m_jsonp.isNull();
    }
    const bool canUpgrade = m_transport == Transport::Polling && o.allowWebSocket;
    const QByteArray open = "{\"sid\":\"" + m_id + "\",\"upgrades\":[" +
                            QByteArray(canUpgrade ? "\"websocket\"" : "") +
                            "],\"pingInterval\":" + QByteArray::number(o.pingIntervalMs) +
                            ",\"pingTimeout\":" + QByteArray::number(o.pingTimeoutMs) +
                            ",\"maxPayload\":" + QByteArray::number(o.maxPayload) + "}";
    const Packet openPacket = Packet::text(PacketType::Open, open);

    if (m_transport == Transport::WebSocket) {
        net::Connection *connection = responder.connection();
        if (!responder.upgradeToWebSocket(request, this)) {
            onClosed(QStringLiteral("transport error"), false);
            return;
        }
        m_ws = connection;
        if (o.openPacketDelayMs > 0)
            m_delayedOpen = openPacket; // Server::handshake sends it a little later
        else
            writeWs(openPacket);
    } else {
        m_poll = std::move(responder);
        answerPoll({openPacket});
    }
    if (m_version == Version::V4)
        schedulePing();
    else
        armTimeout(o.pingIntervalMs + o.pingTimeoutMs);
}

void Session::sendDelayedOpen()
{
    if (m_delayedOpen && m_ws && m_state == State::Open)
        writeWs(*m_delayedOpen);
    m_delayedOpen.reset();
}

// ---- sending ----------------------------------------------------------------

void Session::sendMessage(const QByteArray &data, bool binary)
{
    enqueue(Packet{PacketType::Message, data, binary});
}

void Session::sendPrepared(const PreparedMessage &message)
{
    if (m_state != State::Open || m_closeQueued)
        return;
    if (m_transport == Transport::WebSocket && m_ws) {
        if (message.packet.binary && !m_supportsBinary) {
            writeWs(message.packet); // v3 b64=1: base64 text, as writeWs does for unicasts
            return;
        }
        m_ws->writeRaw(message.wsFrame(m_version));
        return;
    }
    enqueue(message.packet);
}

namespace {
// What a queued packet costs beyond its data (list slot, framing).
constexpr qint64 kPacketOverhead = 32;
} // namespace

void Session::enqueue(Packet packet)
{
    // Nothing may follow the close packet (engine.io drops sends while closing).
    if (m_state != State::Open || m_closeQueued)
        return;
    if (m_transport == Transport::WebSocket && m_ws) {
        writeWs(packet);
        return;
    }
    // One packet larger than the cap still goes to a client that polls; a
    // queue already past it means the client stopped polling.
    if (m_queuedBytes > m_server->options().maxQueuedBytes) {
        if (auto *m = m_server->options().metrics)
            m->limitsTripped.inc("max_client_buffer");
        static net::LogThrottle throttle;
        qint64 suppressed = 0;
        if (throttle.allow(&suppressed))
            qCWarning(lcEngineIo).nospace()
                << "session " << m_id << " from " << m_remoteAddress.toString() << " holds "
                << m_queuedBytes << " bytes for a poll that does not come (max_client_buffer), "
                << "closing it" << (suppressed ? " (more not logged: " : "")
                << (suppressed ? QByteArray::number(suppressed) + ")" : QByteArray());
        closeDeferred(QStringLiteral("transport error"));
        return;
    }
    m_queuedBytes += packet.data.size() + kPacketOverhead;
    m_queue.append(std::move(packet));
    scheduleFlush();
}

void Session::closeDeferred(const QString &reason)
{
    if (m_closeQueued || m_state == State::Closed)
        return;
    m_closeQueued = true;
    m_queue.clear();
    m_queuedBytes = 0;
    // By id: the call must be a no-op once the session is gone.
    QMetaObject::invokeMethod(
        m_server,
        [server = m_server, id = m_id, reason] {
            if (Session *s = server->session(id))
                s->onClosed(reason, false);
        },
        Qt::QueuedConnection);
}

void Session::writeWs(const Packet &packet)
{
    const Frame f = encodeFrame(m_version, packet, m_supportsBinary);
    m_ws->writeRaw(ws::encodeFrame(f.binary ? ws::Opcode::Binary : ws::Opcode::Text, f.bytes));
}

void Session::scheduleFlush()
{
    // Packets sent in one event-loop pass leave in one poll response.
    if (m_flushScheduled || !m_poll.isValid())
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(
        m_server,
        [server = m_server, id = m_id] {
            if (Session *s = server->session(id)) {
                s->m_flushScheduled = false;
                s->flushPoll();
            }
        },
        Qt::QueuedConnection);
}

void Session::flushPoll()
{
    if (!m_poll.isValid() || m_queue.isEmpty())
        return;
    const QList<Packet> packets = std::exchange(m_queue, {});
    m_queuedBytes = 0;
    answerPoll(packets);
    if (m_state == State::Closing && m_closePacketQueued)
        onClosed(m_closeReason, false);
}

void Session::answerPoll(const QList<Packet> &packets)
{
    QObject::disconnect(m_pollWatch);
    http::Request handshake; // corsHeaders reads the origin header
    handshake.headers = m_handshakeHeaders;
    http::Headers headers = http::corsHeaders(handshake);
    QByteArray body;
    if (m_version == Version::V4) {
        body = encodePayloadV4(packets);
        headers.append(http::Header{"content-type", "text/plain; charset=UTF-8"});
    } else if (!m_jsonp.isNull()) {
        body = wrapJsonp(m_jsonp, encodePayloadV3(packets, false).bytes);
        headers.append(http::Header{"content-type", "text/javascript; charset=UTF-8"});
        headers.append(http::Header{"x-xss-protection", "0"});
    } else {
        Body b = encodePayloadV3(packets, m_supportsBinary);
        body = std::move(b.bytes);
        headers.append(http::Header{"content-type", b.contentType});
    }
    m_poll.respond(200, headers, body);
}

// ---- polling requests ---------------------------------------------------------

void Session::handlePoll(net::Responder responder, const http::Request &request)
{
    if (m_poll.isValid()) {
        qCDebug(lcEngineIo) << "session" << m_id << "overlapping poll";
        m_server->sendError(responder, request, ErrorCode::BadRequest);
        onClosed(QStringLiteral("transport error"), false);
        return;
    }
    m_poll = std::move(responder);
    // Only while a poll is parked (polling sessions): a signal connection
    // whose context is the server, reaching this session by id.
    m_pollWatch = QObject::connect(m_poll.connection(), &net::Connection::closed, m_server,
                                   [server = m_server, id = m_id] {
                                       if (Session *s = server->session(id))
                                           s->pollConnectionClosed();
                                   });
    if (isUpgrading() && m_noopOwed) {
        // The client waits for this poll to end before it completes the upgrade.
        m_noopOwed = false;
        m_queue.append(Packet::text(PacketType::Noop));
    }
    if (!m_queue.isEmpty())
        flushPoll();
}

void Session::pollConnectionClosed()
{
    // The client went away while its long-poll was parked.
    if (m_state != State::Closed)
        onClosed(QStringLiteral("transport close"), false);
}

void Session::handlePost(net::Responder responder, const http::Request &request)
{
    const ServerOptions &o = m_server->options();
    http::Headers headers = http::corsHeaders(request);
    if (request.body.size() > o.maxPayload) {
        headers.append(http::Header{"content-type", "text/plain; charset=UTF-8"});
        responder.respond(413, headers, "Payload Too Large", true);
        onClosed(QStringLiteral("transport error"), false);
        return;
    }
    std::optional<QList<Packet>> packets;
    if (m_version == Version::V4) {
        packets = decodePayloadV4(request.body);
    } else if (!m_jsonp.isNull() || request.hasQueryItem("j")) {
        if (auto text = unwrapJsonpPost(request.body))
            packets = decodePayloadV3(*text, false);
    } else {
        const bool binary = request.header("content-type").startsWith("application/octet-stream");
        packets = decodePayloadV3(request.body, binary);
    }
    if (!packets) {
        qCDebug(lcEngineIo) << "session" << m_id << "sent a malformed payload";
        headers.append(http::Header{"content-type", "text/plain; charset=UTF-8"});
        responder.respond(400, headers, "Bad Request", true);
        onClosed(QStringLiteral("transport error"), false);
        return;
    }
    headers.append(http::Header{"content-type", "text/html"});
    responder.respond(200, headers, "ok");
    // A session closed by a packet is deleted in a later pass (the server
    // deletes closed sessions deferred), so `this` stays valid here.
    for (const Packet &p : std::as_const(*packets)) {
        if (m_state != State::Open || m_closeQueued)
            break;
        onPacket(p);
    }
}

// ---- websocket ----------------------------------------------------------------

void Session::handleUpgrade(net::Responder responder, const http::Request &request)
{
    net::Connection *connection = responder.connection();
    if (!responder.upgradeToWebSocket(request, this))
        return;
    m_probe = connection;
    m_noopOwed = false;
    m_server->deadlines()->reschedule(m_upgradeTimer, m_server->options().upgradeTimeoutMs, [this] {
        m_upgradeTimer = 0;
        if (m_probe)
            m_probe->abort();
    });
}

void Session::onWebSocketMessage(net::Connection *connection, const QByteArray &payload,
                                 bool binary)
{
    if (m_state == State::Closed)
        return;
    if (payload.size() > m_server->options().maxPayload) {
        if (connection == m_ws)
            onClosed(QStringLiteral("transport error"), false);
        else
            connection->closeWebSocket(ws::CloseCode::TooBig);
        return;
    }
    const std::optional<Packet> packet = decodeFrame(m_version, payload, binary);
    if (connection == m_probe) {
        if (!packet) {
            connection->closeWebSocket(ws::CloseCode::ProtocolError);
            return;
        }
        onProbePacket(connection, *packet);
        return;
    }
    if (connection != m_ws)
        return;
    if (!packet) {
        qCDebug(lcEngineIo) << "session" << m_id << "sent a malformed websocket packet";
        onClosed(QStringLiteral("transport error"), false);
        return;
    }
    onPacket(*packet);
}

void Session::onWebSocketClosed(net::Connection *connection)
{
    if (connection == m_probe) {
        m_probe = nullptr;
        m_server->deadlines()->cancel(m_upgradeTimer);
        return;
    }
    if (connection == m_ws) {
        m_ws = nullptr;
        if (m_state != State::Closed)
            onClosed(QStringLiteral("transport close"), true);
    }
}

void Session::onProbePacket(net::Connection *connection, const Packet &packet)
{
    if (packet.type == PacketType::Ping && packet.data == "probe") {
        const Frame f = encodeFrame(m_version, Packet::text(PacketType::Pong, "probe"));
        connection->writeRaw(ws::encodeFrame(ws::Opcode::Text, f.bytes));
        if (m_poll.isValid()) {
            m_queue.append(Packet::text(PacketType::Noop));
            flushPoll();
        } else {
            m_noopOwed = true;
        }
        return;
    }
    if (packet.type == PacketType::Upgrade) {
        completeUpgrade();
        return;
    }
    // Anything else during the upgrade aborts it (the polling transport stays).
    connection->closeWebSocket(ws::CloseCode::ProtocolError);
}

void Session::completeUpgrade()
{
    m_server->deadlines()->cancel(m_upgradeTimer);
    m_ws = std::exchange(m_probe, nullptr);
    m_transport = Transport::WebSocket;
    if (m_poll.isValid()) {
        m_queue.prepend(Packet::text(PacketType::Noop));
        QList<Packet> noop{m_queue.takeFirst()};
        answerPoll(noop);
    } else if (m_noopOwed && m_version == Version::V3) {
        // No poll was there to carry the noop that ends the polling cycle:
        // send it on the new transport so the client sees the switch.
        writeWs(Packet::text(PacketType::Noop));
    }
    m_noopOwed = false;
    const QList<Packet> queued = std::exchange(m_queue, {});
    m_queuedBytes = 0;
    for (const Packet &p : queued)
        writeWs(p);
    qCDebug(lcEngineIo) << "session" << m_id << "upgraded to websocket";
    if (m_state == State::Closing)
        onClosed(m_closeReason, false);
}

// ---- packets and heartbeat --------------------------------------------------------

void Session::onPacket(const Packet &packet)
{
    const ServerOptions &o = m_server->options();
    if (m_version == Version::V3)
        armTimeout(o.pingIntervalMs + o.pingTimeoutMs); // any packet proves liveness
    switch (packet.type) {
    case PacketType::Ping:
        if (m_version == Version::V3)
            enqueue(Packet::text(PacketType::Pong, packet.data));
        break;
    case PacketType::Pong:
        if (m_version == Version::V4)
            schedulePing();
        break;
    case PacketType::Message:
        if (m_handler)
            m_handler->onMessage(this, packet.data, packet.binary);
        break;
    case PacketType::Close:
        onClosed(QStringLiteral("transport close"), true);
        break;
    case PacketType::Open:
    case PacketType::Upgrade:
    case PacketType::Noop:
        break;
    }
}

void Session::schedulePing()
{
    const ServerOptions &o = m_server->options();
    net::DeadlineQueue *dq = m_server->deadlines();
    dq->cancel(m_timeoutTimer);
    m_expiresAt = dq->now() + o.pingIntervalMs + o.pingTimeoutMs;
    dq->reschedule(m_pingTimer, o.pingIntervalMs, [this] {
        m_pingTimer = 0;
        enqueue(Packet::text(PacketType::Ping));
        armTimeout(m_server->options().pingTimeoutMs);
    });
}

void Session::armTimeout(qint64 ms)
{
    net::DeadlineQueue *dq = m_server->deadlines();
    m_expiresAt = dq->now() + ms;
    dq->reschedule(m_timeoutTimer, ms, [this] {
        m_timeoutTimer = 0;
        onClosed(QStringLiteral("ping timeout"), false);
    });
}

// ---- closing ------------------------------------------------------------------------

void Session::close(const QString &reason)
{
    if (m_state != State::Open)
        return;
    if (m_transport == Transport::WebSocket && m_ws) {
        onClosed(reason, false); // sends the close packet, then the close frame
        return;
    }
    m_state = State::Closing;
    m_closeReason = reason;
    m_server->deadlines()->cancel(m_pingTimer); // no ping after the close packet
    m_queue.append(Packet::text(PacketType::Close));
    m_closePacketQueued = true;
    if (m_poll.isValid()) {
        flushPoll();
        return;
    }
    // Wait for the next poll to carry the close packet, but not for ever.
    m_server->deadlines()->reschedule(m_timeoutTimer, m_server->options().pingTimeoutMs,
                                      [this, reason] {
                                          m_timeoutTimer = 0;
                                          onClosed(reason, false);
                                      });
}

void Session::onClosed(const QString &reason, bool clientInitiated)
{
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    net::DeadlineQueue *dq = m_server->deadlines();
    dq->cancel(m_pingTimer);
    dq->cancel(m_timeoutTimer);
    dq->cancel(m_upgradeTimer);
    m_server->removeSession(this);
    if (m_poll.isValid()) {
        // End the parked poll: a noop when the client closed, else a close packet.
        answerPoll({Packet::text(clientInitiated ? PacketType::Noop : PacketType::Close)});
    }
    QObject::disconnect(m_pollWatch);
    if (m_ws) {
        m_ws->setWebSocketHandler(nullptr);
        // (After close() during an upgrade, completeUpgrade already flushed
        // the queued close packet onto the websocket.)
        if (!clientInitiated && !m_closePacketQueued && m_ws->isOpen())
            writeWs(Packet::text(PacketType::Close));
        std::exchange(m_ws, nullptr)->closeWebSocket(ws::CloseCode::Normal);
    }
    if (m_probe) {
        m_probe->setWebSocketHandler(nullptr);
        m_probe->abort();
    }
    m_queue.clear();
    m_queuedBytes = 0;
    qCDebug(lcEngineIo) << "session" << m_id << "closed:" << reason;
    if (SessionHandler *h = std::exchange(m_handler, nullptr))
        h->onClose(this, reason);
    m_server->deleteSessionLater(this);
}

} // namespace qpush::eio
