// The console's client library and item models against the real
// qpush-server binary (loopback, free ports), models checked with
// QAbstractItemModelTester.
#include "apiclient.h"
#include "certificatetrust.h"
#include "consolesettings.h"
#include "dashboardfeed.h"
#include "namespacemodel.h"
#include "opensslfiles.h"
#include "reportmodel.h"
#include "roommodel.h"
#include "serverprocess.h"
#include "support/sioclient.h"

#include <QAbstractItemModelTester>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTest>

using namespace qpush::admin;
using namespace qpush::test;

namespace {

// Waits for a call and returns its reply.
ApiReply wait(ApiCall *call)
{
    std::optional<ApiReply> out;
    QObject ctx;
    call->then(&ctx, [&out](const ApiReply &r) { out = r; });
    if (!QTest::qWaitFor([&] { return out.has_value(); }, 20000)) {
        ApiError e;
        e.message = QStringLiteral("test timeout");
        return ApiReply{{}, e};
    }
    return *out;
}

QByteArray sioJson(const QJsonValue &v)
{
    return v.isObject() ? QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact)
                        : QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact);
}

} // namespace

class TestAdminClient : public QObject
{
    Q_OBJECT

private:
    ServerProcess m_server;
    CertificateTrust m_trust;
    std::unique_ptr<ApiClient> m_api;

    Session adminSession() const
    {
        return Session{m_server.apiUrl(), Session::Role::Admin,
                       QString::fromLatin1(ServerProcess::AdminName),
                       QString::fromLatin1(ServerProcess::AdminPassword)};
    }

    void createNamespace(const QString &key, const QString &name, const QString &password)
    {
        NamespaceChanges c;
        c.key = key;
        c.name = name;
        c.authPasswd = password;
        const ApiReply r = wait(m_api->saveNamespace(c));
        QVERIFY2(r.ok(), r.error ? qPrintable(r.error->message) : "");
    }

    // A socket.io v5 client connected to `nsp`; nullptr on failure.
    std::unique_ptr<SioClient> connectClient(const QByteArray &nsp, const QByteArray &uuid,
                                             const QByteArray &userid)
    {
        auto c = std::make_unique<SioClient>(4);
        if (!c->open(m_server.socketPort()))
            return nullptr;
        if (c->connectNamespace(nsp, "{\"uuid\":\"" + uuid + "\",\"userid\":\"" + userid + "\"}")
                .isEmpty())
            return nullptr;
        // The "ok" event comes first.
        const QByteArray ok = c->nextText();
        if (!ok.startsWith(QByteArray("42" + nsp + ",[\"ok\"")))
            return nullptr;
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_server.start());
        m_api = std::make_unique<ApiClient>(&m_trust);
        m_api->setSession(adminSession());
    }

    void login()
    {
        QVERIFY(wait(m_api->login()).ok());
        ApiClient wrong(&m_trust);
        Session s = adminSession();
        s.password = QStringLiteral("nope");
        wrong.setSession(s);
        const ApiReply r = wait(wrong.login());
        QVERIFY(!r.ok());
        QCOMPARE(r.error->httpStatus, 401);
        QVERIFY2(r.error->message.startsWith(
                     QStringLiteral("The server did not accept the name or password. ")),
                 qPrintable(r.error->message));
        // The server's own words follow.
        QVERIFY(r.error->message.contains(QStringLiteral("The server says: ")));
        QVERIFY(r.error->details.startsWith(QStringLiteral("HTTP 401")));
        QVERIFY(r.error->details.contains(QStringLiteral("POST /api/admin/login")));
    }

    void unreachableServer()
    {
        ApiClient api(&m_trust);
        Session s = adminSession();
        s.server.setPort(1); // nothing listens on port 1 of loopback
        api.setSession(s);
        const ApiReply r = wait(api.login());
        QVERIFY(!r.ok());
        QCOMPARE(r.error->httpStatus, 0);
        QVERIFY2(r.error->message.startsWith(QStringLiteral("Cannot reach the server")),
                 qPrintable(r.error->message));
    }

    void namespaceListModel()
    {
        createNamespace(QStringLiteral("/alpha"), QStringLiteral("Alpha app"),
                        QStringLiteral("pa"));
        createNamespace(QStringLiteral("/beta"), QStringLiteral("Beta app"), QStringLiteral("pb"));
        createNamespace(QStringLiteral("/gamma"), QStringLiteral("Gamma"), QStringLiteral("pg"));

        NamespaceListModel model(m_api.get());
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy loaded(&model, &NamespaceListModel::loaded);
        model.setPageSize(2);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(model.total(), 3);
        QCOMPARE(model.pageCount(), 2);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(0, NamespaceListModel::Key).data().toString(),
                 QStringLiteral("/alpha"));
        QCOMPARE(model.index(1, NamespaceListModel::Name).data().toString(),
                 QStringLiteral("Beta app"));
        QCOMPARE(model.index(0, NamespaceListModel::Status).data().toString(),
                 QStringLiteral("online"));
        QCOMPARE(model.index(0, NamespaceListModel::Clients).data().toLongLong(), 0);

        model.setPage(2);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0, NamespaceListModel::Key).data().toString(),
                 QStringLiteral("/gamma"));

        model.setFilter({}, QStringLiteral("app"));
        QVERIFY(loaded.wait(10000));
        QCOMPARE(model.total(), 2);
        QCOMPARE(model.page(), 1);

        // Live counts: a client connects to /beta, the next refresh shows it.
        auto client = connectClient("/beta", "d1", "u1");
        QVERIFY(client);
        model.refresh();
        QVERIFY(loaded.wait(10000));
        const int row = model.rowOf(QStringLiteral("/beta"));
        QVERIFY(row >= 0);
        QCOMPARE(model.index(row, NamespaceListModel::Clients).data().toLongLong(), 1);
        QCOMPARE(model.index(row, NamespaceListModel::Users).data().toLongLong(), 1);
        // The server returned the password (older servers) or not (write-only ones).
        const NamespaceInfo *beta = model.namespaceAt(row);
        QVERIFY(beta);
        QVERIFY(beta->hasAuthPasswd);
    }

    void namespacePasswordNeeded()
    {
        ApiClient api(&m_trust);
        api.setSession(adminSession());
        const ApiReply r = wait(api.messageStats(QStringLiteral("/alpha")));
        QVERIFY(!r.ok());
        QVERIFY(r.error->needsNamespacePassword);
        QCOMPARE(r.error->namespaceKey, QStringLiteral("/alpha"));
        api.setNamespacePassword(QStringLiteral("/alpha"), QStringLiteral("wrong"));
        const ApiReply r401 = wait(api.messageStats(QStringLiteral("/alpha")));
        QCOMPARE(r401.error ? r401.error->httpStatus : 0, 401);
        api.setNamespacePassword(QStringLiteral("/alpha"), QStringLiteral("pa"));
        const ApiReply ok = wait(api.messageStats(QStringLiteral("/alpha")));
        QVERIFY(ok.ok());
        QCOMPARE(MessageStats::fromJson(ok.object()).minute, 0);

        // A password the admin sets is used for the namespace's own views.
        ApiClient setter(&m_trust);
        setter.setSession(adminSession());
        NamespaceChanges c;
        c.key = QStringLiteral("/alpha");
        c.authPasswd = QStringLiteral("pa2");
        QVERIFY(wait(setter.saveNamespace(c)).ok());
        QVERIFY(setter.hasNamespacePassword(QStringLiteral("/alpha")));
        QVERIFY(wait(setter.messageStats(QStringLiteral("/alpha"))).ok());
        // The old password no longer works.
        const ApiReply stale = wait(api.messageStats(QStringLiteral("/alpha")));
        QCOMPARE(stale.error ? stale.error->httpStatus : 0, 401);
        c.authPasswd = QStringLiteral("pa");
        QVERIFY(wait(setter.saveNamespace(c)).ok());
    }

    void namespaceSession()
    {
        ApiClient api(&m_trust);
        api.setSession(Session{m_server.apiUrl(), Session::Role::Namespace,
                               QStringLiteral("/gamma"), QStringLiteral("pg")});
        QVERIFY(wait(api.login()).ok());
        const ApiReply r = wait(api.getNamespace(QStringLiteral("/gamma")));
        QVERIFY(r.ok());
        QCOMPARE(NamespaceInfo::fromJson(r.object()).name, QStringLiteral("Gamma"));
        NamespaceChanges c;
        c.key = QStringLiteral("/gamma");
        c.name = QStringLiteral("Gamma renamed");
        QVERIFY(wait(api.saveNamespace(c)).ok());
        QCOMPARE(
            NamespaceInfo::fromJson(wait(api.getNamespace(QStringLiteral("/gamma"))).object()).name,
            QStringLiteral("Gamma renamed"));
        // Another namespace's data is not reachable with these credentials.
        QVERIFY(wait(api.reports(QStringLiteral("/alpha"), 1, 10)).error->needsNamespacePassword);
    }

    void apnsEntriesSaved()
    {
        NamespaceChanges c;
        c.key = QStringLiteral("/alpha");
        ApnsEntry e;
        e.name = QStringLiteral("main");
        e.env = QStringLiteral("dev");
        e.topic = QStringLiteral("com.example.alpha");
        e.tokenKeyId = QStringLiteral("KEY1");
        e.tokenTeamId = QStringLiteral("TEAM1");
        c.apnsUpserts = {e};
        ApiReply r = wait(m_api->saveNamespace(c));
        QVERIFY(r.ok());
        NamespaceInfo n = NamespaceInfo::fromJson(r.object());
        QCOMPARE(n.apnsList.size(), 1);
        QCOMPARE(n.apnsList.first().topic, QStringLiteral("com.example.alpha"));
        QCOMPARE(n.apnsList.first().env, QStringLiteral("dev"));
        // Partial update: no password sent, the stored one stays.
        QVERIFY(n.hasAuthPasswd);
        NamespaceChanges del;
        del.key = QStringLiteral("/alpha");
        del.apnsDeletes = {QStringLiteral("main")};
        r = wait(m_api->saveNamespace(del));
        QVERIFY(r.ok());
        QCOMPARE(NamespaceInfo::fromJson(r.object()).apnsList.size(), 0);
    }

    void pushReportAndAck()
    {
        auto client = connectClient("/beta", "d2", "u2");
        QVERIFY(client);
        client->send("2/beta,[\"joinRoom\",\"news\"]");
        QTRY_VERIFY_WITH_TIMEOUT(
            [this] {
                const ApiReply r =
                    wait(m_api->roomsOnline(QStringLiteral("/beta"), {QStringLiteral("news")}));
                return r.ok() && RoomOnline::fromJson(r.array().at(0).toObject()).clientCount == 1;
            }(),
            10000);

        PushRequest p;
        p.room = QStringLiteral("news");
        p.pushData = QJsonObject{{QStringLiteral("title"), QStringLiteral("hello")}};
        const ApiReply sent = wait(m_api->push(QStringLiteral("/beta"), p));
        QVERIFY2(sent.ok(), sent.error ? qPrintable(sent.error->message) : "");
        const PushAccepted accepted = PushAccepted::fromJson(sent.object());
        QVERIFY(accepted.id > 0);
        QCOMPARE(accepted.expectAckCount, 1);
        const QByteArray event = client->nextText();
        QVERIFY2(event.startsWith("42/beta,[\"push\""), event.constData());
        client->send("2/beta,[\"ackPush\"," +
                     sioJson(QJsonObject{{QStringLiteral("id"), double(accepted.id)}}) + "]");

        ReportListModel reports(m_api.get());
        QAbstractItemModelTester tester(&reports,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy loaded(&reports, &ReportListModel::loaded);
        reports.setNamespace(QStringLiteral("/beta"));
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                reports.refresh();
                if (!loaded.wait(10000))
                    return false;
                const int row = reports.rowOfId(accepted.id);
                return row >= 0 && reports.reportAt(row)->ackCount == 1;
            }(),
            15000);
        const int row = reports.rowOfId(accepted.id);
        QCOMPARE(reports.index(row, ReportListModel::Room).data().toString(),
                 QStringLiteral("news"));
        QCOMPARE(reports.index(row, ReportListModel::Online).data().toLongLong(), 1);
        reports.setRoomFilter(QStringLiteral("other"));
        QCOMPARE(reports.rowCount(), 0);
        reports.setRoomFilter(QStringLiteral("new"));
        QCOMPARE(reports.rowCount(), 1);

        const ApiReply detail = wait(m_api->report(QStringLiteral("/beta"), accepted.id, true));
        QVERIFY(detail.ok());
        const PushReport report = PushReport::fromJson(detail.object());
        QCOMPARE(report.pushData.value(QStringLiteral("title")).toString(),
                 QStringLiteral("hello"));
        AckDetailModel acks;
        QAbstractItemModelTester ackTester(&acks,
                                           QAbstractItemModelTester::FailureReportingMode::QtTest);
        acks.setReport(report);
        QCOMPARE(acks.rowCount(), 1);
        QCOMPARE(acks.index(0, AckDetailModel::ClientId).data().toString(),
                 QStringLiteral("/beta#u2#web-d2"));
        QCOMPARE(acks.index(0, AckDetailModel::Platform).data().toString(), QStringLiteral("web"));

        // Unknown id: 404 in words.
        const ApiReply missing = wait(m_api->report(QStringLiteral("/beta"), 999999, false));
        QCOMPARE(missing.error ? missing.error->httpStatus : 0, 404);

        // The room view and the dashboard feed see the client.
        RoomOnlineModel rooms(m_api.get());
        QAbstractItemModelTester roomTester(&rooms,
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy roomsLoaded(&rooms, &RoomOnlineModel::loaded);
        rooms.setNamespace(QStringLiteral("/beta"));
        rooms.refresh();
        QVERIFY(roomsLoaded.wait(10000));
        int newsRow = -1;
        for (int i = 0; i < rooms.rowCount(); ++i)
            if (rooms.roomAt(i)->name == u"news")
                newsRow = i;
        QVERIFY(newsRow >= 0);
        QCOMPARE(rooms.index(newsRow, RoomOnlineModel::Clients).data().toLongLong(), 1);
        QCOMPARE(rooms.index(newsRow, RoomOnlineModel::Web).data().toLongLong(), 1);
        QCOMPARE(rooms.index(newsRow, RoomOnlineModel::Ios).data().toLongLong(), 0);

        DashboardFeed feed(m_api.get());
        QSignalSpy sampled(&feed, &DashboardFeed::sampled);
        QSignalSpy stats(&feed, &DashboardFeed::statsChanged);
        feed.setNamespace(QStringLiteral("/beta"));
        feed.setInterval(200);
        feed.start();
        QVERIFY(sampled.wait(10000));
        QTRY_VERIFY_WITH_TIMEOUT(stats.size() >= 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 3, 20000);
        feed.stop();
        const OnlineSample s = feed.history().last();
        QVERIFY(s.clients >= 1);
        QVERIFY(s.rooms >= 1);
        QVERIFY(feed.stats().minute >= 1);
        QVERIFY(feed.history().size() <= DashboardFeed::MaxSamples);
    }

    void clientInfo()
    {
        auto client = connectClient("/beta", "dev9", "u9");
        QVERIFY(client);
        const QString id = QStringLiteral("/beta#u9#web-dev9");
        ApiReply r = wait(m_api->client(QStringLiteral("/beta"), id));
        QVERIFY(r.ok());
        ClientInfo info = ClientInfo::fromJson(r.object());
        QCOMPARE(info.userid, QStringLiteral("u9"));
        QVERIFY(info.leaveMessage);
        ClientChanges c;
        c.id = id;
        c.deviceToken = QStringLiteral("abcd");
        c.leaveMessage = false;
        QVERIFY(wait(m_api->saveClient(QStringLiteral("/beta"), c)).ok());
        info = ClientInfo::fromJson(wait(m_api->client(QStringLiteral("/beta"), id)).object());
        QCOMPARE(info.deviceToken, QStringLiteral("abcd"));
        QVERIFY(!info.leaveMessage);
        QVERIFY(wait(m_api->roomApns(QStringLiteral("/beta"), QStringLiteral("user_u9"),
                                     {QStringLiteral("news")}, {}))
                    .ok());
        info = ClientInfo::fromJson(wait(m_api->client(QStringLiteral("/beta"), id)).object());
        QCOMPARE(info.noSendApns, QStringList{QStringLiteral("news")});
        const ApiReply missing =
            wait(m_api->client(QStringLiteral("/beta"), QStringLiteral("/alpha#x#web-y")));
        QCOMPARE(missing.error ? missing.error->httpStatus : 0, 404);
    }

    void offlineAndDelete()
    {
        // Online: 409 in words.
        ApiReply r = wait(m_api->deleteNamespace(QStringLiteral("/gamma"), true));
        QVERIFY(!r.ok());
        QCOMPARE(r.error->httpStatus, 409);
        QVERIFY(r.error->message.contains(QStringLiteral("offline")));
        NamespaceChanges off;
        off.key = QStringLiteral("/gamma");
        off.offline = true;
        QVERIFY(wait(m_api->saveNamespace(off)).ok());
        QVERIFY(wait(m_api->clearRealtimeData(QStringLiteral("/gamma"))).ok());
        r = wait(m_api->clearLegacyClients(QStringLiteral("/gamma")));
        QVERIFY(r.ok());
        QVERIFY(r.json.isArray());
        QVERIFY(wait(m_api->deleteNamespace(QStringLiteral("/gamma"), true)).ok());
        const ApiReply gone = wait(m_api->getNamespace(QStringLiteral("/gamma")));
        QCOMPARE(gone.error ? gone.error->httpStatus : 0, 404);
    }

    void cancel()
    {
        ApiCall *call = m_api->listNamespaces({});
        call->abort();
        const ApiReply r = wait(call);
        QVERIFY(!r.ok());
        QVERIFY(r.error->cancelled);
    }

    void settings()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("console.ini"));
        {
            ConsoleSettings s(file);
            for (int i = 0; i < ConsoleSettings::MaxRecentServers + 3; ++i)
                s.addRecentServer({QUrl(QStringLiteral("http://h%1:56789").arg(i)),
                                   Session::Role::Admin, QStringLiteral("admin"), false});
            s.addRecentServer({QUrl(QStringLiteral("http://h5:56789")), Session::Role::Namespace,
                               QStringLiteral("/demo"), true});
            s.trustCertificate(QStringLiteral("h5:443"), QStringLiteral("aa:bb"));
            s.setWindowLayout("geo", "state");
        }
        ConsoleSettings s(file);
        const QList<RecentServer> list = s.recentServers();
        QCOMPARE(list.size(), ConsoleSettings::MaxRecentServers);
        QCOMPARE(list.first().user, QStringLiteral("/demo"));
        QCOMPARE(list.first().role, Session::Role::Namespace);
        QVERIFY(list.first().passwordInKeychain);
        QCOMPARE(list.at(1).server.host(), QStringLiteral("h12"));
        QCOMPARE(s.trustedCertificates(QStringLiteral("h5:443")),
                 QStringList{QStringLiteral("aa:bb")});
        QVERIFY(s.trustedCertificates(QStringLiteral("h6:443")).isEmpty());
        QCOMPARE(s.windowGeometry(), QByteArray("geo"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(!f.readAll().contains("secret"));
    }

    void certificateTrust()
    {
        QTemporaryDir dir;
        // Two self-signed certificates: the decision is keyed by the digest.
        const auto a =
            makePushCertificate(dir.path(), QStringLiteral("a.example"), QStringLiteral("a"));
        const auto b =
            makePushCertificate(dir.path(), QStringLiteral("b.example"), QStringLiteral("b"));
        QVERIFY(a.ok && b.ok);
        const QList<QSslCertificate> certs{QSslCertificate(readAll(a.certPem)),
                                           QSslCertificate(readAll(b.certPem))};
        QVERIFY(!certs.at(0).isNull() && !certs.at(1).isNull());
        const QList<QSslError> errors{QSslError(QSslError::SelfSignedCertificate, certs.at(0))};
        const QList<QSslError> other{QSslError(QSslError::SelfSignedCertificate, certs.at(1))};
        CertificateTrust trust;
        int asked = 0;
        CertificateTrust::Decision answer = CertificateTrust::Decision::Reject;
        QStringList remembered;
        trust.setAsker([&](const QString &, const QList<QSslError> &) {
            ++asked;
            return answer;
        });
        trust.setRememberHandler(
            [&](const QString &server, const QString &digest) { remembered << server + digest; });
        QVERIFY(!trust.accept(QStringLiteral("h:443"), errors));
        QCOMPARE(asked, 1);
        answer = CertificateTrust::Decision::AcceptOnce;
        QVERIFY(trust.accept(QStringLiteral("h:443"), errors));
        QVERIFY(trust.accept(QStringLiteral("h:443"), errors)); // not asked again
        QCOMPARE(asked, 2);
        QVERIFY(remembered.isEmpty());
        // Another server, another certificate: asked again.
        answer = CertificateTrust::Decision::AcceptAndRemember;
        QVERIFY(trust.accept(QStringLiteral("h2:443"), other));
        QCOMPARE(asked, 3);
        QCOMPARE(remembered.size(), 1);
        // Remembered in an earlier run: not asked.
        CertificateTrust later;
        later.setAsker([&](const QString &, const QList<QSslError> &) {
            ++asked;
            return CertificateTrust::Decision::Reject;
        });
        later.addRemembered(QStringLiteral("h2:443"), {CertificateTrust::digestOf(certs.at(1))});
        QVERIFY(later.accept(QStringLiteral("h2:443"), other));
        QVERIFY(!later.accept(QStringLiteral("h:443"), errors));
        QCOMPARE(asked, 4);
        QVERIFY(CertificateTrust::describe(errors).contains(QStringLiteral("self signed")) ||
                CertificateTrust::describe(errors).contains(QStringLiteral("self-signed")));
    }

    void cleanupTestCase() { m_server.stop(); }
};

QTEST_GUILESS_MAIN(TestAdminClient)
#include "tst_adminclient.moc"
