// callbacks::Webhooks against a local HTTP stub (SPEC §6): the handshake
// request's shape and how its answer is read, refusals, timeouts and network
// failures; the disconnect notice's shape, fire-and-forget.

#include "callbacks/webhooks.h"
#include "support/httpstub.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>

#include <optional>

using namespace qpush::callbacks;
using qpush::test::HttpStub;

namespace {

// Generous: the machine running the suite may be busy.
constexpr int kWaitMs = 20000;

HandshakeRequest handshakeTo(const QString &url)
{
    HandshakeRequest r;
    r.url = url;
    r.query = {{QStringLiteral("uuid"), QStringLiteral("dev 1")},
               {QStringLiteral("userid"), QStringLiteral("u&1")}};
    r.cookie = "sid=abc; theme=dark";
    r.authorization = QStringLiteral("Bearer t0ken");
    r.nsp = QStringLiteral("/demo");
    return r;
}

/// Runs a handshake and waits for its answer.
std::optional<HandshakeResult> runHandshake(Webhooks &hooks, const HandshakeRequest &request)
{
    std::optional<HandshakeResult> result;
    hooks.handshake(request, [&result](HandshakeResult r) { result = std::move(r); });
    (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
    return result;
}

QStringList g_logged; // messages seen by captureLog

void captureLog(QtMsgType, const QMessageLogContext &, const QString &message)
{
    g_logged.append(message);
}

} // namespace

class TstWebhooks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void handshakeRequestShape();
    void handshakeAnswer_data();
    void handshakeAnswer();
    void handshakeTimeout();
    void handshakeNetworkFailure();
    void handshakeInvalidUrl_data();
    void handshakeInvalidUrl();
    void disconnectNoticeShape();
    void disconnectIgnoresFailures();
    void disconnectNeverLogsUrlSecrets();
};

void TstWebhooks::handshakeRequestShape()
{
    HttpStub stub;
    QVERIFY(stub.listen());
    stub.setAnswer(200);
    Webhooks hooks(5000);
    const auto result = runHandshake(hooks, handshakeTo(stub.url(QStringLiteral("/cb?k=v"))));
    QVERIFY(result);
    QVERIFY(result->accepted);
    QCOMPARE(stub.requests().size(), 1);
    const auto &r = stub.requests().first();
    QCOMPARE(r.method, QByteArray("GET"));
    // The callback URL's own query stays; the handshake query follows it.
    const QUrl target(QString::fromLatin1(r.target));
    QCOMPARE(target.path(), QStringLiteral("/cb"));
    const QUrlQuery q(target);
    QCOMPARE(q.queryItemValue(QStringLiteral("k")), QStringLiteral("v"));
    QCOMPARE(q.queryItemValue(QStringLiteral("uuid"), QUrl::FullyDecoded), QStringLiteral("dev 1"));
    QCOMPARE(q.queryItemValue(QStringLiteral("userid"), QUrl::FullyDecoded), QStringLiteral("u&1"));
    QCOMPARE(r.headers.value("cookie"), QByteArray("sid=abc; theme=dark"));
    QCOMPARE(r.headers.value("authorization"), QByteArray("Bearer t0ken"));
    QCOMPARE(r.headers.value("namespace"), QByteArray("/demo"));
    QVERIFY(r.body.isEmpty());

    // No cookie and no callback_auth: those headers are not sent at all.
    HandshakeRequest bare = handshakeTo(stub.url());
    bare.cookie.clear();
    bare.authorization.clear();
    QVERIFY(runHandshake(hooks, bare));
    QCOMPARE(stub.requests().size(), 2);
    QVERIFY(!stub.requests().at(1).headers.contains("cookie"));
    QVERIFY(!stub.requests().at(1).headers.contains("authorization"));
    QCOMPARE(stub.requests().at(1).headers.value("namespace"), QByteArray("/demo"));
}

void TstWebhooks::handshakeAnswer_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<QString>("userid"); // empty: none
    QTest::addColumn<QStringList>("rooms");
    QTest::addColumn<QString>("reason");

    QTest::newRow("200, no body") << 200 << QByteArray() << true << QString() << QStringList()
                                  << QString();
    QTest::newRow("200, userid and rooms")
        << 200 << QByteArray(R"({"userid":"u9","rooms":["a","b"]})") << true << QStringLiteral("u9")
        << QStringList{QStringLiteral("a"), QStringLiteral("b")} << QString();
    QTest::newRow("200, one room as a string")
        << 200 << QByteArray(R"({"rooms":"solo"})") << true << QString()
        << QStringList{QStringLiteral("solo")} << QString();
    QTest::newRow("200, non-string rooms skipped")
        << 200 << QByteArray(R"({"rooms":["a",1,null,{"x":1},"b"]})") << true << QString()
        << QStringList{QStringLiteral("a"), QStringLiteral("b")} << QString();
    QTest::newRow("200, empty or non-string userid ignored")
        << 200 << QByteArray(R"({"userid":"","rooms":""})") << true << QString() << QStringList()
        << QString();
    QTest::newRow("200, numeric userid ignored")
        << 200 << QByteArray(R"({"userid":42})") << true << QString() << QStringList() << QString();
    QTest::newRow("200, body not JSON")
        << 200 << QByteArray("OK fine") << true << QString() << QStringList() << QString();
    QTest::newRow("200, JSON array")
        << 200 << QByteArray(R"(["u9"])") << true << QString() << QStringList() << QString();
    QTest::newRow("201 refuses") << 201 << QByteArray(R"({"userid":"u9"})") << false << QString()
                                 << QStringList()
                                 << QStringLiteral("connect callback refused (HTTP 201)");
    QTest::newRow("403 refuses") << 403 << QByteArray() << false << QString() << QStringList()
                                 << QStringLiteral("connect callback refused (HTTP 403)");
    QTest::newRow("500 refuses") << 500 << QByteArray("oops") << false << QString() << QStringList()
                                 << QStringLiteral("connect callback refused (HTTP 500)");
}

void TstWebhooks::handshakeAnswer()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(bool, accepted);
    QFETCH(QString, userid);
    QFETCH(QStringList, rooms);
    QFETCH(QString, reason);
    HttpStub stub;
    QVERIFY(stub.listen());
    stub.setAnswer(status, body);
    Webhooks hooks(5000);
    const auto result = runHandshake(hooks, handshakeTo(stub.url()));
    QVERIFY(result);
    QCOMPARE(result->accepted, accepted);
    QCOMPARE(result->userid.value_or(QString()), userid);
    QCOMPARE(result->rooms, rooms);
    QCOMPARE(result->reason, reason);
}

void TstWebhooks::handshakeTimeout()
{
    HttpStub stub;
    QVERIFY(stub.listen());
    stub.setMode(HttpStub::Mode::Hang);
    Webhooks hooks(300); // callback_timeout
    const auto result = runHandshake(hooks, handshakeTo(stub.url()));
    QVERIFY2(result, "no answer although the callback timed out");
    QCOMPARE(stub.requests().size(), 1);
    QVERIFY(!result->accepted);
    QCOMPARE(result->reason, QStringLiteral("connect callback timed out"));
    // The hung request was given up on: its connection is closed.
    QTRY_COMPARE_WITH_TIMEOUT(stub.closedByPeer(), 1, kWaitMs);
}

void TstWebhooks::handshakeNetworkFailure()
{
    Webhooks hooks(5000);
    {
        // A connection closed without an answer.
        HttpStub stub;
        QVERIFY(stub.listen());
        stub.setMode(HttpStub::Mode::Close);
        const auto result = runHandshake(hooks, handshakeTo(stub.url()));
        QVERIFY(result);
        QVERIFY(!result->accepted);
        QCOMPARE(result->reason, QStringLiteral("connect callback failed"));
    }
    // Nobody listening: refused, and the reason names no host or address.
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    const auto result =
        runHandshake(hooks, handshakeTo(QStringLiteral("http://127.0.0.1:%1/cb").arg(port)));
    QVERIFY(result);
    QVERIFY(!result->accepted);
    QCOMPARE(result->reason, QStringLiteral("connect callback failed"));
}

void TstWebhooks::handshakeInvalidUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::newRow("ftp") << QStringLiteral("ftp://127.0.0.1/cb");
    QTest::newRow("file") << QStringLiteral("file:///etc/passwd");
    QTest::newRow("no scheme") << QStringLiteral("127.0.0.1/cb");
    QTest::newRow("empty") << QString();
}

void TstWebhooks::handshakeInvalidUrl()
{
    QFETCH(QString, url);
    Webhooks hooks(5000);
    const auto result = runHandshake(hooks, handshakeTo(url));
    QVERIFY(result);
    QVERIFY(!result->accepted);
    QCOMPARE(result->reason, QStringLiteral("connect callback url is invalid"));
}

void TstWebhooks::disconnectNoticeShape()
{
    HttpStub stub;
    QVERIFY(stub.listen());
    stub.setAnswer(204);
    Webhooks hooks(5000);
    DisconnectNotice n;
    n.url = stub.url(QStringLiteral("/gone"));
    n.query = QJsonObject{{QStringLiteral("uuid"), QStringLiteral("dev1")},
                          {QStringLiteral("platform"), QStringLiteral("ios")}};
    n.clientId = QStringLiteral("/demo#u1#ios-dev1");
    n.reason = QStringLiteral("transport close");
    n.cookie = "sid=abc";
    n.authorization = QStringLiteral("Basic eDp5");
    n.nsp = QStringLiteral("/demo");
    QSignalSpy received(&stub, &HttpStub::requestReceived);
    hooks.disconnected(n);
    QVERIFY(received.wait(kWaitMs));
    const auto &r = stub.requests().first();
    QCOMPARE(r.method, QByteArray("POST"));
    QCOMPARE(r.target, QByteArray("/gone"));
    QCOMPARE(r.headers.value("content-type"), QByteArray("application/json"));
    QCOMPARE(r.headers.value("cookie"), QByteArray("sid=abc"));
    QCOMPARE(r.headers.value("authorization"), QByteArray("Basic eDp5"));
    QCOMPARE(r.headers.value("namespace"), QByteArray("/demo"));
    const QJsonObject body = QJsonDocument::fromJson(r.body).object();
    QCOMPARE(body.value(QStringLiteral("query")).toObject(), n.query);
    QCOMPARE(body.value(QStringLiteral("clientId")).toString(), n.clientId);
    QCOMPARE(body.value(QStringLiteral("reason")).toString(), n.reason);
    QCOMPARE(body.size(), 3);
}

void TstWebhooks::disconnectIgnoresFailures()
{
    // Fire-and-forget: a refusal, a hung server and a dead one change nothing
    // for the caller; the hung request is abandoned after callback_timeout.
    HttpStub stub;
    QVERIFY(stub.listen());
    Webhooks hooks(300);
    DisconnectNotice n;
    n.url = stub.url();
    n.clientId = QStringLiteral("/demo#u1#web-w");
    n.reason = QStringLiteral("client namespace disconnect");
    n.nsp = QStringLiteral("/demo");
    stub.setAnswer(500, "no");
    hooks.disconnected(n);
    QTRY_COMPARE_WITH_TIMEOUT(stub.requests().size(), 1, kWaitMs);
    stub.setMode(HttpStub::Mode::Hang);
    hooks.disconnected(n);
    QTRY_COMPARE_WITH_TIMEOUT(stub.requests().size(), 2, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(stub.closedByPeer(), 1, kWaitMs);
    // Still usable afterwards.
    stub.setAnswer(200);
    hooks.disconnected(n);
    QTRY_COMPARE_WITH_TIMEOUT(stub.requests().size(), 3, kWaitMs);
}

void TstWebhooks::disconnectNeverLogsUrlSecrets()
{
    HttpStub stub;
    QVERIFY(stub.listen());
    stub.setAnswer(500);
    Webhooks hooks(5000);
    DisconnectNotice n;
    n.url =
        QStringLiteral("http://hook:s3cretpw@127.0.0.1:%1/p?token=s3crettoken").arg(stub.port());
    n.clientId = QStringLiteral("/demo#u1#web-w");
    n.reason = QStringLiteral("x");
    n.nsp = QStringLiteral("/demo");
    QLoggingCategory::setFilterRules(QStringLiteral("qpush.callbacks.debug=true"));
    g_logged.clear();
    const QtMessageHandler previous = qInstallMessageHandler(captureLog);
    hooks.disconnected(n);
    const bool logged = QTest::qWaitFor([] { return g_logged.size() >= 2; }, kWaitMs);
    qInstallMessageHandler(previous);
    QLoggingCategory::setFilterRules(QString());
    QVERIFY2(logged, qPrintable(g_logged.join(u'|')));
    QCOMPARE(stub.requests().size(), 1);
    for (const QString &line : std::as_const(g_logged)) {
        QVERIFY2(!line.contains(u"s3cret"), qPrintable(line));
    }
    QVERIFY(g_logged.join(u'|').contains(QStringLiteral("127.0.0.1:%1/p").arg(stub.port())));
}

QTEST_GUILESS_MAIN(TstWebhooks)
#include "tst_webhooks.moc"
