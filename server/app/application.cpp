#include "application.h"

#include "accesslog.h"
#include "logging.h"

#include "api/restapi.h"
#include "api/router.h"
#include "apns/sender.h"
#include "callbacks/webhooks.h"
#include "cluster/clusterbus.h"
#include "cluster/redispresence.h"
#include "engineio/server.h"
#include "metrics/looplag.h"
#include "metrics/process.h"
#include "metrics/registry.h"
#include "metrics/servermetrics.h"
#include "net/httpserver.h"
#include "net/tlscontext.h"
#include "push/apnsdispatch.h"
#include "push/gateway.h"
#include "push/namespaceregistry.h"
#include "push/offlineworker.h"
#include "push/pushpipeline.h"
#include "push/services.h"
#include "socketio/server.h"
#include "store/redis/redisstore.h"
#include "store/sqlite/sqlitestore.h"

#include <QHostInfo>
#include <QTimer>

#include <algorithm>

#include <sys/resource.h>

namespace qpush {

namespace {
// Descriptors the client port leaves free: the API port (operators and
// third-party servers must reach it while the client port is full), the
// store, callbacks and logs.
constexpr qint64 kDescriptorReserve = 256;

// What answers while the node starts (store not open yet).
bool isProbe(const QByteArray &path)
{
    return path == "/health" || path == "/ready" || path == "/metrics";
}

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the limit in effect.
qint64 raiseDescriptorLimit()
{
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised;
    }
    return rl.rlim_cur == RLIM_INFINITY ? qint64(1) << 20 : qint64(rl.rlim_cur);
}

// The APNs client's options from the apns_* keys; a bad key sets `error`.
apns::SenderOptions apnsOptions(const Config &config, QString *error)
{
    apns::SenderOptions o;
    const auto dev = apns::Endpoint::parse(config.apns_host_dev);
    const auto production = apns::Endpoint::parse(config.apns_host_production);
    if (!dev || !production)
        *error = QStringLiteral("apns_host_dev / apns_host_production must be host, "
                                "host:port or https://host:port");
    o.development = dev.value_or(o.development);
    o.production = production.value_or(o.production);
    if (!config.apns_ca_file.isEmpty()) {
        o.connection.extraCaCertificates =
            QSslCertificate::fromPath(config.apns_ca_file, QSsl::Pem);
        if (o.connection.extraCaCertificates.isEmpty())
            *error = QStringLiteral("apns_ca_file %1 holds no readable PEM certificate")
                         .arg(config.apns_ca_file);
    }
    o.connection.tokenRefreshSeconds = config.apns_token_refresh;
    return o;
}

} // namespace

Application::Application(Config config, QString adminPassword, Collaborators collaborators,
                         QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_adminPassword(std::move(adminPassword))
{
    m_metricsRegistry = std::make_unique<metrics::Registry>();
    m_metrics = std::make_unique<metrics::ServerMetrics>(*m_metricsRegistry);
    m_loopLag = std::make_unique<metrics::LoopLagProbe>(&m_metrics->loopLag,
                                                        &m_metrics->loopLagDistribution);
    m_deadlines = std::make_unique<net::DeadlineQueue>();

    net::ConnectionLimits limits;
    limits.http.maxBodyBytes = m_config.max_payload + 64 * 1024;
    limits.maxWebSocketMessage = m_config.max_payload + 64;
    limits.idleTimeoutMs = m_config.client_idle_timeout;
    limits.maxOutputBytes = m_config.max_client_buffer;
    limits.metrics = m_metrics.get();
    m_clientHttp = std::make_unique<net::HttpServer>(limits, m_deadlines.get());
    const QList<net::Cidr> trustedProxies =
        net::parseCidrs(m_config.trusted_proxies).value_or(QList<net::Cidr>());
    {
        const qint64 descriptors = raiseDescriptorLimit();
        const qint64 automatic = std::max<qint64>(16, descriptors - kDescriptorReserve);
        net::ListenerLimits ll;
        ll.metrics = m_metrics.get();
        ll.maxConnections = m_config.max_connections > 0
                                ? std::min<qint64>(m_config.max_connections, automatic)
                                : automatic;
        ll.maxConnectionsPerIp = m_config.max_connections_per_ip;
        ll.trustedProxies = trustedProxies;
        // A loopback peer is a proxy on this host (or the operator): per-address
        // limits apply to the clients it names (trusted_proxies), not to it.
        ll.exemptLoopback = true;
        m_clientHttp->setListenerLimits(ll);
        qCInfo(lcApp).nospace() << "descriptor limit " << descriptors << "; client port: at most "
                                << ll.maxConnections << " connections (max_connections), "
                                << ll.maxConnectionsPerIp << " per address";
    }
    net::ConnectionLimits apiLimits = limits;
    apiLimits.http.maxBodyBytes = m_config.max_payload; // a REST body over max_payload is 413
    apiLimits.jsonErrors = true;
    m_apiHttp = std::make_unique<net::HttpServer>(apiLimits, m_deadlines.get());

    eio::ServerOptions eo;
    eo.metrics = m_metrics.get();
    eo.path = "/socket.io/";
    eo.pingIntervalMs = m_config.pingInterval;
    eo.pingTimeoutMs = m_config.pingTimeout;
    eo.maxPayload = m_config.max_payload;
    eo.allowPolling = m_config.transports.contains(QStringLiteral("polling"));
    eo.allowWebSocket = m_config.transports.contains(QStringLiteral("websocket"));
    eo.maxQueuedBytes = m_config.max_client_buffer;
    eo.handshakeRatePerIp = m_config.handshake_rate_per_ip;
    eo.trustedProxies = trustedProxies;
    eo.exemptLoopback = true;
    m_engine = std::make_unique<eio::Server>(eo, m_deadlines.get());
    sio::ServerOptions so;
    so.metrics = m_metrics.get();
    so.connectTimeoutMs = m_config.connect_timeout;
    so.maxPendingClients = m_config.max_pending_sessions;
    so.maxAttachmentBytes = m_config.max_attachment_bytes;
    so.maxEarlyPackets = m_config.max_early_packets;
    so.maxEarlyBytes = m_config.max_early_bytes;
    m_io = std::make_unique<sio::Server>(m_engine.get(), so);

    m_settings = std::make_unique<push::Settings>();
    push::Settings &s = *m_settings;
    s.metrics = m_metrics.get();
    s.names.keyReg = QRegularExpression(m_config.key_reg);
    s.names.namespaceMaxLength = m_config.namespace_max_length;
    s.names.roomMaxLength = m_config.room_max_length;
    s.names.useridMaxLength = m_config.userid_max_length;
    s.names.uuidMaxLength = m_config.uuid_max_length;
    s.roomActivityBroadcast = m_config.room_activity_broadcast;
    s.workerMessageTimeoutMs = m_config.worker_message_timeout;
    s.workerClaimTimeoutMs = m_config.worker_claim_timeout;
    s.pushMessageExpireHours = m_config.push_message_expire;
    s.pushMessageMaxExpireHours = m_config.push_message_max_expire;
    s.pushMessageListMaxLimit = m_config.push_message_list_max_limit;
    s.reportPushAckDetailMaxLimit = m_config.report_push_ack_detail_max_limit;
    s.reportOnlineListMaxLimit = m_config.report_online_list_max_limit;
    s.androidUnreadMessageListMaxLimit = m_config.android_unread_message_list_max_limit;
    s.clientLegacyExpireHours = m_config.client_legacy_expire;
    s.clientPushIntervalSeconds = m_config.client_push_interval;
    s.apnsAlert = m_config.apns_aps_alert;
    s.apnsPayloadSize = m_config.apns_payload_size;

    s.maxRoomsPerMessage = m_config.max_rooms_per_message;
    s.maxRoomsPerClient = m_config.max_rooms_per_client;
    s.infoFieldMaxLength = m_config.info_field_max_length;
    s.syncMaxMessages = m_config.sync_max_messages;
    s.syncMaxBytes = m_config.sync_max_bytes;
    s.clientEventRate = m_config.client_event_rate;
    s.apnsListMaxEntries = m_config.apns_list_max_entries;
    s.system = QHostInfo::localHostName();
    if (s.system.isEmpty())
        s.system = QStringLiteral("qpush");
    if (collaborators.clock)
        s.clock = collaborators.clock;

    if (collaborators.store) {
        m_store = std::move(collaborators.store);
    } else if (m_config.usesRedisStore()) {
        store::RedisOptions ro;
        ro.metrics = m_metrics.get();
        ro.addresses = m_config.redis_address;
        // Several addresses are the seeds of a Redis Cluster (SPEC §1).
        ro.cluster = m_config.redis_address.size() > 1;
        ro.password = m_config.redis_password;
        ro.db = m_config.redis_db;
        ro.prefix = m_config.redis_prefix;
        m_store = std::make_unique<store::RedisStore>(ro);
    } else {
        store::SqliteOptions sqlite;
        sqlite.metrics = m_metrics.get();
        sqlite.path = m_config.sqlitePath();
        // WAL + synchronous=NORMAL: a committed push survives kill -9 and any
        // crash of qpush (the WAL is in the OS page cache); only a power loss
        // can drop the last commits. FULL would fsync every group commit and
        // put a disk flush into the latency of every push (docs/storage.md).
        sqlite.synchronous = QStringLiteral("NORMAL");
        m_store = std::make_unique<store::SqliteStore>(sqlite);
    }
    m_webhooks = std::make_unique<callbacks::Webhooks>(m_config.callback_timeout);
    m_registry = std::make_unique<push::NamespaceRegistry>(m_store.get(), m_settings->clock);
    m_registry->setApnsListMaxEntries(m_config.apns_list_max_entries);
    // The domain, bottom up: the live directory, the presence that reads it,
    // then the pipeline that delivers through both, then the client side.
    m_live = std::make_unique<push::LiveClients>(m_io.get(), m_settings.get());
    push::Presence *presence = nullptr;
    if (m_config.usesRedisStore()) {
        // Who is online on which node, shared (expectAckCount, online reports).
        cluster::RedisPresenceOptions po;
        po.addresses = m_config.redis_address;
        po.cluster = m_config.redis_address.size() > 1;
        po.password = m_config.redis_password;
        po.db = m_config.redis_db;
        po.prefix = m_config.redis_prefix;
        po.nodeTimeoutMs = m_config.node_timeout;
        m_presence = std::make_unique<cluster::RedisPresence>(po, m_registry.get(), m_live.get());
        presence = m_presence.get();
    } else {
        m_localPresence = std::make_unique<push::LocalPresence>(m_live.get());
        presence = m_localPresence.get();
    }
    m_activity = std::make_unique<push::ActivityBroadcaster>(m_settings.get());
    m_pipeline = std::make_unique<push::PushPipeline>(m_store.get(), m_registry.get(), m_live.get(),
                                                      presence, m_settings.get());
    m_gateway = std::make_unique<push::ClientGateway>(
        m_io.get(), m_registry.get(), m_store.get(), m_webhooks.get(), m_settings.get(),
        m_live.get(), m_activity.get(), m_pipeline.get());
    m_apnsSender = std::make_unique<apns::Sender>(apnsOptions(m_config, &m_apnsError));
    m_apns = std::make_unique<push::ApnsDispatch>(m_apnsSender.get(), m_registry.get(),
                                                  m_settings.get());
    m_worker = std::make_unique<push::OfflineWorker>(m_store.get(), m_apns.get(), m_settings.get());
    if (m_config.usesRedisStore()) {
        // Several nodes share this Redis: deliveries and namespace changes of
        // this node reach the others over pub/sub (docs/operations.md).
        cluster::ClusterBusOptions bo;
        bo.addresses = m_config.redis_address;
        bo.cluster = m_config.redis_address.size() > 1;
        bo.password = m_config.redis_password;
        // Pub/sub channels are not per database: the db number keeps
        // deployments on one Redis apart, like the key prefix.
        bo.channelPrefix = m_config.redis_prefix + QString::number(m_config.redis_db) + u':';
        bo.deliver = m_config.hasRole(Role::Socket);
        m_bus = std::make_unique<cluster::ClusterBus>(
            bo, m_store.get(), m_registry.get(), m_pipeline.get(), m_live.get(), m_activity.get());
    }

    registerCollectors();

    m_router = std::make_unique<api::Router>();
    m_router->get("/health", [](const api::Context &, api::Reply reply) {
        reply.text(200, "text/plain; charset=utf-8", "hello");
    });
    // Alive is /health; ready means this node can serve: listening, not
    // shutting down, and its store reachable (503 while Redis is down).
    connect(m_store.get(), &store::Store::availabilityChanged, this,
            [this](bool available) { m_storeAvailable = available; });
    m_router->get("/ready", [this](const api::Context &, api::Reply reply) {
        const char *problem = m_shuttingDown      ? "shutting down"
                              : !m_storeAvailable ? "store unavailable"
                              : !m_listening      ? "starting"
                                                  : nullptr;
        if (problem)
            return reply.text(503, "text/plain; charset=utf-8", problem);
        reply.text(200, "text/plain; charset=utf-8", "ready");
    });
    m_router->get("/metrics", [this](const api::Context &, api::Reply reply) {
        reply.text(200, "text/plain; version=0.0.4; charset=utf-8", metricsText());
    });
    m_services = std::make_unique<push::Services>(m_store.get(), m_registry.get(), m_live.get(),
                                                  presence, m_settings.get());
    m_restApi = std::make_unique<api::RestApi>(m_router.get(), m_registry.get(), m_pipeline.get(),
                                               m_services.get(), m_settings.get(),
                                               m_config.admin_name, m_adminPassword);
    m_restApi->setAuthThrottle(m_config.auth_failure_limit,
                               qint64(m_config.auth_failure_window) * 1000);
    m_router->setCorsPolicy(api::CorsPolicy(m_config.cors_origins));
    m_router->setTrustedProxies(trustedProxies);

    auto routeApi = [this, trustedProxies](net::Responder responder, http::Request &request) {
        if (net::Connection *c = responder.connection()) {
            // The caller (the peer, or what a trusted proxy says), looked up
            // once per request: the access log and the router share it.
            const QHostAddress caller = net::normalized(net::clientAddress(
                c->peerAddress(),
                trustedProxies.isEmpty() ? QByteArray() : request.joinedHeader("x-forwarded-for"),
                trustedProxies));
            request.peerAddress = caller.toString().toLatin1();
            logResponse(responder, request, caller, m_metrics.get());
        }
        if (!m_listening && !isProbe(request.path))
            return responder.respond(503,
                                     {http::Header{"content-type", "application/json"},
                                      http::Header{"retry-after", "1"}},
                                     R"({"code":503,"msg":"starting: the store is not open yet"})");
        m_router->handle(std::move(responder), request);
    };
    m_apiHttp->setHandler(routeApi);
    m_clientHttp->setHandler([this, routeApi](net::Responder responder, http::Request &request) {
        if (m_engine->matches(request.path)) {
            if (!m_listening) // no namespace is loaded yet: nothing to connect to
                return responder.respond(503,
                                         {http::Header{"content-type", "text/plain; charset=utf-8"},
                                          http::Header{"retry-after", "1"}},
                                         "starting");
            return m_engine->handleRequest(std::move(responder), request);
        }
        if (m_config.single_port || request.path == "/health" || request.path == "/ready")
            return routeApi(std::move(responder), request);
        responder.respond(404, {http::Header{"content-type", "text/plain; charset=utf-8"}},
                          "Not Found");
    });
}

Application::~Application()
{
    // Sessions and sockets go before the domain objects their hooks use.
    m_clientHttp.reset();
    m_io.reset();
    m_engine.reset();
}

void Application::start(std::function<void(const QString &error)> done)
{
    if (!m_apnsError.isEmpty())
        return done(m_apnsError);
    // The ports open first: while the store is not reachable yet (Redis
    // down at start-up), /health answers 200, /ready and everything else 503.
    QString error;
    if (!listen(&error))
        return done(error);
    m_settings->socketPort = socketPort();
    openStore(std::move(done));
}

void Application::openStore(std::function<void(const QString &error)> done)
{
    QPointer<Application> self(this);
    // Redis unreachable is waited for (the client retries with backoff, one
    // warning per attempt); any other failure stops the start.
    auto retry = [self, done](const store::Error &e) {
        if (!self || self->m_shuttingDown || e.code != store::ErrorCode::Unavailable ||
            !self->m_config.usesRedisStore())
            return false;
        qCWarning(lcApp).noquote().nospace()
            << "store not reachable yet (" << e.message << "); /ready answers 503, still trying";
        QTimer::singleShot(1000, self, [self, done] {
            if (self && !self->m_shuttingDown)
                self->openStore(done);
        });
        return true;
    };
    m_store->open([self, done, retry](store::Result<store::Done> r) {
        if (!self)
            return;
        if (!r) {
            if (retry(r.error()))
                return;
            return done(QStringLiteral("cannot open the store (%1): %2")
                            .arg(self->m_config.store, r.error().toString()));
        }
        self->m_storeAvailable = true;
        self->m_registry->load([self, done, retry](store::Result<store::Done> loaded) {
            if (!self)
                return;
            if (!loaded) {
                if (retry(loaded.error()))
                    return;
                return done(QStringLiteral("cannot load namespaces: ") + loaded.error().toString());
            }
            if (self->m_bus)
                self->m_bus->start();
            if (self->m_presence)
                self->m_presence->start();
            self->m_listening = true;
            self->m_loopLag->start();
            if (self->m_config.hasRole(Role::Worker))
                self->m_worker->start();
            done(QString());
        });
    });
}

QByteArray Application::metricsText() const
{
    return m_metricsRegistry->text();
}

void Application::registerCollectors()
{
    // Values other objects hold already are read at scrape time.
    using metrics::Family;
    using metrics::Sample;
    using metrics::Type;
    m_metricsRegistry->addCollector([this](QList<Family> &out) {
        auto gauge = [&out](const char *name, const char *help, double value) {
            out.append(Family{name, help, Type::Gauge, {Sample{{}, {}, value}}});
        };
        gauge("qpush_client_connections", "Open TCP connections on the client port.",
              double(m_clientHttp->connectionCount()));
        gauge("qpush_engineio_sessions", "Open Engine.IO sessions.",
              double(m_engine->sessionCount()));
        const auto counts = m_engine->sessionCounts();
        Family sessions{"qpush_client_sessions",
                        "Open Engine.IO sessions by protocol (EIO) and current transport.",
                        Type::Gauge,
                        {}};
        const char *protocols[2] = {"3", "4"};
        const char *transports[2] = {"polling", "websocket"};
        for (int i = 0; i < 4; ++i)
            sessions.samples.append(
                Sample{{},
                       {{"protocol", protocols[i / 2]}, {"transport", transports[i % 2]}},
                       double(counts[std::size_t(i)])});
        out.append(sessions);
        gauge("qpush_socketio_clients", "Connected Socket.IO clients.",
              double(m_io->clientCount()));
        gauge("qpush_timers_pending", "Deadlines pending in the shared timer queue.",
              double(m_deadlines->pendingCount()));
        gauge("qpush_store_available", "1 while the store answers (Redis connected).",
              m_storeAvailable ? 1 : 0);
        out.append(Family{"qpush_offline_jobs_completed_total",
                          "Offline follow-up jobs completed.",
                          Type::Counter,
                          {Sample{{}, {}, double(m_worker->completedJobs())}}});
        m_apnsSender->collect(out);
        if (m_bus) {
            gauge("qpush_cluster_bus_ready", "1 while the cross-node bus is subscribed.",
                  m_bus->isReady() ? 1 : 0);
            out.append(Family{"qpush_cluster_messages_published_total",
                              "Bus messages published.",
                              Type::Counter,
                              {Sample{{}, {}, double(m_bus->published())}}});
            out.append(Family{"qpush_cluster_messages_received_total",
                              "Bus messages of other nodes.",
                              Type::Counter,
                              {Sample{{}, {}, double(m_bus->received())}}});
        }
        if (m_presence) {
            out.append(Family{"qpush_presence_nodes_reaped_total",
                              "Dead nodes whose online clients this node removed.",
                              Type::Counter,
                              {Sample{{}, {}, double(m_presence->reapedNodes())}}});
            out.append(Family{"qpush_presence_resyncs_total",
                              "Times this node wrote its online clients again (Redis lost them).",
                              Type::Counter,
                              {Sample{{}, {}, double(m_presence->resyncs())}}});
        }
        metrics::appendProcessFamilies(out, metrics::readProcessStats());
    });
}

bool Application::loadTls(QString *error)
{
    if (m_config.tls_cert.isEmpty() && m_config.tls_key.isEmpty())
        return true;
    auto context = net::TlsContext::load(m_config.tls_cert, m_config.tls_key, error);
    if (!context)
        return false;
    qCInfo(lcApp).noquote() << "TLS on both ports with" << m_config.tls_cert << "("
                            << context->description() << ")";
    m_clientHttp->setTlsContext(context);
    m_apiHttp->setTlsContext(context);
    return true;
}

bool Application::reloadTls()
{
    if (m_config.tls_cert.isEmpty() && m_config.tls_key.isEmpty())
        return false;
    QString error;
    auto context = net::TlsContext::load(m_config.tls_cert, m_config.tls_key, &error);
    if (!context) {
        qCWarning(lcApp).noquote()
            << "TLS reload failed, keeping the current certificate:" << error;
        return false;
    }
    qCInfo(lcApp).noquote() << "TLS certificate reloaded:" << context->description();
    m_clientHttp->setTlsContext(context);
    m_apiHttp->setTlsContext(context);
    return true;
}

bool Application::listen(QString *error)
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
    m_worker->stop();
    m_io->closeAll();
    // Give the close packets a moment to leave; polling sessions without a
    // parked poll get theirs on the next request or are dropped.
    // This node's online clients leave the shared counts at once (not after
    // node_timeout).
    auto presenceDone = std::make_shared<bool>(!m_presence);
    if (m_presence)
        m_presence->shutdown([presenceDone] { *presenceDone = true; });
    auto *poll = new QTimer(this);
    poll->setInterval(20);
    int waited = 0;
    connect(poll, &QTimer::timeout, this, [this, poll, waited, presenceDone]() mutable {
        waited += 20;
        const bool flushed =
            m_engine->sessionCount() == 0 && m_clientHttp->connectionCount() == 0 && *presenceDone;
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
