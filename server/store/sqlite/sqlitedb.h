#pragma once
// The SQLite connection as the store's requests see it, on the worker thread:
// the SQLite C API (libsqlite3) with cached prepared statements. Qt SQL was
// measured on the push path (a QSqlRecord/QSqlField per column per exec,
// QVariant per bound value) and replaced (issue 18, docs/benchmarks-notes.md).

#include "../result.h"

#include <QByteArray>
#include <QHashFunctions> // std::hash<QString>
#include <QString>

#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace qpush::store {

/// One column of the current row.
class SqliteValue
{
public:
    SqliteValue(sqlite3_stmt *stmt, int column) : m_stmt(stmt), m_column(column) {}
    qint64 toLongLong() const;
    int toInt() const { return int(toLongLong()); }
    /// TEXT as stored, a BLOB read as UTF-8, a number in decimal, NULL as a null string.
    QString toString() const;
    QByteArray toByteArray() const;

private:
    sqlite3_stmt *m_stmt;
    int m_column;
};

/// A prepared statement. Values are bound in order with addBindValue();
/// SqliteDb::exec() runs it up to its first row; next() walks the rows.
/// A null QString / QByteArray binds as an empty value, never SQL NULL (the
/// schema's text columns are NOT NULL).
class SqliteQuery
{
public:
    SqliteQuery(sqlite3_stmt *stmt, QString sql);
    ~SqliteQuery();
    SqliteQuery(const SqliteQuery &) = delete;
    SqliteQuery &operator=(const SqliteQuery &) = delete;

    template <class T>
    requires std::integral<T> || std::is_enum_v<T>
    void addBindValue(T v) { bindInt(qint64(v)); }
    void addBindValue(const QString &v);
    /// Binds as a BLOB.
    void addBindValue(const QByteArray &v);
    /// Binds UTF-8 bytes as TEXT (a value converted once, bound many times).
    void addBindText(const QByteArray &utf8);
    /// Ready to bind and run again (what prepare() does for a cached one).
    void reset() { rebind(); }

    /// Moves to the next row; false at the end (or on an error, logged).
    bool next();
    SqliteValue value(int column) const { return SqliteValue(m_stmt, column); }
    /// Rows changed by the last exec() of an INSERT / UPDATE / DELETE.
    qint64 numRowsAffected() const { return m_changes; }
    /// Ends the statement's read (releases what it holds); bindings stay.
    void finish();

private:
    friend class SqliteDb;
    enum class State { Idle, RowReady, OnRow, Done };
    void bindInt(qint64 v);
    void rebind(); // reset + clear bindings, for the next use

    sqlite3_stmt *m_stmt;
    QString m_sql;
    int m_nextParam = 1;
    State m_state = State::Idle;
    qint64 m_changes = 0;
    int m_prepareCode = 0; // without a statement: why it did not prepare
    QString m_prepareError;
};

class SqliteDb
{
public:
    /// Takes ownership of `handle` (may be null: every statement then fails).
    explicit SqliteDb(sqlite3 *handle) : m_db(handle) {}
    ~SqliteDb();
    SqliteDb(const SqliteDb &) = delete;
    SqliteDb &operator=(const SqliteDb &) = delete;

    /// Opens (creating) the file at `path`; an Unavailable error when it cannot.
    static Result<std::unique_ptr<SqliteDb>> open(const QString &path, int busyTimeoutMs);

    /// A prepared statement, cached by its text; reset and ready to bind.
    SqliteQuery &prepare(const QString &sql);
    /// Runs a prepared statement up to its first row; an Error when it fails.
    std::optional<Error> exec(SqliteQuery &q);
    /// Prepares (cached), runs to the end and resets a statement without
    /// parameters: transaction control on the hot path.
    std::optional<Error> execCached(const QString &sql);
    /// Runs statements without parameters, uncached (schema, pragmas).
    std::optional<Error> execDirect(const QString &sql);
    /// The first column of the first row of a statement without parameters.
    Result<QString> queryText(const QString &sql);
    /// Resets every cached statement (nothing is left reading).
    void finishAll();
    void clearCache() { m_cache.clear(); }

    qint64 now() const;

    /// After each commit, on this thread: `hook(pages in the WAL)`. Turns
    /// SQLite's automatic checkpoint off (the hook decides).
    void onWalCommit(std::function<void(int)> hook);
    /// A PASSIVE checkpoint on this connection (blocks this thread).
    void checkpoint();

    static Error toError(int code, const QString &message, const QString &what);

private:
    Error lastError(const QString &what) const;

    sqlite3 *m_db;
    std::function<void(int)> m_walHook;
    std::unordered_map<QString, std::unique_ptr<SqliteQuery>> m_cache;
    // Statements that did not prepare, alive until the batch ends.
    std::vector<std::unique_ptr<SqliteQuery>> m_failed;
};

} // namespace qpush::store
