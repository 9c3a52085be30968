#include "sqlitecheckpointer.h"

#include "../logging.h"

#include <sqlite3.h>

namespace qpush::store {

SqliteCheckpointer::SqliteCheckpointer(const QString &path, const QString &synchronous)
{
    if (sqlite3_open_v2(path.toUtf8().constData(), &m_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        qCWarning(lcStoreSqlite) << "sqlite: the checkpoint connection did not open:"
                                 << (m_db ? sqlite3_errmsg(m_db) : "out of memory")
                                 << "- the writer checkpoints instead";
        sqlite3_close(m_db);
        m_db = nullptr;
        return;
    }
    sqlite3_busy_timeout(m_db, 5000);
    // Its own automatic checkpoint stays off: it checkpoints when asked.
    const QByteArray pragmas =
        "PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=" + synchronous.toLatin1() + ";";
    sqlite3_exec(m_db, pragmas.constData(), nullptr, nullptr, nullptr);
    m_thread = std::thread([this] { run(); });
}

SqliteCheckpointer::~SqliteCheckpointer()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    if (m_thread.joinable())
        m_thread.join();
    if (m_db)
        sqlite3_close(m_db);
}

void SqliteCheckpointer::request()
{
    {
        std::lock_guard lock(m_mutex);
        if (m_requested)
            return;
        m_requested = true;
    }
    m_wake.notify_one();
}

void SqliteCheckpointer::run()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_requested || m_stopping; });
        if (m_stopping)
            return;
        m_requested = false;
        lock.unlock();
        // PASSIVE: copies what is committed without waiting for the writer,
        // and never blocks it.
        int walFrames = 0;
        int copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                                 &walFrames, &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            qCWarning(lcStoreSqlite)
                << "sqlite: checkpoint failed:" << sqlite3_errmsg(m_db) << "(code" << rc << ")";
        lock.lock();
    }
}

} // namespace qpush::store
