// Listening socket of the own HTTP/1.1 + WebSocket layer, on a raw
// non-blocking descriptor (listen backlog SOMAXCONN). Accepts descriptors
// and wraps each in a Connection; every complete request goes to the one
// request handler with a Responder that can answer now, later
// (long-polling) or upgrade to WebSocket.
//
// Connection caps: at most maxConnections open connections (then accepting
// pauses until one closes: new peers wait in the kernel backlog) and at
// most maxConnectionsPerIp from one address (more are accepted and closed
// at once; trusted proxies are exempt). When accept fails for lack of
// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), accepting pauses
// and is retried after acceptRetryMs: no busy loop on a listener that stays
// readable.
#pragma once

#include "clientaddress.h"
#include "connection.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>

#include <functional>
#include <memory>

class QSocketNotifier;
class QTimer;

namespace qpush::net {

struct ListenerLimits
{
    metrics::ServerMetrics *metrics = nullptr; // not owned; null: not counted
    qsizetype maxConnections = 0;              // 0: no cap
    qsizetype maxConnectionsPerIp = 0;         // 0: no cap
    QList<Cidr> trustedProxies;                // exempt from the per-address cap
    bool exemptLoopback = false;               // loopback peers too (a proxy on this host)
    int acceptRetryMs = 100;
};

class HttpServer : public QObject, public ConnectionOwner
{
    Q_OBJECT
public:
    using Handler = std::function<void(Responder responder, http::Request &request)>;

    HttpServer(const ConnectionLimits &limits, DeadlineQueue *deadlines, QObject *parent = nullptr);
    ~HttpServer() override;

    void setHandler(Handler handler) { m_handler = std::move(handler); }
    // Serves TLS on connections accepted from now on (null: plain TCP).
    // Open connections keep the context they started with.
    void setTlsContext(std::shared_ptr<TlsContext> context) { m_tls = std::move(context); }
    bool isTls() const { return m_tls != nullptr; }
    void setListenerLimits(ListenerLimits limits) { m_listenerLimits = std::move(limits); }
    const ListenerLimits &listenerLimits() const { return m_listenerLimits; }
    qsizetype connectionCount() const { return m_connections; }
    const ConnectionLimits &limits() const { return m_limits; }

    // The listen backlog of the next listen(); default SOMAXCONN (the kernel
    // caps it at net.core.somaxconn).
    void setListenBacklogSize(int size) { m_backlog = size; }
    bool listen(const QHostAddress &address, quint16 port);
    bool isListening() const { return m_fd >= 0; }
    quint16 serverPort() const { return m_port; }
    QString errorString() const { return m_error; }
    // True while accepting is paused (connection cap reached or out of descriptors).
    bool isAcceptPaused() const { return m_capPaused || m_retryPending; }

    // Stops accepting; existing connections stay.
    void stopListening();
    // Closes every connection now.
    void abortAll();

protected:
    void connectionRequest(Connection *connection, quint64 serial, http::Request &request) override;
    void connectionClosed(Connection *connection) override;

private:
    void onAcceptReady();
    void updateNotifier();
    static QByteArray addressKey(const QHostAddress &address);

    ConnectionLimits m_limits;
    ListenerLimits m_listenerLimits;
    DeadlineQueue *m_deadlines;
    WriteBatcher m_batcher;
    Handler m_handler;
    qsizetype m_connections = 0;
    int m_fd = -1;
    int m_backlog;
    quint16 m_port = 0;
    QString m_error;
    QSocketNotifier *m_notifier = nullptr;
    QTimer *m_retry = nullptr;
    bool m_capPaused = false;
    bool m_retryPending = false;
    QHash<QByteArray, qsizetype> m_perIp; // open connections by address (capped servers)
    QHash<Connection *, QByteArray> m_keys;
    std::shared_ptr<TlsContext> m_tls;
};

} // namespace qpush::net
