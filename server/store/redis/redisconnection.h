#pragma once
// One hiredis async connection driven by the Qt event loop through our own
// small adapter (QSocketNotifier per direction; hiredis's bundled
// adapters/qt.h uses string-based connects that do not work with Qt 6 and
// QT_NO_KEYWORDS). Handles the handshake (AUTH, SELECT, SCRIPT LOAD),
// reconnects with exponential backoff and fails fast while down.

#include "redisvalue.h"

#include <QByteArrayList>
#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>
#include <vector>

struct redisAsyncContext;
class QSocketNotifier;
class QTimer;

namespace qpush::store {

struct RedisConnectionOptions
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    QString password;
    int db = 0; ///< SELECTed when not 0 (never in cluster mode)
    int connectTimeoutMs = 3000;
    int reconnectMinMs = 100;
    int reconnectMaxMs = 5000;
    /// A connection with replies outstanding and none arriving for this long
    /// is dropped (its callers get Unavailable): a hung server fails fast too.
    int commandTimeoutMs = 5000;
    QByteArrayList scripts; ///< Lua bodies to SCRIPT LOAD on every connect
};

class RedisConnection : public QObject
{
    Q_OBJECT
public:
    using ReplyFn = std::function<void(const RedisValue &)>;
    enum class State { Idle, Connecting, Ready, Down };

    explicit RedisConnection(RedisConnectionOptions options, QObject *parent = nullptr);
    ~RedisConnection() override;

    void start();
    State state() const { return m_state; }
    bool isReady() const { return m_state == State::Ready; }
    QString address() const;

    /// Sends a command (pipelined behind earlier ones). While the first
    /// connect is in progress commands wait for it; while Down they fail at
    /// once with a transport error. Replies arrive later, never inside send().
    void send(const QByteArrayList &argv, ReplyFn fn);
    /// ASKING followed by the command, back to back on this connection.
    void sendAsking(const QByteArrayList &argv, ReplyFn fn);

Q_SIGNALS:
    void readyChanged(bool ready);

private:
    struct Pending
    {
        QByteArrayList argv;
        ReplyFn fn;
        bool asking = false;
    };
    struct Delivery
    {
        ReplyFn fn;
        RedisValue value;
    };

    void connectNow();
    void scheduleReconnect();
    void handshake();
    void becomeReady();
    void goDown(const QByteArray &why);
    void write(const QByteArrayList &argv, ReplyFn fn);
    void failLater(ReplyFn fn, const QByteArray &why);
    void deliverCollected();
    void onReadable();
    void onWritable();
    void onReplyTimeout();

    // hiredis hooks
    static void onConnect(const redisAsyncContext *ctx, int status);
    static void onDisconnect(const redisAsyncContext *ctx, int status);
    static void onReply(redisAsyncContext *ctx, void *reply, void *privdata);
    static void addRead(void *data);
    static void delRead(void *data);
    static void addWrite(void *data);
    static void delWrite(void *data);
    static void cleanup(void *data);

    RedisConnectionOptions m_options;
    State m_state = State::Idle;
    redisAsyncContext *m_ctx = nullptr;
    std::unique_ptr<QSocketNotifier> m_readNotifier;
    std::unique_ptr<QSocketNotifier> m_writeNotifier;
    QTimer *m_reconnectTimer = nullptr;
    QTimer *m_connectTimer = nullptr;
    QTimer *m_replyTimer = nullptr; // runs while replies are outstanding
    qint64 m_outstanding = 0;
    int m_backoffMs = 0;
    bool m_everReady = false;
    bool m_destroying = false;
    std::vector<Pending> m_waiting;    // queued during the first connect
    std::vector<Delivery> m_collected; // replies read, to deliver outside hiredis
    quint64 m_generation = 0;
    int m_handshakePending = 0;
    bool m_handshakeFailed = false;
    bool m_handshakeWarned = false; // one warning per outage, not per retry
};

} // namespace qpush::store
