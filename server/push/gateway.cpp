#include "gateway.h"

namespace qpush::push {

ClientGateway::ClientGateway(sio::Server *io, NamespaceRegistry *registry, store::Store *store,
                             callbacks::Webhooks *webhooks, const Settings *settings,
                             LiveClients *live, ActivityBroadcaster *activity,
                             PushPipeline *pipeline, QObject *parent)
    : QObject(parent), m_limits(settings->clock, settings->metrics),
      m_admission(io, registry, store, webhooks, settings, &m_limits),
      m_sessions(live, activity, registry, store, webhooks, settings),
      m_events(pipeline, activity, store, settings, &m_limits)
{
    io->setNamespaceCreatedHook([this, live](sio::Namespace *nsp) {
        setupNamespace(nsp);
        live->watch(nsp); // room joins and leaves reach the presence
    });
    connect(registry, &NamespaceRegistry::changed, this, [registry, live](const QString &key) {
        const store::NamespaceRecord *ns = registry->find(key);
        if (!ns || ns->offline)
            live->disconnectNamespace(key);
    });
}

ClientGateway::~ClientGateway() = default;

void ClientGateway::setupNamespace(sio::Namespace *nsp)
{
    nsp->use(
        [this](sio::Socket *socket, auto next) { m_admission.authorize(socket, std::move(next)); });
    nsp->onConnection([this](sio::Socket *socket) { m_sessions.connected(socket); });
    nsp->onDisconnect([this](sio::Socket *socket, const QString &reason) {
        m_sessions.disconnected(socket, reason);
    });
    m_events.install(nsp);
}

} // namespace qpush::push
