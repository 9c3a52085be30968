// net::clientAddress (who a request comes from behind trusted proxies),
// Cidr parsing and the handshake RateLimiter: pure helpers, data-driven.
#include "net/clientaddress.h"
#include "net/ratelimiter.h"

#include <QTest>

using namespace qpush::net;

class TestClientAddress : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cidr_data();
    void cidr();
    void clientAddress_data();
    void clientAddress();
    void rateLimiter();
    void rateLimiterBoundedTable();
};

void TestClientAddress::cidr_data()
{
    QTest::addColumn<QString>("cidr");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("address");
    QTest::addColumn<bool>("contains");
    QTest::newRow("v4 /8 in") << "10.0.0.0/8" << true << "10.200.3.4" << true;
    QTest::newRow("v4 /8 out") << "10.0.0.0/8" << true << "11.0.0.1" << false;
    QTest::newRow("single v4") << "127.0.0.1" << true << "127.0.0.1" << true;
    QTest::newRow("single v4 other") << "127.0.0.1" << true << "127.0.0.2" << false;
    QTest::newRow("mapped peer") << "192.168.0.0/16" << true << "::ffff:192.168.1.1" << true;
    QTest::newRow("v6") << "fd00::/8" << true << "fd12::1" << true;
    QTest::newRow("v6 out") << "fd00::/8" << true << "fe80::1" << false;
    QTest::newRow("v4 block, v6 address") << "0.0.0.0/0" << true << "::1" << false;
    QTest::newRow("spaces") << " 10.0.0.0/8 " << true << "10.1.1.1" << true;
    QTest::newRow("bad prefix") << "10.0.0.0/33" << false << "" << false;
    QTest::newRow("bad address") << "10.0.0.256/8" << false << "" << false;
    QTest::newRow("host name") << "proxy.local" << false << "" << false;
    QTest::newRow("empty") << "" << false << "" << false;
}

void TestClientAddress::cidr()
{
    QFETCH(QString, cidr);
    QFETCH(bool, valid);
    QFETCH(QString, address);
    QFETCH(bool, contains);
    const std::optional<Cidr> c = Cidr::parse(cidr);
    QCOMPARE(c.has_value(), valid);
    if (c)
        QCOMPARE(c->contains(QHostAddress(address)), contains);
    QString error;
    QCOMPARE(parseCidrs({QStringLiteral("::1"), cidr}, &error).has_value(), valid);
    QCOMPARE(error.isEmpty(), valid);
}

void TestClientAddress::clientAddress_data()
{
    QTest::addColumn<QString>("peer");
    QTest::addColumn<QByteArray>("xff");
    QTest::addColumn<QStringList>("trusted");
    QTest::addColumn<QString>("expected");
    const QStringList local{QStringLiteral("127.0.0.1"), QStringLiteral("10.0.0.0/8")};
    QTest::newRow("no proxies: header ignored")
        << "203.0.113.5" << QByteArray("1.2.3.4") << QStringList() << "203.0.113.5";
    QTest::newRow("untrusted peer: header ignored")
        << "203.0.113.5" << QByteArray("1.2.3.4") << local << "203.0.113.5";
    QTest::newRow("trusted peer, one entry")
        << "127.0.0.1" << QByteArray("198.51.100.7") << local << "198.51.100.7";
    QTest::newRow("client-forged entries left of the real one")
        << "127.0.0.1" << QByteArray("6.6.6.6, 7.7.7.7, 198.51.100.7") << local << "198.51.100.7";
    QTest::newRow("chain of trusted proxies")
        << "127.0.0.1" << QByteArray("198.51.100.7, 10.1.2.3, 10.9.9.9") << local << "198.51.100.7";
    QTest::newRow("all trusted: leftmost")
        << "127.0.0.1" << QByteArray("10.1.1.1, 10.2.2.2") << local << "10.1.1.1";
    QTest::newRow("no header: the proxy") << "127.0.0.1" << QByteArray() << local << "127.0.0.1";
    QTest::newRow("garbage: last trusted hop")
        << "127.0.0.1" << QByteArray("198.51.100.7, nonsense, 10.1.1.1") << local << "10.1.1.1";
    QTest::newRow("with port") << "127.0.0.1" << QByteArray("198.51.100.7:4711") << local
                               << "198.51.100.7";
    QTest::newRow("v6 with port") << "127.0.0.1" << QByteArray("[2001:db8::1]:443") << local
                                  << "2001:db8::1";
    QTest::newRow("v6 bare") << "127.0.0.1" << QByteArray("2001:db8::2") << local << "2001:db8::2";
    QTest::newRow("mapped peer") << "::ffff:127.0.0.1" << QByteArray("198.51.100.8") << local
                                 << "198.51.100.8";
    QTest::newRow("empty items") << "127.0.0.1" << QByteArray(" , 198.51.100.9 , ") << local
                                 << "198.51.100.9";
}

void TestClientAddress::clientAddress()
{
    QFETCH(QString, peer);
    QFETCH(QByteArray, xff);
    QFETCH(QStringList, trusted);
    QFETCH(QString, expected);
    const QList<Cidr> t = parseCidrs(trusted).value();
    QCOMPARE(qpush::net::clientAddress(QHostAddress(peer), xff, t), QHostAddress(expected));
}

void TestClientAddress::rateLimiter()
{
    RateLimiter r(10, 3); // 10/s, burst 3
    const QByteArray a("a"), b("b");
    QVERIFY(r.tryAcquire(a, 0));
    QVERIFY(r.tryAcquire(a, 0));
    QVERIFY(r.tryAcquire(a, 0));
    QVERIFY(!r.tryAcquire(a, 0));  // burst spent
    QVERIFY(r.tryAcquire(b, 0));   // other keys are independent
    QVERIFY(!r.tryAcquire(a, 50)); // half a token
    QVERIFY(r.tryAcquire(a, 100)); // one token after 100 ms
    QVERIFY(!r.tryAcquire(a, 100));
    QVERIFY(r.tryAcquire(a, 10000)); // refilled, capped at the burst
    QVERIFY(r.tryAcquire(a, 10000));
    QVERIFY(r.tryAcquire(a, 10000));
    QVERIFY(!r.tryAcquire(a, 10000));
    RateLimiter off(0, 0);
    QVERIFY(!off.enabled());
    for (int i = 0; i < 100; ++i)
        QVERIFY(off.tryAcquire(a, 0));
}

void TestClientAddress::rateLimiterBoundedTable()
{
    RateLimiter r(1, 1, 100);
    for (int i = 0; i < 100; ++i)
        QVERIFY(r.tryAcquire(QByteArray::number(i), 0));
    QCOMPARE(r.size(), 100);
    // Full of buckets that are still empty: new keys are refused.
    QVERIFY(!r.tryAcquire("new", 10));
    QCOMPARE(r.size(), 100);
    // Once they have refilled they are dropped to make room.
    QVERIFY(r.tryAcquire("new", 5000));
    QCOMPARE(r.size(), 1);
}

QTEST_GUILESS_MAIN(TestClientAddress)
#include "tst_clientaddress.moc"
