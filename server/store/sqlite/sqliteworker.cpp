#include "sqliteworker.h"

#include "../logging.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutexLocker>
#include <QThread>
#include <QTimer>
#include <QVariant>

namespace qpush::store {

namespace {

// Migration N brings the schema from version N to N+1. Never edit a released
// step: append a new one.
const char *const kMigrationV1[] = {
    "CREATE TABLE sequences(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT INTO sequences(name, value) VALUES('message', 0), ('job', 0)",
    "CREATE TABLE namespaces(key TEXT PRIMARY KEY, doc BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE clients(id TEXT PRIMARY KEY, nsp TEXT NOT NULL, userid TEXT NOT NULL,"
    " platform INTEGER NOT NULL, uuid TEXT NOT NULL, first_connect INTEGER NOT NULL DEFAULT 0,"
    " last_connect INTEGER NOT NULL DEFAULT 0, last_disconnect INTEGER NOT NULL DEFAULT 0,"
    " update_date INTEGER NOT NULL DEFAULT 0, mobile TEXT NOT NULL DEFAULT '',"
    " system TEXT NOT NULL DEFAULT '', device_token TEXT NOT NULL DEFAULT '',"
    " no_send_apns TEXT NOT NULL DEFAULT '', leave_message INTEGER NOT NULL DEFAULT 1,"
    " last_seen INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
    "CREATE INDEX clients_seen ON clients(nsp, last_seen)",
    "CREATE TABLE members(nsp TEXT NOT NULL, room TEXT NOT NULL, client_id TEXT NOT NULL,"
    " platform INTEGER NOT NULL, PRIMARY KEY(nsp, room, client_id)) WITHOUT ROWID",
    "CREATE INDEX members_client ON members(client_id)",
    "CREATE TABLE messages(id INTEGER PRIMARY KEY, nsp TEXT NOT NULL, room TEXT NOT NULL,"
    " push_data BLOB NOT NULL, send_date INTEGER NOT NULL, server_num INTEGER NOT NULL,"
    " leave_message INTEGER NOT NULL, apns_name TEXT NOT NULL, extra TEXT NOT NULL,"
    " except_client TEXT NOT NULL, expire_at INTEGER NOT NULL, online_count INTEGER NOT NULL,"
    " ack_count INTEGER NOT NULL DEFAULT 0, ack_ios INTEGER NOT NULL DEFAULT 0,"
    " ack_android INTEGER NOT NULL DEFAULT 0, ack_web INTEGER NOT NULL DEFAULT 0,"
    " apns_count INTEGER NOT NULL DEFAULT 0, apns_success INTEGER NOT NULL DEFAULT 0,"
    " apns_env TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX messages_nsp ON messages(nsp, id)",
    "CREATE INDEX messages_room ON messages(nsp, room, server_num)",
    "CREATE INDEX messages_expire ON messages(expire_at)",
    "CREATE TABLE acks(msg_id INTEGER NOT NULL, client_id TEXT NOT NULL, platform INTEGER NOT NULL,"
    " PRIMARY KEY(msg_id, client_id)) WITHOUT ROWID",
    "CREATE TABLE room_counters(nsp TEXT NOT NULL, room TEXT NOT NULL, server_num INTEGER NOT NULL,"
    " PRIMARY KEY(nsp, room)) WITHOUT ROWID",
    "CREATE TABLE offline(client_id TEXT NOT NULL, msg_id INTEGER NOT NULL, nsp TEXT NOT NULL,"
    " expire_at INTEGER NOT NULL, PRIMARY KEY(client_id, msg_id)) WITHOUT ROWID",
    "CREATE INDEX offline_expire ON offline(expire_at)",
    "CREATE TABLE stats(nsp TEXT NOT NULL, bucket TEXT NOT NULL, count INTEGER NOT NULL,"
    " expire_at INTEGER NOT NULL, PRIMARY KEY(nsp, bucket)) WITHOUT ROWID",
    "CREATE INDEX stats_expire ON stats(expire_at)",
    "CREATE TABLE jobs(id INTEGER PRIMARY KEY, nsp TEXT NOT NULL, kind TEXT NOT NULL,"
    " payload BLOB NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX jobs_due ON jobs(due_at)",
    "CREATE INDEX jobs_nsp ON jobs(nsp)",
};

// v2: the final APNs answer per (push, client), recorded once (issue 13).
const char *const kMigrationV2[] = {
    "CREATE TABLE apns_outcomes(msg_id INTEGER NOT NULL, client_id TEXT NOT NULL,"
    " succeeded INTEGER NOT NULL, cleared INTEGER NOT NULL, reason TEXT NOT NULL,"
    " PRIMARY KEY(msg_id, client_id)) WITHOUT ROWID",
};

struct Migration
{
    const char *const *begin;
    const char *const *end;
};

const Migration kMigrations[] = {
    {std::begin(kMigrationV1), std::end(kMigrationV1)},
    {std::begin(kMigrationV2), std::end(kMigrationV2)},
};
constexpr int kSchemaVersion = int(std::size(kMigrations));

} // namespace

// ------------------------------------------------------------ SqliteWorker

SqliteWorker::SqliteWorker(SqliteOptions options, QObject *receiver)
    : m_options(std::move(options)), m_receiver(receiver)
{
}

SqliteWorker::~SqliteWorker() = default;

void SqliteWorker::enqueue(std::shared_ptr<SqliteRequest> request)
{
    QMutexLocker lock(&m_mutex);
    m_queue.push_back(std::move(request));
    if (!m_scheduled) {
        m_scheduled = true;
        // Queued: the drain runs after whatever else is pending on the worker
        // thread, so requests arriving meanwhile join the same transaction.
        QMetaObject::invokeMethod(this, &SqliteWorker::drain, Qt::QueuedConnection);
    }
}

void SqliteWorker::drain()
{
    std::vector<std::shared_ptr<SqliteRequest>> batch;
    {
        QMutexLocker lock(&m_mutex);
        batch.swap(m_queue);
        m_scheduled = false;
    }
    std::size_t i = 0;
    while (i < batch.size()) {
        if (batch[i]->outsideTransaction) {
            SqliteDb dummy{nullptr};
            batch[i]->run(m_db ? *m_db : dummy);
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < batch.size() && !batch[j]->outsideTransaction)
            ++j;
        runBatch(batch, i, j);
        i = j;
    }
    if (auto *m = m_options.metrics) // on this thread: the instruments are atomic
        for (const auto &r : batch)
            m->storeOperation(
                std::chrono::nanoseconds(std::chrono::steady_clock::now() - r->created).count(),
                !r->succeeded());
    if (m_receiver) {
        QMetaObject::invokeMethod(
            m_receiver.data(),
            [batch = std::move(batch)]() {
                for (const auto &r : batch)
                    r->deliver();
            },
            Qt::QueuedConnection);
    }
}

void SqliteWorker::runBatch(std::vector<std::shared_ptr<SqliteRequest>> &batch, std::size_t begin,
                            std::size_t end)
{
    if (!m_db) {
        for (std::size_t k = begin; k < end; ++k)
            batch[k]->fail(
                Error{ErrorCode::Unavailable, QStringLiteral("sqlite store is not open")});
        return;
    }
    SqliteDb &db = *m_db;
    std::vector<bool> ok(end - begin, false);
    // The common case first: every request succeeds, so none needs a
    // savepoint (a savepoint copies each page it changes to a sub-journal:
    // measured as the largest part of a push's cost). When one fails, the
    // transaction is rolled back and the batch runs again with a savepoint
    // per request, so that the failing one is undone alone. A request's work
    // depends only on the database, so running it again gives its result.
    bool savepoints = false;
    for (;;) {
        if (auto e = db.execCached(QStringLiteral("BEGIN IMMEDIATE"))) {
            for (std::size_t k = begin; k < end; ++k)
                batch[k]->fail(*e);
            return;
        }
        bool failed = false;
        for (std::size_t k = begin; k < end && !failed; ++k) {
            if (!savepoints) {
                ok[k - begin] = batch[k]->run(db);
                failed = !ok[k - begin];
                continue;
            }
            if (auto e = db.execCached(QStringLiteral("SAVEPOINT req"))) {
                batch[k]->fail(*e);
                continue;
            }
            ok[k - begin] = batch[k]->run(db);
            if (!ok[k - begin])
                db.execCached(QStringLiteral("ROLLBACK TO req"));
            db.execCached(QStringLiteral("RELEASE req"));
        }
        if (!failed)
            break;
        db.finishAll();
        db.execDirect(QStringLiteral("ROLLBACK"));
        if (end - begin == 1) // nothing else to keep: the request failed, nothing changed
            return;
        savepoints = true;
    }
    db.finishAll();
    if (auto e = db.execCached(QStringLiteral("COMMIT"))) {
        qCWarning(lcStoreSqlite).noquote()
            << "commit failed, the batch of" << (end - begin) << "requests is lost:" << e->message;
        db.execDirect(QStringLiteral("ROLLBACK"));
        for (std::size_t k = begin; k < end; ++k) {
            if (ok[k - begin])
                batch[k]->fail(Error{e->code, QStringLiteral("commit failed: ") + e->message});
        }
    }
}

Result<Done> SqliteWorker::openDatabase()
{
    if (m_db)
        return Done{};
    const QFileInfo fi(m_options.path);
    if (fi.exists() && !fi.isFile())
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("sqlite store path is not a file: ") + m_options.path};
    // The store holds namespace passwords and client data: a directory we
    // create is 0700, the database file 0600 (SQLite gives its -wal and
    // -shm files the database file's mode).
    constexpr QFileDevice::Permissions kOwnerFile =
        QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    if (!QFileInfo(fi.absolutePath()).isDir()) {
        if (!QDir().mkpath(fi.absolutePath()))
            return Error{ErrorCode::Unavailable,
                         QStringLiteral("cannot create data dir ") + fi.absolutePath()};
        QFile::setPermissions(fi.absolutePath(), kOwnerFile | QFileDevice::ExeOwner);
    }
    if (!fi.exists()) {
        QFile create(m_options.path);
        if (create.open(QIODevice::WriteOnly | QIODevice::NewOnly, kOwnerFile))
            create.close();
    } else if (fi.permissions() & (QFileDevice::ReadGroup | QFileDevice::WriteGroup |
                                   QFileDevice::ReadOther | QFileDevice::WriteOther)) {
        QFile::setPermissions(m_options.path, kOwnerFile);
    }

    auto opened = SqliteDb::open(m_options.path, 5000);
    if (!opened) {
        Error e{ErrorCode::Unavailable, QStringLiteral("cannot open sqlite store ") +
                                            m_options.path + QStringLiteral(": ") +
                                            opened.error().message};
        qCWarning(lcStoreSqlite).noquote() << e.message;
        return e;
    }
    std::unique_ptr<SqliteDb> db = std::move(opened.value());
    auto fail = [&](Error e) -> Result<Done> {
        Error out{e.code, QStringLiteral("cannot open sqlite store ") + m_options.path +
                              QStringLiteral(": ") + e.message};
        qCWarning(lcStoreSqlite).noquote() << out.message;
        db.reset();
        return out;
    };

    // A file that is not a database fails on the first statement that reads
    // it (SQLITE_NOTADB); say so clearly instead of going on.
    {
        auto mode = db->queryText(QStringLiteral("PRAGMA journal_mode=WAL"));
        if (!mode)
            return fail(mode.error());
        if (mode.value().compare(u"wal", Qt::CaseInsensitive) != 0)
            return fail(Error{ErrorCode::Unavailable, QStringLiteral("WAL mode is not available")});
    }
    for (const QString &pragma :
         {QString(QStringLiteral("PRAGMA synchronous=") + m_options.synchronous),
          QStringLiteral("PRAGMA foreign_keys=OFF"), QStringLiteral("PRAGMA temp_store=MEMORY")}) {
        if (auto e = db->execDirect(pragma))
            return fail(*e);
    }

    // Schema version and migrations, in one transaction.
    if (auto e = db->execDirect(QStringLiteral("BEGIN IMMEDIATE")))
        return fail(*e);
    if (auto e = db->execDirect(QStringLiteral(
            "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"))) {
        db->execDirect(QStringLiteral("ROLLBACK"));
        return fail(*e);
    }
    int version = 0;
    {
        auto current = db->queryText(QStringLiteral("SELECT version FROM schema_version"));
        if (!current) {
            db->execDirect(QStringLiteral("ROLLBACK"));
            return fail(current.error());
        }
        if (!current.value().isNull())
            version = current.value().toInt();
        else if (auto e = db->execDirect(
                     QStringLiteral("INSERT INTO schema_version(version) VALUES(0)"))) {
            db->execDirect(QStringLiteral("ROLLBACK"));
            return fail(*e);
        }
    }
    if (version > kSchemaVersion) {
        db->execDirect(QStringLiteral("ROLLBACK"));
        return fail(Error{ErrorCode::Invalid,
                          QStringLiteral("schema version %1 is newer than this qpush (%2)")
                              .arg(version)
                              .arg(kSchemaVersion)});
    }
    for (int v = version; v < kSchemaVersion; ++v) {
        for (auto it = kMigrations[v].begin; it != kMigrations[v].end; ++it) {
            if (auto e = db->execDirect(QString::fromLatin1(*it))) {
                db->execDirect(QStringLiteral("ROLLBACK"));
                return fail(*e);
            }
        }
        qCInfo(lcStoreSqlite) << "migrated schema to version" << v + 1;
    }
    if (auto e = db->execDirect(
            QStringLiteral("UPDATE schema_version SET version=%1").arg(kSchemaVersion))) {
        db->execDirect(QStringLiteral("ROLLBACK"));
        return fail(*e);
    }
    if (auto e = db->execDirect(QStringLiteral("COMMIT"))) {
        db->execDirect(QStringLiteral("ROLLBACK"));
        return fail(*e);
    }
    m_db = std::move(db);
    startCheckpointer();
    qCInfo(lcStoreSqlite).noquote() << "opened" << m_options.path << "schema version"
                                    << kSchemaVersion << "synchronous" << m_options.synchronous;
    startSweepTimer();
    return Done{};
}

void SqliteWorker::startCheckpointer()
{
    // SQLite's default: a checkpoint once the WAL holds 1000 pages. It runs
    // on the checkpointer's thread, once per 1000 new pages (asking after
    // every commit would checkpoint and fsync continuously: measured). Under
    // steady writes a PASSIVE checkpoint never catches up exactly at a
    // commit, so the WAL is not rewound; the writer checkpoints itself (only
    // what is left to copy) when the WAL reaches 16x that, and the next
    // transaction rewinds it.
    constexpr int kCheckpointPages = 1000;
    constexpr int kWriterCheckpointPages = 16 * kCheckpointPages;
    m_checkpointer = std::make_unique<SqliteCheckpointer>(m_options.path, m_options.synchronous);
    SqliteDb *db = m_db.get();
    struct WalState
    {
        int last = 0;
        int nextRequest = kCheckpointPages;
    };
    m_db->onWalCommit([this, db, state = WalState{}](int pages) mutable {
        if (pages < state.last) // the WAL was rewound
            state.nextRequest = kCheckpointPages;
        state.last = pages;
        if (pages >= kWriterCheckpointPages) {
            db->checkpoint();
        } else if (pages >= state.nextRequest) {
            state.nextRequest = pages + kCheckpointPages;
            m_checkpointer->request();
        }
    });
}

void SqliteWorker::startSweepTimer()
{
    if (m_sweepTimer || m_options.sweepIntervalMs <= 0)
        return;
    m_sweepTimer = new QTimer(this);
    m_sweepTimer->setInterval(m_options.sweepIntervalMs);
    connect(m_sweepTimer, &QTimer::timeout, this, [this]() {
        enqueue(std::make_shared<SqliteRequestT<Done>>([this](SqliteDb &db) { return sweep(db); },
                                                       Callback<Done>()));
    });
    m_sweepTimer->start();
}

Result<Done> SqliteWorker::sweep(SqliteDb &db)
{
    // Bounded per run so that one sweep never holds the write lock for long.
    const qint64 now = db.now();
    const QString statements[] = {
        QStringLiteral("DELETE FROM acks WHERE msg_id IN"
                       " (SELECT id FROM messages WHERE expire_at <= ? ORDER BY id LIMIT 2000)"),
        QStringLiteral("DELETE FROM apns_outcomes WHERE msg_id IN"
                       " (SELECT id FROM messages WHERE expire_at <= ? ORDER BY id LIMIT 2000)"),
        QStringLiteral("DELETE FROM messages WHERE id IN"
                       " (SELECT id FROM messages WHERE expire_at <= ? ORDER BY id LIMIT 2000)"),
        QStringLiteral("DELETE FROM offline WHERE expire_at <= ?"),
        QStringLiteral("DELETE FROM stats WHERE expire_at <= ?"),
    };
    qint64 removed = 0;
    for (const QString &sql : statements) {
        SqliteQuery &q = db.prepare(sql);
        q.addBindValue(now);
        if (auto e = db.exec(q))
            return *e;
        removed += q.numRowsAffected();
    }
    if (removed > 0)
        qCDebug(lcStoreSqlite) << "sweep removed" << removed << "expired rows";
    return Done{};
}

void SqliteWorker::closeDatabase()
{
    drain(); // what was accepted is committed before the connection closes
    delete m_sweepTimer;
    m_sweepTimer = nullptr;
    m_checkpointer.reset(); // first: the writer's connection is the last to close
    if (!m_db)
        return;
    m_db.reset(); // finalizes the statements and closes the connection (a last checkpoint)
}

} // namespace qpush::store
