#include "namespaceadmin.h"

#include "storeresult.h"

namespace qpush::push {

Expected<NamespaceListRequest> NamespaceListRequest::parse(const QString &key, const QString &name,
                                                           const QString &offline,
                                                           const QString &page,
                                                           const QString &pageSize)
{
    NamespaceListRequest r;
    r.key = key;
    r.name = name;
    if (offline == u"on")
        r.offline = Offline::On;
    else if (offline == u"off")
        r.offline = Offline::Off;
    else if (!offline.isEmpty() && offline != u"all")
        return DomainError::invalid(QStringLiteral("offline must be on, off or all"));
    auto p = PageRequest::parse(page, pageSize, QLatin1String("pageSize"), 1000);
    if (!p)
        return p.error();
    r.page = *p;
    return r;
}

void NamespaceAdmin::save(const QString &ownKey, const NamespaceSaveRequest &request,
                          const QString &clientIp, Callback<store::NamespaceRecord> done)
{
    const bool create = !request.key.isEmpty();
    m_registry->save(create ? request.key : ownKey, request.fields, clientIp, create,
                     relay(std::move(done)));
}

NamespacePage NamespaceAdmin::list(const NamespaceListRequest &request) const
{
    using Offline = NamespaceListRequest::Offline;
    NamespacePage page;
    QList<store::NamespaceRecord> matches;
    for (const store::NamespaceRecord &ns : m_registry->all()) {
        if (!request.key.isEmpty() && !ns.key.contains(request.key))
            continue;
        if (!request.name.isEmpty() && !ns.name.contains(request.name))
            continue;
        if (request.offline != Offline::All && ns.offline != (request.offline == Offline::On))
            continue;
        matches.append(ns);
    }
    page.total = matches.size();
    page.items = matches.mid(request.page.offset(), request.page.size);
    return page;
}

std::optional<DomainError> NamespaceAdmin::requireOffline(const QString &key) const
{
    const store::NamespaceRecord *ns = m_registry->find(key);
    if (!ns)
        return DomainError::notFound(QStringLiteral("no such namespace: ") + key);
    if (!ns->offline)
        return DomainError::conflict(QStringLiteral("set the namespace offline first"));
    return std::nullopt;
}

void NamespaceAdmin::remove(const QString &key, bool alsoNamespace, Callback<store::Done> done)
{
    if (auto err = requireOffline(key))
        return done(*err);
    m_registry->remove(key, alsoNamespace, relay(std::move(done)));
}

std::optional<DomainError> NamespaceAdmin::clearRealtimeData(const QString &key)
{
    if (auto err = requireOffline(key))
        return err;
    m_live->disconnectNamespace(key);
    m_presence->clearNamespace(key); // every node's share
    return std::nullopt;
}

void NamespaceAdmin::clearLegacyClients(const QString &key, Callback<QStringList> done)
{
    if (auto err = requireOffline(key))
        return done(*err);
    m_clients->removeLegacy(key, std::move(done));
}

} // namespace qpush::push
