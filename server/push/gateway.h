// The client side of the push service (SPEC §3): binds every push namespace
// of the socket.io server to the domain pieces, each with one job —
// Admission (who may connect), ClientSessions (connect and disconnect),
// ClientEvents (the client events) — and disconnects the clients of a
// namespace that goes offline or away. Dependencies point one way: the
// gateway uses the pipeline and the live directory; neither knows it.
#pragma once

#include "activitybroadcaster.h"
#include "admission.h"
#include "clientevents.h"
#include "clientsessions.h"
#include "limitlog.h"
#include "liveclients.h"
#include "namespaceregistry.h"
#include "pushpipeline.h"
#include "settings.h"

#include "callbacks/webhooks.h"
#include "socketio/server.h"
#include "store/store.h"

#include <QObject>

namespace qpush::push {

class ClientGateway : public QObject
{
    Q_OBJECT
public:
    ClientGateway(sio::Server *io, NamespaceRegistry *registry, store::Store *store,
                  callbacks::Webhooks *webhooks, const Settings *settings, LiveClients *live,
                  ActivityBroadcaster *activity, PushPipeline *pipeline, QObject *parent = nullptr);
    ~ClientGateway() override;

private:
    void setupNamespace(sio::Namespace *nsp);

    LimitLog m_limits; // one line per limit and minute, shared by the pieces
    Admission m_admission;
    ClientSessions m_sessions;
    ClientEvents m_events;
};

} // namespace qpush::push
