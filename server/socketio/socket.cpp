#include "socket.h"

#include "logging.h"
#include "server.h"

#include "net/logthrottle.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace qpush::sio {

// ---- Handshake ----------------------------------------------------------------

namespace {
// Calls fn(key, value) for every item of a URL query (percent-decoded, '+'
// as space) until fn returns false.
template <typename Fn> void forEachQueryItem(QByteArrayView raw, Fn fn)
{
    while (!raw.isEmpty()) {
        const qsizetype amp = raw.indexOf('&');
        const QByteArrayView part = amp < 0 ? raw : raw.first(amp);
        raw = amp < 0 ? QByteArrayView() : raw.sliced(amp + 1);
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        const QByteArrayView k = eq < 0 ? part : part.first(eq);
        const QByteArrayView v = eq < 0 ? QByteArrayView() : part.sliced(eq + 1);
        if (!fn(QString::fromUtf8(http::percentDecode(k, true)), v))
            return;
    }
}

QString decodeValue(QByteArrayView v)
{
    return QString::fromUtf8(http::percentDecode(v, true));
}
} // namespace

QList<QPair<QString, QString>> Handshake::query() const
{
    QList<QPair<QString, QString>> out;
    forEachQueryItem(rawQuery, [&out](QString k, QByteArrayView v) {
        out.append({std::move(k), decodeValue(v)});
        return true;
    });
    out.append(extraQuery);
    return out;
}

QString Handshake::queryValue(const QString &key) const
{
    QString found;
    bool hit = false;
    forEachQueryItem(rawQuery, [&](const QString &k, QByteArrayView v) {
        if (k != key)
            return true;
        found = decodeValue(v);
        hit = true;
        return false;
    });
    if (hit)
        return found;
    for (const auto &[k, v] : extraQuery)
        if (k == key)
            return v;
    return {};
}

QByteArray Handshake::header(QByteArrayView name) const
{
    for (const http::Header &h : headers)
        if (h.name.compare(name, Qt::CaseInsensitive) == 0)
            return h.value;
    return {};
}

// ---- Ack --------------------------------------------------------------------------

Ack::Ack(Socket *socket, std::optional<qint64> id) : m_socket(socket), m_id(id) {}

void Ack::operator()(const QJsonArray &args, const QList<QByteArray> &attachments)
{
    if (!m_id)
        return;
    const qint64 id = *m_id;
    m_id.reset(); // once
    if (m_socket && m_socket->isConnected())
        m_socket->sendAck(id, args, attachments);
}

// ---- Socket ---------------------------------------------------------------------

Socket::Socket(Client *client, Namespace *nsp, QByteArray id, QJsonObject auth,
               QList<QPair<QString, QString>> nspQuery)
    : QObject(client), m_client(client), m_nsp(nsp), m_id(std::move(id)), m_auth(std::move(auth)),
      m_nspQuery(std::move(nspQuery))
{
}

Socket::~Socket()
{
    net::DeadlineQueue *dq = m_client->server()->deadlines();
    for (auto &pending : m_acks)
        dq->cancel(pending.timer);
}

Protocol Socket::protocol() const
{
    return m_client->protocol();
}
const Handshake &Socket::handshake() const
{
    return m_client->handshake();
}

QString Socket::queryValue(const QString &key) const
{
    for (const auto &[k, v] : m_nspQuery)
        if (k == key)
            return v;
    return m_client->handshake().queryValue(key);
}

QJsonObject Socket::connectQuery() const
{
    QJsonObject o;
    for (const auto &[k, v] : m_nspQuery)
        o.insert(k, v);
    return o;
}

QJsonObject Socket::queryObject() const
{
    QJsonObject o;
    for (const auto &[k, v] : m_client->handshake().query())
        o.insert(k, v);
    for (const auto &[k, v] : m_nspQuery)
        o.insert(k, v);
    return o;
}

void Socket::emit(const QString &event, const QJsonArray &args,
                  const QList<QByteArray> &attachments)
{
    if (!m_connected)
        return;
    QJsonArray data = args;
    data.prepend(event);
    Packet p;
    p.type = PacketType::Event;
    p.nsp = m_nsp->name();
    p.data = data;
    p.attachments = attachments;
    m_client->send(p);
}

void Socket::emitWithAck(const QString &event, const QJsonArray &args, AckCallback callback,
                         int timeoutMs, const QList<QByteArray> &attachments)
{
    if (!m_connected) {
        Payload none;
        callback(true, none);
        return;
    }
    const qint64 id = m_nextAckId++;
    PendingAck pending;
    pending.callback = std::move(callback);
    if (timeoutMs > 0) {
        pending.timer = m_client->server()->deadlines()->schedule(timeoutMs, [this, id] {
            auto it = m_acks.find(id);
            if (it == m_acks.end())
                return;
            AckCallback cb = std::move(it->callback);
            m_acks.erase(it);
            Payload none;
            cb(true, none);
        });
    }
    m_acks.emplace(id, std::move(pending));
    QJsonArray data = args;
    data.prepend(event);
    Packet p;
    p.type = PacketType::Event;
    p.nsp = m_nsp->name();
    p.id = id;
    p.data = data;
    p.attachments = attachments;
    m_client->send(p);
}

void Socket::sendAck(qint64 id, const QJsonArray &args, const QList<QByteArray> &attachments)
{
    Packet p;
    p.type = PacketType::Ack;
    p.nsp = m_nsp->name();
    p.id = id;
    p.data = args;
    p.attachments = attachments;
    m_client->send(p);
}

void Socket::join(const QString &room)
{
    if (m_closed)
        return;
    if (m_roomIndex) {
        if (m_roomIndex->contains(room))
            return;
        m_roomIndex->insert(room, m_rooms.size());
    } else {
        if (m_rooms.contains(room))
            return;
        if (m_rooms.size() + 1 > kRoomIndexThreshold) {
            m_roomIndex = std::make_unique<QHash<QString, qsizetype>>();
            m_roomIndex->reserve(m_rooms.size() * 2);
            for (qsizetype i = 0; i < m_rooms.size(); ++i)
                m_roomIndex->insert(m_rooms.at(i), i);
            m_roomIndex->insert(room, m_rooms.size());
        }
    }
    m_rooms.append(room);
    m_nsp->joinRoom(this, room);
    if (m_nsp->m_onMembership)
        m_nsp->m_onMembership(this, room, true);
}

void Socket::leave(const QString &room)
{
    if (m_roomIndex) {
        const auto it = m_roomIndex->constFind(room);
        if (it == m_roomIndex->constEnd())
            return;
        const qsizetype pos = it.value();
        m_roomIndex->erase(it);
        if (pos != m_rooms.size() - 1) {
            m_rooms[pos] = m_rooms.constLast();
            (*m_roomIndex)[m_rooms.at(pos)] = pos;
        }
        m_rooms.removeLast();
        if (m_rooms.size() < kRoomIndexThreshold / 2)
            m_roomIndex.reset();
    } else if (!m_rooms.removeOne(room)) {
        return;
    }
    m_nsp->leaveRoom(this, room);
    if (m_nsp->m_onMembership && !m_closed)
        m_nsp->m_onMembership(this, room, false);
}

void Socket::disconnect(bool closeConnection)
{
    if (closeConnection) {
        m_client->close();
        return;
    }
    if (m_closed)
        return;
    Packet p;
    p.type = PacketType::Disconnect;
    p.nsp = m_nsp->name();
    m_client->send(p);
    onClosed(QStringLiteral("server namespace disconnect"));
}

void Socket::onConnected()
{
    m_connected = true;
}

void Socket::onPacket(Packet &packet)
{
    switch (packet.type) {
    case PacketType::Event:
    case PacketType::BinaryEvent: {
        QJsonArray args = packet.data.toArray();
        const QString event = args.isEmpty() ? QString() : args.first().toString();
        if (!args.isEmpty())
            args.removeFirst();
        Payload payload{std::move(args), std::move(packet.attachments)};
        m_nsp->dispatch(this, event, payload, Ack(this, packet.id));
        break;
    }
    case PacketType::Ack:
    case PacketType::BinaryAck: {
        if (!packet.id)
            break;
        auto it = m_acks.find(*packet.id);
        if (it == m_acks.end())
            break;
        PendingAck pending = std::move(it.value());
        m_acks.erase(it);
        m_client->server()->deadlines()->cancel(pending.timer);
        Payload reply{packet.data.toArray(), std::move(packet.attachments)};
        pending.callback(false, reply);
        break;
    }
    case PacketType::Disconnect:
        onClosed(QStringLiteral("client namespace disconnect"));
        break;
    case PacketType::Connect:
    case PacketType::ConnectError:
        break;
    }
}

void Socket::onClosed(const QString &reason)
{
    if (m_closed)
        return;
    m_closed = true;
    const bool wasConnected = std::exchange(m_connected, false);
    net::DeadlineQueue *dq = m_client->server()->deadlines();
    for (auto &pending : m_acks)
        dq->cancel(pending.timer);
    m_acks.clear();
    // The disconnect hook still sees the socket's rooms (to tell the other
    // members); the socket itself no longer receives broadcasts.
    if (wasConnected)
        m_nsp->remove(this, reason);
    const auto rooms = std::exchange(m_rooms, {});
    m_roomIndex.reset();
    for (const QString &room : rooms)
        m_nsp->leaveRoom(this, room);
    m_client->removeSocket(this);
    deleteLater();
}

// ---- Client -------------------------------------------------------------------------

namespace {
QList<QPair<QString, QString>> decodeQuery(QByteArrayView raw)
{
    QList<QPair<QString, QString>> out;
    const QList<QByteArray> parts = raw.toByteArray().split('&');
    for (QByteArrayView part : parts) {
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        const QByteArrayView k = eq < 0 ? part : part.first(eq);
        const QByteArrayView v = eq < 0 ? QByteArrayView() : part.sliced(eq + 1);
        out.append({QString::fromUtf8(http::percentDecode(k, true)),
                    QString::fromUtf8(http::percentDecode(v, true))});
    }
    return out;
}
} // namespace

Client::Client(Server *server, eio::Session *session)
    : QObject(server), m_server(server), m_session(session),
      m_protocol(session->version() == eio::Version::V3 ? Protocol::V4 : Protocol::V5)
{
    m_handshake.protocol = m_protocol;
    m_handshake.rawQuery = session->handshakeQuery();
    m_handshake.headers = session->handshakeHeaders();
    m_handshake.address = session->remoteAddress();
    m_handshake.time = QDateTime::currentMSecsSinceEpoch();
    session->setHandler(this);

    // A session that joins no namespace in time is closed (v4 too: its
    // implicit "/" may be refused or its admission may hang).
    // Past max_pending_sessions the session is closed at once, by the same
    // deadline (never inside the handshake that is creating it).
    m_pending = m_server->admitPendingClient();
    const int connectTimeoutMs = m_pending ? m_server->options().connectTimeoutMs : 0;
    m_connectTimer = m_server->deadlines()->schedule(connectTimeoutMs, [this] {
        m_connectTimer = 0;
        if (m_sockets.empty() && m_session) {
            qCDebug(lcSocketIo) << "no namespace joined in time (connect_timeout), closing"
                                << m_session->id();
            close();
        }
    });
    if (m_protocol == Protocol::V4) {
        // socket.io 2.x connects every client to "/" without a CONNECT packet.
        connectNamespace(QStringLiteral("/"), {}, {});
    }
}

Client::~Client()
{
    // Sockets reach back into their client while they go: delete them while
    // this is still a Client (not in ~QObject).
    qDeleteAll(findChildren<Socket *>(Qt::FindDirectChildrenOnly));
    m_server->deadlines()->cancel(m_connectTimer);
    if (m_pending)
        m_server->releasePendingClient();
    if (m_session)
        m_session->setHandler(nullptr);
}

Socket *Client::socketFor(const QString &nsp) const
{
    for (const auto &p : m_sockets)
        if (p.first == nsp)
            return p.second;
    return nullptr;
}

QList<Packet> *Client::pendingFor(const QString &nsp)
{
    for (auto &p : m_pendingConnects)
        if (p.first == nsp)
            return &p.second;
    return nullptr;
}

QByteArray Client::socketId(const QString &nsp) const
{
    if (m_protocol == Protocol::V4)
        return nsp == u"/" ? m_session->id() : nsp.toUtf8() + '#' + m_session->id();
    quint32 words[4];
    QRandomGenerator::global()->fillRange(words);
    return QByteArray(reinterpret_cast<const char *>(words), 15)
        .toBase64(QByteArray::Base64UrlEncoding);
}

void Client::send(const Packet &packet)
{
    if (!m_session || m_closing)
        return;
    const Encoded e = encode(m_protocol, packet);
    m_session->sendMessage(e.text);
    for (const QByteArray &a : e.attachments)
        m_session->sendMessage(a, true);
}

void Client::sendPrepared(const QList<eio::PreparedMessage> &messages)
{
    if (!m_session || m_closing)
        return;
    for (const eio::PreparedMessage &m : messages)
        m_session->sendPrepared(m);
}

void Client::close()
{
    if (m_session && !m_closing)
        m_session->close(QStringLiteral("forced close"));
}

void Client::onMessage(eio::Session *, const QByteArray &data, bool binary)
{
    m_packetBytes += data.size();
    if (!m_decoder)
        m_decoder = std::make_unique<Decoder>(m_protocol, m_server->options().maxAttachments,
                                              m_server->options().maxAttachmentBytes);
    const Decoder::Status status = binary ? m_decoder->feedBinary(data) : m_decoder->feedText(data);
    if (status == Decoder::Status::NeedMore)
        return;
    if (status == Decoder::Status::Error) {
        m_packetBytes = 0;
        static net::LogThrottle throttle;
        qint64 suppressed = 0;
        if (throttle.allow(&suppressed))
            qCInfo(lcSocketIo).nospace()
                << "closing " << m_handshake.address.toString() << " (session " << m_session->id()
                << "): " << m_decoder->errorMessage()
                << (suppressed ? qPrintable(QStringLiteral(" (%1 more not logged)").arg(suppressed))
                               : "");
        m_session->close(QStringLiteral("parse error"));
        return;
    }
    Packet packet = m_decoder->takePacket();
    m_decoder.reset(); // nothing pending: an idle client keeps no decoder
    onPacket(packet);
    m_packetBytes = 0;
}

void Client::onPacket(Packet &packet)
{
    if (packet.type == PacketType::Connect) {
        if (m_protocol == Protocol::V4 && packet.nsp == u"/")
            return; // already connected implicitly
        if (socketFor(packet.nsp) || pendingFor(packet.nsp))
            return;
        const QJsonObject auth =
            m_protocol == Protocol::V5 ? packet.data.toObject() : QJsonObject();
        connectNamespace(packet.nsp, auth, decodeQuery(packet.query));
        return;
    }
    if (Socket *socket = socketFor(packet.nsp)) {
        // socket.io 2.x closes a connection left with no namespace; v5 keeps it.
        const bool lastDisconnect = m_protocol == Protocol::V4 &&
                                    packet.type == PacketType::Disconnect && m_sockets.size() == 1;
        socket->onPacket(packet);
        if (lastDisconnect && m_sockets.empty())
            close(); // the client left its last namespace
        return;
    }
    if (QList<Packet> *pending = pendingFor(packet.nsp)) {
        // Admission is running (middlewares, callbacks): keep the client's
        // early events and deliver them once it is connected, up to a bound.
        const ServerOptions &o = m_server->options();
        qsizetype held = 0;
        for (const auto &p : m_pendingConnects)
            held += p.second.size(); // a few namespaces at most
        if (held >= o.maxEarlyPackets || m_earlyBytes + m_packetBytes > o.maxEarlyBytes) {
            if (o.metrics)
                o.metrics->limitsTripped.inc("max_early_packets");
            static net::LogThrottle throttle;
            qint64 suppressed = 0;
            if (throttle.allow(&suppressed))
                qCWarning(lcSocketIo).nospace()
                    << "closing " << m_handshake.address.toString() << ": more than "
                    << o.maxEarlyPackets << " packets or " << o.maxEarlyBytes
                    << " bytes sent before its namespace admitted it (max_early_packets, "
                       "max_early_bytes)"
                    << (suppressed
                            ? qPrintable(QStringLiteral(" (%1 more not logged)").arg(suppressed))
                            : "");
            m_pendingConnects.clear();
            m_earlyBytes = 0;
            close();
            m_closing = true; // no admission still running may connect it now
            return;
        }
        m_earlyBytes += m_packetBytes;
        pending->append(std::move(packet));
        return;
    }
    qCDebug(lcSocketIo) << "packet for a namespace not joined:" << packet.nsp;
}

void Client::connectNamespace(const QString &name, const QJsonObject &auth,
                              const QList<QPair<QString, QString>> &nspQuery)
{
    m_pendingConnects.emplace_back(name, QList<Packet>());
    QPointer<Client> self(this);
    Handshake h = m_handshake;
    if (!nspQuery.isEmpty()) {
        // v4: the namespace CONNECT query is part of the socket's handshake.
        h.extraQuery.append(nspQuery);
    }
    m_server->resolveNamespace(
        name, h, [self, name, auth, nspQuery](Namespace *nsp, std::optional<ConnectError> error) {
            if (!self || self->m_closing)
                return;
            if (!nsp) {
                std::erase_if(self->m_pendingConnects,
                              [&](const auto &p) { return p.first == name; });
                self->refuse(name, error.value_or(ConnectError::invalidNamespace()));
                return;
            }
            auto *socket = new Socket(self, nsp, self->socketId(name), auth, nspQuery);
            QPointer<Socket> guard(socket);
            nsp->admit(socket, [self, guard, name](std::optional<ConnectError> err) {
                if (!self || !guard || self->m_closing) {
                    if (guard)
                        guard->deleteLater();
                    return;
                }
                QList<Packet> early;
                if (QList<Packet> *held = self->pendingFor(name))
                    early = std::move(*held);
                if (self->m_pendingConnects.size() <= 1)
                    self->m_earlyBytes = 0;
                std::erase_if(self->m_pendingConnects,
                              [&](const auto &p) { return p.first == name; });
                if (self->m_pendingConnects.empty())
                    self->m_pendingConnects.shrink_to_fit(); // idle clients keep no capacity
                if (err) {
                    guard->deleteLater();
                    self->refuse(name, *err);
                    return;
                }
                Socket *s = guard.data();
                // Only a namespace actually joined stops the connect timeout
                // (as in socket.io): refused CONNECTs do not keep a session.
                self->m_server->deadlines()->cancel(self->m_connectTimer);
                if (self->m_pending) {
                    self->m_pending = false;
                    self->m_server->releasePendingClient();
                }
                self->m_sockets.emplace_back(name, s);
                s->onConnected();
                Packet ack;
                ack.type = PacketType::Connect;
                ack.nsp = name;
                if (self->m_protocol == Protocol::V5)
                    ack.data = QJsonObject{{QStringLiteral("sid"), QString::fromLatin1(s->id())}};
                self->send(ack);
                s->m_nsp->add(s);
                for (Packet &p : early) {
                    if (!guard || !guard->isConnected())
                        break;
                    guard->onPacket(p);
                }
            });
        });
}

void Client::refuse(const QString &name, const ConnectError &error)
{
    Packet p;
    p.type = PacketType::ConnectError;
    p.nsp = name;
    if (m_protocol == Protocol::V5) {
        QJsonObject o{{QStringLiteral("message"), error.message}};
        if (!error.data.isUndefined() && !error.data.isNull())
            o.insert(QStringLiteral("data"), error.data);
        p.data = o;
    } else if (error.structured) {
        p.data = QJsonObject{{QStringLiteral("message"), error.message}};
    } else {
        p.data = error.data.isUndefined() || error.data.isNull() ? QJsonValue(error.message)
                                                                 : error.data;
    }
    send(p);
}

void Client::removeSocket(Socket *socket)
{
    std::erase_if(m_sockets, [socket](const auto &p) { return p.second == socket; });
}

void Client::onClose(eio::Session *, const QString &reason)
{
    m_closing = true;
    m_session = nullptr;
    m_pendingConnects.clear();
    QList<Socket *> sockets;
    for (const auto &p : m_sockets)
        sockets.append(p.second);
    for (Socket *s : sockets)
        s->onClosed(reason);
    m_sockets.clear();
    --m_server->m_clients;
    deleteLater();
}

} // namespace qpush::sio
