#include "namespaceregistry.h"

#include "json.h"
#include "logging.h"
#include "requests.h"

#include <QPointer>

#include <algorithm>

namespace qpush::push {

NamespaceRegistry::NamespaceRegistry(store::Store *store, const Clock *clock, QObject *parent)
    : QObject(parent), m_store(store), m_clock(clock)
{
}

void NamespaceRegistry::load(store::Callback<store::Done> done)
{
    QPointer<NamespaceRegistry> self(this);
    m_store->listNamespaces([self, done](store::Result<QList<store::NamespaceRecord>> r) {
        if (!self)
            return;
        if (!r) {
            done(r.error());
            return;
        }
        self->m_namespaces.clear();
        for (const store::NamespaceRecord &ns : r.value())
            self->m_namespaces.insert(ns.key, ns);
        qCInfo(lcPush) << "loaded" << self->m_namespaces.size() << "namespaces";
        done(store::Done{});
    });
}

const store::NamespaceRecord *NamespaceRegistry::find(const QString &key) const
{
    auto it = m_namespaces.constFind(key);
    return it == m_namespaces.constEnd() ? nullptr : &it.value();
}

QList<store::NamespaceRecord> NamespaceRegistry::all() const
{
    QList<store::NamespaceRecord> list = m_namespaces.values();
    std::sort(list.begin(), list.end(), [](const auto &a, const auto &b) { return a.key < b.key; });
    return list;
}

void NamespaceRegistry::save(const QString &key, const QJsonObject &fields, const QString &clientIp,
                             bool create, store::Callback<store::NamespaceRecord> done)
{
    store::NamespaceRecord record;
    if (const store::NamespaceRecord *existing = find(key)) {
        record = *existing;
    } else if (!create) {
        done(store::Error{store::ErrorCode::NotFound, QStringLiteral("no such namespace")});
        return;
    } else {
        record.key = key;
        record.offline = false; // a new namespace starts "off"
    }
    const qint64 now = m_clock->nowMs();
    if (auto err = mergeNamespace(record, fields, m_apnsListMaxEntries)) {
        if (err->contains(QLatin1String("apns_list_max_entries")) &&
            m_limitLog.allow("apns_list_max_entries", now))
            qCWarning(lcPush).noquote()
                << "limit apns_list_max_entries tripped: a save of" << key << "was refused";
        done(store::Error{store::ErrorCode::Invalid, *err});
        return;
    }
    record.key = key;
    record.updateDate = now;
    record.clientIp = clientIp;
    QPointer<NamespaceRegistry> self(this);
    m_store->saveNamespace(record, [self, record, done](store::Result<store::Done> r) {
        if (!self)
            return;
        if (!r) {
            done(r.error());
            return;
        }
        self->m_namespaces.insert(record.key, record);
        Q_EMIT self->changed(record.key);
        Q_EMIT self->savedLocally(record);
        done(record);
    });
}

void NamespaceRegistry::remove(const QString &key, bool alsoNamespace,
                               store::Callback<store::Done> done)
{
    QPointer<NamespaceRegistry> self(this);
    m_store->deleteNamespaceData(key, alsoNamespace,
                                 [self, key, alsoNamespace, done](store::Result<store::Done> r) {
                                     if (!self)
                                         return;
                                     if (r && alsoNamespace) {
                                         self->m_namespaces.remove(key);
                                         Q_EMIT self->changed(key);
                                     }
                                     if (r)
                                         Q_EMIT self->removedLocally(key, alsoNamespace);
                                     done(r);
                                 });
}

void NamespaceRegistry::applyRemote(const store::NamespaceRecord &record)
{
    m_namespaces.insert(record.key, record);
    Q_EMIT changed(record.key);
}

void NamespaceRegistry::applyRemoteRemoval(const QString &key)
{
    if (m_namespaces.remove(key))
        Q_EMIT changed(key);
}

void NamespaceRegistry::reload(const QString &key)
{
    QPointer<NamespaceRegistry> self(this);
    m_store->getNamespace(key, [self, key](store::Result<store::NamespaceRecord> r) {
        if (!self)
            return;
        if (r)
            self->applyRemote(r.value());
        else if (r.error().code == store::ErrorCode::NotFound)
            self->applyRemoteRemoval(key);
    });
}

} // namespace qpush::push
