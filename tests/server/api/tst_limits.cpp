// The abuse limits' building blocks, driven by a fake clock: AuthThrottle
// (Basic-auth failures per address), TokenBucket (client event rate),
// LogGate (one log line per limit and interval) and CorsPolicy (SPEC §10).
#include "api/auththrottle.h"
#include "api/cors.h"
#include "shared/limits.h"

#include <QTest>

using namespace qpush;
using namespace qpush::api;

class TstLimits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void throttleBlocksAfterLimitAndBacksOff();
    void throttleOffWhenLimitIsZero();
    void throttleTableIsBounded();
    void tokenBucket();
    void logGate();
    void cors_data();
    void cors();
};

void TstLimits::throttleBlocksAfterLimitAndBacksOff()
{
    AuthThrottle t(3, 1000);
    const QString a = QStringLiteral("10.0.0.1"), b = QStringLiteral("10.0.0.2");
    qint64 now = 1'000'000;
    QCOMPARE(t.retryAfterSeconds(a, now), 0);
    QVERIFY(!t.recordFailure(a, now));
    QVERIFY(!t.recordFailure(a, now + 10));
    QVERIFY(t.recordFailure(a, now + 20)); // the third starts a back-off
    QCOMPARE(t.retryAfterSeconds(a, now + 20), 1);
    QCOMPARE(t.retryAfterSeconds(b, now + 20), 0); // other addresses untouched
    QVERIFY(!t.recordFailure(a, now + 30));        // failures while blocked do not count
    QCOMPARE(t.retryAfterSeconds(a, now + 1019), 1);
    QCOMPARE(t.retryAfterSeconds(a, now + 1020), 0);
    // Failing again right after the back-off doubles it.
    now += 1100;
    QVERIFY(!t.recordFailure(a, now));
    QVERIFY(!t.recordFailure(a, now + 1));
    QVERIFY(t.recordFailure(a, now + 2));
    QCOMPARE(t.retryAfterSeconds(a, now + 2), 2);
    // A quiet window forgives: the next back-off is the window again.
    now += 2002 + 5000;
    QVERIFY(!t.recordFailure(a, now));
    QVERIFY(!t.recordFailure(a, now + 1));
    QVERIFY(t.recordFailure(a, now + 2));
    QCOMPARE(t.retryAfterSeconds(a, now + 2), 1);
    // Failures spread over more than a window never block.
    AuthThrottle slow(3, 1000);
    for (int i = 0; i < 20; ++i)
        QVERIFY(!slow.recordFailure(a, now + i * 600));
}

void TstLimits::throttleOffWhenLimitIsZero()
{
    AuthThrottle t(0, 1000);
    for (int i = 0; i < 100; ++i)
        QVERIFY(!t.recordFailure(QStringLiteral("x"), 1000 + i));
    QCOMPARE(t.retryAfterSeconds(QStringLiteral("x"), 1100), 0);
    QCOMPARE(t.trackedAddresses(), 0);
}

void TstLimits::throttleTableIsBounded()
{
    AuthThrottle t(5, 1000);
    const qint64 now = 5000;
    for (int i = 0; i < 3 * int(AuthThrottle::kMaxAddresses); ++i)
        t.recordFailure(QStringLiteral("a%1").arg(i), now + i / 1000);
    QVERIFY(t.trackedAddresses() <= AuthThrottle::kMaxAddresses);
}

void TstLimits::tokenBucket()
{
    TokenBucket b(10, 10);
    qint64 now = 1000;
    for (int i = 0; i < 10; ++i)
        QVERIFY(b.take(now));
    QVERIFY(!b.take(now));
    QVERIFY(!b.take(now + 50));
    QVERIFY(b.take(now + 100)); // 10/s: one token per 100 ms
    QVERIFY(!b.take(now + 100));
    // Never more than the burst saved up.
    now += 60'000;
    for (int i = 0; i < 10; ++i)
        QVERIFY(b.take(now));
    QVERIFY(!b.take(now));
    TokenBucket off;
    for (int i = 0; i < 1000; ++i)
        QVERIFY(off.take(now));
}

void TstLimits::logGate()
{
    LogGate g(1000);
    qint64 suppressed = -1;
    QVERIFY(g.allow("a", 100, &suppressed));
    QCOMPARE(suppressed, 0);
    QVERIFY(!g.allow("a", 200));
    QVERIFY(!g.allow("a", 1099));
    QVERIFY(g.allow("b", 200)); // per limit
    QVERIFY(g.allow("a", 1100, &suppressed));
    QCOMPARE(suppressed, 2);
}

void TstLimits::cors_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<QByteArray>("allowOrigin"); // null: no header
    QTest::addColumn<bool>("credentials");

    const QByteArray listed = "https://console.example", other = "https://evil.example";
    QTest::newRow("auth, unlisted") << QByteArray("/api/auth/push") << other << other << false;
    QTest::newRow("auth, listed") << QByteArray("/api/auth/push") << listed << listed << true;
    QTest::newRow("auth, no origin")
        << QByteArray("/api/auth/push") << QByteArray() << QByteArray("*") << false;
    QTest::newRow("admin, unlisted")
        << QByteArray("/api/admin/namespace/list") << other << QByteArray() << false;
    QTest::newRow("admin, listed")
        << QByteArray("/api/admin/namespace/list") << listed << listed << true;
    QTest::newRow("admin, listed other case")
        << QByteArray("/api/admin/login") << QByteArray("HTTPS://Console.Example")
        << QByteArray("HTTPS://Console.Example") << true;
    QTest::newRow("admin, no origin")
        << QByteArray("/api/admin/login") << QByteArray() << QByteArray("*") << false;
}

void TstLimits::cors()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, origin);
    QFETCH(QByteArray, allowOrigin);
    QFETCH(bool, credentials);
    const CorsPolicy policy({QStringLiteral("https://console.example")});
    http::Request request;
    request.method = "GET";
    request.path = path;
    request.target = path;
    if (!origin.isEmpty())
        request.headers.append(http::Header{"origin", origin});
    request.headers.append(http::Header{"access-control-request-headers", "authorization"});
    auto find = [](const http::Headers &h, const QByteArray &name) {
        for (const http::Header &x : h)
            if (x.name == name)
                return x.value;
        return QByteArray();
    };
    for (const http::Headers &h :
         {policy.replyHeaders(request), policy.preflightHeaders(request, "Authorization")}) {
        QCOMPARE(find(h, "access-control-allow-origin"), allowOrigin);
        QCOMPARE(find(h, "access-control-allow-credentials"),
                 credentials ? QByteArray("true") : QByteArray());
    }
    // A preflight that is answered says what is allowed.
    const http::Headers pre = policy.preflightHeaders(request, "Authorization");
    QCOMPARE(find(pre, "access-control-allow-methods").isEmpty(), allowOrigin.isEmpty());
}

QTEST_GUILESS_MAIN(TstLimits)
#include "tst_limits.moc"
