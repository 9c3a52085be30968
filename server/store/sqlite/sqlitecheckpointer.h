#pragma once
// Checkpoints the SQLite WAL on a thread of its own, over a connection of its
// own, so that the writer (SqliteWorker) never waits for a checkpoint's
// writes and fsyncs (issue 18: SQLite's automatic checkpoint ran inside a
// commit and stalled every push queued behind it; docs/benchmarks-notes.md).
// Durability is unchanged: commits still land in the WAL exactly as before,
// and a checkpoint syncs the WAL before it copies pages into the database.

#include <QString>

#include <condition_variable>
#include <mutex>
#include <thread>

struct sqlite3;

namespace qpush::store {

class SqliteCheckpointer
{
public:
    /// Opens its own connection to `path` (an existing WAL database).
    SqliteCheckpointer(const QString &path, const QString &synchronous);
    /// Stops the thread (a running checkpoint finishes first) and closes
    /// the connection.
    ~SqliteCheckpointer();
    SqliteCheckpointer(const SqliteCheckpointer &) = delete;
    SqliteCheckpointer &operator=(const SqliteCheckpointer &) = delete;

    /// Any thread: asks for a checkpoint (requests while one runs merge).
    void request();

private:
    void run();

    sqlite3 *m_db = nullptr;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_requested = false;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace qpush::store
