// The events a connected client may send (SPEC §3): joinRoom, leaveRoom,
// info, apns, ackPush, push and sync, each a handler of the event table,
// behind the per-connection rate limit (client_event_rate). Pushes, receipts
// and syncs go to the push pipeline; room changes to the store and the
// socket, with their activity broadcasts.
#pragma once

#include "activitybroadcaster.h"
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

    PushPipeline *m_pipeline;
    ActivityBroadcaster *m_activity;
    store::Store *m_store;
    const Settings *m_settings;
    LimitLog *m_limits;
};

} // namespace qpush::push
