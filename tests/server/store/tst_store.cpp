// The store contract: one suite, run unchanged against every backend
// (initTestCase_data rows "sqlite", "redis", "cluster", and "memory": the
// in-memory test store of tests/support that the in-process suites use).

#include "storetestutil.h"

#include "shared/clock.h"
#include "store/codec.h"
#include "store/redis/redisstore.h"
#include "store/sqlite/sqlitestore.h"
#include "support/fakeclock.h"
#include "support/memorystore.h"
#include "support/redisfixture.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <QTimer>
#include <limits>

#include <algorithm>
#include <csignal>
#include <set>

using namespace qpush::store;
using qpush::test::await;

#define CALL(T, expr) await<T>([&](Callback<T> cb) { expr; })

namespace {
// offlineMessages without a byte cap.
constexpr qint64 kAllBytes = std::numeric_limits<qint64>::max();

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// One receipt through the batch call (the store has no single-ack call).
void recordAck(Store *s, const QString &nsp, qint64 id, const QString &clientId,
               Callback<AckOutcome> done)
{
    s->recordAcks(nsp, id, {clientId}, [done = std::move(done)](Result<QList<AckOutcome>> r) {
        if (!r)
            return done(r.error());
        if (r->size() != 1)
            return done(Error{ErrorCode::Internal, QStringLiteral("one ack, several outcomes")});
        done(r->constFirst());
    });
}

PushRecord makePush(const QString &nsp, const QString &room, qint64 ttlMs = 3600000)
{
    PushRecord p;
    p.nsp = nsp;
    p.room = room;
    p.pushData = QByteArrayLiteral("{\"msg\":\"hi\"}");
    p.sendDate = nowMs();
    p.ttlMs = ttlMs;
    p.onlineClientCount = 2;
    return p;
}

// Claims (at `now`, or the current time when -1) until a claim returns
// jobs or 30 s passed; the jobs of that claim.
QList<Job> claimUntilSome(Store *s, qint64 now, qint64 leaseMs)
{
    QDeadlineTimer deadline(30000);
    while (!deadline.hasExpired()) {
        auto r = await<QList<Job>>([&](Callback<QList<Job>> cb) {
            s->claimJobs(now < 0 ? nowMs() : now, 10, leaseMs, cb);
        });
        if (r.ok() && !r.value().isEmpty())
            return r.value();
        QTest::qWait(50);
    }
    return {};
}

} // namespace

class TstStore : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Store> makeStore(const QString &tag = {});
    std::unique_ptr<Store> openStore(const QString &tag = {});
    QString backend() const;
    QString nextNsp() { return QStringLiteral("/t%1").arg(++m_counter); }

    QTemporaryDir m_tmp;
    int m_counter = 0;
    QString m_tag; // names this test's sqlite file / redis prefix
    std::unique_ptr<qpush::test::RedisServer> m_redis;
    std::unique_ptr<qpush::test::RedisCluster> m_cluster;
    // The memory row: one data set per tag, so that two stores of one tag
    // share it like two connections to one database.
    qpush::SystemClock m_clock;
    std::map<QString, std::shared_ptr<qpush::test::MemoryStoreData>> m_memory;

private Q_SLOTS:
    void initTestCase_data();
    void initTestCase();
    void init();
    void cleanupTestCase();

    void namespaces();
    void clientInfo();
    void clientIdParsing();
    void rooms();
    void transferAndRoomEdits();
    void pushAndReport();
    void failedRequestUndoneAlone();
    void reportPagingAndNamespaces();
    void acks();
    void batchAcks();
    void syncCounters();
    void offlineLists();
    void pendingRecipients();
    void pushBatchWithOfflineAndJob();
    void ttlExpiry();
    void concurrentCounters();
    void jobs();
    void jobClaimAfterCrash();
    void jobRenewKeepsClaim();
    void awaitJobs();
    void legacyClients();
    void deleteNamespaceData();
    void reopenKeepsData();

    void sqliteCorruptFile();
    void sqliteCheckpointsWhileRunning();
    void sqliteKill9Durability();
    void redisRestart();
    void redisBadData();
    void redisHung();
    void redisAuthAndSelect();
    void clusterSlotMigration();
    void memoryFakeClockAndOutage();
};

QString TstStore::backend() const
{
    QFETCH_GLOBAL(QString, backend);
    return backend;
}

void TstStore::initTestCase_data()
{
    QTest::addColumn<QString>("backend");
    QTest::newRow("sqlite") << QStringLiteral("sqlite");
    QTest::newRow("redis") << QStringLiteral("redis");
    QTest::newRow("cluster") << QStringLiteral("cluster");
    QTest::newRow("memory") << QStringLiteral("memory");
}

void TstStore::initTestCase()
{
    QVERIFY(m_tmp.isValid());
}

void TstStore::init()
{
    QFETCH_GLOBAL(QString, backend);
    m_tag = QStringLiteral("s%1").arg(++m_counter);
    if (backend == u"redis" && !m_redis) {
        m_redis = std::make_unique<qpush::test::RedisServer>(m_tmp.path(), false);
        QVERIFY2(m_redis->start(), qPrintable(m_redis->error()));
    }
    if (backend == u"cluster" && !m_cluster) {
        m_cluster = std::make_unique<qpush::test::RedisCluster>(3);
        QVERIFY2(m_cluster->start(), qPrintable(m_cluster->error()));
    }
    if (backend == u"redis" && !m_redis->isRunning())
        QVERIFY2(m_redis->start(), qPrintable(m_redis->error()));
}

void TstStore::cleanupTestCase()
{
    m_redis.reset();
    m_cluster.reset();
}

std::unique_ptr<Store> TstStore::makeStore(const QString &tag)
{
    QFETCH_GLOBAL(QString, backend);
    const QString name = tag.isEmpty() ? m_tag : tag;
    if (backend == u"memory") {
        auto &data = m_memory[name];
        if (!data)
            data = qpush::test::MemoryStore::makeData();
        return std::make_unique<qpush::test::MemoryStore>(&m_clock, data);
    }
    if (backend == u"sqlite") {
        SqliteOptions o;
        o.path = m_tmp.path() + QStringLiteral("/") + name + QStringLiteral(".db");
        o.sweepIntervalMs = 100;
        return std::make_unique<SqliteStore>(o);
    }
    RedisOptions o;
    o.prefix = name + QStringLiteral("_");
    o.reconnectMinMs = 50;
    o.reconnectMaxMs = 400;
    o.sweepIntervalMs = 100;
    o.commandTimeoutMs = 2000;
    if (backend == u"redis") {
        o.addresses = {m_redis->address()};
    } else {
        o.addresses = m_cluster->addresses();
        o.cluster = true;
    }
    return std::make_unique<RedisStore>(o);
}

std::unique_ptr<Store> TstStore::openStore(const QString &tag)
{
    auto s = makeStore(tag);
    if (!s)
        return nullptr;
    auto r = CALL(Done, s->open(cb));
    if (!r.ok()) {
        qWarning("open failed: %s", qPrintable(r.error().toString()));
        return nullptr;
    }
    return s;
}

// ---------------------------------------------------------------------------

void TstStore::namespaces()
{
    auto s = openStore();
    QVERIFY(s);
    NamespaceRecord a;
    a.key = QStringLiteral("/zeta");
    a.name = QStringLiteral("Zeta – free text ✓");
    a.authPasswd = QStringLiteral("pa:ss");
    a.connectCallback = QStringLiteral("http://127.0.0.1:1/cb");
    a.offline = true;
    a.updateDate = 1700000000123;
    a.clientIp = QStringLiteral("127.0.0.1");
    ApnsEntry e;
    e.name = QStringLiteral("default");
    e.apnsEnv = QStringLiteral("dev");
    e.apnsTopic = QStringLiteral("com.example");
    e.apnsExpiration = 3600;
    e.tokenKey = QStringLiteral("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----");
    a.apnsList = {e};
    NamespaceRecord b;
    b.key = QStringLiteral("/alpha");
    b.name = QStringLiteral("Alpha");

    STORE_OK(CALL(Done, s->saveNamespace(a, cb)));
    STORE_OK(CALL(Done, s->saveNamespace(b, cb)));
    auto got = CALL(NamespaceRecord, s->getNamespace(QStringLiteral("/zeta"), cb));
    STORE_OK(got);
    QVERIFY(got.value() == a);

    auto list = CALL(QList<NamespaceRecord>, s->listNamespaces(cb));
    STORE_OK(list);
    QCOMPARE(list->size(), 2);
    QCOMPARE(list->at(0).key, QStringLiteral("/alpha"));
    QCOMPARE(list->at(1).key, QStringLiteral("/zeta"));

    a.offline = false;
    a.apnsList.clear();
    STORE_OK(CALL(Done, s->saveNamespace(a, cb)));
    got = CALL(NamespaceRecord, s->getNamespace(QStringLiteral("/zeta"), cb));
    STORE_OK(got);
    QCOMPARE(got->offline, false);
    QVERIFY(got->apnsList.isEmpty());

    STORE_ERR(CALL(NamespaceRecord, s->getNamespace(QStringLiteral("/nope"), cb)),
              ErrorCode::NotFound);
    NamespaceRecord bad;
    bad.key = QStringLiteral("noslash");
    STORE_ERR(CALL(Done, s->saveNamespace(bad, cb)), ErrorCode::Invalid);
}

void TstStore::clientInfo()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString id =
        makeClientId(nsp, QStringLiteral("u1"), Platform::Ios, QStringLiteral("dev7"));

    STORE_ERR(CALL(ClientInfo, s->getClient(id, cb)), ErrorCode::NotFound);
    ClientPatch connect;
    connect.connectTime = 1000;
    auto c = CALL(ClientInfo, s->updateClient(id, connect, cb));
    STORE_OK(c);
    QCOMPARE(c->clientId, id);
    QCOMPARE(c->nsp, nsp);
    QCOMPARE(c->userid, QStringLiteral("u1"));
    QCOMPARE(c->uuid, QStringLiteral("dev7"));
    QCOMPARE(int(c->platform), int(Platform::Ios));
    QCOMPARE(c->firstConnectTime, 1000);
    QCOMPARE(c->lastConnectTime, 1000);
    QCOMPARE(c->leaveMessage, true);

    ClientPatch info;
    info.mobile = QStringLiteral("13800000000");
    info.system = QStringLiteral("iOS 17");
    info.deviceToken = QStringLiteral("abcdef");
    info.leaveMessage = false;
    info.updateDate = 1500;
    c = CALL(ClientInfo, s->updateClient(id, info, cb));
    STORE_OK(c);
    QCOMPARE(c->leaveMessage, false);
    QCOMPARE(c->mobile, QStringLiteral("13800000000"));

    ClientPatch disconnect;
    disconnect.disconnectTime = 2000;
    STORE_OK(CALL(ClientInfo, s->updateClient(id, disconnect, cb)));
    connect.connectTime = 3000;
    c = CALL(ClientInfo, s->updateClient(id, connect, cb));
    STORE_OK(c);
    QCOMPARE(c->firstConnectTime, 1000);
    QCOMPARE(c->lastConnectTime, 3000);
    QCOMPARE(c->lastDisconnectTime, 2000);
    QCOMPARE(c->leaveMessage, true); // every (re)connect resets it
    QCOMPARE(c->deviceToken, QStringLiteral("abcdef"));
    QCOMPARE(c->system, QStringLiteral("iOS 17"));
    QCOMPARE(c->updateDate, 1500);

    auto got = CALL(ClientInfo, s->getClient(id, cb));
    STORE_OK(got);
    QVERIFY(got.value() == c.value());

    auto dnd =
        CALL(QStringList,
             s->editClientApns(
                 id, {QStringLiteral("r2"), QStringLiteral("r1"), QStringLiteral("r2")}, {}, cb));
    STORE_OK(dnd);
    QCOMPARE(dnd.value(), (QStringList{QStringLiteral("r2"), QStringLiteral("r1")}));
    dnd = CALL(QStringList, s->editClientApns(id, {QStringLiteral("r3")},
                                              {QStringLiteral("r2"), QStringLiteral("r3")}, cb));
    STORE_OK(dnd);
    QCOMPARE(dnd.value(), QStringList{QStringLiteral("r1")}); // remove wins
    got = CALL(ClientInfo, s->getClient(id, cb));
    STORE_OK(got);
    QCOMPARE(got->noSendApns, QStringList{QStringLiteral("r1")});
    STORE_ERR(CALL(QStringList, s->editClientApns(id + QStringLiteral("x"), {}, {}, cb)),
              ErrorCode::NotFound);

    const QString other =
        makeClientId(nsp, QStringLiteral("u2"), Platform::Web, QStringLiteral("w1"));
    STORE_OK(CALL(ClientInfo, s->updateClient(other, connect, cb)));
    auto many =
        CALL(QList<ClientInfo>, s->getClients({other, QStringLiteral("/x#y#web-z"), id}, cb));
    STORE_OK(many);
    QCOMPARE(many->size(), 2);
    QCOMPARE(many->at(0).clientId, other);
    QCOMPARE(many->at(1).clientId, id);

    auto count = CALL(qint64, s->countClients(nsp, cb));
    STORE_OK(count);
    QCOMPARE(count.value(), 2);
    STORE_ERR(CALL(ClientInfo, s->updateClient(QStringLiteral("garbage"), connect, cb)),
              ErrorCode::Invalid);
}

void TstStore::clientIdParsing()
{
    const auto p = parseClientId(QStringLiteral("/demo#u1#ios-dev-7"));
    QVERIFY(p);
    QCOMPARE(p->nsp, QStringLiteral("/demo"));
    QCOMPARE(p->userid, QStringLiteral("u1"));
    QCOMPARE(int(p->platform), int(Platform::Ios));
    QCOMPARE(p->uuid, QStringLiteral("dev-7"));
    QVERIFY(!parseClientId(QStringLiteral("/demo#u1#pc-1")));
    QVERIFY(!parseClientId(QStringLiteral("/demo#u1")));
    QVERIFY(!parseClientId(QStringLiteral("demo#u1#web-1")));
    QCOMPARE(makeClientId(QStringLiteral("/d"), QStringLiteral("u"), Platform::Android,
                          QStringLiteral("x")),
             QStringLiteral("/d#u#android-x"));
    QCOMPARE(applyDndEdit({QStringLiteral("a")}, {QStringLiteral("b"), QStringLiteral("a")},
                          {QStringLiteral("c")}),
             (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
}

void TstStore::rooms()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString ios = makeClientId(nsp, QStringLiteral("u1"), Platform::Ios, QStringLiteral("i"));
    const QString android =
        makeClientId(nsp, QStringLiteral("u1"), Platform::Android, QStringLiteral("a"));
    const QString web = makeClientId(nsp, QStringLiteral("u2"), Platform::Web, QStringLiteral("w"));
    const QString r1 = QStringLiteral("room1"), r2 = QStringLiteral("room2");

    STORE_OK(CALL(Done, s->joinRooms(ios, {r1, r2, QStringLiteral("user_u1")}, cb)));
    STORE_OK(CALL(Done, s->joinRooms(android, {r1}, cb)));
    STORE_OK(CALL(Done, s->joinRooms(web, {r1, r2}, cb)));
    STORE_OK(CALL(Done, s->joinRooms(web, {r1}, cb))); // idempotent

    auto rooms = CALL(QStringList, s->clientRooms(ios, cb));
    STORE_OK(rooms);
    QCOMPARE(rooms.value(), (QStringList{r1, r2, QStringLiteral("user_u1")}));

    auto all = CALL(QStringList, s->roomMembers(nsp, r1, std::nullopt, cb));
    STORE_OK(all);
    QStringList expected{ios, android, web};
    expected.sort();
    QCOMPARE(all.value(), expected);
    auto onlyAndroid = CALL(QStringList, s->roomMembers(nsp, r1, Platform::Android, cb));
    STORE_OK(onlyAndroid);
    QCOMPARE(onlyAndroid.value(), QStringList{android});

    auto counts =
        CALL(QList<RoomCounts>, s->roomCounts(nsp, {r1, r2, QStringLiteral("empty")}, cb));
    STORE_OK(counts);
    QCOMPARE(counts->size(), 3);
    QCOMPARE(counts->at(0).total, 3);
    QCOMPARE(counts->at(0).ios, 1);
    QCOMPARE(counts->at(0).android, 1);
    QCOMPARE(counts->at(0).web, 1);
    QCOMPARE(counts->at(1).total, 2);
    QCOMPARE(counts->at(2).total, 0);

    STORE_OK(CALL(Done, s->leaveRooms(ios, {r1, QStringLiteral("never-joined")}, cb)));
    rooms = CALL(QStringList, s->clientRooms(ios, cb));
    STORE_OK(rooms);
    QCOMPARE(rooms.value(), (QStringList{r2, QStringLiteral("user_u1")}));
    counts = CALL(QList<RoomCounts>, s->roomCounts(nsp, {r1}, cb));
    STORE_OK(counts);
    QCOMPARE(counts->at(0).total, 2);
    QCOMPARE(counts->at(0).ios, 0);

    // Another namespace's room of the same name is another room.
    const QString nsp2 = nextNsp();
    auto members2 = CALL(QStringList, s->roomMembers(nsp2, r1, std::nullopt, cb));
    STORE_OK(members2);
    QVERIFY(members2->isEmpty());
}

void TstStore::transferAndRoomEdits()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    QStringList ids;
    for (int i = 0; i < 4; ++i) {
        const QString id =
            makeClientId(nsp, QStringLiteral("u%1").arg(i),
                         i % 2 ? Platform::Ios : Platform::Android, QStringLiteral("d%1").arg(i));
        ClientPatch p;
        p.connectTime = 100;
        STORE_OK(CALL(ClientInfo, s->updateClient(id, p, cb)));
        ids << id;
    }
    STORE_OK(CALL(Done, s->joinRooms(ids[0], {QStringLiteral("a")}, cb)));
    STORE_OK(CALL(Done, s->joinRooms(ids[1], {QStringLiteral("a"), QStringLiteral("b")}, cb)));
    STORE_OK(CALL(Done, s->joinRooms(ids[2], {QStringLiteral("b"), QStringLiteral("t")}, cb)));
    STORE_OK(CALL(Done, s->joinRooms(ids[3], {QStringLiteral("c")}, cb)));

    auto changed = CALL(QStringList, s->transfer(nsp, {QStringLiteral("a"), QStringLiteral("b")},
                                                 QStringLiteral("t"), TransferKind::Join, cb));
    STORE_OK(changed);
    QCOMPARE(changed.value(), (QStringList{ids[0], ids[1]})); // ids[2] already in t
    auto t = CALL(QStringList, s->roomMembers(nsp, QStringLiteral("t"), std::nullopt, cb));
    STORE_OK(t);
    QCOMPARE(t.value(), (QStringList{ids[0], ids[1], ids[2]}));
    auto tIos = CALL(QStringList, s->roomMembers(nsp, QStringLiteral("t"), Platform::Ios, cb));
    STORE_OK(tIos);
    QCOMPARE(tIos.value(), QStringList{ids[1]});

    changed = CALL(QStringList, s->transfer(nsp, {QStringLiteral("a")}, QStringLiteral("t"),
                                            TransferKind::Leave, cb));
    STORE_OK(changed);
    QCOMPARE(changed.value(), (QStringList{ids[0], ids[1]}));
    t = CALL(QStringList, s->roomMembers(nsp, QStringLiteral("t"), std::nullopt, cb));
    STORE_OK(t);
    QCOMPARE(t.value(), QStringList{ids[2]});

    auto n = CALL(qint64, s->setRoomLeaveMessage(nsp, QStringLiteral("b"), false, cb));
    STORE_OK(n);
    QCOMPARE(n.value(), 2);
    auto infos = CALL(QList<ClientInfo>, s->getClients(ids, cb));
    STORE_OK(infos);
    QCOMPARE(infos->size(), 4);
    QCOMPARE(infos->at(0).leaveMessage, true);
    QCOMPARE(infos->at(1).leaveMessage, false);
    QCOMPARE(infos->at(2).leaveMessage, false);
    QCOMPARE(infos->at(3).leaveMessage, true);

    STORE_OK(CALL(QStringList, s->editClientApns(ids[1], {QStringLiteral("x")}, {}, cb)));
    n = CALL(qint64,
             s->editRoomApns(nsp, QStringLiteral("b"), {QStringLiteral("b"), QStringLiteral("y")},
                             {QStringLiteral("y")}, cb));
    STORE_OK(n);
    QCOMPARE(n.value(), 2);
    infos = CALL(QList<ClientInfo>, s->getClients(ids, cb));
    STORE_OK(infos);
    QCOMPARE(infos->at(1).noSendApns, (QStringList{QStringLiteral("x"), QStringLiteral("b")}));
    QCOMPARE(infos->at(2).noSendApns, QStringList{QStringLiteral("b")});
    QVERIFY(infos->at(0).noSendApns.isEmpty());
}

// Requests issued together share one transaction (SQLite: one drain of the
// worker's queue). One of them failing is undone alone: the others keep their
// results and their writes, and their ids and counters stay consecutive.
void TstStore::failedRequestUndoneAlone()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    QList<std::optional<Result<PushSaved>>> saved(4);
    std::optional<Result<QList<AckOutcome>>> ack;
    s->savePush(makePush(nsp, QStringLiteral("r")), [&](Result<PushSaved> r) { saved[0] = r; });
    s->recordAcks(nsp, kMaxMessageId,
                  {makeClientId(nsp, QStringLiteral("u"), Platform::Web, QStringLiteral("w"))},
                  [&](Result<QList<AckOutcome>> r) { ack = r; }); // no such push
    s->savePush(makePush(nsp, QString()), [&](Result<PushSaved> r) { saved[1] = r; }); // no room
    s->savePush(makePush(nsp, QStringLiteral("r")), [&](Result<PushSaved> r) { saved[2] = r; });
    s->savePush(makePush(nsp, QStringLiteral("r")), [&](Result<PushSaved> r) { saved[3] = r; });
    QTRY_VERIFY_WITH_TIMEOUT(saved[0] && saved[1] && saved[2] && saved[3] && ack, 10000);
    QVERIFY(!*ack);
    QCOMPARE(ack->error().code, ErrorCode::NotFound);
    QVERIFY(!*saved[1]);
    QCOMPARE(saved[1]->error().code, ErrorCode::Invalid);
    for (int i : {0, 2, 3})
        QVERIFY2(*saved[i], qPrintable(QString::number(i)));
    QCOMPARE(saved[0]->value().serverNum, 0);
    QCOMPARE(saved[2]->value().serverNum, 1);
    QCOMPARE(saved[3]->value().serverNum, 2);
    QVERIFY(saved[0]->value().id < saved[2]->value().id);
    QVERIFY(saved[2]->value().id < saved[3]->value().id);
    for (int i : {0, 2, 3}) {
        auto r = CALL(PushReport, s->getReport(nsp, saved[i]->value().id, false, cb));
        STORE_OK(r);
        QCOMPARE(r->message.serverNum, saved[i]->value().serverNum);
    }
    auto sync =
        CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 0, true, 100, kAllBytes, cb));
    STORE_OK(sync);
    QCOMPARE(sync->serverNum, 3);
    QCOMPARE(sync->messages.size(), 3);
}

void TstStore::pushAndReport()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    PushRecord p = makePush(nsp, QStringLiteral("r"));
    p.leaveMessage = true;
    p.apnsName = QStringLiteral("default");
    p.extra = QStringLiteral("lost");
    p.exceptClient = makeClientId(nsp, QStringLiteral("u"), Platform::Web, QStringLiteral("w"));
    p.onlineClientCount = 7;
    auto a = CALL(PushSaved, s->savePush(p, cb));
    STORE_OK(a);
    QVERIFY(a->id > 0);
    QVERIFY(a->id <= kMaxMessageId);
    QCOMPARE(a->serverNum, 0);
    auto b = CALL(PushSaved, s->savePush(p, cb));
    STORE_OK(b);
    QVERIFY(b->id > a->id);
    QCOMPARE(b->serverNum, 1);
    auto other = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("other")), cb));
    STORE_OK(other);
    QVERIFY(other->id > b->id);
    QCOMPARE(other->serverNum, 0);

    auto r = CALL(PushReport, s->getReport(nsp, a->id, false, cb));
    STORE_OK(r);
    QCOMPARE(r->message.id, a->id);
    QCOMPARE(r->message.nsp, nsp);
    QCOMPARE(r->message.room, QStringLiteral("r"));
    QCOMPARE(r->message.pushData, p.pushData);
    QCOMPARE(r->message.sendDate, p.sendDate);
    QCOMPARE(r->message.serverNum, 0);
    QCOMPARE(r->message.leaveMessage, true);
    QCOMPARE(r->message.apnsName, QStringLiteral("default"));
    QCOMPARE(r->message.extra, QStringLiteral("lost"));
    QCOMPARE(r->message.exceptClient, p.exceptClient);
    QVERIFY(r->message.expireAt > nowMs() + 3500000);
    QCOMPARE(r->onlineClientCount, 7);
    QCOMPARE(r->ackCount, 0);
    QCOMPARE(r->apnsCount, 0);

    ApnsResult apns;
    apns.tried = 3;
    apns.succeeded = 2;
    apns.apnsEnv = QStringLiteral("dev");
    apns.result = QStringLiteral("1 BadDeviceToken");
    STORE_OK(CALL(Done, s->recordApnsResult(nsp, a->id, apns, cb)));
    apns.result.clear();
    apns.apnsEnv.clear();
    STORE_OK(CALL(Done, s->recordApnsResult(nsp, a->id, apns, cb)));
    r = CALL(PushReport, s->getReport(nsp, a->id, false, cb));
    STORE_OK(r);
    QCOMPARE(r->apnsCount, 6);
    QCOMPARE(r->apnsSuccessCount, 4);
    QCOMPARE(r->apnsEnv, QStringLiteral("dev"));
    QCOMPARE(r->result, QStringLiteral("1 BadDeviceToken"));
    STORE_ERR(CALL(Done, s->recordApnsResult(nsp, 999999999, apns, cb)), ErrorCode::NotFound);

    // Per-client APNs answers are recorded once: a job redone after a crash
    // counts nobody twice (issue 13).
    const QString ios1 =
        makeClientId(nsp, QStringLiteral("u1"), Platform::Ios, QStringLiteral("a"));
    const QString ios2 =
        makeClientId(nsp, QStringLiteral("u2"), Platform::Ios, QStringLiteral("b"));
    const QString ios3 =
        makeClientId(nsp, QStringLiteral("u3"), Platform::Ios, QStringLiteral("c"));
    const ApnsOutcome sent1{ios1, true, false, QStringLiteral("Sent")};
    const ApnsOutcome gone2{ios2, false, true, QStringLiteral("Unregistered")};
    STORE_OK(CALL(Done, s->recordApnsOutcomes(nsp, a->id, {sent1, gone2}, cb)));
    // Again, with a different answer for ios1 and a new client: only ios3 counts.
    STORE_OK(CALL(
        Done, s->recordApnsOutcomes(nsp, a->id,
                                    {ApnsOutcome{ios1, false, false, QStringLiteral("HTTP 500")},
                                     gone2, ApnsOutcome{ios3, true, false, QStringLiteral("Sent")}},
                                    cb)));
    STORE_OK(CALL(Done, s->recordApnsOutcomes(nsp, a->id, {}, cb)));
    r = CALL(PushReport, s->getReport(nsp, a->id, false, cb));
    STORE_OK(r);
    QCOMPARE(r->apnsCount, 6 + 3);
    QCOMPARE(r->apnsSuccessCount, 4 + 2);
    auto outcomes = CALL(QList<ApnsOutcome>, s->apnsOutcomes(nsp, a->id, cb));
    STORE_OK(outcomes);
    const QList<ApnsOutcome> expectedOutcomes{
        sent1, gone2, ApnsOutcome{ios3, true, false, QStringLiteral("Sent")}};
    QCOMPARE(outcomes.value(), expectedOutcomes);
    outcomes = CALL(QList<ApnsOutcome>, s->apnsOutcomes(nsp, b->id, cb));
    STORE_OK(outcomes);
    QVERIFY(outcomes->isEmpty());
    STORE_ERR(CALL(Done, s->recordApnsOutcomes(nsp, 999999999, {sent1}, cb)), ErrorCode::NotFound);

    auto stats = CALL(MessageStats, s->messageStats(nsp, p.sendDate, cb));
    STORE_OK(stats);
    QCOMPARE(stats->minute, 3);
    QCOMPARE(stats->hour, 3);
    QCOMPARE(stats->day, 3);
    stats = CALL(MessageStats, s->messageStats(nsp, p.sendDate + 2 * 86400000LL, cb));
    STORE_OK(stats);
    QCOMPARE(stats->day, 0);
    auto otherStats = CALL(MessageStats, s->messageStats(nextNsp(), p.sendDate, cb));
    STORE_OK(otherStats);
    QCOMPARE(otherStats->minute, 0);

    PushRecord bad = makePush(nsp, QString());
    STORE_ERR(CALL(PushSaved, s->savePush(bad, cb)), ErrorCode::Invalid);
}

void TstStore::reportPagingAndNamespaces()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString nsp2 = nextNsp();
    QList<qint64> ids;
    for (int i = 0; i < 7; ++i) {
        auto r = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r%1").arg(i % 2)), cb));
        STORE_OK(r);
        ids << r->id;
    }
    auto foreign = CALL(PushSaved, s->savePush(makePush(nsp2, QStringLiteral("r0")), cb));
    STORE_OK(foreign);

    auto page1 = CALL(QList<PushReport>, s->listReports(nsp, 1, 3, cb));
    STORE_OK(page1);
    QCOMPARE(page1->size(), 3);
    QCOMPARE(page1->at(0).message.id, ids[6]);
    QCOMPARE(page1->at(2).message.id, ids[4]);
    auto page3 = CALL(QList<PushReport>, s->listReports(nsp, 3, 3, cb));
    STORE_OK(page3);
    QCOMPARE(page3->size(), 1);
    QCOMPARE(page3->at(0).message.id, ids[0]);
    auto page4 = CALL(QList<PushReport>, s->listReports(nsp, 4, 3, cb));
    STORE_OK(page4);
    QVERIFY(page4->isEmpty());

    // Another namespace's report is not found from this one.
    STORE_ERR(CALL(PushReport, s->getReport(nsp, foreign->id, false, cb)), ErrorCode::NotFound);
    STORE_OK(CALL(PushReport, s->getReport(nsp2, foreign->id, false, cb)));
    STORE_ERR(CALL(AckOutcome, recordAck(s.get(), nsp, foreign->id,
                                         makeClientId(nsp, QStringLiteral("u"), Platform::Web,
                                                      QStringLiteral("w")),
                                         cb)),
              ErrorCode::NotFound);
}

void TstStore::acks()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString ios = makeClientId(nsp, QStringLiteral("u1"), Platform::Ios, QStringLiteral("i"));
    const QString android =
        makeClientId(nsp, QStringLiteral("u1"), Platform::Android, QStringLiteral("a"));
    const QString web1 =
        makeClientId(nsp, QStringLiteral("u2"), Platform::Web, QStringLiteral("w1"));
    const QString web2 =
        makeClientId(nsp, QStringLiteral("u3"), Platform::Web, QStringLiteral("w2"));
    const QString excepted =
        makeClientId(nsp, QStringLiteral("u4"), Platform::Ios, QStringLiteral("e"));
    const QString outsider =
        makeClientId(nsp, QStringLiteral("u5"), Platform::Android, QStringLiteral("o"));
    for (const QString &c : {ios, android, web1, web2, excepted})
        STORE_OK(CALL(Done, s->joinRooms(c, {QStringLiteral("r")}, cb)));
    STORE_OK(CALL(Done, s->joinRooms(outsider, {QStringLiteral("elsewhere")}, cb)));
    PushRecord p = makePush(nsp, QStringLiteral("r"));
    p.exceptClient = excepted;
    auto pushed = CALL(PushSaved, s->savePush(p, cb));
    STORE_OK(pushed);
    const qint64 id = pushed->id;

    for (const QString &c : {ios, android, web1, web2, ios, web1}) {
        auto r = CALL(AckOutcome, recordAck(s.get(), nsp, id, c, cb));
        STORE_OK(r);
        QVERIFY(r->target);
    }
    auto again = CALL(AckOutcome, recordAck(s.get(), nsp, id, android, cb));
    STORE_OK(again);
    QCOMPARE(again->counted, false);
    QCOMPARE(again->target, true);
    // Not targets: the push's `except` client and a client outside the room.
    for (const QString &c : {excepted, outsider}) {
        auto r = CALL(AckOutcome, recordAck(s.get(), nsp, id, c, cb));
        STORE_OK(r);
        QCOMPARE(r->counted, false);
        QCOMPARE(r->target, false);
    }
    STORE_ERR(CALL(AckOutcome, recordAck(s.get(), nsp, id + 1000, android, cb)),
              ErrorCode::NotFound);
    STORE_ERR(CALL(AckOutcome, recordAck(s.get(), nsp, id, QStringLiteral("nonsense"), cb)),
              ErrorCode::Invalid);

    auto r = CALL(PushReport, s->getReport(nsp, id, false, cb));
    STORE_OK(r);
    QCOMPARE(r->ackCount, 4);
    QCOMPARE(r->ackIOSCount, 1);
    QCOMPARE(r->ackAndroidCount, 1);
    QCOMPARE(r->ackWebCount, 2);
    QVERIFY(r->ackWebDetail.isEmpty()); // detail only when asked

    r = CALL(PushReport, s->getReport(nsp, id, true, cb));
    STORE_OK(r);
    QCOMPARE(r->ackIOSDetail, QStringList{ios});
    QCOMPARE(r->ackAndroidDetail, QStringList{android});
    QCOMPARE(r->ackWebDetail, (QStringList{web1, web2}));
}

void TstStore::batchAcks()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    auto cid = [&nsp](const char *user, Platform platform, const char *uuid) {
        return makeClientId(nsp, QString::fromLatin1(user), platform, QString::fromLatin1(uuid));
    };
    const QString ios1 = cid("u1", Platform::Ios, "i1");
    const QString ios2 = cid("u2", Platform::Ios, "i2");
    const QString android1 = cid("u1", Platform::Android, "a1");
    const QString android2 = cid("u3", Platform::Android, "a2");
    const QString web1 = cid("u4", Platform::Web, "w1");
    const QString web2 = cid("u5", Platform::Web, "w2");
    const QString excepted = cid("u6", Platform::Android, "e");
    const QString outsider = cid("u7", Platform::Android, "o");
    for (const QString &c : {ios1, ios2, android1, android2, web1, web2, excepted})
        STORE_OK(CALL(Done, s->joinRooms(c, {QStringLiteral("r")}, cb)));
    STORE_OK(CALL(Done, s->joinRooms(outsider, {QStringLiteral("elsewhere")}, cb)));
    PushRecord p = makePush(nsp, QStringLiteral("r"));
    p.exceptClient = excepted;
    p.offlineClientIds = {android1, android2, excepted, outsider};
    p.offlineLimit = 10;
    auto pushed = CALL(PushSaved, s->savePush(p, cb));
    STORE_OK(pushed);
    const qint64 id = pushed->id;
    auto other = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    STORE_OK(other);
    STORE_OK(CALL(Done, s->addOfflineEntries(nsp, other->id, {android1, outsider}, 10, cb)));

    // Already acked before the batch.
    auto single = CALL(AckOutcome, recordAck(s.get(), nsp, id, web2, cb));
    STORE_OK(single);
    QVERIFY(single->counted);

    const QStringList batch{ios1,     android1, web1, ios1,     excepted,
                            outsider, android2, web2, android1, ios2};
    auto r = CALL(QList<AckOutcome>, s->recordAcks(nsp, id, batch, cb));
    STORE_OK(r);
    QCOMPARE(r->size(), batch.size());
    // {counted, target} per entry, in order.
    const QList<std::pair<bool, bool>> expected{
        {true, true},   // ios1
        {true, true},   // android1
        {true, true},   // web1
        {false, true},  // ios1 again in the same batch
        {false, false}, // the push's except client
        {false, false}, // not a member of the room
        {true, true},   // android2
        {false, true},  // web2 acked before
        {false, true},  // android1 again
        {true, true},   // ios2
    };
    for (qsizetype i = 0; i < batch.size(); ++i) {
        QCOMPARE(std::make_pair(r->at(i).counted, r->at(i).target), expected.at(i));
    }

    auto rep = CALL(PushReport, s->getReport(nsp, id, true, cb));
    STORE_OK(rep);
    QCOMPARE(rep->ackCount, 6);
    QCOMPARE(rep->ackIOSCount, 2);
    QCOMPARE(rep->ackAndroidCount, 2);
    QCOMPARE(rep->ackWebCount, 2);
    QCOMPARE(rep->ackIOSDetail, (QStringList{ios1, ios2}));
    QCOMPARE(rep->ackAndroidDetail, (QStringList{android1, android2}));
    std::set<QString> webs{web1, web2};
    QCOMPARE(rep->ackWebDetail, (QStringList{webs.begin(), webs.end()}));

    // The message left the offline list of every client of the batch (target
    // or not); the other push stayed.
    for (const QString &c : {android1, outsider}) {
        auto l = CALL(QList<PushMessage>, s->offlineMessages(c, kAllBytes, cb));
        STORE_OK(l);
        QCOMPARE(l->size(), 1);
        QCOMPARE(l->at(0).id, other->id);
    }
    for (const QString &c : {android2, excepted}) {
        auto l = CALL(QList<PushMessage>, s->offlineMessages(c, kAllBytes, cb));
        STORE_OK(l);
        QVERIFY(l->isEmpty());
    }

    // A second batch counts nothing new.
    auto again = CALL(QList<AckOutcome>, s->recordAcks(nsp, id, {ios2, web1, outsider}, cb));
    STORE_OK(again);
    QCOMPARE(again->size(), 3);
    QCOMPARE(again->at(0).counted, false);
    QCOMPARE(again->at(0).target, true);
    QCOMPARE(again->at(1).counted, false);
    QCOMPARE(again->at(2).target, false);
    rep = CALL(PushReport, s->getReport(nsp, id, false, cb));
    STORE_OK(rep);
    QCOMPARE(rep->ackCount, 6);
    // A later receipt sees the batch's receipts.
    auto late = CALL(AckOutcome, recordAck(s.get(), nsp, id, android2, cb));
    STORE_OK(late);
    QCOMPARE(late->counted, false);
    QCOMPARE(late->target, true);

    // An empty batch answers an empty list; unknown ids and other
    // namespaces are NotFound; a malformed id fails the batch and changes nothing.
    auto none = CALL(QList<AckOutcome>, s->recordAcks(nsp, other->id, {}, cb));
    STORE_OK(none);
    QVERIFY(none->isEmpty());
    STORE_ERR(CALL(QList<AckOutcome>, s->recordAcks(nsp, id + 1000, {ios1}, cb)),
              ErrorCode::NotFound);
    STORE_ERR(CALL(QList<AckOutcome>, s->recordAcks(nsp, id + 1000, {}, cb)), ErrorCode::NotFound);
    STORE_ERR(CALL(QList<AckOutcome>, s->recordAcks(nextNsp(), id, {ios1}, cb)),
              ErrorCode::NotFound);
    STORE_ERR(CALL(QList<AckOutcome>,
                   s->recordAcks(nsp, other->id, {ios1, QStringLiteral("nonsense")}, cb)),
              ErrorCode::Invalid);
    rep = CALL(PushReport, s->getReport(nsp, other->id, false, cb));
    STORE_OK(rep);
    QCOMPARE(rep->ackCount, 0);
    auto stillOffline = CALL(QList<PushMessage>, s->offlineMessages(android1, kAllBytes, cb));
    STORE_OK(stillOffline);
    QCOMPARE(stillOffline->size(), 1);

    // A large batch: every client once, counted once each.
    QStringList many;
    for (int i = 0; i < 600; ++i) {
        const QString c = makeClientId(nsp, QStringLiteral("m%1").arg(i),
                                       i % 3 == 0   ? Platform::Ios
                                       : i % 3 == 1 ? Platform::Android
                                                    : Platform::Web,
                                       QStringLiteral("d%1").arg(i));
        many << c;
    }
    for (qsizetype i = 0; i < many.size(); i += 100)
        STORE_OK(CALL(Done, s->joinRooms(many.at(i), {QStringLiteral("r")}, cb)));
    auto big = CALL(QList<AckOutcome>, s->recordAcks(nsp, other->id, many + many, cb));
    STORE_OK(big);
    QCOMPARE(big->size(), 1200);
    int counted = 0;
    int targets = 0;
    for (const AckOutcome &o : big.value()) {
        counted += o.counted ? 1 : 0;
        targets += o.target ? 1 : 0;
    }
    QCOMPARE(counted, 6);
    QCOMPARE(targets, 12);
    rep = CALL(PushReport, s->getReport(nsp, other->id, false, cb));
    STORE_OK(rep);
    QCOMPARE(rep->ackCount, 6);
    // The members are m0, m100, ..., m500: two of each platform.
    QCOMPARE(rep->ackIOSCount, 2);
    QCOMPARE(rep->ackAndroidCount, 2);
    QCOMPARE(rep->ackWebCount, 2);
}

void TstStore::syncCounters()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    auto empty = CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 0, true, 100, 1 << 20, cb));
    STORE_OK(empty);
    QCOMPARE(empty->serverNum, 0);
    QVERIFY(empty->messages.isEmpty());

    QList<qint64> ids;
    for (int i = 0; i < 5; ++i) {
        auto r = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
        STORE_OK(r);
        QCOMPARE(r->serverNum, i);
        ids << r->id;
    }
    auto sync = CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 2, true, 100, 1 << 20, cb));
    STORE_OK(sync);
    QCOMPARE(sync->serverNum, 5);
    QCOMPARE(sync->messages.size(), 3);
    QCOMPARE(sync->messages[0].serverNum, 2);
    QCOMPARE(sync->messages[0].id, ids[2]);
    QCOMPARE(sync->messages[2].serverNum, 4);
    QCOMPARE(sync->messages[2].pushData, QByteArrayLiteral("{\"msg\":\"hi\"}"));

    auto limited = CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 0, true, 2, 1 << 20, cb));
    STORE_OK(limited);
    QCOMPARE(limited->messages.size(), 2);
    QCOMPARE(limited->messages[1].serverNum, 1);
    // A byte cap: pushData is 12 bytes each; 30 bytes hold two pushes, and
    // a cap below one push still returns the first (so a client can page on).
    auto twoByBytes = CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 0, true, 100, 30, cb));
    STORE_OK(twoByBytes);
    QCOMPARE(twoByBytes->messages.size(), 2);
    QCOMPARE(twoByBytes->messages[1].serverNum, 1);
    auto oneByBytes = CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 3, true, 100, 1, cb));
    STORE_OK(oneByBytes);
    QCOMPARE(oneByBytes->messages.size(), 1);
    QCOMPARE(oneByBytes->messages[0].serverNum, 3);

    auto noFetch =
        CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 0, false, 100, 1 << 20, cb));
    STORE_OK(noFetch);
    QCOMPARE(noFetch->serverNum, 5);
    QVERIFY(noFetch->messages.isEmpty());
    auto upToDate =
        CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 5, true, 100, 1 << 20, cb));
    STORE_OK(upToDate);
    QVERIFY(upToDate->messages.isEmpty());
}

void TstStore::offlineLists()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString a1 =
        makeClientId(nsp, QStringLiteral("u1"), Platform::Android, QStringLiteral("a1"));
    const QString a2 =
        makeClientId(nsp, QStringLiteral("u2"), Platform::Android, QStringLiteral("a2"));
    QList<qint64> ids;
    for (int i = 0; i < 5; ++i) {
        auto r = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
        STORE_OK(r);
        ids << r->id;
        STORE_OK(CALL(Done, s->addOfflineEntries(nsp, r->id, {a1}, 3, cb)));
    }
    STORE_OK(CALL(Done, s->addOfflineEntries(nsp, ids[0], {a2}, 3, cb)));
    STORE_OK(CALL(Done, s->addOfflineEntries(nsp, ids[0], {a2}, 3, cb))); // idempotent

    auto list = CALL(QList<PushMessage>, s->offlineMessages(a1, kAllBytes, cb));
    STORE_OK(list);
    QCOMPARE(list->size(), 3); // capped: the newest three
    QCOMPARE(list->at(0).id, ids[2]);
    QCOMPARE(list->at(1).id, ids[3]);
    QCOMPARE(list->at(2).id, ids[4]);
    QCOMPARE(list->at(2).room, QStringLiteral("r"));
    QCOMPARE(list->at(2).serverNum, 4);
    // A byte cap (pushData is 12 bytes each): the oldest that fit, at least one.
    auto capped = CALL(QList<PushMessage>, s->offlineMessages(a1, 30, cb));
    STORE_OK(capped);
    QCOMPARE(capped->size(), 2);
    QCOMPARE(capped->at(1).id, ids[3]);
    capped = CALL(QList<PushMessage>, s->offlineMessages(a1, 1, cb));
    STORE_OK(capped);
    QCOMPARE(capped->size(), 1);
    QCOMPARE(capped->at(0).id, ids[2]);

    auto l2 = CALL(QList<PushMessage>, s->offlineMessages(a2, kAllBytes, cb));
    STORE_OK(l2);
    QCOMPARE(l2->size(), 1);

    // An ack removes the entry, nothing else does.
    STORE_OK(CALL(AckOutcome, recordAck(s.get(), nsp, ids[3], a1, cb)));
    list = CALL(QList<PushMessage>, s->offlineMessages(a1, kAllBytes, cb));
    STORE_OK(list);
    QCOMPARE(list->size(), 2);
    QCOMPARE(list->at(0).id, ids[2]);
    QCOMPARE(list->at(1).id, ids[4]);
    list = CALL(QList<PushMessage>, s->offlineMessages(a1, kAllBytes, cb));
    STORE_OK(list);
    QCOMPARE(list->size(), 2);

    // A smaller cap on the next add trims to it.
    auto r = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    STORE_OK(r);
    STORE_OK(CALL(Done, s->addOfflineEntries(nsp, r->id, {a1}, 1, cb)));
    list = CALL(QList<PushMessage>, s->offlineMessages(a1, kAllBytes, cb));
    STORE_OK(list);
    QCOMPARE(list->size(), 1);
    QCOMPARE(list->at(0).id, r->id);

    STORE_ERR(CALL(Done, s->addOfflineEntries(nsp, r->id + 1000, {a1}, 3, cb)),
              ErrorCode::NotFound);
}

void TstStore::pendingRecipients()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString ios = makeClientId(nsp, QStringLiteral("u1"), Platform::Ios, QStringLiteral("i"));
    const QString a1 =
        makeClientId(nsp, QStringLiteral("u1"), Platform::Android, QStringLiteral("a1"));
    const QString a2 =
        makeClientId(nsp, QStringLiteral("u2"), Platform::Android, QStringLiteral("a2"));
    const QString a3 =
        makeClientId(nsp, QStringLiteral("u3"), Platform::Android, QStringLiteral("a3"));
    const QString a4 =
        makeClientId(nsp, QStringLiteral("u4"), Platform::Android, QStringLiteral("a4"));
    const QString web = makeClientId(nsp, QStringLiteral("u5"), Platform::Web, QStringLiteral("w"));
    for (const QString &c : {ios, a1, a2, a3, a4, web}) {
        ClientPatch p;
        p.connectTime = 10;
        if (c == ios)
            p.deviceToken = QStringLiteral("tok");
        STORE_OK(CALL(ClientInfo, s->updateClient(c, p, cb)));
        STORE_OK(CALL(Done, s->joinRooms(c, {QStringLiteral("r")}, cb)));
    }
    ClientPatch off;
    off.leaveMessage = false;
    STORE_OK(CALL(ClientInfo, s->updateClient(a3, off, cb)));
    PushRecord p = makePush(nsp, QStringLiteral("r"));
    p.exceptClient = a4;
    auto pushed = CALL(PushSaved, s->savePush(p, cb));
    STORE_OK(pushed);
    STORE_OK(CALL(AckOutcome, recordAck(s.get(), nsp, pushed->id, a2, cb)));

    auto rec = CALL(QList<ClientInfo>, s->pendingRecipients(nsp, pushed->id, cb));
    STORE_OK(rec);
    QCOMPARE(rec->size(), 2);
    QCOMPARE(rec->at(0).clientId, a1);
    QCOMPARE(rec->at(1).clientId, ios);
    QCOMPARE(rec->at(1).deviceToken, QStringLiteral("tok"));
    STORE_ERR(CALL(QList<ClientInfo>, s->pendingRecipients(nsp, pushed->id + 1000, cb)),
              ErrorCode::NotFound);
}

void TstStore::pushBatchWithOfflineAndJob()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    PushRecord p = makePush(nsp, QStringLiteral("r"));
    QStringList offline;
    for (int i = 0; i < 100; ++i)
        offline << makeClientId(nsp, QStringLiteral("u%1").arg(i), Platform::Android,
                                QStringLiteral("d%1").arg(i));
    p.offlineClientIds = offline;
    p.offlineLimit = 10;
    JobSpec job;
    job.nsp = nsp;
    job.kind = QStringLiteral("offline");
    job.payload = QByteArrayLiteral("{\"id\":1}");
    job.dueAt = nowMs() + 60000;
    p.followUp = job;
    auto pushed = CALL(PushSaved, s->savePush(p, cb));
    STORE_OK(pushed);
    for (const QString &c : {offline.first(), offline.last()}) {
        auto list = CALL(QList<PushMessage>, s->offlineMessages(c, kAllBytes, cb));
        STORE_OK(list);
        QCOMPARE(list->size(), 1);
        QCOMPARE(list->at(0).id, pushed->id);
    }
    auto none = CALL(QList<Job>, s->claimJobs(job.dueAt - 1, 10, 1000, cb));
    STORE_OK(none);
    QVERIFY(none->isEmpty());
    auto due = CALL(QList<Job>, s->claimJobs(job.dueAt, 10, 1000, cb));
    STORE_OK(due);
    QCOMPARE(due->size(), 1);
    QCOMPARE(due->at(0).nsp, nsp);
    QCOMPARE(due->at(0).kind, QStringLiteral("offline"));
    QCOMPARE(due->at(0).payload, job.payload);
    auto completed = CALL(bool, s->completeJob(nsp, due->at(0).id, cb));
    STORE_OK(completed);
    QVERIFY(completed.value());

    // An empty follow-up payload becomes the push's id.
    PushRecord q = makePush(nsp, QStringLiteral("r"));
    q.followUp = JobSpec{nsp, QStringLiteral("offline"), QByteArray(), job.dueAt};
    auto pushed2 = CALL(PushSaved, s->savePush(q, cb));
    STORE_OK(pushed2);
    due = CALL(QList<Job>, s->claimJobs(job.dueAt, 10, 1000, cb));
    STORE_OK(due);
    QCOMPARE(due->size(), 1);
    QCOMPARE(due->at(0).payload, QByteArray::number(pushed2->id));
}

void TstStore::ttlExpiry()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString a1 =
        makeClientId(nsp, QStringLiteral("u1"), Platform::Android, QStringLiteral("a1"));
    STORE_OK(CALL(Done, s->joinRooms(a1, {QStringLiteral("r")}, cb)));
    ClientPatch cp;
    cp.connectTime = 1;
    STORE_OK(CALL(ClientInfo, s->updateClient(a1, cp, cb)));

    auto longLived = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r"), 3600000), cb));
    STORE_OK(longLived);
    PushRecord p = makePush(nsp, QStringLiteral("r"), 600);
    p.offlineClientIds = {a1};
    auto shortLived = CALL(PushSaved, s->savePush(p, cb));
    STORE_OK(shortLived);
    STORE_OK(CALL(
        AckOutcome,
        recordAck(s.get(), nsp, shortLived->id,
                  makeClientId(nsp, QStringLiteral("w"), Platform::Web, QStringLiteral("w")), cb)));
    STORE_OK(CALL(PushReport, s->getReport(nsp, shortLived->id, true, cb)));
    auto list = CALL(QList<PushMessage>, s->offlineMessages(a1, kAllBytes, cb));
    STORE_OK(list);
    QCOMPARE(list->size(), 1);

    QTRY_VERIFY_WITH_TIMEOUT(!CALL(PushReport, s->getReport(nsp, shortLived->id, false, cb)).ok(),
                             10000);
    STORE_ERR(CALL(PushReport, s->getReport(nsp, shortLived->id, true, cb)), ErrorCode::NotFound);
    STORE_ERR(CALL(AckOutcome, recordAck(s.get(), nsp, shortLived->id, a1, cb)),
              ErrorCode::NotFound);
    STORE_ERR(CALL(QList<ClientInfo>, s->pendingRecipients(nsp, shortLived->id, cb)),
              ErrorCode::NotFound);
    list = CALL(QList<PushMessage>, s->offlineMessages(a1, kAllBytes, cb));
    STORE_OK(list);
    QVERIFY(list->isEmpty());
    auto sync = CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 0, true, 100, 1 << 20, cb));
    STORE_OK(sync);
    QCOMPARE(sync->serverNum, 2); // the counter stays
    QCOMPARE(sync->messages.size(), 1);
    QCOMPARE(sync->messages[0].id, longLived->id);
    auto reports = CALL(QList<PushReport>, s->listReports(nsp, 1, 10, cb));
    STORE_OK(reports);
    QCOMPARE(reports->size(), 1);
    QCOMPARE(reports->at(0).message.id, longLived->id);
    STORE_OK(CALL(PushReport, s->getReport(nsp, longLived->id, false, cb)));
}

void TstStore::concurrentCounters()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    // Two store instances on the same data (two nodes, or two connections to
    // one SQLite file), each with many pushes in flight.
    auto s2 = openStore(m_tag);
    QVERIFY(s2);
    constexpr int kPushes = 150;
    auto results = std::make_shared<QList<Result<PushSaved>>>();
    const qint64 sendDate = nowMs();
    for (int i = 0; i < kPushes; ++i) {
        PushRecord p = makePush(nsp, QStringLiteral("hot"));
        p.sendDate = sendDate;
        (i % 2 ? s2 : s)->savePush(p, [results](Result<PushSaved> r) {
            results->append(std::move(r));
        });
    }
    QTRY_COMPARE_WITH_TIMEOUT(results->size(), kPushes, 30000);
    std::set<qint64> ids, nums;
    for (const auto &r : std::as_const(*results)) {
        STORE_OK(r);
        ids.insert(r->id);
        nums.insert(r->serverNum);
    }
    QCOMPARE(int(ids.size()), kPushes);
    QCOMPARE(int(nums.size()), kPushes);
    QCOMPARE(*nums.begin(), 0);
    QCOMPARE(*nums.rbegin(), kPushes - 1);
    auto stats = CALL(MessageStats, s->messageStats(nsp, sendDate, cb));
    STORE_OK(stats);
    QCOMPARE(stats->minute, kPushes);

    // Concurrent acks, with duplicates, count each client once.
    const qint64 id = *ids.begin();
    auto acks = std::make_shared<QList<Result<AckOutcome>>>();
    constexpr int kClients = 40;
    for (int i = 0; i < kClients; ++i) {
        const QString c =
            makeClientId(nsp, QStringLiteral("u%1").arg(i),
                         i % 2 ? Platform::Ios : Platform::Android, QStringLiteral("d"));
        STORE_OK(CALL(Done, s->joinRooms(c, {QStringLiteral("hot")}, cb)));
    }
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < kClients; ++i) {
            recordAck(s.get(), nsp, id,
                      makeClientId(nsp, QStringLiteral("u%1").arg(i),
                                   i % 2 ? Platform::Ios : Platform::Android, QStringLiteral("d")),
                      [acks](Result<AckOutcome> r) { acks->append(std::move(r)); });
        }
    }
    QTRY_COMPARE_WITH_TIMEOUT(acks->size(), 3 * kClients, 30000);
    int counted = 0;
    for (const auto &r : std::as_const(*acks)) {
        STORE_OK(r);
        counted += r->counted ? 1 : 0;
    }
    QCOMPARE(counted, kClients);
    auto report = CALL(PushReport, s->getReport(nsp, id, false, cb));
    STORE_OK(report);
    QCOMPARE(report->ackCount, kClients);
    QCOMPARE(report->ackIOSCount, kClients / 2);
    QCOMPARE(report->ackAndroidCount, kClients / 2);
}

void TstStore::jobs()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const qint64 t0 = nowMs();
    JobSpec a{nsp, QStringLiteral("offline"), QByteArrayLiteral("a"), t0 + 1000};
    JobSpec b{nextNsp(), QStringLiteral("apns"), QByteArrayLiteral("b"), t0 + 2000};
    auto ida = CALL(qint64, s->enqueueJob(a, cb));
    STORE_OK(ida);
    auto idb = CALL(qint64, s->enqueueJob(b, cb));
    STORE_OK(idb);
    STORE_ERR(CALL(qint64, s->enqueueJob(JobSpec{}, cb)), ErrorCode::Invalid);

    auto claimed = CALL(QList<Job>, s->claimJobs(t0, 10, 5000, cb));
    STORE_OK(claimed);
    QVERIFY(claimed->isEmpty());
    claimed = CALL(QList<Job>, s->claimJobs(t0 + 1500, 10, 5000, cb));
    STORE_OK(claimed);
    QCOMPARE(claimed->size(), 1);
    QCOMPARE(claimed->at(0).id, ida.value());
    QCOMPARE(claimed->at(0).payload, QByteArrayLiteral("a"));
    QCOMPARE(claimed->at(0).attempts, 1);

    // Leased: not delivered again until the lease ends...
    claimed = CALL(QList<Job>, s->claimJobs(t0 + 3000, 10, 5000, cb));
    STORE_OK(claimed);
    QCOMPARE(claimed->size(), 1);
    QCOMPARE(claimed->at(0).id, idb.value());
    QCOMPARE(claimed->at(0).nsp, b.nsp);
    auto done = CALL(bool, s->completeJob(b.nsp, idb.value(), cb));
    STORE_OK(done);
    QCOMPARE(done.value(), true);
    // ...then delivered again (a worker died holding it). The lease runs on
    // the backend's clock: `now` for SQLite, the idle time of the stream
    // entry for Redis (here a lease of 100 ms, claimed at a `now` past the
    // first lease).
    const QList<Job> again = claimUntilSome(s.get(), t0 + 7000, 100);
    QCOMPARE(again.size(), 1);
    QCOMPARE(again.at(0).id, ida.value());
    QCOMPARE(again.at(0).attempts, 2);
    QCOMPARE(again.at(0).payload, QByteArrayLiteral("a"));

    done = CALL(bool, s->completeJob(nsp, ida.value(), cb));
    STORE_OK(done);
    QCOMPARE(done.value(), true);
    done = CALL(bool, s->completeJob(nsp, ida.value(), cb));
    STORE_OK(done);
    QCOMPARE(done.value(), false); // idempotent
    claimed = CALL(QList<Job>, s->claimJobs(t0 + 100000, 10, 5000, cb));
    STORE_OK(claimed);
    QVERIFY(claimed->isEmpty());

    // `max` bounds a claim.
    for (int i = 0; i < 5; ++i)
        STORE_OK(
            CALL(qint64,
                 s->enqueueJob(JobSpec{nsp, QStringLiteral("k"), QByteArray::number(i), t0}, cb)));
    claimed = CALL(QList<Job>, s->claimJobs(t0, 3, 5000, cb));
    STORE_OK(claimed);
    QCOMPARE(claimed->size(), 3);
    claimed = CALL(QList<Job>, s->claimJobs(t0, 3, 5000, cb));
    STORE_OK(claimed);
    QCOMPARE(claimed->size(), 2);
}

// A worker claims a job and dies (its store goes away without completing):
// another worker of the same deployment gets it after the lease, once, and a
// job completed by one of them is never delivered again.
void TstStore::jobClaimAfterCrash()
{
    const QString nsp = nextNsp();
    const qint64 t0 = nowMs();
    qint64 id = 0;
    {
        auto crashed = openStore();
        QVERIFY(crashed);
        auto queued =
            CALL(qint64, crashed->enqueueJob(JobSpec{nsp, QStringLiteral("offline"), "x", t0}, cb));
        STORE_OK(queued);
        id = queued.value();
        auto mine = CALL(QList<Job>, crashed->claimJobs(t0, 10, 300, cb));
        STORE_OK(mine);
        QCOMPARE(mine->size(), 1);
        QCOMPARE(mine->at(0).attempts, 1);
    } // gone without completeJob
    auto other = openStore();
    QVERIFY(other);
    const QList<Job> taken = claimUntilSome(other.get(), t0 + 1000, 300);
    QCOMPARE(taken.size(), 1);
    QCOMPARE(taken.at(0).id, id);
    QCOMPARE(taken.at(0).nsp, nsp);
    QCOMPARE(taken.at(0).attempts, 2);
    auto done = CALL(bool, other->completeJob(nsp, id, cb));
    STORE_OK(done);
    QVERIFY(done.value());
    // The dead worker's late completion (it was only stalled) finds it done.
    auto late = openStore();
    QVERIFY(late);
    done = CALL(bool, late->completeJob(nsp, id, cb));
    STORE_OK(done);
    QVERIFY(!done.value());
    // Never again, however long one waits.
    QTest::qWait(400);
    auto none = CALL(QList<Job>, late->claimJobs(t0 + 100000, 10, 1, cb));
    STORE_OK(none);
    QVERIFY(none->isEmpty());
}

// A job whose worker renews its claim is not taken over; once the renewals
// stop it is.
void TstStore::jobRenewKeepsClaim()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const qint64 lease = 3000;
    STORE_OK(CALL(qint64, s->enqueueJob(JobSpec{nsp, QStringLiteral("k"), "r", 0}, cb)));
    auto mine = CALL(QList<Job>, s->claimJobs(nowMs(), 10, lease, cb));
    STORE_OK(mine);
    QCOMPARE(mine->size(), 1);
    STORE_OK(CALL(Done, s->renewJobs(mine.value(), lease, cb)));
    auto none = CALL(QList<Job>, s->claimJobs(nowMs(), 10, lease, cb));
    STORE_OK(none);
    QVERIFY(none->isEmpty());
    const QList<Job> again = claimUntilSome(s.get(), -1, lease);
    QCOMPARE(again.size(), 1);
    QCOMPARE(again.at(0).id, mine->at(0).id);
    QCOMPARE(again.at(0).attempts, 2);
    // Renewing a completed job is harmless.
    STORE_OK(CALL(bool, s->completeJob(nsp, mine->at(0).id, cb)));
    STORE_OK(CALL(Done, s->renewJobs(again, lease, cb)));
}

// awaitJobs: a backend that waits for work (Redis) answers one call with a
// job enqueued after the call started and due later still; the others
// answer at once.
void TstStore::awaitJobs()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    if (!s->waitsForJobs()) {
        QVERIFY2(backend() != u"redis" && backend() != u"cluster",
                 "the Redis store waits for jobs");
        STORE_OK(CALL(qint64, s->enqueueJob(JobSpec{nsp, QStringLiteral("k"), "w", 0}, cb)));
        auto got = CALL(QList<Job>, s->awaitJobs(10, 60000, 60000, cb));
        STORE_OK(got);
        QCOMPARE(got->size(), 1);
        auto none = CALL(QList<Job>, s->awaitJobs(10, 60000, 60000, cb));
        STORE_OK(none);
        QVERIFY(none->isEmpty());
        return;
    }
    // Enqueued 100 ms into the wait, due 300 ms later: one call must return
    // it (the claim before blocking saw an empty queue, so only the wake-up
    // of the blocked read and the due-time timer can bring it).
    QTimer::singleShot(100, s.get(), [&s, nsp] {
        s->enqueueJob(JobSpec{nsp, QStringLiteral("k"), "w", nowMs() + 300}, [](Result<qint64>) {});
    });
    auto got = CALL(QList<Job>, s->awaitJobs(10, 60000, 15000, cb));
    STORE_OK(got);
    QCOMPARE(got->size(), 1);
    QCOMPARE(got->at(0).payload, QByteArrayLiteral("w"));
    QVERIFY(got->at(0).dueAt <= nowMs());
    STORE_OK(CALL(bool, s->completeJob(nsp, got->at(0).id, cb)));
    // Nothing there: the call comes back empty after its wait.
    auto none = CALL(QList<Job>, s->awaitJobs(10, 60000, 200, cb));
    STORE_OK(none);
    QVERIFY(none->isEmpty());
}

void TstStore::legacyClients()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString oldC =
        makeClientId(nsp, QStringLiteral("old"), Platform::Android, QStringLiteral("o"));
    const QString newC =
        makeClientId(nsp, QStringLiteral("new"), Platform::Android, QStringLiteral("n"));
    ClientPatch p;
    p.connectTime = 1000;
    STORE_OK(CALL(ClientInfo, s->updateClient(oldC, p, cb)));
    p.connectTime = 5000;
    STORE_OK(CALL(ClientInfo, s->updateClient(newC, p, cb)));
    ClientPatch d;
    d.disconnectTime = 9000; // disconnect counts as seen
    STORE_OK(CALL(ClientInfo, s->updateClient(newC, d, cb)));
    STORE_OK(CALL(Done, s->joinRooms(oldC, {QStringLiteral("r")}, cb)));
    STORE_OK(CALL(Done, s->joinRooms(newC, {QStringLiteral("r")}, cb)));
    auto pushed = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    STORE_OK(pushed);
    STORE_OK(CALL(Done, s->addOfflineEntries(nsp, pushed->id, {oldC, newC}, 10, cb)));

    auto removed = CALL(QStringList, s->removeLegacyClients(nsp, 6000, cb));
    STORE_OK(removed);
    QCOMPARE(removed.value(), QStringList{oldC});
    STORE_ERR(CALL(ClientInfo, s->getClient(oldC, cb)), ErrorCode::NotFound);
    STORE_OK(CALL(ClientInfo, s->getClient(newC, cb)));
    auto members = CALL(QStringList, s->roomMembers(nsp, QStringLiteral("r"), std::nullopt, cb));
    STORE_OK(members);
    QCOMPARE(members.value(), QStringList{newC});
    auto list = CALL(QList<PushMessage>, s->offlineMessages(oldC, kAllBytes, cb));
    STORE_OK(list);
    QVERIFY(list->isEmpty());
    auto count = CALL(qint64, s->countClients(nsp, cb));
    STORE_OK(count);
    QCOMPARE(count.value(), 1);
}

void TstStore::deleteNamespaceData()
{
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString keep = nextNsp();
    for (const QString &n : {nsp, keep}) {
        NamespaceRecord ns;
        ns.key = n;
        STORE_OK(CALL(Done, s->saveNamespace(ns, cb)));
    }
    QList<qint64> ids;
    for (const QString &n : {nsp, keep}) {
        const QString c =
            makeClientId(n, QStringLiteral("u"), Platform::Android, QStringLiteral("a"));
        ClientPatch p;
        p.connectTime = 1;
        STORE_OK(CALL(ClientInfo, s->updateClient(c, p, cb)));
        STORE_OK(CALL(Done, s->joinRooms(c, {QStringLiteral("r")}, cb)));
        PushRecord push = makePush(n, QStringLiteral("r"));
        push.offlineClientIds = {c};
        auto r = CALL(PushSaved, s->savePush(push, cb));
        STORE_OK(r);
        ids << r->id;
        STORE_OK(CALL(qint64, s->enqueueJob(JobSpec{n, QStringLiteral("k"), {}, 0}, cb)));
    }
    STORE_OK(CALL(Done, s->deleteNamespaceData(nsp, false, cb)));
    const QString c =
        makeClientId(nsp, QStringLiteral("u"), Platform::Android, QStringLiteral("a"));
    STORE_ERR(CALL(ClientInfo, s->getClient(c, cb)), ErrorCode::NotFound);
    STORE_ERR(CALL(PushReport, s->getReport(nsp, ids[0], false, cb)), ErrorCode::NotFound);
    auto members = CALL(QStringList, s->roomMembers(nsp, QStringLiteral("r"), std::nullopt, cb));
    STORE_OK(members);
    QVERIFY(members->isEmpty());
    auto offline = CALL(QList<PushMessage>, s->offlineMessages(c, kAllBytes, cb));
    STORE_OK(offline);
    QVERIFY(offline->isEmpty());
    auto sync = CALL(SyncResult, s->roomSync(nsp, QStringLiteral("r"), 0, true, 10, 1 << 20, cb));
    STORE_OK(sync);
    QCOMPARE(sync->serverNum, 0);
    auto stats = CALL(MessageStats, s->messageStats(nsp, nowMs(), cb));
    STORE_OK(stats);
    QCOMPARE(stats->day, 0);
    auto jobs = CALL(QList<Job>, s->claimJobs(nowMs(), 10, 1000, cb));
    STORE_OK(jobs);
    QCOMPARE(jobs->size(), 1);
    QCOMPARE(jobs->at(0).nsp, keep);
    STORE_OK(CALL(NamespaceRecord, s->getNamespace(nsp, cb))); // the namespace stays

    // The other namespace is untouched.
    STORE_OK(CALL(PushReport, s->getReport(keep, ids[1], false, cb)));
    auto keepCount = CALL(qint64, s->countClients(keep, cb));
    STORE_OK(keepCount);
    QCOMPARE(keepCount.value(), 1);

    STORE_OK(CALL(Done, s->deleteNamespaceData(nsp, true, cb)));
    STORE_ERR(CALL(NamespaceRecord, s->getNamespace(nsp, cb)), ErrorCode::NotFound);
    STORE_OK(CALL(NamespaceRecord, s->getNamespace(keep, cb)));
}

void TstStore::reopenKeepsData()
{
    const QString tag = m_tag;
    const QString nsp = nextNsp();
    qint64 id = 0;
    {
        auto s = openStore(tag);
        QVERIFY(s);
        auto r = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
        STORE_OK(r);
        id = r->id;
    }
    auto s = openStore(tag);
    QVERIFY(s);
    STORE_OK(CALL(PushReport, s->getReport(nsp, id, false, cb)));
    auto next = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    STORE_OK(next);
    QVERIFY(next->id > id);
    QCOMPARE(next->serverNum, 1);
}

// ------------------------------------------------------- backend-specific

// The WAL is copied into the database file by the checkpointer thread while
// the store runs (the writer's automatic checkpoint is off), and what was
// committed is all there after a reopen.
void TstStore::sqliteCheckpointsWhileRunning()
{
    if (backend() != u"sqlite")
        QSKIP("SQLite only");
    const QString path = m_tmp.path() + QStringLiteral("/checkpoint.db");
    constexpr int kPushes = 1500; // ~3 000 pages of 4 KiB: several checkpoints
    qint64 lastId = 0;
    {
        SqliteOptions o;
        o.path = path;
        o.synchronous = QStringLiteral("NORMAL");
        SqliteStore s(o);
        STORE_OK(CALL(Done, s.open(cb)));
        const qint64 before = QFileInfo(path).size();
        PushRecord p = makePush(QStringLiteral("/ckpt"), QStringLiteral("r"));
        p.pushData = QByteArray(6000, 'x');
        int saved = 0;
        for (int i = 0; i < kPushes; ++i)
            s.savePush(p, [&](Result<PushSaved> r) {
                if (r) {
                    ++saved;
                    lastId = std::max(lastId, r->id);
                }
            });
        QTRY_COMPARE_WITH_TIMEOUT(saved, kPushes, 60000);
        // 1 500 pushes of 6 KB are ~9 MB of pages: the database file holds
        // them once checkpoints ran, without the store being closed.
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(path).size() > before + 4 * 1024 * 1024, 30000);
    }
    SqliteOptions o;
    o.path = path;
    SqliteStore s(o);
    STORE_OK(CALL(Done, s.open(cb)));
    auto sync = CALL(SyncResult, s.roomSync(QStringLiteral("/ckpt"), QStringLiteral("r"), 0, false,
                                            1, kAllBytes, cb));
    STORE_OK(sync);
    QCOMPARE(sync->serverNum, kPushes);
    STORE_OK(CALL(PushReport, s.getReport(QStringLiteral("/ckpt"), lastId, false, cb)));
}

void TstStore::sqliteCorruptFile()
{
    if (backend() != u"sqlite")
        QSKIP("SQLite only");
    const QString path = m_tmp.path() + QStringLiteral("/corrupt.db");
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QByteArray junk(64 * 1024, 'x');
        f.write(junk);
    }
    SqliteOptions o;
    o.path = path;
    SqliteStore s(o);
    auto r = CALL(Done, s.open(cb));
    STORE_ERR(r, ErrorCode::Corrupt);
    QVERIFY2(r.error().message.contains(path), qPrintable(r.error().message));
    // Calls after a failed open fail cleanly.
    STORE_ERR(CALL(NamespaceRecord, s.getNamespace(QStringLiteral("/x"), cb)),
              ErrorCode::Unavailable);

    // A directory where the file should be.
    SqliteOptions d;
    d.path = m_tmp.path();
    SqliteStore s2(d);
    STORE_ERR(CALL(Done, s2.open(cb)), ErrorCode::Unavailable);
}

void TstStore::sqliteKill9Durability()
{
    if (backend() != u"sqlite")
        QSKIP("SQLite only");
    const QString path = m_tmp.path() + QStringLiteral("/kill9.db");
    QProcess child;
    child.setProcessChannelMode(QProcess::SeparateChannels);
    child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--sqlite-writer"), path});
    QVERIFY(child.waitForStarted(10000));
    // The child prints "<id> <serverNum>" after each acknowledged push. Kill
    // it with SIGKILL while it is still writing.
    QList<qint64> acknowledged;
    QByteArray buffer;
    QDeadlineTimer deadline(60000);
    while (acknowledged.size() < 300 && !deadline.hasExpired() &&
           child.state() == QProcess::Running) {
        child.waitForReadyRead(200);
        buffer += child.readAllStandardOutput();
        qsizetype nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
            const QByteArray line = buffer.left(nl);
            buffer.remove(0, nl + 1);
            acknowledged << line.split(' ').value(0).toLongLong();
        }
    }
    QCOMPARE(child.state(), QProcess::Running);
    ::kill(pid_t(child.processId()), SIGKILL);
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    // Lines that reached us before the kill are acknowledged writes too.
    buffer += child.readAllStandardOutput();
    for (const QByteArray &line : buffer.split('\n')) {
        if (line.endsWith("ok"))
            acknowledged << line.split(' ').value(0).toLongLong();
    }
    QVERIFY(acknowledged.size() >= 300);
    qInfo("child acknowledged %lld pushes before SIGKILL",
          static_cast<long long>(acknowledged.size()));

    SqliteOptions o;
    o.path = path;
    SqliteStore s(o);
    STORE_OK(CALL(Done, s.open(cb)));
    for (const qint64 id : std::as_const(acknowledged)) {
        if (id == 0)
            continue;
        auto r = CALL(PushReport, s.getReport(QStringLiteral("/kill"), id, false, cb));
        if (!r.ok())
            QFAIL(qPrintable(QStringLiteral("acknowledged push %1 lost: ").arg(id) +
                             r.error().toString()));
    }
    auto next =
        CALL(PushSaved, s.savePush(makePush(QStringLiteral("/kill"), QStringLiteral("r")), cb));
    STORE_OK(next);
    QVERIFY(next->id > *std::max_element(acknowledged.cbegin(), acknowledged.cend()));
}

void TstStore::redisRestart()
{
    if (backend() != u"redis")
        QSKIP("Redis single node only (the cluster row covers redirects)");
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    STORE_OK(CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb)));

    m_redis->stop();
    // While down: every call fails fast with Unavailable.
    QTRY_VERIFY_WITH_TIMEOUT(!CALL(qint64, s->countClients(nsp, cb)).ok(), 10000);
    QElapsedTimer t;
    t.start();
    auto down = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    STORE_ERR(down, ErrorCode::Unavailable);
    QVERIFY2(t.elapsed() < 2000, "a call while Redis is down must fail fast");
    STORE_ERR(CALL(NamespaceRecord, s->getNamespace(nsp, cb)), ErrorCode::Unavailable);

    QVERIFY2(m_redis->start(), qPrintable(m_redis->error()));
    // Recovery without a restart of the store.
    QTRY_VERIFY_WITH_TIMEOUT(CALL(qint64, s->countClients(nsp, cb)).ok(), 15000);
    auto after = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    STORE_OK(after);
    STORE_OK(CALL(PushReport, s->getReport(nsp, after->id, false, cb)));

    // The server forgot its scripts: NOSCRIPT is answered by re-sending them.
    QCOMPARE(
        qpush::test::redisCli(m_redis->port(), {QStringLiteral("SCRIPT"), QStringLiteral("FLUSH")}),
        QStringLiteral("OK"));
    auto afterFlush = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    STORE_OK(afterFlush);
    QCOMPARE(afterFlush->serverNum, after->serverNum + 1);
}

void TstStore::redisHung()
{
    if (backend() != u"redis")
        QSKIP("Redis single node only");
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    STORE_OK(CALL(qint64, s->countClients(nsp, cb)));
    // A server that accepts but never answers (SIGSTOP): the call fails with
    // Unavailable after the command timeout instead of hanging forever.
    QVERIFY(::kill(pid_t(m_redis->pid()), SIGSTOP) == 0);
    QElapsedTimer t;
    t.start();
    auto hung = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    const qint64 waited = t.elapsed();
    QVERIFY(::kill(pid_t(m_redis->pid()), SIGCONT) == 0);
    STORE_ERR(hung, ErrorCode::Unavailable);
    QVERIFY2(waited < 10000, qPrintable(QStringLiteral("waited %1 ms").arg(waited)));
    QTRY_VERIFY_WITH_TIMEOUT(CALL(qint64, s->countClients(nsp, cb)).ok(), 15000);
    STORE_OK(CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb)));
}

void TstStore::redisAuthAndSelect()
{
    if (backend() != u"redis")
        QSKIP("Redis single node only");
    qpush::test::RedisServer secured(m_tmp.path(), false);
    secured.setExtraArgs({QStringLiteral("--requirepass"), QStringLiteral("s3cret:pw")});
    QVERIFY2(secured.start(), qPrintable(secured.error()));
    RedisOptions o;
    o.addresses = {secured.address()};
    o.password = QStringLiteral("s3cret:pw");
    o.db = 3;
    o.prefix = QStringLiteral("auth_");
    {
        RedisStore s(o);
        STORE_OK(CALL(Done, s.open(cb)));
        NamespaceRecord ns;
        ns.key = QStringLiteral("/secure");
        STORE_OK(CALL(Done, s.saveNamespace(ns, cb)));
    }
    // Written with AUTH into database 3 (and only there).
    const QStringList auth{QStringLiteral("--no-auth-warning"), QStringLiteral("-a"),
                           QStringLiteral("s3cret:pw")};
    QVERIFY(
        qpush::test::redisCli(secured.port(),
                              auth + QStringList{QStringLiteral("-n"), QStringLiteral("3"),
                                                 QStringLiteral("HGET"), QStringLiteral("auth_ns"),
                                                 QStringLiteral("/secure")})
            .contains(u"/secure"));
    QCOMPARE(qpush::test::redisCli(secured.port(),
                                   auth + QStringList{QStringLiteral("-n"), QStringLiteral("0"),
                                                      QStringLiteral("EXISTS"),
                                                      QStringLiteral("auth_ns")}),
             QStringLiteral("0"));
    // A wrong password: open fails with Unavailable, no crash, no hang.
    o.password = QStringLiteral("wrong");
    o.reconnectMaxMs = 200;
    o.connectTimeoutMs = 1000;
    RedisStore bad(o);
    STORE_ERR(CALL(Done, bad.open(cb)), ErrorCode::Unavailable);
}

void TstStore::redisBadData()
{
    if (backend() != u"redis" && backend() != u"cluster")
        QSKIP("Redis only");
    auto s = openStore();
    QVERIFY(s);
    auto *rs = static_cast<RedisStore *>(s.get());
    const QString nsp = nextNsp();
    const QString client =
        makeClientId(nsp, QStringLiteral("u"), Platform::Web, QStringLiteral("w"));
    const quint16 port = backend() == u"redis" ? m_redis->port() : m_cluster->node(0).port();
    auto cli = [&](QStringList args) {
        if (backend() == u"cluster")
            args.prepend(QStringLiteral("-c")); // follow MOVED
        return qpush::test::redisCli(port, args);
    };
    // A key of the wrong type: a clear Corrupt error, no crash.
    QCOMPARE(cli({QStringLiteral("SET"),
                  QString::fromUtf8(rs->keyForTest(nsp, QStringLiteral("c:") + client)),
                  QStringLiteral("x")}),
             QStringLiteral("OK"));
    STORE_ERR(CALL(ClientInfo, s->getClient(client, cb)), ErrorCode::Corrupt);
    STORE_ERR(CALL(ClientInfo, s->updateClient(client, ClientPatch{}, cb)), ErrorCode::Corrupt);
    // A namespace document that is not JSON.
    QCOMPARE(
        cli({QStringLiteral("HSET"), m_tag + QStringLiteral("_ns"), nsp, QStringLiteral("{nope")}),
        QStringLiteral("1"));
    STORE_ERR(CALL(NamespaceRecord, s->getNamespace(nsp, cb)), ErrorCode::Corrupt);
    STORE_ERR(CALL(QList<NamespaceRecord>, s->listNamespaces(cb)), ErrorCode::Corrupt);
}

void TstStore::clusterSlotMigration()
{
    if (backend() != u"cluster")
        QSKIP("Redis Cluster only");
    auto s = openStore();
    QVERIFY(s);
    const QString nsp = nextNsp();
    const QString client =
        makeClientId(nsp, QStringLiteral("u"), Platform::Android, QStringLiteral("a"));
    ClientPatch p;
    p.connectTime = 42;
    STORE_OK(CALL(ClientInfo, s->updateClient(client, p, cb)));
    auto pushed = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    STORE_OK(pushed);

    // Every key of the namespace lives in the slot of its hash tag.
    auto *rs = static_cast<RedisStore *>(s.get());
    const QByteArray clientKey = rs->keyForTest(nsp, QStringLiteral("c:") + client);
    const int slot = redisKeySlot(clientKey);
    const int src = m_cluster->ownerOf(slot);
    QVERIFY(src >= 0);
    const int dst = (src + 1) % m_cluster->size();
    const QString srcId = m_cluster->nodeId(src), dstId = m_cluster->nodeId(dst);
    const quint16 srcPort = m_cluster->node(src).port(), dstPort = m_cluster->node(dst).port();
    using qpush::test::redisCli;
    const QString s_ = QString::number(slot);
    QCOMPARE(redisCli(dstPort, {QStringLiteral("CLUSTER"), QStringLiteral("SETSLOT"), s_,
                                QStringLiteral("IMPORTING"), srcId}),
             QStringLiteral("OK"));
    QCOMPARE(redisCli(srcPort, {QStringLiteral("CLUSTER"), QStringLiteral("SETSLOT"), s_,
                                QStringLiteral("MIGRATING"), dstId}),
             QStringLiteral("OK"));
    // Move every key of the slot; the source now answers ASK for them.
    const QStringList keys =
        redisCli(srcPort, {QStringLiteral("CLUSTER"), QStringLiteral("GETKEYSINSLOT"), s_,
                           QStringLiteral("1000")})
            .split(u'\n', Qt::SkipEmptyParts);
    QVERIFY(keys.contains(QString::fromUtf8(clientKey)));
    QStringList migrate{
        QStringLiteral("MIGRATE"), QStringLiteral("127.0.0.1"), QString::number(dstPort), QString(),
        QStringLiteral("0"),       QStringLiteral("5000"),      QStringLiteral("KEYS")};
    QCOMPARE(redisCli(srcPort, migrate + keys), QStringLiteral("OK"));

    auto during = CALL(ClientInfo, s->getClient(client, cb)); // ASK followed
    STORE_OK(during);
    QCOMPARE(during->lastConnectTime, 42);

    for (int i = 0; i < m_cluster->size(); ++i) {
        QCOMPARE(redisCli(m_cluster->node(i).port(),
                          {QStringLiteral("CLUSTER"), QStringLiteral("SETSLOT"), s_,
                           QStringLiteral("NODE"), dstId}),
                 QStringLiteral("OK"));
    }
    // The store's slot map is stale now: MOVED is followed and the map refreshed.
    auto after = CALL(ClientInfo, s->getClient(client, cb));
    STORE_OK(after);
    QCOMPARE(after->lastConnectTime, 42);
    STORE_OK(CALL(PushReport, s->getReport(nsp, pushed->id, false, cb)));
    auto next = CALL(PushSaved, s->savePush(makePush(nsp, QStringLiteral("r")), cb));
    STORE_OK(next);
    QCOMPARE(next->serverNum, 1);
    QVERIFY(m_cluster->waitConverged());
}

void TstStore::memoryFakeClockAndOutage()
{
    if (backend() != u"memory")
        QSKIP("memory store only");
    qpush::test::FakeClock clock;
    qpush::test::MemoryStore s(&clock);
    STORE_OK(CALL(Done, s.open(cb)));
    const QString nsp = nextNsp();
    const QString a1 =
        makeClientId(nsp, QStringLiteral("u1"), Platform::Android, QStringLiteral("a1"));
    PushRecord p = makePush(nsp, QStringLiteral("r"), 3600000);
    p.sendDate = clock.nowMs();
    p.offlineClientIds = {a1};
    auto pushed = CALL(PushSaved, s.savePush(p, cb));
    STORE_OK(pushed);
    auto r = CALL(PushReport, s.getReport(nsp, pushed->id, false, cb));
    STORE_OK(r);
    QCOMPARE(r->message.expireAt, clock.nowMs() + 3600000);

    // Answers are posted, never given inside the call.
    bool answered = false;
    s.countClients(nsp, [&answered](Result<qint64>) { answered = true; });
    QVERIFY(!answered);
    QTRY_VERIFY(answered);

    // One millisecond before the hour the push lives; at the hour it is gone.
    clock.advance(3600000 - 1);
    STORE_OK(CALL(PushReport, s.getReport(nsp, pushed->id, false, cb)));
    clock.advance(1);
    STORE_ERR(CALL(PushReport, s.getReport(nsp, pushed->id, false, cb)), ErrorCode::NotFound);
    auto offline = CALL(QList<PushMessage>, s.offlineMessages(a1, kAllBytes, cb));
    STORE_OK(offline);
    QVERIFY(offline->isEmpty());

    // An outage: every call answers Unavailable until the backend is back.
    QSignalSpy changed(&s, &Store::availabilityChanged);
    s.setAvailable(false);
    STORE_ERR(CALL(qint64, s.countClients(nsp, cb)), ErrorCode::Unavailable);
    s.setAvailable(true);
    STORE_OK(CALL(qint64, s.countClients(nsp, cb)));
    QCOMPARE(changed.size(), 2);
    QCOMPARE(changed.at(0).at(0).toBool(), false);
    QCOMPARE(changed.at(1).at(0).toBool(), true);
}

// --------------------------------------------------------------- entry

namespace {

/// Child half of sqliteKill9Durability: push forever, print each
/// acknowledged id; the parent kills us with SIGKILL.
int runSqliteWriter(const QString &path)
{
    SqliteOptions o;
    o.path = path;
    SqliteStore s(o);
    auto opened = await<Done>([&](Callback<Done> cb) { s.open(cb); });
    if (!opened.ok())
        return 2;
    int inFlight = 0;
    std::function<void()> pushOne = [&]() {
        ++inFlight;
        s.savePush(makePush(QStringLiteral("/kill"), QStringLiteral("r")),
                   [&](Result<PushSaved> r) {
                       --inFlight;
                       if (r.ok()) {
                           std::printf("%lld %lld ok\n", static_cast<long long>(r->id),
                                       static_cast<long long>(r->serverNum));
                           std::fflush(stdout);
                       }
                       pushOne();
                   });
    };
    for (int i = 0; i < 8; ++i)
        pushOne();
    QTimer::singleShot(120000, qApp, &QCoreApplication::quit); // bounded even if nobody kills us
    QCoreApplication::exec();
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc == 3 && qstrcmp(argv[1], "--sqlite-writer") == 0)
        return runSqliteWriter(QString::fromLocal8Bit(argv[2]));
    TstStore tc;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_store.moc"
