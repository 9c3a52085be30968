#pragma once
// qpush::store::Store — all persistent state of qpush behind one
// asynchronous interface, shaped by what the push domain needs (SPEC §2-§7).

#include "result.h"
#include "types.h"

#include <QObject>

namespace qpush::store {

/// The storage interface. Implementations: SqliteStore (embedded default),
/// RedisStore (single node or Redis Cluster). Every method returns at once
/// and answers through its callback, later, on the thread that owns the store;
/// an operation that cannot reach its backend fails fast with
/// ErrorCode::Unavailable. Expired messages (and everything hanging off them:
/// reports, receipts, offline entries, sync entries) are never returned, even
/// before the background sweep has removed them.
class Store : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~Store() override;

    /// Opens files / connects, creates or migrates the schema. Call it first;
    /// calls made before it has succeeded may fail with Unavailable.
    virtual void open(Callback<Done> done) = 0;
    /// "sqlite", "redis" or "redis-cluster".
    virtual QString backendName() const = 0;

    // --- namespaces (SPEC §5) -------------------------------------------
    virtual void saveNamespace(const NamespaceRecord &ns, Callback<Done> done) = 0;
    virtual void getNamespace(const QString &key, Callback<NamespaceRecord> done) = 0;
    /// All namespaces, ordered by key.
    virtual void listNamespaces(Callback<QList<NamespaceRecord>> done) = 0;
    /// Deletes the namespace's data (pushes, reports, clients, memberships,
    /// offline lists, serverNum counters, statistics, jobs) and, with
    /// `alsoNamespace`, the namespace record itself.
    virtual void deleteNamespaceData(const QString &key, bool alsoNamespace,
                                     Callback<Done> done) = 0;

    // --- clients (SPEC §3.2 info, §4 client, clear-legacy-client) --------
    virtual void getClient(const QString &clientId, Callback<ClientInfo> done) = 0;
    /// The stored ones among `clientIds`, in request order; unknown ids skipped.
    virtual void getClients(const QStringList &clientIds, Callback<QList<ClientInfo>> done) = 0;
    /// Creates the client if needed, applies the patch, returns the new state.
    virtual void updateClient(const QString &clientId, const ClientPatch &patch,
                              Callback<ClientInfo> done) = 0;
    /// Edits the DND list (remove wins over add); returns the new list.
    virtual void editClientApns(const QString &clientId, const QStringList &add,
                                const QStringList &remove, Callback<QStringList> done) = 0;
    /// Removes every client of `nsp` last seen (connect, disconnect or update)
    /// before `notSeenSince`, with its memberships and offline list.
    virtual void removeLegacyClients(const QString &nsp, qint64 notSeenSince,
                                     Callback<QStringList> done) = 0;
    /// Clients ever stored in the namespace (`totalClientCount`).
    virtual void countClients(const QString &nsp, Callback<qint64> done) = 0;

    // --- all-time room membership (SPEC §10 Rooms) -----------------------
    virtual void joinRooms(const QString &clientId, const QStringList &rooms,
                           Callback<Done> done) = 0;
    virtual void leaveRooms(const QString &clientId, const QStringList &rooms,
                            Callback<Done> done) = 0;
    virtual void clientRooms(const QString &clientId, Callback<QStringList> done) = 0;
    /// Members of a room, optionally of one platform only, sorted.
    virtual void roomMembers(const QString &nsp, const QString &room,
                             std::optional<Platform> platform, Callback<QStringList> done) = 0;
    /// One RoomCounts per requested room, in request order.
    virtual void roomCounts(const QString &nsp, const QStringList &rooms,
                            Callback<QList<RoomCounts>> done) = 0;
    /// Every member of `sourceRooms` joins / leaves `targetRoom`; returns the
    /// clients whose membership changed, sorted.
    virtual void transfer(const QString &nsp, const QStringList &sourceRooms,
                          const QString &targetRoom, TransferKind kind,
                          Callback<QStringList> done) = 0;
    /// Sets leaveMessage of every member; returns how many clients.
    virtual void setRoomLeaveMessage(const QString &nsp, const QString &room, bool leaveMessage,
                                     Callback<qint64> done) = 0;
    /// Edits the DND list of every member; returns how many clients.
    virtual void editRoomApns(const QString &nsp, const QString &room, const QStringList &add,
                              const QStringList &remove, Callback<qint64> done) = 0;

    // --- pushes, reports, receipts (SPEC §4, §7) -------------------------
    /// One batch: next global id, message + report (TTL), room serverNum and
    /// recent list, minute/hour/day counters, offline entries, follow-up job.
    virtual void savePush(const PushRecord &push, Callback<PushSaved> done) = 0;
    virtual void getReport(const QString &nsp, qint64 id, bool withDetail,
                           Callback<PushReport> done) = 0;
    /// Newest first; page counts from 1.
    virtual void listReports(const QString &nsp, int page, int size,
                             Callback<QList<PushReport>> done) = 0;
    /// Receipts of one push, in one backend round trip. A receipt is counted
    /// once per client and only from a target: an (all-time) member of the
    /// push's room other than its `except` client; it removes the message
    /// from the client's offline list in every case. One outcome per entry
    /// of `clientIds`, in order (a client listed twice is counted at most
    /// once: its first entry). NotFound when the message is unknown or
    /// expired, Invalid when an entry is not a client id (nothing is then
    /// changed).
    virtual void recordAcks(const QString &nsp, qint64 id, const QStringList &clientIds,
                            Callback<QList<AckOutcome>> done) = 0;
    virtual void recordApnsResult(const QString &nsp, qint64 id, const ApnsResult &r,
                                  Callback<Done> done) = 0;
    /// Records the final APNs answer per client of push `id`, idempotently:
    /// an entry for a client that already has one is ignored; each new one
    /// adds 1 to apnsCount and, when it succeeded, to apnsSuccessCount.
    /// NotFound when the message is unknown or expired.
    virtual void recordApnsOutcomes(const QString &nsp, qint64 id,
                                    const QList<ApnsOutcome> &outcomes, Callback<Done> done) = 0;
    /// The answers recorded for push `id`, ordered by client id (empty when
    /// none, or when the message is unknown or expired).
    virtual void apnsOutcomes(const QString &nsp, qint64 id, Callback<QList<ApnsOutcome>> done) = 0;
    /// Members of the push's room on iOS and Android that have not acked, are
    /// not its `except` client and whose leaveMessage is not false: the
    /// recipients of offline work (SPEC §7).
    virtual void pendingRecipients(const QString &nsp, qint64 id,
                                   Callback<QList<ClientInfo>> done) = 0;
    /// The room's counter, and (with fetch) the stored pushes with
    /// serverNum >= clientNum, ascending, at most `limit` of them and no
    /// more pushData bytes than `maxBytes` (the first push always: a client
    /// can page through any room).
    virtual void roomSync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch,
                          int limit, qint64 maxBytes, Callback<SyncResult> done) = 0;
    /// Pushes in the UTC minute / hour / day containing `now`.
    virtual void messageStats(const QString &nsp, qint64 now, Callback<MessageStats> done) = 0;

    // --- Android offline lists (SPEC §7) ----------------------------------
    /// Adds message `id` to each client's list, keeping the newest `limit`.
    virtual void addOfflineEntries(const QString &nsp, qint64 id, const QStringList &clientIds,
                                   int limit, Callback<Done> done) = 0;
    /// The client's stored, unexpired offline messages, ascending id.
    /// At most `maxBytes` of pushData (the first message always): the rest
    /// stays listed until acked, for the next connect.
    virtual void offlineMessages(const QString &clientId, qint64 maxBytes,
                                 Callback<QList<PushMessage>> done) = 0;

    // --- durable delayed work (SPEC §7, §9) -------------------------------
    virtual void enqueueJob(const JobSpec &job, Callback<qint64> done) = 0;
    /// Claims up to `max` jobs due at `now`. A claimed job that is not
    /// completed (nor renewed) within `leaseMs` is delivered again, to this
    /// or another worker (attempts + 1). The lease runs on the backend's
    /// clock: SQLite counts it from `now`; Redis uses the idle time of the
    /// job's stream entry (XAUTOCLAIM) with the `leaseMs` of the claim that
    /// takes it over.
    virtual void claimJobs(qint64 now, int max, qint64 leaseMs, Callback<QList<Job>> done) = 0;
    /// Idempotent: true when this call removed the job, false if already gone.
    virtual void completeJob(const QString &nsp, qint64 id, Callback<bool> done) = 0;
    /// The caller still works on these claimed jobs: their lease starts
    /// again, so that a long job is not delivered to another worker while it
    /// runs. Jobs already completed are skipped.
    virtual void renewJobs(const QList<Job> &jobs, qint64 leaseMs, Callback<Done> done) = 0;
    /// True when awaitJobs can wait for work on the backend (Redis Streams:
    /// XREADGROUP BLOCK on a connection of its own); false when it answers at
    /// once and callers pace their calls themselves (SQLite).
    virtual bool waitsForJobs() const { return false; }
    /// claimJobs at the backend's current time, except that when no job is
    /// ready the answer may wait up to `waitMs` for one (then possibly empty).
    virtual void awaitJobs(int max, qint64 leaseMs, int waitMs, Callback<QList<Job>> done);

Q_SIGNALS:
    /// The backend went away (calls now fail with Unavailable) or came back.
    void availabilityChanged(bool available);
};

} // namespace qpush::store
