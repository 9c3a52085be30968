// SqliteStore: pushes, reports, receipts, sync, statistics, offline lists
// and delayed work (the namespace / client / room half is sqlitestore.cpp).
#include "sqlitestore.h"

#include "sqliterows.h"

#include <QDateTime>
#include <QSet>

namespace qpush::store {

using namespace sqlite;
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
            SqliteQuery &counter = db.prepare(
                QStringLiteral("INSERT INTO room_counters(nsp, room, server_num) VALUES(?, ?, 1)"
                               " ON CONFLICT(nsp, room) DO UPDATE SET server_num = server_num + 1"
                               " RETURNING server_num"));
            counter.addBindValue(push.nsp);
            counter.addBindValue(push.room);
            if (auto e = db.exec(counter))
                return *e;
            if (!counter.next())
                return Error{ErrorCode::Internal, QStringLiteral("room counter vanished")};
            const qint64 serverNum = counter.value(0).toLongLong() - 1;
            counter.finish();
            const qint64 expireAt = db.now() + push.ttlMs;

            SqliteQuery &ins = db.prepare(QStringLiteral(
                "INSERT INTO messages(id, nsp, room, push_data, send_date, server_num, "
                "leave_message, apns_name,"
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

            // The minute / hour / day counters, in one statement.
            const StatBuckets b = statBuckets(push.sendDate);
            SqliteQuery &stats = db.prepare(
                QStringLiteral("INSERT INTO stats(nsp, bucket, count, expire_at) "
                               "VALUES(?,?,1,?),(?,?,1,?),(?,?,1,?)"
                               " ON CONFLICT(nsp, bucket) DO UPDATE SET count = count + 1"));
            const std::pair<QString, qint64> buckets[] = {
                {QStringLiteral("m%1").arg(b.minute), (b.minute + 2) * 60000},
                {QStringLiteral("h%1").arg(b.hour), (b.hour + 2) * 3600000},
                {QStringLiteral("d%1").arg(b.day), (b.day + 2) * 86400000},
            };
            for (const auto &[bucket, until] : buckets) {
                stats.addBindValue(push.nsp);
                stats.addBindValue(bucket);
                stats.addBindValue(until);
            }
            if (auto e = db.exec(stats))
                return *e;
            if (!push.offlineClientIds.isEmpty()) {
                if (auto e = addOffline(db, push.nsp, id.value(), expireAt, push.offlineClientIds,
                                        push.offlineLimit))
                    return *e;
            }
            if (push.followUp) {
                auto jobId = nextSequence(db, QStringLiteral("job"));
                if (!jobId)
                    return jobId.error();
                SqliteQuery &job = db.prepare(QStringLiteral(
                    "INSERT INTO jobs(id, nsp, kind, payload, due_at) VALUES(?,?,?,?,?)"));
                job.addBindValue(jobId.value());
                job.addBindValue(push.nsp); // a follow-up belongs to the push's namespace
                job.addBindValue(push.followUp->kind);
                // An empty payload means "the message id": the job cannot know it earlier.
                job.addBindValue(push.followUp->payload.isEmpty() ? QByteArray::number(id.value())
                                                                  : push.followUp->payload);
                job.addBindValue(push.followUp->dueAt);
                if (auto e = db.exec(job))
                    return *e;
            }
            return PushSaved{id.value(), serverNum};
        },
        std::move(done));
}

void SqliteStore::getReport(const QString &nsp, qint64 id, bool withDetail,
                            Callback<PushReport> done)
{
    submit<PushReport>(
        [nsp, id, withDetail](SqliteDb &db) -> Result<PushReport> {
            SqliteQuery &q = db.prepare(QStringLiteral(
                "SELECT " REPORT_COLS " FROM messages WHERE id = ? AND nsp = ? AND expire_at > ?"));
            q.addBindValue(id);
            q.addBindValue(nsp);
            q.addBindValue(db.now());
            if (auto e = db.exec(q))
                return *e;
            if (!q.next())
                return notFound(QStringLiteral("no report %1 in %2").arg(id).arg(nsp));
            PushReport r = readReport(q);
            if (withDetail) {
                SqliteQuery &d = db.prepare(QStringLiteral(
                    "SELECT client_id, platform FROM acks WHERE msg_id = ? ORDER BY client_id"));
                d.addBindValue(id);
                if (auto e = db.exec(d))
                    return *e;
                while (d.next()) {
                    const QString cid = d.value(0).toString();
                    switch (Platform(d.value(1).toInt())) {
                    case Platform::Ios:
                        r.ackIOSDetail.append(cid);
                        break;
                    case Platform::Android:
                        r.ackAndroidDetail.append(cid);
                        break;
                    case Platform::Web:
                        r.ackWebDetail.append(cid);
                        break;
                    }
                }
            }
            return r;
        },
        std::move(done));
}

void SqliteStore::listReports(const QString &nsp, int page, int size,
                              Callback<QList<PushReport>> done)
{
    submit<QList<PushReport>>(
        [nsp, page, size](SqliteDb &db) -> Result<QList<PushReport>> {
            if (page < 1 || size < 1)
                return invalid(QStringLiteral("page and size start at 1"));
            SqliteQuery &q = db.prepare(QStringLiteral(
                "SELECT " REPORT_COLS " FROM messages WHERE nsp = ? AND expire_at > ?"
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

void SqliteStore::recordAcks(const QString &nsp, qint64 id, const QStringList &clientIds,
                             Callback<QList<AckOutcome>> done)
{
    submit<QList<AckOutcome>>(
        [nsp, id, clientIds](SqliteDb &db) -> Result<QList<AckOutcome>> {
            // Per distinct client, cached prepared statements on primary keys:
            // the offline delete and the receipt (written only for a target),
            // then one counter update for the batch. Measured cheaper than
            // building a JSON array for json_each, for one ack and for
            // thousands (docs/benchmarks-notes.md).
            QHash<QString, Platform> platformOf;
            platformOf.reserve(clientIds.size());
            for (const QString &cid : clientIds) {
                auto p = parts(cid);
                if (!p)
                    return invalid(QStringLiteral("not a client id: ") + cid);
                platformOf.insert(cid, p->platform);
            }
            SqliteQuery &msg =
                db.prepare(QStringLiteral("SELECT room, except_client FROM messages WHERE id = ? "
                                          "AND nsp = ? AND expire_at > ?"));
            msg.addBindValue(id);
            msg.addBindValue(nsp);
            msg.addBindValue(db.now());
            if (auto e = db.exec(msg))
                return *e;
            if (!msg.next())
                return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
            const QString room = msg.value(0).toString();
            const QString exceptClient = msg.value(1).toString();
            msg.finish();

            QList<AckOutcome> out(clientIds.size(), AckOutcome{false, false});
            QHash<QString, bool> seen; // client -> is a target
            seen.reserve(platformOf.size());
            qint64 perPlatform[3] = {0, 0, 0}; // ios, android, web
            for (qsizetype i = 0; i < clientIds.size(); ++i) {
                const QString &cid = clientIds.at(i);
                if (auto it = seen.constFind(cid); it != seen.cend()) {
                    out[i].target = *it; // a repeated entry is never counted again
                    continue;
                }
                // The offline list loses the message in every case.
                SqliteQuery &del = db.prepare(
                    QStringLiteral("DELETE FROM offline WHERE client_id = ? AND msg_id = ?"));
                del.addBindValue(cid);
                del.addBindValue(id);
                if (auto e = db.exec(del))
                    return *e;
                // Only the push's targets count: members of its room, except
                // `except`; and each of them once.
                bool target = false;
                if (cid != exceptClient) {
                    const Platform platform = platformOf.value(cid);
                    SqliteQuery &ins = db.prepare(QStringLiteral(
                        "INSERT OR IGNORE INTO acks(msg_id, client_id, platform) SELECT ?, ?, ?"
                        " WHERE EXISTS(SELECT 1 FROM members WHERE nsp = ? AND room = ?"
                        " AND client_id = ?)"));
                    ins.addBindValue(id);
                    ins.addBindValue(cid);
                    ins.addBindValue(int(platform));
                    ins.addBindValue(nsp);
                    ins.addBindValue(room);
                    ins.addBindValue(cid);
                    if (auto e = db.exec(ins))
                        return *e;
                    if (ins.numRowsAffected() == 1) {
                        target = true;
                        out[i].counted = true;
                        ++perPlatform[platform == Platform::Ios       ? 0
                                      : platform == Platform::Android ? 1
                                                                      : 2];
                    } else { // already acked, or not a member
                        SqliteQuery &member = db.prepare(
                            QStringLiteral("SELECT EXISTS(SELECT 1 FROM members WHERE nsp = ? AND"
                                           " room = ? AND client_id = ?)"));
                        member.addBindValue(nsp);
                        member.addBindValue(room);
                        member.addBindValue(cid);
                        if (auto e = db.exec(member))
                            return *e;
                        target = member.next() && member.value(0).toInt() != 0;
                        member.finish();
                    }
                }
                out[i].target = target;
                seen.insert(cid, target);
            }
            const qint64 fresh = perPlatform[0] + perPlatform[1] + perPlatform[2];
            if (fresh > 0) {
                SqliteQuery &u = db.prepare(QStringLiteral(
                    "UPDATE messages SET ack_count = ack_count + ?, ack_ios = ack_ios + ?,"
                    " ack_android = ack_android + ?, ack_web = ack_web + ? WHERE id = ?"));
                u.addBindValue(fresh);
                u.addBindValue(perPlatform[0]);
                u.addBindValue(perPlatform[1]);
                u.addBindValue(perPlatform[2]);
                u.addBindValue(id);
                if (auto e = db.exec(u))
                    return *e;
            }
            return out;
        },
        std::move(done));
}

void SqliteStore::recordApnsOutcomes(const QString &nsp, qint64 id,
                                     const QList<ApnsOutcome> &outcomes, Callback<Done> done)
{
    submit<Done>(
        [nsp, id, outcomes](SqliteDb &db) -> Result<Done> {
            SqliteQuery &exists = db.prepare(QStringLiteral(
                "SELECT 1 FROM messages WHERE id = ? AND nsp = ? AND expire_at > ?"));
            exists.addBindValue(id);
            exists.addBindValue(nsp);
            exists.addBindValue(db.now());
            if (auto e = db.exec(exists))
                return *e;
            const bool found = exists.next();
            exists.finish();
            if (!found)
                return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
            qint64 tried = 0, succeeded = 0;
            for (const ApnsOutcome &o : outcomes) {
                SqliteQuery &ins = db.prepare(QStringLiteral(
                    "INSERT OR IGNORE INTO apns_outcomes(msg_id, client_id, succeeded, cleared,"
                    " reason) VALUES(?, ?, ?, ?, ?)"));
                ins.addBindValue(id);
                ins.addBindValue(o.clientId);
                ins.addBindValue(o.succeeded ? 1 : 0);
                ins.addBindValue(o.tokenCleared ? 1 : 0);
                ins.addBindValue(o.reason);
                if (auto e = db.exec(ins))
                    return *e;
                if (ins.numRowsAffected() == 1) {
                    ++tried;
                    succeeded += o.succeeded ? 1 : 0;
                }
            }
            if (tried == 0)
                return Done{};
            SqliteQuery &q = db.prepare(
                QStringLiteral("UPDATE messages SET apns_count = apns_count + ?,"
                               " apns_success = apns_success + ? WHERE id = ? AND nsp = ?"));
            q.addBindValue(tried);
            q.addBindValue(succeeded);
            q.addBindValue(id);
            q.addBindValue(nsp);
            if (auto e = db.exec(q))
                return *e;
            return Done{};
        },
        std::move(done));
}

void SqliteStore::apnsOutcomes(const QString &nsp, qint64 id, Callback<QList<ApnsOutcome>> done)
{
    submit<QList<ApnsOutcome>>(
        [nsp, id](SqliteDb &db) -> Result<QList<ApnsOutcome>> {
            SqliteQuery &q = db.prepare(QStringLiteral(
                "SELECT o.client_id, o.succeeded, o.cleared, o.reason FROM apns_outcomes o"
                " JOIN messages m ON m.id = o.msg_id WHERE o.msg_id = ? AND m.nsp = ?"
                " AND m.expire_at > ? ORDER BY o.client_id"));
            q.addBindValue(id);
            q.addBindValue(nsp);
            q.addBindValue(db.now());
            if (auto e = db.exec(q))
                return *e;
            QList<ApnsOutcome> out;
            while (q.next())
                out.append(ApnsOutcome{q.value(0).toString(), q.value(1).toInt() != 0,
                                       q.value(2).toInt() != 0, q.value(3).toString()});
            q.finish();
            return out;
        },
        std::move(done));
}

void SqliteStore::recordApnsResult(const QString &nsp, qint64 id, const ApnsResult &r,
                                   Callback<Done> done)
{
    submit<Done>(
        [nsp, id, r](SqliteDb &db) -> Result<Done> {
            SqliteQuery &q = db.prepare(QStringLiteral(
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
            SqliteQuery &q = db.prepare(QStringLiteral(
                "SELECT c.id, c.nsp, c.userid, c.platform, c.uuid, c.first_connect, c.last_connect,"
                " c.last_disconnect, c.update_date, c.mobile, c.system, c.device_token, "
                "c.no_send_apns,"
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

void SqliteStore::roomSync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch,
                           int limit, qint64 maxBytes, Callback<SyncResult> done)
{
    submit<SyncResult>(
        [nsp, room, clientNum, fetch, limit, maxBytes](SqliteDb &db) -> Result<SyncResult> {
            SyncResult r;
            SqliteQuery &q = db.prepare(
                QStringLiteral("SELECT server_num FROM room_counters WHERE nsp = ? AND room = ?"));
            q.addBindValue(nsp);
            q.addBindValue(room);
            if (auto e = db.exec(q))
                return *e;
            if (q.next())
                r.serverNum = q.value(0).toLongLong();
            if (!fetch || clientNum >= r.serverNum || limit <= 0)
                return r;
            SqliteQuery &m = db.prepare(QStringLiteral(
                "SELECT " MESSAGE_COLS " FROM messages WHERE nsp = ? AND room = ?"
                " AND server_num >= ? AND expire_at > ? ORDER BY server_num LIMIT ?"));
            m.addBindValue(nsp);
            m.addBindValue(room);
            m.addBindValue(std::max<qint64>(clientNum, 0));
            m.addBindValue(db.now());
            m.addBindValue(limit);
            if (auto e = db.exec(m))
                return *e;
            qint64 bytes = 0;
            while (m.next()) {
                PushMessage message = readMessage(m);
                bytes += message.pushData.size();
                if (!r.messages.isEmpty() && bytes > maxBytes)
                    break;
                r.messages.append(std::move(message));
            }
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
                SqliteQuery &q = db.prepare(
                    QStringLiteral("SELECT count FROM stats WHERE nsp = ? AND bucket = ?"));
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

void SqliteStore::addOfflineEntries(const QString &nsp, qint64 id, const QStringList &clientIds,
                                    int limit, Callback<Done> done)
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

void SqliteStore::offlineMessages(const QString &clientId, qint64 maxBytes,
                                  Callback<QList<PushMessage>> done)
{
    submit<QList<PushMessage>>(
        [clientId, maxBytes](SqliteDb &db) -> Result<QList<PushMessage>> {
            SqliteQuery &q = db.prepare(
                QStringLiteral("SELECT m.id, m.nsp, m.room, m.push_data, m.send_date, "
                               "m.server_num, m.leave_message, m.apns_name,"
                               " m.extra, m.except_client, m.expire_at FROM offline o JOIN "
                               "messages m ON m.id = o.msg_id"
                               " WHERE o.client_id = ? AND m.expire_at > ? ORDER BY m.id"));
            q.addBindValue(clientId);
            q.addBindValue(db.now());
            if (auto e = db.exec(q))
                return *e;
            QList<PushMessage> out;
            qint64 bytes = 0;
            while (q.next()) {
                PushMessage message = readMessage(q);
                bytes += message.pushData.size();
                if (!out.isEmpty() && bytes > maxBytes)
                    break;
                out.append(std::move(message));
            }
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
            SqliteQuery &q = db.prepare(QStringLiteral(
                "INSERT INTO jobs(id, nsp, kind, payload, due_at) VALUES(?,?,?,?,?)"));
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
            SqliteQuery &q = db.prepare(
                QStringLiteral("SELECT id, nsp, kind, payload, due_at, attempts FROM jobs"
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
                SqliteQuery &u = db.prepare(QStringLiteral(
                    "UPDATE jobs SET due_at = ?, attempts = attempts + 1 WHERE id = ?"));
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
            SqliteQuery &q =
                db.prepare(QStringLiteral("DELETE FROM jobs WHERE id = ? AND nsp = ?"));
            q.addBindValue(id);
            q.addBindValue(nsp);
            if (auto e = db.exec(q))
                return *e;
            return q.numRowsAffected() > 0;
        },
        std::move(done));
}

void SqliteStore::renewJobs(const QList<Job> &jobs, qint64 leaseMs, Callback<Done> done)
{
    submit<Done>(
        [jobs, leaseMs](SqliteDb &db) -> Result<Done> {
            const qint64 until = QDateTime::currentMSecsSinceEpoch() + leaseMs;
            for (const Job &j : jobs) {
                SqliteQuery &u = db.prepare(
                    QStringLiteral("UPDATE jobs SET due_at = ? WHERE id = ? AND nsp = ?"));
                u.addBindValue(until);
                u.addBindValue(j.id);
                u.addBindValue(j.nsp);
                if (auto e = db.exec(u))
                    return *e;
            }
            return Done{};
        },
        std::move(done));
}

} // namespace qpush::store
