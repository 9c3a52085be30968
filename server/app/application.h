// The composition root of qpush-server: builds every subsystem from the
// Config, wires them together, opens the store, listens on the client and
// API ports, and shuts down gracefully.
#pragma once

#include "app/config.h"
#include "store/store.h"

#include <QObject>

#include <functional>
#include <memory>

namespace qpush {

class Clock;

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
class RestApi;
} // namespace api
namespace callbacks {
class Webhooks;
}
namespace apns {
class Sender;
}
namespace push {
struct Settings;
class NamespaceRegistry;
class ClientGateway;
class LiveClients;
class LocalPresence;
class ActivityBroadcaster;
class PushPipeline;
struct Services;
class OfflineWorker;
class ApnsSender;
} // namespace push
namespace cluster {
class ClusterBus;
class RedisPresence;
} // namespace cluster
namespace metrics {
class Registry;
struct ServerMetrics;
class LoopLagProbe;
} // namespace metrics

/// Collaborators the composition root otherwise builds itself. Production
/// passes none; in-process tests pass an in-memory store and a fake clock.
struct Collaborators
{
    std::unique_ptr<store::Store> store; ///< null: SQLite or Redis, as the config says
    const Clock *clock = nullptr;        ///< null: the system clock; must outlive the app
};

class Application : public QObject
{
    Q_OBJECT
public:
    Application(Config config, QString adminPassword, Collaborators collaborators = {},
                QObject *parent = nullptr);
    ~Application() override;

    // Opens the store, loads the namespaces and listens on the configured
    // ports; `done` gets an empty string on success, else the reason.
    void start(std::function<void(const QString &error)> done);
    quint16 socketPort() const;
    quint16 apiPort() const;

    // Stops accepting, closes every session with a close packet, and emits
    // finished() once connections are flushed (or after a short grace time).
    void shutdown();

    // Loads tls_cert/tls_key (when set) for both ports; call before start().
    // False with a message naming the file and the reason (a config error).
    bool loadTls(QString *error);
    // Loads the certificate and key again (SIGHUP): new connections use the
    // new ones, open connections keep theirs. On failure the old ones stay
    // in use and the reason is logged. Returns true when reloaded.
    bool reloadTls();

Q_SIGNALS:
    void finished();

private:
    bool listen(QString *error);
    void openStore(std::function<void(const QString &error)> done);
    QByteArray metricsText() const;

    void registerCollectors();

    Config m_config;
    QString m_adminPassword;
    // First: every layer holds a pointer to the instruments until it goes.
    std::unique_ptr<metrics::Registry> m_metricsRegistry;
    std::unique_ptr<metrics::ServerMetrics> m_metrics;
    std::unique_ptr<metrics::LoopLagProbe> m_loopLag;
    std::unique_ptr<push::Settings> m_settings;
    std::unique_ptr<net::DeadlineQueue> m_deadlines;
    std::unique_ptr<store::Store> m_store;
    std::unique_ptr<net::HttpServer> m_clientHttp;
    std::unique_ptr<net::HttpServer> m_apiHttp;
    std::unique_ptr<eio::Server> m_engine;
    std::unique_ptr<sio::Server> m_io;
    std::unique_ptr<callbacks::Webhooks> m_webhooks;
    std::unique_ptr<push::NamespaceRegistry> m_registry;
    std::unique_ptr<push::LiveClients> m_live;
    // Who is online: this node's sockets, or (Redis store) every node's.
    std::unique_ptr<push::LocalPresence> m_localPresence;
    std::unique_ptr<cluster::RedisPresence> m_presence;
    std::unique_ptr<push::ActivityBroadcaster> m_activity;
    std::unique_ptr<push::PushPipeline> m_pipeline;
    std::unique_ptr<push::ClientGateway> m_gateway;
    std::unique_ptr<push::Services> m_services; // what the REST API calls
    std::unique_ptr<apns::Sender> m_apnsSender;
    QString m_apnsError; // a bad apns_* key: start() refuses
    std::unique_ptr<push::ApnsSender> m_apns;
    std::unique_ptr<push::OfflineWorker> m_worker;
    std::unique_ptr<api::Router> m_router;
    std::unique_ptr<api::RestApi> m_restApi;
    std::unique_ptr<cluster::ClusterBus> m_bus; // Redis store only: several nodes
    bool m_shuttingDown = false;
    bool m_listening = false;      // start() succeeded (store open, namespaces loaded)
    bool m_storeAvailable = false; // opened, and no availabilityChanged(false) since
};

} // namespace qpush
