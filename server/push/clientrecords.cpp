#include "clientrecords.h"

#include "storeresult.h"

namespace qpush::push {

void ClientRecords::get(const QString &clientId, Callback<store::ClientInfo> done)
{
    m_store->getClient(clientId, relay(std::move(done)));
}

void ClientRecords::update(const QString &clientId, store::ClientPatch patch,
                           Callback<store::ClientInfo> done)
{
    patch.updateDate = m_settings->clock->nowMs();
    m_store->updateClient(clientId, patch, relay(std::move(done)));
}

void ClientRecords::updateExisting(const QString &clientId, store::ClientPatch patch,
                                   Callback<store::ClientInfo> done)
{
    patch.updateDate = m_settings->clock->nowMs();
    // The store's update creates missing records (a connect does): look first.
    m_store->getClient(clientId, [this, clientId, patch, done](store::Result<store::ClientInfo> r) {
        if (!r)
            return done(fromStoreError(r.error()));
        m_store->updateClient(clientId, patch, relay(done));
    });
}

void ClientRecords::apply(const ClientRequest &request, Callback<store::ClientInfo> done)
{
    if (!request.fields.writes)
        return get(request.id, std::move(done));
    updateExisting(request.id, request.fields.patch, std::move(done));
}

void ClientRecords::removeLegacy(const QString &nsp, Callback<QStringList> done)
{
    const qint64 before =
        m_settings->clock->nowMs() - m_settings->clientLegacyExpireHours * kHourMs;
    m_store->removeLegacyClients(nsp, before, relay(std::move(done)));
}

} // namespace qpush::push
