// The data plane (SPEC §4 push/transfer, §7): takes a parsed push, stores it
// with its report in one batch (the store assigns the global id and the
// room's serverNum), delivers it live to the room's online clients (encoded
// once), schedules the durable offline/APNs follow-up, counts receipts, and
// answers sync and transfer.
#pragma once

#include "liveclients.h"
#include "namespaceregistry.h"
#include "requests.h"
#include "settings.h"

#include "store/store.h"

#include <QHash>
#include <QList>
#include <QObject>

#include <functional>
#include <utility>
#include <variant>

namespace qpush::push {

struct PushOutcome
{
    std::optional<DomainError> error;
    qint64 id = 0;
    qint64 expectAckCount = 0;
};

class PushPipeline : public QObject
{
    Q_OBJECT
public:
    PushPipeline(store::Store *store, NamespaceRegistry *registry, LiveClients *live,
                 Presence *presence, const Settings *settings, QObject *parent = nullptr);

    // A push from the REST API or a client, already parsed (PushRequest).
    void push(const QString &nsp, const PushRequest &request,
              std::function<void(const PushOutcome &)> done);
    // Counts a push refused at the edge (its body did not parse) in
    // qpush_pushes_refused_total, as push() counts the ones it refuses.
    void countRefused(const DomainError &error) const;
    void acknowledge(const QString &nsp, qint64 id, const QString &clientId,
                     std::function<void(std::optional<DomainError>)> done);
    // The room's newest serverNum and, when `fetch` is set and the client
    // is behind, the pushes after `clientNum` (bounded; the client asks
    // again for the rest). The client edge builds the reply (syncReply).
    void sync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch,
              Callback<store::SyncResult> done);
    void transfer(const QString &nsp, const TransferRequest &request,
                  std::function<void(std::optional<DomainError>)> done);

    // Delivery of a stored push to this node's online clients (called for
    // local pushes, and by the cluster bus for pushes of other nodes).
    qsizetype deliverLocal(const store::PushMessage &message);

    qint64 acceptedPushes() const { return m_accepted; }

Q_SIGNALS:
    // Hooks of the cluster bus: a push of this node went to its online
    // clients (never for extra "lost"), a transfer was applied here.
    void deliveredLocally(const store::PushMessage &message);
    void transferApplied(const QString &nsp, const QStringList &clientIds,
                         const QString &targetRoom, bool join, const QJsonObject &payload);

private:
    // Receipts are coalesced per (namespace, push id) within one event-loop
    // pass into one Store::recordAcks call (at most kMaxAckBatch clients).
    struct PendingAck
    {
        QString clientId;
        std::function<void(std::optional<DomainError>)> done;
    };
    using AckKey = std::pair<QString, qint64>;
    static constexpr qsizetype kMaxAckBatch = 500;
    // Why `nsp` takes no push or transfer now (missing, or offline).
    std::optional<DomainError> refusal(const QString &nsp) const;
    void flushAcks();
    void save(store::PushRecord record, bool lost, std::function<void(const PushOutcome &)> done);
    void sendAcks(const QString &nsp, qint64 id, QList<PendingAck> batch);

    QHash<AckKey, QList<PendingAck>> m_pendingAcks;
    QList<AckKey> m_ackOrder; // first-seen order of m_pendingAcks' keys
    bool m_ackFlushQueued = false;

    store::Store *m_store;
    NamespaceRegistry *m_registry;
    LiveClients *m_live;
    Presence *m_presence; // expectAckCount: the room's online clients on every node
    const Settings *m_settings;
    qint64 m_accepted = 0;
};

} // namespace qpush::push
