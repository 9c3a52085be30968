#include "liveclients.h"

#include "rooms.h"

#include <QPointer>
#include <QSet>
#include <QTimer>

namespace qpush::push {

LiveClients::LiveClients(sio::Server *io, const Settings *settings, QObject *parent)
    : QObject(parent), m_io(io), m_settings(settings)
{
}

ConnectedClient *LiveClients::clientOf(sio::Socket *socket)
{
    return std::any_cast<ConnectedClient>(&socket->data());
}

namespace {
OnlineClient onlineClient(sio::Socket *socket, const ConnectedClient &cc)
{
    return {cc.clientId, cc.nsp, cc.userid, cc.platform, socket->id()};
}
} // namespace

sio::Socket *LiveClients::add(sio::Socket *socket, const QString &clientId)
{
    sio::Socket *previous = m_online.value(clientId);
    m_online.insert(clientId, socket);
    if (const ConnectedClient *cc = clientOf(socket))
        Q_EMIT clientOnline(onlineClient(socket, *cc));
    return previous != socket ? previous : nullptr;
}

void LiveClients::remove(sio::Socket *socket, const QString &clientId)
{
    if (m_online.value(clientId) == socket)
        m_online.remove(clientId);
    if (const ConnectedClient *cc = clientOf(socket))
        Q_EMIT clientOffline(onlineClient(socket, *cc));
}

void LiveClients::watch(sio::Namespace *nsp)
{
    nsp->onMembership([this](sio::Socket *socket, const QString &room, bool joined) {
        if (const ConnectedClient *cc = clientOf(socket))
            Q_EMIT roomChanged(onlineClient(socket, *cc), room, joined);
    });
}

void LiveClients::forEachOnline(
    const std::function<void(const OnlineClient &, const QStringList &rooms)> &fn) const
{
    for (sio::Socket *s : m_online)
        if (const ConnectedClient *cc = clientOf(s); cc && s->isConnected())
            fn(onlineClient(s, *cc), s->rooms());
}

qsizetype LiveClients::countOnline(const QString &nsp, const QString &room,
                                   const QString &exceptClient) const
{
    sio::Namespace *n = m_io->find(nsp);
    if (!n)
        return 0;
    // Sockets join rooms only once connected and leave them when they
    // close, so the room's size is the online count (no pass over members).
    const sio::SocketSet &members = n->room(room);
    qsizetype count = members.size();
    if (!exceptClient.isEmpty()) {
        sio::Socket *ex = m_online.value(exceptClient);
        if (ex && members.contains(ex))
            --count;
    }
    return count;
}

qsizetype LiveClients::deliver(const QString &nsp, const QString &room, const QString &exceptClient,
                               const QString &event, const QJsonArray &args)
{
    sio::Namespace *n = m_io->find(nsp);
    if (!n)
        return 0;
    sio::Broadcast b = n->to(room);
    if (!exceptClient.isEmpty())
        if (sio::Socket *ex = m_online.value(exceptClient))
            b.except(ex->id());
    return b.emit(event, args);
}

void LiveClients::applyTransfer(const QString &, const QStringList &clientIds,
                                const QString &targetRoom, bool join,
                                const QJsonObject &eventPayload)
{
    const QString event = join ? QStringLiteral("joinRoom") : QStringLiteral("leaveRoom");
    for (const QString &id : clientIds) {
        sio::Socket *s = m_online.value(id);
        if (!s)
            continue;
        if (join)
            s->join(targetRoom);
        else
            s->leave(targetRoom);
        s->emit(event, {eventPayload});
    }
}

OnlineCounts LiveClients::roomOnline(const QString &nsp, const QString &room) const
{
    OnlineCounts c;
    sio::Namespace *n = m_io->find(nsp);
    if (!n)
        return c;
    QSet<QString> users;
    for (sio::Socket *s : n->room(room)) {
        const ConnectedClient *cc = clientOf(s);
        if (!cc || !s->isConnected())
            continue;
        ++c.clients;
        users.insert(cc->userid);
        if (cc->platform == store::Platform::Ios)
            ++c.ios;
        else if (cc->platform == store::Platform::Android)
            ++c.android;
    }
    c.users = users.size();
    return c;
}

QJsonObject LiveClients::namespaceOnline(const QString &nsp, bool detail) const
{
    QSet<QString> rooms, users;
    QStringList clients;
    if (sio::Namespace *n = m_io->find(nsp)) {
        for (sio::Socket *s : n->sockets()) {
            const ConnectedClient *cc = clientOf(s);
            if (!cc || !s->isConnected())
                continue;
            clients.append(cc->clientId);
            users.insert(cc->userid);
            for (const QString &r : s->rooms())
                if (!isUserRoom(r))
                    rooms.insert(r);
        }
    }
    QJsonObject o{{QStringLiteral("roomCount"), rooms.size()},
                  {QStringLiteral("userCount"), users.size()},
                  {QStringLiteral("clientCount"), clients.size()}};
    if (detail) {
        const int limit = m_settings->reportOnlineListMaxLimit;
        auto sorted = [](QStringList l) {
            l.sort();
            return l;
        };
        if (rooms.size() <= limit)
            o.insert(QStringLiteral("room"), QJsonArray::fromStringList(sorted(rooms.values())));
        if (users.size() <= limit)
            o.insert(QStringLiteral("user"), QJsonArray::fromStringList(sorted(users.values())));
        if (clients.size() <= limit)
            o.insert(QStringLiteral("client"), QJsonArray::fromStringList(sorted(clients)));
    }
    return o;
}

namespace {
void disconnectBatch(QList<QPointer<sio::Socket>> pending)
{
    int batch = 200;
    while (!pending.isEmpty() && batch-- > 0) {
        QPointer<sio::Socket> s = pending.takeLast();
        if (s)
            s->disconnect();
    }
    if (!pending.isEmpty())
        QTimer::singleShot(5, [pending] { disconnectBatch(pending); });
}
} // namespace

void LiveClients::disconnectNamespace(const QString &nsp)
{
    sio::Namespace *n = m_io->find(nsp);
    if (!n || n->socketCount() == 0)
        return;
    // A batch per pass: a namespace of many clients is not dropped in one tick.
    QList<QPointer<sio::Socket>> pending;
    for (sio::Socket *s : n->sockets())
        pending.append(s);
    disconnectBatch(std::move(pending));
}

} // namespace qpush::push
