#pragma once
// One Redis pub/sub connection (SUBSCRIBE side) driven by the Qt event loop:
// a QTcpSocket and hiredis's RESP reader (hiredis 0.14's async API cannot
// leave subscribed mode cleanly nor resubscribe after a reconnect). It keeps
// the wanted channel set and re-sends SUBSCRIBE for all of it after every
// (re)connect, reconnects with exponential backoff (rotating over the given
// addresses: on a Redis Cluster any node carries every classic PUBLISH), and
// PINGs while idle so a hung server is noticed. Pub/sub is at-most-once:
// messages published while this connection is down are lost.

#include <QByteArray>
#include <QObject>
#include <QSet>
#include <QStringList>

class QTcpSocket;
class QTimer;

namespace qpush::store {

struct RedisSubscriberOptions
{
    QStringList addresses; ///< "host:port"; tried in turn after failures
    QString password;      ///< AUTH before subscribing, when not empty
    int connectTimeoutMs = 3000;
    int reconnectMinMs = 100;
    int reconnectMaxMs = 5000;
    /// Idle check: a PING every interval; no byte for two intervals drops the
    /// connection (then reconnect + resubscribe).
    int pingIntervalMs = 5000;
    /// A reply (or unparsed input) above this size drops the connection.
    qint64 maxReplyBytes = 64 * 1024 * 1024;
};

class RedisSubscriber : public QObject
{
    Q_OBJECT
public:
    explicit RedisSubscriber(RedisSubscriberOptions options, QObject *parent = nullptr);
    ~RedisSubscriber() override;

    void start();
    /// Connected, authenticated and every wanted channel confirmed.
    bool isReady() const { return m_ready; }
    /// Adds/removes a channel of the wanted set (sent at once when connected).
    void subscribe(const QByteArray &channel);
    void unsubscribe(const QByteArray &channel);
    QSet<QByteArray> channels() const { return m_wanted; }
    QString currentAddress() const;

Q_SIGNALS:
    void message(const QByteArray &channel, const QByteArray &payload);
    /// Redis confirmed a SUBSCRIBE (after every reconnect too).
    void subscribed(const QByteArray &channel);
    void readyChanged(bool ready);

private:
    void connectNow();
    void onConnected();
    void onReadyRead();
    void onDisconnected();
    void onPingTimer();
    void scheduleReconnect();
    void dropConnection(const QString &why);
    void sendCommand(const QByteArrayList &argv);
    bool handleReply(void *reply); // false: the connection was dropped
    void setReady(bool ready);
    void updateReady();

    RedisSubscriberOptions m_options;
    QTcpSocket *m_socket = nullptr;
    QTimer *m_reconnectTimer = nullptr;
    QTimer *m_connectTimer = nullptr;
    QTimer *m_pingTimer = nullptr;
    void *m_reader = nullptr; // redisReader
    QSet<QByteArray> m_wanted;
    QSet<QByteArray> m_confirmed;
    int m_addressIndex = 0;
    int m_backoffMs = 0;
    bool m_started = false;
    bool m_authPending = false;
    bool m_ready = false;
    bool m_connected = false;
    bool m_awaitingData = false; // a PING went out and nothing came back yet
    bool m_warned = false;       // one warning per outage
};

} // namespace qpush::store
