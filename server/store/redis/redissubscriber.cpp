#include "redissubscriber.h"

#include "../logging.h"

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include <hiredis/hiredis.h>

namespace qpush::store {

namespace {

redisReader *readerOf(void *p)
{
    return static_cast<redisReader *>(p);
}

QByteArray encodeCommand(const QByteArrayList &argv)
{
    QByteArray out = '*' + QByteArray::number(argv.size()) + "\r\n";
    for (const QByteArray &a : argv)
        out += '$' + QByteArray::number(a.size()) + "\r\n" + a + "\r\n";
    return out;
}

QByteArray replyBytes(const redisReply *r)
{
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
               r->type != REDIS_REPLY_ERROR))
        return {};
    return QByteArray(r->str, qsizetype(r->len));
}

} // namespace

RedisSubscriber::RedisSubscriber(RedisSubscriberOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
    m_reconnectTimer = new QTimer(this);
    m_reconnectTimer->setSingleShot(true);
    connect(m_reconnectTimer, &QTimer::timeout, this, &RedisSubscriber::connectNow);
    m_connectTimer = new QTimer(this);
    m_connectTimer->setSingleShot(true);
    connect(m_connectTimer, &QTimer::timeout, this,
            [this]() { dropConnection(QStringLiteral("connect timeout")); });
    m_pingTimer = new QTimer(this);
    connect(m_pingTimer, &QTimer::timeout, this, &RedisSubscriber::onPingTimer);
}

RedisSubscriber::~RedisSubscriber()
{
    if (m_socket) {
        QObject::disconnect(m_socket, nullptr, this, nullptr);
        m_socket->abort();
    }
    if (m_reader)
        redisReaderFree(readerOf(m_reader));
}

QString RedisSubscriber::currentAddress() const
{
    if (m_options.addresses.isEmpty())
        return QString();
    return m_options.addresses.at(m_addressIndex % m_options.addresses.size());
}

void RedisSubscriber::start()
{
    if (m_started)
        return;
    m_started = true;
    connectNow();
}

void RedisSubscriber::subscribe(const QByteArray &channel)
{
    if (m_wanted.contains(channel))
        return;
    m_wanted.insert(channel);
    if (m_connected)
        sendCommand({QByteArrayLiteral("SUBSCRIBE"), channel});
    updateReady();
}

void RedisSubscriber::unsubscribe(const QByteArray &channel)
{
    if (!m_wanted.remove(channel))
        return;
    m_confirmed.remove(channel);
    if (m_connected)
        sendCommand({QByteArrayLiteral("UNSUBSCRIBE"), channel});
    updateReady();
}

void RedisSubscriber::connectNow()
{
    if (m_socket || m_options.addresses.isEmpty())
        return;
    const QString address = currentAddress();
    const qsizetype colon = address.lastIndexOf(u':');
    const QString host = colon > 0 ? address.left(colon) : address;
    const quint16 port = colon > 0 ? address.mid(colon + 1).toUShort() : 6379;
    m_socket = new QTcpSocket(this);
    m_reader = redisReaderCreate();
    connect(m_socket, &QTcpSocket::connected, this, &RedisSubscriber::onConnected);
    connect(m_socket, &QTcpSocket::readyRead, this, &RedisSubscriber::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &RedisSubscriber::onDisconnected);
    connect(m_socket, &QTcpSocket::errorOccurred, this,
            [this]() { dropConnection(m_socket ? m_socket->errorString() : QString()); });
    m_connectTimer->start(m_options.connectTimeoutMs);
    m_socket->connectToHost(host, port);
}

void RedisSubscriber::onConnected()
{
    m_connectTimer->stop();
    m_connected = true;
    m_awaitingData = false;
    m_confirmed.clear();
    if (!m_options.password.isEmpty()) {
        m_authPending = true;
        sendCommand({QByteArrayLiteral("AUTH"), m_options.password.toUtf8()});
    }
    if (!m_wanted.isEmpty()) {
        QByteArrayList argv{QByteArrayLiteral("SUBSCRIBE")};
        for (const QByteArray &c : std::as_const(m_wanted))
            argv.append(c);
        sendCommand(argv);
    }
    m_pingTimer->start(m_options.pingIntervalMs);
    updateReady();
}

void RedisSubscriber::sendCommand(const QByteArrayList &argv)
{
    if (m_socket)
        m_socket->write(encodeCommand(argv));
}

void RedisSubscriber::onReadyRead()
{
    if (!m_socket)
        return;
    m_awaitingData = false;
    const QByteArray data = m_socket->readAll();
    redisReader *reader = readerOf(m_reader);
    if (redisReaderFeed(reader, data.constData(), size_t(data.size())) != REDIS_OK)
        return dropConnection(QStringLiteral("reader: ") + QString::fromUtf8(reader->errstr));
    QPointer<RedisSubscriber> self(this);
    for (;;) {
        void *reply = nullptr;
        if (redisReaderGetReply(reader, &reply) != REDIS_OK)
            return dropConnection(QStringLiteral("protocol error: ") +
                                  QString::fromUtf8(reader->errstr));
        if (!reply)
            break;
        const bool alive = handleReply(reply);
        freeReplyObject(reply);
        if (!self || !alive)
            return;
        reader = readerOf(m_reader);
    }
    // Bounded input: a reply that never completes cannot grow without limit.
    if (qint64(reader->len - reader->pos) > m_options.maxReplyBytes)
        dropConnection(QStringLiteral("reply larger than %1 bytes").arg(m_options.maxReplyBytes));
}

bool RedisSubscriber::handleReply(void *p)
{
    const auto *r = static_cast<const redisReply *>(p);
    if (r->type == REDIS_REPLY_ERROR) {
        dropConnection(QStringLiteral("Redis refused: ") + QString::fromUtf8(replyBytes(r)));
        return false;
    }
    if (r->type == REDIS_REPLY_STATUS) { // AUTH's OK, or PONG before any SUBSCRIBE
        if (m_authPending) {
            m_authPending = false;
            updateReady();
        }
        return true;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2)
        return true;
    const QByteArray kind = replyBytes(r->element[0]);
    const QByteArray channel = replyBytes(r->element[1]);
    if (kind == "message" && r->elements == 3) {
        if (m_wanted.contains(channel))
            Q_EMIT message(channel, replyBytes(r->element[2]));
    } else if (kind == "subscribe") {
        if (m_wanted.contains(channel) && !m_confirmed.contains(channel)) {
            m_confirmed.insert(channel);
            QPointer<RedisSubscriber> self(this);
            Q_EMIT subscribed(channel);
            if (!self)
                return true;
            updateReady();
        }
    }
    return true;
}

void RedisSubscriber::onPingTimer()
{
    if (!m_connected)
        return;
    if (m_awaitingData)
        return dropConnection(QStringLiteral("no answer to PING"));
    m_awaitingData = true;
    sendCommand({QByteArrayLiteral("PING")});
}

void RedisSubscriber::onDisconnected()
{
    dropConnection(QStringLiteral("connection closed"));
}

void RedisSubscriber::dropConnection(const QString &why)
{
    if (!m_socket)
        return;
    if (!m_warned) {
        m_warned = true;
        qCWarning(lcStoreRedis).noquote()
            << "subscriber connection to" << currentAddress() << "lost:" << why;
    }
    QTcpSocket *socket = std::exchange(m_socket, nullptr);
    QObject::disconnect(socket, nullptr, this, nullptr);
    socket->abort();
    socket->deleteLater();
    if (m_reader)
        redisReaderFree(readerOf(std::exchange(m_reader, nullptr)));
    m_connectTimer->stop();
    m_pingTimer->stop();
    m_connected = false;
    m_authPending = false;
    m_confirmed.clear();
    setReady(false);
    scheduleReconnect();
}

void RedisSubscriber::scheduleReconnect()
{
    ++m_addressIndex; // next seed: on a cluster any node carries PUBLISH
    m_backoffMs = m_backoffMs == 0 ? m_options.reconnectMinMs
                                   : qMin(m_backoffMs * 2, m_options.reconnectMaxMs);
    m_reconnectTimer->start(m_backoffMs);
}

void RedisSubscriber::updateReady()
{
    setReady(m_connected && !m_authPending && m_confirmed.size() == m_wanted.size());
}

void RedisSubscriber::setReady(bool ready)
{
    if (ready == m_ready)
        return;
    m_ready = ready;
    if (ready) {
        m_backoffMs = 0;
        if (m_warned)
            qCInfo(lcStoreRedis).noquote() << "subscriber connected to" << currentAddress()
                                           << "with" << m_wanted.size() << "channels";
        m_warned = false;
    }
    Q_EMIT readyChanged(ready);
}

} // namespace qpush::store
