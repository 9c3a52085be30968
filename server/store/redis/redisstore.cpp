#include "redisstore.h"

#include "../logging.h"
#include "redisreplies.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QRandomGenerator>
#include <QSysInfo>
#include <QTimer>

namespace qpush::store {

using namespace redis;

RedisStore::RedisStore(RedisOptions options, QObject *parent)
    : Store(parent), m_options(std::move(options)), m_prefix(m_options.prefix.toUtf8()),
      m_scripts(RedisScripts::build())
{
    m_consumer = QSysInfo::machineHostName().toUtf8() + ':' +
                 QByteArray::number(QCoreApplication::applicationPid()) + ':' +
                 QByteArray::number(QRandomGenerator::global()->generate64(), 16);
    RedisClientOptions o;
    o.addresses = m_options.addresses;
    o.cluster = m_options.cluster;
    o.password = m_options.password;
    o.db = m_options.db;
    o.connectTimeoutMs = m_options.connectTimeoutMs;
    o.reconnectMinMs = m_options.reconnectMinMs;
    o.reconnectMaxMs = m_options.reconnectMaxMs;
    o.commandTimeoutMs = m_options.commandTimeoutMs;
    o.scripts = m_scripts.all();
    o.metrics = m_options.metrics;
    m_client = new RedisClient(o, this);
    connect(m_client, &RedisClient::availabilityChanged, this, &Store::availabilityChanged);
    m_sweepTimer = new QTimer(this);
    connect(m_sweepTimer, &QTimer::timeout, this, &RedisStore::sweep);
}

RedisStore::~RedisStore() = default;

QString RedisStore::backendName() const
{
    return m_options.cluster ? QStringLiteral("redis-cluster") : QStringLiteral("redis");
}

QByteArray RedisStore::base(const QString &nsp) const
{
    return m_prefix + '{' + nsp.toUtf8() + '}';
}

void RedisStore::open(Callback<Done> done)
{
    if (m_options.addresses.isEmpty()) {
        failLater(std::move(done), invalid(QStringLiteral("no redis address configured")));
        return;
    }
    m_client->start();
    if (m_options.sweepIntervalMs > 0 && !m_sweepTimer->isActive())
        m_sweepTimer->start(m_options.sweepIntervalMs);
    if (m_client->isAvailable()) {
        QMetaObject::invokeMethod(
            this, [done]() { done(Done{}); }, Qt::QueuedConnection);
        return;
    }
    // Wait for the first connection (and, for a cluster, the slot map).
    auto finished = std::make_shared<bool>(false);
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    auto finish = [finished, timer, done](Result<Done> r) {
        if (*finished)
            return;
        *finished = true;
        timer->deleteLater();
        if (!r.ok())
            qCWarning(lcStoreRedis).noquote() << r.error().message;
        done(std::move(r));
    };
    connect(m_client, &RedisClient::availabilityChanged, timer, [finish](bool up) {
        if (up)
            finish(Done{});
    });
    connect(timer, &QTimer::timeout, this, [this, finish]() {
        finish(Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot reach redis at ") + m_options.addresses.join(u',')});
    });
    timer->start(m_options.connectTimeoutMs + 2 * m_options.reconnectMaxMs);
}

// ------------------------------------------------------------- namespaces

void RedisStore::saveNamespace(const NamespaceRecord &ns, Callback<Done> done)
{
    if (!ns.key.startsWith(u'/')) {
        failLater(std::move(done),
                  invalid(QStringLiteral("namespace key must start with '/': ") + ns.key));
        return;
    }
    m_client->execute(
        globalKey("ns"),
        {QByteArrayLiteral("HSET"), globalKey("ns"), ns.key.toUtf8(), namespaceToJson(ns)},
        handle(std::move(done), [](const RedisValue &) -> Result<Done> { return Done{}; }));
}

void RedisStore::getNamespace(const QString &nsKey, Callback<NamespaceRecord> done)
{
    m_client->execute(
        globalKey("ns"), {QByteArrayLiteral("HGET"), globalKey("ns"), nsKey.toUtf8()},
        handle(std::move(done), [nsKey](const RedisValue &v) -> Result<NamespaceRecord> {
            if (v.isNil())
                return notFound(QStringLiteral("no namespace ") + nsKey);
            if (!v.isString())
                return Error{ErrorCode::Corrupt,
                             QStringLiteral("redis: namespace is not a string")};
            return namespaceFromJson(v.bytes());
        }));
}

void RedisStore::listNamespaces(Callback<QList<NamespaceRecord>> done)
{
    m_client->execute(
        globalKey("ns"), {QByteArrayLiteral("HGETALL"), globalKey("ns")},
        handle(std::move(done), [](const RedisValue &v) -> Result<QList<NamespaceRecord>> {
            auto h = toHash(v);
            if (!h)
                return h.error();
            QList<NamespaceRecord> out;
            for (const QByteArray &json : h.value()) {
                auto ns = namespaceFromJson(json);
                if (!ns)
                    return ns.error();
                out.append(ns.value());
            }
            std::sort(
                out.begin(), out.end(),
                [](const NamespaceRecord &a, const NamespaceRecord &b) { return a.key < b.key; });
            return out;
        }));
}

void RedisStore::scanDelete(const QString &nsp, QByteArray cursor,
                            std::function<void(Result<Done>)> done)
{
    // Every key of the namespace carries its hash tag: in a cluster they all
    // live on the node that owns that slot, which is where SCAN is routed.
    const QByteArray routing = base(nsp);
    const QByteArray pattern = escapeGlob(base(nsp)) + '*';
    m_client->execute(
        routing,
        {QByteArrayLiteral("SCAN"), cursor, QByteArrayLiteral("MATCH"), pattern,
         QByteArrayLiteral("COUNT"), QByteArrayLiteral("1000")},
        [this, nsp, routing, done = std::move(done)](const RedisValue &v) mutable {
            if (v.isError()) {
                done(v.toError());
                return;
            }
            if (!v.isArray() || v.elements().size() != 2 || !v.elements()[1].isArray()) {
                done(Error{ErrorCode::Corrupt, QStringLiteral("redis: unexpected SCAN reply")});
                return;
            }
            const QByteArray next = v.elements()[0].bytes();
            QByteArrayList keys;
            for (const RedisValue &k : v.elements()[1].elements())
                keys.append(k.bytes());
            auto continueScan = [this, nsp, next, done = std::move(done)]() mutable {
                if (next == "0")
                    done(Done{});
                else
                    scanDelete(nsp, next, std::move(done));
            };
            if (keys.isEmpty()) {
                continueScan();
                return;
            }
            m_client->execute(
                routing, QByteArrayList{QByteArrayLiteral("UNLINK")} + keys,
                [continueScan = std::move(continueScan)](const RedisValue &r) mutable {
                    Q_UNUSED(r);
                    continueScan();
                });
        });
}

void RedisStore::deleteNamespaceData(const QString &nsKey, bool alsoNamespace, Callback<Done> done)
{
    // The namespace's queued jobs live in the job queue's slot (redisjobs.cpp).
    dropNamespaceJobs(nsKey, [this, nsKey, alsoNamespace, done](Result<Done> dropped) {
        if (!dropped) {
            done(dropped.error());
            return;
        }
        deleteNamespaceKeys(nsKey, alsoNamespace, done);
    });
}

void RedisStore::deleteNamespaceKeys(const QString &nsKey, bool alsoNamespace, Callback<Done> done)
{
    scanDelete(
        nsKey, QByteArrayLiteral("0"),
        [this, nsKey, alsoNamespace, done = std::move(done)](Result<Done> r) {
            if (!r.ok() || !alsoNamespace) {
                done(std::move(r));
                return;
            }
            m_client->execute(globalKey("nsps"),
                              {QByteArrayLiteral("SREM"), globalKey("nsps"), nsKey.toUtf8()}, {});
            m_client->execute(
                globalKey("ns"), {QByteArrayLiteral("HDEL"), globalKey("ns"), nsKey.toUtf8()},
                handle(done, [](const RedisValue &) -> Result<Done> { return Done{}; }));
        });
}

// ---------------------------------------------------------------- clients

void RedisStore::getClient(const QString &clientId, Callback<ClientInfo> done)
{
    auto p = parseClientId(clientId);
    if (!p) {
        failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
        return;
    }
    const QByteArray k = key(p->nsp, "c:" + clientId.toUtf8());
    m_client->execute(
        k, {QByteArrayLiteral("HGETALL"), k},
        handle(std::move(done), [clientId](const RedisValue &v) -> Result<ClientInfo> {
            auto h = toHash(v);
            if (!h)
                return h.error();
            if (h->isEmpty())
                return notFound(QStringLiteral("no client ") + clientId);
            return clientFromHash(clientId, h.value());
        }));
}

void RedisStore::getClients(const QStringList &clientIds, Callback<QList<ClientInfo>> done)
{
    // Pipelined: one HGETALL per id, all sent at once.
    struct State
    {
        QList<std::optional<Result<ClientInfo>>> results;
        qsizetype remaining = 0;
        Callback<QList<ClientInfo>> done;
    };
    auto state = std::make_shared<State>();
    state->results.resize(clientIds.size());
    state->remaining = clientIds.size();
    state->done = std::move(done);
    if (clientIds.isEmpty()) {
        QMetaObject::invokeMethod(
            this, [state]() { state->done(QList<ClientInfo>()); }, Qt::QueuedConnection);
        return;
    }
    for (qsizetype i = 0; i < clientIds.size(); ++i) {
        getClient(clientIds[i], [state, i](Result<ClientInfo> r) {
            state->results[i].emplace(std::move(r));
            if (--state->remaining > 0)
                return;
            QList<ClientInfo> out;
            for (auto &slot : state->results) {
                if (slot->ok())
                    out.append(slot->value());
                else if (slot->error().code != ErrorCode::NotFound &&
                         slot->error().code != ErrorCode::Invalid) {
                    state->done(slot->error());
                    return;
                }
            }
            state->done(std::move(out));
        });
    }
}

void RedisStore::updateClient(const QString &clientId, const ClientPatch &patch,
                              Callback<ClientInfo> done)
{
    auto p = parseClientId(clientId);
    if (!p) {
        failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
        return;
    }
    QByteArray mask(8, '0');
    QByteArrayList values(8);
    auto set = [&](int i, const QByteArray &v) {
        mask[i] = '1';
        values[i] = v;
    };
    if (patch.connectTime)
        set(0, QByteArray::number(*patch.connectTime));
    if (patch.disconnectTime)
        set(1, QByteArray::number(*patch.disconnectTime));
    if (patch.updateDate)
        set(2, QByteArray::number(*patch.updateDate));
    if (patch.mobile)
        set(3, patch.mobile->toUtf8());
    if (patch.system)
        set(4, patch.system->toUtf8());
    if (patch.deviceToken)
        set(5, patch.deviceToken->toUtf8());
    if (patch.leaveMessage)
        set(6, *patch.leaveMessage ? QByteArrayLiteral("1") : QByteArrayLiteral("0"));
    if (patch.noSendApns)
        set(7, joinDnd(applyDndEdit({}, *patch.noSendApns, {})).toUtf8());
    const QByteArray cid = clientId.toUtf8();
    QByteArrayList args{cid, p->userid.toUtf8(), platformName(p->platform).toUtf8(),
                        p->uuid.toUtf8(), mask};
    args += values;
    m_client->eval(m_scripts.updateClient, {key(p->nsp, "c:" + cid), key(p->nsp, "clients")}, args,
                   handle(std::move(done), [clientId](const RedisValue &v) -> Result<ClientInfo> {
                       auto h = toHash(v);
                       if (!h)
                           return h.error();
                       return clientFromHash(clientId, h.value());
                   }));
}

void RedisStore::editClientApns(const QString &clientId, const QStringList &add,
                                const QStringList &remove, Callback<QStringList> done)
{
    auto p = parseClientId(clientId);
    if (!p) {
        failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
        return;
    }
    QByteArrayList args{QByteArray::number(add.size())};
    args += utf8(add);
    args += utf8(remove);
    m_client->eval(m_scripts.editClientDnd, {key(p->nsp, "c:" + clientId.toUtf8())}, args,
                   handle(std::move(done), [clientId](const RedisValue &v) -> Result<QStringList> {
                       if (v.isInteger())
                           return notFound(QStringLiteral("no client ") + clientId);
                       return splitDnd(QString::fromUtf8(v.bytes()));
                   }));
}

void RedisStore::removeLegacyClients(const QString &nsp, qint64 notSeenSince,
                                     Callback<QStringList> done)
{
    m_client->eval(m_scripts.legacy, {key(nsp, "clients")},
                   {base(nsp), QByteArray::number(notSeenSince)},
                   handle(std::move(done), [](const RedisValue &v) -> Result<QStringList> {
                       auto l = stringList(v);
                       if (l)
                           l.value().sort();
                       return l;
                   }));
}

void RedisStore::countClients(const QString &nsp, Callback<qint64> done)
{
    const QByteArray k = key(nsp, "clients");
    m_client->execute(k, {QByteArrayLiteral("ZCARD"), k},
                      handle(std::move(done), [](const RedisValue &v) { return redisInteger(v); }));
}

// ------------------------------------------------------------------ rooms

void RedisStore::joinRooms(const QString &clientId, const QStringList &rooms, Callback<Done> done)
{
    auto p = parseClientId(clientId);
    if (!p) {
        failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
        return;
    }
    const QByteArray cid = clientId.toUtf8();
    QByteArrayList args{base(p->nsp), cid, platformName(p->platform).toUtf8()};
    args += utf8(rooms);
    m_client->eval(
        m_scripts.join, {key(p->nsp, "cr:" + cid)}, args,
        handle(std::move(done), [](const RedisValue &) -> Result<Done> { return Done{}; }));
}

void RedisStore::leaveRooms(const QString &clientId, const QStringList &rooms, Callback<Done> done)
{
    auto p = parseClientId(clientId);
    if (!p) {
        failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
        return;
    }
    const QByteArray cid = clientId.toUtf8();
    QByteArrayList args{base(p->nsp), cid, platformName(p->platform).toUtf8()};
    args += utf8(rooms);
    m_client->eval(
        m_scripts.leave, {key(p->nsp, "cr:" + cid)}, args,
        handle(std::move(done), [](const RedisValue &) -> Result<Done> { return Done{}; }));
}

void RedisStore::clientRooms(const QString &clientId, Callback<QStringList> done)
{
    auto p = parseClientId(clientId);
    if (!p) {
        failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
        return;
    }
    const QByteArray k = key(p->nsp, "cr:" + clientId.toUtf8());
    m_client->execute(k, {QByteArrayLiteral("SMEMBERS"), k},
                      handle(std::move(done), [](const RedisValue &v) {
                          auto l = stringList(v);
                          if (l)
                              l.value().sort();
                          return l;
                      }));
}

void RedisStore::roomMembers(const QString &nsp, const QString &room,
                             std::optional<Platform> platform, Callback<QStringList> done)
{
    const QByteArray prefix = key(nsp, "r:" + room.toUtf8() + ':');
    QByteArrayList argv;
    if (platform) {
        argv = {QByteArrayLiteral("SMEMBERS"), prefix + platformName(*platform).toUtf8()};
    } else {
        argv = {QByteArrayLiteral("SUNION"), prefix + "web", prefix + "ios", prefix + "android"};
    }
    m_client->execute(argv[1], argv, handle(std::move(done), [](const RedisValue &v) {
                          auto l = stringList(v);
                          if (l)
                              l.value().sort();
                          return l;
                      }));
}

void RedisStore::roomCounts(const QString &nsp, const QStringList &rooms,
                            Callback<QList<RoomCounts>> done)
{
    QByteArrayList args{base(nsp)};
    args += utf8(rooms);
    m_client->eval(
        m_scripts.roomCounts, {key(nsp, "clients")}, args,
        handle(std::move(done), [](const RedisValue &v) -> Result<QList<RoomCounts>> {
            auto arr = redisArray(v);
            if (!arr)
                return arr.error();
            QList<RoomCounts> out;
            for (const RedisValue &e : arr.value()) {
                if (!e.isArray() || e.elements().size() != 3)
                    return Error{ErrorCode::Corrupt, QStringLiteral("redis: bad room counts")};
                RoomCounts c;
                c.web = e.elements()[0].toInteger();
                c.ios = e.elements()[1].toInteger();
                c.android = e.elements()[2].toInteger();
                c.total = c.web + c.ios + c.android;
                out.append(c);
            }
            return out;
        }));
}

void RedisStore::transfer(const QString &nsp, const QStringList &sourceRooms,
                          const QString &targetRoom, TransferKind kind, Callback<QStringList> done)
{
    QByteArrayList args{base(nsp),
                        kind == TransferKind::Join ? QByteArrayLiteral("join")
                                                   : QByteArrayLiteral("leave"),
                        targetRoom.toUtf8()};
    args += utf8(sourceRooms);
    m_client->eval(m_scripts.transfer, {key(nsp, "clients")}, args,
                   handle(std::move(done), [](const RedisValue &v) {
                       auto l = stringList(v);
                       if (l)
                           l.value().sort();
                       return l;
                   }));
}

void RedisStore::setRoomLeaveMessage(const QString &nsp, const QString &room, bool leaveMessage,
                                     Callback<qint64> done)
{
    m_client->eval(
        m_scripts.roomLeaveMessage, {key(nsp, "clients")},
        {base(nsp), room.toUtf8(), leaveMessage ? QByteArrayLiteral("1") : QByteArrayLiteral("0")},
        handle(std::move(done), [](const RedisValue &v) { return redisInteger(v); }));
}

void RedisStore::editRoomApns(const QString &nsp, const QString &room, const QStringList &add,
                              const QStringList &remove, Callback<qint64> done)
{
    QByteArrayList args{base(nsp), room.toUtf8(), QByteArray::number(add.size())};
    args += utf8(add);
    args += utf8(remove);
    m_client->eval(m_scripts.roomDnd, {key(nsp, "clients")}, args,
                   handle(std::move(done), [](const RedisValue &v) { return redisInteger(v); }));
}

} // namespace qpush::store
