#include "redisclient.h"

#include "../logging.h"

#include <QCryptographicHash>
#include <QSet>
#include <QTimer>

#include <chrono>

namespace qpush::store {

namespace {

quint16 crc16Xmodem(const char *data, qsizetype len)
{
    quint16 crc = 0;
    for (qsizetype i = 0; i < len; ++i) {
        crc ^= quint16(quint8(data[i])) << 8;
        for (int b = 0; b < 8; ++b)
            crc = (crc & 0x8000) ? quint16((crc << 1) ^ 0x1021) : quint16(crc << 1);
    }
    return crc;
}

/// "host:port" from a MOVED / ASK error: "MOVED 3999 127.0.0.1:6381".
std::pair<int, QString> parseRedirect(const QByteArray &error)
{
    const QList<QByteArray> parts = error.split(' ');
    if (parts.size() < 3)
        return {-1, {}};
    return {parts[1].toInt(), QString::fromUtf8(parts[2])};
}

} // namespace

int redisKeySlot(const QByteArray &key)
{
    const qsizetype open = key.indexOf('{');
    if (open >= 0) {
        const qsizetype close = key.indexOf('}', open + 1);
        if (close > open + 1)
            return crc16Xmodem(key.constData() + open + 1, close - open - 1) & 16383;
    }
    return crc16Xmodem(key.constData(), key.size()) & 16383;
}

RedisScript RedisScript::fromBody(QByteArray body)
{
    RedisScript s;
    s.sha1 = QCryptographicHash::hash(body, QCryptographicHash::Sha1).toHex();
    s.body = std::move(body);
    return s;
}

RedisClient::RedisClient(RedisClientOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
}

RedisClient::~RedisClient() = default;

void RedisClient::start()
{
    for (const QString &address : std::as_const(m_options.addresses))
        connectionFor(address);
}

RedisConnection *RedisClient::connectionFor(const QString &address)
{
    auto it = m_connections.find(address);
    if (it != m_connections.end())
        return it->second.get();
    RedisConnectionOptions o;
    const qsizetype colon = address.lastIndexOf(u':');
    o.host = colon > 0 ? address.left(colon) : address;
    o.port = colon > 0 ? quint16(address.mid(colon + 1).toUInt()) : quint16(6379);
    o.password = m_options.password;
    o.db = m_options.cluster ? 0 : m_options.db;
    o.connectTimeoutMs = m_options.connectTimeoutMs;
    o.reconnectMinMs = m_options.reconnectMinMs;
    o.reconnectMaxMs = m_options.reconnectMaxMs;
    o.commandTimeoutMs = m_options.commandTimeoutMs;
    for (const RedisScript &s : std::as_const(m_options.scripts))
        o.scripts.append(s.body);
    auto connection = std::make_unique<RedisConnection>(o, this);
    RedisConnection *c = connection.get();
    connect(c, &RedisConnection::readyChanged, this, [this](bool ready) {
        if (m_options.cluster && (!ready || !m_haveSlots))
            refreshSlots();
        updateAvailability();
    });
    m_connections.emplace(address, std::move(connection));
    c->start();
    return c;
}

bool RedisClient::isAvailable() const
{
    return m_available;
}

void RedisClient::updateAvailability()
{
    bool available = false;
    if (!m_options.cluster) {
        available = !m_connections.empty() && m_connections.begin()->second->isReady();
    } else if (m_haveSlots) {
        QSet<QString> masters;
        for (const QString &a : m_slots) {
            if (!a.isEmpty())
                masters.insert(a);
        }
        available = !masters.isEmpty();
        for (const QString &a : std::as_const(masters)) {
            auto it = m_connections.find(a);
            if (it == m_connections.end() || !it->second->isReady())
                available = false;
        }
    }
    if (available != m_available) {
        m_available = available;
        Q_EMIT availabilityChanged(available);
    }
}

void RedisClient::execute(const QByteArray &routingKey, const QByteArrayList &argv, ReplyFn fn)
{
    auto attempt = std::make_shared<Attempt>();
    attempt->routingKey = routingKey;
    attempt->argv = argv;
    attempt->fn = fn ? std::move(fn) : ReplyFn([](const RedisValue &) {});
    if (auto *m = m_options.metrics) // qpush_store_operation_duration_seconds, per command
        attempt->fn = [m, start = std::chrono::steady_clock::now(),
                       fn = std::move(attempt->fn)](const RedisValue &v) {
            m->storeOperation(
                std::chrono::nanoseconds(std::chrono::steady_clock::now() - start).count(),
                v.isError());
            fn(v);
        };
    dispatch(std::move(attempt));
}

void RedisClient::eval(const RedisScript &script, const QByteArrayList &keys,
                       const QByteArrayList &args, ReplyFn fn)
{
    QByteArrayList argv;
    argv.reserve(keys.size() + args.size() + 3);
    argv << QByteArrayLiteral("EVALSHA") << script.sha1 << QByteArray::number(keys.size());
    argv += keys;
    argv += args;
    const QByteArray routing = keys.value(0);
    execute(
        routing, argv,
        [this, routing, argv, body = script.body, fn = std::move(fn)](const RedisValue &v) mutable {
            if (v.errorKind() != "NOSCRIPT") {
                if (fn)
                    fn(v);
                return;
            }
            // The server lost its script cache (restart, SCRIPT FLUSH): EVAL
            // sends the body and caches it again.
            qCInfo(lcStoreRedis) << "NOSCRIPT: re-sending script body";
            argv[0] = QByteArrayLiteral("EVAL");
            argv[1] = body;
            execute(routing, argv, std::move(fn));
        });
}

void RedisClient::dispatch(std::shared_ptr<Attempt> attempt)
{
    auto onReply = [this, attempt](const RedisValue &v) { this->onReply(attempt, v); };
    if (!m_options.cluster) {
        if (m_connections.empty()) {
            QMetaObject::invokeMethod(
                this,
                [attempt]() {
                    attempt->fn(RedisValue::transportError(QByteArrayLiteral("no redis address")));
                },
                Qt::QueuedConnection);
            return;
        }
        m_connections.begin()->second->send(attempt->argv, std::move(onReply));
        return;
    }
    if (!attempt->askTarget.isEmpty()) {
        const QString target = std::exchange(attempt->askTarget, QString());
        connectionFor(target)->sendAsking(attempt->argv, std::move(onReply));
        return;
    }
    QString address;
    if (m_haveSlots) {
        address = m_slots[std::size_t(
            attempt->routingKey.isEmpty() ? 0 : redisKeySlot(attempt->routingKey))];
    }
    if (address.isEmpty()) {
        refreshSlots();
        QMetaObject::invokeMethod(
            this,
            [attempt]() {
                attempt->fn(
                    RedisValue::transportError(QByteArrayLiteral("cluster slot map not known")));
            },
            Qt::QueuedConnection);
        return;
    }
    connectionFor(address)->send(attempt->argv, std::move(onReply));
}

void RedisClient::onReply(const std::shared_ptr<Attempt> &attempt, const RedisValue &v)
{
    if (m_options.cluster) {
        const QByteArray kind = v.errorKind();
        if (kind == "MOVED" || kind == "ASK" || kind == "TRYAGAIN") {
            if (++attempt->redirects > m_options.maxRedirects) {
                qCWarning(lcStoreRedis).noquote() << "giving up after" << m_options.maxRedirects
                                                  << "redirects:" << QString::fromUtf8(v.bytes());
                attempt->fn(v);
                return;
            }
            qCDebug(lcStoreRedis).noquote() << "redirect:" << QString::fromUtf8(v.bytes());
            if (kind == "MOVED") {
                const auto [slot, address] = parseRedirect(v.bytes());
                if (slot >= 0 && slot < 16384 && !address.isEmpty()) {
                    m_slots[std::size_t(slot)] = address;
                    connectionFor(address);
                }
                refreshSlots(); // one slot moved: others probably did too
                dispatch(attempt);
            } else if (kind == "ASK") {
                attempt->askTarget = parseRedirect(v.bytes()).second;
                dispatch(attempt);
            } else {
                // TRYAGAIN: a multi-key command during a migration; retry soon.
                QTimer::singleShot(m_options.tryAgainDelayMs * attempt->redirects, this,
                                   [this, attempt]() { dispatch(attempt); });
            }
            return;
        }
        if (kind == "CLUSTERDOWN" || v.type() == RedisValue::Type::TransportError)
            refreshSlots();
    }
    attempt->fn(v);
}

void RedisClient::refreshSlots()
{
    if (!m_options.cluster)
        return;
    if (m_refreshing) {
        m_refreshAgain = true;
        return;
    }
    // Ask a connected node; prefer seeds' order for determinism.
    RedisConnection *from = nullptr;
    QString fromAddress;
    for (auto &[address, c] : m_connections) {
        if (c->isReady()) {
            from = c.get();
            fromAddress = address;
            break;
        }
    }
    if (!from) {
        for (const QString &seed : std::as_const(m_options.addresses))
            connectionFor(seed); // reconnecting by themselves; readyChanged brings us back
        return;
    }
    m_refreshing = true;
    m_refreshAgain = false;
    from->send({QByteArrayLiteral("CLUSTER"), QByteArrayLiteral("SLOTS")},
               [this, fromAddress](const RedisValue &v) {
                   m_refreshing = false;
                   applySlots(v, fromAddress);
                   if (m_refreshAgain) {
                       m_refreshAgain = false;
                       QTimer::singleShot(50, this, &RedisClient::refreshSlots);
                   }
               });
}

void RedisClient::applySlots(const RedisValue &v, const QString &from)
{
    if (!v.isArray()) {
        qCWarning(lcStoreRedis).noquote()
            << "CLUSTER SLOTS from" << from << "failed:" << QString::fromUtf8(v.bytes());
        return;
    }
    const QString fromHost = from.left(from.lastIndexOf(u':'));
    std::array<QString, 16384> slots;
    int covered = 0;
    for (const RedisValue &range : v.elements()) {
        const auto &e = range.elements();
        if (!range.isArray() || e.size() < 3 || !e[2].isArray() || e[2].elements().size() < 2)
            continue;
        const qint64 lo = e[0].toInteger(), hi = e[1].toInteger();
        QString host = QString::fromUtf8(e[2].elements()[0].bytes());
        if (host.isEmpty() || host == u"?")
            host = fromHost;
        const QString address = host + u':' + QString::number(e[2].elements()[1].toInteger());
        for (qint64 s = std::max<qint64>(lo, 0); s <= std::min<qint64>(hi, 16383); ++s) {
            slots[std::size_t(s)] = address;
            ++covered;
        }
    }
    if (covered == 0) {
        qCWarning(lcStoreRedis).noquote() << "CLUSTER SLOTS from" << from << "is empty";
        return;
    }
    m_slots = slots;
    m_haveSlots = true;
    QSet<QString> masters;
    for (const QString &a : m_slots) {
        if (!a.isEmpty())
            masters.insert(a);
    }
    for (const QString &a : std::as_const(masters))
        connectionFor(a);
    qCDebug(lcStoreRedis) << "slot map:" << covered << "slots on" << masters.size() << "masters";
    updateAvailability();
}

} // namespace qpush::store
