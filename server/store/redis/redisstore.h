#pragma once
// The Redis store: a single node or a Redis Cluster (SPEC §1, §9). Keys are
// "<redis_prefix>{<namespace>}<suffix>": the namespace is the hash tag, so
// every multi-key script of a namespace stays in one slot. The global
// message id sequence and the namespace registry are keys of their own.
// See docs/storage.md for the key list.

#include "../store.h"
#include "redisclient.h"
#include "redisscripts.h"

class QTimer;

namespace qpush::store {

struct RedisOptions
{
    metrics::ServerMetrics *metrics = nullptr; // not owned; null: not counted
    QStringList addresses = {QStringLiteral("127.0.0.1:6379")};
    bool cluster = false; ///< `redis_address` given as an array
    QString password;
    int db = 0;
    QString prefix = QStringLiteral("p_");
    int connectTimeoutMs = 3000;
    int reconnectMinMs = 100;
    int reconnectMaxMs = 5000;
    int commandTimeoutMs = 5000; ///< no reply for this long: connection dropped, Unavailable
    int sweepIntervalMs = 60 * 1000;
};

class RedisStore final : public Store
{
    Q_OBJECT
public:
    explicit RedisStore(RedisOptions options, QObject *parent = nullptr);
    ~RedisStore() override;

    void open(Callback<Done> done) override;
    QString backendName() const override;
    bool isAvailable() const { return m_client->isAvailable(); }
    /// The full key of a namespace-scoped suffix (tests look at slots).
    QByteArray keyForTest(const QString &nsp, const QString &suffix) const
    {
        return key(nsp, suffix.toUtf8());
    }

    void saveNamespace(const NamespaceRecord &ns, Callback<Done> done) override;
    void getNamespace(const QString &key, Callback<NamespaceRecord> done) override;
    void listNamespaces(Callback<QList<NamespaceRecord>> done) override;
    void deleteNamespaceData(const QString &key, bool alsoNamespace, Callback<Done> done) override;

    void getClient(const QString &clientId, Callback<ClientInfo> done) override;
    void getClients(const QStringList &clientIds, Callback<QList<ClientInfo>> done) override;
    void updateClient(const QString &clientId, const ClientPatch &patch,
                      Callback<ClientInfo> done) override;
    void editClientApns(const QString &clientId, const QStringList &add, const QStringList &remove,
                        Callback<QStringList> done) override;
    void removeLegacyClients(const QString &nsp, qint64 notSeenSince,
                             Callback<QStringList> done) override;
    void countClients(const QString &nsp, Callback<qint64> done) override;

    void joinRooms(const QString &clientId, const QStringList &rooms, Callback<Done> done) override;
    void leaveRooms(const QString &clientId, const QStringList &rooms,
                    Callback<Done> done) override;
    void clientRooms(const QString &clientId, Callback<QStringList> done) override;
    void roomMembers(const QString &nsp, const QString &room, std::optional<Platform> platform,
                     Callback<QStringList> done) override;
    void roomCounts(const QString &nsp, const QStringList &rooms,
                    Callback<QList<RoomCounts>> done) override;
    void transfer(const QString &nsp, const QStringList &sourceRooms, const QString &targetRoom,
                  TransferKind kind, Callback<QStringList> done) override;
    void setRoomLeaveMessage(const QString &nsp, const QString &room, bool leaveMessage,
                             Callback<qint64> done) override;
    void editRoomApns(const QString &nsp, const QString &room, const QStringList &add,
                      const QStringList &remove, Callback<qint64> done) override;

    void savePush(const PushRecord &push, Callback<PushSaved> done) override;
    void getReport(const QString &nsp, qint64 id, bool withDetail,
                   Callback<PushReport> done) override;
    void listReports(const QString &nsp, int page, int size,
                     Callback<QList<PushReport>> done) override;
    void recordAcks(const QString &nsp, qint64 id, const QStringList &clientIds,
                    Callback<QList<AckOutcome>> done) override;
    void recordApnsResult(const QString &nsp, qint64 id, const ApnsResult &r,
                          Callback<Done> done) override;
    void recordApnsOutcomes(const QString &nsp, qint64 id, const QList<ApnsOutcome> &outcomes,
                            Callback<Done> done) override;
    void apnsOutcomes(const QString &nsp, qint64 id, Callback<QList<ApnsOutcome>> done) override;
    void pendingRecipients(const QString &nsp, qint64 id,
                           Callback<QList<ClientInfo>> done) override;
    void roomSync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch, int limit,
                  qint64 maxBytes, Callback<SyncResult> done) override;
    void messageStats(const QString &nsp, qint64 now, Callback<MessageStats> done) override;

    void addOfflineEntries(const QString &nsp, qint64 id, const QStringList &clientIds, int limit,
                           Callback<Done> done) override;
    void offlineMessages(const QString &clientId, qint64 maxBytes,
                         Callback<QList<PushMessage>> done) override;

    void enqueueJob(const JobSpec &job, Callback<qint64> done) override;
    void claimJobs(qint64 now, int max, qint64 leaseMs, Callback<QList<Job>> done) override;
    void completeJob(const QString &nsp, qint64 id, Callback<bool> done) override;
    void renewJobs(const QList<Job> &jobs, qint64 leaseMs, Callback<Done> done) override;
    bool waitsForJobs() const override { return true; }
    void awaitJobs(int max, qint64 leaseMs, int waitMs, Callback<QList<Job>> done) override;
    /// This store's name in the job consumer group.
    QByteArray jobConsumer() const { return m_consumer; }

private:
    QByteArray base(const QString &nsp) const;
    QByteArray key(const QString &nsp, const QByteArray &suffix) const
    {
        return base(nsp) + suffix;
    }
    QByteArray globalKey(const char *suffix) const { return m_prefix + suffix; }
    template <class T> void failLater(Callback<T> done, Error e);
    void scanDelete(const QString &nsp, QByteArray cursor, std::function<void(Result<Done>)> done);
    void sweep();
    void deleteNamespaceKeys(const QString &nsKey, bool alsoNamespace, Callback<Done> done);
    // The job queue (redisjobs.cpp): keys "<prefix>{jobs}<suffix>".
    QByteArray jobKey(const char *suffix) const { return m_prefix + "{jobs}" + suffix; }
    void dropNamespaceJobs(const QString &nsp, Callback<Done> done);
    void claimJobsAt(const QByteArray &now, int max, qint64 leaseMs,
                     Callback<std::pair<QList<Job>, qint64>> done);
    void awaitJobsUntil(int max, qint64 leaseMs, int maxWaitMs, qint64 deadline,
                        Callback<QList<Job>> done);
    void blockForJobs(int max, int waitMs, int maxWaitMs, Callback<std::optional<QList<Job>>> done);
    RedisClient *blockingClient(int waitMs);

    RedisOptions m_options;
    QByteArray m_prefix;
    RedisScripts m_scripts;
    RedisClient *m_client = nullptr; // child
    // Its own connection(s) for XREADGROUP BLOCK, created by the first
    // awaitJobs (worker nodes only): a blocked read must not hold up the
    // pipelined commands of m_client.
    RedisClient *m_blockingClient = nullptr; // child
    int m_blockingWaitMs = 0;
    QByteArray m_consumer; // unique per store instance: host:pid:random
    QTimer *m_sweepTimer = nullptr;
};

template <class T> inline void RedisStore::failLater(Callback<T> done, Error e)
{
    QMetaObject::invokeMethod(
        this,
        [done = std::move(done), e = std::move(e)]() {
            if (done)
                done(e);
        },
        Qt::QueuedConnection);
}

} // namespace qpush::store
