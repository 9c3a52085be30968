#include "memorystore.h"

#include "shared/clock.h"
#include "store/codec.h"

#include <QMetaObject>

#include <algorithm>

namespace qpush::test {

using namespace qpush::store;

namespace {

Error invalid(const QString &what)
{
    return Error{ErrorCode::Invalid, what};
}

Error notFound(const QString &what)
{
    return Error{ErrorCode::NotFound, what};
}

qint64 lastSeen(const ClientInfo &c)
{
    return std::max({c.lastConnectTime, c.lastDisconnectTime, c.updateDate, c.firstConnectTime});
}

} // namespace

struct StoredPush
{
    PushReport report;                          ///< message and counters; no detail lists
    std::map<QString, Platform> acks;           ///< client id -> platform, sorted
    std::map<QString, ApnsOutcome> apnsAnswers; ///< client id -> first answer
};

struct MemoryStoreData
{
    using RoomKey = std::pair<QString, QString>; // nsp, room

    std::map<QString, NamespaceRecord> namespaces;
    std::map<QString, ClientInfo> clients;
    std::map<RoomKey, std::map<QString, Platform>> members; // sorted by client id
    std::map<QString, std::set<QString>> roomsOf;           // client id -> rooms
    std::map<qint64, StoredPush> pushes;
    std::multimap<qint64, qint64> expiry; // expireAt -> push id
    std::map<RoomKey, qint64> roomCounters;
    std::map<std::pair<QString, QString>, qint64> stats; // nsp, bucket -> count
    std::map<QString, std::set<qint64>> offline;         // client id -> push ids
    std::map<qint64, Job> jobs;
    qint64 lastPushId = 0;
    qint64 lastJobId = 0;

    /// Removes every push that expired at `now`, with its receipts (offline
    /// entries pointing to it are skipped by readers and trimmed on write).
    void dropExpired(qint64 now)
    {
        while (!expiry.empty() && expiry.begin()->first <= now) {
            pushes.erase(expiry.begin()->second);
            expiry.erase(expiry.begin());
        }
    }

    StoredPush *live(const QString &nsp, qint64 id)
    {
        auto it = pushes.find(id);
        if (it == pushes.end() || it->second.report.message.nsp != nsp)
            return nullptr;
        return &it->second;
    }

    void join(const QString &nsp, const QString &room, const QString &clientId, Platform p)
    {
        members[{nsp, room}].emplace(clientId, p);
        roomsOf[clientId].insert(room);
    }

    bool leave(const QString &nsp, const QString &room, const QString &clientId)
    {
        auto it = members.find({nsp, room});
        if (it == members.end() || it->second.erase(clientId) == 0)
            return false;
        if (it->second.empty())
            members.erase(it);
        auto r = roomsOf.find(clientId);
        if (r != roomsOf.end()) {
            r->second.erase(room);
            if (r->second.empty())
                roomsOf.erase(r);
        }
        return true;
    }

    void removeClient(const QString &clientId)
    {
        const auto p = parseClientId(clientId);
        const auto rooms = roomsOf.find(clientId);
        if (p && rooms != roomsOf.end()) {
            const std::set<QString> copy = rooms->second;
            for (const QString &room : copy)
                leave(p->nsp, room, clientId);
        }
        offline.erase(clientId);
        clients.erase(clientId);
    }

    void addOffline(qint64 id, const QStringList &clientIds, int limit)
    {
        for (const QString &cid : clientIds) {
            std::set<qint64> &list = offline[cid];
            list.insert(id);
            for (auto it = list.begin(); it != list.end();) // entries of expired pushes
                it = pushes.count(*it) ? std::next(it) : list.erase(it);
            while (list.size() > size_t(std::max(limit, 0)))
                list.erase(list.begin());
            if (list.empty())
                offline.erase(cid);
        }
    }
};

MemoryStore::MemoryStore(const Clock *clock, std::shared_ptr<MemoryStoreData> data, QObject *parent)
    : Store(parent), m_clock(clock), m_data(data ? std::move(data) : makeData())
{
}

MemoryStore::~MemoryStore() = default;

std::shared_ptr<MemoryStoreData> MemoryStore::makeData()
{
    return std::make_shared<MemoryStoreData>();
}

void MemoryStore::setAvailable(bool available)
{
    if (m_available == available)
        return;
    m_available = available;
    Q_EMIT availabilityChanged(available);
}

template <class T>
void MemoryStore::answer(Callback<T> done, const std::function<Result<T>()> &work)
{
    ++m_calls;
    std::optional<Result<T>> result;
    if (!m_available)
        result.emplace(Error{ErrorCode::Unavailable, QStringLiteral("memory store: unavailable")});
    else if (!m_opened)
        result.emplace(Error{ErrorCode::Unavailable, QStringLiteral("memory store: not open")});
    else {
        m_data->dropExpired(m_clock->nowMs());
        result.emplace(work());
    }
    // Later, from the event loop, as every backend answers.
    QMetaObject::invokeMethod(
        this, [done = std::move(done), r = std::move(*result)]() mutable { done(std::move(r)); },
        Qt::QueuedConnection);
}

void MemoryStore::open(Callback<Done> done)
{
    if (m_available)
        m_opened = true;
    answer<Done>(std::move(done), [] { return Done{}; });
}

// ------------------------------------------------------------- namespaces

void MemoryStore::saveNamespace(const NamespaceRecord &ns, Callback<Done> done)
{
    answer<Done>(std::move(done), [&]() -> Result<Done> {
        if (!ns.key.startsWith(u'/'))
            return invalid(QStringLiteral("namespace key must start with '/': ") + ns.key);
        m_data->namespaces[ns.key] = ns;
        return Done{};
    });
}

void MemoryStore::getNamespace(const QString &key, Callback<NamespaceRecord> done)
{
    answer<NamespaceRecord>(std::move(done), [&]() -> Result<NamespaceRecord> {
        const auto it = m_data->namespaces.find(key);
        if (it == m_data->namespaces.end())
            return notFound(QStringLiteral("no namespace ") + key);
        return it->second;
    });
}

void MemoryStore::listNamespaces(Callback<QList<NamespaceRecord>> done)
{
    answer<QList<NamespaceRecord>>(std::move(done), [&]() -> Result<QList<NamespaceRecord>> {
        QList<NamespaceRecord> out;
        for (const auto &[key, ns] : m_data->namespaces)
            out.append(ns);
        return out;
    });
}

void MemoryStore::deleteNamespaceData(const QString &key, bool alsoNamespace, Callback<Done> done)
{
    answer<Done>(std::move(done), [&]() -> Result<Done> {
        MemoryStoreData &d = *m_data;
        for (auto it = d.pushes.begin(); it != d.pushes.end();)
            it = it->second.report.message.nsp == key ? d.pushes.erase(it) : std::next(it);
        QStringList ids;
        for (const auto &[id, c] : d.clients) {
            if (c.nsp == key)
                ids.append(id);
        }
        for (const QString &id : std::as_const(ids))
            d.removeClient(id);
        for (auto it = d.members.begin(); it != d.members.end();) {
            if (it->first.first != key) {
                ++it;
                continue;
            }
            for (const auto &[cid, platform] : it->second)
                d.roomsOf.erase(cid);
            it = d.members.erase(it);
        }
        // Client ids start with "<nsp>#".
        const QString prefix = key + u'#';
        for (auto it = d.offline.begin(); it != d.offline.end();)
            it = it->first.startsWith(prefix) ? d.offline.erase(it) : std::next(it);
        for (auto it = d.roomCounters.begin(); it != d.roomCounters.end();)
            it = it->first.first == key ? d.roomCounters.erase(it) : std::next(it);
        for (auto it = d.stats.begin(); it != d.stats.end();)
            it = it->first.first == key ? d.stats.erase(it) : std::next(it);
        for (auto it = d.jobs.begin(); it != d.jobs.end();)
            it = it->second.nsp == key ? d.jobs.erase(it) : std::next(it);
        if (alsoNamespace)
            d.namespaces.erase(key);
        return Done{};
    });
}

// ---------------------------------------------------------------- clients

void MemoryStore::getClient(const QString &clientId, Callback<ClientInfo> done)
{
    answer<ClientInfo>(std::move(done), [&]() -> Result<ClientInfo> {
        const auto it = m_data->clients.find(clientId);
        if (it == m_data->clients.end())
            return notFound(QStringLiteral("no client ") + clientId);
        return it->second;
    });
}

void MemoryStore::getClients(const QStringList &clientIds, Callback<QList<ClientInfo>> done)
{
    answer<QList<ClientInfo>>(std::move(done), [&]() -> Result<QList<ClientInfo>> {
        QList<ClientInfo> out;
        for (const QString &id : clientIds) {
            const auto it = m_data->clients.find(id);
            if (it != m_data->clients.end())
                out.append(it->second);
        }
        return out;
    });
}

void MemoryStore::updateClient(const QString &clientId, const ClientPatch &patch,
                               Callback<ClientInfo> done)
{
    answer<ClientInfo>(std::move(done), [&]() -> Result<ClientInfo> {
        const auto p = parseClientId(clientId);
        if (!p)
            return invalid(QStringLiteral("not a client id: ") + clientId);
        auto [it, created] = m_data->clients.try_emplace(clientId);
        ClientInfo &c = it->second;
        if (created) {
            c.clientId = clientId;
            c.nsp = p->nsp;
            c.userid = p->userid;
            c.platform = p->platform;
            c.uuid = p->uuid;
        }
        applyClientPatch(c, patch);
        return c;
    });
}

void MemoryStore::editClientApns(const QString &clientId, const QStringList &add,
                                 const QStringList &remove, Callback<QStringList> done)
{
    answer<QStringList>(std::move(done), [&]() -> Result<QStringList> {
        const auto it = m_data->clients.find(clientId);
        if (it == m_data->clients.end())
            return notFound(QStringLiteral("no client ") + clientId);
        it->second.noSendApns = applyDndEdit(it->second.noSendApns, add, remove);
        return it->second.noSendApns;
    });
}

void MemoryStore::removeLegacyClients(const QString &nsp, qint64 notSeenSince,
                                      Callback<QStringList> done)
{
    answer<QStringList>(std::move(done), [&]() -> Result<QStringList> {
        QStringList removed;
        for (const auto &[id, c] : m_data->clients) {
            if (c.nsp == nsp && lastSeen(c) < notSeenSince)
                removed.append(id);
        }
        for (const QString &id : std::as_const(removed))
            m_data->removeClient(id);
        return removed;
    });
}

void MemoryStore::countClients(const QString &nsp, Callback<qint64> done)
{
    answer<qint64>(std::move(done), [&]() -> Result<qint64> {
        return qint64(std::count_if(m_data->clients.cbegin(), m_data->clients.cend(),
                                    [&](const auto &e) { return e.second.nsp == nsp; }));
    });
}

// ------------------------------------------------------------------ rooms

void MemoryStore::joinRooms(const QString &clientId, const QStringList &rooms, Callback<Done> done)
{
    answer<Done>(std::move(done), [&]() -> Result<Done> {
        const auto p = parseClientId(clientId);
        if (!p)
            return invalid(QStringLiteral("not a client id: ") + clientId);
        for (const QString &room : rooms)
            m_data->join(p->nsp, room, clientId, p->platform);
        return Done{};
    });
}

void MemoryStore::leaveRooms(const QString &clientId, const QStringList &rooms, Callback<Done> done)
{
    answer<Done>(std::move(done), [&]() -> Result<Done> {
        const auto p = parseClientId(clientId);
        if (!p)
            return invalid(QStringLiteral("not a client id: ") + clientId);
        for (const QString &room : rooms)
            m_data->leave(p->nsp, room, clientId);
        return Done{};
    });
}

void MemoryStore::clientRooms(const QString &clientId, Callback<QStringList> done)
{
    answer<QStringList>(std::move(done), [&]() -> Result<QStringList> {
        QStringList out;
        const auto it = m_data->roomsOf.find(clientId);
        if (it != m_data->roomsOf.end())
            out = QStringList(it->second.cbegin(), it->second.cend());
        return out;
    });
}

void MemoryStore::roomMembers(const QString &nsp, const QString &room,
                              std::optional<Platform> platform, Callback<QStringList> done)
{
    answer<QStringList>(std::move(done), [&]() -> Result<QStringList> {
        QStringList out;
        const auto it = m_data->members.find({nsp, room});
        if (it == m_data->members.end())
            return out;
        for (const auto &[cid, p] : it->second) {
            if (!platform || p == *platform)
                out.append(cid);
        }
        return out;
    });
}

void MemoryStore::roomCounts(const QString &nsp, const QStringList &rooms,
                             Callback<QList<RoomCounts>> done)
{
    answer<QList<RoomCounts>>(std::move(done), [&]() -> Result<QList<RoomCounts>> {
        QList<RoomCounts> out;
        for (const QString &room : rooms) {
            RoomCounts c;
            const auto it = m_data->members.find({nsp, room});
            if (it != m_data->members.end()) {
                for (const auto &[cid, p] : it->second) {
                    ++c.total;
                    ++(p == Platform::Ios ? c.ios : p == Platform::Android ? c.android : c.web);
                }
            }
            out.append(c);
        }
        return out;
    });
}

void MemoryStore::transfer(const QString &nsp, const QStringList &sourceRooms,
                           const QString &targetRoom, TransferKind kind, Callback<QStringList> done)
{
    answer<QStringList>(std::move(done), [&]() -> Result<QStringList> {
        std::map<QString, Platform> sources; // sorted, distinct
        for (const QString &room : sourceRooms) {
            const auto it = m_data->members.find({nsp, room});
            if (it != m_data->members.end())
                sources.insert(it->second.cbegin(), it->second.cend());
        }
        QStringList changed;
        for (const auto &[cid, p] : sources) {
            if (kind == TransferKind::Join) {
                const auto &target = m_data->members[{nsp, targetRoom}];
                if (target.count(cid))
                    continue;
                m_data->join(nsp, targetRoom, cid, p);
                changed.append(cid);
            } else if (m_data->leave(nsp, targetRoom, cid)) {
                changed.append(cid);
            }
        }
        return changed;
    });
}

void MemoryStore::setRoomLeaveMessage(const QString &nsp, const QString &room, bool leaveMessage,
                                      Callback<qint64> done)
{
    answer<qint64>(std::move(done), [&]() -> Result<qint64> {
        qint64 n = 0;
        const auto it = m_data->members.find({nsp, room});
        if (it == m_data->members.end())
            return n;
        for (const auto &[cid, p] : it->second) {
            const auto c = m_data->clients.find(cid);
            if (c == m_data->clients.end())
                continue; // only stored clients change
            c->second.leaveMessage = leaveMessage;
            ++n;
        }
        return n;
    });
}

void MemoryStore::editRoomApns(const QString &nsp, const QString &room, const QStringList &add,
                               const QStringList &remove, Callback<qint64> done)
{
    answer<qint64>(std::move(done), [&]() -> Result<qint64> {
        qint64 n = 0;
        const auto it = m_data->members.find({nsp, room});
        if (it == m_data->members.end())
            return n;
        for (const auto &[cid, p] : it->second) {
            const auto c = m_data->clients.find(cid);
            if (c == m_data->clients.end())
                continue;
            c->second.noSendApns = applyDndEdit(c->second.noSendApns, add, remove);
            ++n;
        }
        return n;
    });
}

// ------------------------------------------------------------------ pushes

void MemoryStore::savePush(const PushRecord &push, Callback<PushSaved> done)
{
    answer<PushSaved>(std::move(done), [&]() -> Result<PushSaved> {
        if (!push.nsp.startsWith(u'/') || push.room.isEmpty())
            return invalid(QStringLiteral("a push needs a namespace and a room"));
        if (push.ttlMs <= 0)
            return invalid(QStringLiteral("a push needs a positive ttl"));
        MemoryStoreData &d = *m_data;
        if (d.lastPushId >= kMaxMessageId)
            return Error{ErrorCode::Corrupt, QStringLiteral("message ids are exhausted")};
        const qint64 id = ++d.lastPushId;
        const qint64 serverNum = d.roomCounters[{push.nsp, push.room}]++;
        const qint64 expireAt = m_clock->nowMs() + push.ttlMs;

        StoredPush &s = d.pushes[id];
        PushMessage &m = s.report.message;
        m.id = id;
        m.nsp = push.nsp;
        m.room = push.room;
        m.pushData = push.pushData;
        m.sendDate = push.sendDate;
        m.serverNum = serverNum;
        m.leaveMessage = push.leaveMessage;
        m.apnsName = push.apnsName;
        m.extra = push.extra;
        m.exceptClient = push.exceptClient;
        m.expireAt = expireAt;
        s.report.onlineClientCount = push.onlineClientCount;
        d.expiry.emplace(expireAt, id);

        const StatBuckets b = statBuckets(push.sendDate);
        ++d.stats[{push.nsp, QStringLiteral("m%1").arg(b.minute)}];
        ++d.stats[{push.nsp, QStringLiteral("h%1").arg(b.hour)}];
        ++d.stats[{push.nsp, QStringLiteral("d%1").arg(b.day)}];
        d.addOffline(id, push.offlineClientIds, push.offlineLimit);
        if (push.followUp) {
            Job j;
            j.id = ++d.lastJobId;
            j.nsp = push.nsp; // a follow-up belongs to the push's namespace
            j.kind = push.followUp->kind;
            // An empty payload means "the message id": the job cannot know it earlier.
            j.payload =
                push.followUp->payload.isEmpty() ? QByteArray::number(id) : push.followUp->payload;
            j.dueAt = push.followUp->dueAt;
            d.jobs.emplace(j.id, j);
        }
        return PushSaved{id, serverNum};
    });
}

void MemoryStore::getReport(const QString &nsp, qint64 id, bool withDetail,
                            Callback<PushReport> done)
{
    answer<PushReport>(std::move(done), [&]() -> Result<PushReport> {
        const StoredPush *s = m_data->live(nsp, id);
        if (!s)
            return notFound(QStringLiteral("no report %1 in %2").arg(id).arg(nsp));
        PushReport r = s->report;
        if (withDetail) {
            for (const auto &[cid, p] : s->acks) {
                (p == Platform::Ios       ? r.ackIOSDetail
                 : p == Platform::Android ? r.ackAndroidDetail
                                          : r.ackWebDetail)
                    .append(cid);
            }
        }
        return r;
    });
}

void MemoryStore::listReports(const QString &nsp, int page, int size,
                              Callback<QList<PushReport>> done)
{
    answer<QList<PushReport>>(std::move(done), [&]() -> Result<QList<PushReport>> {
        if (page < 1 || size < 1)
            return invalid(QStringLiteral("page and size start at 1"));
        QList<PushReport> out;
        qint64 skip = qint64(page - 1) * size;
        for (auto it = m_data->pushes.crbegin(); it != m_data->pushes.crend(); ++it) {
            if (it->second.report.message.nsp != nsp)
                continue;
            if (skip > 0) {
                --skip;
                continue;
            }
            out.append(it->second.report);
            if (out.size() >= size)
                break;
        }
        return out;
    });
}

void MemoryStore::recordAcks(const QString &nsp, qint64 id, const QStringList &clientIds,
                             Callback<QList<AckOutcome>> done)
{
    answer<QList<AckOutcome>>(std::move(done), [&]() -> Result<QList<AckOutcome>> {
        QList<Platform> platforms;
        platforms.reserve(clientIds.size());
        for (const QString &cid : clientIds) {
            const auto p = parseClientId(cid);
            if (!p)
                return invalid(QStringLiteral("not a client id: ") + cid);
            platforms.append(p->platform);
        }
        StoredPush *s = m_data->live(nsp, id);
        if (!s)
            return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
        const PushMessage &m = s->report.message;
        const auto room = m_data->members.find({nsp, m.room});
        QList<AckOutcome> out;
        out.reserve(clientIds.size());
        for (qsizetype i = 0; i < clientIds.size(); ++i) {
            const QString &cid = clientIds.at(i);
            // The offline list loses the message in every case.
            const auto list = m_data->offline.find(cid);
            if (list != m_data->offline.end()) {
                list->second.erase(id);
                if (list->second.empty())
                    m_data->offline.erase(list);
            }
            AckOutcome o{false, false};
            o.target = cid != m.exceptClient && room != m_data->members.end() &&
                       room->second.count(cid) > 0;
            if (o.target && s->acks.emplace(cid, platforms.at(i)).second) {
                o.counted = true;
                ++s->report.ackCount;
                const Platform p = platforms.at(i);
                ++(p == Platform::Ios       ? s->report.ackIOSCount
                   : p == Platform::Android ? s->report.ackAndroidCount
                                            : s->report.ackWebCount);
            }
            out.append(o);
        }
        return out;
    });
}

void MemoryStore::recordApnsResult(const QString &nsp, qint64 id, const ApnsResult &r,
                                   Callback<Done> done)
{
    answer<Done>(std::move(done), [&]() -> Result<Done> {
        StoredPush *s = m_data->live(nsp, id);
        if (!s)
            return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
        s->report.apnsCount += r.tried;
        s->report.apnsSuccessCount += r.succeeded;
        if (!r.apnsEnv.isEmpty())
            s->report.apnsEnv = r.apnsEnv;
        if (!r.result.isEmpty())
            s->report.result = r.result;
        return Done{};
    });
}

void MemoryStore::recordApnsOutcomes(const QString &nsp, qint64 id,
                                     const QList<ApnsOutcome> &outcomes, Callback<Done> done)
{
    answer<Done>(std::move(done), [&]() -> Result<Done> {
        StoredPush *s = m_data->live(nsp, id);
        if (!s)
            return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
        for (const ApnsOutcome &o : outcomes) {
            if (!s->apnsAnswers.emplace(o.clientId, o).second)
                continue; // answered before: counted once
            ++s->report.apnsCount;
            s->report.apnsSuccessCount += o.succeeded ? 1 : 0;
        }
        return Done{};
    });
}

void MemoryStore::apnsOutcomes(const QString &nsp, qint64 id, Callback<QList<ApnsOutcome>> done)
{
    answer<QList<ApnsOutcome>>(std::move(done), [&]() -> Result<QList<ApnsOutcome>> {
        QList<ApnsOutcome> out;
        if (const StoredPush *s = m_data->live(nsp, id)) {
            for (const auto &[cid, o] : s->apnsAnswers)
                out.append(o);
        }
        return out;
    });
}

void MemoryStore::pendingRecipients(const QString &nsp, qint64 id, Callback<QList<ClientInfo>> done)
{
    answer<QList<ClientInfo>>(std::move(done), [&]() -> Result<QList<ClientInfo>> {
        const StoredPush *s = m_data->live(nsp, id);
        if (!s)
            return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
        QList<ClientInfo> out;
        const auto room = m_data->members.find({nsp, s->report.message.room});
        if (room == m_data->members.end())
            return out;
        for (const auto &[cid, p] : room->second) {
            if (p == Platform::Web || cid == s->report.message.exceptClient || s->acks.count(cid))
                continue;
            const auto c = m_data->clients.find(cid);
            if (c != m_data->clients.end() && c->second.leaveMessage)
                out.append(c->second);
        }
        return out;
    });
}

void MemoryStore::roomSync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch,
                           int limit, qint64 maxBytes, Callback<SyncResult> done)
{
    answer<SyncResult>(std::move(done), [&]() -> Result<SyncResult> {
        SyncResult r;
        const auto counter = m_data->roomCounters.find({nsp, room});
        if (counter != m_data->roomCounters.end())
            r.serverNum = counter->second;
        if (!fetch || clientNum >= r.serverNum || limit <= 0)
            return r;
        // Pushes of one room have ascending ids and ascending serverNums.
        qint64 bytes = 0;
        for (const auto &[id, s] : m_data->pushes) {
            const PushMessage &m = s.report.message;
            if (m.nsp != nsp || m.room != room || m.serverNum < clientNum)
                continue;
            bytes += m.pushData.size();
            if (!r.messages.isEmpty() && bytes > maxBytes)
                break;
            r.messages.append(m);
            if (r.messages.size() >= limit)
                break;
        }
        return r;
    });
}

void MemoryStore::messageStats(const QString &nsp, qint64 now, Callback<MessageStats> done)
{
    answer<MessageStats>(std::move(done), [&]() -> Result<MessageStats> {
        const StatBuckets b = statBuckets(now);
        auto count = [&](const QString &bucket) {
            const auto it = m_data->stats.find({nsp, bucket});
            return it == m_data->stats.end() ? qint64(0) : it->second;
        };
        MessageStats s;
        s.minute = count(QStringLiteral("m%1").arg(b.minute));
        s.hour = count(QStringLiteral("h%1").arg(b.hour));
        s.day = count(QStringLiteral("d%1").arg(b.day));
        return s;
    });
}

// ----------------------------------------------------------------- offline

void MemoryStore::addOfflineEntries(const QString &nsp, qint64 id, const QStringList &clientIds,
                                    int limit, Callback<Done> done)
{
    answer<Done>(std::move(done), [&]() -> Result<Done> {
        if (!m_data->live(nsp, id))
            return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
        m_data->addOffline(id, clientIds, limit);
        return Done{};
    });
}

void MemoryStore::offlineMessages(const QString &clientId, qint64 maxBytes,
                                  Callback<QList<PushMessage>> done)
{
    answer<QList<PushMessage>>(std::move(done), [&]() -> Result<QList<PushMessage>> {
        QList<PushMessage> out;
        const auto list = m_data->offline.find(clientId);
        if (list == m_data->offline.end())
            return out;
        qint64 bytes = 0;
        for (const qint64 id : list->second) {
            const auto it = m_data->pushes.find(id);
            if (it == m_data->pushes.end())
                continue; // expired
            const PushMessage &m = it->second.report.message;
            bytes += m.pushData.size();
            if (!out.isEmpty() && bytes > maxBytes)
                break;
            out.append(m);
        }
        return out;
    });
}

// -------------------------------------------------------------------- jobs

void MemoryStore::enqueueJob(const JobSpec &job, Callback<qint64> done)
{
    answer<qint64>(std::move(done), [&]() -> Result<qint64> {
        if (job.nsp.isEmpty() || job.kind.isEmpty())
            return invalid(QStringLiteral("a job needs a namespace and a kind"));
        Job j;
        j.id = ++m_data->lastJobId;
        j.nsp = job.nsp;
        j.kind = job.kind;
        j.payload = job.payload;
        j.dueAt = job.dueAt;
        m_data->jobs.emplace(j.id, j);
        return j.id;
    });
}

void MemoryStore::claimJobs(qint64 now, int max, qint64 leaseMs, Callback<QList<Job>> done)
{
    answer<QList<Job>>(std::move(done), [&]() -> Result<QList<Job>> {
        QList<Job *> due;
        for (auto &[id, j] : m_data->jobs) {
            if (j.dueAt <= now)
                due.append(&j);
        }
        std::stable_sort(due.begin(), due.end(),
                         [](const Job *a, const Job *b) { return a->dueAt < b->dueAt; });
        QList<Job> out;
        for (Job *j : std::as_const(due)) {
            if (out.size() >= max)
                break;
            ++j->attempts;
            out.append(*j);
            j->dueAt = now + leaseMs; // leased: delivered again unless completed
        }
        return out;
    });
}

void MemoryStore::completeJob(const QString &nsp, qint64 id, Callback<bool> done)
{
    answer<bool>(std::move(done), [&]() -> Result<bool> {
        const auto it = m_data->jobs.find(id);
        if (it == m_data->jobs.end() || it->second.nsp != nsp)
            return false;
        m_data->jobs.erase(it);
        return true;
    });
}

void MemoryStore::renewJobs(const QList<Job> &jobs, qint64 leaseMs, Callback<Done> done)
{
    answer<Done>(std::move(done), [&]() -> Result<Done> {
        for (const Job &j : jobs) {
            const auto it = m_data->jobs.find(j.id);
            if (it != m_data->jobs.end() && it->second.nsp == j.nsp)
                it->second.dueAt = m_clock->nowMs() + leaseMs;
        }
        return Done{};
    });
}

} // namespace qpush::test
