#pragma once
// The cross-node bus of a deployment whose store is Redis: every node holds
// one pub/sub subscriber connection and publishes through a normal Redis
// connection. A push accepted by this node is delivered to its own sockets
// directly and published once on the namespace's channel; the other nodes
// decode it once and deliver it to their sockets (a node ignores its own
// messages by node id, so every online client gets it exactly once).
// Transfers and peopleJoin/peopleLeave travel the same way. A
// namespace save/remove is published on the control channel and the other
// nodes reload that namespace from the store (offline on → their clients are
// disconnected by the gateway); after its subscriber reconnects, a node reloads
// every namespace, as it may have missed changes meanwhile. Pub/sub is at-most-once: clients that
// miss a message while their node is cut off from Redis recover it through `sync`/serverNum and the
// offline list.
//
// Channels: <prefix><db>:bus:ctl (control) and <prefix><db>:bus:n:<nsp>
// (deliveries of one namespace). A node subscribes to the namespace channels
// only when it serves clients (socket role).

#include "busmessage.h"

#include <QObject>
#include <QPointer>
#include <QStringList>

#include <memory>

namespace qpush::store {
class Store;
class RedisClient;
class RedisSubscriber;
} // namespace qpush::store

namespace qpush::push {
class NamespaceRegistry;
class PushPipeline;
class LiveClients;
class ActivityBroadcaster;
} // namespace qpush::push

namespace qpush::cluster {

struct ClusterBusOptions
{
    QStringList addresses; ///< redis_address: one node, or cluster seeds
    bool cluster = false;
    QString password;
    QString channelPrefix; ///< redis_prefix + redis_db: keeps deployments apart
    bool deliver = true;   ///< this node serves clients (socket role)
    int reconnectMinMs = 100;
    int reconnectMaxMs = 5000;
};

class ClusterBus : public QObject
{
    Q_OBJECT
public:
    ClusterBus(ClusterBusOptions options, store::Store *store, push::NamespaceRegistry *registry,
               push::PushPipeline *pipeline, push::LiveClients *live,
               push::ActivityBroadcaster *activity, QObject *parent = nullptr);
    ~ClusterBus() override;

    /// Connects and subscribes (call once the namespaces are loaded).
    void start();
    bool isReady() const;
    QByteArray nodeId() const { return m_nodeId; }

    QByteArray controlChannel() const;
    QByteArray namespaceChannel(const QString &nsp) const;

    qint64 published() const { return m_published; }
    qint64 received() const { return m_received; }
    qint64 publishFailures() const { return m_publishFailures; }
    qint64 rejected() const { return m_rejected; }

Q_SIGNALS:
    void readyChanged(bool ready);

private:
    void publish(const QByteArray &channel, const BusMessage &message);
    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void onNamespaceChanged(const QString &key);
    void resyncNamespaces();

    ClusterBusOptions m_options;
    QByteArray m_nodeId;
    store::Store *m_store;
    QPointer<push::NamespaceRegistry> m_registry;
    QPointer<push::PushPipeline> m_pipeline;
    QPointer<push::LiveClients> m_live;
    std::unique_ptr<store::RedisClient> m_publisher;
    std::unique_ptr<store::RedisSubscriber> m_subscriber;
    bool m_started = false;
    bool m_publishWarned = false;
    bool m_wasReady = false; // the subscriber was ready once: later readiness resyncs
    qint64 m_published = 0;
    qint64 m_received = 0;
    qint64 m_publishFailures = 0;
    qint64 m_rejected = 0;
};

} // namespace qpush::cluster
