#pragma once
// The thread that owns the SQLite connection. Requests are queued to it from
// the store's thread; every drain of the queue runs as ONE transaction:
// concurrent pushes share a commit and its fsync (group commit). When a
// request fails, the batch runs again with each request inside its own
// SAVEPOINT, so that the failing one does not undo the others.
// Results are posted back to the store's thread.

#include "../result.h"
#include "metrics/servermetrics.h"
#include "sqlitecheckpointer.h"
#include "sqlitedb.h"

#include <QMutex>
#include <QObject>
#include <QPointer>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

class QTimer;

namespace qpush::store {

class SqliteRequest
{
public:
    virtual ~SqliteRequest() = default;
    /// Runs on the worker thread; false when the request failed (its changes
    /// are then rolled back to its savepoint).
    virtual bool run(SqliteDb &db) = 0;
    /// Replaces a successful result by an error (the commit failed).
    virtual void fail(Error e) = 0;
    /// Runs on the store's thread.
    virtual void deliver() = 0;
    /// After run() (and the commit): the result is not an error.
    virtual bool succeeded() const = 0;
    bool outsideTransaction = false;
    /// When it was made (submitted), for qpush_store_operation_duration_seconds.
    const std::chrono::steady_clock::time_point created = std::chrono::steady_clock::now();
};

template <class T> class SqliteRequestT final : public SqliteRequest
{
public:
    using Work = std::function<Result<T>(SqliteDb &)>;
    SqliteRequestT(Work work, Callback<T> done) : m_work(std::move(work)), m_done(std::move(done))
    {
    }
    bool run(SqliteDb &db) override
    {
        m_result.emplace(m_work(db));
        return m_result->ok();
    }
    void fail(Error e) override { m_result.emplace(std::move(e)); }
    bool succeeded() const override { return m_result && m_result->ok(); }
    void deliver() override
    {
        if (m_done && m_result)
            m_done(std::move(*m_result));
    }

private:
    Work m_work;
    Callback<T> m_done;
    std::optional<Result<T>> m_result;
};

struct SqliteOptions
{
    metrics::ServerMetrics *metrics = nullptr; // not owned; null: not counted
    QString path;
    /// "FULL" (default): a commit is on disk before its callback runs, so an
    /// acknowledged push survives kill -9 and power loss. "NORMAL" survives
    /// kill -9 only.
    QString synchronous = QStringLiteral("FULL");
    int sweepIntervalMs = 60 * 1000;
};

class SqliteWorker : public QObject
{
    Q_OBJECT
public:
    /// `receiver` lives on the store's thread; results are delivered there.
    SqliteWorker(SqliteOptions options, QObject *receiver);
    ~SqliteWorker() override;

    /// Thread-safe.
    void enqueue(std::shared_ptr<SqliteRequest> request);

    /// On the worker thread: opens the file and migrates the schema.
    Result<Done> openDatabase();
    /// On the worker thread: deletes what expired.
    Result<Done> sweep(SqliteDb &db);
    /// On the worker thread: closes the connection (before the thread ends).
    void closeDatabase();

private:
    void drain();
    void runBatch(std::vector<std::shared_ptr<SqliteRequest>> &batch, std::size_t begin,
                  std::size_t end);
    void startSweepTimer();
    void startCheckpointer();

    SqliteOptions m_options;
    QPointer<QObject> m_receiver;
    std::unique_ptr<SqliteDb> m_db;
    std::unique_ptr<SqliteCheckpointer> m_checkpointer; // after the file is open
    QTimer *m_sweepTimer = nullptr;

    QMutex m_mutex;
    std::vector<std::shared_ptr<SqliteRequest>> m_queue;
    bool m_scheduled = false;
};

} // namespace qpush::store
