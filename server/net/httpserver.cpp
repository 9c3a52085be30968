#include "httpserver.h"

#include "logging.h"

namespace qpush::net {

HttpServer::HttpServer(const ConnectionLimits &limits, DeadlineQueue *deadlines, QObject *parent)
    : QTcpServer(parent), m_limits(limits), m_deadlines(deadlines)
{
    setMaxPendingConnections(1024);
}

HttpServer::~HttpServer() = default;

void HttpServer::incomingConnection(qintptr fd)
{
    new Connection(fd, &m_limits, m_deadlines, this, this, &m_batcher);
    ++m_connections;
}

void HttpServer::connectionRequest(Connection *connection, quint64 serial, http::Request &request)
{
    if (!m_handler) {
        connection->respond(serial, 503, {}, "not ready", true);
        return;
    }
    m_handler(Responder(connection, serial), request);
}

void HttpServer::connectionClosed(Connection *)
{
    --m_connections;
}

void HttpServer::abortAll()
{
    const auto list = findChildren<Connection *>(Qt::FindDirectChildrenOnly);
    for (Connection *c : list)
        c->abort();
}

} // namespace qpush::net
