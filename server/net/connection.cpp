#include "connection.h"

#include "logging.h"
#include "logthrottle.h"
#include "tlscontext.h"
#include "tlsstream.h"

#include <QEvent>
#include <QSocketNotifier>

#include "sockets.h"

#include <cerrno>
#include <ctime>

namespace qpush::net {

namespace {
constexpr qsizetype kReadChunk = 64 * 1024;
// The Date header value, formatted once a second.
QByteArray currentHttpDate()
{
    static thread_local qint64 cachedSecond = -1;
    static thread_local QByteArray cached;
    const qint64 now = ::time(nullptr);
    if (now != cachedSecond) {
        cachedSecond = now;
        cached = http::httpDate(now);
    }
    return cached;
}
} // namespace

// A socket notifier that calls its connection directly: a signal connection
// (and the QPointer QSocketNotifier::event keeps while it emits) would cost
// each connection ~400 bytes.
class Connection::Notifier final : public QSocketNotifier
{
public:
    Notifier(int fd, Type type, Connection *connection)
        : QSocketNotifier(fd, type), m_connection(connection)
    {
    }

protected:
    bool event(QEvent *e) override
    {
        if (e->type() == QEvent::SockAct || e->type() == QEvent::SockClose) {
            if (type() == Read)
                m_connection->onReadable();
            else
                m_connection->onWritable();
            return true;
        }
        return QSocketNotifier::event(e);
    }

private:
    Connection *m_connection;
};

Connection::Connection(qintptr fd, const ConnectionLimits *limits, DeadlineQueue *deadlines,
                       QObject *parent, ConnectionOwner *owner, WriteBatcher *batcher)
    : QObject(parent), m_fd(int(fd)), m_frames(limits->maxWebSocketMessage), m_deadlines(deadlines),
      m_limits(limits), m_owner(owner)
{
    m_batcher = batcher;
    sockets::configure(m_fd);
    m_readNotifier = new Notifier(m_fd, QSocketNotifier::Read, this);
    armIdle();
}

Connection::~Connection()
{
    if (m_inBatch && m_batcher)
        m_batcher->remove(this, m_batchSlot);
    // Notifiers go before the descriptor they watch (epoll tracks the open
    // socket, not the number).
    delete std::exchange(m_readNotifier, nullptr);
    delete std::exchange(m_writeNotifier, nullptr);
    if (m_fd >= 0)
        sockets::closeSocket(m_fd);
    m_deadlines->cancel(m_idleTimer);
}

bool Connection::startTls(std::shared_ptr<TlsContext> context)
{
    auto tls = std::make_unique<TlsStream>(std::move(context));
    if (!tls->isValid())
        return false;
    m_tls = std::move(tls);
    return true;
}

bool Connection::receiveTls(const char *data, qsizetype size)
{
    const bool wasEstablished = m_tls->isEstablished();
    const TlsStream::Status status = m_tls->receive(data, size, &m_in);
    if (status == TlsStream::Status::Ok)
        return true;
    if (status == TlsStream::Status::Error)
        qCDebug(lcNet).noquote() << (wasEstablished ? "TLS error from"
                                                    : "TLS handshake failed from")
                                 << peerAddress().toString() + QLatin1Char(':') +
                                        QString::number(peerPort())
                                 << m_tls->errorString();
    // Send what OpenSSL has to say (an alert) on a best-effort basis.
    const QByteArray alert = m_tls->takeCiphertext();
    if (!alert.isEmpty()) {
        [[maybe_unused]] const ssize_t n =
            ::send(m_fd, alert.constData(), size_t(alert.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    finish();
    return false;
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
    if (m_finished || m_closeQueued)
        return;
    static thread_local char chunk[kReadChunk];
    // Read what is there now; bounded so one busy peer cannot starve others.
    for (int round = 0; round < 16; ++round) {
        const qint64 n = sockets::receive(m_fd, chunk, sizeof chunk);
        if (n > 0) {
            if (m_lingering)
                continue; // discard: we are only waiting for the peer's FIN
            if (m_tls) {
                if (!receiveTls(chunk, n))
                    return; // closed
            } else {
                m_in.append(chunk, n);
            }
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
    // Handshake messages, session tickets: answer them now.
    if (m_tls && m_tls->hasCiphertext() && !(m_writeNotifier && m_writeNotifier->isEnabled()))
        flush();
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
    if (!m_parser)
        m_parser = std::make_unique<http::RequestParser>(m_limits->http);
    const auto status = m_parser->parse(m_in);
    if (status == http::RequestParser::Status::NeedMore) {
        if (m_parser->expectsContinue() && !m_continueSent) {
            // The headers are acceptable (sizes within limits): ask for the
            // body now rather than let the client wait (curl waits 1 s).
            m_continueSent = true;
            writeRaw(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
        }
        return;
    }
    m_continueSent = false;
    if (status == http::RequestParser::Status::Error) {
        const int code = m_parser->errorStatus();
        qCDebug(lcNet) << "bad request from" << peerAddress() << code << m_parser->errorMessage();
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
    http::Request request = m_parser->takeRequest();
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
    writeRaw(http::serializeResponse(status, headers, body, keepAlive, currentHttpDate()));
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
    m_parser.reset(); // no HTTP after the upgrade: its state would stay for the connection's life
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
    if (m_finished || m_lingering || m_closeQueued || bytes.isEmpty())
        return;
    // The limit is on everything not yet written, including what this pass
    // queued (a burst of broadcasts in one pass is bounded too), but it is
    // checked before the write: one message larger than the limit (a poll
    // carrying many queued packets) still goes to a client that reads.
    if (m_pendingBytes > m_limits->maxOutputBytes) {
        if (auto *m = m_limits->metrics)
            m->limitsTripped.inc("max_client_buffer");
        static LogThrottle throttle;
        qint64 suppressed = 0;
        if (throttle.allow(&suppressed))
            qCWarning(lcNet).nospace()
                << "client " << peerAddress().toString() << " does not read: " << m_pendingBytes
                << " bytes pending (max_client_buffer), cutting it off"
                << (suppressed ? qPrintable(QStringLiteral(" (%1 more not logged)").arg(suppressed))
                               : "");
        abortDeferred(); // never close inside a write: the caller may be walking a room
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
            m_batchSlot = quint32(m_batcher->add(this));
        }
        return;
    }
    flush();
}

void Connection::abortDeferred()
{
    if (m_finished || m_closeQueued)
        return;
    m_closeQueued = true;
    m_out.clear();
    m_wire.clear();
    m_in.clear();
    m_pendingBytes = 0;
    m_batchedBytes = 0;
    if (m_readNotifier)
        m_readNotifier->setEnabled(false);
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    QMetaObject::invokeMethod(this, &Connection::finish, Qt::QueuedConnection);
}

void Connection::flushBatched()
{
    m_inBatch = false;
    if (m_finished || m_closeQueued)
        return;
    if (!m_writeNotifier || !m_writeNotifier->isEnabled())
        flush();
}

bool Connection::encryptPending()
{
    // Plaintext waits in m_out until the handshake is done (nothing is
    // written before the first request, so it never waits in practice).
    if (m_tls->isEstablished()) {
        // Small pieces (frames of one pass) are gathered into records of up
        // to 16 KB rather than one record (and 22+ bytes of overhead) each.
        constexpr qsizetype kRecord = 16 * 1024;
        static thread_local QByteArray gather;
        bool ok = true;
        auto sendGathered = [this, &ok] {
            if (!gather.isEmpty() && ok)
                ok = m_tls->send(gather);
            gather.resize(0);
        };
        for (const QByteArray &b : std::as_const(m_out)) {
            if (b.size() >= kRecord) {
                sendGathered();
                ok = ok && m_tls->send(b);
            } else {
                if (gather.size() + b.size() > kRecord)
                    sendGathered();
                gather.append(b);
            }
            m_pendingBytes -= b.size();
        }
        sendGathered();
        if (!ok) {
            qCDebug(lcNet).noquote() << "TLS write failed:" << m_tls->errorString();
            abortDeferred(); // flush() runs inside writeRaw: never close there
            return false;
        }
        m_out = QList<QByteArray>();
        if (m_closing)
            m_tls->shutdown(); // close_notify after the last response
    }
    QByteArray records = m_tls->takeCiphertext();
    if (!records.isEmpty()) {
        m_pendingBytes += records.size();
        m_wire.append(std::move(records));
    }
    return true;
}

void Connection::flush()
{
    m_batchedBytes = 0;
    if (m_tls && !encryptPending())
        return;
    QList<QByteArray> &queue = m_tls ? m_wire : m_out;
    while (!queue.isEmpty()) {
        const qint64 n = sockets::sendQueued(m_fd, queue, m_outOffset);
        if (n < 0) {
            if (sockets::lastErrorInterrupted())
                continue;
            if (sockets::lastErrorWouldBlock()) {
                if (!m_writeNotifier)
                    m_writeNotifier = new Notifier(m_fd, QSocketNotifier::Write, this);
                m_writeNotifier->setEnabled(true);
                return;
            }
            // flush() runs inside writeRaw (no batcher): never close there.
            abortDeferred();
            return;
        }
        m_pendingBytes -= n;
        qsizetype left = n;
        while (left > 0 && !queue.isEmpty()) {
            const qsizetype avail = queue.front().size() - m_outOffset;
            if (left >= avail) {
                left -= avail;
                queue.removeFirst();
                m_outOffset = 0;
            } else {
                m_outOffset += left;
                left = 0;
            }
        }
    }
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    queue = QList<QByteArray>(); // release capacity
    if (m_closing && outputEmpty())
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
    if (m_finished || m_closeQueued)
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
    if (!self || m_finished)
        return;
    if (m_tls && m_tls->isEstablished() && !m_closeQueued)
        flush(); // close_notify, then linger
    else if (outputEmpty())
        linger();
}

void Connection::abort()
{
    m_out.clear();
    m_wire.clear();
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
    m_wire.clear();
    m_in.clear();
    notifyClosing();
    deleteLater();
}

} // namespace qpush::net
