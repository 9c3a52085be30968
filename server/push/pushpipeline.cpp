#include "pushpipeline.h"

#include "apnssender.h"

#include "json.h"
#include "logging.h"
#include "storeerror.h"

#include <QJsonDocument>
#include <QPointer>

#include <memory>

namespace qpush::push {

namespace {
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
                           Presence *presence, const Settings *settings, QObject *parent)
    : QObject(parent), m_store(store), m_registry(registry), m_live(live), m_presence(presence),
      m_settings(settings)
{
}

std::optional<DomainError> PushPipeline::refusal(const QString &nsp) const
{
    const store::NamespaceRecord *ns = m_registry->find(nsp);
    if (!ns)
        return DomainError::notFound(QStringLiteral("no such namespace"));
    if (ns->offline)
        return DomainError::forbidden(QStringLiteral("namespace is offline"));
    return std::nullopt;
}

void PushPipeline::countRefused(const DomainError &error) const
{
    if (auto *m = m_settings->metrics)
        m->pushesRefused.inc(refusalReason(error.kind));
}

void PushPipeline::push(const QString &nsp, const PushRequest &request,
                        std::function<void(const PushOutcome &)> done)
{
    done = counted(m_settings->metrics, std::move(done));
    if (auto refused = refusal(nsp))
        return done(PushOutcome{std::move(refused), 0, 0});

    const bool lost = request.lost();
    store::PushRecord record;
    record.nsp = nsp;
    record.room = request.room;
    record.pushData = QJsonDocument(request.pushData).toJson(QJsonDocument::Compact);
    record.sendDate = m_settings->clock->nowMs();
    record.leaveMessage = request.leaveMessage;
    record.apnsName = request.apnsName;
    record.extra = request.extra;
    record.exceptClient = request.except;
    record.ttlMs = request.expireHours * kHourMs;
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
    m_presence->countRoom(nsp, record.room, record.exceptClient,
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
                        Callback<store::SyncResult> done)
{
    // Bounded replies: at most sync_max_messages pushes and sync_max_bytes of
    // pushData (at least one push); the client syncs again from the last
    // serverNum it got for the rest.
    const int limit = std::min(m_settings->pushMessageListMaxLimit, m_settings->syncMaxMessages);
    m_store->roomSync(nsp, room, clientNum, fetch, limit, m_settings->syncMaxBytes,
                      [clientNum, fetch, done](store::Result<store::SyncResult> r) {
                          if (!r)
                              return done(fromStoreError(r.error()));
                          store::SyncResult result = std::move(r.value());
                          if (!fetch || clientNum >= result.serverNum)
                              result.messages.clear();
                          done(std::move(result));
                      });
}

void PushPipeline::transfer(const QString &nsp, const TransferRequest &request,
                            std::function<void(std::optional<DomainError>)> done)
{
    if (auto refused = refusal(nsp))
        return done(refused);
    const bool join = request.kind == store::TransferKind::Join;
    QPointer<PushPipeline> self(this);
    m_store->transfer(
        nsp, request.sourceRooms, request.targetRoom, request.kind,
        [self, nsp, request, join, done](store::Result<QStringList> r) {
            if (!self)
                return;
            if (!r)
                return done(fromStoreError(r.error()));
            const QJsonObject payload{
                {QStringLiteral("sourceRooms"), QJsonArray::fromStringList(request.sourceRooms)},
                {QStringLiteral("targetRoom"), request.targetRoom},
                {QStringLiteral("type"), request.typeName()},
                {QStringLiteral("namespace"), nsp}};
            self->m_live->applyTransfer(nsp, r.value(), request.targetRoom, join, payload);
            Q_EMIT self->transferApplied(nsp, r.value(), request.targetRoom, join, payload);
            done(std::nullopt);
        });
}

} // namespace qpush::push
