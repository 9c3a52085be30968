#pragma once
// The embedded store (SPEC §1 default): one SQLite file in data_dir, WAL.
// All disk work runs on a dedicated thread (SqliteWorker); this object only
// queues requests and receives results, so the event loop never waits on disk.

#include "../store.h"
#include "sqliteworker.h"

#include <QThread>

namespace qpush::store {

class SqliteStore final : public Store
{
    Q_OBJECT
public:
    explicit SqliteStore(SqliteOptions options, QObject *parent = nullptr);
    ~SqliteStore() override;

    void open(Callback<Done> done) override;
    QString backendName() const override { return QStringLiteral("sqlite"); }
    /// Deletes expired rows now (the timer does it every sweepIntervalMs).
    void sweepNow(Callback<Done> done);

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

private:
    template <class T> void submit(std::function<Result<T>(SqliteDb &)> work, Callback<T> done);

    SqliteOptions m_options;
    QThread m_thread;
    SqliteWorker *m_worker = nullptr; // lives on m_thread; deleted in the destructor
};

template <class T>
inline void SqliteStore::submit(std::function<Result<T>(SqliteDb &)> work, Callback<T> done)
{
    m_worker->enqueue(std::make_shared<SqliteRequestT<T>>(std::move(work), std::move(done)));
}

} // namespace qpush::store
