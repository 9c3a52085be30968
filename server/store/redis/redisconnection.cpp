#include "redisconnection.h"

#include "../logging.h"

#include <QSocketNotifier>
#include <QTimer>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace qpush::store {

namespace {

struct ReplyContext
{
    RedisConnection *connection;
    RedisConnection::ReplyFn fn;
};

RedisConnection *self(const redisAsyncContext *ctx)
{
    return static_cast<RedisConnection *>(ctx->data);
}

} // namespace

RedisConnection::RedisConnection(RedisConnectionOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
    m_reconnectTimer = new QTimer(this);
    m_reconnectTimer->setSingleShot(true);
    connect(m_reconnectTimer, &QTimer::timeout, this, &RedisConnection::connectNow);
    m_connectTimer = new QTimer(this);
    m_connectTimer->setSingleShot(true);
    connect(m_connectTimer, &QTimer::timeout, this, [this]() {
        if (m_state != State::Connecting || !m_ctx)
            return;
        qCWarning(lcStoreRedis).noquote() << "connect to" << address() << "timed out";
        redisAsyncContext *ctx = m_ctx;
        m_ctx = nullptr;
        redisAsyncFree(ctx);
        goDown(QByteArrayLiteral("connect timeout"));
    });
    m_replyTimer = new QTimer(this);
    m_replyTimer->setSingleShot(true);
    connect(m_replyTimer, &QTimer::timeout, this, &RedisConnection::onReplyTimeout);
}

void RedisConnection::onReplyTimeout()
{
    if (!m_ctx || m_outstanding <= 0)
        return;
    qCWarning(lcStoreRedis).noquote()
        << address() << "sent no reply for" << m_options.commandTimeoutMs
        << "ms; dropping the connection";
    redisAsyncContext *ctx = m_ctx;
    m_ctx = nullptr;
    redisAsyncFree(ctx); // fails every outstanding callback
    m_outstanding = 0;
    m_replyTimer->stop();
    if (m_state != State::Down)
        goDown(QByteArrayLiteral("reply timeout"));
}

RedisConnection::~RedisConnection()
{
    m_destroying = true;
    if (m_ctx) {
        redisAsyncContext *ctx = m_ctx;
        m_ctx = nullptr;
        redisAsyncFree(ctx);
    }
}

QString RedisConnection::address() const
{
    return m_options.host + u':' + QString::number(m_options.port);
}

void RedisConnection::start()
{
    if (m_state == State::Idle)
        connectNow();
}

void RedisConnection::connectNow()
{
    if (m_ctx)
        return;
    m_state = State::Connecting;
    redisAsyncContext *ctx = redisAsyncConnect(m_options.host.toUtf8().constData(), m_options.port);
    if (!ctx || ctx->err) {
        const QByteArray why = ctx ? QByteArray(ctx->errstr) : QByteArrayLiteral("out of memory");
        if (ctx)
            redisAsyncFree(ctx);
        goDown(why);
        return;
    }
    m_ctx = ctx;
    ctx->data = this;
    ctx->ev.data = this;
    ctx->ev.addRead = &RedisConnection::addRead;
    ctx->ev.delRead = &RedisConnection::delRead;
    ctx->ev.addWrite = &RedisConnection::addWrite;
    ctx->ev.delWrite = &RedisConnection::delWrite;
    ctx->ev.cleanup = &RedisConnection::cleanup;
    m_readNotifier = std::make_unique<QSocketNotifier>(ctx->c.fd, QSocketNotifier::Read);
    m_readNotifier->setEnabled(false);
    connect(m_readNotifier.get(), &QSocketNotifier::activated, this, &RedisConnection::onReadable);
    m_writeNotifier = std::make_unique<QSocketNotifier>(ctx->c.fd, QSocketNotifier::Write);
    m_writeNotifier->setEnabled(false);
    connect(m_writeNotifier.get(), &QSocketNotifier::activated, this, &RedisConnection::onWritable);
    redisAsyncSetConnectCallback(ctx, &RedisConnection::onConnect);
    redisAsyncSetDisconnectCallback(ctx, &RedisConnection::onDisconnect);
    m_connectTimer->start(m_options.connectTimeoutMs);
    // Queued before the connect completes; hiredis writes them once it does
    // (and the first write is what tells it the connect finished).
    handshake();
}

void RedisConnection::handshake()
{
    std::vector<QByteArrayList> commands;
    if (!m_options.password.isEmpty())
        commands.push_back({QByteArrayLiteral("AUTH"), m_options.password.toUtf8()});
    if (m_options.db != 0)
        commands.push_back({QByteArrayLiteral("SELECT"), QByteArray::number(m_options.db)});
    for (const QByteArray &script : std::as_const(m_options.scripts))
        commands.push_back({QByteArrayLiteral("SCRIPT"), QByteArrayLiteral("LOAD"), script});
    commands.push_back({QByteArrayLiteral("PING")});
    m_handshakePending = int(commands.size());
    m_handshakeFailed = false;
    const quint64 generation = ++m_generation;
    for (const QByteArrayList &argv : commands) {
        write(argv, [this, generation, what = argv.first()](const RedisValue &v) {
            if (generation != m_generation || !m_ctx || m_state != State::Connecting)
                return; // a reply from an earlier, failed attempt
            if (v.isError()) {
                if (!m_handshakeFailed && !std::exchange(m_handshakeWarned, true))
                    qCWarning(lcStoreRedis).noquote() << address() << QString::fromLatin1(what)
                                                      << "failed:" << QString::fromUtf8(v.bytes());
                m_handshakeFailed = true;
            }
            if (--m_handshakePending > 0)
                return;
            if (m_handshakeFailed) {
                redisAsyncContext *c = m_ctx;
                m_ctx = nullptr;
                redisAsyncFree(c);
                goDown(QByteArrayLiteral("handshake failed"));
            } else {
                becomeReady();
            }
        });
    }
}

void RedisConnection::becomeReady()
{
    m_connectTimer->stop();
    m_state = State::Ready;
    m_backoffMs = 0;
    m_handshakeWarned = false;
    const bool recovered = m_everReady;
    m_everReady = true;
    qCInfo(lcStoreRedis).noquote() << (recovered ? "reconnected to" : "connected to") << address();
    std::vector<Pending> waiting;
    waiting.swap(m_waiting);
    for (Pending &p : waiting) {
        if (p.asking)
            write({QByteArrayLiteral("ASKING")}, {});
        write(p.argv, std::move(p.fn));
    }
    Q_EMIT readyChanged(true);
}

void RedisConnection::goDown(const QByteArray &why)
{
    m_connectTimer->stop();
    m_replyTimer->stop();
    m_outstanding = 0;
    const State previous = m_state;
    m_state = State::Down;
    std::vector<Pending> waiting;
    waiting.swap(m_waiting);
    for (Pending &p : waiting)
        failLater(std::move(p.fn), why);
    if (m_destroying)
        return;
    if (previous == State::Ready) {
        qCWarning(lcStoreRedis).noquote() << "lost" << address() << ":" << QString::fromUtf8(why);
        Q_EMIT readyChanged(false);
    }
    scheduleReconnect();
    // Every failed attempt says so (at most one line per reconnect_max, 5 s):
    // an operator starting a node with Redis down sees why at once.
    if (previous != State::Ready)
        qCWarning(lcStoreRedis).noquote().nospace()
            << "cannot connect to redis at " << address() << ": " << QString::fromUtf8(why)
            << "; retrying in " << m_backoffMs << " ms";
}

void RedisConnection::scheduleReconnect()
{
    m_backoffMs = m_backoffMs == 0 ? m_options.reconnectMinMs
                                   : std::min(m_backoffMs * 2, m_options.reconnectMaxMs);
    m_reconnectTimer->start(m_backoffMs);
}

void RedisConnection::send(const QByteArrayList &argv, ReplyFn fn)
{
    if (m_state == State::Ready && m_ctx) {
        write(argv, std::move(fn));
    } else if ((m_state == State::Connecting && !m_everReady && m_backoffMs == 0) ||
               m_state == State::Idle) {
        m_waiting.push_back({argv, std::move(fn), false});
        start();
    } else {
        failLater(std::move(fn), QByteArrayLiteral("not connected to ") + address().toUtf8());
    }
}

void RedisConnection::sendAsking(const QByteArrayList &argv, ReplyFn fn)
{
    if (m_state == State::Ready && m_ctx) {
        write({QByteArrayLiteral("ASKING")}, {});
        write(argv, std::move(fn));
    } else if ((m_state == State::Connecting && !m_everReady && m_backoffMs == 0) ||
               m_state == State::Idle) {
        m_waiting.push_back({argv, std::move(fn), true});
        start();
    } else {
        failLater(std::move(fn), QByteArrayLiteral("not connected to ") + address().toUtf8());
    }
}

void RedisConnection::write(const QByteArrayList &argv, ReplyFn fn)
{
    if (!m_ctx) {
        failLater(std::move(fn), QByteArrayLiteral("not connected"));
        return;
    }
    std::vector<const char *> args;
    std::vector<size_t> lens;
    args.reserve(std::size_t(argv.size()));
    lens.reserve(std::size_t(argv.size()));
    for (const QByteArray &a : argv) {
        args.push_back(a.constData());
        lens.push_back(size_t(a.size()));
    }
    auto *rc = new ReplyContext{this, std::move(fn)};
    if (redisAsyncCommandArgv(m_ctx, &RedisConnection::onReply, rc, int(args.size()), args.data(),
                              lens.data()) != REDIS_OK) {
        ReplyFn f = std::move(rc->fn);
        delete rc;
        failLater(std::move(f), QByteArrayLiteral("connection is closing"));
        return;
    }
    if (m_outstanding++ == 0 && m_options.commandTimeoutMs > 0)
        m_replyTimer->start(m_options.commandTimeoutMs);
}

void RedisConnection::failLater(ReplyFn fn, const QByteArray &why)
{
    if (!fn)
        return;
    if (m_collected.empty())
        QMetaObject::invokeMethod(this, &RedisConnection::deliverCollected, Qt::QueuedConnection);
    m_collected.push_back({std::move(fn), RedisValue::transportError(why)});
}

void RedisConnection::deliverCollected()
{
    std::vector<Delivery> batch;
    batch.swap(m_collected);
    QPointer<RedisConnection> guard(this);
    for (Delivery &d : batch) {
        d.fn(d.value);
        if (!guard)
            return; // our owner went away inside a callback
    }
}

void RedisConnection::onReadable()
{
    if (m_ctx)
        redisAsyncHandleRead(m_ctx);
}

void RedisConnection::onWritable()
{
    if (m_ctx)
        redisAsyncHandleWrite(m_ctx);
}

// ------------------------------------------------------------ hiredis hooks

void RedisConnection::onConnect(const redisAsyncContext *ctx, int status)
{
    RedisConnection *c = self(ctx);
    if (!c || status == REDIS_OK)
        return; // ready once the handshake replies arrive
    // hiredis frees the context after this callback.
    c->m_ctx = nullptr;
    if (!c->m_destroying)
        c->goDown(QByteArray(ctx->errstr));
}

void RedisConnection::onDisconnect(const redisAsyncContext *ctx, int status)
{
    RedisConnection *c = self(ctx);
    if (!c)
        return;
    c->m_ctx = nullptr;
    if (!c->m_destroying)
        c->goDown(status == REDIS_OK ? QByteArrayLiteral("disconnected") : QByteArray(ctx->errstr));
}

void RedisConnection::onReply(redisAsyncContext *, void *reply, void *privdata)
{
    auto *rc = static_cast<ReplyContext *>(privdata);
    RedisConnection *c = rc->connection;
    if (!c->m_destroying && c->m_outstanding > 0) {
        // Progress: the server answers. Time the next reply afresh.
        if (--c->m_outstanding == 0)
            c->m_replyTimer->stop();
        else if (c->m_options.commandTimeoutMs > 0)
            c->m_replyTimer->start(c->m_options.commandTimeoutMs);
    }
    if (!c->m_destroying && rc->fn) {
        // Delivered from the event loop, never from inside hiredis: a callback
        // may then send, or even destroy the store, safely.
        if (c->m_collected.empty())
            QMetaObject::invokeMethod(c, &RedisConnection::deliverCollected, Qt::QueuedConnection);
        c->m_collected.push_back(
            {std::move(rc->fn), RedisValue::fromReply(static_cast<redisReply *>(reply))});
    }
    delete rc;
}

void RedisConnection::addRead(void *data)
{
    if (auto *c = static_cast<RedisConnection *>(data); c->m_readNotifier)
        c->m_readNotifier->setEnabled(true);
}

void RedisConnection::delRead(void *data)
{
    if (auto *c = static_cast<RedisConnection *>(data); c->m_readNotifier)
        c->m_readNotifier->setEnabled(false);
}

void RedisConnection::addWrite(void *data)
{
    if (auto *c = static_cast<RedisConnection *>(data); c->m_writeNotifier)
        c->m_writeNotifier->setEnabled(true);
}

void RedisConnection::delWrite(void *data)
{
    if (auto *c = static_cast<RedisConnection *>(data); c->m_writeNotifier)
        c->m_writeNotifier->setEnabled(false);
}

void RedisConnection::cleanup(void *data)
{
    auto *c = static_cast<RedisConnection *>(data);
    // May run inside a notifier's own activated() signal: delete later.
    for (auto *n : {&c->m_readNotifier, &c->m_writeNotifier}) {
        if (*n) {
            (*n)->setEnabled(false);
            n->release()->deleteLater();
        }
    }
    c->m_ctx = nullptr;
}

} // namespace qpush::store
