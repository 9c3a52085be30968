// The client side of the push service (SPEC §3): who may connect to a
// namespace (identity, namespace state, handshake callback), what happens on
// connect (client info, rooms, `ok`, offline messages) and disconnect, the
// client events (joinRoom, leaveRoom, info, apns, ackPush, push, sync), room
// activity broadcasts, and the live (online) view of this node that pushes,
// transfers and online reports use.
#pragma once

#include "namespaceregistry.h"
#include "presence.h"
#include "settings.h"

#include "callbacks/webhooks.h"
#include "shared/limits.h"
#include "socketio/server.h"
#include "store/store.h"

#include <QHash>
#include <QObject>

namespace qpush::push {

class PushPipeline;

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

class ClientGateway : public QObject
{
    Q_OBJECT
public:
    ClientGateway(sio::Server *io, NamespaceRegistry *registry, store::Store *store,
                  callbacks::Webhooks *webhooks, const Settings *settings,
                  QObject *parent = nullptr);
    ~ClientGateway() override;

    void setPipeline(PushPipeline *pipeline) { m_pipeline = pipeline; }
    // The deployment's online state (default: this node's, LocalPresence);
    // the gateway reports its clients' comings and goings to it.
    void setPresence(Presence *presence) { m_presence = presence ? presence : &m_localPresence; }
    Presence *presence() const { return m_presence; }

    static ConnectedClient *clientOf(sio::Socket *socket);
    sio::Socket *socketOf(const QString &clientId) const { return m_online.value(clientId); }

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

    // Every online client of this node with its live rooms (a presence
    // writes them again after Redis lost them).
    void forEachOnline(
        const std::function<void(const OnlineClient &, const QStringList &rooms)> &fn) const;

    // Disconnects a namespace's clients, a batch per event-loop pass.
    void disconnectNamespace(const QString &nsp);

Q_SIGNALS:
    // Hook of the cluster bus: a room activity event (peopleJoin/peopleLeave)
    // went to this node's members of `room`, except the client it is about.
    void activityBroadcast(const QString &nsp, const QString &room, const QString &exceptClient,
                           const QString &event, const QJsonObject &payload);

private:
    void setupNamespace(sio::Namespace *nsp);
    void authorize(sio::Socket *socket, std::function<void(std::optional<sio::ConnectError>)> next);
    void onConnected(sio::Socket *socket);
    void onDisconnected(sio::Socket *socket, const QString &reason);
    void broadcastActivity(sio::Socket *socket, const QString &event, const QStringList &rooms,
                           bool offline);

    // client_event_rate: false when the event is refused (and the client
    // is disconnected when it keeps flooding).
    bool admitEvent(sio::Socket *socket, ConnectedClient &cc, bool isAck);
    void tooMany(const char *limit, const QString &what);

    void onJoinRoom(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onLeaveRoom(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onInfo(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onApns(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onAckPush(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onPush(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onSync(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);

    sio::Server *m_io;
    NamespaceRegistry *m_registry;
    store::Store *m_store;
    callbacks::Webhooks *m_webhooks;
    const Settings *m_settings;
    PushPipeline *m_pipeline = nullptr;
    QHash<QString, sio::Socket *> m_online; // client id -> its socket on this node
    LogGate m_limitLog;                     // one line per limit and minute
    LocalPresence m_localPresence{this};
    Presence *m_presence = &m_localPresence;
};

// {status, msg} replies of client events.
QJsonObject statusReply(int status, const QString &msg);
QJsonObject errorReply(const DomainError &error);
DomainError fromStoreError(const store::Error &error);

} // namespace qpush::push
