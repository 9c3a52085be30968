// api::Router with the real REST routes over the in-memory store, fed requests
// built in memory (no socket): a detached net::Responder captures the status,
// headers and body it writes. Routing and its 404/405, Basic auth and its
// throttling per address, the one error-kind-to-status table, paging
// parameters and the CORS preflight (tests/support/domainfixture.h).
#include "support/domainfixture.h"

#include <QJsonArray>
#include <QTest>

using namespace qpush;
using namespace qpush::test;

namespace {
const QByteArray kAuth = DomainFixture::basic(QStringLiteral("/demo"), QStringLiteral("pw"));
}

class TstRouter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup() { m_d.reset(); }

    void routing_data();
    void routing();
    void everyReplyNamesTheServer();
    void parameterIsDecodedAfterMatching();
    void basicAuthRejection_data();
    void basicAuthRejection();
    void wrongCredentialsAreThrottledPerAddress();
    void errorKindsMapToStatuses_data();
    void errorKindsMapToStatuses();
    void storeOutageIs503();
    void reportPaging();
    void pagingParameters_data();
    void pagingParameters();
    void corsPreflight_data();
    void corsPreflight();
    void corsOnReplies();
    void malformedBodyIs400();

private:
    std::unique_ptr<DomainFixture> m_d;
};

void TstRouter::init()
{
    m_d = std::make_unique<DomainFixture>();
    QVERIFY(m_d->open());
    QVERIFY(m_d->saveNamespace(QStringLiteral("/demo"), QStringLiteral("pw")));
}

void TstRouter::routing_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("msg"); // empty: not checked (success)

    QTest::newRow("known GET") << QByteArray("GET") << QByteArray("/api/auth/namespace") << 200
                               << QString();
    QTest::newRow("trailing slash")
        << QByteArray("GET") << QByteArray("/api/auth/namespace/") << 200 << QString();
    QTest::newRow("query string ignored")
        << QByteArray("GET") << QByteArray("/api/auth/namespace?x=1") << 200 << QString();
    QTest::newRow("unknown path") << QByteArray("GET") << QByteArray("/api/auth/nope") << 404
                                  << QStringLiteral("no such path: /api/auth/nope");
    QTest::newRow("prefix of a route") << QByteArray("GET") << QByteArray("/api/auth") << 404
                                       << QStringLiteral("no such path: /api/auth");
    QTest::newRow("longer than a route")
        << QByteArray("GET") << QByteArray("/api/auth/namespacex") << 404
        << QStringLiteral("no such path: /api/auth/namespacex");
    QTest::newRow("POST on a GET route") << QByteArray("POST") << QByteArray("/api/auth/namespace")
                                         << 405 << QStringLiteral("method not allowed");
    QTest::newRow("GET on a POST route") << QByteArray("GET") << QByteArray("/api/auth/push") << 405
                                         << QStringLiteral("method not allowed");
    QTest::newRow("PUT") << QByteArray("PUT") << QByteArray("/api/auth/push") << 405
                         << QStringLiteral("method not allowed");
    QTest::newRow("parameter route") << QByteArray("GET") << QByteArray("/api/auth/report/push/7")
                                     << 404 << QStringLiteral("no report 7 in /demo");
    QTest::newRow("parameter with a slash")
        << QByteArray("GET") << QByteArray("/api/auth/report/push/7/8") << 404
        << QStringLiteral("no such path: /api/auth/report/push/7/8");
    QTest::newRow("parameter route, wrong method")
        << QByteArray("POST") << QByteArray("/api/auth/report/push/7") << 405
        << QStringLiteral("method not allowed");
}

void TstRouter::routing()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    QFETCH(QString, msg);
    const QByteArray body = method == "GET" ? QByteArray() : QByteArray("{}");
    const RouterReply r = m_d->send(DomainFixture::raw(
        method, target, {"Authorization: " + kAuth, "Content-Type: application/json"}, body));
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("content-type"), QByteArray("application/json; charset=utf-8"));
    if (msg.isEmpty()) {
        QCOMPARE(r.object().value(QStringLiteral("key")).toString(), QStringLiteral("/demo"));
        return;
    }
    QCOMPARE(r.object(),
             (QJsonObject{{QStringLiteral("code"), status}, {QStringLiteral("msg"), msg}}));
}

void TstRouter::everyReplyNamesTheServer()
{
    for (const QByteArray &target : {QByteArray("/api/nope"), QByteArray("/api/auth/namespace")}) {
        const RouterReply r = m_d->get(target, kAuth);
        QVERIFY2(r.header("server").startsWith("qpush/"), r.describe().toUtf8());
    }
}

void TstRouter::parameterIsDecodedAfterMatching()
{
    // An encoded '/' stays inside the parameter (it is matched before it is
    // decoded): "%2Fdemo" names the namespace "/demo", which is online, so a
    // delete is refused as a conflict, not as an unknown namespace.
    RouterReply r = m_d->get("/api/admin/namespace/del/%2Fdemo", DomainFixture::adminAuth());
    QCOMPARE(r.status, 409);
    r = m_d->get("/api/admin/namespace/del/demo", DomainFixture::adminAuth());
    QCOMPARE(r.status, 409);
    r = m_d->get("/api/admin/namespace/del/%2Fother", DomainFixture::adminAuth());
    QCOMPARE(r.status, 404);
}

void TstRouter::basicAuthRejection_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("auth");
    QTest::addColumn<QString>("msg");

    const QByteArray admin = DomainFixture::adminAuth();
    QTest::newRow("namespace route, none") << QByteArray("/api/auth/namespace") << QByteArray()
                                           << QStringLiteral("credentials required");
    QTest::newRow("namespace route, not Basic")
        << QByteArray("/api/auth/namespace") << QByteArray("Bearer abc")
        << QStringLiteral("credentials required");
    QTest::newRow("wrong password")
        << QByteArray("/api/auth/namespace")
        << DomainFixture::basic(QStringLiteral("/demo"), QStringLiteral("nope"))
        << QStringLiteral("wrong namespace or password");
    QTest::newRow("unknown namespace")
        << QByteArray("/api/auth/namespace")
        << DomainFixture::basic(QStringLiteral("/ghost"), QStringLiteral("pw"))
        << QStringLiteral("wrong namespace or password");
    QTest::newRow("admin credentials on a namespace route")
        << QByteArray("/api/auth/namespace") << admin
        << QStringLiteral("wrong namespace or password");
    QTest::newRow("admin route, none") << QByteArray("/api/admin/namespace/list") << QByteArray()
                                       << QStringLiteral("credentials required");
    QTest::newRow("namespace credentials on an admin route")
        << QByteArray("/api/admin/namespace/list") << kAuth
        << QStringLiteral("wrong admin name or password");
    QTest::newRow("wrong admin password")
        << QByteArray("/api/admin/namespace/list")
        << DomainFixture::basic(QStringLiteral("admin"), QStringLiteral("adminpx"))
        << QStringLiteral("wrong admin name or password");
}

void TstRouter::basicAuthRejection()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, auth);
    QFETCH(QString, msg);
    const RouterReply r = m_d->get(target, auth);
    QCOMPARE(r.status, 401);
    QCOMPARE(r.header("www-authenticate"), QByteArray("Basic realm=\"qpush\""));
    QCOMPARE(r.object(),
             (QJsonObject{{QStringLiteral("code"), 401}, {QStringLiteral("msg"), msg}}));
}

void TstRouter::wrongCredentialsAreThrottledPerAddress()
{
    m_d->rest.setAuthThrottle(3, 60000);
    const QByteArray wrong = DomainFixture::basic(QStringLiteral("/demo"), QStringLiteral("no"));
    for (int i = 0; i < 3; ++i)
        QCOMPARE(m_d->get("/api/auth/namespace", wrong, "198.51.100.7").status, 401);
    // Blocked: even the right password is refused, with Retry-After.
    RouterReply r = m_d->get("/api/auth/namespace", kAuth, "198.51.100.7");
    QCOMPARE(r.status, 429);
    QCOMPARE(r.object().value(QStringLiteral("code")).toInt(), 429);
    const int after = r.header("retry-after").toInt();
    QVERIFY2(after > 0 && after <= 60, r.header("retry-after"));
    // Another address is not affected.
    QCOMPARE(m_d->get("/api/auth/namespace", kAuth, "198.51.100.8").status, 200);
    // The back-off ends by the clock.
    m_d->clock.advance(qint64(after) * 1000);
    QCOMPARE(m_d->get("/api/auth/namespace", kAuth, "198.51.100.7").status, 200);
}

void TstRouter::errorKindsMapToStatuses_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("msg");
    using K = push::DomainError;
    QTest::newRow("Invalid") << int(K::Invalid) << 400 << QStringLiteral("m");
    QTest::newRow("Unauthorized") << int(K::Unauthorized) << 401 << QStringLiteral("m");
    QTest::newRow("Forbidden") << int(K::Forbidden) << 403 << QStringLiteral("m");
    QTest::newRow("NotFound") << int(K::NotFound) << 404 << QStringLiteral("m");
    QTest::newRow("Conflict") << int(K::Conflict) << 409 << QStringLiteral("m");
    QTest::newRow("TooLarge") << int(K::TooLarge) << 413 << QStringLiteral("m");
    QTest::newRow("RateLimited") << int(K::RateLimited) << 429 << QStringLiteral("m");
    QTest::newRow("Unavailable") << int(K::Unavailable) << 503
                                 << QStringLiteral("store unavailable: m");
    QTest::newRow("Internal") << int(K::Internal) << 500 << QStringLiteral("m");
}

void TstRouter::errorKindsMapToStatuses()
{
    QFETCH(int, kind);
    QFETCH(int, status);
    QFETCH(QString, msg);
    // A handler that answers a domain error as it comes: the status is the
    // reply's own table's (api/errors.cpp), nothing else picks it.
    m_d->router.get("/test/error", [kind](const api::Context &, api::Reply reply) {
        reply.error(push::DomainError{push::DomainError::Kind(kind), QStringLiteral("m")});
    });
    const RouterReply r = m_d->get("/test/error", {});
    QCOMPARE(r.status, status);
    QCOMPARE(r.object(),
             (QJsonObject{{QStringLiteral("code"), status}, {QStringLiteral("msg"), msg}}));
}

void TstRouter::storeOutageIs503()
{
    m_d->store.setAvailable(false);
    const RouterReply r = m_d->get("/api/auth/report/push", kAuth);
    QCOMPARE(r.status, 503);
    QCOMPARE(r.object().value(QStringLiteral("code")).toInt(), 503);
    QVERIFY2(r.object()
                 .value(QStringLiteral("msg"))
                 .toString()
                 .startsWith(QStringLiteral("store unavailable: ")),
             r.describe().toUtf8());
    m_d->store.setAvailable(true);
    QCOMPARE(m_d->get("/api/auth/report/push", kAuth).status, 200);
}

void TstRouter::reportPaging()
{
    QList<qint64> ids;
    for (int i = 0; i < 5; ++i) {
        const RouterReply r =
            m_d->post("/api/auth/push", kAuth,
                      {{QStringLiteral("room"), QStringLiteral("r")},
                       {QStringLiteral("pushData"), QJsonObject{{QStringLiteral("n"), i}}}});
        QVERIFY2(r.status == 200, r.describe().toUtf8());
        ids.append(qint64(r.object().value(QStringLiteral("id")).toDouble()));
        m_d->clock.advance(1000);
    }
    auto idsOf = [](const RouterReply &r) {
        QList<qint64> out;
        for (const QJsonValue &v : r.json().toArray())
            out.append(qint64(v.toObject().value(QStringLiteral("id")).toDouble()));
        return out;
    };
    // Newest first, `size` per page.
    RouterReply r = m_d->get("/api/auth/report/push?page=1&size=2", kAuth);
    QCOMPARE(r.status, 200);
    QCOMPARE(idsOf(r), (QList<qint64>{ids[4], ids[3]}));
    r = m_d->get("/api/auth/report/push?page=3&size=2", kAuth);
    QCOMPARE(idsOf(r), (QList<qint64>{ids[0]}));
    r = m_d->get("/api/auth/report/push?page=4&size=2", kAuth);
    QCOMPARE(r.status, 200);
    QVERIFY(idsOf(r).isEmpty());
    // Defaults: page 1, size 20.
    r = m_d->get("/api/auth/report/push", kAuth);
    QCOMPARE(idsOf(r).size(), 5);
}

void TstRouter::pagingParameters_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("msg");
    const QString reportSize = QStringLiteral("size must be a number from 1 to 500");
    const QString listSize = QStringLiteral("pageSize must be a number from 1 to 1000");
    const QString page = QStringLiteral("page must be a number from 1");
    QTest::newRow("report size 0")
        << QByteArray("/api/auth/report/push?size=0") << 400 << reportSize;
    QTest::newRow("report size 501")
        << QByteArray("/api/auth/report/push?size=501") << 400 << reportSize;
    QTest::newRow("report size 500")
        << QByteArray("/api/auth/report/push?size=500") << 200 << QString();
    QTest::newRow("report size x")
        << QByteArray("/api/auth/report/push?size=x") << 400 << reportSize;
    QTest::newRow("report page 0") << QByteArray("/api/auth/report/push?page=0") << 400 << page;
    QTest::newRow("report page -1") << QByteArray("/api/auth/report/push?page=-1") << 400 << page;
    QTest::newRow("list pageSize 1001")
        << QByteArray("/api/admin/namespace/list?pageSize=1001") << 400 << listSize;
    QTest::newRow("list pageSize 1000")
        << QByteArray("/api/admin/namespace/list?pageSize=1000") << 200 << QString();
    QTest::newRow("list page 0") << QByteArray("/api/admin/namespace/list?page=0") << 400 << page;
}

void TstRouter::pagingParameters()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    QFETCH(QString, msg);
    const QByteArray auth = target.startsWith("/api/admin/") ? DomainFixture::adminAuth() : kAuth;
    const RouterReply r = m_d->get(target, auth);
    QCOMPARE(r.status, status);
    if (!msg.isEmpty())
        QCOMPARE(r.object(),
                 (QJsonObject{{QStringLiteral("code"), status}, {QStringLiteral("msg"), msg}}));
}

void TstRouter::corsPreflight_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<QByteArray>("allowOrigin");      // null: no CORS headers at all
    QTest::addColumn<QByteArray>("allowCredentials"); // null: absent

    const QByteArray listed("https://console.example");
    const QByteArray other("https://elsewhere.example");
    QTest::newRow("auth, listed origin")
        << QByteArray("/api/auth/push") << listed << listed << QByteArray("true");
    QTest::newRow("auth, other origin")
        << QByteArray("/api/auth/push") << other << other << QByteArray();
    QTest::newRow("auth, no origin")
        << QByteArray("/api/auth/push") << QByteArray() << QByteArray("*") << QByteArray();
    QTest::newRow("admin, listed origin")
        << QByteArray("/api/admin/namespace/list") << listed << listed << QByteArray("true");
    QTest::newRow("admin, other origin")
        << QByteArray("/api/admin/namespace/list") << other << QByteArray() << QByteArray();
    QTest::newRow("unknown path, listed origin")
        << QByteArray("/api/auth/nope") << listed << listed << QByteArray("true");
}

void TstRouter::corsPreflight()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, origin);
    QFETCH(QByteArray, allowOrigin);
    QFETCH(QByteArray, allowCredentials);
    m_d->router.setCorsPolicy(api::CorsPolicy({QStringLiteral("https://console.example")}));
    QByteArrayList headers{"Access-Control-Request-Method: POST",
                           "Access-Control-Request-Headers: X-Custom"};
    if (!origin.isEmpty())
        headers.append("Origin: " + origin);
    // No credentials: a preflight never carries them.
    const RouterReply r = m_d->send(DomainFixture::raw("OPTIONS", target, headers));
    QCOMPARE(r.status, 204);
    QVERIFY(r.body.isEmpty());
    QCOMPARE(r.header("access-control-allow-origin"), allowOrigin);
    QCOMPARE(r.header("access-control-allow-credentials"), allowCredentials);
    if (allowOrigin.isNull())
        return;
    const QByteArray allowed = r.header("access-control-allow-headers").toLower();
    QVERIFY2(allowed.contains("authorization") && allowed.contains("content-type"), allowed);
    QVERIFY2(allowed.contains("x-custom"), allowed);
    QVERIFY2(r.header("access-control-allow-methods").contains("POST"),
             r.header("access-control-allow-methods"));
}

void TstRouter::corsOnReplies()
{
    m_d->router.setCorsPolicy(api::CorsPolicy({QStringLiteral("https://console.example")}));
    // A refused request still carries the CORS headers (the page can read the error).
    RouterReply r = m_d->send(
        DomainFixture::raw("GET", "/api/auth/namespace", {"Origin: https://other.example"}));
    QCOMPARE(r.status, 401);
    QCOMPARE(r.header("access-control-allow-origin"), QByteArray("https://other.example"));
    QVERIFY(!r.hasHeader("access-control-allow-credentials"));
    QCOMPARE(r.header("vary"), QByteArray("Origin"));
    // The admin side answers an unlisted origin with no CORS at all.
    r = m_d->send(DomainFixture::raw(
        "GET", "/api/admin/namespace/list",
        {"Origin: https://other.example", "Authorization: " + DomainFixture::adminAuth()}));
    QCOMPARE(r.status, 200);
    QVERIFY(!r.hasHeader("access-control-allow-origin"));
}

void TstRouter::malformedBodyIs400()
{
    RouterReply r = m_d->send(DomainFixture::raw(
        "POST", "/api/auth/push", {"Authorization: " + kAuth, "Content-Type: application/json"},
        "{not json"));
    QCOMPARE(r.status, 400);
    QVERIFY2(r.object()
                 .value(QStringLiteral("msg"))
                 .toString()
                 .startsWith(QStringLiteral("invalid JSON body")),
             r.describe().toUtf8());
    r = m_d->send(DomainFixture::raw("POST", "/api/auth/push",
                                     {"Authorization: " + kAuth, "Content-Type: application/json"},
                                     "[1,2]"));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.object().value(QStringLiteral("msg")).toString(),
             QStringLiteral("the body must be a JSON object"));
}

QTEST_GUILESS_MAIN(TstRouter)
#include "tst_router.moc"
