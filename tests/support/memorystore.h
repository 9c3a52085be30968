// qpush::test::MemoryStore — the Store contract (server/store/store.h) kept
// in plain containers, for in-process tests of the domain and the REST layer.
// It passes the same contract suite as SQLite and Redis (tst_store, row
// "memory"). Single-threaded: every answer is posted to the owner's event
// loop, never given inside the call, like the real backends. Time comes from
// a Clock, so a FakeClock expires messages without waiting.
#pragma once

#include "store/store.h"

#include <map>
#include <memory>
#include <set>

namespace qpush {
class Clock;
}

namespace qpush::test {

/// Everything a MemoryStore holds. Two stores given the same data behave like
/// two nodes on one database (or one store reopened).
struct MemoryStoreData;

class MemoryStore final : public store::Store
{
    Q_OBJECT
public:
    /// `clock` must outlive the store. Without `data` the store starts empty.
    explicit MemoryStore(const Clock *clock, std::shared_ptr<MemoryStoreData> data = {},
                         QObject *parent = nullptr);
    ~MemoryStore() override;

    static std::shared_ptr<MemoryStoreData> makeData();
    std::shared_ptr<MemoryStoreData> data() const { return m_data; }

    /// Simulates the backend going away / coming back: while unavailable every
    /// call answers ErrorCode::Unavailable; emits availabilityChanged.
    void setAvailable(bool available);
    /// Calls answered so far (to check that a path did, or did not, use the store).
    int callCount() const { return m_calls; }

    void open(store::Callback<store::Done> done) override;
    QString backendName() const override { return QStringLiteral("memory"); }

    void saveNamespace(const store::NamespaceRecord &ns,
                       store::Callback<store::Done> done) override;
    void getNamespace(const QString &key, store::Callback<store::NamespaceRecord> done) override;
    void listNamespaces(store::Callback<QList<store::NamespaceRecord>> done) override;
    void deleteNamespaceData(const QString &key, bool alsoNamespace,
                             store::Callback<store::Done> done) override;

    void getClient(const QString &clientId, store::Callback<store::ClientInfo> done) override;
    void getClients(const QStringList &clientIds,
                    store::Callback<QList<store::ClientInfo>> done) override;
    void updateClient(const QString &clientId, const store::ClientPatch &patch,
                      store::Callback<store::ClientInfo> done) override;
    void editClientApns(const QString &clientId, const QStringList &add, const QStringList &remove,
                        store::Callback<QStringList> done) override;
    void removeLegacyClients(const QString &nsp, qint64 notSeenSince,
                             store::Callback<QStringList> done) override;
    void countClients(const QString &nsp, store::Callback<qint64> done) override;

    void joinRooms(const QString &clientId, const QStringList &rooms,
                   store::Callback<store::Done> done) override;
    void leaveRooms(const QString &clientId, const QStringList &rooms,
                    store::Callback<store::Done> done) override;
    void clientRooms(const QString &clientId, store::Callback<QStringList> done) override;
    void roomMembers(const QString &nsp, const QString &room,
                     std::optional<store::Platform> platform,
                     store::Callback<QStringList> done) override;
    void roomCounts(const QString &nsp, const QStringList &rooms,
                    store::Callback<QList<store::RoomCounts>> done) override;
    void transfer(const QString &nsp, const QStringList &sourceRooms, const QString &targetRoom,
                  store::TransferKind kind, store::Callback<QStringList> done) override;
    void setRoomLeaveMessage(const QString &nsp, const QString &room, bool leaveMessage,
                             store::Callback<qint64> done) override;
    void editRoomApns(const QString &nsp, const QString &room, const QStringList &add,
                      const QStringList &remove, store::Callback<qint64> done) override;

    void savePush(const store::PushRecord &push, store::Callback<store::PushSaved> done) override;
    void getReport(const QString &nsp, qint64 id, bool withDetail,
                   store::Callback<store::PushReport> done) override;
    void listReports(const QString &nsp, int page, int size,
                     store::Callback<QList<store::PushReport>> done) override;
    void recordAcks(const QString &nsp, qint64 id, const QStringList &clientIds,
                    store::Callback<QList<store::AckOutcome>> done) override;
    void recordApnsResult(const QString &nsp, qint64 id, const store::ApnsResult &r,
                          store::Callback<store::Done> done) override;
    void recordApnsOutcomes(const QString &nsp, qint64 id,
                            const QList<store::ApnsOutcome> &outcomes,
                            store::Callback<store::Done> done) override;
    void apnsOutcomes(const QString &nsp, qint64 id,
                      store::Callback<QList<store::ApnsOutcome>> done) override;
    void pendingRecipients(const QString &nsp, qint64 id,
                           store::Callback<QList<store::ClientInfo>> done) override;
    void roomSync(const QString &nsp, const QString &room, qint64 clientNum, bool fetch, int limit,
                  qint64 maxBytes, store::Callback<store::SyncResult> done) override;
    void messageStats(const QString &nsp, qint64 now,
                      store::Callback<store::MessageStats> done) override;

    void addOfflineEntries(const QString &nsp, qint64 id, const QStringList &clientIds, int limit,
                           store::Callback<store::Done> done) override;
    void offlineMessages(const QString &clientId, qint64 maxBytes,
                         store::Callback<QList<store::PushMessage>> done) override;

    void enqueueJob(const store::JobSpec &job, store::Callback<qint64> done) override;
    void claimJobs(qint64 now, int max, qint64 leaseMs,
                   store::Callback<QList<store::Job>> done) override;
    void completeJob(const QString &nsp, qint64 id, store::Callback<bool> done) override;
    void renewJobs(const QList<store::Job> &jobs, qint64 leaseMs,
                   store::Callback<store::Done> done) override;

private:
    /// Runs `work` now (after dropping expired messages) unless the store is
    /// unavailable, and posts its result to `done` on the event loop.
    template <class T>
    void answer(store::Callback<T> done, const std::function<store::Result<T>()> &work);

    const Clock *m_clock;
    std::shared_ptr<MemoryStoreData> m_data;
    bool m_opened = false;
    bool m_available = true;
    int m_calls = 0;
};

} // namespace qpush::test
