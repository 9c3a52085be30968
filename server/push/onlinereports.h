// Online reports (SPEC §4 report/online, the console's namespace list): the
// online counts (push::Presence: every node's clients) next to the all-time totals the store
// keeps, per namespace, per room, or summed over every namespace.
#pragma once

#include "namespaceregistry.h"
#include "presence.h"
#include "requests.h"
#include "settings.h"

#include "store/store.h"

#include <QJsonArray>

namespace qpush::push {

// GET /api/{auth,admin}/report/online: `nsp` empty means every namespace.
struct OnlineQuery
{
    QString nsp;
    QStringList rooms;
    bool detail = false;
};

class OnlineReports
{
public:
    OnlineReports(store::Store *store, NamespaceRegistry *registry, Presence *presence,
                  const Settings *settings)
        : m_store(store), m_registry(registry), m_presence(presence), m_settings(settings)
    {
    }

    // A namespace's report ({roomCount, userCount, clientCount, [room, user,
    // client,] totalClientCount}), its rooms' reports (an array), or the sums
    // over every namespace.
    void report(const OnlineQuery &query, Callback<QJsonValue> done);
    // Adds each namespace's live counts and totalClientCount to `items`
    // (namespace objects with a "key"); a failed total counts 0.
    void addCounts(QJsonArray items, std::function<void(QJsonArray)> done);

private:
    void namespaceReport(const QString &nsp, bool detail, Callback<QJsonValue> done);
    void roomReport(const QString &nsp, const QStringList &rooms, Callback<QJsonValue> done);
    void summary(Callback<QJsonValue> done);
    // {roomCount, userCount, clientCount} of each namespace on every node, in order.
    void online(const QStringList &nsps, std::function<void(QList<QJsonObject>)> done);
    // totalClientCount of each namespace, in order (0 where the store failed).
    void totals(const QStringList &nsps, std::function<void(QList<qint64>)> done);

    store::Store *m_store;
    NamespaceRegistry *m_registry;
    Presence *m_presence;
    const Settings *m_settings;
};

} // namespace qpush::push
