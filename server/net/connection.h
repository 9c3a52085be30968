// One client TCP connection of the own HTTP/1.1 + WebSocket layer, on a raw
// non-blocking socket with QSocketNotifiers (no QTcpSocket: it costs memory
// and copies; see docs/architecture.md). It parses requests with the pure
// codec, answers them in order (one request at a time: a deferred response
// holds back the next pipelined request), can switch to WebSocket, and
// keeps a bounded output queue of shared byte arrays so that a broadcast's
// bytes are written to many sockets without copies.
#pragma once

#include "deadlinequeue.h"
#include "httpmessage.h"
#include "metrics/servermetrics.h"
#include "websocketframe.h"
#include "writebatcher.h"

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

#include <memory>

class QSocketNotifier;

namespace qpush::net {

class Connection;
class HttpServer;
class TlsContext;
class TlsStream;

// What a connection reports to its server: direct calls rather than signal
// connections, which would cost a few hundred bytes per connection.
class ConnectionOwner
{
public:
    virtual ~ConnectionOwner() = default;
    // A complete request arrived (HTTP mode). The owner must eventually have
    // it answered with respond() or upgradeToWebSocket() and `serial`.
    virtual void connectionRequest(Connection *connection, quint64 serial,
                                   http::Request &request) = 0;
    // The connection is closing (called once).
    virtual void connectionClosed(Connection *connection) = 0;
};

// Receives WebSocket messages of an upgraded connection.
class WebSocketHandler
{
public:
    virtual ~WebSocketHandler() = default;
    virtual void onWebSocketMessage(Connection *connection, const QByteArray &payload,
                                    bool binary) = 0;
    // The connection is closing (peer close, error, or our close); it is
    // deleted later and will call the handler no more.
    virtual void onWebSocketClosed(Connection *connection) = 0;
};

struct ConnectionLimits
{
    metrics::ServerMetrics *metrics = nullptr; // not owned; null: not counted
    http::Limits http;
    qint64 idleTimeoutMs = 30000;       // a request must arrive within this
    qsizetype maxOutputBytes = 4 << 20; // unsent bytes before the peer is cut off
    qsizetype maxWebSocketMessage = 1024 * 1024 + 64;
    bool jsonErrors = false; // answer unparsable requests with {code, msg} (REST API)
};

class Connection : public QObject
{
    Q_OBJECT
public:
    // `limits` must outlive the connection (the server's). With a batcher,
    // writes of one event-loop pass are flushed together.
    Connection(qintptr fd, const ConnectionLimits *limits, DeadlineQueue *deadlines,
               QObject *parent, ConnectionOwner *owner, WriteBatcher *batcher = nullptr);
    ~Connection() override;

    // Serves this connection over TLS with `context` (call right after
    // construction, before the event loop reads). False if OpenSSL could not
    // set up the session (then the caller aborts the connection).
    bool startTls(std::shared_ptr<TlsContext> context);
    bool isTls() const { return m_tls != nullptr; }

    QHostAddress peerAddress() const;
    quint16 peerPort() const;
    bool isOpen() const { return m_fd >= 0 && !m_closing && !m_closeQueued; }
    bool isWebSocket() const { return m_mode == Mode::WebSocket; }
    quint64 requestSerial() const { return m_requestSerial; }

    // Answers request number `serial` (see Responder); ignored if that
    // request was already answered or the connection is gone.
    void respond(quint64 serial, int status, const http::Headers &headers, QByteArrayView body,
                 bool forceClose = false);
    // Answers request `serial` with 101 and switches to WebSocket. Returns
    // false if the request is not a valid upgrade (then it answered 400).
    bool upgradeToWebSocket(quint64 serial, const http::Request &request,
                            WebSocketHandler *handler);
    void setWebSocketHandler(WebSocketHandler *handler) { m_wsHandler = handler; }

    // Queues bytes as they are (a pre-encoded frame); shares, never copies.
    void writeRaw(const QByteArray &bytes);
    void sendText(QByteArrayView text) { writeRaw(ws::encodeFrame(ws::Opcode::Text, text)); }
    void sendBinary(QByteArrayView bytes) { writeRaw(ws::encodeFrame(ws::Opcode::Binary, bytes)); }
    // Sends a close frame (WebSocket mode) and closes once written.
    void closeWebSocket(quint16 code = ws::CloseCode::Normal, QByteArrayView reason = {});
    // Closes after pending output is written.
    void closeGracefully();
    // Closes now, dropping pending output.
    void abort();
    // Re-entrancy rule (docs/architecture.md, "Re-entrancy"): a close that a
    // WRITE triggers (output cap, send error) must not run the close
    // callbacks inside the write, because the writer may be walking a room,
    // a session list or a connection list that those callbacks change.
    // This drops pending output and input, stops reading and writing at
    // once, and runs the close (finish) at the next event-loop pass.
    void abortDeferred();

    qsizetype pendingOutputBytes() const { return m_pendingBytes; }
    // Called by the WriteBatcher at the end of the pass.
    void flushBatched();

Q_SIGNALS:
    // The socket is closing (emitted once); the object is deleted later.
    void closed();

private:
    class Notifier;
    enum class Mode { Http, WebSocket };
    void onReadable();
    void onWritable();
    void processHttpInput();
    void processWebSocketInput();
    void flush();
    bool encryptPending();
    bool receiveTls(const char *data, qsizetype size);
    bool outputEmpty() const { return m_out.isEmpty() && m_wire.isEmpty(); }
    void linger();
    void notifyClosing();
    void finish();
    void armIdle();
    void scheduleProcess();

    int m_fd = -1;
    Mode m_mode = Mode::Http;
    bool m_closing = false; // closeGracefully: close once flushed
    bool m_finished = false;
    bool m_requestOutstanding = false;
    bool m_keepAlive = true;
    bool m_processScheduled = false;
    bool m_lingering = false;
    bool m_notified = false;
    bool m_closeQueued = false;  // abortDeferred() pending
    bool m_continueSent = false; // "100 Continue" sent for the current request
    quint64 m_requestSerial = 0;
    Notifier *m_readNotifier = nullptr; // owned (no QObject parent: a child list costs memory)
    Notifier *m_writeNotifier = nullptr;
    QByteArray m_in;
    QList<QByteArray> m_out;   // to send (plaintext under TLS)
    QList<QByteArray> m_wire;  // TLS only: records encrypted from m_out, to send
    qsizetype m_outOffset = 0; // bytes of the front of the sent queue already written
    qsizetype m_pendingBytes = 0;
    qsizetype m_batchedBytes = 0; // queued since the last write attempt
    WriteBatcher *m_batcher = nullptr;
    bool m_inBatch = false;
    quint32 m_batchSlot = 0;                       // in the batcher's list, while m_inBatch
    std::unique_ptr<http::RequestParser> m_parser; // HTTP mode only, made on first input
    ws::FrameReader m_frames;
    WebSocketHandler *m_wsHandler = nullptr;
    std::unique_ptr<TlsStream> m_tls;
    DeadlineQueue *m_deadlines;
    DeadlineQueue::Id m_idleTimer = 0;
    const ConnectionLimits *m_limits;
    ConnectionOwner *m_owner;
};

// A handle to answer one request later (long-polling). Holds the
// connection weakly: answering a request whose client went away is a no-op.
class Responder
{
public:
    // Where a detached responder hands its one reply.
    using Sink = std::function<void(int status, const http::Headers &headers, QByteArrayView body)>;

    Responder() = default;
    Responder(Connection *connection, quint64 serial) : m_connection(connection), m_serial(serial)
    {
    }
    // A responder with no connection: the reply goes to `sink`. The seam
    // through which in-process tests drive a request handler (api::Router)
    // with requests built in memory, and read the status, headers and body.
    explicit Responder(Sink sink) : m_serial(1), m_sink(std::move(sink)) {}

    bool isValid() const
    {
        return m_serial != 0 && (m_sink || (m_connection && m_connection->isOpen()));
    }
    Connection *connection() const { return m_connection.data(); }
    // `observer` gets the status and body size when respond() sends (once):
    // the REST port's access log.
    void onRespond(std::function<void(int status, qsizetype bodyBytes)> observer)
    {
        m_onRespond = std::move(observer);
    }
    void respond(int status, const http::Headers &headers, QByteArrayView body,
                 bool forceClose = false)
    {
        if (m_onRespond)
            std::exchange(m_onRespond, nullptr)(status, body.size());
        if (m_connection)
            m_connection->respond(m_serial, status, headers, body, forceClose);
        else if (m_sink && m_serial != 0)
            m_sink(status, headers, body);
        m_serial = 0;
    }
    bool upgradeToWebSocket(const http::Request &request, WebSocketHandler *handler)
    {
        const quint64 serial = std::exchange(m_serial, 0);
        return m_connection && m_connection->upgradeToWebSocket(serial, request, handler);
    }

private:
    QPointer<Connection> m_connection;
    quint64 m_serial = 0;
    std::function<void(int, qsizetype)> m_onRespond;
    Sink m_sink;
};

} // namespace qpush::net
