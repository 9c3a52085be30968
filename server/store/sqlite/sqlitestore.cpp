#include "sqlitestore.h"

#include "sqliterows.h"

namespace qpush::store {

using namespace sqlite;

SqliteStore::SqliteStore(SqliteOptions options, QObject *parent)
    : Store(parent), m_options(std::move(options))
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
    QMetaObject::invokeMethod(
        worker, [worker]() { worker->closeDatabase(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

void SqliteStore::open(Callback<Done> done)
{
    SqliteWorker *worker = m_worker;
    auto request = std::make_shared<SqliteRequestT<Done>>(
        [worker](SqliteDb &) { return worker->openDatabase(); }, std::move(done));
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
            SqliteQuery &q = db.prepare(
                QStringLiteral("INSERT OR REPLACE INTO namespaces(key, doc) VALUES(?, ?)"));
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
            SqliteQuery &q = db.prepare(QStringLiteral("SELECT doc FROM namespaces WHERE key = ?"));
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
            SqliteQuery &q = db.prepare(QStringLiteral("SELECT doc FROM namespaces ORDER BY key"));
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
                QStringLiteral(
                    "DELETE FROM acks WHERE msg_id IN (SELECT id FROM messages WHERE nsp = ?)"),
                QStringLiteral("DELETE FROM apns_outcomes WHERE msg_id IN"
                               " (SELECT id FROM messages WHERE nsp = ?)"),
                QStringLiteral("DELETE FROM messages WHERE nsp = ?"),
                QStringLiteral("DELETE FROM clients WHERE nsp = ?"),
                QStringLiteral("DELETE FROM members WHERE nsp = ?"),
                QStringLiteral("DELETE FROM room_counters WHERE nsp = ?"),
                // Client ids start with "<nsp>#": a primary-key range, no index needed.
                QStringLiteral(
                    "DELETE FROM offline WHERE client_id >= ? || '#' AND client_id < ? || '$'"),
                QStringLiteral("DELETE FROM stats WHERE nsp = ?"),
                QStringLiteral("DELETE FROM jobs WHERE nsp = ?"),
            };
            if (alsoNamespace)
                statements.append(QStringLiteral("DELETE FROM namespaces WHERE key = ?"));
            for (const QString &sql : std::as_const(statements)) {
                SqliteQuery &q = db.prepare(sql);
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
    submit<ClientInfo>([clientId](SqliteDb &db) { return loadClient(db, clientId); },
                       std::move(done));
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

void SqliteStore::updateClient(const QString &clientId, const ClientPatch &patch,
                               Callback<ClientInfo> done)
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
            applyClientPatch(c, patch);
            if (auto e = storeClient(db, c))
                return *e;
            return c;
        },
        std::move(done));
}

void SqliteStore::editClientApns(const QString &clientId, const QStringList &add,
                                 const QStringList &remove, Callback<QStringList> done)
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

void SqliteStore::removeLegacyClients(const QString &nsp, qint64 notSeenSince,
                                      Callback<QStringList> done)
{
    submit<QStringList>(
        [nsp, notSeenSince](SqliteDb &db) -> Result<QStringList> {
            SqliteQuery &q = db.prepare(QStringLiteral(
                "SELECT id FROM clients WHERE nsp = ? AND last_seen < ? ORDER BY id"));
            q.addBindValue(nsp);
            q.addBindValue(notSeenSince);
            auto ids = stringColumn(db, q);
            if (!ids)
                return ids.error();
            for (const QString &id : ids.value()) {
                for (const auto &sql : {QStringLiteral("DELETE FROM members WHERE client_id = ?"),
                                        QStringLiteral("DELETE FROM offline WHERE client_id = ?"),
                                        QStringLiteral("DELETE FROM clients WHERE id = ?")}) {
                    SqliteQuery &d = db.prepare(sql);
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
            SqliteQuery &q =
                db.prepare(QStringLiteral("SELECT count(*) FROM clients WHERE nsp = ?"));
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
                SqliteQuery &q =
                    db.prepare(QStringLiteral("INSERT OR IGNORE INTO members(nsp, room, "
                                              "client_id, platform) VALUES(?,?,?,?)"));
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
                SqliteQuery &q = db.prepare(QStringLiteral(
                    "DELETE FROM members WHERE nsp = ? AND room = ? AND client_id = ?"));
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
            SqliteQuery &q = db.prepare(
                QStringLiteral("SELECT room FROM members WHERE client_id = ? ORDER BY room"));
            q.addBindValue(clientId);
            return stringColumn(db, q);
        },
        std::move(done));
}

void SqliteStore::roomMembers(const QString &nsp, const QString &room,
                              std::optional<Platform> platform, Callback<QStringList> done)
{
    submit<QStringList>(
        [nsp, room, platform](SqliteDb &db) {
            SqliteQuery &q =
                db.prepare(QStringLiteral("SELECT client_id FROM members WHERE nsp = ? AND room = ?"
                                          " AND (? < 0 OR platform = ?) ORDER BY client_id"));
            q.addBindValue(nsp);
            q.addBindValue(room);
            q.addBindValue(platform ? int(*platform) : -1);
            q.addBindValue(platform ? int(*platform) : -1);
            return stringColumn(db, q);
        },
        std::move(done));
}

void SqliteStore::roomCounts(const QString &nsp, const QStringList &rooms,
                             Callback<QList<RoomCounts>> done)
{
    submit<QList<RoomCounts>>(
        [nsp, rooms](SqliteDb &db) -> Result<QList<RoomCounts>> {
            QList<RoomCounts> out;
            for (const QString &room : rooms) {
                SqliteQuery &q =
                    db.prepare(QStringLiteral("SELECT platform, count(*) FROM members WHERE nsp = "
                                              "? AND room = ? GROUP BY platform"));
                q.addBindValue(nsp);
                q.addBindValue(room);
                if (auto e = db.exec(q))
                    return *e;
                RoomCounts c;
                while (q.next()) {
                    const qint64 n = q.value(1).toLongLong();
                    switch (Platform(q.value(0).toInt())) {
                    case Platform::Ios:
                        c.ios += n;
                        break;
                    case Platform::Android:
                        c.android += n;
                        break;
                    case Platform::Web:
                        c.web += n;
                        break;
                    }
                    c.total += n;
                }
                out.append(c);
            }
            return out;
        },
        std::move(done));
}

void SqliteStore::transfer(const QString &nsp, const QStringList &sourceRooms,
                           const QString &targetRoom, TransferKind kind, Callback<QStringList> done)
{
    submit<QStringList>(
        [nsp, sourceRooms, targetRoom, kind](SqliteDb &db) -> Result<QStringList> {
            QMap<QString, int> members; // sorted, distinct
            for (const QString &room : sourceRooms) {
                SqliteQuery &q = db.prepare(QStringLiteral(
                    "SELECT client_id, platform FROM members WHERE nsp = ? AND room = ?"));
                q.addBindValue(nsp);
                q.addBindValue(room);
                if (auto e = db.exec(q))
                    return *e;
                while (q.next())
                    members.insert(q.value(0).toString(), q.value(1).toInt());
            }
            QStringList changed;
            for (auto it = members.cbegin(); it != members.cend(); ++it) {
                SqliteQuery &q = db.prepare(
                    kind == TransferKind::Join
                        ? QStringLiteral("INSERT OR IGNORE INTO members(nsp, room, client_id, "
                                         "platform) VALUES(?,?,?,?)")
                        : QStringLiteral(
                              "DELETE FROM members WHERE nsp = ? AND room = ? AND client_id = ?"));
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
            SqliteQuery &q = db.prepare(
                QStringLiteral("UPDATE clients SET leave_message = ? WHERE id IN"
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
            SqliteQuery &q = db.prepare(
                QStringLiteral("SELECT " CLIENT_COLS " FROM clients WHERE id IN"
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

} // namespace qpush::store
