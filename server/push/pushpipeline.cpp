#include "pushpipeline.h"

#include "apnssender.h"

#include "json.h"
#include "logging.h"
#include "storeerror.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QPointer>

#include <memory>

namespace qpush::push {

namespace {
DomainError invalid(const QString &m)
{
    return {DomainError::Invalid, m};
}

// The qpush_pushes_refused_total reason of an error.
QByteArray refusalReason(DomainError::Kind kind)
{
    switch (kind) {
    case DomainError::Invalid:
        return "invalid";
    case DomainError::Unauthorized:
        return "unauthorized";
    case DomainError::Forbidden:
        return "forbidden";
    case DomainError::NotFound:
        return "not_found";
    case DomainError::Conflict:
        return "conflict";
    case DomainError::TooLarge:
        return "too_large";
    case DomainError::RateLimited:
        return "rate_limited";
    case DomainError::Unavailable:
        return "unavailable";
    case DomainError::Internal:
        break;
    }
    return "internal";
}

// `done`, counting the outcome in qpush_pushes_accepted/refused_total.
std::function<void(const PushOutcome &)> counted(metrics::ServerMetrics *m,
                                                 std::function<void(const PushOutcome &)> done)
{
    if (!m)
        return done;
    return [m, done = std::move(done)](const PushOutcome &outcome) {
        if (!outcome.error)
            m->pushesAccepted.inc();
        else
            m->pushesRefused.inc(refusalReason(outcome.error->kind));
        done(outcome);
    };
}
} // namespace

PushPipeline::PushPipeline(store::Store *store, NamespaceRegistry *registry, LiveClients *live,
                           const Settings *settings, QObject *parent)
    : QObject(parent), m_store(store), m_registry(registry), m_live(live), m_settings(settings)
{
}

void PushPipeline::push(const QString &nsp, const QJsonObject &body,
                        std::function<void(const PushOutcome &)> done)
{
    done = counted(m_settings->metrics, std::move(done));
    auto fail = [&done](DomainError e) { done(PushOutcome{std::move(e), 0, 0}); };
    const store::NamespaceRecord *ns = m_registry->find(nsp);
    if (!ns)
        return fail({DomainError::NotFound, QStringLiteral("no such namespace")});
    if (ns->offline)
        return fail({DomainError::Forbidden, QStringLiteral("namespace is offline")});

    // Validation in SPEC order; wrong JSON types are refused, never coerced.
    const QJsonValue room = body.value(QStringLiteral("room"));
    if (room.isUndefined() || room.isNull())
        return fail(invalid(QStringLiteral("room is required")));
    if (!room.isString())
        return fail(invalid(QStringLiteral("room must be a string")));
    if (auto err = m_settings->names.check(NameRules::Kind::Room, room.toString()))
        return fail(invalid(*err));
    const QJsonValue pushData = body.value(QStringLiteral("pushData"));
    if (pushData.isUndefined() || pushData.isNull())
        return fail(invalid(QStringLiteral("pushData is required")));
    if (!pushData.isObject())
        return fail(invalid(QStringLiteral("pushData must be an object")));
    const QJsonValue apnsName = body.value(QStringLiteral("apnsName"));
    if (!apnsName.isUndefined() && !apnsName.isNull() && !apnsName.isString())
        return fail(invalid(QStringLiteral("apnsName must be a string")));
    const QJsonValue leaveMessage = body.value(QStringLiteral("leaveMessage"));
    if (!leaveMessage.isUndefined() && !leaveMessage.isNull() && !leaveMessage.isBool())
        return fail(invalid(QStringLiteral("leaveMessage must be a boolean")));
    const QJsonValue except = body.value(QStringLiteral("except"));
    if (!except.isUndefined() && !except.isNull() && !except.isString())
        return fail(invalid(QStringLiteral("except must be a string (a client id)")));
    const QJsonValue expire = body.value(QStringLiteral("expire"));
    int expireHours = m_settings->pushMessageExpireHours;
    if (!expire.isUndefined() && !expire.isNull()) {
        if (!expire.isDouble())
            return fail(invalid(QStringLiteral("expire must be a number of hours")));
        const double e = expire.toDouble();
        if (e < 1 || e > m_settings->pushMessageMaxExpireHours || e != std::floor(e))
            return fail(invalid(QStringLiteral("expire must be a whole number from 1 to %1")
                                    .arg(m_settings->pushMessageMaxExpireHours)));
        expireHours = int(e);
    }
    const QJsonValue extra = body.value(QStringLiteral("extra"));
    if (!extra.isUndefined() && !extra.isNull() && !extra.isString())
        return fail(invalid(QStringLiteral("extra must be a string")));

    if (leaveMessage.toBool(false)) {
        // The notification offline iOS devices will get must fit (SPEC §8).
        const qsizetype size = apnsPayload(pushData.toObject(), m_settings->apnsAlert).size();
        if (size > m_settings->apnsPayloadSize)
            return fail(invalid(QStringLiteral("the APNs payload (pushData.apsData) is %1 bytes, "
                                               "more than apns_payload_size (%2)")
                                    .arg(size)
                                    .arg(m_settings->apnsPayloadSize)));
    }

    const bool lost = extra.toString() == u"lost";
    store::PushRecord record;
    record.nsp = nsp;
    record.room = room.toString();
    record.pushData = QJsonDocument(pushData.toObject()).toJson(QJsonDocument::Compact);
    record.sendDate = QDateTime::currentMSecsSinceEpoch();
    record.leaveMessage = leaveMessage.toBool(false);
    record.apnsName = apnsName.toString();
    record.extra = extra.toString();
    record.exceptClient = except.toString();
    record.ttlMs = expireHours * m_settings->hourMs;
    record.recentLimit = m_settings->pushMessageListMaxLimit;
    record.offlineLimit = m_settings->androidUnreadMessageListMaxLimit;
    if (record.leaveMessage) {
        // Durable follow-up: the store writes the job in the push's batch and
        // fills in the message id (empty payload).
        store::JobSpec job;
        job.nsp = nsp;
        job.kind = QStringLiteral("offline");
        job.dueAt = record.sendDate + m_settings->workerMessageTimeoutMs;
        record.followUp = job;
    }

    if (lost) // stored, delivered to nobody
        return save(std::move(record), lost, std::move(done));
    // Online on every node at send time (a Redis round trip with several nodes).
    QPointer<PushPipeline> self(this);
    m_live->presence()->countRoom(nsp, record.room, record.exceptClient,
                                  [self, record, done](qint64 online) mutable {
                                      if (!self)
                                          return;
                                      record.onlineClientCount = int(online);
                                      self->save(std::move(record), false, std::move(done));
                                  });
}

void PushPipeline::save(store::PushRecord record, bool lost,
                        std::function<void(const PushOutcome &)> done)
{
    QPointer<PushPipeline> self(this);
    m_store->savePush(record, [self, record, lost, done](store::Result<store::PushSaved> r) {
        if (!self)
            return;
        if (!r)
            return done(PushOutcome{fromStoreError(r.error()), 0, 0});
        ++self->m_accepted;
        store::PushMessage m;
        m.id = r.value().id;
        m.nsp = record.nsp;
        m.room = record.room;
        m.pushData = record.pushData;
        m.sendDate = record.sendDate;
        m.serverNum = r.value().serverNum;
        m.leaveMessage = record.leaveMessage;
        m.apnsName = record.apnsName;
        m.extra = record.extra;
        m.exceptClient = record.exceptClient;
        qsizetype recipients = 0;
        if (!lost) {
            recipients = self->deliverLocal(m);
            Q_EMIT self->deliveredLocally(m);
        }
        qCInfo(lcPushes).noquote().nospace()
            << "push id=" << m.id << " ns=" << m.nsp << " rooms=1 recipients=" << recipients
            << " online=" << record.onlineClientCount << (lost ? " lost" : "");
        done(PushOutcome{std::nullopt, m.id, record.onlineClientCount});
    });
}

qsizetype PushPipeline::deliverLocal(const store::PushMessage &message)
{
    const qsizetype n = m_live->deliver(message.nsp, message.room, message.exceptClient,
                                        QStringLiteral("push"), {messageToJson(message)});
    if (auto *m = m_settings->metrics)
        m->deliveries.inc(quint64(n));
    return n;
}

void PushPipeline::acknowledge(const QString &nsp, qint64 id, const QString &clientId,
                               std::function<void(std::optional<DomainError>)> done)
{
    if (auto *m = m_settings->metrics)
        m->acks.inc();
    const AckKey key{nsp, id};
    auto it = m_pendingAcks.find(key);
    if (it == m_pendingAcks.end()) {
        it = m_pendingAcks.insert(key, {});
        m_ackOrder.append(key);
    }
    it->append(PendingAck{clientId, std::move(done)});
    if (it->size() >= kMaxAckBatch)
        sendAcks(nsp, id, std::exchange(*it, {}));
    if (!m_ackFlushQueued) {
        m_ackFlushQueued = true;
        QMetaObject::invokeMethod(this, &PushPipeline::flushAcks, Qt::QueuedConnection);
    }
}

void PushPipeline::flushAcks()
{
    m_ackFlushQueued = false;
    auto pending = std::exchange(m_pendingAcks, {});
    const auto order = std::exchange(m_ackOrder, {});
    for (const AckKey &key : order) {
        QList<PendingAck> batch = pending.take(key);
        if (!batch.isEmpty()) // a full batch has already gone
            sendAcks(key.first, key.second, std::move(batch));
    }
}

void PushPipeline::sendAcks(const QString &nsp, qint64 id, QList<PendingAck> batch)
{
    // A malformed client id is refused alone instead of failing its batch.
    QStringList clientIds;
    auto callers = std::make_shared<QList<PendingAck>>();
    clientIds.reserve(batch.size());
    callers->reserve(batch.size());
    for (PendingAck &a : batch) {
        if (!store::parseClientId(a.clientId)) {
            a.done(fromStoreError(store::Error{store::ErrorCode::Invalid,
                                               QStringLiteral("not a client id: ") + a.clientId}));
            continue;
        }
        clientIds.append(a.clientId);
        callers->append(std::move(a));
    }
    if (callers->isEmpty())
        return;
    m_store->recordAcks(nsp, id, clientIds, [callers](store::Result<QList<store::AckOutcome>> r) {
        // Unknown or expired ids, and clients that were not
        // targets, are ignored.
        std::optional<DomainError> err;
        if (!r && r.error().code != store::ErrorCode::NotFound)
            err = fromStoreError(r.error());
        for (const PendingAck &a : std::as_const(*callers))
            a.done(err);
    });
}

void PushPipeline::sync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch,
                        std::function<void(std::variant<QJsonObject, DomainError>)> done)
{
    // Bounded replies: at most sync_max_messages pushes and sync_max_bytes of
    // pushData (at least one push); the client syncs again from the last
    // serverNum it got for the rest.
    const int limit = std::min(m_settings->pushMessageListMaxLimit, m_settings->syncMaxMessages);
    m_store->roomSync(
        nsp, room, clientNum, fetch, limit, m_settings->syncMaxBytes,
        [clientNum, fetch, done](store::Result<store::SyncResult> r) {
            if (!r)
                return done(fromStoreError(r.error()));
            QJsonArray list;
            if (fetch && clientNum < r.value().serverNum)
                for (const store::PushMessage &m : r.value().messages)
                    list.append(messageToJson(m));
            done(QJsonObject{{QStringLiteral("status"), 200},
                             {QStringLiteral("msg"), QStringLiteral("ok")},
                             {QStringLiteral("serverNum"), double(r.value().serverNum)},
                             {QStringLiteral("msgList"), list}});
        });
}

void PushPipeline::transfer(const QString &nsp, const QJsonObject &body,
                            std::function<void(std::optional<DomainError>)> done)
{
    const store::NamespaceRecord *ns = m_registry->find(nsp);
    if (!ns)
        return done(DomainError{DomainError::NotFound, QStringLiteral("no such namespace")});
    if (ns->offline)
        return done(DomainError{DomainError::Forbidden, QStringLiteral("namespace is offline")});
    const QJsonValue sources = body.value(QStringLiteral("sourceRooms"));
    if (!sources.isArray() || sources.toArray().isEmpty())
        return done(invalid(QStringLiteral("sourceRooms must be a non-empty array of rooms")));
    QStringList sourceRooms;
    for (const QJsonValue &v : sources.toArray()) {
        if (!v.isString())
            return done(invalid(QStringLiteral("sourceRooms must hold strings")));
        if (auto err = m_settings->names.check(NameRules::Kind::Room, v.toString()))
            return done(invalid(*err));
        sourceRooms.append(v.toString());
    }
    const QJsonValue target = body.value(QStringLiteral("targetRoom"));
    if (!target.isString())
        return done(invalid(QStringLiteral("targetRoom must be a string")));
    if (auto err = m_settings->names.check(NameRules::Kind::Room, target.toString()))
        return done(invalid(*err));
    const QJsonValue type = body.value(QStringLiteral("type"));
    if (type != QJsonValue(QStringLiteral("join")) && type != QJsonValue(QStringLiteral("leave")))
        return done(invalid(QStringLiteral("type must be \"join\" or \"leave\"")));
    const bool join = type.toString() == u"join";
    QPointer<PushPipeline> self(this);
    m_store->transfer(
        nsp, sourceRooms, target.toString(),
        join ? store::TransferKind::Join : store::TransferKind::Leave,
        [self, nsp, sourceRooms, target, type, join, done](store::Result<QStringList> r) {
            if (!self)
                return;
            if (!r)
                return done(fromStoreError(r.error()));
            const QJsonObject payload{
                {QStringLiteral("sourceRooms"), QJsonArray::fromStringList(sourceRooms)},
                {QStringLiteral("targetRoom"), target},
                {QStringLiteral("type"), type},
                {QStringLiteral("namespace"), nsp}};
            self->m_live->applyTransfer(nsp, r.value(), target.toString(), join, payload);
            Q_EMIT self->transferApplied(nsp, r.value(), target.toString(), join, payload);
            done(std::nullopt);
        });
}

} // namespace qpush::push
