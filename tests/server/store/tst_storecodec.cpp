// The pure parts of the store: cluster key slots, client ids, DND edits,
// namespace documents, time buckets.

#include "store/codec.h"
#include "store/redis/redisclient.h"
#include "store/types.h"

#include <QTest>

using namespace qpush::store;

class TstStoreCodec : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void keySlot_data();
    void keySlot();
    void clientId_data();
    void clientId();
    void dndEdit_data();
    void dndEdit();
    void namespaceRoundTrip();
    void namespaceCorrupt_data();
    void namespaceCorrupt();
    void statBuckets();
};

void TstStoreCodec::keySlot_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<int>("slot");
    // Values from the Redis Cluster specification / CLUSTER KEYSLOT.
    QTest::newRow("crc16 check value") << QByteArray("123456789") << 12739;
    QTest::newRow("foo") << QByteArray("foo") << 12182;
    QTest::newRow("tag") << QByteArray("{user1000}.following") << 3443;
    QTest::newRow("same tag") << QByteArray("{user1000}.followers") << 3443;
    QTest::newRow("empty tag hashes whole key") << QByteArray("foo{}{bar}") << 8363;
    QTest::newRow("first open, next close") << QByteArray("foo{{bar}}zap") << 4015;
    QTest::newRow("first tag only") << QByteArray("foo{bar}{zap}") << 5061;
    QTest::newRow("bar") << QByteArray("bar") << 5061;
    QTest::newRow("no close") << QByteArray("{abc") << 444;
    QTest::newRow("namespace tag") << QByteArray("p_{/demo}m:1") << 11978;
    QTest::newRow("namespace tag, other key") << QByteArray("q_{/demo}c:/demo#u#web-1") << 11978;
}

void TstStoreCodec::keySlot()
{
    QFETCH(QByteArray, key);
    QFETCH(int, slot);
    QCOMPARE(redisKeySlot(key), slot);
}

void TstStoreCodec::clientId_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<QString>("userid");
    QTest::addColumn<QString>("platform");
    QTest::addColumn<QString>("uuid");
    QTest::newRow("ios") << QStringLiteral("/demo#u1#ios-dev7") << true << QStringLiteral("/demo")
                         << QStringLiteral("u1") << QStringLiteral("ios") << QStringLiteral("dev7");
    QTest::newRow("uuid with dash")
        << QStringLiteral("/d#u#android-a-b") << true << QStringLiteral("/d") << QStringLiteral("u")
        << QStringLiteral("android") << QStringLiteral("a-b");
    QTest::newRow("userid with #")
        << QStringLiteral("/d#a#b#web-x") << true << QStringLiteral("/d") << QStringLiteral("a#b")
        << QStringLiteral("web") << QStringLiteral("x");
    QTest::newRow("unknown platform")
        << QStringLiteral("/d#u#pc-1") << false << QString() << QString() << QString() << QString();
    QTest::newRow("no uuid") << QStringLiteral("/d#u#web-") << false << QString() << QString()
                             << QString() << QString();
    QTest::newRow("no slash") << QStringLiteral("d#u#web-1") << false << QString() << QString()
                              << QString() << QString();
    QTest::newRow("two parts") << QStringLiteral("/d#web-1") << false << QString() << QString()
                               << QString() << QString();
    QTest::newRow("empty") << QString() << false << QString() << QString() << QString()
                           << QString();
}

void TstStoreCodec::clientId()
{
    QFETCH(QString, id);
    QFETCH(bool, valid);
    const auto p = parseClientId(id);
    QCOMPARE(p.has_value(), valid);
    if (!valid)
        return;
    QFETCH(QString, nsp);
    QFETCH(QString, userid);
    QFETCH(QString, platform);
    QFETCH(QString, uuid);
    QCOMPARE(p->nsp, nsp);
    QCOMPARE(p->userid, userid);
    QCOMPARE(platformName(p->platform), platform);
    QCOMPARE(p->uuid, uuid);
    QCOMPARE(makeClientId(p->nsp, p->userid, p->platform, p->uuid), id);
}

void TstStoreCodec::dndEdit_data()
{
    QTest::addColumn<QString>("current");
    QTest::addColumn<QStringList>("add");
    QTest::addColumn<QStringList>("remove");
    QTest::addColumn<QString>("expected");
    QTest::newRow("add to empty") << QString()
                                  << QStringList{QStringLiteral("a"), QStringLiteral("b")}
                                  << QStringList{} << QStringLiteral("a,b");
    QTest::newRow("no duplicates")
        << QStringLiteral("a")
        << QStringList{QStringLiteral("b"), QStringLiteral("a"), QStringLiteral("b")}
        << QStringList{} << QStringLiteral("a,b");
    QTest::newRow("remove wins") << QStringLiteral("a") << QStringList{QStringLiteral("b")}
                                 << QStringList{QStringLiteral("b"), QStringLiteral("a")}
                                 << QString();
    QTest::newRow("keeps order") << QStringLiteral("c,a,b") << QStringList{QStringLiteral("d")}
                                 << QStringList{QStringLiteral("a")} << QStringLiteral("c,b,d");
    QTest::newRow("remove unknown") << QStringLiteral("a") << QStringList{}
                                    << QStringList{QStringLiteral("x")} << QStringLiteral("a");
}

void TstStoreCodec::dndEdit()
{
    QFETCH(QString, current);
    QFETCH(QStringList, add);
    QFETCH(QStringList, remove);
    QFETCH(QString, expected);
    QCOMPARE(joinDnd(applyDndEdit(splitDnd(current), add, remove)), expected);
}

void TstStoreCodec::namespaceRoundTrip()
{
    NamespaceRecord ns;
    ns.key = QStringLiteral("/demo");
    ns.name = QStringLiteral("Démo ✓ with spaces");
    ns.authPasswd = QStringLiteral("a:b:c");
    ns.connectCallback = QStringLiteral("http://127.0.0.1:9/cb");
    ns.disconnectCallback = QStringLiteral("http://127.0.0.1:9/dc");
    ns.callbackAuth = QStringLiteral("Bearer x");
    ns.offline = true;
    ns.updateDate = 1700000000123;
    ns.clientIp = QStringLiteral("::1");
    ApnsEntry e;
    e.name = QStringLiteral("default");
    e.apnsEnv = QStringLiteral("production");
    e.apnsExpiration = 86400;
    e.apnsProductionCert = QStringLiteral("-----BEGIN CERTIFICATE-----\n...");
    e.tokenKeyId = QStringLiteral("KEY");
    e.tokenTeamId = QStringLiteral("TEAM");
    ns.apnsList = {e, ApnsEntry{}};
    const auto back = namespaceFromJson(namespaceToJson(ns));
    QVERIFY(back.ok());
    QVERIFY(back.value() == ns);
}

void TstStoreCodec::namespaceCorrupt_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("not json") << QByteArray("{nope");
    QTest::newRow("array") << QByteArray("[1,2]");
    QTest::newRow("no key") << QByteArray("{\"name\":\"x\"}");
    QTest::newRow("empty") << QByteArray();
}

void TstStoreCodec::namespaceCorrupt()
{
    QFETCH(QByteArray, json);
    const auto r = namespaceFromJson(json);
    QVERIFY(!r.ok());
    QCOMPARE(int(r.error().code), int(ErrorCode::Corrupt));
}

void TstStoreCodec::statBuckets()
{
    const StatBuckets b =
        qpush::store::statBuckets(86400000LL * 3 + 3600000LL * 2 + 60000LL * 5 + 59999);
    QCOMPARE(b.day, 3);
    QCOMPARE(b.hour, 3 * 24 + 2);
    QCOMPARE(b.minute, (3 * 24 + 2) * 60 + 5);
}

QTEST_GUILESS_MAIN(TstStoreCodec)
#include "tst_storecodec.moc"
