#include "redispresence.h"

#include "logging.h"

#include "push/liveclients.h"
#include "push/namespaceregistry.h"

#include <QDateTime>
#include <QJsonArray>
#include <QUuid>

#include <algorithm>
#include <utility>

namespace qpush::cluster {

namespace {

// Ops in one script call, at most (a bigger batch is split): keeps each
// call short, since Redis runs a script alone.
constexpr qsizetype kMaxOpsPerCall = 256;
// Clients a dead node's cleanup removes per script call and namespace.
constexpr int kDropBatch = 500;

// Shared by the write scripts. Keys under base "<prefix>{<nsp>}on:":
//   c            hash  client id -> "<node>|<connection>" (the owner)
//   n:<node>     hash  client id -> platform letter + userid (a node's clients)
//   u            hash  userid -> online clients
//   rs           hash  room -> online members (user rooms left out)
//   r:<room>     set   online members
//   ru:<room>    hash  userid -> online members of that user
//   rp:<room>    hash  i / a -> online iOS / Android members
//   cr:<client>  set   the client's live rooms
const char kHelpers[] = R"lua(
local b = ARGV[1]
local function hdecr(key, field)
  if redis.call('HINCRBY', key, field, -1) <= 0 then redis.call('HDEL', key, field) end
end
local function counted(room) return string.sub(room, 1, 5) ~= 'user_' end
local function join(id, room, plat, user)
  if redis.call('SADD', b .. 'cr:' .. id, room) == 0 then return end
  redis.call('SADD', b .. 'r:' .. room, id)
  redis.call('HINCRBY', b .. 'ru:' .. room, user, 1)
  if plat ~= 'w' then redis.call('HINCRBY', b .. 'rp:' .. room, plat, 1) end
  if counted(room) then redis.call('HINCRBY', b .. 'rs', room, 1) end
end
local function leave(id, room, plat, user)
  if redis.call('SREM', b .. 'cr:' .. id, room) == 0 then return end
  redis.call('SREM', b .. 'r:' .. room, id)
  hdecr(b .. 'ru:' .. room, user)
  if plat ~= 'w' then hdecr(b .. 'rp:' .. room, plat) end
  if counted(room) then hdecr(b .. 'rs', room) end
end
local function remove(id)
  local owner = redis.call('HGET', b .. 'c', id)
  if not owner then return end
  local node = string.sub(owner, 1, string.find(owner, '|', 1, true) - 1)
  local v = redis.call('HGET', b .. 'n:' .. node, id)
  redis.call('HDEL', b .. 'c', id)
  redis.call('HDEL', b .. 'n:' .. node, id)
  if v then
    local plat, user = string.sub(v, 1, 1), string.sub(v, 2)
    for _, room in ipairs(redis.call('SMEMBERS', b .. 'cr:' .. id)) do leave(id, room, plat, user) end
    hdecr(b .. 'u', user)
  end
  redis.call('DEL', b .. 'cr:' .. id)
end
)lua";

// ARGV: base, node, then ops: + id conn plat userid | - id conn | j/l id conn room
const char kApply[] = R"lua(
local node = ARGV[2]
local i = 3
while i <= #ARGV do
  local op, id = ARGV[i], ARGV[i + 1]
  local mine = node .. '|' .. ARGV[i + 2]
  if op == '+' then
    remove(id)
    redis.call('HSET', b .. 'c', id, mine)
    redis.call('HSET', b .. 'n:' .. node, id, ARGV[i + 3] .. ARGV[i + 4])
    redis.call('HINCRBY', b .. 'u', ARGV[i + 4], 1)
    i = i + 5
  elseif op == '-' then
    if redis.call('HGET', b .. 'c', id) == mine then remove(id) end
    i = i + 3
  else
    if redis.call('HGET', b .. 'c', id) == mine then
      local v = redis.call('HGET', b .. 'n:' .. node, id)
      if v then
        if op == 'j' then join(id, ARGV[i + 3], string.sub(v, 1, 1), string.sub(v, 2))
        else leave(id, ARGV[i + 3], string.sub(v, 1, 1), string.sub(v, 2)) end
      end
    end
    i = i + 4
  end
end
return 1
)lua";

// ARGV: base, node, batch. Removes up to `batch` clients of the node; returns
// how many it still has in this namespace.
const char kDrop[] = R"lua(
local node, batch = ARGV[2], tonumber(ARGV[3])
local nk = b .. 'n:' .. node
for _, id in ipairs(redis.call('HRANDFIELD', nk, batch)) do
  local owner = redis.call('HGET', b .. 'c', id)
  if owner and string.sub(owner, 1, #node + 1) == node .. '|' then remove(id)
  else redis.call('HDEL', nk, id) end
end
return redis.call('HLEN', nk)
)lua";

// ARGV: base, batch. Removes up to `batch` online clients of the namespace,
// whichever node owns them; returns how many are left.
const char kClear[] = R"lua(
for _, id in ipairs(redis.call('HRANDFIELD', b .. 'c', tonumber(ARGV[2]))) do remove(id) end
return redis.call('HLEN', b .. 'c')
)lua";

// ARGV: base, room, except client id ('' = none)
const char kCount[] = R"lua(
local k = ARGV[1] .. 'r:' .. ARGV[2]
local n = redis.call('SCARD', k)
if ARGV[3] ~= '' and redis.call('SISMEMBER', k, ARGV[3]) == 1 then n = n - 1 end
return n
)lua";

// ARGV: base, rooms... -> clients, users, ios, android per room
const char kRooms[] = R"lua(
local out = {}
for i = 2, #ARGV do
  local r = ARGV[1] .. 'r:' .. ARGV[i]
  out[#out + 1] = redis.call('SCARD', r)
  out[#out + 1] = redis.call('HLEN', ARGV[1] .. 'ru:' .. ARGV[i])
  local p = redis.call('HMGET', ARGV[1] .. 'rp:' .. ARGV[i], 'i', 'a')
  out[#out + 1] = tonumber(p[1] or 0)
  out[#out + 1] = tonumber(p[2] or 0)
end
return out
)lua";

// ARGV: base, list limit (-1: counts only) -> rooms, users, clients, then
// per list (rooms, users, clients) its names, or false when over the limit.
const char kNamespace[] = R"lua(
local b, limit = ARGV[1], tonumber(ARGV[2])
local out = {}
local keys = {b .. 'rs', b .. 'u', b .. 'c'}
for _, k in ipairs(keys) do out[#out + 1] = redis.call('HLEN', k) end
if limit >= 0 then
  for j, k in ipairs(keys) do
    if out[j] <= limit then out[#out + 1] = redis.call('HKEYS', k) else out[#out + 1] = false end
  end
end
return out
)lua";

// KEYS: this node's heartbeat key, the node list (one hash tag: one slot).
// ARGV: node id, TTL ms, now, must exist (1: refresh only), earlier ids of
// this node still to clean up. Listing and heartbeat are set together: no
// node is listed without a heartbeat, no written id is unlisted.
const char kRegister[] = R"lua(
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
for i = 5, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
return 1
)lua";

QByteArray platformLetter(store::Platform p)
{
    switch (p) {
    case store::Platform::Ios:
        return QByteArrayLiteral("i");
    case store::Platform::Android:
        return QByteArrayLiteral("a");
    case store::Platform::Web:
        break;
    }
    return QByteArrayLiteral("w");
}

QByteArray newNodeId()
{
    return QUuid::createUuid().toByteArray(QUuid::Id128);
}

QJsonArray sortedNames(const store::RedisValue &v)
{
    QStringList names;
    names.reserve(v.elements().size());
    for (const store::RedisValue &e : v.elements())
        names.append(QString::fromUtf8(e.bytes()));
    names.sort();
    return QJsonArray::fromStringList(names);
}

} // namespace

RedisPresence::RedisPresence(RedisPresenceOptions options, push::NamespaceRegistry *registry,
                             push::LiveClients *live, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_prefix(m_options.prefix.toUtf8()),
      m_registry(registry), m_live(live), m_nodeId(newNodeId())
{
    const QByteArray helpers(kHelpers);
    m_apply = store::RedisScript::fromBody(helpers + kApply);
    m_drop = store::RedisScript::fromBody(helpers + kDrop);
    m_clear = store::RedisScript::fromBody(helpers + kClear);
    m_count = store::RedisScript::fromBody(kCount);
    m_rooms = store::RedisScript::fromBody(kRooms);
    m_nsp = store::RedisScript::fromBody(kNamespace);
    m_register = store::RedisScript::fromBody(kRegister);

    store::RedisClientOptions co;
    co.addresses = m_options.addresses;
    co.cluster = m_options.cluster;
    co.password = m_options.password;
    co.db = m_options.db;
    co.reconnectMinMs = m_options.reconnectMinMs;
    co.reconnectMaxMs = m_options.reconnectMaxMs;
    co.scripts = {m_apply, m_drop, m_clear, m_count, m_rooms, m_nsp, m_register};
    m_client = std::make_unique<store::RedisClient>(co);
    connect(m_client.get(), &store::RedisClient::availabilityChanged, this, [this](bool available) {
        if (!available || !m_started || m_closing)
            return;
        if (m_dirty && m_writable)
            resync(); // writes of this node were lost meanwhile: write them again
        else if (!m_registered)
            beat();
    });

    if (live) {
        connect(live, &push::LiveClients::clientOnline, this, &RedisPresence::clientOnline);
        connect(live, &push::LiveClients::clientOffline, this, &RedisPresence::clientOffline);
        connect(live, &push::LiveClients::roomChanged, this, &RedisPresence::roomChanged);
    }

    m_heartbeat.setInterval(std::max(100, m_options.nodeTimeoutMs / 3));
    connect(&m_heartbeat, &QTimer::timeout, this, [this] {
        beat();
        reap();
    });
}

RedisPresence::~RedisPresence() = default;

QByteArray RedisPresence::base(const QString &nsp) const
{
    return m_prefix + '{' + nsp.toUtf8() + "}on:";
}

QByteArray RedisPresence::globalKey(const QByteArray &name) const
{
    return m_prefix + "on:" + name;
}

QByteArray RedisPresence::nodesKey() const
{
    return m_prefix + "on:{nodes}";
}

QByteArray RedisPresence::nodeKey(const QByteArray &node) const
{
    return m_prefix + "on:{nodes}:" + node;
}

void RedisPresence::start()
{
    if (m_started)
        return;
    m_started = true;
    m_client->start();
    beat();
    m_heartbeat.start();
}

// ---- this node's changes ---------------------------------------------------------------

void RedisPresence::queue(const QString &nsp, QByteArrayList words)
{
    if (m_closing || !m_writable)
        return; // not registered yet: written with the others once it is
    auto it = m_pending.find(nsp);
    if (it == m_pending.end()) {
        it = m_pending.insert(nsp, {});
        m_pendingOrder.append(nsp);
    }
    *it += std::move(words);
    if (!m_flushQueued) {
        m_flushQueued = true;
        QMetaObject::invokeMethod(this, &RedisPresence::flush, Qt::QueuedConnection);
    }
}

void RedisPresence::clientOnline(const push::OnlineClient &c)
{
    queue(c.nsp, {QByteArrayLiteral("+"), c.clientId.toUtf8(), c.connection,
                  platformLetter(c.platform), c.userid.toUtf8()});
}

void RedisPresence::clientOffline(const push::OnlineClient &c)
{
    queue(c.nsp, {QByteArrayLiteral("-"), c.clientId.toUtf8(), c.connection});
}

void RedisPresence::roomChanged(const push::OnlineClient &c, const QString &room, bool joined)
{
    queue(c.nsp, {joined ? QByteArrayLiteral("j") : QByteArrayLiteral("l"), c.clientId.toUtf8(),
                  c.connection, room.toUtf8()});
}

void RedisPresence::flush()
{
    m_flushQueued = false;
    if (m_pending.isEmpty())
        return;
    const auto pending = std::exchange(m_pending, {});
    const auto order = std::exchange(m_pendingOrder, {});
    QPointer<RedisPresence> self(this);
    for (const QString &nsp : order) {
        const QByteArrayList words = pending.value(nsp);
        const QByteArray b = base(nsp);
        QByteArrayList args{b, m_nodeId};
        qsizetype ops = 0;
        auto send = [&] {
            m_client->eval(m_apply, {b + 'c'}, args, [self](const store::RedisValue &v) {
                if (self)
                    self->onWriteReply(v);
            });
            args = {b, m_nodeId};
            ops = 0;
        };
        for (qsizetype i = 0; i < words.size();) {
            const QByteArray &op = words.at(i);
            const qsizetype n = op == "+" ? 5 : op == "-" ? 3 : 4;
            args += words.mid(i, n);
            i += n;
            if (++ops == kMaxOpsPerCall)
                send();
        }
        if (ops > 0)
            send();
    }
}

void RedisPresence::onWriteReply(const store::RedisValue &v)
{
    if (!v.isError())
        return;
    if (!std::exchange(m_dirty, true))
        qCWarning(lcCluster).noquote() << "online state not written (rewritten when Redis is back):"
                                       << QString::fromUtf8(v.bytes());
}

// ---- liveness ------------------------------------------------------------------------

void RedisPresence::beat()
{
    if (m_closing)
        return;
    const bool registered = m_registered;
    QByteArrayList args{m_nodeId, QByteArray::number(m_options.nodeTimeoutMs),
                        QByteArray::number(QDateTime::currentMSecsSinceEpoch()),
                        registered ? QByteArrayLiteral("1") : QByteArrayLiteral("0")};
    args += m_oldIds;
    QPointer<RedisPresence> self(this);
    const QByteArray id = m_nodeId;
    m_client->eval(m_register, {nodeKey(id), nodesKey()}, args,
                   [self, id, registered](const store::RedisValue &v) {
                       if (!self || self->m_nodeId != id || self->m_closing || v.isError())
                           return; // retried at the next beat
                       if (v.isNil() && registered) {
                           // Taken for dead (cut off, stalled) or Redis lost its data.
                           qCWarning(lcCluster) << "this node's heartbeat had expired: writing "
                                                   "its online clients again under a new node id";
                           self->resync();
                           return;
                       }
                       self->m_registered = true;
                       if (!self->m_writable)
                           self->becomeWritable();
                   });
}

void RedisPresence::becomeWritable()
{
    m_writable = true;
    m_pending.clear(); // the snapshot below includes them
    m_pendingOrder.clear();
    if (m_live)
        m_live->forEachOnline([this](const push::OnlineClient &c, const QStringList &rooms) {
            clientOnline(c);
            for (const QString &room : rooms)
                roomChanged(c, room, true);
        });
    flush();
    // Entries of earlier ids of this node: taken over above where the client
    // is still here, the rest removed now.
    for (const QByteArray &old : std::exchange(m_oldIds, {}))
        dropNode(old, [] {});
}

void RedisPresence::reap()
{
    if (m_closing)
        return;
    QPointer<RedisPresence> self(this);
    const QByteArray nodes = nodesKey();
    m_client->execute(
        nodes, {QByteArrayLiteral("SMEMBERS"), nodes}, [self](const store::RedisValue &v) {
            if (!self)
                return;
            if (!v.isArray()) {
                qCDebug(lcCluster).noquote()
                    << "node list unreadable:" << QString::fromUtf8(v.bytes());
                return;
            }
            for (const store::RedisValue &e : v.elements()) {
                const QByteArray &node = e.bytes();
                if (node.isEmpty() || node == self->m_nodeId)
                    continue;
                const QByteArray key = self->nodeKey(node);
                self->m_client->execute(key, {QByteArrayLiteral("EXISTS"), key},
                                        [self, node](const store::RedisValue &x) {
                                            if (self && x.isInteger() && x.toInteger() == 0)
                                                self->reapNode(node);
                                        });
            }
        });
}

void RedisPresence::reapNode(const QByteArray &node)
{
    // One survivor cleans up (the others find the lock taken); the cleanup
    // is idempotent, so a second one after the lock expired does no harm.
    const QByteArray lock = globalKey("reap:" + node);
    QPointer<RedisPresence> self(this);
    m_client->execute(lock,
                      {QByteArrayLiteral("SET"), lock, m_nodeId, QByteArrayLiteral("NX"),
                       QByteArrayLiteral("PX"), QByteArray::number(m_options.nodeTimeoutMs)},
                      [self, node](const store::RedisValue &v) {
                          if (v.isError())
                              qCDebug(lcCluster).noquote()
                                  << "reap lock:" << QString::fromUtf8(v.bytes());
                          if (!self || !v.isString())
                              return; // nil: another node cleans up
                          qCInfo(lcCluster).noquote()
                              << "node" << QString::fromLatin1(node)
                              << "stopped its heartbeat: removing its online clients";
                          self->dropNode(node, [self, node] {
                              if (self)
                                  ++self->m_reaped;
                          });
                      });
}

void RedisPresence::dropNode(const QByteArray &node, std::function<void()> done)
{
    QStringList namespaces;
    if (m_registry)
        for (const store::NamespaceRecord &ns : m_registry->all())
            namespaces.append(ns.key);
    QPointer<RedisPresence> self(this);
    auto finish = [self, node, done] {
        if (!self)
            return done();
        const QByteArray key = self->nodeKey(node);
        const QByteArray nodes = self->nodesKey();
        self->m_client->execute(key, {QByteArrayLiteral("DEL"), key}, {});
        self->m_client->execute(nodes, {QByteArrayLiteral("SREM"), nodes, node},
                                [done](const store::RedisValue &) { done(); });
    };
    if (namespaces.isEmpty())
        return finish();
    auto remaining = std::make_shared<qsizetype>(namespaces.size());
    for (const QString &nsp : std::as_const(namespaces))
        dropNamespace(nsp, node, [remaining, finish] {
            if (--*remaining == 0)
                finish();
        });
}

void RedisPresence::dropNamespace(const QString &nsp, const QByteArray &node,
                                  std::function<void()> done)
{
    const QByteArray b = base(nsp);
    QPointer<RedisPresence> self(this);
    m_client->eval(m_drop, {b + 'c'}, {b, node, QByteArray::number(kDropBatch)},
                   [self, nsp, node, done](const store::RedisValue &v) {
                       if (self && v.isInteger() && v.toInteger() > 0)
                           return self->dropNamespace(nsp, node, done);
                       if (v.isError())
                           qCWarning(lcCluster).noquote()
                               << "could not remove the online clients of node"
                               << QString::fromLatin1(node) << "in" << nsp << ":"
                               << QString::fromUtf8(v.bytes());
                       done();
                   });
}

void RedisPresence::resync()
{
    if (m_closing || !m_writable)
        return; // a resync waits for its registration already
    ++m_resyncs;
    // A new node id: a survivor may still be cleaning up the old one, and
    // must not remove what is written now. Nothing is written until the new
    // id is registered; then every online client is written again.
    m_oldIds.append(std::exchange(m_nodeId, newNodeId()));
    m_registered = false;
    m_writable = false;
    m_dirty = false;
    m_pending.clear();
    m_pendingOrder.clear();
    beat();
}

void RedisPresence::shutdown(std::function<void()> done)
{
    if (m_closing || !m_started)
        return done();
    flush();
    m_closing = true;
    m_heartbeat.stop();
    QByteArrayList ids = m_oldIds;
    ids.append(m_nodeId);
    auto remaining = std::make_shared<qsizetype>(ids.size());
    for (const QByteArray &id : std::as_const(ids))
        dropNode(id, [remaining, done] {
            if (--*remaining == 0)
                done();
        });
}

void RedisPresence::clearNamespace(const QString &nsp)
{
    flush();
    const QByteArray b = base(nsp);
    QPointer<RedisPresence> self(this);
    m_client->eval(m_clear, {b + 'c'}, {b, QByteArray::number(kDropBatch)},
                   [self, nsp](const store::RedisValue &v) {
                       // More left: another batch (HRANDFIELD: each call removes some).
                       if (self && v.isInteger() && v.toInteger() > 0)
                           return self->clearNamespace(nsp);
                       if (v.isError())
                           qCWarning(lcCluster).noquote()
                               << "could not clear the online clients of" << nsp << ":"
                               << QString::fromUtf8(v.bytes());
                   });
}

// ---- queries ---------------------------------------------------------------------------

void RedisPresence::queryFailed(const store::RedisValue &v)
{
    if (!std::exchange(m_queryWarned, true))
        qCWarning(lcCluster).noquote()
            << "online state unreadable, answering with this node's clients only:"
            << QString::fromUtf8(v.bytes());
}

void RedisPresence::countRoom(const QString &nsp, const QString &room, const QString &exceptClient,
                              std::function<void(qint64)> done)
{
    flush(); // this node's latest changes are counted
    const QByteArray b = base(nsp);
    QPointer<RedisPresence> self(this);
    m_client->eval(m_count, {b + 'c'}, {b, room.toUtf8(), exceptClient.toUtf8()},
                   [self, nsp, room, exceptClient, done](const store::RedisValue &v) {
                       if (v.isInteger()) {
                           if (self)
                               self->m_queryWarned = false;
                           return done(std::max<qint64>(0, v.toInteger()));
                       }
                       if (!self || !self->m_live)
                           return done(0);
                       self->queryFailed(v);
                       done(self->m_live->countOnline(nsp, room, exceptClient));
                   });
}

void RedisPresence::roomOnline(const QString &nsp, const QStringList &rooms,
                               std::function<void(QList<push::OnlineCounts>)> done)
{
    flush();
    const QByteArray b = base(nsp);
    QByteArrayList args{b};
    for (const QString &room : rooms)
        args.append(room.toUtf8());
    QPointer<RedisPresence> self(this);
    m_client->eval(m_rooms, {b + 'c'}, args, [self, nsp, rooms, done](const store::RedisValue &v) {
        QList<push::OnlineCounts> out;
        if (v.isArray() && v.elements().size() == rooms.size() * 4) {
            const auto &e = v.elements();
            for (qsizetype i = 0; i < rooms.size(); ++i)
                out.append({e.at(4 * i).toInteger(), e.at(4 * i + 1).toInteger(),
                            e.at(4 * i + 2).toInteger(), e.at(4 * i + 3).toInteger()});
            return done(out);
        }
        if (self && self->m_live) {
            self->queryFailed(v);
            for (const QString &room : rooms)
                out.append(self->m_live->roomOnline(nsp, room));
        }
        done(out);
    });
}

void RedisPresence::namespaceOnline(const QString &nsp, bool detail, int listLimit,
                                    std::function<void(QJsonObject)> done)
{
    flush();
    const QByteArray b = base(nsp);
    QPointer<RedisPresence> self(this);
    m_client->eval(m_nsp, {b + 'c'}, {b, QByteArray::number(detail ? std::max(0, listLimit) : -1)},
                   [self, nsp, detail, done](const store::RedisValue &v) {
                       const qsizetype want = detail ? 6 : 3;
                       if (v.isArray() && v.elements().size() == want) {
                           const auto &e = v.elements();
                           QJsonObject o{
                               {QStringLiteral("roomCount"), double(e.at(0).toInteger())},
                               {QStringLiteral("userCount"), double(e.at(1).toInteger())},
                               {QStringLiteral("clientCount"), double(e.at(2).toInteger())}};
                           if (detail) {
                               const char *names[] = {"room", "user", "client"};
                               for (int i = 0; i < 3; ++i)
                                   if (e.at(3 + i).isArray())
                                       o.insert(QLatin1String(names[i]), sortedNames(e.at(3 + i)));
                           }
                           return done(o);
                       }
                       if (!self || !self->m_live)
                           return done(QJsonObject{});
                       self->queryFailed(v);
                       done(self->m_live->namespaceOnline(nsp, detail));
                   });
}

} // namespace qpush::cluster
