// The namespaces of this deployment, cached in memory (every connect, push
// and REST call looks one up) and written through to the store. A save is in
// effect on this node before its callback runs; other nodes learn of it
// through the cluster bus (applyRemote).
#pragma once

#include "shared/clock.h"
#include "shared/limits.h"
#include "store/store.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>

namespace qpush::push {

class NamespaceRegistry : public QObject
{
    Q_OBJECT
public:
    // `clock`: the updateDate of a save (and the minute of a limit's log line).
    NamespaceRegistry(store::Store *store, const Clock *clock, QObject *parent = nullptr);

    // apns_list entries a namespace may have (apns_list_max_entries).
    void setApnsListMaxEntries(int max) { m_apnsListMaxEntries = max; }

    // Loads every namespace from the store.
    void load(store::Callback<store::Done> done);

    const store::NamespaceRecord *find(const QString &key) const;
    QList<store::NamespaceRecord> all() const; // ordered by key

    // Partial save (SPEC §10). `create` allows a new key.
    void save(const QString &key, const QJsonObject &fields, const QString &clientIp, bool create,
              store::Callback<store::NamespaceRecord> done);
    // Deletes the namespace's data, and with `alsoNamespace` the record.
    void remove(const QString &key, bool alsoNamespace, store::Callback<store::Done> done);

    // A change made on another node (or reloaded): applied to the cache.
    void applyRemote(const store::NamespaceRecord &record);
    void applyRemoteRemoval(const QString &key);
    void reload(const QString &key);

Q_SIGNALS:
    // The record of `key` changed (or was removed: find() returns null).
    void changed(const QString &key);
    // A save went through locally: the cluster bus tells the other nodes.
    void savedLocally(const store::NamespaceRecord &record);
    void removedLocally(const QString &key, bool alsoNamespace);

private:
    store::Store *m_store;
    const Clock *m_clock;
    QHash<QString, store::NamespaceRecord> m_namespaces;
    int m_apnsListMaxEntries = 32;
    LogGate m_limitLog;
};

} // namespace qpush::push
