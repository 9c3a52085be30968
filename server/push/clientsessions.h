// What happens once a client is admitted and when it goes (SPEC §3): on
// connect it takes its place in the live directory (replacing an older
// connection of the same client id), joins its user and callback rooms
// (peopleJoin), gets `ok` and, on Android, its offline messages; on
// disconnect it leaves the directory (peopleLeave), its disconnect time is
// stored and the namespace's disconnect callback is told.
#pragma once

#include "activitybroadcaster.h"
#include "liveclients.h"
#include "namespaceregistry.h"
#include "settings.h"

#include "callbacks/webhooks.h"
#include "socketio/server.h"
#include "store/store.h"

namespace qpush::push {

class ClientSessions
{
public:
    ClientSessions(LiveClients *live, ActivityBroadcaster *activity, NamespaceRegistry *registry,
                   store::Store *store, callbacks::Webhooks *webhooks, const Settings *settings);

    void connected(sio::Socket *socket);
    void disconnected(sio::Socket *socket, const QString &reason);

private:
    LiveClients *m_live;
    ActivityBroadcaster *m_activity;
    NamespaceRegistry *m_registry;
    store::Store *m_store;
    callbacks::Webhooks *m_webhooks;
    const Settings *m_settings;
};

} // namespace qpush::push
