// Listening socket of the own HTTP/1.1 + WebSocket layer. Accepts raw
// descriptors (QTcpServer::incomingConnection) and wraps each in a
// Connection; every complete request goes to the one request handler with a
// Responder that can answer now, later (long-polling) or upgrade to
// WebSocket.
#pragma once

#include "connection.h"

#include <QTcpServer>

#include <functional>

namespace qpush::net {

class HttpServer : public QTcpServer, public ConnectionOwner
{
    Q_OBJECT
public:
    using Handler = std::function<void(Responder responder, http::Request &request)>;

    HttpServer(const ConnectionLimits &limits, DeadlineQueue *deadlines, QObject *parent = nullptr);
    ~HttpServer() override;

    void setHandler(Handler handler) { m_handler = std::move(handler); }
    qsizetype connectionCount() const { return m_connections; }
    const ConnectionLimits &limits() const { return m_limits; }

    // Stops accepting; existing connections stay.
    void stopListening() { close(); }
    // Closes every connection now.
    void abortAll();

protected:
    void incomingConnection(qintptr fd) override;
    void connectionRequest(Connection *connection, quint64 serial, http::Request &request) override;
    void connectionClosed(Connection *connection) override;

private:
    ConnectionLimits m_limits;
    DeadlineQueue *m_deadlines;
    WriteBatcher m_batcher;
    Handler m_handler;
    qsizetype m_connections = 0;
};

} // namespace qpush::net
