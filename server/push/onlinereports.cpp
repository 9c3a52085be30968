#include "onlinereports.h"

#include "storeresult.h"

#include <memory>

namespace qpush::push {

void OnlineReports::report(const OnlineQuery &query, Callback<QJsonValue> done)
{
    if (query.nsp.isEmpty()) {
        if (!query.rooms.isEmpty())
            return done(DomainError::invalid(QStringLiteral("room needs a namespace")));
        return summary(std::move(done));
    }
    if (!m_registry->find(query.nsp))
        return done(DomainError::notFound(QStringLiteral("no such namespace: ") + query.nsp));
    const auto rooms = parseRoomNames(query.rooms, *m_settings);
    if (!rooms)
        return done(rooms.error());
    if (rooms->isEmpty())
        return namespaceReport(query.nsp, query.detail, std::move(done));
    roomReport(query.nsp, *rooms, std::move(done));
}

void OnlineReports::namespaceReport(const QString &nsp, bool detail, Callback<QJsonValue> done)
{
    // Online on every node (Presence), next to the store's total.
    m_presence->namespaceOnline(
        nsp, detail, m_settings->reportOnlineListMaxLimit,
        [this, nsp, done](QJsonObject o) mutable {
            m_store->countClients(nsp, [o, done](store::Result<qint64> r) mutable {
                if (!r)
                    return done(fromStoreError(r.error()));
                o.insert(QStringLiteral("totalClientCount"), double(r.value()));
                done(QJsonValue(o));
            });
        });
}

void OnlineReports::roomReport(const QString &nsp, const QStringList &rooms,
                               Callback<QJsonValue> done)
{
    m_presence->roomOnline(nsp, rooms, [this, nsp, rooms, done](const QList<OnlineCounts> &online) {
        m_store->roomCounts(
            nsp, rooms, [rooms, online, done](store::Result<QList<store::RoomCounts>> r) {
                if (!r)
                    return done(fromStoreError(r.error()));
                QJsonArray list;
                for (qsizetype i = 0; i < rooms.size(); ++i) {
                    const OnlineCounts live = online.value(i);
                    const store::RoomCounts total =
                        i < r.value().size() ? r.value().at(i) : store::RoomCounts{};
                    list.append(QJsonObject{
                        {QStringLiteral("name"), rooms.at(i)},
                        {QStringLiteral("userCount"), double(live.users)},
                        {QStringLiteral("clientCount"), double(live.clients)},
                        {QStringLiteral("totalClientCount"), double(total.total)},
                        {QStringLiteral("iosClientCount"), double(live.ios)},
                        {QStringLiteral("totalIOSClientCount"), double(total.ios)},
                        {QStringLiteral("androidClientCount"), double(live.android)},
                        {QStringLiteral("totalAndroidClientCount"), double(total.android)}});
                }
                done(QJsonValue(list));
            });
    });
}

void OnlineReports::summary(Callback<QJsonValue> done)
{
    QStringList keys;
    for (const store::NamespaceRecord &ns : m_registry->all())
        keys.append(ns.key);
    online(keys, [this, keys, done](const QList<QJsonObject> &lives) {
        QJsonObject sums{{QStringLiteral("roomCount"), 0},
                         {QStringLiteral("userCount"), 0},
                         {QStringLiteral("clientCount"), 0},
                         {QStringLiteral("totalClientCount"), 0}};
        for (const QJsonObject &live : lives)
            for (auto it = live.begin(); it != live.end(); ++it)
                sums.insert(it.key(), sums.value(it.key()).toDouble() + it.value().toDouble());
        totals(keys, [sums, done](const QList<qint64> &counts) mutable {
            double total = 0;
            for (qint64 c : counts)
                total += double(c);
            if (!counts.isEmpty())
                sums.insert(QStringLiteral("totalClientCount"), total);
            done(QJsonValue(sums));
        });
    });
}

void OnlineReports::addCounts(QJsonArray items, std::function<void(QJsonArray)> done)
{
    QStringList keys;
    for (const QJsonValue &item : std::as_const(items))
        keys.append(item.toObject().value(QStringLiteral("key")).toString());
    online(keys, [this, items, keys, done](const QList<QJsonObject> &lives) {
        totals(keys, [items, lives, done](const QList<qint64> &counts) mutable {
            for (qsizetype i = 0; i < items.size(); ++i) {
                QJsonObject item = items.at(i).toObject();
                const QJsonObject live = lives.value(i);
                for (auto it = live.begin(); it != live.end(); ++it)
                    item.insert(it.key(), it.value());
                item.insert(QStringLiteral("totalClientCount"), double(counts.value(i)));
                items[i] = item;
            }
            done(items);
        });
    });
}

void OnlineReports::online(const QStringList &nsps, std::function<void(QList<QJsonObject>)> done)
{
    if (nsps.isEmpty())
        return done({});
    struct Gather
    {
        QList<QJsonObject> lives;
        qsizetype remaining;
        std::function<void(QList<QJsonObject>)> done;
    };
    auto gather = std::make_shared<Gather>(
        Gather{QList<QJsonObject>(nsps.size()), nsps.size(), std::move(done)});
    for (qsizetype i = 0; i < nsps.size(); ++i) {
        m_presence->namespaceOnline(nsps.at(i), false, 0, [gather, i](const QJsonObject &live) {
            gather->lives[i] = live;
            if (--gather->remaining == 0)
                gather->done(gather->lives);
        });
    }
}

void OnlineReports::totals(const QStringList &nsps, std::function<void(QList<qint64>)> done)
{
    if (nsps.isEmpty())
        return done({});
    struct Gather
    {
        QList<qint64> counts;
        qsizetype remaining;
        std::function<void(QList<qint64>)> done;
    };
    auto gather = std::make_shared<Gather>(
        Gather{QList<qint64>(nsps.size(), 0), nsps.size(), std::move(done)});
    for (qsizetype i = 0; i < nsps.size(); ++i) {
        m_store->countClients(nsps.at(i), [gather, i](store::Result<qint64> r) {
            if (r)
                gather->counts[i] = r.value();
            if (--gather->remaining == 0)
                gather->done(gather->counts);
        });
    }
}

} // namespace qpush::push
