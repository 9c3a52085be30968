// What the REST API does to namespaces (SPEC §4, §10): saves (a namespace's
// own, or the admin's that may create one), the admin's filtered and paged
// list, and the destructive operations, which all require the namespace to
// exist and to be offline first.
#pragma once

#include "clientrecords.h"
#include "liveclients.h"
#include "namespaceregistry.h"
#include "requests.h"

namespace qpush::push {

// GET /api/admin/namespace/list: substring filters on key and name, the
// offline state ("on", "off", "all"), a page (`pageSize` up to 1000).
struct NamespaceListRequest
{
    enum class Offline { All, On, Off };
    QString key;
    QString name;
    Offline offline = Offline::All;
    PageRequest page;

    static Expected<NamespaceListRequest> parse(const QString &key, const QString &name,
                                                const QString &offline, const QString &page,
                                                const QString &pageSize);
};

struct NamespacePage
{
    QList<store::NamespaceRecord> items;
    qsizetype total = 0; // matches on every page
};

class NamespaceAdmin
{
public:
    NamespaceAdmin(NamespaceRegistry *registry, LiveClients *live, Presence *presence,
                   ClientRecords *clients)
        : m_registry(registry), m_live(live), m_presence(presence), m_clients(clients)
    {
    }

    // `key`: the caller's own namespace (request.key empty) or the admin's
    // request.key (created when missing).
    void save(const QString &ownKey, const NamespaceSaveRequest &request, const QString &clientIp,
              Callback<store::NamespaceRecord> done);
    NamespacePage list(const NamespaceListRequest &request) const;

    // Deletes the namespace's data, with `alsoNamespace` the record too.
    void remove(const QString &key, bool alsoNamespace, Callback<store::Done> done);
    // Disconnects the namespace's clients on this node.
    std::optional<DomainError> clearRealtimeData(const QString &key);
    void clearLegacyClients(const QString &key, Callback<QStringList> done);

private:
    // NotFound or Conflict unless `key` exists and is offline.
    std::optional<DomainError> requireOffline(const QString &key) const;

    NamespaceRegistry *m_registry;
    LiveClients *m_live;
    Presence *m_presence;
    ClientRecords *m_clients;
};

} // namespace qpush::push
