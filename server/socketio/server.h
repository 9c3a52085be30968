// The Socket.IO server on top of Engine.IO: one Client per Engine.IO
// session, namespaces (static ones, and dynamic ones admitted by a hook the
// domain supplies), middlewares, event handlers, rooms and broadcasts that
// encode a packet once and write the same bytes to every recipient.
#pragma once

#include "metrics/servermetrics.h"
#include "packet.h"
#include "socket.h"
#include "socketset.h"

#include "engineio/server.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <functional>

namespace qpush::sio {

class Server;
class Namespace;

struct ServerOptions
{
    metrics::ServerMetrics *metrics = nullptr; // not owned; null: not counted
    // An Engine.IO session must join a namespace within this (socket.io's
    // connectTimeout is 45 s; qpush's clients connect at once, and a
    // handshake flood should not keep sessions alive for long).
    int connectTimeoutMs = 10000;
    // Sessions that have not joined a namespace yet, from all addresses
    // together: a handshake flood from many addresses (or from loopback,
    // which the per-address limits exempt) cannot hold more than this.
    // Past it a new session is closed at once (its client may retry).
    int maxPendingClients = 10000;
    int maxAttachments = 64;
    qint64 maxAttachmentBytes = 4 << 20; // of one packet's attachments, held until complete
    // Packets a client sends to a namespace whose admission (middlewares,
    // connect callback) is still running are held, up to these.
    int maxEarlyPackets = 100;
    qint64 maxEarlyBytes = 1 << 20;
};

using Middleware =
    std::function<void(Socket *socket, std::function<void(std::optional<ConnectError>)> next)>;
using EventHandler = std::function<void(Socket *socket, Payload &payload, Ack ack)>;
using ConnectionHook = std::function<void(Socket *socket)>;
using DisconnectHook = std::function<void(Socket *socket, const QString &reason)>;
// A connected socket joined (true) or left (false) a room through
// Socket::join/leave; the rooms a closing socket drops are not reported.
using MembershipHook = std::function<void(Socket *socket, const QString &room, bool joined)>;

// Selects recipients among a namespace's sockets: rooms (none = every
// socket of the namespace) minus excluded sockets and rooms.
class Broadcast
{
public:
    explicit Broadcast(Namespace *nsp) : m_nsp(nsp) {}
    Broadcast &to(const QString &room)
    {
        m_rooms.append(room);
        return *this;
    }
    Broadcast &to(const QStringList &rooms)
    {
        m_rooms.append(rooms);
        return *this;
    }
    Broadcast &except(const QByteArray &socketId)
    {
        m_exceptIds.insert(socketId);
        return *this;
    }
    Broadcast &exceptRoom(const QString &room)
    {
        m_exceptRooms.append(room);
        return *this;
    }
    // Sends to every recipient; returns how many sockets it was written to.
    qsizetype emit(const QString &event, const QJsonArray &args = {},
                   const QList<QByteArray> &attachments = {}) const;
    // Calls fn for every recipient (no sending).
    void forEach(const std::function<void(Socket *)> &fn) const;

private:
    Namespace *m_nsp;
    QStringList m_rooms;
    QSet<QByteArray> m_exceptIds;
    QStringList m_exceptRooms;
};

class Namespace : public QObject
{
    Q_OBJECT
public:
    Namespace(Server *server, QString name);
    ~Namespace() override;

    const QString &name() const { return m_name; }
    Server *server() const { return m_server; }

    void use(Middleware middleware) { m_middlewares.append(std::move(middleware)); }
    void on(const QString &event, EventHandler handler)
    {
        m_handlers.emplace(event, std::move(handler)); // QHash::insert only copies
    }
    void onConnection(ConnectionHook hook) { m_onConnection = std::move(hook); }
    void onDisconnect(DisconnectHook hook) { m_onDisconnect = std::move(hook); }
    void onMembership(MembershipHook hook) { m_onMembership = std::move(hook); }

    Broadcast to(const QString &room) { return Broadcast(this).to(room); }
    Broadcast to(const QStringList &rooms) { return Broadcast(this).to(rooms); }
    Broadcast all() { return Broadcast(this); }
    qsizetype emit(const QString &event, const QJsonArray &args = {})
    {
        return all().emit(event, args);
    }

    Socket *socket(const QByteArray &id) const { return m_sockets.value(id); }
    qsizetype socketCount() const { return m_sockets.size(); }
    const QHash<QByteArray, Socket *> &sockets() const { return m_sockets; }
    // Members of a room (empty set if none).
    const SocketSet &room(const QString &name) const;
    qsizetype roomCount() const { return m_rooms.size(); }

private:
    friend class Socket;
    friend class Client;
    friend class Broadcast;
    void admit(Socket *socket, std::function<void(std::optional<ConnectError>)> done);
    void runMiddleware(QPointer<Socket> socket, qsizetype index,
                       std::function<void(std::optional<ConnectError>)> done);
    void add(Socket *socket);
    void remove(Socket *socket, const QString &reason);
    void joinRoom(Socket *socket, const QString &room);
    void leaveRoom(Socket *socket, const QString &room);
    void dispatch(Socket *socket, const QString &event, Payload &payload, Ack ack);

    Server *m_server;
    QString m_name;
    QList<Middleware> m_middlewares;
    QHash<QString, EventHandler> m_handlers;
    ConnectionHook m_onConnection;
    DisconnectHook m_onDisconnect;
    MembershipHook m_onMembership;
    QHash<QByteArray, Socket *> m_sockets;
    QHash<QString, SocketSet> m_rooms;
};

class Server : public QObject
{
    Q_OBJECT
public:
    // Admits (ok) or refuses (reason) a namespace that has no object yet.
    using NamespaceAdmission =
        std::function<void(const QString &name, const Handshake &handshake,
                           std::function<void(std::optional<ConnectError>)> decide)>;

    Server(eio::Server *engine, ServerOptions options = {}, QObject *parent = nullptr);
    ~Server() override;

    eio::Server *engine() const { return m_engine; }
    const ServerOptions &options() const { return m_options; }
    // Sessions counted against maxPendingClients (Client only).
    bool admitPendingClient();
    void releasePendingClient() { --m_pendingClients; }
    int pendingClients() const { return m_pendingClients; }
    net::DeadlineQueue *deadlines() const { return m_engine->deadlines(); }

    // The namespace of that name, created if needed.
    Namespace *of(const QString &name);
    Namespace *find(const QString &name) const { return m_namespaces.value(name); }
    // Removes a namespace (its sockets are disconnected).
    void removeNamespace(const QString &name);

    // Unknown namespaces are refused with "Invalid namespace" unless this
    // hook admits them; an admitted name gets its Namespace (configured by
    // the created hook) only then, so refused names leave nothing behind.
    void setNamespaceAdmission(NamespaceAdmission admission) { m_admission = std::move(admission); }
    void setNamespaceCreatedHook(std::function<void(Namespace *)> hook)
    {
        m_onCreated = std::move(hook);
    }

    qsizetype clientCount() const { return m_clients; }
    // Disconnects every socket and closes every session.
    void closeAll();

private:
    friend class Client;
    void onSession(eio::Session *session);
    void resolveNamespace(const QString &name, const Handshake &handshake,
                          std::function<void(Namespace *, std::optional<ConnectError>)> done);

    eio::Server *m_engine;
    ServerOptions m_options;
    int m_pendingClients = 0;
    QHash<QString, Namespace *> m_namespaces;
    NamespaceAdmission m_admission;
    std::function<void(Namespace *)> m_onCreated;
    qsizetype m_clients = 0;
};

} // namespace qpush::sio
