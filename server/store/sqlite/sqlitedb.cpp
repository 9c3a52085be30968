#include "sqlitedb.h"

#include "../logging.h"

#include <QDateTime>

#include <sqlite3.h>

namespace qpush::store {

// ------------------------------------------------------------- SqliteValue

qint64 SqliteValue::toLongLong() const
{
    return sqlite3_column_int64(m_stmt, m_column);
}

QString SqliteValue::toString() const
{
    switch (sqlite3_column_type(m_stmt, m_column)) {
    case SQLITE_NULL:
        return QString();
    case SQLITE_INTEGER:
        return QString::number(sqlite3_column_int64(m_stmt, m_column));
    case SQLITE_FLOAT:
        return QString::number(sqlite3_column_double(m_stmt, m_column));
    default: { // TEXT, or a BLOB read as UTF-8
        const auto *p = static_cast<const char *>(sqlite3_column_blob(m_stmt, m_column));
        return QString::fromUtf8(p, sqlite3_column_bytes(m_stmt, m_column));
    }
    }
}

QByteArray SqliteValue::toByteArray() const
{
    if (sqlite3_column_type(m_stmt, m_column) == SQLITE_NULL)
        return QByteArray();
    const auto *p = static_cast<const char *>(sqlite3_column_blob(m_stmt, m_column));
    const int n = sqlite3_column_bytes(m_stmt, m_column);
    return n > 0 ? QByteArray(p, n) : QByteArray("", 0);
}

// ------------------------------------------------------------- SqliteQuery

SqliteQuery::SqliteQuery(sqlite3_stmt *stmt, QString sql) : m_stmt(stmt), m_sql(std::move(sql)) {}

SqliteQuery::~SqliteQuery()
{
    sqlite3_finalize(m_stmt); // a no-op on null
}

void SqliteQuery::bindInt(qint64 v)
{
    sqlite3_bind_int64(m_stmt, m_nextParam++, v);
}

void SqliteQuery::addBindValue(const QString &v)
{
    addBindText(v.toUtf8());
}

void SqliteQuery::addBindText(const QByteArray &utf8)
{
    sqlite3_bind_text(m_stmt, m_nextParam++, utf8.isNull() ? "" : utf8.constData(),
                      int(utf8.size()), SQLITE_TRANSIENT);
}

void SqliteQuery::addBindValue(const QByteArray &v)
{
    sqlite3_bind_blob(m_stmt, m_nextParam++, v.isNull() ? "" : v.constData(), int(v.size()),
                      SQLITE_TRANSIENT);
}

bool SqliteQuery::next()
{
    switch (m_state) {
    case State::RowReady:
        m_state = State::OnRow;
        return true;
    case State::OnRow: {
        const int rc = sqlite3_step(m_stmt);
        if (rc == SQLITE_ROW)
            return true;
        m_state = State::Done;
        if (rc != SQLITE_DONE)
            qCWarning(lcStoreSqlite).noquote()
                << "sqlite: reading rows failed:" << sqlite3_errstr(rc) << "in:" << m_sql.left(120);
        return false;
    }
    case State::Idle:
    case State::Done:
        break;
    }
    return false;
}

void SqliteQuery::finish()
{
    if (m_state != State::Idle)
        sqlite3_reset(m_stmt);
    m_state = State::Idle;
}

void SqliteQuery::rebind()
{
    finish();
    sqlite3_clear_bindings(m_stmt);
    m_nextParam = 1;
    m_changes = 0;
}

// ---------------------------------------------------------------- SqliteDb

SqliteDb::~SqliteDb()
{
    if (m_db && m_walHook)
        sqlite3_wal_hook(m_db, nullptr, nullptr);
    m_cache.clear(); // every statement is finalized before the connection closes
    if (m_db && sqlite3_close(m_db) != SQLITE_OK)
        qCWarning(lcStoreSqlite) << "sqlite: closing the store failed:" << sqlite3_errmsg(m_db);
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const QString &path, int busyTimeoutMs)
{
    sqlite3 *handle = nullptr;
    // One connection, used by one thread: no SQLite mutex needed on it.
    const int rc =
        sqlite3_open_v2(path.toUtf8().constData(), &handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const QString why = handle ? QString::fromUtf8(sqlite3_errmsg(handle))
                                   : QString::fromUtf8(sqlite3_errstr(rc));
        sqlite3_close(handle);
        return Error{ErrorCode::Unavailable, why};
    }
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, busyTimeoutMs);
    return std::make_unique<SqliteDb>(handle);
}

SqliteQuery &SqliteDb::prepare(const QString &sql)
{
    auto it = m_cache.find(sql);
    if (it != m_cache.end()) {
        it->second->rebind();
        return *it->second;
    }
    sqlite3_stmt *stmt = nullptr;
    const QByteArray utf8 = sql.toUtf8();
    if (!m_db || sqlite3_prepare_v3(m_db, utf8.constData(), int(utf8.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
        const int code = m_db ? sqlite3_extended_errcode(m_db) : SQLITE_ERROR;
        const QString why = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db))
                                 : QStringLiteral("the store is not open");
        qCWarning(lcStoreSqlite).noquote() << "sqlite: prepare failed:" << why << sql;
        // Not cached: the next use prepares again (the schema may have moved on).
        auto &failed = m_failed.emplace_back(std::make_unique<SqliteQuery>(nullptr, sql));
        failed->m_prepareCode = code;
        failed->m_prepareError = why;
        return *failed;
    }
    auto [inserted, _] = m_cache.emplace(sql, std::make_unique<SqliteQuery>(stmt, sql));
    return *inserted->second;
}

std::optional<Error> SqliteDb::exec(SqliteQuery &q)
{
    if (!q.m_stmt)
        return toError(q.m_prepareCode, q.m_prepareError, q.m_sql);
    if (q.m_state != SqliteQuery::State::Idle)
        sqlite3_reset(q.m_stmt); // run again with the same bindings
    const int rc = sqlite3_step(q.m_stmt);
    if (rc == SQLITE_ROW) {
        q.m_state = SqliteQuery::State::RowReady;
        return std::nullopt;
    }
    if (rc == SQLITE_DONE) {
        q.m_state = SqliteQuery::State::Done;
        q.m_changes = sqlite3_changes64(m_db);
        return std::nullopt;
    }
    Error e = lastError(q.m_sql);
    sqlite3_reset(q.m_stmt);
    q.m_state = SqliteQuery::State::Idle;
    return e;
}

std::optional<Error> SqliteDb::execCached(const QString &sql)
{
    SqliteQuery &q = prepare(sql);
    std::optional<Error> e = exec(q);
    q.finish();
    return e;
}

std::optional<Error> SqliteDb::execDirect(const QString &sql)
{
    if (!m_db)
        return toError(SQLITE_ERROR, QStringLiteral("the store is not open"), sql);
    char *message = nullptr;
    const int rc = sqlite3_exec(m_db, sql.toUtf8().constData(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK)
        return std::nullopt;
    const QString text = QString::fromUtf8(message ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    return toError(sqlite3_extended_errcode(m_db), text, sql);
}

Result<QString> SqliteDb::queryText(const QString &sql)
{
    SqliteQuery &q = prepare(sql);
    if (auto e = exec(q))
        return *e;
    QString out = q.next() ? q.value(0).toString() : QString();
    q.finish();
    return out;
}

void SqliteDb::finishAll()
{
    m_failed.clear();
    for (auto &[sql, q] : m_cache)
        q->finish();
}

void SqliteDb::onWalCommit(std::function<void(int)> hook)
{
    m_walHook = std::move(hook);
    if (!m_db)
        return;
    sqlite3_wal_hook(
        m_db,
        [](void *self, sqlite3 *, const char *, int pages) {
            static_cast<SqliteDb *>(self)->m_walHook(pages);
            return SQLITE_OK;
        },
        this);
}

void SqliteDb::checkpoint()
{
    if (m_db && sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                          nullptr) != SQLITE_OK)
        qCWarning(lcStoreSqlite) << "sqlite: checkpoint failed:" << sqlite3_errmsg(m_db);
}

qint64 SqliteDb::now() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

Error SqliteDb::lastError(const QString &what) const
{
    return toError(sqlite3_extended_errcode(m_db), QString::fromUtf8(sqlite3_errmsg(m_db)), what);
}

Error SqliteDb::toError(int code, const QString &message, const QString &what)
{
    ErrorCode c = ErrorCode::Internal;
    switch (code & 0xff) { // the primary result code
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        c = ErrorCode::Corrupt;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
        c = ErrorCode::Unavailable;
        break;
    case SQLITE_CONSTRAINT:
        c = ErrorCode::Conflict;
        break;
    default:
        break;
    }
    Error err{c, QStringLiteral("sqlite: ") + message + QStringLiteral(" (code ") +
                     QString::number(code) + QStringLiteral(") in: ") + what.left(120)};
    qCWarning(lcStoreSqlite).noquote() << err.toString();
    return err;
}

} // namespace qpush::store
