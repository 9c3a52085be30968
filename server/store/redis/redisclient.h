#pragma once
// Routes commands to Redis: one connection for a single node, or a
// connection per master of a Redis Cluster with the slot map read by
// CLUSTER SLOTS, CRC16 key slots ({hash tag} rule), MOVED (map updated,
// command retried) and ASK (ASKING + retry) followed, and the map refreshed
// after redirects and connection errors. Lua scripts run by EVALSHA; they
// are loaded on every connect and re-sent as EVAL after NOSCRIPT.

#include "metrics/servermetrics.h"
#include "redisconnection.h"

#include <QHash>
#include <QObject>

#include <array>
#include <map>
#include <memory>

namespace qpush::store {

/// CRC16-XMODEM of the key's hash tag (or of the whole key), mod 16384.
int redisKeySlot(const QByteArray &key);

struct RedisScript
{
    QByteArray body;
    QByteArray sha1; ///< hex, as EVALSHA wants it
    static RedisScript fromBody(QByteArray body);
};

struct RedisClientOptions
{
    metrics::ServerMetrics *metrics = nullptr; // not owned; null: not counted
    QStringList addresses;                     ///< "host:port"; several = cluster seeds
    bool cluster = false;
    QString password;
    int db = 0;
    int connectTimeoutMs = 3000;
    int reconnectMinMs = 100;
    int reconnectMaxMs = 5000;
    int commandTimeoutMs = 5000;
    int maxRedirects = 8;
    int tryAgainDelayMs = 50;
    QList<RedisScript> scripts;
};

class RedisClient : public QObject
{
    Q_OBJECT
public:
    using ReplyFn = RedisConnection::ReplyFn;

    explicit RedisClient(RedisClientOptions options, QObject *parent = nullptr);
    ~RedisClient() override;

    void start();
    /// Single node: connected. Cluster: a slot map is known and every
    /// master in it is connected.
    bool isAvailable() const;
    bool isCluster() const { return m_options.cluster; }

    /// `routingKey` picks the node (any key of the command; empty: any node).
    void execute(const QByteArray &routingKey, const QByteArrayList &argv, ReplyFn fn);
    /// EVALSHA with NOSCRIPT fallback; keys[0] routes.
    void eval(const RedisScript &script, const QByteArrayList &keys, const QByteArrayList &args,
              ReplyFn fn);

Q_SIGNALS:
    void availabilityChanged(bool available);

private:
    struct Attempt
    {
        QByteArray routingKey;
        QByteArrayList argv;
        ReplyFn fn;
        int redirects = 0;
        QString askTarget; ///< set after ASK: send once, with ASKING, there
    };

    RedisConnection *connectionFor(const QString &address);
    void dispatch(std::shared_ptr<Attempt> attempt);
    void onReply(const std::shared_ptr<Attempt> &attempt, const RedisValue &v);
    void refreshSlots();
    void applySlots(const RedisValue &v, const QString &from);
    void updateAvailability();

    RedisClientOptions m_options;
    std::map<QString, std::unique_ptr<RedisConnection>> m_connections;
    std::array<QString, 16384> m_slots; // owner "host:port" of each slot (cluster)
    bool m_haveSlots = false;
    bool m_refreshing = false;
    bool m_refreshAgain = false;
    bool m_available = false;
};

} // namespace qpush::store
