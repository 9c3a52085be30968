// The console's main flows driven with QTest against the real qpush-server:
// log in, create a namespace, import a .p12 (wrong password, expired, right
// password), edit an APNs entry, send a test push to a connected socket.io
// client, open its report and see the ack, set the namespace offline and
// delete it. Questions the console asks go through Prompts, answered here.
#include "apiclient.h"
#include "apnsentrydialog.h"
#include "certificatetrust.h"
#include "clientview.h"
#include "consolesettings.h"
#include "credentialstore.h"
#include "dashboardview.h"
#include "logindialog.h"
#include "mainwindow.h"
#include "namespaceeditor.h"
#include "namespacemodel.h"
#include "opensslfiles.h"
#include "pushcomposer.h"
#include "reportmodel.h"
#include "reportsview.h"
#include "serverprocess.h"
#include "support/sioclient.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace qpush::admin;
using namespace qpush::test;

class TestConsoleFlows : public QObject
{
    Q_OBJECT

private:
    ServerProcess m_server;
    QTemporaryDir m_dir;
    CertificateTrust m_trust;
    std::unique_ptr<ApiClient> m_api;
    std::unique_ptr<ConsoleSettings> m_settings;
    std::unique_ptr<MainWindow> m_window;
    // What the console asked, and the queued answers.
    QStringList m_confirmations;
    QStringList m_textAnswers;
    QStringList m_textQuestions;
    QString m_fileAnswer;
    std::unique_ptr<SioClient> m_client;
    qint64 m_pushId = 0;

    Prompts testPrompts()
    {
        Prompts p;
        p.confirm = [this](QWidget *, const QString &title, const QString &text, const QString &) {
            m_confirmations << title + QStringLiteral(": ") + text;
            return true;
        };
        p.askText = [this](QWidget *, const QString &title, const QString &,
                           bool) -> std::optional<QString> {
            m_textQuestions << title;
            // A write-only server returns no namespace passwords: the console asks.
            if (title == u"Namespace password")
                return QStringLiteral("flow-pass");
            if (m_textAnswers.isEmpty())
                return std::nullopt;
            return m_textAnswers.takeFirst();
        };
        p.openFile = [this](QWidget *, const QString &, const QString &) { return m_fileAnswer; };
        return p;
    }

    template <typename T> T *child(QWidget *parent, const char *name)
    {
        T *w = parent->findChild<T *>(QLatin1String(name));
        if (!w)
            qWarning("no child %s", name);
        return w;
    }

    ApnsEntryDialog *openApnsDialog()
    {
        ApnsEntryDialog *d = nullptr;
        (void)QTest::qWaitFor(
            [&] {
                d = m_window->editor()->findChild<ApnsEntryDialog *>();
                return d && d->isVisible();
            },
            5000);
        return d;
    }

    NamespaceInfo serverNamespace(const QString &key)
    {
        std::optional<ApiReply> reply;
        QObject ctx;
        m_api->getNamespace(key)->then(&ctx, [&](const ApiReply &r) { reply = r; });
        (void)QTest::qWaitFor([&] { return reply.has_value(); }, 10000);
        return reply && reply->ok() ? NamespaceInfo::fromJson(reply->object()) : NamespaceInfo();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_server.start());
        m_api = std::make_unique<ApiClient>(&m_trust);
        m_settings = std::make_unique<ConsoleSettings>(m_dir.filePath(QStringLiteral("c.ini")));
        m_settings->setRefreshIntervalMs(1000);
    }

    void logIn()
    {
        CredentialStore keychain;
        LoginDialog login(m_api.get(), m_settings.get(), &keychain);
        login.show();
        QVERIFY(QTest::qWaitForWindowExposed(&login));
        auto *server = child<QComboBox>(&login, "server");
        server->setEditText(m_server.apiUrl().toString());
        child<QRadioButton>(&login, "roleAdmin")->setChecked(true);
        QLineEdit *user = child<QLineEdit>(&login, "user");
        QLineEdit *password = child<QLineEdit>(&login, "password");
        user->clear();
        QTest::keyClicks(user, QStringLiteral("admin"));
        QTest::keyClicks(password, QStringLiteral("wrong"));
        // Return in the password field connects (the default button).
        QTest::keyClick(password, Qt::Key_Return);
        QLabel *error = child<QLabel>(&login, "loginError");
        QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), 10000);
        QVERIFY2(error->text().contains(QStringLiteral("did not accept the name or password")),
                 qPrintable(error->text()));
        QVERIFY(login.isVisible());

        password->clear();
        QTest::keyClicks(password, QString::fromLatin1(ServerProcess::AdminPassword));
        QTest::mouseClick(child<QPushButton>(&login, "connect"), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(login.result() == QDialog::Accepted,
                                  qPrintable(error->isVisible() ? error->text() : QString()),
                                  10000);
        QCOMPARE(m_api->session().user, QStringLiteral("admin"));
        QVERIFY(m_api->session().isAdmin());
        // Remembered, without the password.
        QCOMPARE(m_settings->recentServers().size(), 1);
        QCOMPARE(m_settings->recentServers().first().server, m_server.apiUrl());
        QVERIFY(!m_settings->recentServers().first().passwordInKeychain);

        m_window = std::make_unique<MainWindow>(m_api.get(), m_settings.get(), testPrompts());
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        m_window->start();
        QSignalSpy loaded(m_window->namespaces(), &NamespaceListModel::loaded);
        QVERIFY(loaded.wait(10000));
    }

    void createNamespace()
    {
        QVERIFY(m_window);
        m_window->action("newNamespace")->trigger();
        QCOMPARE(m_window->tabs()->currentIndex(), int(MainWindow::SettingsTab));
        NamespaceEditor *editor = m_window->editor();
        QVERIFY(editor->isNew());
        QTest::keyClicks(child<QLineEdit>(editor, "nsKey"), QStringLiteral("/flow"));
        QTest::keyClicks(child<QLineEdit>(editor, "nsName"), QStringLiteral("Flow test"));
        QTest::keyClicks(child<QLineEdit>(editor, "nsPassword"), QStringLiteral("flow-pass"));
        QPushButton *save = child<QPushButton>(editor, "saveNamespace");
        QVERIFY(save->isEnabled());
        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->currentKey(), QStringLiteral("/flow"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->namespaces()->rowOf(QStringLiteral("/flow")) >= 0,
                                 10000);
        QVERIFY(!editor->isNew());
        QVERIFY(!editor->hasChanges());
        // The password field never shows the secret.
        QVERIFY(child<QLineEdit>(editor, "nsPassword")->text().isEmpty());
        QCOMPARE(child<QLineEdit>(editor, "nsPassword")->placeholderText(),
                 QStringLiteral("set — type to change"));
        const NamespaceInfo ns = serverNamespace(QStringLiteral("/flow"));
        QCOMPARE(ns.name, QStringLiteral("Flow test"));
        QVERIFY(ns.hasAuthPasswd);
        QVERIFY(!ns.offline);
    }

    void importP12()
    {
        const auto good = makePushCertificate(m_dir.path(), QStringLiteral("com.example.flow"),
                                              QStringLiteral("right"));
        const auto old = makePushCertificate(m_dir.path(), QStringLiteral("com.example.gone"),
                                             QStringLiteral("right"), true);
        QVERIFY(good.ok && old.ok);

        m_window->editor()->addApnsEntry();
        ApnsEntryDialog *dialog = openApnsDialog();
        QVERIFY(dialog);
        QTest::keyClicks(child<QLineEdit>(dialog, "apnsName"), QStringLiteral("main"));

        // Expired: said in words, not taken.
        m_fileAnswer = old.p12;
        m_textAnswers = {QStringLiteral("right")};
        QTest::mouseClick(child<QPushButton>(dialog, "importP12"), Qt::LeftButton);
        QVERIFY2(dialog->problem().contains(QStringLiteral("the certificate expired on")),
                 qPrintable(dialog->problem()));
        QVERIFY(dialog->certificateSummary().startsWith(QStringLiteral("No certificate")));

        // Wrong password first, then the right one.
        m_fileAnswer = good.p12;
        m_textQuestions.clear();
        m_textAnswers = {QStringLiteral("wrong"), QStringLiteral("right")};
        QTest::mouseClick(child<QPushButton>(dialog, "importP12"), Qt::LeftButton);
        QCOMPARE(m_textQuestions.size(), 2);
        QVERIFY2(dialog->problem().isEmpty(), qPrintable(dialog->problem()));
        QVERIFY(dialog->certificateSummary().contains(QStringLiteral("Topic: com.example.flow")));
        QVERIFY(dialog->certificateSummary().contains(
            QStringLiteral("Apple Push Services: com.example.flow")));
        QCOMPARE(child<QLineEdit>(dialog, "apnsTopic")->text(), QStringLiteral("com.example.flow"));

        // A wrong password alone: the user is told and may cancel.
        m_textQuestions.clear();
        m_textAnswers = {QStringLiteral("nope")};
        QVERIFY(!dialog->importP12(good.p12));
        QCOMPARE(m_textQuestions.size(), 2); // asked again after "wrong password", then cancelled
        QVERIFY(dialog->problem().startsWith(
            QStringLiteral("Wrong password for com.example.flow.p12")));

        // The dialog is still usable after the failure: accept, then save.
        dialog->importP12(good.p12); // asks again: no answer queued, so cancelled
        m_textAnswers = {QStringLiteral("right")};
        QVERIFY(dialog->importP12(good.p12));
        QPointer<ApnsEntryDialog> guard(dialog);
        QTest::mouseClick(dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok),
                          Qt::LeftButton);
        QTRY_VERIFY(!guard || !guard->isVisible());
        QVERIFY(m_window->editor()->hasChanges());
        QTest::mouseClick(child<QPushButton>(m_window->editor(), "saveNamespace"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->editor()->hasChanges(), 10000);

        const NamespaceInfo ns = serverNamespace(QStringLiteral("/flow"));
        QCOMPARE(ns.apnsList.size(), 1);
        const ApnsEntry e = ns.apnsList.first();
        QCOMPARE(e.name, QStringLiteral("main"));
        QCOMPARE(e.env, QStringLiteral("production"));
        QCOMPARE(e.topic, QStringLiteral("com.example.flow"));
        // The server holds the certificate (its PEM, or its summary on write-only servers).
        QVERIFY(e.productionCertInfo.present);
        QCOMPARE(e.productionCertInfo.topic, QStringLiteral("com.example.flow"));
        QVERIFY(e.productionCertInfo.error.isEmpty());
    }

    void editApnsEntry()
    {
        m_window->editor()->editApnsEntry(0);
        ApnsEntryDialog *dialog = openApnsDialog();
        QVERIFY(dialog);
        QVERIFY(child<QLineEdit>(dialog, "apnsName")->isReadOnly());
        QVERIFY2(dialog->certificateSummary().contains(QStringLiteral("On the server")),
                 qPrintable(dialog->certificateSummary()));
        QLineEdit *topic = child<QLineEdit>(dialog, "apnsTopic");
        topic->clear();
        QTest::keyClicks(topic, QStringLiteral("com.example.flow.voip"));
        auto *expiration = child<QSpinBox>(dialog, "apnsExpiration");
        expiration->setValue(3600);
        QTest::keyClicks(child<QLineEdit>(dialog, "tokenTeamId"), QStringLiteral("TEAM42"));
        QPointer<ApnsEntryDialog> guard(dialog);
        QTest::mouseClick(dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok),
                          Qt::LeftButton);
        QTRY_VERIFY(!guard || !guard->isVisible());
        m_window->action("saveNamespace")->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->editor()->hasChanges(), 10000);

        const NamespaceInfo ns = serverNamespace(QStringLiteral("/flow"));
        QCOMPARE(ns.apnsList.size(), 1);
        const ApnsEntry e = ns.apnsList.first();
        QCOMPARE(e.topic, QStringLiteral("com.example.flow.voip"));
        QCOMPARE(e.expiration, 3600);
        QCOMPARE(e.tokenTeamId, QStringLiteral("TEAM42"));
        // Credentials not re-sent are kept by the server.
        QVERIFY(e.productionCertInfo.present);
        QCOMPARE(e.productionCertInfo.topic, QStringLiteral("com.example.flow"));
    }

    void pushToConnectedClient()
    {
        m_client = std::make_unique<SioClient>(4);
        QVERIFY(m_client->open(m_server.socketPort()));
        QVERIFY(!m_client->connectNamespace("/flow", R"({"uuid":"d1","userid":"u1"})").isEmpty());
        QVERIFY(m_client->nextText().startsWith("42/flow,[\"ok\""));
        m_client->send("2/flow,0[\"joinRoom\",\"news\"]");
        QCOMPARE(m_client->nextText(), QByteArray("43/flow,0[{\"msg\":\"ok\",\"status\":200}]"));

        // The dashboard sees the client.
        m_window->tabs()->setCurrentIndex(MainWindow::DashboardTab);
        QTRY_VERIFY_WITH_TIMEOUT(
            m_window->dashboard()->countersText().contains(QStringLiteral("<b>1</b> clients")),
            20000);

        m_window->tabs()->setCurrentIndex(MainWindow::PushTab);
        PushComposer *composer = m_window->composer();
        auto *apnsNames = child<QComboBox>(composer, "pushApnsName");
        QCOMPARE(apnsNames->count(), 2); // default + "main"
        QCOMPARE(apnsNames->itemData(1).toString(), QStringLiteral("main"));
        QTest::keyClicks(child<QLineEdit>(composer, "pushRoom"), QStringLiteral("news"));
        auto *payload = child<QPlainTextEdit>(composer, "pushPayload");
        QPushButton *send = child<QPushButton>(composer, "sendPush");
        payload->setPlainText(QStringLiteral("{\"title\": \"hi\",\n \"n\": }"));
        QVERIFY(!send->isEnabled());
        QVERIFY2(composer->payloadProblem().startsWith(QStringLiteral("line 2, column ")),
                 qPrintable(composer->payloadProblem()));
        payload->setPlainText(QStringLiteral("{\"title\": \"hi from the console\"}"));
        QVERIFY(composer->payloadProblem().isEmpty());
        QVERIFY(send->isEnabled());
        apnsNames->setCurrentIndex(1);
        QTest::mouseClick(send, Qt::LeftButton);

        const QByteArray event = m_client->nextText(10000);
        QVERIFY2(event.startsWith("42/flow,[\"push\""), event.constData());
        const QJsonObject push =
            QJsonDocument::fromJson(event.mid(event.indexOf('['))).array().at(1).toObject();
        m_pushId = qint64(push.value(QStringLiteral("id")).toDouble());
        QVERIFY(m_pushId > 0);
        QCOMPARE(push.value(QStringLiteral("pushData")).toObject().value(QStringLiteral("title")),
                 QJsonValue(QStringLiteral("hi from the console")));
        // The composer opened the push's report.
        QTRY_COMPARE_WITH_TIMEOUT(m_window->tabs()->currentIndex(), int(MainWindow::ReportsTab),
                                  10000);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->reports()->shownId(), m_pushId, 10000);
        QCOMPARE(m_window->reports()->shownReport().onlineClientCount, 1);
        QCOMPARE(m_window->reports()->shownReport().apnsName, QStringLiteral("main"));

        m_client->send("2/flow,[\"ackPush\",{\"id\":" + QByteArray::number(m_pushId) + "}]");
    }

    void reportShowsAck()
    {
        ReportsView *reports = m_window->reports();
        QVERIFY(m_pushId > 0);
        // The user refreshes the open report until the ack is in.
        QElapsedTimer clock;
        clock.start();
        while (reports->shownReport().ackCount != 1 && clock.elapsed() < 20000) {
            QSignalSpy shown(reports, &ReportsView::reportShown);
            reports->openReport(m_pushId);
            QVERIFY(shown.wait(10000));
            if (reports->shownReport().ackCount != 1)
                QTest::qWait(100);
        }
        QCOMPARE(reports->shownReport().ackCount, 1);
        QCOMPARE(reports->acks()->rowCount(), 1);
        QCOMPARE(reports->acks()->index(0, AckDetailModel::ClientId).data().toString(),
                 QStringLiteral("/flow#u1#web-d1"));
        QCOMPARE(reports->acks()->index(0, AckDetailModel::Platform).data().toString(),
                 QStringLiteral("web"));
        QVERIFY(child<QLabel>(reports, "reportDetail")
                    ->text()
                    .contains(QStringLiteral("Acknowledged: <b>1</b>")));
        QTRY_VERIFY_WITH_TIMEOUT(reports->model()->rowOfId(m_pushId) >= 0, 10000);
    }

    void clientLookupAndSwitches()
    {
        QVERIFY(m_client);
        m_window->tabs()->setCurrentIndex(MainWindow::ClientsTab);
        ClientView *view = m_window->clients();
        auto *id = child<QLineEdit>(view, "clientId");
        id->clear();
        QTest::keyClicks(id, QStringLiteral("/flow#u1#web-d1"));
        QTest::keyClick(id, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(view->shown().id, QStringLiteral("/flow#u1#web-d1"), 10000);
        QCOMPARE(view->shown().userid, QStringLiteral("u1"));
        QVERIFY(view->shown().leaveMessage);

        auto *token = child<QLineEdit>(view, "clientDeviceToken");
        token->clear();
        QTest::keyClicks(token, QStringLiteral("feedbeef"));
        QTest::mouseClick(child<QPushButton>(view, "saveClient"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(view->shown().deviceToken, QStringLiteral("feedbeef"), 10000);

        // Room switches: every client of "news" stops APNs for "sports" and
        // stops keeping offline messages.
        QTest::keyClicks(child<QLineEdit>(view, "roomSwitchRoom"), QStringLiteral("news"));
        QTest::keyClicks(child<QLineEdit>(view, "roomSwitchDnd"),
                         QStringLiteral("sports, weather"));
        QTest::mouseClick(child<QPushButton>(view, "roomDndAdd"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(
            view->shown().noSendApns,
            (QStringList{QStringLiteral("sports"), QStringLiteral("weather")}), 10000);
        QTest::mouseClick(child<QPushButton>(view, "roomLeaveOff"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!view->shown().leaveMessage, 10000);
        QTest::mouseClick(child<QPushButton>(view, "roomDndRemove"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(view->shown().noSendApns.isEmpty(), 10000);
    }

    void offlineAndDelete()
    {
        QVERIFY(m_client);
        // Destructive actions wait for offline.
        for (const char *name : {"clearRealtime", "clearLegacy", "flush", "delete"})
            QVERIFY2(!m_window->action(name)->isEnabled(), name);
        m_confirmations.clear();
        m_window->action("offline")->trigger();
        QCOMPARE(m_confirmations.size(), 1);
        QVERIFY(
            m_confirmations.first().contains(QStringLiteral("connected clients are disconnected")));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->currentNamespace().offline, 10000);
        // The server disconnects the namespace's clients (Socket.IO DISCONNECT).
        QByteArray frame;
        for (int i = 0; i < 20 && !frame.startsWith("41/flow,") && frame != "<none>"; ++i)
            frame = m_client->nextText(10000);
        QVERIFY2(frame.startsWith("41/flow,") || m_client->isDisconnected(), frame.constData());
        QVERIFY(m_window->action("offline")->isChecked());
        for (const char *name : {"clearRealtime", "clearLegacy", "flush", "delete"})
            QVERIFY2(m_window->action(name)->isEnabled(), name);
        QVERIFY(serverNamespace(QStringLiteral("/flow")).offline);

        QSignalSpy done(m_window.get(), &MainWindow::actionDone);
        m_confirmations.clear();
        m_window->action("delete")->trigger();
        QCOMPARE(m_confirmations.size(), 1);
        const QString text = m_confirmations.first();
        for (const char *lost :
             {"APNs credentials", "every push and report", "device token", "offline message lists"})
            QVERIFY2(text.contains(QLatin1String(lost)), lost);
        QVERIFY(done.wait(10000));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->namespaces()->rowOf(QStringLiteral("/flow")) < 0, 10000);
        QVERIFY(m_window->currentKey().isEmpty());
        const NamespaceInfo gone = serverNamespace(QStringLiteral("/flow"));
        QVERIFY(gone.key.isEmpty());
    }

    // Logged in with one namespace's credentials: that namespace only.
    void namespaceSession()
    {
        NamespaceChanges c;
        c.key = QStringLiteral("/solo");
        c.name = QStringLiteral("Solo");
        c.authPasswd = QStringLiteral("solo-pass");
        std::optional<ApiReply> saved;
        QObject ctx;
        m_api->saveNamespace(c)->then(&ctx, [&](const ApiReply &r) { saved = r; });
        QTRY_VERIFY_WITH_TIMEOUT(saved.has_value(), 10000);
        QVERIFY(saved->ok());

        ApiClient api(&m_trust);
        CredentialStore keychain;
        LoginDialog login(&api, m_settings.get(), &keychain);
        login.setServer(m_server.apiUrl().toString());
        login.setCredentials(Session::Role::Namespace, QStringLiteral("solo"),
                             QStringLiteral("solo-pass"));
        login.connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(login.result(), int(QDialog::Accepted), 10000);
        QCOMPARE(api.session().user, QStringLiteral("/solo")); // the slash is added
        QVERIFY(!api.session().isAdmin());

        MainWindow window(&api, m_settings.get(), testPrompts());
        window.show();
        window.start();
        QTRY_COMPARE_WITH_TIMEOUT(window.currentKey(), QStringLiteral("/solo"), 10000);
        QCOMPARE(window.currentNamespace().name, QStringLiteral("Solo"));
        QVERIFY(!child<QTableView>(&window, "namespaceList")->isVisible());
        for (const char *name : {"newNamespace", "delete", "flush", "clearRealtime"})
            QVERIFY2(!window.action(name)->isVisible(), name);
        QVERIFY(window.tabs()->isTabEnabled(MainWindow::ReportsTab));
        QVERIFY(window.tabs()->isTabEnabled(MainWindow::PushTab));
        // Its own settings can be saved.
        QLineEdit *name = child<QLineEdit>(window.editor(), "nsName");
        name->clear();
        QTest::keyClicks(name, QStringLiteral("Solo renamed"));
        window.action("saveNamespace")->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(serverNamespace(QStringLiteral("/solo")).name,
                                  QStringLiteral("Solo renamed"), 10000);
        QVERIFY(m_textQuestions.filter(QStringLiteral("Namespace password")).isEmpty());
    }

    void layoutRemembered()
    {
        m_window->resize(900, 640);
        m_window->close();
        QVERIFY(!m_settings->windowGeometry().isEmpty());
        MainWindow again(m_api.get(), m_settings.get(), testPrompts());
        QCOMPARE(again.size(), QSize(900, 640));
    }

    void cleanupTestCase()
    {
        m_window.reset();
        m_server.stop();
    }
};

QTEST_MAIN(TestConsoleFlows)
#include "tst_consoleflows.moc"
