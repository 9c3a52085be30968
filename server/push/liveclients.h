// The directory of this node's live (connected) clients: which socket holds
// a client id, delivery to a room's online sockets (encoded once), online
// counts and reports, transfers applied to live sockets, and the disconnect
// of a whole namespace. The push pipeline, the REST online reports and the
// cluster bus read it; it depends on nothing of the domain above it.
#pragma once

#include "presence.h"
#include "settings.h"

#include "shared/limits.h"
#include "socketio/server.h"
#include "store/types.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>

namespace qpush::push {

// Per-socket domain state (kept in sio::Socket::data()).
struct ConnectedClient
{
    QString clientId;
    QString nsp;
    QString userid;
    QString uuid;
    store::Platform platform = store::Platform::Web;
    bool activityBroadcast = false;
    QStringList callbackRooms;
    qint64 lastClientPush = 0;
    TokenBucket events;       // client_event_rate
    TokenBucket acks;         // ackPush: ten times client_event_rate
    qint64 refusedSince = 0;  // start of the window counting refused events
    int refusedEvents = 0;    // events refused by the rate limit in that window
    int pendingJoinRooms = 0; // rooms of joinRoom events still waiting for the store
};

class LiveClients : public QObject
{
    Q_OBJECT
public:
    LiveClients(sio::Server *io, const Settings *settings, QObject *parent = nullptr);

    static ConnectedClient *clientOf(sio::Socket *socket);

    // Reports the room joins and leaves of a namespace's sockets (roomChanged).
    void watch(sio::Namespace *nsp);
    // Every online client of this node with its live rooms (a presence
    // writes them again after Redis lost them).
    void forEachOnline(
        const std::function<void(const OnlineClient &, const QStringList &rooms)> &fn) const;
    sio::Socket *socketOf(const QString &clientId) const { return m_online.value(clientId); }

    // A connected socket takes its client id; a previous connection with
    // the same id is returned (the caller disconnects it).
    sio::Socket *add(sio::Socket *socket, const QString &clientId);
    // A closing socket gives its client id back (unless replaced meanwhile).
    void remove(sio::Socket *socket, const QString &clientId);

    // Online sockets of a room in a namespace (excluding one client id).
    qsizetype countOnline(const QString &nsp, const QString &room,
                          const QString &exceptClient) const;
    // Emits to a room's online sockets; returns how many it was written to.
    qsizetype deliver(const QString &nsp, const QString &room, const QString &exceptClient,
                      const QString &event, const QJsonArray &args);
    // Moves online clients in/out of a room (transfer) and tells them.
    void applyTransfer(const QString &nsp, const QStringList &clientIds, const QString &targetRoom,
                       bool join, const QJsonObject &eventPayload);

    // Online reports (this node's live view).
    OnlineCounts roomOnline(const QString &nsp, const QString &room) const;
    QJsonObject namespaceOnline(const QString &nsp, bool detail) const;

    // Disconnects a namespace's clients, a batch per event-loop pass.
    void disconnectNamespace(const QString &nsp);

Q_SIGNALS:
    // This node's changes, in the order they happen (a shared presence
    // writes them for the other nodes).
    void clientOnline(const qpush::push::OnlineClient &client);
    void clientOffline(const qpush::push::OnlineClient &client);
    void roomChanged(const qpush::push::OnlineClient &client, const QString &room, bool joined);

private:
    sio::Server *m_io;
    const Settings *m_settings;
    QHash<QString, sio::Socket *> m_online; // client id -> its socket on this node
};

} // namespace qpush::push
