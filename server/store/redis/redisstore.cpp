#include "redisstore.h"

#include "../codec.h"
#include "../logging.h"

#include <QDateTime>
#include <QHash>
#include <QTimer>

namespace qpush::store {

namespace {

using Hash = QHash<QByteArray, QByteArray>;

Result<Hash> toHash(const RedisValue &v)
{
    if (v.isError())
        return v.toError();
    if (v.isNil())
        return Hash();
    if (!v.isArray() || v.elements().size() % 2 != 0)
        return Error{ErrorCode::Corrupt, QStringLiteral("redis: expected a hash reply")};
    Hash h;
    const auto &e = v.elements();
    for (qsizetype i = 0; i + 1 < e.size(); i += 2)
        h.insert(e[i].bytes(), e[i + 1].bytes());
    return h;
}

qint64 num(const Hash &h, const char *field)
{
    return h.value(QByteArray(field)).toLongLong();
}

QString str(const Hash &h, const char *field)
{
    return QString::fromUtf8(h.value(QByteArray(field)));
}

PushMessage messageFromHash(const Hash &h)
{
    PushMessage m;
    m.id = num(h, "id");
    m.nsp = str(h, "nsp");
    m.room = str(h, "room");
    m.pushData = h.value(QByteArrayLiteral("data"));
    m.sendDate = num(h, "sd");
    m.serverNum = num(h, "sn");
    m.leaveMessage = num(h, "lm") != 0;
    m.apnsName = str(h, "an");
    m.extra = str(h, "ex");
    m.exceptClient = str(h, "exc");
    m.expireAt = num(h, "exp");
    return m;
}

Result<PushReport> reportFromHash(const Hash &h)
{
    if (!h.contains(QByteArrayLiteral("id")) || !h.contains(QByteArrayLiteral("room")))
        return Error{ErrorCode::Corrupt, QStringLiteral("redis: stored message lacks fields")};
    PushReport r;
    r.message = messageFromHash(h);
    r.onlineClientCount = num(h, "oc");
    r.ackCount = num(h, "ac");
    r.ackIOSCount = num(h, "ai");
    r.ackAndroidCount = num(h, "aa");
    r.ackWebCount = num(h, "aw");
    r.apnsCount = num(h, "pc");
    r.apnsSuccessCount = num(h, "ps");
    r.apnsEnv = str(h, "pe");
    r.result = str(h, "res");
    return r;
}

Result<ClientInfo> clientFromHash(const QString &clientId, const Hash &h)
{
    auto parts = parseClientId(clientId);
    if (!parts)
        return Error{ErrorCode::Corrupt, QStringLiteral("redis: stored client id is malformed: ") + clientId};
    ClientInfo c;
    c.clientId = clientId;
    c.nsp = parts->nsp;
    c.userid = str(h, "userid");
    c.platform = platformFromName(str(h, "plat")).value_or(parts->platform);
    c.uuid = str(h, "uuid");
    c.firstConnectTime = num(h, "fct");
    c.lastConnectTime = num(h, "lct");
    c.lastDisconnectTime = num(h, "ldt");
    c.updateDate = num(h, "ud");
    c.mobile = str(h, "mob");
    c.system = str(h, "sys");
    c.deviceToken = str(h, "tok");
    c.noSendApns = splitDnd(str(h, "dnd"));
    c.leaveMessage = h.value(QByteArrayLiteral("lm")) != "0";
    return c;
}

Result<QList<PushMessage>> messagesFromArray(const RedisValue &v)
{
    auto arr = redisArray(v);
    if (!arr)
        return arr.error();
    QList<PushMessage> out;
    for (const RedisValue &e : arr.value()) {
        auto h = toHash(e);
        if (!h)
            return h.error();
        out.append(messageFromHash(h.value()));
    }
    return out;
}

Result<QStringList> stringList(const RedisValue &v)
{
    auto arr = redisArray(v);
    if (!arr)
        return arr.error();
    QStringList out;
    for (const RedisValue &e : arr.value()) {
        if (!e.isString())
            return Error{ErrorCode::Corrupt, QStringLiteral("redis: expected strings")};
        out.append(QString::fromUtf8(e.bytes()));
    }
    return out;
}

QByteArrayList utf8(const QStringList &l)
{
    QByteArrayList out;
    out.reserve(l.size());
    for (const QString &s : l)
        out.append(s.toUtf8());
    return out;
}

Error notFound(const QString &what)
{
    return Error{ErrorCode::NotFound, what};
}

Error invalid(const QString &what)
{
    return Error{ErrorCode::Invalid, what};
}

/// A reply handler that turns errors into Error and the rest through `parse`.
template<class T, class Parse>
RedisClient::ReplyFn handle(Callback<T> done, Parse parse)
{
    return [done = std::move(done), parse = std::move(parse)](const RedisValue &v) {
        if (!done)
            return;
        if (v.isError()) {
            done(v.toError());
            return;
        }
        done(parse(v));
    };
}

QByteArray escapeGlob(const QByteArray &s)
{
    QByteArray out;
    for (char c : s) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

} // namespace

RedisStore::RedisStore(RedisOptions options, QObject *parent)
    : Store(parent), m_options(std::move(options)), m_prefix(m_options.prefix.toUtf8()),
      m_scripts(RedisScripts::build())
{
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

template<class T>
void RedisStore::failLater(Callback<T> done, Error e)
{
    QMetaObject::invokeMethod(
        this, [done = std::move(done), e = std::move(e)]() { if (done) done(e); }, Qt::QueuedConnection);
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
        QMetaObject::invokeMethod(this, [done]() { done(Done{}); }, Qt::QueuedConnection);
        return;
    }
    // Wait for the first connection (and, for a cluster, the slot map).
    auto finished = std::make_shared<bool>(false);
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    auto finish = [this, finished, timer, done](Result<Done> r) {
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
        finish(Error{ErrorCode::Unavailable, QStringLiteral("cannot reach redis at ") + m_options.addresses.join(u',')});
    });
    timer->start(m_options.connectTimeoutMs + 2 * m_options.reconnectMaxMs);
}

// ------------------------------------------------------------- namespaces

void RedisStore::saveNamespace(const NamespaceRecord &ns, Callback<Done> done)
{
    if (!ns.key.startsWith(u'/')) {
        failLater(std::move(done), invalid(QStringLiteral("namespace key must start with '/': ") + ns.key));
        return;
    }
    m_client->execute(globalKey("ns"), {QByteArrayLiteral("HSET"), globalKey("ns"), ns.key.toUtf8(), namespaceToJson(ns)},
                      handle(std::move(done), [](const RedisValue &) -> Result<Done> { return Done{}; }));
}

void RedisStore::getNamespace(const QString &nsKey, Callback<NamespaceRecord> done)
{
    m_client->execute(globalKey("ns"), {QByteArrayLiteral("HGET"), globalKey("ns"), nsKey.toUtf8()},
                      handle(std::move(done), [nsKey](const RedisValue &v) -> Result<NamespaceRecord> {
                          if (v.isNil())
                              return notFound(QStringLiteral("no namespace ") + nsKey);
                          if (!v.isString())
                              return Error{ErrorCode::Corrupt, QStringLiteral("redis: namespace is not a string")};
                          return namespaceFromJson(v.bytes());
                      }));
}

void RedisStore::listNamespaces(Callback<QList<NamespaceRecord>> done)
{
    m_client->execute(globalKey("ns"), {QByteArrayLiteral("HGETALL"), globalKey("ns")},
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
                          std::sort(out.begin(), out.end(),
                                    [](const NamespaceRecord &a, const NamespaceRecord &b) { return a.key < b.key; });
                          return out;
                      }));
}

void RedisStore::scanDelete(const QString &nsp, QByteArray cursor, std::function<void(Result<Done>)> done)
{
    // Every key of the namespace carries its hash tag: in a cluster they all
    // live on the node that owns that slot, which is where SCAN is routed.
    const QByteArray routing = base(nsp);
    const QByteArray pattern = escapeGlob(base(nsp)) + '*';
    m_client->execute(
        routing, {QByteArrayLiteral("SCAN"), cursor, QByteArrayLiteral("MATCH"), pattern, QByteArrayLiteral("COUNT"), QByteArrayLiteral("1000")},
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
            m_client->execute(routing, QByteArrayList{QByteArrayLiteral("UNLINK")} + keys,
                              [continueScan = std::move(continueScan)](const RedisValue &r) mutable {
                                  Q_UNUSED(r);
                                  continueScan();
                              });
        });
}

void RedisStore::deleteNamespaceData(const QString &nsKey, bool alsoNamespace, Callback<Done> done)
{
    scanDelete(nsKey, QByteArrayLiteral("0"), [this, nsKey, alsoNamespace, done = std::move(done)](Result<Done> r) {
        if (!r.ok() || !alsoNamespace) {
            done(std::move(r));
            return;
        }
        m_client->execute(globalKey("nsps"), {QByteArrayLiteral("SREM"), globalKey("nsps"), nsKey.toUtf8()}, {});
        m_client->execute(globalKey("jobns"), {QByteArrayLiteral("SREM"), globalKey("jobns"), nsKey.toUtf8()}, {});
        m_client->execute(globalKey("ns"), {QByteArrayLiteral("HDEL"), globalKey("ns"), nsKey.toUtf8()},
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
    m_client->execute(k, {QByteArrayLiteral("HGETALL"), k},
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
        QMetaObject::invokeMethod(this, [state]() { state->done(QList<ClientInfo>()); }, Qt::QueuedConnection);
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
                else if (slot->error().code != ErrorCode::NotFound && slot->error().code != ErrorCode::Invalid) {
                    state->done(slot->error());
                    return;
                }
            }
            state->done(std::move(out));
        });
    }
}

void RedisStore::updateClient(const QString &clientId, const ClientPatch &patch, Callback<ClientInfo> done)
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
    QByteArrayList args{cid, p->userid.toUtf8(), platformName(p->platform).toUtf8(), p->uuid.toUtf8(), mask};
    args += values;
    m_client->eval(m_scripts.updateClient, {key(p->nsp, "c:" + cid), key(p->nsp, "clients")}, args,
                   handle(std::move(done), [clientId](const RedisValue &v) -> Result<ClientInfo> {
                       auto h = toHash(v);
                       if (!h)
                           return h.error();
                       return clientFromHash(clientId, h.value());
                   }));
}

void RedisStore::editClientApns(const QString &clientId, const QStringList &add, const QStringList &remove,
                                Callback<QStringList> done)
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

void RedisStore::removeLegacyClients(const QString &nsp, qint64 notSeenSince, Callback<QStringList> done)
{
    m_client->eval(m_scripts.legacy, {key(nsp, "clients")}, {base(nsp), QByteArray::number(notSeenSince)},
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
    m_client->execute(k, {QByteArrayLiteral("ZCARD"), k}, handle(std::move(done), [](const RedisValue &v) { return redisInteger(v); }));
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
    m_client->eval(m_scripts.join, {key(p->nsp, "cr:" + cid)}, args,
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
    m_client->eval(m_scripts.leave, {key(p->nsp, "cr:" + cid)}, args,
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
    m_client->execute(k, {QByteArrayLiteral("SMEMBERS"), k}, handle(std::move(done), [](const RedisValue &v) {
                          auto l = stringList(v);
                          if (l)
                              l.value().sort();
                          return l;
                      }));
}

void RedisStore::roomMembers(const QString &nsp, const QString &room, std::optional<Platform> platform,
                             Callback<QStringList> done)
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

void RedisStore::roomCounts(const QString &nsp, const QStringList &rooms, Callback<QList<RoomCounts>> done)
{
    QByteArrayList args{base(nsp)};
    args += utf8(rooms);
    m_client->eval(m_scripts.roomCounts, {key(nsp, "clients")}, args,
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

void RedisStore::transfer(const QString &nsp, const QStringList &sourceRooms, const QString &targetRoom,
                          TransferKind kind, Callback<QStringList> done)
{
    QByteArrayList args{base(nsp), kind == TransferKind::Join ? QByteArrayLiteral("join") : QByteArrayLiteral("leave"),
                        targetRoom.toUtf8()};
    args += utf8(sourceRooms);
    m_client->eval(m_scripts.transfer, {key(nsp, "clients")}, args, handle(std::move(done), [](const RedisValue &v) {
                       auto l = stringList(v);
                       if (l)
                           l.value().sort();
                       return l;
                   }));
}

void RedisStore::setRoomLeaveMessage(const QString &nsp, const QString &room, bool leaveMessage,
                                     Callback<qint64> done)
{
    m_client->eval(m_scripts.roomLeaveMessage, {key(nsp, "clients")},
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

// ----------------------------------------------------------------- pushes

void RedisStore::savePush(const PushRecord &push, Callback<PushSaved> done)
{
    if (!push.nsp.startsWith(u'/') || push.room.isEmpty()) {
        failLater(std::move(done), invalid(QStringLiteral("a push needs a namespace and a room")));
        return;
    }
    if (push.ttlMs <= 0) {
        failLater(std::move(done), invalid(QStringLiteral("a push needs a positive ttl")));
        return;
    }
    // 1. the global id (its own key, so its own slot) and the registries that
    //    let the sweeper and the job claimer find this namespace; 2. once all
    //    replied, the push script writes everything else in one slot.
    struct State
    {
        int remaining = 0;
        qint64 id = 0;
        std::optional<Error> error;
    };
    auto state = std::make_shared<State>();
    const QByteArray nsp = push.nsp.toUtf8();
    auto runScript = [this, push, state, done]() {
        if (state->error) {
            done(*state->error);
            return;
        }
        const qint64 id = state->id;
        const QByteArray idText = QByteArray::number(id);
        const StatBuckets b = statBuckets(push.sendDate);
        const QByteArray room = push.room.toUtf8();
        QByteArrayList keys{key(push.nsp, "m:" + idText),
                            key(push.nsp, "msgs"),
                            key(push.nsp, "mexp"),
                            key(push.nsp, "rn:" + room),
                            key(push.nsp, "rm:" + room),
                            key(push.nsp, "st:m" + QByteArray::number(b.minute)),
                            key(push.nsp, "st:h" + QByteArray::number(b.hour)),
                            key(push.nsp, "st:d" + QByteArray::number(b.day)),
                            key(push.nsp, "jobs"),
                            key(push.nsp, "jseq")};
        QByteArrayList args{base(push.nsp),
                            idText,
                            QByteArray::number(push.ttlMs),
                            push.nsp.toUtf8(),
                            room,
                            push.pushData,
                            QByteArray::number(push.sendDate),
                            push.leaveMessage ? QByteArrayLiteral("1") : QByteArrayLiteral("0"),
                            push.apnsName.toUtf8(),
                            push.extra.toUtf8(),
                            push.exceptClient.toUtf8(),
                            QByteArray::number(push.onlineClientCount),
                            QByteArray::number(std::max(push.recentLimit, 1)),
                            QByteArray::number(push.offlineLimit),
                            push.followUp ? push.followUp->kind.toUtf8() : QByteArray(),
                            push.followUp ? push.followUp->payload : QByteArray(),
                            QByteArray(),
                            push.followUp ? QByteArray::number(push.followUp->dueAt) : QByteArrayLiteral("0")};
        args += utf8(push.offlineClientIds);
        m_client->eval(m_scripts.push, keys, args, handle(done, [id](const RedisValue &v) -> Result<PushSaved> {
                           auto arr = redisArray(v);
                           if (!arr)
                               return arr.error();
                           if (arr->size() != 2)
                               return Error{ErrorCode::Corrupt, QStringLiteral("redis: bad push script reply")};
                           return PushSaved{id, arr->at(0).toInteger()};
                       }));
    };
    auto oneReplied = [state, runScript](const RedisValue &v) {
        if (v.isError() && !state->error)
            state->error = v.toError();
        if (--state->remaining == 0)
            runScript();
    };
    state->remaining = push.followUp ? 3 : 2;
    m_client->execute(globalKey("msgid"), {QByteArrayLiteral("INCR"), globalKey("msgid")},
                      [state, oneReplied](const RedisValue &v) {
                          if (!v.isError()) {
                              auto id = redisInteger(v);
                              if (!id)
                                  state->error = id.error();
                              else if (id.value() <= 0 || id.value() > kMaxMessageId)
                                  state->error = Error{ErrorCode::Corrupt, QStringLiteral("message id out of range")};
                              else
                                  state->id = id.value();
                          }
                          oneReplied(v);
                      });
    m_client->execute(globalKey("nsps"), {QByteArrayLiteral("SADD"), globalKey("nsps"), nsp}, oneReplied);
    if (push.followUp)
        m_client->execute(globalKey("jobns"), {QByteArrayLiteral("SADD"), globalKey("jobns"), nsp}, oneReplied);
}

void RedisStore::getReport(const QString &nsp, qint64 id, bool withDetail, Callback<PushReport> done)
{
    const QByteArray idText = QByteArray::number(id);
    const QByteArray mk = key(nsp, "m:" + idText);
    auto notThere = [nsp, id]() { return notFound(QStringLiteral("no report %1 in %2").arg(id).arg(nsp)); };
    if (!withDetail) {
        m_client->execute(mk, {QByteArrayLiteral("HGETALL"), mk},
                          handle(std::move(done), [notThere](const RedisValue &v) -> Result<PushReport> {
                              auto h = toHash(v);
                              if (!h)
                                  return h.error();
                              if (h->isEmpty())
                                  return notThere();
                              return reportFromHash(h.value());
                          }));
        return;
    }
    // Pipelined: the report and its receipts.
    struct State
    {
        std::optional<RedisValue> report, acks;
    };
    auto state = std::make_shared<State>();
    auto finish = [state, done, notThere]() {
        if (!state->report || !state->acks)
            return;
        auto h = toHash(*state->report);
        if (!h)
            return done(h.error());
        if (h->isEmpty())
            return done(notThere());
        auto r = reportFromHash(h.value());
        if (!r)
            return done(r.error());
        auto acks = toHash(*state->acks);
        if (!acks)
            return done(acks.error());
        PushReport report = std::move(r).value();
        for (auto it = acks->cbegin(); it != acks->cend(); ++it) {
            const QString cid = QString::fromUtf8(it.key());
            if (it.value() == "ios")
                report.ackIOSDetail.append(cid);
            else if (it.value() == "android")
                report.ackAndroidDetail.append(cid);
            else
                report.ackWebDetail.append(cid);
        }
        report.ackIOSDetail.sort();
        report.ackAndroidDetail.sort();
        report.ackWebDetail.sort();
        done(std::move(report));
    };
    m_client->execute(mk, {QByteArrayLiteral("HGETALL"), mk}, [state, finish](const RedisValue &v) {
        state->report = v;
        finish();
    });
    const QByteArray ak = key(nsp, "a:" + idText);
    m_client->execute(ak, {QByteArrayLiteral("HGETALL"), ak}, [state, finish](const RedisValue &v) {
        state->acks = v;
        finish();
    });
}

void RedisStore::listReports(const QString &nsp, int page, int size, Callback<QList<PushReport>> done)
{
    if (page < 1 || size < 1) {
        failLater(std::move(done), invalid(QStringLiteral("page and size start at 1")));
        return;
    }
    m_client->eval(m_scripts.listReports, {key(nsp, "msgs")},
                   {base(nsp), QByteArray::number(qint64(page - 1) * size), QByteArray::number(size)},
                   handle(std::move(done), [](const RedisValue &v) -> Result<QList<PushReport>> {
                       auto arr = redisArray(v);
                       if (!arr)
                           return arr.error();
                       QList<PushReport> out;
                       for (const RedisValue &e : arr.value()) {
                           auto h = toHash(e);
                           if (!h)
                               return h.error();
                           auto r = reportFromHash(h.value());
                           if (!r)
                               return r.error();
                           out.append(r.value());
                       }
                       return out;
                   }));
}

void RedisStore::recordAck(const QString &nsp, qint64 id, const QString &clientId, Callback<AckOutcome> done)
{
    auto p = parseClientId(clientId);
    if (!p) {
        failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
        return;
    }
    const QByteArray field = p->platform == Platform::Ios       ? QByteArrayLiteral("ai")
                             : p->platform == Platform::Android ? QByteArrayLiteral("aa")
                                                                : QByteArrayLiteral("aw");
    const QByteArray idText = QByteArray::number(id);
    const QByteArray cid = clientId.toUtf8();
    m_client->eval(m_scripts.ack, {key(nsp, "m:" + idText), key(nsp, "a:" + idText), key(nsp, "o:" + cid)},
                   {cid, field, platformName(p->platform).toUtf8(), idText},
                   handle(std::move(done), [nsp, id](const RedisValue &v) -> Result<AckOutcome> {
                       auto n = redisInteger(v);
                       if (!n)
                           return n.error();
                       if (n.value() < 0)
                           return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
                       return AckOutcome{n.value() == 1};
                   }));
}

void RedisStore::recordApnsResult(const QString &nsp, qint64 id, const ApnsResult &r, Callback<Done> done)
{
    m_client->eval(m_scripts.apnsResult, {key(nsp, "m:" + QByteArray::number(id))},
                   {QByteArray::number(r.tried), QByteArray::number(r.succeeded), r.apnsEnv.toUtf8(), r.result.toUtf8()},
                   handle(std::move(done), [nsp, id](const RedisValue &v) -> Result<Done> {
                       auto n = redisInteger(v);
                       if (!n)
                           return n.error();
                       if (n.value() < 0)
                           return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
                       return Done{};
                   }));
}

void RedisStore::pendingRecipients(const QString &nsp, qint64 id, Callback<QList<ClientInfo>> done)
{
    const QByteArray idText = QByteArray::number(id);
    m_client->eval(m_scripts.pending, {key(nsp, "m:" + idText), key(nsp, "a:" + idText)}, {base(nsp)},
                   handle(std::move(done), [nsp, id](const RedisValue &v) -> Result<QList<ClientInfo>> {
                       if (v.isInteger())
                           return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
                       auto arr = redisArray(v);
                       if (!arr)
                           return arr.error();
                       QList<ClientInfo> out;
                       for (const RedisValue &e : arr.value()) {
                           if (!e.isArray() || e.elements().size() != 2)
                               return Error{ErrorCode::Corrupt, QStringLiteral("redis: bad recipient entry")};
                           auto h = toHash(e.elements()[1]);
                           if (!h)
                               return h.error();
                           auto c = clientFromHash(QString::fromUtf8(e.elements()[0].bytes()), h.value());
                           if (!c)
                               return c.error();
                           out.append(c.value());
                       }
                       std::sort(out.begin(), out.end(),
                                 [](const ClientInfo &a, const ClientInfo &b) { return a.clientId < b.clientId; });
                       return out;
                   }));
}

void RedisStore::roomSync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch, int limit,
                          Callback<SyncResult> done)
{
    const QByteArray r = room.toUtf8();
    m_client->eval(m_scripts.sync, {key(nsp, "rn:" + r), key(nsp, "rm:" + r)},
                   {base(nsp), QByteArray::number(clientNum), fetch ? QByteArrayLiteral("1") : QByteArrayLiteral("0"),
                    QByteArray::number(limit)},
                   handle(std::move(done), [](const RedisValue &v) -> Result<SyncResult> {
                       auto arr = redisArray(v);
                       if (!arr)
                           return arr.error();
                       if (arr->size() != 2)
                           return Error{ErrorCode::Corrupt, QStringLiteral("redis: bad sync reply")};
                       SyncResult s;
                       s.serverNum = arr->at(0).toInteger();
                       auto messages = messagesFromArray(arr->at(1));
                       if (!messages)
                           return messages.error();
                       s.messages = std::move(messages).value();
                       return s;
                   }));
}

void RedisStore::messageStats(const QString &nsp, qint64 now, Callback<MessageStats> done)
{
    const StatBuckets b = statBuckets(now);
    const QByteArray m = key(nsp, "st:m" + QByteArray::number(b.minute));
    m_client->execute(m,
                      {QByteArrayLiteral("MGET"), m, key(nsp, "st:h" + QByteArray::number(b.hour)),
                       key(nsp, "st:d" + QByteArray::number(b.day))},
                      handle(std::move(done), [](const RedisValue &v) -> Result<MessageStats> {
                          auto arr = redisArray(v);
                          if (!arr)
                              return arr.error();
                          if (arr->size() != 3)
                              return Error{ErrorCode::Corrupt, QStringLiteral("redis: bad MGET reply")};
                          return MessageStats{arr->at(0).bytes().toLongLong(), arr->at(1).bytes().toLongLong(),
                                              arr->at(2).bytes().toLongLong()};
                      }));
}

// ---------------------------------------------------------------- offline

void RedisStore::addOfflineEntries(const QString &nsp, qint64 id, const QStringList &clientIds, int limit,
                                   Callback<Done> done)
{
    const QByteArray idText = QByteArray::number(id);
    QByteArrayList args{base(nsp), idText, QByteArray::number(limit)};
    args += utf8(clientIds);
    m_client->eval(m_scripts.addOffline, {key(nsp, "m:" + idText)}, args,
                   handle(std::move(done), [nsp, id](const RedisValue &v) -> Result<Done> {
                       auto n = redisInteger(v);
                       if (!n)
                           return n.error();
                       if (n.value() < 0)
                           return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
                       return Done{};
                   }));
}

void RedisStore::offlineMessages(const QString &clientId, Callback<QList<PushMessage>> done)
{
    auto p = parseClientId(clientId);
    if (!p) {
        failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
        return;
    }
    m_client->eval(m_scripts.offline, {key(p->nsp, "o:" + clientId.toUtf8())}, {base(p->nsp)},
                   handle(std::move(done), [](const RedisValue &v) { return messagesFromArray(v); }));
}

// ------------------------------------------------------------------- jobs

void RedisStore::enqueueJob(const JobSpec &job, Callback<qint64> done)
{
    if (job.nsp.isEmpty() || job.kind.isEmpty()) {
        failLater(std::move(done), invalid(QStringLiteral("a job needs a namespace and a kind")));
        return;
    }
    // Registered first, so that a job is never in a queue nobody looks at.
    m_client->execute(globalKey("jobns"), {QByteArrayLiteral("SADD"), globalKey("jobns"), job.nsp.toUtf8()},
                      [this, job, done = std::move(done)](const RedisValue &v) mutable {
                          if (v.isError()) {
                              done(v.toError());
                              return;
                          }
                          m_client->eval(m_scripts.jobEnqueue, {key(job.nsp, "jobs"), key(job.nsp, "jseq")},
                                         {base(job.nsp), job.kind.toUtf8(), job.payload, QByteArray::number(job.dueAt)},
                                         handle(std::move(done), [](const RedisValue &r) { return redisInteger(r); }));
                      });
}

void RedisStore::claimJobs(qint64 now, int max, qint64 leaseMs, Callback<QList<Job>> done)
{
    struct State
    {
        QStringList namespaces;
        qsizetype next = 0;
        QList<Job> jobs;
        Callback<QList<Job>> done;
        std::function<void()> step;
    };
    auto state = std::make_shared<State>();
    state->done = std::move(done);
    // One namespace after the other (each claim is one script in its slot)
    // until `max` jobs are claimed.
    state->step = [this, state, now, max, leaseMs]() {
        if (state->next >= state->namespaces.size() || state->jobs.size() >= max) {
            auto finish = std::move(state->done);
            QList<Job> jobs = std::move(state->jobs);
            state->step = nullptr; // break the cycle
            finish(std::move(jobs));
            return;
        }
        const QString nsp = state->namespaces[state->next++];
        m_client->eval(m_scripts.jobClaim, {key(nsp, "jobs")},
                       {base(nsp), QByteArray::number(now), QByteArray::number(max - state->jobs.size()),
                        QByteArray::number(leaseMs)},
                       [state, nsp](const RedisValue &v) {
                           auto arr = redisArray(v);
                           if (!arr) {
                               auto finish = std::move(state->done);
                               state->step = nullptr;
                               finish(arr.error());
                               return;
                           }
                           for (const RedisValue &e : arr.value()) {
                               auto h = toHash(e);
                               if (!h)
                                   continue;
                               Job j;
                               j.id = num(h.value(), "id");
                               j.nsp = nsp;
                               j.kind = str(h.value(), "kind");
                               j.payload = h->value(QByteArrayLiteral("payload"));
                               j.dueAt = num(h.value(), "due");
                               j.attempts = int(num(h.value(), "att"));
                               state->jobs.append(j);
                           }
                           state->step();
                       });
    };
    m_client->execute(globalKey("jobns"), {QByteArrayLiteral("SMEMBERS"), globalKey("jobns")},
                      [state](const RedisValue &v) {
                          auto l = stringList(v);
                          if (!l) {
                              auto finish = std::move(state->done);
                              state->step = nullptr;
                              finish(l.error());
                              return;
                          }
                          state->namespaces = l.value();
                          state->namespaces.sort();
                          state->step();
                      });
}

void RedisStore::completeJob(const QString &nsp, qint64 id, Callback<bool> done)
{
    const QByteArray idText = QByteArray::number(id);
    m_client->eval(m_scripts.jobComplete, {key(nsp, "jobs"), key(nsp, "j:" + idText)}, {idText},
                   handle(std::move(done), [](const RedisValue &v) -> Result<bool> {
                       auto n = redisInteger(v);
                       if (!n)
                           return n.error();
                       return n.value() > 0;
                   }));
}

// ------------------------------------------------------------------ sweep

void RedisStore::sweep()
{
    // Message hashes expire by themselves (PEXPIRE); what is left are their
    // ids in the per-namespace index sets.
    if (!m_client->isAvailable())
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_client->execute(globalKey("nsps"), {QByteArrayLiteral("SMEMBERS"), globalKey("nsps")}, [this, now](const RedisValue &v) {
        auto l = stringList(v);
        if (!l)
            return;
        for (const QString &nsp : l.value())
            m_client->eval(m_scripts.sweep, {key(nsp, "mexp"), key(nsp, "msgs")}, {QByteArray::number(now)}, {});
    });
}

} // namespace qpush::store
