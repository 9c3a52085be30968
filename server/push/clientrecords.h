// Stored client records (SPEC §3.2): reads, patches of existing clients only
// (a patch never creates a client: REST and the `info` event of another
// device of the same user both go through updateExisting), and the removal
// of legacy clients (not connected for client_legacy_expire_hours).
#pragma once

#include "requests.h"
#include "settings.h"

#include "store/store.h"

namespace qpush::push {

class ClientRecords
{
public:
    ClientRecords(store::Store *store, const Settings *settings)
        : m_store(store), m_settings(settings)
    {
    }

    void get(const QString &clientId, Callback<store::ClientInfo> done);
    // Writes `patch` stamped with update_date (a connected client's own
    // record: written even if it was removed meanwhile).
    void update(const QString &clientId, store::ClientPatch patch,
                Callback<store::ClientInfo> done);
    // Writes `patch` (stamped with update_date) when the client exists;
    // NotFound otherwise. Answers the record after the write.
    void updateExisting(const QString &clientId, store::ClientPatch patch,
                        Callback<store::ClientInfo> done);
    // GET/POST /api/auth/client: a read, or a patch of an existing client.
    void apply(const ClientRequest &request, Callback<store::ClientInfo> done);
    // Removes the namespace's clients not seen for client_legacy_expire_hours;
    // answers their ids.
    void removeLegacy(const QString &nsp, Callback<QStringList> done);

private:
    store::Store *m_store;
    const Settings *m_settings;
};

} // namespace qpush::push
