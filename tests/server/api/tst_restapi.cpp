// The REST API in-process (the real Application over the in-memory store and
// a fake clock, tests/support/inprocessserver.h): Basic auth, the mapping of
// errors to statuses and {code, msg} bodies, paging, CORS preflight, write-only
// secrets, client routes, and the legacy-client cutoff moved by the clock.

#include "support/inprocessserver.h"

#include <QTest>

using namespace qpush::test;

namespace {
constexpr qint64 kHourMs = 3600 * 1000;
}

class TstRestApi : public QObject
{
    Q_OBJECT

private:
    QJsonObject pushTo(const QString &room);

    std::unique_ptr<InProcessServer> m_server;
    Credentials m_auth;
    Credentials m_admin;

private Q_SLOTS:
    void initTestCase();
    void basicAuth_data();
    void basicAuth();
    void errorsAreStatusesWithCodeAndMsg_data();
    void errorsAreStatusesWithCodeAndMsg();
    void foreignIdsAreNotFound();
    void storeUnavailableIs503();
    void reportPaging();
    void namespaceListPaging();
    void corsPreflightNeedsNoCredentials();
    void secretsAreWriteOnly();
    void clientReadAndWrite();
    void destructiveAdminCallsNeedOffline();
    void legacyClientsByTheClock();
    void messageStatsByTheClock();
};

void TstRestApi::initTestCase()
{
    // An admin password with ':' (SPEC §4).
    m_server = std::make_unique<InProcessServer>(QStringList{}, QStringLiteral("ad:min:pw"));
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    m_admin = m_server->admin();
    m_auth = m_server->createNamespace(QStringLiteral("/rest"));
    m_server->createNamespace(QStringLiteral("/other"),
                              QJsonObject{{QStringLiteral("auth_passwd"), QStringLiteral("pw2")}});
}

QJsonObject TstRestApi::pushTo(const QString &room)
{
    return m_server
        ->api("POST", QStringLiteral("/api/auth/push"), m_auth,
              QJsonObject{{QStringLiteral("room"), room},
                          {QStringLiteral("pushData"), QJsonObject{}}})
        .object();
}

void TstRestApi::basicAuth_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<bool>("bare");
    QTest::addColumn<int>("status");

    const QString ns = QStringLiteral("/api/auth/namespace");
    QTest::newRow("auth: none") << QByteArray("GET") << ns << QString() << QString() << false
                                << 401;
    QTest::newRow("auth: right") << QByteArray("GET") << ns << QStringLiteral("/rest")
                                 << QStringLiteral("secret") << false << 200;
    QTest::newRow("auth: bare base64") << QByteArray("GET") << ns << QStringLiteral("/rest")
                                       << QStringLiteral("secret") << true << 200;
    QTest::newRow("auth: wrong password") << QByteArray("GET") << ns << QStringLiteral("/rest")
                                          << QStringLiteral("secreT") << false << 401;
    QTest::newRow("auth: password prefix") << QByteArray("GET") << ns << QStringLiteral("/rest")
                                           << QStringLiteral("secre") << false << 401;
    QTest::newRow("auth: unknown namespace") << QByteArray("GET") << ns << QStringLiteral("/nope")
                                             << QStringLiteral("secret") << false << 401;
    QTest::newRow("auth: another namespace's password")
        << QByteArray("GET") << ns << QStringLiteral("/rest") << QStringLiteral("pw2") << false
        << 401;
    QTest::newRow("auth: admin credentials") << QByteArray("GET") << ns << QStringLiteral("admin")
                                             << QStringLiteral("ad:min:pw") << false << 401;
    QTest::newRow("auth login") << QByteArray("POST") << QStringLiteral("/api/auth/login")
                                << QStringLiteral("/rest") << QStringLiteral("secret") << false
                                << 200;
    const QString login = QStringLiteral("/api/admin/login");
    QTest::newRow("admin: right, ':' in the password")
        << QByteArray("POST") << login << QStringLiteral("admin") << QStringLiteral("ad:min:pw")
        << false << 200;
    QTest::newRow("admin: part before ':'")
        << QByteArray("POST") << login << QStringLiteral("admin") << QStringLiteral("ad") << false
        << 401;
    QTest::newRow("admin: trailing ':'") << QByteArray("POST") << login << QStringLiteral("admin")
                                         << QStringLiteral("ad:min:pw:") << false << 401;
    QTest::newRow("admin: namespace credentials")
        << QByteArray("POST") << login << QStringLiteral("/rest") << QStringLiteral("secret")
        << false << 401;
    QTest::newRow("admin: none") << QByteArray("GET") << QStringLiteral("/api/admin/namespace/list")
                                 << QString() << QString() << false << 401;
}

void TstRestApi::basicAuth()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(bool, bare);
    QFETCH(int, status);
    const ApiResponse r =
        m_server->api(method, path, Credentials{user, password, bare},
                      method == "POST" ? QJsonValue(QJsonObject()) : QJsonValue());
    QVERIFY2(r.status == status, qPrintable(r.describe()));
    QVERIFY2(r.headers.value("content-type").startsWith("application/json"),
             r.headers.value("content-type").constData());
    if (status == 401) {
        QVERIFY(r.headers.value("www-authenticate").startsWith("Basic"));
        QCOMPARE(r.object().value(QStringLiteral("code")).toInt(), 401);
        QVERIFY(!r.object().value(QStringLiteral("msg")).toString().isEmpty());
    } else if (path.endsWith(u"login")) {
        QCOMPARE(r.json, QJsonValue(QJsonObject())); // `{}`
    }
}

void TstRestApi::errorsAreStatusesWithCodeAndMsg_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");

    const QString push = QStringLiteral("/api/auth/push");
    QTest::newRow("unknown path") << QByteArray("GET") << QStringLiteral("/api/auth/nope")
                                  << QByteArray() << 404;
    QTest::newRow("wrong method") << QByteArray("GET") << push << QByteArray() << 405;
    QTest::newRow("body not JSON") << QByteArray("POST") << push << QByteArray("{room:") << 400;
    QTest::newRow("body an array") << QByteArray("POST") << push << QByteArray("[1]") << 400;
    QTest::newRow("room missing") << QByteArray("POST") << push << QByteArray(R"({"pushData":{}})")
                                  << 400;
    QTest::newRow("room a number")
        << QByteArray("POST") << push << QByteArray(R"({"room":1,"pushData":{}})") << 400;
    QTest::newRow("room invalid") << QByteArray("POST") << push
                                  << QByteArray(R"({"room":"a b","pushData":{}})") << 400;
    QTest::newRow("pushData a string")
        << QByteArray("POST") << push << QByteArray(R"({"room":"r","pushData":"x"})") << 400;
    QTest::newRow("expire 0") << QByteArray("POST") << push
                              << QByteArray(R"({"room":"r","pushData":{},"expire":0})") << 400;
    QTest::newRow("expire over max")
        << QByteArray("POST") << push << QByteArray(R"({"room":"r","pushData":{},"expire":11})")
        << 400;
    QTest::newRow("expire a string")
        << QByteArray("POST") << push << QByteArray(R"({"room":"r","pushData":{},"expire":"2"})")
        << 400;
    QTest::newRow("leaveMessage a string")
        << QByteArray("POST") << push
        << QByteArray(R"({"room":"r","pushData":{},"leaveMessage":"true"})") << 400;
    QTest::newRow("except a number")
        << QByteArray("POST") << push << QByteArray(R"({"room":"r","pushData":{},"except":3})")
        << 400;
    QTest::newRow("unknown report")
        << QByteArray("GET") << QStringLiteral("/api/auth/report/push/987654321") << QByteArray()
        << 404;
    QTest::newRow("transfer without type")
        << QByteArray("POST") << QStringLiteral("/api/auth/transfer")
        << QByteArray(R"({"sourceRooms":["a"],"targetRoom":"b"})") << 400;
    QTest::newRow("transfer sourceRooms a string")
        << QByteArray("POST") << QStringLiteral("/api/auth/transfer")
        << QByteArray(R"({"sourceRooms":"a","targetRoom":"b","type":"join"})") << 400;
    QTest::newRow("client without id")
        << QByteArray("POST") << QStringLiteral("/api/auth/client") << QByteArray(R"({})") << 400;
    QTest::newRow("room-leave-message not boolean")
        << QByteArray("POST") << QStringLiteral("/api/auth/room-leave-message")
        << QByteArray(R"({"room":"r","leaveMessage":1})") << 400;
}

void TstRestApi::errorsAreStatusesWithCodeAndMsg()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    const ApiResponse r = m_server->raw(method, path, m_auth, body, !body.isEmpty());
    QVERIFY2(r.status == status, qPrintable(r.describe()));
    QCOMPARE(r.object().value(QStringLiteral("code")).toInt(), status);
    QVERIFY2(r.object().value(QStringLiteral("msg")).isString() &&
                 !r.object().value(QStringLiteral("msg")).toString().isEmpty(),
             qPrintable(r.describe()));
}

void TstRestApi::foreignIdsAreNotFound()
{
    const Credentials other{QStringLiteral("/other"), QStringLiteral("pw2")};
    const ApiResponse pushed =
        m_server->api("POST", QStringLiteral("/api/auth/push"), other,
                      QJsonObject{{QStringLiteral("room"), QStringLiteral("r")},
                                  {QStringLiteral("pushData"), QJsonObject{}}});
    QCOMPARE(pushed.status, 200);
    const qint64 id = pushed.object().value(QStringLiteral("id")).toInteger();
    QCOMPARE(m_server->api("GET", QStringLiteral("/api/auth/report/push/%1").arg(id), other).status,
             200);
    // Another namespace's report and client: 404, as if unknown.
    QCOMPARE(
        m_server->api("GET", QStringLiteral("/api/auth/report/push/%1").arg(id), m_auth).status,
        404);
    const QString foreignClient = QStringLiteral("%2Fother%23u1%23web-d1");
    QCOMPARE(
        m_server->api("GET", QStringLiteral("/api/auth/client/") + foreignClient, m_auth).status,
        404);
}

void TstRestApi::storeUnavailableIs503()
{
    m_server->store()->setAvailable(false);
    const ApiResponse report =
        m_server->api("GET", QStringLiteral("/api/auth/report/push?page=1"), m_auth);
    const ApiResponse stat =
        m_server->api("GET", QStringLiteral("/api/auth/namespace/current-message-stat"), m_auth);
    m_server->store()->setAvailable(true);
    QVERIFY2(report.status == 503, qPrintable(report.describe()));
    QCOMPARE(report.object().value(QStringLiteral("code")).toInt(), 503);
    QVERIFY2(stat.status == 503, qPrintable(stat.describe()));
    QCOMPARE(m_server->api("GET", QStringLiteral("/api/auth/report/push"), m_auth).status, 200);
}

void TstRestApi::reportPaging()
{
    // A namespace of its own, so that other cases' pushes do not count.
    const Credentials pager = m_server->createNamespace(QStringLiteral("/pager"));
    QList<qint64> ids;
    for (int i = 0; i < 7; ++i) {
        const ApiResponse r = m_server->api(
            "POST", QStringLiteral("/api/auth/push"), pager,
            QJsonObject{{QStringLiteral("room"), QStringLiteral("r%1").arg(i % 2)},
                        {QStringLiteral("pushData"), QJsonObject{{QStringLiteral("i"), i}}}});
        QCOMPARE(r.status, 200);
        ids << r.object().value(QStringLiteral("id")).toInteger();
    }
    auto page = [&](const QString &q) {
        const ApiResponse r =
            m_server->api("GET", QStringLiteral("/api/auth/report/push") + q, pager);
        QList<qint64> out;
        for (const QJsonValue &v : r.json.toArray())
            out << v.toObject().value(QStringLiteral("id")).toInteger();
        return std::make_pair(r.status, out);
    };
    QCOMPARE(page(QStringLiteral("?page=1&size=3")),
             std::make_pair(200, QList<qint64>{ids[6], ids[5], ids[4]})); // newest first
    QCOMPARE(page(QStringLiteral("?page=3&size=3")), std::make_pair(200, QList<qint64>{ids[0]}));
    QCOMPARE(page(QStringLiteral("?page=4&size=3")), std::make_pair(200, QList<qint64>{}));
    QCOMPARE(page(QString()).second.size(), 7); // defaults: page 1, 20 per page
    QCOMPARE(page(QStringLiteral("?size=500")).first, 200);
    for (const QString &bad :
         {QStringLiteral("?page=0"), QStringLiteral("?page=x"), QStringLiteral("?size=0"),
          QStringLiteral("?size=501"), QStringLiteral("?size=-3")}) {
        QVERIFY2(page(bad).first == 400, qPrintable(bad));
    }
    // A list item has the report's fields, without the detail arrays.
    const QJsonObject first =
        m_server->api("GET", QStringLiteral("/api/auth/report/push?size=1"), pager)
            .json.toArray()
            .at(0)
            .toObject();
    QCOMPARE(first.value(QStringLiteral("namespace")).toString(), QStringLiteral("/pager"));
    QCOMPARE(first.value(QStringLiteral("pushData")).toObject(),
             (QJsonObject{{QStringLiteral("i"), 6}}));
    QVERIFY(first.value(QStringLiteral("ackCount")).isDouble());
    QVERIFY(!first.contains(QStringLiteral("ackWebDetail")));
}

void TstRestApi::namespaceListPaging()
{
    for (const char *key : {"/pg-c", "/pg-a", "/pg-b", "/pg-d"})
        m_server->createNamespace(QString::fromLatin1(key));
    auto list = [&](const QString &q) {
        const ApiResponse r =
            m_server->api("GET", QStringLiteral("/api/admin/namespace/list") + q, m_admin);
        QStringList keys;
        for (const QJsonValue &v : r.object().value(QStringLiteral("list")).toArray())
            keys << v.toObject().value(QStringLiteral("key")).toString();
        return std::make_tuple(r.status, keys, r.object().value(QStringLiteral("total")).toInt());
    };
    // Filtered by key, ordered by key; total counts every match before paging.
    QCOMPARE(list(QStringLiteral("?key=pg-&page=1&pageSize=3")),
             std::make_tuple(200,
                             QStringList{QStringLiteral("/pg-a"), QStringLiteral("/pg-b"),
                                         QStringLiteral("/pg-c")},
                             4));
    QCOMPARE(list(QStringLiteral("?key=pg-&page=2&pageSize=3")),
             std::make_tuple(200, QStringList{QStringLiteral("/pg-d")}, 4));
    QCOMPARE(std::get<0>(list(QStringLiteral("?page=0"))), 400);
    QCOMPARE(std::get<0>(list(QStringLiteral("?pageSize=0"))), 400);
    QCOMPARE(std::get<0>(list(QStringLiteral("?offline=maybe"))), 400);
}

void TstRestApi::corsPreflightNeedsNoCredentials()
{
    const ApiResponse r =
        m_server->raw("OPTIONS", QStringLiteral("/api/auth/push"), {}, {}, false,
                      {{"Origin", "https://console.example"},
                       {"Access-Control-Request-Method", "POST"},
                       {"Access-Control-Request-Headers", "authorization, content-type"}});
    QVERIFY2(r.status == 200 || r.status == 204, qPrintable(r.describe()));
    const QByteArray origin = r.headers.value("access-control-allow-origin");
    QVERIFY2(origin == "https://console.example" || origin == "*", origin.constData());
    const QByteArray methods = r.headers.value("access-control-allow-methods").toUpper();
    for (const char *m : {"GET", "POST", "OPTIONS"})
        QVERIFY2(methods.contains(m), methods.constData());
    const QByteArray headers = r.headers.value("access-control-allow-headers").toLower();
    QVERIFY2(headers.contains("authorization") && headers.contains("content-type"),
             headers.constData());
    // Not a listed origin: no credentials allowed.
    QVERIFY(!r.headers.contains("access-control-allow-credentials"));
}

void TstRestApi::secretsAreWriteOnly()
{
    m_server->createNamespace(
        QStringLiteral("/sec"),
        QJsonObject{{QStringLiteral("auth_passwd"), QStringLiteral("pw-sec")},
                    {QStringLiteral("callback_auth"), QStringLiteral("Bearer zzz")},
                    {QStringLiteral("name"), QStringLiteral("Secret – ✓")}});
    const Credentials sec{QStringLiteral("/sec"), QStringLiteral("pw-sec")};
    const ApiResponse self = m_server->api("GET", QStringLiteral("/api/auth/namespace"), sec);
    QCOMPARE(self.status, 200);
    const QJsonObject ns = self.object();
    QCOMPARE(ns.value(QStringLiteral("key")).toString(), QStringLiteral("/sec"));
    QCOMPARE(ns.value(QStringLiteral("name")).toString(), QStringLiteral("Secret – ✓"));
    QCOMPARE(ns.value(QStringLiteral("offline")).toString(), QStringLiteral("off"));
    QCOMPARE(ns.value(QStringLiteral("has_auth_passwd")).toBool(), true);
    QCOMPARE(ns.value(QStringLiteral("has_callback_auth")).toBool(), true);
    QVERIFY(!ns.contains(QStringLiteral("auth_passwd")));
    QVERIFY(!ns.contains(QStringLiteral("callback_auth")));
    const ApiResponse listed =
        m_server->api("GET", QStringLiteral("/api/admin/namespace/list?key=sec"), m_admin);
    QVERIFY(!listed.body.contains("pw-sec"));
    QVERIFY(!listed.body.contains("Bearer zzz"));
}

void TstRestApi::clientReadAndWrite()
{
    PushClient c;
    QVERIFY(c.connect(m_server->socketPort(), "/rest", "uuid=dev1&userid=u1&platform=android"));
    const QString id = QStringLiteral("/rest#u1#android-dev1");
    QCOMPARE(c.clientId, id);
    const QString path =
        QStringLiteral("/api/auth/client/") + QString::fromLatin1(QUrl::toPercentEncoding(id));
    ApiResponse r = m_server->api("GET", path, m_auth);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.object().value(QStringLiteral("userid")).toString(), QStringLiteral("u1"));
    QCOMPARE(r.object().value(QStringLiteral("leaveMessage")).toBool(), true);
    QCOMPARE(r.object().value(QStringLiteral("last_connect_time")).toInteger(),
             m_server->clock.nowMs()); // the server's clock

    m_server->clock.advance(5000);
    r = m_server->api("POST", QStringLiteral("/api/auth/client"), m_auth,
                      QJsonObject{{QStringLiteral("id"), id},
                                  {QStringLiteral("mobile"), QStringLiteral("13800000000")},
                                  {QStringLiteral("leaveMessage"), false}});
    QVERIFY2(r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.object().value(QStringLiteral("mobile")).toString(), QStringLiteral("13800000000"));
    QCOMPARE(r.object().value(QStringLiteral("leaveMessage")).toBool(), false);
    QCOMPARE(r.object().value(QStringLiteral("update_date")).toInteger(), m_server->clock.nowMs());
    // Only id: a read.
    r = m_server->api("POST", QStringLiteral("/api/auth/client"), m_auth,
                      QJsonObject{{QStringLiteral("id"), id}});
    QCOMPARE(r.object().value(QStringLiteral("mobile")).toString(), QStringLiteral("13800000000"));
    // Writing a client that was never stored creates nothing.
    const QString ghost = QStringLiteral("/rest#ghost#web-g");
    r = m_server->api("POST", QStringLiteral("/api/auth/client"), m_auth,
                      QJsonObject{{QStringLiteral("id"), ghost},
                                  {QStringLiteral("mobile"), QStringLiteral("1")}});
    QCOMPARE(r.status, 404);
    QCOMPARE(m_server
                 ->api("GET",
                       QStringLiteral("/api/auth/client/") +
                           QString::fromLatin1(QUrl::toPercentEncoding(ghost)),
                       m_auth)
                 .status,
             404);
    c.close();
}

void TstRestApi::destructiveAdminCallsNeedOffline()
{
    m_server->createNamespace(QStringLiteral("/dz"));
    const QJsonObject body{{QStringLiteral("namespace"), QStringLiteral("/dz")}};
    QCOMPARE(m_server->api("GET", QStringLiteral("/api/admin/namespace/del/dz"), m_admin).status,
             409);
    QCOMPARE(m_server->api("POST", QStringLiteral("/api/admin/clear-legacy-client"), m_admin, body)
                 .status,
             409);
    QCOMPARE(m_server->api("GET", QStringLiteral("/api/admin/namespace/del/nope"), m_admin).status,
             404);
    QCOMPARE(m_server
                 ->api("POST", QStringLiteral("/api/admin/namespace/save"), m_admin,
                       QJsonObject{{QStringLiteral("key"), QStringLiteral("/dz")},
                                   {QStringLiteral("offline"), QStringLiteral("on")}})
                 .status,
             200);
    const ApiResponse cleared =
        m_server->api("POST", QStringLiteral("/api/admin/clear-legacy-client"), m_admin, body);
    QCOMPARE(cleared.status, 200);
    QCOMPARE(cleared.json, QJsonValue(QJsonArray()));
    QCOMPARE(
        m_server->api("GET", QStringLiteral("/api/admin/namespace/del/dz?flushAll=true"), m_admin)
            .status,
        200);
    QCOMPARE(m_server
                 ->api("GET", QStringLiteral("/api/auth/namespace"),
                       Credentials{QStringLiteral("/dz"), QStringLiteral("secret")})
                 .status,
             401);
}

void TstRestApi::legacyClientsByTheClock()
{
    // client_legacy_expire is 240 hours (the default): a client last seen
    // (here: its disconnect) 240 h ago is kept, one millisecond more is removed.
    const Credentials auth = m_server->createNamespace(QStringLiteral("/legacy"));
    const QString id = QStringLiteral("/legacy#u#web-old");
    {
        PushClient old;
        QVERIFY(old.connect(m_server->socketPort(), "/legacy", "uuid=old&userid=u"));
        QCOMPARE(old.request("joinRoom", QStringLiteral("lr"))
                     ->toObject()
                     .value(QStringLiteral("status"))
                     .toInt(),
                 200);
        m_server->clock.advance(1000);
        old.close();
        QVERIFY(old.sio.waitDisconnected());
    }
    const QString path =
        QStringLiteral("/api/auth/client/") + QString::fromLatin1(QUrl::toPercentEncoding(id));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->api("GET", path, auth)
                                  .object()
                                  .value(QStringLiteral("last_disconnect_time"))
                                  .toInteger(),
                              m_server->clock.nowMs(), 20000);
    m_server->clock.advance(1000);
    PushClient recent; // seen one second later: stays
    QVERIFY(recent.connect(m_server->socketPort(), "/legacy", "uuid=new&userid=u2"));
    QCOMPARE(m_server
                 ->api("POST", QStringLiteral("/api/admin/namespace/save"), m_admin,
                       QJsonObject{{QStringLiteral("key"), QStringLiteral("/legacy")},
                                   {QStringLiteral("offline"), QStringLiteral("on")}})
                 .status,
             200);
    const QJsonObject body{{QStringLiteral("namespace"), QStringLiteral("/legacy")}};
    auto clear = [&] {
        return m_server->api("POST", QStringLiteral("/api/admin/clear-legacy-client"), m_admin,
                             body);
    };
    QCOMPARE(clear().json, QJsonValue(QJsonArray()));
    // Exactly 240 h after the old client's disconnect (the clock moved 1 s since): kept.
    m_server->clock.advance(240 * kHourMs - 1000);
    QCOMPARE(clear().json, QJsonValue(QJsonArray()));
    m_server->clock.advance(1);
    const ApiResponse removed = clear();
    QCOMPARE(removed.status, 200);
    QCOMPARE(removed.json, QJsonValue(QJsonArray{id}));
    QCOMPARE(m_server->api("GET", path, auth).status, 404);
    QCOMPARE(m_server->api("GET", QStringLiteral("/api/auth/report/online?room=lr"), auth)
                 .json.toArray()
                 .at(0)
                 .toObject()
                 .value(QStringLiteral("totalClientCount"))
                 .toInt(-1),
             0);
    QCOMPARE(clear().json, QJsonValue(QJsonArray()));
}

void TstRestApi::messageStatsByTheClock()
{
    // The counters are per UTC minute, hour and day of the push's send date.
    const Credentials auth = m_server->createNamespace(QStringLiteral("/stats"));
    const qint64 now = m_server->clock.nowMs();
    m_server->clock.set(now - now % (24 * kHourMs) + 34 * kHourMs); // 10:00:00 UTC tomorrow
    auto stat = [&] {
        const QJsonObject o =
            m_server->api("GET", QStringLiteral("/api/auth/namespace/current-message-stat"), auth)
                .object();
        return QList<int>{o.value(QStringLiteral("currMinuteMessageCount")).toInt(-1),
                          o.value(QStringLiteral("currHourMessageCount")).toInt(-1),
                          o.value(QStringLiteral("currDateMessageCount")).toInt(-1)};
    };
    auto pushOne = [&] {
        return m_server
            ->api("POST", QStringLiteral("/api/auth/push"), auth,
                  QJsonObject{{QStringLiteral("room"), QStringLiteral("r")},
                              {QStringLiteral("pushData"), QJsonObject{}},
                              {QStringLiteral("expire"), 10}})
            .status;
    };
    QCOMPARE(stat(), (QList<int>{0, 0, 0}));
    QCOMPARE(pushOne(), 200);
    QCOMPARE(pushOne(), 200);
    QCOMPARE(stat(), (QList<int>{2, 2, 2}));
    m_server->clock.advance(60 * 1000); // 10:01
    QCOMPARE(pushOne(), 200);
    QCOMPARE(stat(), (QList<int>{1, 3, 3}));
    m_server->clock.advance(kHourMs); // 11:01
    QCOMPARE(stat(), (QList<int>{0, 0, 3}));
    QCOMPARE(pushOne(), 200);
    QCOMPARE(stat(), (QList<int>{1, 1, 4}));
    m_server->clock.advance(14 * kHourMs); // 01:01 the next day
    QCOMPARE(stat(), (QList<int>{0, 0, 0}));
}

QTEST_GUILESS_MAIN(TstRestApi)
#include "tst_restapi.moc"
