// The events a connected client may send (SPEC §3): joinRoom, leaveRoom,
// info, apns, ackPush, push and sync, each a handler of the event table,
// behind the per-connection rate limit (client_event_rate). Pushes, receipts
// and syncs go to the push pipeline; room changes to the store and the
// socket, with their activity broadcasts.
#pragma once

#include "activitybroadcaster.h"
#include "clientrecords.h"
#include "limitlog.h"
#include "pushpipeline.h"
#include "settings.h"

#include "socketio/server.h"
#include "store/store.h"

namespace qpush::push {

struct ConnectedClient;

class ClientEvents
{
public:
    ClientEvents(PushPipeline *pipeline, ActivityBroadcaster *activity, store::Store *store,
                 const Settings *settings, LimitLog *limits);

    // Registers the event table on a push namespace.
    void install(sio::Namespace *nsp);

private:
    // client_event_rate: false when the event is refused (and the client
    // is disconnected when it keeps flooding).
    bool admitEvent(sio::Socket *socket, ConnectedClient &cc, bool isAck);

    void onJoinRoom(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onLeaveRoom(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onInfo(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onApns(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onAckPush(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onPush(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);
    void onSync(sio::Socket *socket, sio::Payload &payload, sio::Ack ack);

    // The rooms a joinRoom asks for, checked (names, other users' rooms, the
    // max_rooms_per_message cap) and without repeats.
    Expected<QStringList> joinList(const ConnectedClient &cc, const QJsonValue &arg);
    // max_rooms_per_client for a joinRoom of `joining` by a client in the
    // `current` rooms with `inFlight` rooms of other joins still pending.
    std::optional<DomainError> roomLimit(const QString &clientId, const QStringList &current,
                                         const QStringList &joining, qsizetype inFlight) const;
    // max_rooms_per_client for the apns list: an edit may not grow the
    // `current` list past the cap (one already over it may still shrink).
    std::optional<DomainError> apnsLimit(const QString &clientId, const QStringList &current,
                                         const QStringList &add, const QStringList &remove) const;
    // Joins the socket to the rooms it is not in yet and announces them.
    void joinLive(sio::Socket *socket, const QStringList &rooms);

    PushPipeline *m_pipeline;
    ActivityBroadcaster *m_activity;
    store::Store *m_store;
    const Settings *m_settings;
    LimitLog *m_limits;
    ClientRecords m_clients; // `info` reads and writes client records through it
};

} // namespace qpush::push
