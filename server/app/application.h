// The composition root of qpush-server: builds every subsystem from the
// Config, wires them together, listens on the client and API ports, and
// shuts down gracefully.
#pragma once

#include "app/config.h"

#include <QObject>

#include <memory>

namespace qpush {

namespace net {
class DeadlineQueue;
class HttpServer;
} // namespace net
namespace eio {
class Server;
}
namespace sio {
class Server;
}
namespace api {
class Router;
}

class Application : public QObject
{
    Q_OBJECT
public:
    Application(Config config, QString adminPassword, QObject *parent = nullptr);
    ~Application() override;

    // Listens on the configured ports; returns false (with `error`) if a
    // port cannot be bound.
    bool start(QString *error);
    quint16 socketPort() const;
    quint16 apiPort() const;

    // Stops accepting, closes every session with a close packet, and emits
    // finished() once connections are flushed (or after a short grace time).
    void shutdown();

Q_SIGNALS:
    void finished();

private:
    void buildApi();
    QByteArray metricsText() const;

    Config m_config;
    QString m_adminPassword;
    std::unique_ptr<net::DeadlineQueue> m_deadlines;
    std::unique_ptr<net::HttpServer> m_clientHttp;
    std::unique_ptr<net::HttpServer> m_apiHttp;
    std::unique_ptr<eio::Server> m_engine;
    std::unique_ptr<sio::Server> m_io;
    std::unique_ptr<api::Router> m_router;
    bool m_shuttingDown = false;
};

} // namespace qpush
