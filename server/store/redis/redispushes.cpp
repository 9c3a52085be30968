// RedisStore: pushes, reports, receipts, sync, statistics, offline lists
// and delayed work (the namespace / client / room half is redisstore.cpp).
#include "redisstore.h"

#include "../logging.h"
#include "redisreplies.h"

#include <QDateTime>
#include <QTimer>

#include <algorithm>

namespace qpush::store {

using namespace redis;

// ----------------------------------------------------------------- pushes

namespace {
// See savePush: a follow-up is never due before its push batch is written.
constexpr qint64 kFollowUpGraceMs = 1000;

RedisClient::ReplyFn pushSavedReply(const Callback<PushSaved> &done, qint64 id)
{
    return handle(done, [id](const RedisValue &v) -> Result<PushSaved> {
        auto arr = redisArray(v);
        if (!arr)
            return arr.error();
        if (arr->size() != 2)
            return Error{ErrorCode::Corrupt, QStringLiteral("redis: bad push script reply")};
        return PushSaved{id, arr->at(0).toInteger()};
    });
}
} // namespace

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
    // 1. the global id (its own key, so its own slot) and the registry that
    //    lets the sweeper find this namespace; 2. once both replied, the
    //    follow-up job (if any) and the push script, which writes everything
    //    else in the namespace's slot.
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
                            key(push.nsp, "st:d" + QByteArray::number(b.day))};
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
                            QByteArray::number(push.offlineLimit)};
        args += utf8(push.offlineClientIds);
        if (push.followUp) {
            // The follow-up goes into the job queue first (its own slot): a
            // node that dies after the push batch cannot lose it. It becomes
            // due no sooner than kFollowUpGraceMs from now, so that no worker
            // runs it before the push batch below is written.
            JobSpec job = *push.followUp;
            job.nsp = push.nsp;
            if (job.payload.isEmpty())
                job.payload = idText; // "the message id"
            job.dueAt = std::max(job.dueAt, QDateTime::currentMSecsSinceEpoch() + kFollowUpGraceMs);
            enqueueJob(job, [this, keys, args, done, id](Result<qint64> queued) {
                if (!queued) {
                    done(queued.error());
                    return;
                }
                m_client->eval(m_scripts.push, keys, args, pushSavedReply(done, id));
            });
            return;
        }
        m_client->eval(m_scripts.push, keys, args, pushSavedReply(done, id));
    };
    auto oneReplied = [state, runScript](const RedisValue &v) {
        if (v.isError() && !state->error)
            state->error = v.toError();
        if (--state->remaining == 0)
            runScript();
    };
    state->remaining = 2;
    m_client->execute(globalKey("msgid"), {QByteArrayLiteral("INCR"), globalKey("msgid")},
                      [state, oneReplied](const RedisValue &v) {
                          if (!v.isError()) {
                              auto id = redisInteger(v);
                              if (!id)
                                  state->error = id.error();
                              else if (id.value() <= 0 || id.value() > kMaxMessageId)
                                  state->error = Error{ErrorCode::Corrupt,
                                                       QStringLiteral("message id out of range")};
                              else
                                  state->id = id.value();
                          }
                          oneReplied(v);
                      });
    m_client->execute(globalKey("nsps"), {QByteArrayLiteral("SADD"), globalKey("nsps"), nsp},
                      oneReplied);
}

void RedisStore::getReport(const QString &nsp, qint64 id, bool withDetail,
                           Callback<PushReport> done)
{
    const QByteArray idText = QByteArray::number(id);
    const QByteArray mk = key(nsp, "m:" + idText);
    auto notThere = [nsp, id]() {
        return notFound(QStringLiteral("no report %1 in %2").arg(id).arg(nsp));
    };
    if (!withDetail) {
        m_client->execute(
            mk, {QByteArrayLiteral("HGETALL"), mk},
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

void RedisStore::listReports(const QString &nsp, int page, int size,
                             Callback<QList<PushReport>> done)
{
    if (page < 1 || size < 1) {
        failLater(std::move(done), invalid(QStringLiteral("page and size start at 1")));
        return;
    }
    m_client->eval(
        m_scripts.listReports, {key(nsp, "msgs")},
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

void RedisStore::recordAcks(const QString &nsp, qint64 id, const QStringList &clientIds,
                            Callback<QList<AckOutcome>> done)
{
    // One script call for the whole batch; every key it touches (the message,
    // its receipts, the clients' offline lists, the room sets) carries the
    // namespace's hash tag.
    const QByteArray idText = QByteArray::number(id);
    QByteArrayList args{base(nsp), idText};
    args.reserve(2 + 3 * clientIds.size());
    for (const QString &clientId : clientIds) {
        auto p = parseClientId(clientId);
        if (!p) {
            failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
            return;
        }
        args.append(clientId.toUtf8());
        args.append(p->platform == Platform::Ios       ? QByteArrayLiteral("ai")
                    : p->platform == Platform::Android ? QByteArrayLiteral("aa")
                                                       : QByteArrayLiteral("aw"));
        args.append(platformName(p->platform).toUtf8());
    }
    const qsizetype expected = clientIds.size();
    m_client->eval(
        m_scripts.acks, {key(nsp, "m:" + idText), key(nsp, "a:" + idText)}, args,
        handle(std::move(done),
               [nsp, id, expected](const RedisValue &v) -> Result<QList<AckOutcome>> {
                   if (v.isInteger() && v.toInteger() < 0)
                       return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
                   // An empty Lua table comes back as an empty array.
                   auto arr = redisArray(v);
                   if (!arr)
                       return arr.error();
                   if (arr.value().size() != expected)
                       return Error{ErrorCode::Corrupt,
                                    QStringLiteral("redis: %1 ack outcomes for %2 clients")
                                        .arg(arr.value().size())
                                        .arg(expected)};
                   QList<AckOutcome> out;
                   out.reserve(expected);
                   for (const RedisValue &e : arr.value()) {
                       auto n = redisInteger(e);
                       if (!n)
                           return n.error();
                       out.append(AckOutcome{n.value() == 1, n.value() != 2});
                   }
                   return out;
               }));
}

void RedisStore::recordApnsOutcomes(const QString &nsp, qint64 id,
                                    const QList<ApnsOutcome> &outcomes, Callback<Done> done)
{
    const QByteArray idText = QByteArray::number(id);
    QByteArrayList args{base(nsp)};
    args.reserve(1 + 2 * outcomes.size());
    for (const ApnsOutcome &o : outcomes) {
        args.append(o.clientId.toUtf8());
        args.append(QByteArray(o.succeeded ? "1" : "0") + (o.tokenCleared ? "1" : "0") +
                    o.reason.toUtf8());
    }
    m_client->eval(m_scripts.apnsOutcomes, {key(nsp, "m:" + idText), key(nsp, "ao:" + idText)},
                   args, handle(std::move(done), [nsp, id](const RedisValue &v) -> Result<Done> {
                       auto n = redisInteger(v);
                       if (!n)
                           return n.error();
                       if (n.value() < 0)
                           return notFound(QStringLiteral("no message %1 in %2").arg(id).arg(nsp));
                       return Done{};
                   }));
}

void RedisStore::apnsOutcomes(const QString &nsp, qint64 id, Callback<QList<ApnsOutcome>> done)
{
    const QByteArray k = key(nsp, "ao:" + QByteArray::number(id));
    m_client->execute(
        k, {QByteArrayLiteral("HGETALL"), k},
        handle(std::move(done), [](const RedisValue &v) -> Result<QList<ApnsOutcome>> {
            auto h = toHash(v);
            if (!h)
                return h.error();
            QList<ApnsOutcome> out;
            for (auto it = h->cbegin(); it != h->cend(); ++it) {
                const QByteArray &enc = it.value();
                out.append(ApnsOutcome{QString::fromUtf8(it.key()), enc.startsWith('1'),
                                       enc.size() > 1 && enc.at(1) == '1',
                                       QString::fromUtf8(enc.mid(2))});
            }
            std::sort(out.begin(), out.end(), [](const ApnsOutcome &a, const ApnsOutcome &b) {
                return a.clientId < b.clientId;
            });
            return out;
        }));
}

void RedisStore::recordApnsResult(const QString &nsp, qint64 id, const ApnsResult &r,
                                  Callback<Done> done)
{
    m_client->eval(m_scripts.apnsResult, {key(nsp, "m:" + QByteArray::number(id))},
                   {QByteArray::number(r.tried), QByteArray::number(r.succeeded),
                    r.apnsEnv.toUtf8(), r.result.toUtf8()},
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
    m_client->eval(
        m_scripts.pending, {key(nsp, "m:" + idText), key(nsp, "a:" + idText)}, {base(nsp)},
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
            std::sort(out.begin(), out.end(), [](const ClientInfo &a, const ClientInfo &b) {
                return a.clientId < b.clientId;
            });
            return out;
        }));
}

void RedisStore::roomSync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch,
                          int limit, qint64 maxBytes, Callback<SyncResult> done)
{
    const QByteArray r = room.toUtf8();
    m_client->eval(
        m_scripts.sync, {key(nsp, "rn:" + r), key(nsp, "rm:" + r)},
        {base(nsp), QByteArray::number(clientNum),
         fetch ? QByteArrayLiteral("1") : QByteArrayLiteral("0"), QByteArray::number(limit),
         QByteArray::number(maxBytes)},
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
    m_client->execute(
        m,
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

void RedisStore::addOfflineEntries(const QString &nsp, qint64 id, const QStringList &clientIds,
                                   int limit, Callback<Done> done)
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

void RedisStore::offlineMessages(const QString &clientId, qint64 maxBytes,
                                 Callback<QList<PushMessage>> done)
{
    auto p = parseClientId(clientId);
    if (!p) {
        failLater(std::move(done), invalid(QStringLiteral("not a client id: ") + clientId));
        return;
    }
    m_client->eval(
        m_scripts.offline, {key(p->nsp, "o:" + clientId.toUtf8())},
        {base(p->nsp), QByteArray::number(maxBytes)},
        handle(std::move(done), [](const RedisValue &v) { return messagesFromArray(v); }));
}

// ------------------------------------------------------------------ sweep

void RedisStore::sweep()
{
    // Message hashes expire by themselves (PEXPIRE); what is left are their
    // ids in the per-namespace index sets.
    if (!m_client->isAvailable())
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_client->execute(globalKey("nsps"), {QByteArrayLiteral("SMEMBERS"), globalKey("nsps")},
                      [this, now](const RedisValue &v) {
                          auto l = stringList(v);
                          if (!l)
                              return;
                          for (const QString &nsp : l.value())
                              m_client->eval(m_scripts.sweep, {key(nsp, "mexp"), key(nsp, "msgs")},
                                             {QByteArray::number(now)}, {});
                      });
}

} // namespace qpush::store
