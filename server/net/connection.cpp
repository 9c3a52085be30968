#include "connection.h"

#include "logging.h"

#include <QSocketNotifier>

#include "sockets.h"

namespace qpush::net {

namespace {
constexpr qsizetype kReadChunk = 64 * 1024;
} // namespace

Connection::Connection(qintptr fd, const ConnectionLimits *limits, DeadlineQueue *deadlines,
                       QObject *parent, ConnectionOwner *owner, WriteBatcher *batcher)
    : QObject(parent), m_fd(int(fd)), m_parser(limits->http), m_frames(limits->maxWebSocketMessage),
      m_deadlines(deadlines), m_limits(limits), m_owner(owner)
{
    m_batcher = batcher;
    sockets::configure(m_fd);
    m_readNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &Connection::onReadable);
    armIdle();
}

Connection::~Connection()
{
    if (m_inBatch && m_batcher)
        m_batcher->remove(this);
    if (m_fd >= 0) {
        // Notifiers go before the descriptor they watch (epoll tracks the
        // open socket, not the number).
        delete m_readNotifier;
        delete m_writeNotifier;
        m_readNotifier = m_writeNotifier = nullptr;
        sockets::closeSocket(m_fd);
    }
    m_deadlines->cancel(m_idleTimer);
}

QHostAddress Connection::peerAddress() const
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (m_fd < 0 || ::getpeername(m_fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return {};
    return QHostAddress(reinterpret_cast<const sockaddr *>(&ss));
}

quint16 Connection::peerPort() const
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (m_fd < 0 || ::getpeername(m_fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in *>(&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6 *>(&ss)->sin6_port);
    return 0;
}

void Connection::armIdle()
{
    if (m_mode != Mode::Http || m_requestOutstanding || m_limits->idleTimeoutMs <= 0) {
        m_deadlines->cancel(m_idleTimer);
        return;
    }
    m_deadlines->reschedule(m_idleTimer, m_limits->idleTimeoutMs, [this] {
        m_idleTimer = 0;
        qCDebug(lcNet) << "idle timeout" << peerAddress();
        abort();
    });
}

void Connection::onReadable()
{
    if (m_finished)
        return;
    static thread_local char chunk[kReadChunk];
    // Read what is there now; bounded so one busy peer cannot starve others.
    for (int round = 0; round < 16; ++round) {
        const qint64 n = sockets::receive(m_fd, chunk, sizeof chunk);
        if (n > 0) {
            if (m_lingering)
                continue; // discard: we are only waiting for the peer's FIN
            m_in.append(chunk, n);
            if (n < qsizetype(sizeof chunk))
                break;
            continue;
        }
        if (n == 0) { // peer closed
            finish();
            return;
        }
        if (sockets::lastErrorInterrupted())
            continue;
        if (sockets::lastErrorWouldBlock())
            break;
        finish();
        return;
    }
    if (m_lingering)
        return;
    if (m_mode == Mode::WebSocket) {
        processWebSocketInput();
        return;
    }
    // While a request is outstanding the next one waits in the buffer; a
    // peer that piles up more than one maximal request is misbehaving.
    if (m_requestOutstanding) {
        if (m_in.size() > m_limits->http.maxHeaderBytes + m_limits->http.maxBodyBytes) {
            qCDebug(lcNet) << "too much pipelined input, closing" << peerAddress();
            abort();
        }
        return;
    }
    processHttpInput();
}

void Connection::scheduleProcess()
{
    if (m_processScheduled || m_in.isEmpty())
        return;
    m_processScheduled = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_processScheduled = false;
            if (m_finished)
                return;
            if (m_mode == Mode::WebSocket)
                processWebSocketInput();
            else if (!m_requestOutstanding)
                processHttpInput();
        },
        Qt::QueuedConnection);
}

void Connection::processHttpInput()
{
    if (m_finished || m_closing || m_requestOutstanding || m_in.isEmpty())
        return;
    const auto status = m_parser.parse(m_in);
    if (status == http::RequestParser::Status::NeedMore)
        return;
    if (status == http::RequestParser::Status::Error) {
        const int code = m_parser.errorStatus();
        qCDebug(lcNet) << "bad request from" << peerAddress() << code << m_parser.errorMessage();
        m_requestOutstanding = true;
        ++m_requestSerial;
        m_in.clear();
        if (m_limits->jsonErrors)
            respond(m_requestSerial, code, {{"content-type", "application/json; charset=utf-8"}},
                    QByteArray("{\"code\":" + QByteArray::number(code) + ",\"msg\":\"" +
                               http::reasonPhrase(code) + "\"}"),
                    true);
        else
            respond(m_requestSerial, code, {{"content-type", "text/plain; charset=utf-8"}},
                    http::reasonPhrase(code), true);
        return;
    }
    http::Request request = m_parser.takeRequest();
    if (m_in.isEmpty())
        m_in = QByteArray(); // release the buffer of idle connections
    m_requestOutstanding = true;
    m_keepAlive = request.keepAlive();
    m_deadlines->cancel(m_idleTimer);
    const quint64 serial = ++m_requestSerial;
    m_owner->connectionRequest(this, serial, request);
}

void Connection::respond(quint64 serial, int status, const http::Headers &headers,
                         QByteArrayView body, bool forceClose)
{
    if (m_finished || m_mode != Mode::Http || !m_requestOutstanding || serial != m_requestSerial)
        return;
    m_requestOutstanding = false;
    const bool keepAlive = m_keepAlive && !forceClose && !m_closing;
    writeRaw(http::serializeResponse(status, headers, body, keepAlive));
    if (!keepAlive) {
        closeGracefully();
        return;
    }
    armIdle();
    scheduleProcess();
}

bool Connection::upgradeToWebSocket(quint64 serial, const http::Request &request,
                                    WebSocketHandler *handler)
{
    if (m_finished || m_mode != Mode::Http || !m_requestOutstanding || serial != m_requestSerial)
        return false;
    const QByteArray key = request.header("sec-websocket-key");
    const QByteArray version = request.header("sec-websocket-version");
    if (!request.isWebSocketUpgrade() || key.isEmpty() || version != "13") {
        http::Headers h{{"content-type", "text/plain; charset=utf-8"}};
        if (version != "13")
            h.append(http::Header{"sec-websocket-version", "13"});
        respond(serial, 400, h, "Bad WebSocket upgrade", true);
        return false;
    }
    m_requestOutstanding = false;
    QByteArray response = "HTTP/1.1 101 Switching Protocols\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: ";
    response += ws::acceptKey(key);
    response += "\r\n\r\n";
    m_mode = Mode::WebSocket;
    m_wsHandler = handler;
    m_deadlines->cancel(m_idleTimer);
    writeRaw(response);
    scheduleProcess(); // frames that came with the upgrade request
    return true;
}

void Connection::processWebSocketInput()
{
    QPointer<Connection> self(this);
    while (self && !m_finished && !m_in.isEmpty()) {
        ws::Event ev = m_frames.next(m_in);
        switch (ev.kind) {
        case ws::Event::Kind::NeedMore:
            if (m_in.isEmpty())
                m_in = QByteArray();
            return;
        case ws::Event::Kind::Text:
        case ws::Event::Kind::Binary:
            if (m_closing)
                break; // we sent a close frame: ignore data until the peer's close
            if (m_wsHandler)
                m_wsHandler->onWebSocketMessage(this, ev.payload,
                                                ev.kind == ws::Event::Kind::Binary);
            break;
        case ws::Event::Kind::Ping:
            writeRaw(ws::encodeFrame(ws::Opcode::Pong, ev.payload));
            break;
        case ws::Event::Kind::Pong:
            break;
        case ws::Event::Kind::Close: {
            const quint16 code = ev.closeCode == 1005 ? ws::CloseCode::Normal : ev.closeCode;
            if (!m_closing)
                writeRaw(ws::encodeClose(code));
            closeGracefully();
            m_in.clear();
            return;
        }
        case ws::Event::Kind::Error:
            qCDebug(lcNet) << "websocket protocol error" << ev.closeCode << ev.payload;
            if (!m_closing)
                writeRaw(ws::encodeClose(ev.closeCode, ev.payload));
            m_in.clear();
            closeGracefully();
            return;
        }
    }
}

void Connection::writeRaw(const QByteArray &bytes)
{
    if (m_finished || m_lingering || bytes.isEmpty())
        return;
    // The limit is on the backlog the peer left unread, not on this write:
    // one response larger than the limit (a poll carrying many queued
    // packets) still goes to a client that reads.
    if (m_pendingBytes - m_batchedBytes > m_limits->maxOutputBytes) {
        qCWarning(lcNet) << "client" << peerAddress() << "does not read;" << m_pendingBytes
                         << "bytes pending, cutting it off";
        abort();
        return;
    }
    m_pendingBytes += bytes.size();
    m_out.append(bytes);
    if (m_writeNotifier && m_writeNotifier->isEnabled())
        return; // the socket is full: the write notifier flushes
    if (m_batcher && !m_closing) {
        m_batchedBytes += bytes.size();
        if (!m_inBatch) {
            m_inBatch = true;
            m_batcher->add(this);
        }
        return;
    }
    flush();
}

void Connection::flushBatched()
{
    m_inBatch = false;
    if (m_finished)
        return;
    if (!m_writeNotifier || !m_writeNotifier->isEnabled())
        flush();
}

void Connection::flush()
{
    m_batchedBytes = 0;
    while (!m_out.isEmpty()) {
        const qint64 n = sockets::sendQueued(m_fd, m_out, m_outOffset);
        if (n < 0) {
            if (sockets::lastErrorInterrupted())
                continue;
            if (sockets::lastErrorWouldBlock()) {
                if (!m_writeNotifier) {
                    m_writeNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Write, this);
                    connect(m_writeNotifier, &QSocketNotifier::activated, this,
                            &Connection::onWritable);
                }
                m_writeNotifier->setEnabled(true);
                return;
            }
            finish();
            return;
        }
        m_pendingBytes -= n;
        qsizetype left = n;
        while (left > 0 && !m_out.isEmpty()) {
            const qsizetype avail = m_out.front().size() - m_outOffset;
            if (left >= avail) {
                left -= avail;
                m_out.removeFirst();
                m_outOffset = 0;
            } else {
                m_outOffset += left;
                left = 0;
            }
        }
    }
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    m_out = QList<QByteArray>(); // release capacity
    if (m_closing)
        linger();
}

void Connection::linger()
{
    // Half-close and wait briefly for the peer's FIN, so that unread input
    // does not turn our close into a reset that destroys the last response.
    if (m_lingering || m_finished)
        return;
    m_lingering = true;
    m_in.clear();
    sockets::shutdownWrite(m_fd);
    m_deadlines->reschedule(m_idleTimer, 2000, [this] {
        m_idleTimer = 0;
        finish();
    });
}

void Connection::notifyClosing()
{
    if (m_notified)
        return;
    m_notified = true;
    WebSocketHandler *handler = std::exchange(m_wsHandler, nullptr);
    if (handler)
        handler->onWebSocketClosed(this);
    if (m_owner)
        m_owner->connectionClosed(this);
    Q_EMIT closed();
}

void Connection::onWritable()
{
    if (m_finished)
        return;
    m_writeNotifier->setEnabled(false);
    flush();
}

void Connection::closeWebSocket(quint16 code, QByteArrayView reason)
{
    if (m_finished || m_closing)
        return;
    if (m_mode == Mode::WebSocket)
        writeRaw(ws::encodeClose(code, reason));
    closeGracefully();
}

void Connection::closeGracefully()
{
    if (m_finished)
        return;
    m_closing = true;
    QPointer<Connection> self(this);
    notifyClosing();
    if (self && m_out.isEmpty())
        linger();
}

void Connection::abort()
{
    m_out.clear();
    m_pendingBytes = 0;
    finish();
}

void Connection::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_closing = true;
    m_deadlines->cancel(m_idleTimer);
    // Notifiers go before the descriptor they watch (epoll tracks the open
    // socket, not the number).
    delete std::exchange(m_readNotifier, nullptr);
    delete std::exchange(m_writeNotifier, nullptr);
    sockets::shutdownBoth(m_fd);
    sockets::closeSocket(m_fd);
    m_fd = -1;
    m_out.clear();
    m_in.clear();
    notifyClosing();
    deleteLater();
}

} // namespace qpush::net
