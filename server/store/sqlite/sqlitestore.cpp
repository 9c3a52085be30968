#include "sqlitestore.h"

#include "../codec.h"
#include "../logging.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QVariant>

namespace qpush::store {

namespace {

#define CLIENT_COLS                                                                                                   \
    "id, nsp, userid, platform, uuid, first_connect, last_connect, last_disconnect, update_date, mobile, system,"  \
    " device_token, no_send_apns, leave_message"
#define MESSAGE_COLS                                                                                                  \
    "id, nsp, room, push_data, send_date, server_num, leave_message, apns_name, extra, except_client, expire_at"
#define REPORT_COLS                                                                                                   \
    MESSAGE_COLS ", online_count, ack_count, ack_ios, ack_android, ack_web, apns_count, apns_success, apns_env, result"

Error invalid(const QString &what)
{
    return Error{ErrorCode::Invalid, what};
}

Error notFound(const QString &what)
{
    return Error{ErrorCode::NotFound, what};
}

ClientInfo readClient(const QSqlQuery &q)
{
    ClientInfo c;
    c.clientId = q.value(0).toString();
    c.nsp = q.value(1).toString();
    c.userid = q.value(2).toString();
    c.platform = Platform(q.value(3).toInt());
    c.uuid = q.value(4).toString();
    c.firstConnectTime = q.value(5).toLongLong();
    c.lastConnectTime = q.value(6).toLongLong();
    c.lastDisconnectTime = q.value(7).toLongLong();
    c.updateDate = q.value(8).toLongLong();
    c.mobile = q.value(9).toString();
    c.system = q.value(10).toString();
    c.deviceToken = q.value(11).toString();
    c.noSendApns = splitDnd(q.value(12).toString());
    c.leaveMessage = q.value(13).toInt() != 0;
    return c;
}

PushMessage readMessage(const QSqlQuery &q)
{
    PushMessage m;
    m.id = q.value(0).toLongLong();
    m.nsp = q.value(1).toString();
    m.room = q.value(2).toString();
    m.pushData = q.value(3).toByteArray();
    m.sendDate = q.value(4).toLongLong();
    m.serverNum = q.value(5).toLongLong();
    m.leaveMessage = q.value(6).toInt() != 0;
    m.apnsName = q.value(7).toString();
    m.extra = q.value(8).toString();
    m.exceptClient = q.value(9).toString();
    m.expireAt = q.value(10).toLongLong();
    return m;
}

PushReport readReport(const QSqlQuery &q)
{
    PushReport r;
    r.message = readMessage(q);
    r.onlineClientCount = q.value(11).toLongLong();
    r.ackCount = q.value(12).toLongLong();
    r.ackIOSCount = q.value(13).toLongLong();
    r.ackAndroidCount = q.value(14).toLongLong();
    r.ackWebCount = q.value(15).toLongLong();
    r.apnsCount = q.value(16).toLongLong();
    r.apnsSuccessCount = q.value(17).toLongLong();
    r.apnsEnv = q.value(18).toString();
    r.result = q.value(19).toString();
    return r;
}

std::optional<ClientIdParts> parts(const QString &clientId)
{
    return parseClientId(clientId);
}

Result<qint64> nextSequence(SqliteDb &db, const QString &name)
{
    QSqlQuery &u = db.prepare(QStringLiteral("UPDATE sequences SET value = value + 1 WHERE name = ?"));
    u.addBindValue(name);
    if (auto e = db.exec(u))
        return *e;
    QSqlQuery &q = db.prepare(QStringLiteral("SELECT value FROM sequences WHERE name = ?"));
    q.addBindValue(name);
    if (auto e = db.exec(q))
        return *e;
    if (!q.next())
        return Error{ErrorCode::Corrupt, QStringLiteral("sequence %1 is missing").arg(name)};
    const qint64 v = q.value(0).toLongLong();
    if (v <= 0 || v > kMaxMessageId)
        return Error{ErrorCode::Corrupt, QStringLiteral("sequence %1 is out of range: %2").arg(name).arg(v)};
    return v;
}

Result<ClientInfo> loadClient(SqliteDb &db, const QString &clientId)
{
    QSqlQuery &q = db.prepare(QStringLiteral("SELECT " CLIENT_COLS " FROM clients WHERE id = ?"));
    q.addBindValue(clientId);
    if (auto e = db.exec(q))
        return *e;
    if (!q.next())
        return notFound(QStringLiteral("no client ") + clientId);
    return readClient(q);
}

std::optional<Error> storeClient(SqliteDb &db, const ClientInfo &c)
{
    const qint64 seen = std::max({c.lastConnectTime, c.lastDisconnectTime, c.updateDate, c.firstConnectTime});
    QSqlQuery &q = db.prepare(QStringLiteral(
        "INSERT INTO clients(" CLIENT_COLS ", last_seen) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(id) DO UPDATE SET first_connect=excluded.first_connect,"
        " last_connect=excluded.last_connect, last_disconnect=excluded.last_disconnect,"
        " update_date=excluded.update_date, mobile=excluded.mobile, system=excluded.system,"
        " device_token=excluded.device_token, no_send_apns=excluded.no_send_apns,"
        " leave_message=excluded.leave_message, last_seen=excluded.last_seen"));
    q.addBindValue(c.clientId);
    q.addBindValue(c.nsp);
    q.addBindValue(c.userid);
    q.addBindValue(int(c.platform));
    q.addBindValue(c.uuid);
    q.addBindValue(c.firstConnectTime);
    q.addBindValue(c.lastConnectTime);
    q.addBindValue(c.lastDisconnectTime);
    q.addBindValue(c.updateDate);
    q.addBindValue(c.mobile);
    q.addBindValue(c.system);
    q.addBindValue(c.deviceToken);
    q.addBindValue(joinDnd(c.noSendApns));
    q.addBindValue(c.leaveMessage ? 1 : 0);
    q.addBindValue(seen);
    return db.exec(q);
}

/// The message if it exists in `nsp` and has not expired.
Result<PushMessage> liveMessage(SqliteDb &db, const QString &nsp, qint64 id)
{
    QSqlQuery &q = db.prepare(QStringLiteral("SELECT " MESSAGE_COLS " FROM messages WHERE id = ? AND nsp = ? AND expire_at > ?"));
    q.addBindValue(id);
    q.addBindValue(nsp);
    q.addBindValue(db.now());
    if (auto e = db.exec(q))
        return *e;
    if (!q.next())
        return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
    return readMessage(q);
}

std::optional<Error> addOffline(SqliteDb &db, const QString &nsp, qint64 id, qint64 expireAt,
                                const QStringList &clientIds, int limit)
{
    if (clientIds.isEmpty())
        return std::nullopt;
    // Set-based: the client ids travel as one JSON array (json_each), so a
    // push with 100 offline entries costs two statements, not two hundred.
    const QByteArray ids = QJsonDocument(QJsonArray::fromStringList(clientIds)).toJson(QJsonDocument::Compact);
    QSqlQuery &ins = db.prepare(QStringLiteral("INSERT OR IGNORE INTO offline(client_id, msg_id, nsp, expire_at)"
                                               " SELECT value, ?, ?, ? FROM json_each(?)"));
    ins.addBindValue(id);
    ins.addBindValue(nsp);
    ins.addBindValue(expireAt);
    ins.addBindValue(QString::fromUtf8(ids));
    if (auto e = db.exec(ins))
        return e;
    // Keep each list's newest `limit`: per client, find the (limit+1)-th
    // newest id (a walk of at most limit+1 primary-key entries) and drop it
    // and everything older.
    QSqlQuery &trim = db.prepare(QStringLiteral(
        "WITH cut(cid, m) AS MATERIALIZED (SELECT j.value, (SELECT msg_id FROM offline x WHERE x.client_id = j.value"
        " ORDER BY msg_id DESC LIMIT 1 OFFSET ?) FROM json_each(?) j)"
        " DELETE FROM offline WHERE EXISTS (SELECT 1 FROM cut WHERE cut.m IS NOT NULL"
        " AND cut.cid = offline.client_id AND offline.msg_id <= cut.m)"
        " AND client_id IN (SELECT value FROM json_each(?))"));
    trim.addBindValue(std::max(limit, 0));
    trim.addBindValue(QString::fromUtf8(ids));
    trim.addBindValue(QString::fromUtf8(ids));
    if (auto e = db.exec(trim))
        return e;
    return std::nullopt;
}

std::optional<Error> upsertStat(SqliteDb &db, const QString &nsp, const QString &bucket, qint64 expireAt)
{
    QSqlQuery &q = db.prepare(QStringLiteral("INSERT INTO stats(nsp, bucket, count, expire_at) VALUES(?,?,1,?)"
                                             " ON CONFLICT(nsp, bucket) DO UPDATE SET count = count + 1"));
    q.addBindValue(nsp);
    q.addBindValue(bucket);
    q.addBindValue(expireAt);
    return db.exec(q);
}

Result<QStringList> stringColumn(SqliteDb &db, QSqlQuery &q)
{
    if (auto e = db.exec(q))
        return *e;
    QStringList out;
    while (q.next())
        out.append(q.value(0).toString());
    return out;
}

} // namespace

SqliteStore::SqliteStore(SqliteOptions options, QObject *parent) : Store(parent), m_options(std::move(options))
{
    m_thread.setObjectName(QStringLiteral("qpush-sqlite"));
    m_worker = new SqliteWorker(m_options, this);
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

SqliteStore::~SqliteStore()
{
    // Commit what was queued, close the connection on its own thread, stop.
    SqliteWorker *worker = m_worker;
    QMetaObject::invokeMethod(worker, [worker]() { worker->closeDatabase(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

template<class T>
void SqliteStore::submit(std::function<Result<T>(SqliteDb &)> work, Callback<T> done)
{
    m_worker->enqueue(std::make_shared<SqliteRequestT<T>>(std::move(work), std::move(done)));
}

void SqliteStore::open(Callback<Done> done)
{
    SqliteWorker *worker = m_worker;
    auto request = std::make_shared<SqliteRequestT<Done>>([worker](SqliteDb &) { return worker->openDatabase(); },
                                                          std::move(done));
    request->outsideTransaction = true;
    m_worker->enqueue(std::move(request));
}

void SqliteStore::sweepNow(Callback<Done> done)
{
    SqliteWorker *worker = m_worker;
    submit<Done>([worker](SqliteDb &db) { return worker->sweep(db); }, std::move(done));
}

// ------------------------------------------------------------- namespaces

void SqliteStore::saveNamespace(const NamespaceRecord &ns, Callback<Done> done)
{
    submit<Done>(
        [ns](SqliteDb &db) -> Result<Done> {
            if (!ns.key.startsWith(u'/'))
                return invalid(QStringLiteral("namespace key must start with '/': ") + ns.key);
            QSqlQuery &q = db.prepare(QStringLiteral("INSERT OR REPLACE INTO namespaces(key, doc) VALUES(?, ?)"));
            q.addBindValue(ns.key);
            q.addBindValue(namespaceToJson(ns));
            if (auto e = db.exec(q))
                return *e;
            return Done{};
        },
        std::move(done));
}

void SqliteStore::getNamespace(const QString &key, Callback<NamespaceRecord> done)
{
    submit<NamespaceRecord>(
        [key](SqliteDb &db) -> Result<NamespaceRecord> {
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT doc FROM namespaces WHERE key = ?"));
            q.addBindValue(key);
            if (auto e = db.exec(q))
                return *e;
            if (!q.next())
                return notFound(QStringLiteral("no namespace ") + key);
            return namespaceFromJson(q.value(0).toByteArray());
        },
        std::move(done));
}

void SqliteStore::listNamespaces(Callback<QList<NamespaceRecord>> done)
{
    submit<QList<NamespaceRecord>>(
        [](SqliteDb &db) -> Result<QList<NamespaceRecord>> {
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT doc FROM namespaces ORDER BY key"));
            if (auto e = db.exec(q))
                return *e;
            QList<NamespaceRecord> out;
            while (q.next()) {
                auto ns = namespaceFromJson(q.value(0).toByteArray());
                if (!ns)
                    return ns.error();
                out.append(ns.value());
            }
            return out;
        },
        std::move(done));
}

void SqliteStore::deleteNamespaceData(const QString &key, bool alsoNamespace, Callback<Done> done)
{
    submit<Done>(
        [key, alsoNamespace](SqliteDb &db) -> Result<Done> {
            QStringList statements = {
                QStringLiteral("DELETE FROM acks WHERE msg_id IN (SELECT id FROM messages WHERE nsp = ?)"),
                QStringLiteral("DELETE FROM messages WHERE nsp = ?"),
                QStringLiteral("DELETE FROM clients WHERE nsp = ?"),
                QStringLiteral("DELETE FROM members WHERE nsp = ?"),
                QStringLiteral("DELETE FROM room_counters WHERE nsp = ?"),
                // Client ids start with "<nsp>#": a primary-key range, no index needed.
                QStringLiteral("DELETE FROM offline WHERE client_id >= ? || '#' AND client_id < ? || '$'"),
                QStringLiteral("DELETE FROM stats WHERE nsp = ?"),
                QStringLiteral("DELETE FROM jobs WHERE nsp = ?"),
            };
            if (alsoNamespace)
                statements.append(QStringLiteral("DELETE FROM namespaces WHERE key = ?"));
            for (const QString &sql : std::as_const(statements)) {
                QSqlQuery &q = db.prepare(sql);
                for (qsizetype n = sql.count(u'?'); n > 0; --n)
                    q.addBindValue(key);
                if (auto e = db.exec(q))
                    return *e;
            }
            return Done{};
        },
        std::move(done));
}

// ---------------------------------------------------------------- clients

void SqliteStore::getClient(const QString &clientId, Callback<ClientInfo> done)
{
    submit<ClientInfo>([clientId](SqliteDb &db) { return loadClient(db, clientId); }, std::move(done));
}

void SqliteStore::getClients(const QStringList &clientIds, Callback<QList<ClientInfo>> done)
{
    submit<QList<ClientInfo>>(
        [clientIds](SqliteDb &db) -> Result<QList<ClientInfo>> {
            QList<ClientInfo> out;
            out.reserve(clientIds.size());
            for (const QString &id : clientIds) {
                auto c = loadClient(db, id);
                if (c)
                    out.append(std::move(c).value());
                else if (c.error().code != ErrorCode::NotFound)
                    return c.error();
            }
            return out;
        },
        std::move(done));
}

void SqliteStore::updateClient(const QString &clientId, const ClientPatch &patch, Callback<ClientInfo> done)
{
    submit<ClientInfo>(
        [clientId, patch](SqliteDb &db) -> Result<ClientInfo> {
            auto p = parts(clientId);
            if (!p)
                return invalid(QStringLiteral("not a client id: ") + clientId);
            auto loaded = loadClient(db, clientId);
            ClientInfo c;
            if (loaded) {
                c = std::move(loaded).value();
            } else if (loaded.error().code == ErrorCode::NotFound) {
                c.clientId = clientId;
                c.nsp = p->nsp;
                c.userid = p->userid;
                c.platform = p->platform;
                c.uuid = p->uuid;
            } else {
                return loaded.error();
            }
            if (patch.connectTime) {
                c.lastConnectTime = *patch.connectTime;
                if (c.firstConnectTime == 0)
                    c.firstConnectTime = *patch.connectTime;
                c.leaveMessage = true;
            }
            if (patch.disconnectTime)
                c.lastDisconnectTime = *patch.disconnectTime;
            if (patch.updateDate)
                c.updateDate = *patch.updateDate;
            if (patch.mobile)
                c.mobile = *patch.mobile;
            if (patch.system)
                c.system = *patch.system;
            if (patch.deviceToken)
                c.deviceToken = *patch.deviceToken;
            if (patch.leaveMessage)
                c.leaveMessage = *patch.leaveMessage;
            if (patch.noSendApns)
                c.noSendApns = applyDndEdit({}, *patch.noSendApns, {});
            if (auto e = storeClient(db, c))
                return *e;
            return c;
        },
        std::move(done));
}

void SqliteStore::editClientApns(const QString &clientId, const QStringList &add, const QStringList &remove,
                                 Callback<QStringList> done)
{
    submit<QStringList>(
        [clientId, add, remove](SqliteDb &db) -> Result<QStringList> {
            auto c = loadClient(db, clientId);
            if (!c)
                return c.error();
            ClientInfo info = std::move(c).value();
            info.noSendApns = applyDndEdit(info.noSendApns, add, remove);
            if (auto e = storeClient(db, info))
                return *e;
            return info.noSendApns;
        },
        std::move(done));
}

void SqliteStore::removeLegacyClients(const QString &nsp, qint64 notSeenSince, Callback<QStringList> done)
{
    submit<QStringList>(
        [nsp, notSeenSince](SqliteDb &db) -> Result<QStringList> {
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT id FROM clients WHERE nsp = ? AND last_seen < ? ORDER BY id"));
            q.addBindValue(nsp);
            q.addBindValue(notSeenSince);
            auto ids = stringColumn(db, q);
            if (!ids)
                return ids.error();
            for (const QString &id : ids.value()) {
                for (const auto &sql : {QStringLiteral("DELETE FROM members WHERE client_id = ?"),
                                        QStringLiteral("DELETE FROM offline WHERE client_id = ?"),
                                        QStringLiteral("DELETE FROM clients WHERE id = ?")}) {
                    QSqlQuery &d = db.prepare(sql);
                    d.addBindValue(id);
                    if (auto e = db.exec(d))
                        return *e;
                }
            }
            return ids;
        },
        std::move(done));
}

void SqliteStore::countClients(const QString &nsp, Callback<qint64> done)
{
    submit<qint64>(
        [nsp](SqliteDb &db) -> Result<qint64> {
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT count(*) FROM clients WHERE nsp = ?"));
            q.addBindValue(nsp);
            if (auto e = db.exec(q))
                return *e;
            return q.next() ? q.value(0).toLongLong() : 0;
        },
        std::move(done));
}

// ------------------------------------------------------------------ rooms

void SqliteStore::joinRooms(const QString &clientId, const QStringList &rooms, Callback<Done> done)
{
    submit<Done>(
        [clientId, rooms](SqliteDb &db) -> Result<Done> {
            auto p = parts(clientId);
            if (!p)
                return invalid(QStringLiteral("not a client id: ") + clientId);
            for (const QString &room : rooms) {
                QSqlQuery &q = db.prepare(
                    QStringLiteral("INSERT OR IGNORE INTO members(nsp, room, client_id, platform) VALUES(?,?,?,?)"));
                q.addBindValue(p->nsp);
                q.addBindValue(room);
                q.addBindValue(clientId);
                q.addBindValue(int(p->platform));
                if (auto e = db.exec(q))
                    return *e;
            }
            return Done{};
        },
        std::move(done));
}

void SqliteStore::leaveRooms(const QString &clientId, const QStringList &rooms, Callback<Done> done)
{
    submit<Done>(
        [clientId, rooms](SqliteDb &db) -> Result<Done> {
            auto p = parts(clientId);
            if (!p)
                return invalid(QStringLiteral("not a client id: ") + clientId);
            for (const QString &room : rooms) {
                QSqlQuery &q = db.prepare(QStringLiteral("DELETE FROM members WHERE nsp = ? AND room = ? AND client_id = ?"));
                q.addBindValue(p->nsp);
                q.addBindValue(room);
                q.addBindValue(clientId);
                if (auto e = db.exec(q))
                    return *e;
            }
            return Done{};
        },
        std::move(done));
}

void SqliteStore::clientRooms(const QString &clientId, Callback<QStringList> done)
{
    submit<QStringList>(
        [clientId](SqliteDb &db) {
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT room FROM members WHERE client_id = ? ORDER BY room"));
            q.addBindValue(clientId);
            return stringColumn(db, q);
        },
        std::move(done));
}

void SqliteStore::roomMembers(const QString &nsp, const QString &room, std::optional<Platform> platform,
                              Callback<QStringList> done)
{
    submit<QStringList>(
        [nsp, room, platform](SqliteDb &db) {
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT client_id FROM members WHERE nsp = ? AND room = ?"
                                                     " AND (? < 0 OR platform = ?) ORDER BY client_id"));
            q.addBindValue(nsp);
            q.addBindValue(room);
            q.addBindValue(platform ? int(*platform) : -1);
            q.addBindValue(platform ? int(*platform) : -1);
            return stringColumn(db, q);
        },
        std::move(done));
}

void SqliteStore::roomCounts(const QString &nsp, const QStringList &rooms, Callback<QList<RoomCounts>> done)
{
    submit<QList<RoomCounts>>(
        [nsp, rooms](SqliteDb &db) -> Result<QList<RoomCounts>> {
            QList<RoomCounts> out;
            for (const QString &room : rooms) {
                QSqlQuery &q = db.prepare(QStringLiteral(
                    "SELECT platform, count(*) FROM members WHERE nsp = ? AND room = ? GROUP BY platform"));
                q.addBindValue(nsp);
                q.addBindValue(room);
                if (auto e = db.exec(q))
                    return *e;
                RoomCounts c;
                while (q.next()) {
                    const qint64 n = q.value(1).toLongLong();
                    switch (Platform(q.value(0).toInt())) {
                    case Platform::Ios: c.ios += n; break;
                    case Platform::Android: c.android += n; break;
                    case Platform::Web: c.web += n; break;
                    }
                    c.total += n;
                }
                out.append(c);
            }
            return out;
        },
        std::move(done));
}

void SqliteStore::transfer(const QString &nsp, const QStringList &sourceRooms, const QString &targetRoom,
                           TransferKind kind, Callback<QStringList> done)
{
    submit<QStringList>(
        [nsp, sourceRooms, targetRoom, kind](SqliteDb &db) -> Result<QStringList> {
            QMap<QString, int> members; // sorted, distinct
            for (const QString &room : sourceRooms) {
                QSqlQuery &q = db.prepare(QStringLiteral("SELECT client_id, platform FROM members WHERE nsp = ? AND room = ?"));
                q.addBindValue(nsp);
                q.addBindValue(room);
                if (auto e = db.exec(q))
                    return *e;
                while (q.next())
                    members.insert(q.value(0).toString(), q.value(1).toInt());
            }
            QStringList changed;
            for (auto it = members.cbegin(); it != members.cend(); ++it) {
                QSqlQuery &q = db.prepare(
                    kind == TransferKind::Join
                        ? QStringLiteral("INSERT OR IGNORE INTO members(nsp, room, client_id, platform) VALUES(?,?,?,?)")
                        : QStringLiteral("DELETE FROM members WHERE nsp = ? AND room = ? AND client_id = ?"));
                q.addBindValue(nsp);
                q.addBindValue(targetRoom);
                q.addBindValue(it.key());
                if (kind == TransferKind::Join)
                    q.addBindValue(it.value());
                if (auto e = db.exec(q))
                    return *e;
                if (q.numRowsAffected() > 0)
                    changed.append(it.key());
            }
            return changed;
        },
        std::move(done));
}

void SqliteStore::setRoomLeaveMessage(const QString &nsp, const QString &room, bool leaveMessage,
                                      Callback<qint64> done)
{
    submit<qint64>(
        [nsp, room, leaveMessage](SqliteDb &db) -> Result<qint64> {
            QSqlQuery &q = db.prepare(QStringLiteral("UPDATE clients SET leave_message = ? WHERE id IN"
                                                     " (SELECT client_id FROM members WHERE nsp = ? AND room = ?)"));
            q.addBindValue(leaveMessage ? 1 : 0);
            q.addBindValue(nsp);
            q.addBindValue(room);
            if (auto e = db.exec(q))
                return *e;
            return qint64(q.numRowsAffected());
        },
        std::move(done));
}

void SqliteStore::editRoomApns(const QString &nsp, const QString &room, const QStringList &add,
                               const QStringList &remove, Callback<qint64> done)
{
    submit<qint64>(
        [nsp, room, add, remove](SqliteDb &db) -> Result<qint64> {
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT " CLIENT_COLS " FROM clients WHERE id IN"
                                                     " (SELECT client_id FROM members WHERE nsp = ? AND room = ?)"));
            q.addBindValue(nsp);
            q.addBindValue(room);
            if (auto e = db.exec(q))
                return *e;
            QList<ClientInfo> clients;
            while (q.next())
                clients.append(readClient(q));
            for (ClientInfo &c : clients) {
                c.noSendApns = applyDndEdit(c.noSendApns, add, remove);
                if (auto e = storeClient(db, c))
                    return *e;
            }
            return qint64(clients.size());
        },
        std::move(done));
}

// ----------------------------------------------------------------- pushes

void SqliteStore::savePush(const PushRecord &push, Callback<PushSaved> done)
{
    submit<PushSaved>(
        [push](SqliteDb &db) -> Result<PushSaved> {
            if (!push.nsp.startsWith(u'/') || push.room.isEmpty())
                return invalid(QStringLiteral("a push needs a namespace and a room"));
            if (push.ttlMs <= 0)
                return invalid(QStringLiteral("a push needs a positive ttl"));
            auto id = nextSequence(db, QStringLiteral("message"));
            if (!id)
                return id.error();
            QSqlQuery &counter = db.prepare(QStringLiteral(
                "INSERT INTO room_counters(nsp, room, server_num) VALUES(?, ?, 1)"
                " ON CONFLICT(nsp, room) DO UPDATE SET server_num = server_num + 1"));
            counter.addBindValue(push.nsp);
            counter.addBindValue(push.room);
            if (auto e = db.exec(counter))
                return *e;
            QSqlQuery &num = db.prepare(QStringLiteral("SELECT server_num FROM room_counters WHERE nsp = ? AND room = ?"));
            num.addBindValue(push.nsp);
            num.addBindValue(push.room);
            if (auto e = db.exec(num))
                return *e;
            if (!num.next())
                return Error{ErrorCode::Internal, QStringLiteral("room counter vanished")};
            const qint64 serverNum = num.value(0).toLongLong() - 1;
            const qint64 expireAt = db.now() + push.ttlMs;

            QSqlQuery &ins = db.prepare(QStringLiteral(
                "INSERT INTO messages(id, nsp, room, push_data, send_date, server_num, leave_message, apns_name,"
                " extra, except_client, expire_at, online_count) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"));
            ins.addBindValue(id.value());
            ins.addBindValue(push.nsp);
            ins.addBindValue(push.room);
            ins.addBindValue(push.pushData);
            ins.addBindValue(push.sendDate);
            ins.addBindValue(serverNum);
            ins.addBindValue(push.leaveMessage ? 1 : 0);
            ins.addBindValue(push.apnsName);
            ins.addBindValue(push.extra);
            ins.addBindValue(push.exceptClient);
            ins.addBindValue(expireAt);
            ins.addBindValue(push.onlineClientCount);
            if (auto e = db.exec(ins))
                return *e;

            const StatBuckets b = statBuckets(push.sendDate);
            const std::pair<QString, qint64> stats[] = {
                {QStringLiteral("m%1").arg(b.minute), (b.minute + 2) * 60000},
                {QStringLiteral("h%1").arg(b.hour), (b.hour + 2) * 3600000},
                {QStringLiteral("d%1").arg(b.day), (b.day + 2) * 86400000},
            };
            for (const auto &[bucket, until] : stats) {
                if (auto e = upsertStat(db, push.nsp, bucket, until))
                    return *e;
            }
            if (!push.offlineClientIds.isEmpty()) {
                if (auto e = addOffline(db, push.nsp, id.value(), expireAt, push.offlineClientIds, push.offlineLimit))
                    return *e;
            }
            if (push.followUp) {
                auto jobId = nextSequence(db, QStringLiteral("job"));
                if (!jobId)
                    return jobId.error();
                QSqlQuery &job = db.prepare(
                    QStringLiteral("INSERT INTO jobs(id, nsp, kind, payload, due_at) VALUES(?,?,?,?,?)"));
                job.addBindValue(jobId.value());
                job.addBindValue(push.nsp); // a follow-up belongs to the push's namespace
                job.addBindValue(push.followUp->kind);
                job.addBindValue(push.followUp->payload);
                job.addBindValue(push.followUp->dueAt);
                if (auto e = db.exec(job))
                    return *e;
            }
            return PushSaved{id.value(), serverNum};
        },
        std::move(done));
}

void SqliteStore::getReport(const QString &nsp, qint64 id, bool withDetail, Callback<PushReport> done)
{
    submit<PushReport>(
        [nsp, id, withDetail](SqliteDb &db) -> Result<PushReport> {
            QSqlQuery &q = db.prepare(
                QStringLiteral("SELECT " REPORT_COLS " FROM messages WHERE id = ? AND nsp = ? AND expire_at > ?"));
            q.addBindValue(id);
            q.addBindValue(nsp);
            q.addBindValue(db.now());
            if (auto e = db.exec(q))
                return *e;
            if (!q.next())
                return notFound(QStringLiteral("no report %1 in %2").arg(id).arg(nsp));
            PushReport r = readReport(q);
            if (withDetail) {
                QSqlQuery &d = db.prepare(QStringLiteral("SELECT client_id, platform FROM acks WHERE msg_id = ? ORDER BY client_id"));
                d.addBindValue(id);
                if (auto e = db.exec(d))
                    return *e;
                while (d.next()) {
                    const QString cid = d.value(0).toString();
                    switch (Platform(d.value(1).toInt())) {
                    case Platform::Ios: r.ackIOSDetail.append(cid); break;
                    case Platform::Android: r.ackAndroidDetail.append(cid); break;
                    case Platform::Web: r.ackWebDetail.append(cid); break;
                    }
                }
            }
            return r;
        },
        std::move(done));
}

void SqliteStore::listReports(const QString &nsp, int page, int size, Callback<QList<PushReport>> done)
{
    submit<QList<PushReport>>(
        [nsp, page, size](SqliteDb &db) -> Result<QList<PushReport>> {
            if (page < 1 || size < 1)
                return invalid(QStringLiteral("page and size start at 1"));
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT " REPORT_COLS " FROM messages WHERE nsp = ? AND expire_at > ?"
                                                     " ORDER BY id DESC LIMIT ? OFFSET ?"));
            q.addBindValue(nsp);
            q.addBindValue(db.now());
            q.addBindValue(size);
            q.addBindValue(qint64(page - 1) * size);
            if (auto e = db.exec(q))
                return *e;
            QList<PushReport> out;
            while (q.next())
                out.append(readReport(q));
            return out;
        },
        std::move(done));
}

void SqliteStore::recordAck(const QString &nsp, qint64 id, const QString &clientId, Callback<AckOutcome> done)
{
    submit<AckOutcome>(
        [nsp, id, clientId](SqliteDb &db) -> Result<AckOutcome> {
            auto p = parts(clientId);
            if (!p)
                return invalid(QStringLiteral("not a client id: ") + clientId);
            auto m = liveMessage(db, nsp, id);
            if (!m)
                return m.error();
            QSqlQuery &ins = db.prepare(QStringLiteral("INSERT OR IGNORE INTO acks(msg_id, client_id, platform) VALUES(?,?,?)"));
            ins.addBindValue(id);
            ins.addBindValue(clientId);
            ins.addBindValue(int(p->platform));
            if (auto e = db.exec(ins))
                return *e;
            const bool counted = ins.numRowsAffected() > 0;
            if (counted) {
                QString column = QStringLiteral("ack_web");
                if (p->platform == Platform::Ios)
                    column = QStringLiteral("ack_ios");
                else if (p->platform == Platform::Android)
                    column = QStringLiteral("ack_android");
                QSqlQuery &u = db.prepare(QStringLiteral("UPDATE messages SET ack_count = ack_count + 1, ") + column
                                          + QStringLiteral(" = ") + column + QStringLiteral(" + 1 WHERE id = ?"));
                u.addBindValue(id);
                if (auto e = db.exec(u))
                    return *e;
            }
            QSqlQuery &del = db.prepare(QStringLiteral("DELETE FROM offline WHERE client_id = ? AND msg_id = ?"));
            del.addBindValue(clientId);
            del.addBindValue(id);
            if (auto e = db.exec(del))
                return *e;
            return AckOutcome{counted};
        },
        std::move(done));
}

void SqliteStore::recordApnsResult(const QString &nsp, qint64 id, const ApnsResult &r, Callback<Done> done)
{
    submit<Done>(
        [nsp, id, r](SqliteDb &db) -> Result<Done> {
            QSqlQuery &q = db.prepare(QStringLiteral(
                "UPDATE messages SET apns_count = apns_count + ?, apns_success = apns_success + ?,"
                " apns_env = CASE WHEN ? = '' THEN apns_env ELSE ? END,"
                " result = CASE WHEN ? = '' THEN result ELSE ? END"
                " WHERE id = ? AND nsp = ? AND expire_at > ?"));
            q.addBindValue(r.tried);
            q.addBindValue(r.succeeded);
            q.addBindValue(r.apnsEnv);
            q.addBindValue(r.apnsEnv);
            q.addBindValue(r.result);
            q.addBindValue(r.result);
            q.addBindValue(id);
            q.addBindValue(nsp);
            q.addBindValue(db.now());
            if (auto e = db.exec(q))
                return *e;
            if (q.numRowsAffected() == 0)
                return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
            return Done{};
        },
        std::move(done));
}

void SqliteStore::pendingRecipients(const QString &nsp, qint64 id, Callback<QList<ClientInfo>> done)
{
    submit<QList<ClientInfo>>(
        [nsp, id](SqliteDb &db) -> Result<QList<ClientInfo>> {
            auto m = liveMessage(db, nsp, id);
            if (!m)
                return m.error();
            QSqlQuery &q = db.prepare(QStringLiteral(
                "SELECT c.id, c.nsp, c.userid, c.platform, c.uuid, c.first_connect, c.last_connect,"
                " c.last_disconnect, c.update_date, c.mobile, c.system, c.device_token, c.no_send_apns,"
                " c.leave_message FROM members m JOIN clients c ON c.id = m.client_id"
                " WHERE m.nsp = ? AND m.room = ? AND m.platform IN (1, 2) AND c.leave_message = 1"
                " AND m.client_id <> ? AND NOT EXISTS"
                " (SELECT 1 FROM acks a WHERE a.msg_id = ? AND a.client_id = m.client_id)"
                " ORDER BY m.client_id"));
            q.addBindValue(nsp);
            q.addBindValue(m->room);
            q.addBindValue(m->exceptClient);
            q.addBindValue(id);
            if (auto e = db.exec(q))
                return *e;
            QList<ClientInfo> out;
            while (q.next())
                out.append(readClient(q));
            return out;
        },
        std::move(done));
}

void SqliteStore::roomSync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch, int limit,
                           Callback<SyncResult> done)
{
    submit<SyncResult>(
        [nsp, room, clientNum, fetch, limit](SqliteDb &db) -> Result<SyncResult> {
            SyncResult r;
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT server_num FROM room_counters WHERE nsp = ? AND room = ?"));
            q.addBindValue(nsp);
            q.addBindValue(room);
            if (auto e = db.exec(q))
                return *e;
            if (q.next())
                r.serverNum = q.value(0).toLongLong();
            if (!fetch || clientNum >= r.serverNum || limit <= 0)
                return r;
            QSqlQuery &m = db.prepare(QStringLiteral("SELECT " MESSAGE_COLS " FROM messages WHERE nsp = ? AND room = ?"
                                                     " AND server_num >= ? AND expire_at > ? ORDER BY server_num LIMIT ?"));
            m.addBindValue(nsp);
            m.addBindValue(room);
            m.addBindValue(std::max<qint64>(clientNum, 0));
            m.addBindValue(db.now());
            m.addBindValue(limit);
            if (auto e = db.exec(m))
                return *e;
            while (m.next())
                r.messages.append(readMessage(m));
            return r;
        },
        std::move(done));
}

void SqliteStore::messageStats(const QString &nsp, qint64 now, Callback<MessageStats> done)
{
    submit<MessageStats>(
        [nsp, now](SqliteDb &db) -> Result<MessageStats> {
            const StatBuckets b = statBuckets(now);
            MessageStats s;
            const std::pair<QString, qint64 *> wanted[] = {
                {QStringLiteral("m%1").arg(b.minute), &s.minute},
                {QStringLiteral("h%1").arg(b.hour), &s.hour},
                {QStringLiteral("d%1").arg(b.day), &s.day},
            };
            for (const auto &[bucket, out] : wanted) {
                QSqlQuery &q = db.prepare(QStringLiteral("SELECT count FROM stats WHERE nsp = ? AND bucket = ?"));
                q.addBindValue(nsp);
                q.addBindValue(bucket);
                if (auto e = db.exec(q))
                    return *e;
                *out = q.next() ? q.value(0).toLongLong() : 0;
            }
            return s;
        },
        std::move(done));
}

// ---------------------------------------------------------------- offline

void SqliteStore::addOfflineEntries(const QString &nsp, qint64 id, const QStringList &clientIds, int limit,
                                    Callback<Done> done)
{
    submit<Done>(
        [nsp, id, clientIds, limit](SqliteDb &db) -> Result<Done> {
            auto m = liveMessage(db, nsp, id);
            if (!m)
                return m.error();
            if (auto e = addOffline(db, nsp, id, m->expireAt, clientIds, limit))
                return *e;
            return Done{};
        },
        std::move(done));
}

void SqliteStore::offlineMessages(const QString &clientId, Callback<QList<PushMessage>> done)
{
    submit<QList<PushMessage>>(
        [clientId](SqliteDb &db) -> Result<QList<PushMessage>> {
            QSqlQuery &q = db.prepare(QStringLiteral(
                "SELECT m.id, m.nsp, m.room, m.push_data, m.send_date, m.server_num, m.leave_message, m.apns_name,"
                " m.extra, m.except_client, m.expire_at FROM offline o JOIN messages m ON m.id = o.msg_id"
                " WHERE o.client_id = ? AND m.expire_at > ? ORDER BY m.id"));
            q.addBindValue(clientId);
            q.addBindValue(db.now());
            if (auto e = db.exec(q))
                return *e;
            QList<PushMessage> out;
            while (q.next())
                out.append(readMessage(q));
            return out;
        },
        std::move(done));
}

// ------------------------------------------------------------------- jobs

void SqliteStore::enqueueJob(const JobSpec &job, Callback<qint64> done)
{
    submit<qint64>(
        [job](SqliteDb &db) -> Result<qint64> {
            if (job.nsp.isEmpty() || job.kind.isEmpty())
                return invalid(QStringLiteral("a job needs a namespace and a kind"));
            auto id = nextSequence(db, QStringLiteral("job"));
            if (!id)
                return id.error();
            QSqlQuery &q = db.prepare(QStringLiteral("INSERT INTO jobs(id, nsp, kind, payload, due_at) VALUES(?,?,?,?,?)"));
            q.addBindValue(id.value());
            q.addBindValue(job.nsp);
            q.addBindValue(job.kind);
            q.addBindValue(job.payload);
            q.addBindValue(job.dueAt);
            if (auto e = db.exec(q))
                return *e;
            return id;
        },
        std::move(done));
}

void SqliteStore::claimJobs(qint64 now, int max, qint64 leaseMs, Callback<QList<Job>> done)
{
    submit<QList<Job>>(
        [now, max, leaseMs](SqliteDb &db) -> Result<QList<Job>> {
            QSqlQuery &q = db.prepare(QStringLiteral("SELECT id, nsp, kind, payload, due_at, attempts FROM jobs"
                                                     " WHERE due_at <= ? ORDER BY due_at, id LIMIT ?"));
            q.addBindValue(now);
            q.addBindValue(std::max(max, 0));
            if (auto e = db.exec(q))
                return *e;
            QList<Job> jobs;
            while (q.next()) {
                Job j;
                j.id = q.value(0).toLongLong();
                j.nsp = q.value(1).toString();
                j.kind = q.value(2).toString();
                j.payload = q.value(3).toByteArray();
                j.dueAt = q.value(4).toLongLong();
                j.attempts = q.value(5).toInt() + 1;
                jobs.append(j);
            }
            for (const Job &j : std::as_const(jobs)) {
                QSqlQuery &u = db.prepare(QStringLiteral("UPDATE jobs SET due_at = ?, attempts = attempts + 1 WHERE id = ?"));
                u.addBindValue(now + leaseMs);
                u.addBindValue(j.id);
                if (auto e = db.exec(u))
                    return *e;
            }
            return jobs;
        },
        std::move(done));
}

void SqliteStore::completeJob(const QString &nsp, qint64 id, Callback<bool> done)
{
    submit<bool>(
        [nsp, id](SqliteDb &db) -> Result<bool> {
            QSqlQuery &q = db.prepare(QStringLiteral("DELETE FROM jobs WHERE id = ? AND nsp = ?"));
            q.addBindValue(id);
            q.addBindValue(nsp);
            if (auto e = db.exec(q))
                return *e;
            return q.numRowsAffected() > 0;
        },
        std::move(done));
}

} // namespace qpush::store
