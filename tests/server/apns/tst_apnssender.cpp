// The APNs client against the stand-in (tests/support/apns-standin: Node.js
// http2 over TLS on a loopback port, CA and certificates made at test time):
// token and certificate auth, the provider token cache, answers that clear
// tokens, retries, GOAWAY, a stand-in killed and restarted mid-run, one TCP
// connection for 1 000 notifications, a refused TLS handshake, a full queue,
// and the registry of connections.
#include "apns/configuration.h"
#include "apns/providerconnection.h"
#include "apns/sender.h"

#include "support/apnsstandin.h"

#include <QDateTime>
#include <QJsonArray>
#include <QSet>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace qpush::apns;

namespace {

constexpr int kWaitMs = 60000; // generous: a loaded 2-core machine

QString hexToken(int i)
{
    return QStringLiteral("%1").arg(i, 64, 16, QLatin1Char('0'));
}

} // namespace

class TestApnsSender : public QObject
{
    Q_OBJECT

    struct Run
    {
        QList<Outcome> outcomes;
        QList<int> answers; // per notification: how many final answers
        int done = 0;
    };

    Entry tokenEntry(ApnsStandIn &s, const QString &keyFile = QStringLiteral("token.p8"))
    {
        Entry e;
        e.name = QStringLiteral("default");
        e.apnsEnv = QStringLiteral("dev");
        e.apnsTopic = QStringLiteral("com.example.app");
        e.tokenKey = QString::fromUtf8(s.read(keyFile));
        e.tokenKeyId = s.options().keyId;
        e.tokenTeamId = s.options().teamId;
        return e;
    }
    Entry certEntry(ApnsStandIn &s, const QString &prefix)
    {
        Entry e;
        e.name = QStringLiteral("cert");
        e.apnsEnv = QStringLiteral("production");
        e.apnsTopic = QStringLiteral("com.example.app");
        e.apnsProductionCert = s.file(prefix + QStringLiteral(".pem")); // a path, as allowed
        e.apnsProductionKey = QString::fromUtf8(s.read(prefix + QStringLiteral(".key")));
        return e;
    }
    ConnectionOptions options(ApnsStandIn &s)
    {
        ConnectionOptions o;
        o.endpoint = *Endpoint::parse(s.host());
        o.extraCaCertificates = QSslCertificate::fromPath(s.file(QStringLiteral("ca.pem")));
        o.backoffMs = 50;
        o.timeoutMs = 10000;
        return o;
    }
    std::unique_ptr<ProviderConnection> connection(const Entry &e, const ConnectionOptions &o)
    {
        QString error;
        const auto c = Configuration::fromEntry(e, QDateTime::currentDateTimeUtc(), &error);
        if (!c)
            qWarning() << error;
        return c ? std::make_unique<ProviderConnection>(*c, o) : nullptr;
    }
    std::shared_ptr<Run> submitMany(ProviderConnection &c, int n, int firstToken = 0)
    {
        auto run = std::make_shared<Run>();
        run->outcomes.resize(n);
        run->answers.resize(n);
        for (int i = 0; i < n; ++i) {
            Notification note;
            note.deviceToken = hexToken(firstToken + i);
            note.payload = QByteArrayLiteral(R"({"aps":{"alert":"hi"}})");
            note.apnsId = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
            note.collapseId = "qpush-" + QByteArray::number(i);
            note.expiration = 1700000000 + i;
            c.submit(note, [run, i](const Outcome &o) {
                run->outcomes[i] = o;
                ++run->answers[i];
                ++run->done;
            });
        }
        return run;
    }
    static int successes(const Run &r)
    {
        int n = 0;
        for (const Outcome &o : r.outcomes)
            n += o.success ? 1 : 0;
        return n;
    }

    static ApnsStandInOptions clientCertRequired()
    {
        ApnsStandInOptions o;
        o.requireClientCert = true;
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString error = m_token.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }
    void init() { QVERIFY(m_token.reset()); }

    void tokenAuthHeadersAndBody()
    {
        auto c = connection(tokenEntry(m_token), options(m_token));
        QVERIFY(c);
        auto run = submitMany(*c, 5);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 5, kWaitMs);
        QCOMPARE(successes(*run), 5);
        const QJsonArray requests = m_token.requests();
        QCOMPARE(requests.size(), 5);
        QSet<QString> seen;
        for (const QJsonValue &v : requests) {
            const QJsonObject r = v.toObject();
            const QJsonObject h = r.value(QStringLiteral("headers")).toObject();
            QCOMPARE(h.value(QStringLiteral(":method")).toString(), QStringLiteral("POST"));
            QCOMPARE(h.value(QStringLiteral("apns-topic")).toString(),
                     QStringLiteral("com.example.app"));
            QCOMPARE(h.value(QStringLiteral("apns-push-type")).toString(), QStringLiteral("alert"));
            QCOMPARE(h.value(QStringLiteral("apns-priority")).toString(), QStringLiteral("10"));
            QVERIFY(h.value(QStringLiteral("apns-expiration")).toString().startsWith(u"17000000"));
            QVERIFY(h.value(QStringLiteral("apns-collapse-id")).toString().startsWith(u"qpush-"));
            QCOMPARE(h.value(QStringLiteral("apns-id")).toString().size(), 36);
            QCOMPARE(r.value(QStringLiteral("body")).toString(),
                     QStringLiteral(R"({"aps":{"alert":"hi"}})"));
            QCOMPARE(r.value(QStringLiteral("kid")).toString(), m_token.options().keyId);
            seen.insert(r.value(QStringLiteral("token")).toString());
        }
        QCOMPARE(seen.size(), 5);
        QCOMPARE(c->tokenSigns(), 1);
        QCOMPARE(c->state(), ProviderConnection::State::Connected);
    }

    void thousandOverOneConnection()
    {
        auto c = connection(tokenEntry(m_token), options(m_token));
        auto run = submitMany(*c, 1000);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 1000, kWaitMs * 2);
        QCOMPARE(successes(*run), 1000);
        const QJsonArray requests = m_token.requests();
        QCOMPARE(requests.size(), 1000);
        QSet<int> connections;
        QSet<QString> authorizations;
        for (const QJsonValue &v : requests) {
            connections.insert(v.toObject().value(QStringLiteral("connection")).toInt());
            authorizations.insert(v.toObject()
                                      .value(QStringLiteral("headers"))
                                      .toObject()
                                      .value(QStringLiteral("authorization"))
                                      .toString());
        }
        QCOMPARE(connections.size(), 1);    // one TCP connection
        QCOMPARE(authorizations.size(), 1); // one token within the window
        QCOMPARE(c->tokenSigns(), 1);
    }

    void wrongKeyIsAReadableFailure()
    {
        auto c =
            connection(tokenEntry(m_token, QStringLiteral("other-token.p8")), options(m_token));
        auto run = submitMany(*c, 20);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 20, kWaitMs);
        for (const Outcome &o : run->outcomes) {
            QVERIFY(!o.success);
            QCOMPARE(o.reason, QStringLiteral("InvalidProviderToken"));
            QCOMPARE(o.status, 403);
        }
        // Re-signed once after the first rejection, not per notification.
        QCOMPARE(c->tokenSigns(), 2);
    }

    void expiredTokenResignedAndRetriedOnce()
    {
        QVERIFY(m_token.setRules(QJsonObject{
            {hexToken(0), QJsonArray{QJsonObject{{QStringLiteral("status"), 403},
                                                 {QStringLiteral("reason"),
                                                  QStringLiteral("ExpiredProviderToken")}},
                                     200}}}));
        auto c = connection(tokenEntry(m_token), options(m_token));
        auto run = submitMany(*c, 1);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 1, kWaitMs);
        QVERIFY(run->outcomes[0].success);
        QCOMPARE(c->tokenSigns(), 2);
        const QJsonArray requests = m_token.requests();
        QCOMPARE(requests.size(), 2);
        const auto auth = [&](int i) {
            return requests[i]
                .toObject()
                .value(QStringLiteral("headers"))
                .toObject()
                .value(QStringLiteral("authorization"))
                .toString();
        };
        QVERIFY(auth(0).startsWith(u"bearer "));
        QVERIFY(auth(0) != auth(1));
    }

    void staleTokenRejectedThenResigned()
    {
        // APNs refuses a token older than its limit (here 3 s): the sender
        // signs a new one and tries once more.
        ApnsStandInOptions so;
        so.maxTokenAge = 3;
        ApnsStandIn standIn(so);
        const QString error = standIn.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        auto c = connection(tokenEntry(standIn), options(standIn));
        auto first = submitMany(*c, 1);
        QTRY_COMPARE_WITH_TIMEOUT(first->done, 1, kWaitMs);
        QVERIFY(first->outcomes[0].success);
        QTest::qWait(4100); // the token is now stale for the stand-in
        auto second = submitMany(*c, 1, 1);
        QTRY_COMPARE_WITH_TIMEOUT(second->done, 1, kWaitMs);
        QVERIFY2(second->outcomes[0].success, qPrintable(second->outcomes[0].reason));
        QCOMPARE(c->tokenSigns(), 2);
        const QJsonArray r = standIn.requests();
        QCOMPARE(r.size(), 3);
        QCOMPARE(r[1].toObject().value(QStringLiteral("reason")).toString(),
                 QStringLiteral("ExpiredProviderToken"));
        QCOMPARE(r[2].toObject().value(QStringLiteral("status")).toInt(), 200);
    }

    void wrongKidRejected()
    {
        ApnsStandIn standIn;
        const QString error = standIn.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        Entry e = tokenEntry(standIn);
        e.tokenKeyId = QStringLiteral("OTHERKID00");
        auto c = connection(e, options(standIn));
        auto run = submitMany(*c, 1);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 1, kWaitMs);
        QCOMPARE(run->outcomes[0].reason, QStringLiteral("InvalidProviderToken"));
        QCOMPARE(standIn.requests().size(), 2); // the first try and one after re-signing
    }

    void tokenReusedWithinWindowResignedAfter()
    {
        ConnectionOptions o = options(m_token);
        o.tokenRefreshSeconds = 2;
        auto c = connection(tokenEntry(m_token), o);
        auto first = submitMany(*c, 3);
        QTRY_COMPARE_WITH_TIMEOUT(first->done, 3, kWaitMs);
        QCOMPARE(c->tokenSigns(), 1);
        QTest::qWait(2100); // the window passes
        auto second = submitMany(*c, 3, 100);
        QTRY_COMPARE_WITH_TIMEOUT(second->done, 3, kWaitMs);
        QCOMPARE(successes(*first) + successes(*second), 6);
        QCOMPARE(c->tokenSigns(), 2);
        const QJsonArray r = m_token.requests();
        QCOMPARE(r.size(), 6);
        QVERIFY(r[5].toObject().value(QStringLiteral("iat")).toInteger() >=
                r[0].toObject().value(QStringLiteral("iat")).toInteger() + 2);
    }

    void deadTokensAreCleared()
    {
        QVERIFY(m_token.setRules(QJsonObject{
            {hexToken(1), QJsonArray{410}},
            {hexToken(2),
             QJsonArray{QJsonObject{{QStringLiteral("status"), 400},
                                    {QStringLiteral("reason"), QStringLiteral("BadDeviceToken")}}}},
            {hexToken(3), QJsonArray{QJsonObject{
                              {QStringLiteral("status"), 400},
                              {QStringLiteral("reason"), QStringLiteral("PayloadTooLarge")}}}}}));
        auto c = connection(tokenEntry(m_token), options(m_token));
        auto run = submitMany(*c, 4);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 4, kWaitMs);
        QVERIFY(run->outcomes[0].success);
        QCOMPARE(run->outcomes[1].reason, QStringLiteral("Unregistered"));
        QVERIFY(run->outcomes[1].clearToken);
        QCOMPARE(run->outcomes[2].reason, QStringLiteral("BadDeviceToken"));
        QVERIFY(run->outcomes[2].clearToken);
        QCOMPARE(run->outcomes[3].reason, QStringLiteral("PayloadTooLarge"));
        QVERIFY(!run->outcomes[3].clearToken);
        QCOMPARE(m_token.requests().size(), 4); // none of them retried
    }

    void throttledAndFailingRetried()
    {
        QVERIFY(m_token.setRules(
            QJsonObject{{hexToken(0), QJsonArray{429, 500, 200}}, {hexToken(1), QJsonArray{503}}}));
        auto c = connection(tokenEntry(m_token), options(m_token));
        auto run = submitMany(*c, 2);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 2, kWaitMs);
        QVERIFY(run->outcomes[0].success);
        QVERIFY(!run->outcomes[1].success);
        QCOMPARE(run->outcomes[1].status, 503);
        int first = 0, second = 0;
        for (const QJsonValue &v : m_token.requests()) {
            const QString t = v.toObject().value(QStringLiteral("token")).toString();
            first += t == hexToken(0);
            second += t == hexToken(1);
        }
        QCOMPARE(first, 3);
        QCOMPARE(second, 5); // the first try and 4 retries
    }

    void goawayThenReconnect()
    {
        QVERIFY(m_token.setRules(QJsonObject{{hexToken(0), QJsonArray{QStringLiteral("goaway")}}}));
        auto c = connection(tokenEntry(m_token), options(m_token));
        auto run = submitMany(*c, 1);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 1, kWaitMs);
        QVERIFY(run->outcomes[0].success);
        auto more = submitMany(*c, 50, 1);
        QTRY_COMPARE_WITH_TIMEOUT(more->done, 50, kWaitMs);
        QCOMPARE(successes(*more), 50);
        for (int n : more->answers)
            QCOMPARE(n, 1);
        QSet<int> connections;
        for (const QJsonValue &v : m_token.requests())
            connections.insert(v.toObject().value(QStringLiteral("connection")).toInt());
        QCOMPARE(connections.size(), 2);
    }

    void standInRestartedMidRun()
    {
        ApnsStandIn standIn;
        QString error = standIn.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(standIn.setRules(QJsonObject{
            {QStringLiteral("*"), QJsonArray{QJsonObject{{QStringLiteral("status"), 200},
                                                         {QStringLiteral("delayMs"), 20}}}}}));
        ConnectionOptions o = options(standIn);
        o.backoffMs = 500; // 0.5 + 1 + 2 + 4 s for the restart
        o.maxInFlight = 20;
        auto c = connection(tokenEntry(standIn), o);
        auto run = submitMany(*c, 400);
        QTRY_VERIFY_WITH_TIMEOUT(run->done >= 40, kWaitMs);
        standIn.stop(); // kill -9: streams in flight get no answer
        const int before = run->done;
        QVERIFY(before < 400);
        error = standIn.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 400, kWaitMs * 2);
        for (int n : run->answers)
            QCOMPARE(n, 1);                     // exactly one final answer each
        QVERIFY(!standIn.requests().isEmpty()); // reconnected to the new process
        QVERIFY(successes(*run) > before);
        QVERIFY(run->outcomes.last().success);
    }

    void certificateAuth()
    {
        ApnsStandIn standIn(clientCertRequired());
        const QString error = standIn.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        auto c = connection(certEntry(standIn, QStringLiteral("client")), options(standIn));
        QVERIFY(c);
        auto run = submitMany(*c, 10);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 10, kWaitMs);
        QCOMPARE(successes(*run), 10);
        const QJsonArray r = standIn.requests();
        QCOMPARE(r.size(), 10);
        QVERIFY(!r[0].toObject()
                     .value(QStringLiteral("headers"))
                     .toObject()
                     .contains(QStringLiteral("authorization")));
    }

    void refusedHandshakeEndsQuickly()
    {
        ApnsStandIn standIn(clientCertRequired());
        const QString error = standIn.start();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        ConnectionOptions o = options(standIn);
        o.timeoutMs = 3000;
        auto c = connection(certEntry(standIn, QStringLiteral("rogue-client")), o);
        QVERIFY(c);
        auto run = submitMany(*c, 30);
        // Each notification gets one final answer: no request stays pending.
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 30, kWaitMs);
        for (const Outcome &out : run->outcomes) {
            QVERIFY(!out.success);
            QVERIFY2(out.reason.contains(u"TLS") || out.reason.contains(u"no answer") ||
                         out.reason.contains(u"connection"),
                     qPrintable(out.reason));
        }
        for (int n : run->answers)
            QCOMPARE(n, 1);
        QCOMPARE(standIn.requests().size(), 0);
        QCOMPARE(c->state(), ProviderConnection::State::Failed);
    }

    void stalledHandshakeEndsAtTheDeadline()
    {
        // A server that accepts TCP and never answers the TLS handshake.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        QList<QTcpSocket *> held;
        connect(&silent, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket *s = silent.nextPendingConnection())
                held.append(s);
        });
        ConnectionOptions o = options(m_token);
        o.endpoint = Endpoint{QStringLiteral("127.0.0.1"), silent.serverPort()};
        o.timeoutMs = 2000;
        auto c = connection(tokenEntry(m_token), o);
        auto run = submitMany(*c, 10);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 10, kWaitMs);
        for (const Outcome &out : run->outcomes) {
            QVERIFY(!out.success);
            QVERIFY2(out.reason.startsWith(u"no answer from APNs within"), qPrintable(out.reason));
        }
        for (int n : run->answers)
            QCOMPARE(n, 1);
        QVERIFY(!held.isEmpty());
        QCOMPARE(c->state(), ProviderConnection::State::Failed);
        qDeleteAll(held);
    }

    void fullQueueAnswersAtOnce()
    {
        ConnectionOptions o = options(m_token);
        o.maxQueued = 10;
        auto c = connection(tokenEntry(m_token), o);
        auto run = submitMany(*c, 25);
        QTRY_COMPARE_WITH_TIMEOUT(run->done, 25, kWaitMs);
        QCOMPARE(successes(*run), 10);
        for (int i = 10; i < 25; ++i)
            QVERIFY(run->outcomes[i].reason.startsWith(u"queue full"));
    }

    void registryReplacesChangedConfigurations()
    {
        SenderOptions so;
        so.development = *Endpoint::parse(m_token.host());
        so.connection = options(m_token);
        Sender sender(so);
        QString error;
        const auto now = QDateTime::currentDateTimeUtc();
        Entry e = tokenEntry(m_token);
        const auto a = *Configuration::fromEntry(e, now, &error);
        ProviderConnection *first = sender.connectionFor(QStringLiteral("/demo"), a);
        QCOMPARE(sender.connectionFor(QStringLiteral("/demo"), a), first);
        QVERIFY(sender.connectionFor(QStringLiteral("/other"), a) != first);
        QCOMPARE(sender.connectionCount(), 2);
        e.apnsTopic = QStringLiteral("com.example.other");
        const auto b = *Configuration::fromEntry(e, now, &error);
        QPointer<ProviderConnection> old(first);
        ProviderConnection *second = sender.connectionFor(QStringLiteral("/demo"), b);
        QVERIFY(second != first);
        QTRY_VERIFY(old.isNull()); // the idle old connection goes
        sender.retainOnly(QStringLiteral("/demo"), {});
        QCOMPARE(sender.connectionCount(), 1);

        Run run;
        ProviderConnection *c = sender.connectionFor(QStringLiteral("/other"), a);
        for (int i = 0; i < 3; ++i)
            c->submit(Notification{hexToken(i), "{}", {}, {}, 0},
                      [&run](const Outcome &) { ++run.done; });
        QTRY_COMPARE_WITH_TIMEOUT(run.done, 3, kWaitMs);
        QCOMPARE(sender.sentCount(), 3);
        const QByteArray metrics = sender.metricsText();
        QVERIFY(metrics.contains("qpush_apns_notifications_sent_total 3\n"));
        QVERIFY(metrics.contains("qpush_apns_connections{state=\"connected\"} 1\n"));
        QVERIFY(metrics.contains("qpush_apns_token_signs_total 1\n"));
    }

private:
    ApnsStandIn m_token;
};

QTEST_GUILESS_MAIN(TestApnsSender)
#include "tst_apnssender.moc"
