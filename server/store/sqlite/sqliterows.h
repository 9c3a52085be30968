#pragma once
// Internal to the SQLite backend: column lists, row readers and the small
// statements that several requests share. Runs on the worker thread.

#include "../codec.h"
#include "../logging.h"
#include "sqliteworker.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QVariant>

#include <algorithm>

namespace qpush::store::sqlite {

#define CLIENT_COLS                                                                                \
    "id, nsp, userid, platform, uuid, first_connect, last_connect, last_disconnect, update_date, " \
    "mobile, system,"                                                                              \
    " device_token, no_send_apns, leave_message"
#define MESSAGE_COLS                                                                               \
    "id, nsp, room, push_data, send_date, server_num, leave_message, apns_name, extra, "           \
    "except_client, expire_at"
#define REPORT_COLS                                                                                \
    MESSAGE_COLS ", online_count, ack_count, ack_ios, ack_android, ack_web, apns_count, "          \
                 "apns_success, apns_env, result"

inline Error invalid(const QString &what)
{
    return Error{ErrorCode::Invalid, what};
}

inline Error notFound(const QString &what)
{
    return Error{ErrorCode::NotFound, what};
}

inline ClientInfo readClient(const SqliteQuery &q)
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

inline PushMessage readMessage(const SqliteQuery &q)
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

inline PushReport readReport(const SqliteQuery &q)
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

inline std::optional<ClientIdParts> parts(const QString &clientId)
{
    return parseClientId(clientId);
}

inline Result<qint64> nextSequence(SqliteDb &db, const QString &name)
{
    SqliteQuery &u = db.prepare(
        QStringLiteral("UPDATE sequences SET value = value + 1 WHERE name = ? RETURNING value"));
    u.addBindValue(name);
    if (auto e = db.exec(u))
        return *e;
    if (!u.next())
        return Error{ErrorCode::Corrupt, QStringLiteral("sequence %1 is missing").arg(name)};
    const qint64 v = u.value(0).toLongLong();
    u.finish();
    if (v <= 0 || v > kMaxMessageId)
        return Error{ErrorCode::Corrupt,
                     QStringLiteral("sequence %1 is out of range: %2").arg(name).arg(v)};
    return v;
}

inline Result<ClientInfo> loadClient(SqliteDb &db, const QString &clientId)
{
    SqliteQuery &q = db.prepare(QStringLiteral("SELECT " CLIENT_COLS " FROM clients WHERE id = ?"));
    q.addBindValue(clientId);
    if (auto e = db.exec(q))
        return *e;
    if (!q.next())
        return notFound(QStringLiteral("no client ") + clientId);
    return readClient(q);
}

inline std::optional<Error> storeClient(SqliteDb &db, const ClientInfo &c)
{
    const qint64 seen =
        std::max({c.lastConnectTime, c.lastDisconnectTime, c.updateDate, c.firstConnectTime});
    SqliteQuery &q = db.prepare(QStringLiteral(
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
inline Result<PushMessage> liveMessage(SqliteDb &db, const QString &nsp, qint64 id)
{
    SqliteQuery &q = db.prepare(QStringLiteral(
        "SELECT " MESSAGE_COLS " FROM messages WHERE id = ? AND nsp = ? AND expire_at > ?"));
    q.addBindValue(id);
    q.addBindValue(nsp);
    q.addBindValue(db.now());
    if (auto e = db.exec(q))
        return *e;
    if (!q.next())
        return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
    return readMessage(q);
}

inline std::optional<Error> addOffline(SqliteDb &db, const QString &nsp, qint64 id, qint64 expireAt,
                                       const QStringList &clientIds, int limit)
{
    if (clientIds.isEmpty())
        return std::nullopt;
    // Set-based: the client ids travel as one JSON array (json_each), so a
    // push with 100 offline entries costs two statements, not two hundred.
    const QByteArray ids =
        QJsonDocument(QJsonArray::fromStringList(clientIds)).toJson(QJsonDocument::Compact);
    SqliteQuery &ins =
        db.prepare(QStringLiteral("INSERT OR IGNORE INTO offline(client_id, msg_id, nsp, expire_at)"
                                  " SELECT value, ?, ?, ? FROM json_each(?)"));
    ins.addBindValue(id);
    ins.addBindValue(nsp);
    ins.addBindValue(expireAt);
    ins.addBindValue(QString::fromUtf8(ids));
    if (auto e = db.exec(ins))
        return e;
    // Keep each list's newest `limit`: drop the (limit+1)-th newest and
    // everything older. One statement per client: its scalar subquery walks
    // at most limit+1 primary-key entries (a single set-based DELETE with a
    // per-client cut measured several times slower).
    for (const QString &cid : clientIds) {
        SqliteQuery &trim =
            db.prepare(QStringLiteral("DELETE FROM offline WHERE client_id = ? AND msg_id <="
                                      " (SELECT msg_id FROM offline WHERE client_id = ? ORDER BY "
                                      "msg_id DESC LIMIT 1 OFFSET ?)"));
        trim.addBindValue(cid);
        trim.addBindValue(cid);
        trim.addBindValue(std::max(limit, 0));
        if (auto e = db.exec(trim))
            return e;
    }
    return std::nullopt;
}

inline Result<QStringList> stringColumn(SqliteDb &db, SqliteQuery &q)
{
    if (auto e = db.exec(q))
        return *e;
    QStringList out;
    while (q.next())
        out.append(q.value(0).toString());
    return out;
}

} // namespace qpush::store::sqlite
