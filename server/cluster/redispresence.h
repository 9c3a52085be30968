#pragma once
// The online state of a deployment of several nodes, in Redis (issue 15):
// which clients are online, on which node, in which rooms, so that
// expectAckCount, online reports and the namespace list count every node.
//
// Ownership: each node writes only its own clients, under its node id; a
// client's entry names the node and the connection that own it, so that a
// client that moved to another node (or reconnected here) is not removed by
// its old connection's late goodbye. Writes are fire-and-forget, batched per
// namespace and event-loop pass into one script call (no Redis round trip in
// a client's connect sequence). Counting a room is one SCARD.
//
// Liveness: every node refreshes `<prefix>on:{nodes}:<id>` (TTL
// node_timeout) every node_timeout/3; the same script lists it in
// `<prefix>on:{nodes}`, and nothing is written under an id before that.
// Every node looks for listed nodes whose key expired; one of them (a lock
// with SET NX) removes the dead node's entries, namespace by namespace
// (idempotent), then unlists it. A node that finds its own key gone (it was
// cut off, or Redis lost its data) or whose writes failed takes a new node
// id and, once that is registered, writes its online clients again and
// removes what is left under the old id. A clean shutdown removes the
// node's entries at once.
//
// Keys (all of one namespace share its hash tag, so each script stays in one
// slot of a Redis Cluster): docs/storage.md, "Online state".

#include "push/presence.h"

#include "store/redis/redisclient.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>

namespace qpush::push {
class NamespaceRegistry;
class LiveClients;
} // namespace qpush::push

namespace qpush::cluster {

struct RedisPresenceOptions
{
    QStringList addresses; ///< redis_address: one node, or cluster seeds
    bool cluster = false;
    QString password;
    int db = 0;
    QString prefix;            ///< redis_prefix
    int nodeTimeoutMs = 15000; ///< node_timeout
    int reconnectMinMs = 100;
    int reconnectMaxMs = 5000;
};

class RedisPresence : public QObject, public push::Presence
{
    Q_OBJECT
public:
    RedisPresence(RedisPresenceOptions options, push::NamespaceRegistry *registry,
                  push::LiveClients *live, QObject *parent = nullptr);
    ~RedisPresence() override;

    /// Connects, registers this node and starts the heartbeat.
    void start();
    /// Removes this node's entries and its heartbeat; `done` runs when Redis
    /// answered (or failed). Later changes are not written.
    void shutdown(std::function<void()> done);

    QByteArray nodeId() const { return m_nodeId; }
    bool isAvailable() const { return m_client->isAvailable(); }
    /// Registered (heartbeat set): this node's changes are written.
    bool isWriting() const { return m_writable; }
    qint64 reapedNodes() const { return m_reaped; }
    qint64 resyncs() const { return m_resyncs; }

    // This node's changes, in the order they happen: connected to the
    // signals of `live` (tests call them directly).
    void clientOnline(const push::OnlineClient &client);
    void clientOffline(const push::OnlineClient &client);
    void roomChanged(const push::OnlineClient &client, const QString &room, bool joined);

    void clearNamespace(const QString &nsp) override;

    void countRoom(const QString &nsp, const QString &room, const QString &exceptClient,
                   std::function<void(qint64)> done) override;
    void roomOnline(const QString &nsp, const QStringList &rooms,
                    std::function<void(QList<push::OnlineCounts>)> done) override;
    void namespaceOnline(const QString &nsp, bool detail, int listLimit,
                         std::function<void(QJsonObject)> done) override;

private:
    QByteArray base(const QString &nsp) const;
    QByteArray globalKey(const QByteArray &name) const;
    QByteArray nodesKey() const;
    QByteArray nodeKey(const QByteArray &node) const;
    void queue(const QString &nsp, QByteArrayList words);
    void flush();
    void onWriteReply(const store::RedisValue &v);
    void beat();
    void becomeWritable();
    void reap();
    void reapNode(const QByteArray &node);
    void dropNode(const QByteArray &node, std::function<void()> done);
    void dropNamespace(const QString &nsp, const QByteArray &node, std::function<void()> done);
    void resync();
    void queryFailed(const store::RedisValue &v);

    RedisPresenceOptions m_options;
    QByteArray m_prefix;
    QPointer<push::NamespaceRegistry> m_registry;
    QPointer<push::LiveClients> m_live;
    std::unique_ptr<store::RedisClient> m_client;
    store::RedisScript m_apply, m_drop, m_clear, m_count, m_rooms, m_nsp, m_register;
    QByteArray m_nodeId;
    QHash<QString, QByteArrayList> m_pending; // namespace -> op words of this pass
    QStringList m_pendingOrder;
    bool m_flushQueued = false;
    bool m_started = false;
    bool m_closing = false;
    QByteArrayList m_oldIds;   // earlier ids of this node, entries to remove
    bool m_registered = false; // this node id's heartbeat key was set
    bool m_writable = false;   // registered once: changes are written under m_nodeId
    bool m_dirty = false;      // a write failed: resync when Redis is back
    bool m_queryWarned = false;
    QTimer m_heartbeat;
    qint64 m_reaped = 0;
    qint64 m_resyncs = 0;
};

} // namespace qpush::cluster
