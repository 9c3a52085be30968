#include "server.h"

#include "logging.h"

#include "net/logthrottle.h"

namespace qpush::sio {

namespace {
const SocketSet kNoSockets;
}

// ---- Broadcast --------------------------------------------------------------------

void Broadcast::forEach(const std::function<void(Socket *)> &fn) const
{
    // As in socket.io, a socket's id works as a room holding just that
    // socket; it is resolved here instead of being stored as a room. Members
    // are visited in place: a room's set is never copied.
    auto forEachMember = [this](const QString &room, auto &&f) {
        const SocketSet &set = m_nsp->room(room);
        if (!set.isEmpty()) {
            for (Socket *s : set)
                f(s);
        } else if (Socket *s = m_nsp->socket(room.toUtf8())) {
            f(s);
        }
    };
    SocketSet excluded;
    for (const QString &room : m_exceptRooms)
        forEachMember(room, [&excluded](Socket *s) { excluded.insert(s); });
    auto visit = [&](Socket *s) {
        if (!s->isConnected() || excluded.contains(s) ||
            (!m_exceptIds.isEmpty() && m_exceptIds.contains(s->id())))
            return;
        fn(s);
    };
    if (m_rooms.isEmpty()) {
        for (Socket *s : m_nsp->m_sockets)
            visit(s);
    } else if (m_rooms.size() == 1 && !m_nsp->room(m_rooms.first()).isEmpty()) {
        for (Socket *s : m_nsp->room(m_rooms.first()))
            visit(s);
    } else {
        QSet<Socket *> seen; // a recipient of several rooms gets the message once
        for (const QString &room : m_rooms)
            forEachMember(room, [&](Socket *s) {
                if (!seen.contains(s)) {
                    seen.insert(s);
                    visit(s);
                }
            });
    }
}

qsizetype Broadcast::emit(const QString &event, const QJsonArray &args,
                          const QList<QByteArray> &attachments) const
{
    Packet p;
    p.type = PacketType::Event;
    p.nsp = m_nsp->name();
    QJsonArray data = args;
    data.prepend(event);
    p.data = data;
    p.attachments = attachments;

    // Encode once per protocol generation, frame once per Engine.IO
    // version; every recipient gets the same shared bytes.
    std::optional<QList<eio::PreparedMessage>> prepared[2];
    auto prepare = [&](Protocol protocol) -> const QList<eio::PreparedMessage> & {
        auto &slot = prepared[protocol == Protocol::V4 ? 0 : 1];
        if (!slot) {
            const Encoded e = encode(protocol, p);
            QList<eio::PreparedMessage> list;
            list.append(
                eio::PreparedMessage::prepare(eio::Packet::text(eio::PacketType::Message, e.text)));
            for (const QByteArray &a : e.attachments)
                list.append(eio::PreparedMessage::prepare(eio::Packet::bytes(a)));
            slot = std::move(list);
        }
        return *slot;
    };
    qsizetype count = 0;
    forEach([&](Socket *s) {
        s->client()->sendPrepared(prepare(s->protocol()));
        ++count;
    });
    return count;
}

// ---- Namespace ------------------------------------------------------------------------

Namespace::Namespace(Server *server, QString name)
    : QObject(server), m_server(server), m_name(std::move(name))
{
}

Namespace::~Namespace() = default;

const SocketSet &Namespace::room(const QString &name) const
{
    auto it = m_rooms.constFind(name);
    return it == m_rooms.constEnd() ? kNoSockets : it.value();
}

void Namespace::admit(Socket *socket, std::function<void(std::optional<ConnectError>)> done)
{
    runMiddleware(socket, 0, std::move(done));
}

void Namespace::runMiddleware(QPointer<Socket> socket, qsizetype index,
                              std::function<void(std::optional<ConnectError>)> done)
{
    if (!socket) {
        done(ConnectError{QStringLiteral("client gone"), {}});
        return;
    }
    if (index >= m_middlewares.size()) {
        done(std::nullopt);
        return;
    }
    QPointer<Namespace> self(this);
    auto called = std::make_shared<bool>(false);
    m_middlewares.at(index)(
        socket.data(), [self, socket, index, done, called](std::optional<ConnectError> error) {
            if (std::exchange(*called, true))
                return; // next() called twice
            if (error || !self) {
                done(error ? error : ConnectError{QStringLiteral("namespace removed"), {}});
                return;
            }
            self->runMiddleware(socket, index + 1, done);
        });
}

void Namespace::add(Socket *socket)
{
    m_sockets.insert(socket->id(), socket);
    if (m_onConnection)
        m_onConnection(socket);
}

void Namespace::remove(Socket *socket, const QString &reason)
{
    m_sockets.remove(socket->id());
    if (m_onDisconnect)
        m_onDisconnect(socket, reason);
}

void Namespace::joinRoom(Socket *socket, const QString &room)
{
    m_rooms[room].insert(socket);
}

void Namespace::leaveRoom(Socket *socket, const QString &room)
{
    auto it = m_rooms.find(room);
    if (it == m_rooms.end())
        return;
    it->remove(socket);
    if (it->isEmpty())
        m_rooms.erase(it);
}

void Namespace::dispatch(Socket *socket, const QString &event, Payload &payload, Ack ack)
{
    auto it = m_handlers.constFind(event);
    if (it == m_handlers.constEnd()) {
        qCDebug(lcSocketIo) << "no handler for event" << event << "in" << m_name;
        return;
    }
    it.value()(socket, payload, std::move(ack));
}

// ---- Server -----------------------------------------------------------------------------

Server::Server(eio::Server *engine, ServerOptions options, QObject *parent)
    : QObject(parent), m_engine(engine), m_options(options)
{
    m_engine->setConnectionHandler([this](eio::Session *session) { onSession(session); });
}

Server::~Server()
{
    m_engine->setConnectionHandler({});
    // Clients reach back into the server while they go: delete them while
    // this is still a Server (not in ~QObject).
    qDeleteAll(findChildren<Client *>(Qt::FindDirectChildrenOnly));
}

void Server::onSession(eio::Session *session)
{
    ++m_clients;
    new Client(this, session);
}

Namespace *Server::of(const QString &name)
{
    Namespace *&nsp = m_namespaces[name];
    if (!nsp)
        nsp = new Namespace(this, name);
    return nsp;
}

void Server::removeNamespace(const QString &name)
{
    Namespace *nsp = m_namespaces.take(name);
    if (!nsp)
        return;
    const auto sockets = nsp->sockets().values();
    for (Socket *s : sockets)
        s->disconnect();
    nsp->deleteLater();
}

void Server::resolveNamespace(const QString &name, const Handshake &handshake,
                              std::function<void(Namespace *, std::optional<ConnectError>)> done)
{
    if (Namespace *nsp = m_namespaces.value(name)) {
        done(nsp, std::nullopt);
        return;
    }
    if (!m_admission) {
        done(nullptr, ConnectError::invalidNamespace());
        return;
    }
    QPointer<Server> self(this);
    m_admission(name, handshake, [self, name, done](std::optional<ConnectError> error) {
        if (!self) {
            done(nullptr, ConnectError{QStringLiteral("server shutting down"), {}});
            return;
        }
        if (error) {
            done(nullptr, error);
            return;
        }
        const bool created = !self->m_namespaces.contains(name);
        Namespace *nsp = self->of(name);
        if (created && self->m_onCreated)
            self->m_onCreated(nsp);
        done(nsp, std::nullopt);
    });
}

void Server::closeAll()
{
    m_engine->closeAll();
}

bool Server::admitPendingClient()
{
    if (m_pendingClients >= m_options.maxPendingClients) {
        if (auto *m = m_options.metrics)
            m->limitsTripped.inc("max_pending_sessions");
        static net::LogThrottle throttle;
        qint64 suppressed = 0;
        if (throttle.allow(&suppressed))
            qCWarning(lcSocketIo).nospace()
                << "limit max_pending_sessions tripped: " << m_pendingClients
                << " sessions have not joined a namespace yet, closing new ones"
                << (suppressed ? qPrintable(QStringLiteral(" (%1 more not logged)").arg(suppressed))
                               : "");
        return false;
    }
    ++m_pendingClients;
    return true;
}

} // namespace qpush::sio
