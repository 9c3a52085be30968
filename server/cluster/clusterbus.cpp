#include "clusterbus.h"

#include "logging.h"

#include "push/activitybroadcaster.h"
#include "push/liveclients.h"
#include "push/namespaceregistry.h"
#include "push/pushpipeline.h"
#include "store/redis/redisclient.h"
#include "store/redis/redissubscriber.h"
#include "store/store.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QUuid>

#include <utility>

namespace qpush::cluster {

ClusterBus::ClusterBus(ClusterBusOptions options, store::Store *store,
                       push::NamespaceRegistry *registry, push::PushPipeline *pipeline,
                       push::LiveClients *live, push::ActivityBroadcaster *activity,
                       QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_nodeId(QUuid::createUuid().toRfc4122()),
      m_store(store), m_registry(registry), m_pipeline(pipeline), m_live(live)
{
    store::RedisClientOptions co;
    co.addresses = m_options.addresses;
    co.cluster = m_options.cluster;
    co.password = m_options.password;
    co.reconnectMinMs = m_options.reconnectMinMs;
    co.reconnectMaxMs = m_options.reconnectMaxMs;
    m_publisher = std::make_unique<store::RedisClient>(co);

    store::RedisSubscriberOptions so;
    so.addresses = m_options.addresses;
    so.password = m_options.password;
    so.reconnectMinMs = m_options.reconnectMinMs;
    so.reconnectMaxMs = m_options.reconnectMaxMs;
    m_subscriber = std::make_unique<store::RedisSubscriber>(so);
    connect(m_subscriber.get(), &store::RedisSubscriber::message, this, &ClusterBus::onMessage);
    connect(m_subscriber.get(), &store::RedisSubscriber::readyChanged, this, [this](bool ready) {
        qCInfo(lcCluster) << "bus" << (ready ? "subscribed" : "down");
        if (ready && std::exchange(m_wasReady, true))
            resyncNamespaces(); // control messages may have been missed meanwhile
        Q_EMIT readyChanged(ready);
    });

    // Hooks: what this node did, the others are told.
    connect(pipeline, &push::PushPipeline::deliveredLocally, this,
            [this](const store::PushMessage &m) {
                BusMessage b;
                b.kind = BusMessage::Kind::Push;
                b.push = m;
                publish(namespaceChannel(m.nsp), b);
            });
    connect(pipeline, &push::PushPipeline::transferApplied, this,
            [this](const QString &nsp, const QStringList &clientIds, const QString &targetRoom,
                   bool join, const QJsonObject &payload) {
                BusMessage b;
                b.kind = BusMessage::Kind::Transfer;
                b.nsp = nsp;
                b.targetRoom = targetRoom;
                b.join = join;
                b.payload = QJsonDocument(payload).toJson(QJsonDocument::Compact);
                for (qsizetype i = 0; i < clientIds.size(); i += kMaxBusClientIds) {
                    b.clientIds = clientIds.mid(i, kMaxBusClientIds);
                    publish(namespaceChannel(nsp), b);
                }
            });
    connect(activity, &push::ActivityBroadcaster::activityBroadcast, this,
            [this](const QString &nsp, const QString &room, const QString &exceptClient,
                   const QString &event, const QJsonObject &payload) {
                BusMessage b;
                b.kind = BusMessage::Kind::RoomEvent;
                b.nsp = nsp;
                b.room = room;
                b.exceptClient = exceptClient;
                b.event = event;
                b.payload = QJsonDocument(payload).toJson(QJsonDocument::Compact);
                publish(namespaceChannel(nsp), b);
            });
    auto namespaceChanged = [this](const QString &key) {
        BusMessage b;
        b.kind = BusMessage::Kind::NamespaceChanged;
        b.nsp = key;
        publish(controlChannel(), b);
    };
    connect(registry, &push::NamespaceRegistry::savedLocally, this,
            [namespaceChanged](const store::NamespaceRecord &r) { namespaceChanged(r.key); });
    connect(registry, &push::NamespaceRegistry::removedLocally, this,
            [namespaceChanged](const QString &key, bool) { namespaceChanged(key); });
    connect(registry, &push::NamespaceRegistry::changed, this, &ClusterBus::onNamespaceChanged);
}

ClusterBus::~ClusterBus() = default;

QByteArray ClusterBus::controlChannel() const
{
    return m_options.channelPrefix.toUtf8() + "bus:ctl";
}

QByteArray ClusterBus::namespaceChannel(const QString &nsp) const
{
    return m_options.channelPrefix.toUtf8() + "bus:n:" + nsp.toUtf8();
}

void ClusterBus::start()
{
    if (m_started)
        return;
    m_started = true;
    m_subscriber->subscribe(controlChannel());
    if (m_options.deliver && m_registry)
        for (const store::NamespaceRecord &ns : m_registry->all())
            m_subscriber->subscribe(namespaceChannel(ns.key));
    m_publisher->start();
    m_subscriber->start();
}

bool ClusterBus::isReady() const
{
    return m_subscriber->isReady() && m_publisher->isAvailable();
}

void ClusterBus::onNamespaceChanged(const QString &key)
{
    if (!m_started || !m_options.deliver || !m_registry)
        return;
    // Deliveries of a namespace matter only while it exists here.
    if (m_registry->find(key))
        m_subscriber->subscribe(namespaceChannel(key));
    else
        m_subscriber->unsubscribe(namespaceChannel(key));
}

void ClusterBus::resyncNamespaces()
{
    QPointer<ClusterBus> self(this);
    m_store->listNamespaces([self](store::Result<QList<store::NamespaceRecord>> r) {
        if (!self || !self->m_registry)
            return;
        if (!r) {
            qCWarning(lcCluster) << "could not reload the namespaces:" << r.error().toString();
            return;
        }
        QSet<QString> present;
        for (const store::NamespaceRecord &ns : r.value()) {
            present.insert(ns.key);
            const store::NamespaceRecord *cached = self->m_registry->find(ns.key);
            if (!cached || !(*cached == ns))
                self->m_registry->applyRemote(ns);
        }
        for (const store::NamespaceRecord &ns : self->m_registry->all())
            if (!present.contains(ns.key))
                self->m_registry->applyRemoteRemoval(ns.key);
    });
}

void ClusterBus::publish(const QByteArray &channel, const BusMessage &message)
{
    BusMessage m = message;
    m.origin = m_nodeId;
    QPointer<ClusterBus> self(this);
    ++m_published;
    // Routed by the channel name (spreads publishes over a cluster's masters;
    // Redis Cluster forwards classic PUBLISH to every node).
    m_publisher->execute(channel, {QByteArrayLiteral("PUBLISH"), channel, encodeBusMessage(m)},
                         [self, channel](const store::RedisValue &v) {
                             if (!self)
                                 return;
                             if (!v.isError()) {
                                 self->m_publishWarned = false;
                                 return;
                             }
                             ++self->m_publishFailures;
                             // One warning per outage, not one per push.
                             if (!std::exchange(self->m_publishWarned, true))
                                 qCWarning(lcCluster).noquote()
                                     << "publish on" << QString::fromUtf8(channel)
                                     << "failed:" << QString::fromUtf8(v.bytes());
                         });
}

void ClusterBus::onMessage(const QByteArray &channel, const QByteArray &payload)
{
    std::optional<BusMessage> m = decodeBusMessage(payload);
    if (!m) {
        ++m_rejected;
        qCWarning(lcCluster).noquote()
            << "ignored a malformed bus message on" << QString::fromUtf8(channel);
        return;
    }
    if (m->origin == m_nodeId)
        return; // delivered locally already
    ++m_received;
    switch (m->kind) {
    case BusMessage::Kind::Push:
        if (m_options.deliver && m_pipeline && channel == namespaceChannel(m->push.nsp))
            m_pipeline->deliverLocal(m->push);
        break;
    case BusMessage::Kind::Transfer:
        if (m_options.deliver && m_live && channel == namespaceChannel(m->nsp))
            m_live->applyTransfer(m->nsp, m->clientIds, m->targetRoom, m->join,
                                  QJsonDocument::fromJson(m->payload).object());
        break;
    case BusMessage::Kind::RoomEvent:
        if (m_options.deliver && m_live && channel == namespaceChannel(m->nsp) &&
            (m->event == u"peopleJoin" || m->event == u"peopleLeave"))
            m_live->deliver(m->nsp, m->room, m->exceptClient, m->event,
                            {QJsonDocument::fromJson(m->payload).object()});
        break;
    case BusMessage::Kind::NamespaceChanged:
        if (m_registry && channel == controlChannel())
            m_registry->reload(m->nsp);
        break;
    }
}

} // namespace qpush::cluster
