#include "application.h"

#include "logging.h"

#include "api/router.h"
#include "engineio/server.h"
#include "net/httpserver.h"
#include "socketio/server.h"

#include <QTimer>

namespace qpush {

Application::Application(Config config, QString adminPassword, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_adminPassword(std::move(adminPassword))
{
    m_deadlines = std::make_unique<net::DeadlineQueue>();

    net::ConnectionLimits limits;
    limits.http.maxBodyBytes = m_config.max_payload + 64 * 1024;
    limits.maxWebSocketMessage = m_config.max_payload + 64;
    limits.idleTimeoutMs = m_config.client_idle_timeout;
    limits.maxOutputBytes = m_config.max_client_buffer;
    m_clientHttp = std::make_unique<net::HttpServer>(limits, m_deadlines.get());
    m_apiHttp = std::make_unique<net::HttpServer>(limits, m_deadlines.get());

    eio::ServerOptions eo;
    eo.path = "/socket.io/";
    eo.pingIntervalMs = m_config.pingInterval;
    eo.pingTimeoutMs = m_config.pingTimeout;
    eo.maxPayload = m_config.max_payload;
    eo.allowPolling = m_config.transports.contains(QStringLiteral("polling"));
    eo.allowWebSocket = m_config.transports.contains(QStringLiteral("websocket"));
    m_engine = std::make_unique<eio::Server>(eo, m_deadlines.get());
    m_io = std::make_unique<sio::Server>(m_engine.get());
    // socket.io 2.x clients always join "/" implicitly; it carries no
    // identity and no events (SPEC §2: "/" accepts no push clients).
    m_io->of(QStringLiteral("/"));

    m_router = std::make_unique<api::Router>();
    buildApi();

    auto routeApi = [this](net::Responder responder, http::Request &request) {
        m_router->handle(std::move(responder), request);
    };
    m_apiHttp->setHandler(routeApi);
    m_clientHttp->setHandler([this, routeApi](net::Responder responder, http::Request &request) {
        if (m_engine->matches(request.path))
            return m_engine->handleRequest(std::move(responder), request);
        if (m_config.single_port || request.path == "/health")
            return routeApi(std::move(responder), request);
        responder.respond(404, {http::Header{"content-type", "text/plain; charset=utf-8"}},
                          "Not Found");
    });
}

Application::~Application() = default;

void Application::buildApi()
{
    m_router->get("/health", [](const api::Context &, api::Reply reply) {
        reply.text(200, "text/plain; charset=utf-8", "hello");
    });
    m_router->get("/metrics", [this](const api::Context &, api::Reply reply) {
        reply.text(200, "text/plain; version=0.0.4; charset=utf-8", metricsText());
    });
}

QByteArray Application::metricsText() const
{
    QByteArray out;
    auto gauge = [&out](const char *name, const char *help, qint64 value) {
        out += "# HELP " + QByteArray(name) + ' ' + help + "\n# TYPE " + name + " gauge\n" +
               name + ' ' + QByteArray::number(value) + '\n';
    };
    gauge("qpush_client_connections", "Open TCP connections on the client port.",
          m_clientHttp->connectionCount());
    gauge("qpush_engineio_sessions", "Open Engine.IO sessions.", m_engine->sessionCount());
    gauge("qpush_socketio_clients", "Connected Socket.IO clients.", m_io->clientCount());
    gauge("qpush_timers_pending", "Deadlines pending in the shared timer queue.",
          m_deadlines->pendingCount());
    return out;
}

bool Application::start(QString *error)
{
    if (m_config.hasRole(Role::Socket)) {
        if (!m_clientHttp->listen(QHostAddress(m_config.socket_ip), m_config.socket_port)) {
            *error = QStringLiteral("cannot listen on %1:%2 (socket_port): %3")
                         .arg(m_config.socket_ip)
                         .arg(m_config.socket_port)
                         .arg(m_clientHttp->errorString());
            return false;
        }
    }
    if (m_config.hasRole(Role::Api) && !m_config.single_port) {
        if (!m_apiHttp->listen(QHostAddress(m_config.logic_ip), m_config.logic_port)) {
            *error = QStringLiteral("cannot listen on %1:%2 (logic_port): %3")
                         .arg(m_config.logic_ip)
                         .arg(m_config.logic_port)
                         .arg(m_apiHttp->errorString());
            return false;
        }
    }
    return true;
}

quint16 Application::socketPort() const
{
    return m_clientHttp->isListening() ? m_clientHttp->serverPort() : 0;
}

quint16 Application::apiPort() const
{
    if (m_config.single_port)
        return socketPort();
    return m_apiHttp->isListening() ? m_apiHttp->serverPort() : 0;
}

void Application::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    qCInfo(lcApp) << "shutting down:" << m_engine->sessionCount() << "sessions";
    m_clientHttp->stopListening();
    m_apiHttp->stopListening();
    m_io->closeAll();
    // Give the close packets a moment to leave; polling sessions without a
    // parked poll get theirs on the next request or are dropped.
    auto *poll = new QTimer(this);
    poll->setInterval(20);
    int waited = 0;
    connect(poll, &QTimer::timeout, this, [this, poll, waited]() mutable {
        waited += 20;
        const bool flushed = m_engine->sessionCount() == 0 &&
                             m_clientHttp->connectionCount() == 0;
        if (flushed || waited >= 2000) {
            poll->stop();
            m_clientHttp->abortAll();
            m_apiHttp->abortAll();
            Q_EMIT finished();
        }
    });
    poll->start();
}

} // namespace qpush
