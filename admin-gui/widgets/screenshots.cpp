#include "screenshots.h"

#include "apiclient.h"
#include "apnsentrydialog.h"
#include "clientview.h"
#include "consolesettings.h"
#include "credentialstore.h"
#include "logindialog.h"
#include "mainwindow.h"
#include "namespaceeditor.h"
#include "namespacemodel.h"
#include "reportmodel.h"
#include "reportsview.h"

#include <QApplication>
#include <QDir>
#include <QEventLoop>
#include <QMessageBox>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

namespace qpush::admin {

namespace {

void settle(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

bool waitFor(const std::function<bool()> &done, int timeoutMs)
{
    for (int waited = 0; waited < timeoutMs; waited += 50) {
        if (done())
            return true;
        settle(50);
    }
    return done();
}

bool save(QWidget *w, const QString &dir, const QString &name)
{
    settle(300);
    const QString path = QDir(dir).filePath(name + QStringLiteral(".png"));
    const bool ok = w->grab().save(path);
    std::fprintf(stderr, "%s %s\n", ok ? "wrote" : "FAILED", qPrintable(path));
    return ok;
}

} // namespace

int runScreenshotTour(ApiClient *api, ConsoleSettings *settings, const Session &session,
                      const ScreenshotOptions &options)
{
    QDir().mkpath(options.directory);
    int failures = 0;
    CredentialStore keychain;
    {
        LoginDialog login(api, settings, &keychain);
        login.setServer(session.server.toString());
        login.setCredentials(session.role, session.user, session.password);
        login.show();
        failures += !save(&login, options.directory, QStringLiteral("console-login"));
        login.connectToServer();
        if (!waitFor([&] { return login.result() == QDialog::Accepted; }, 15000)) {
            std::fprintf(stderr, "cannot log in to %s\n", qPrintable(session.server.toString()));
            return 2;
        }
    }
    Prompts prompts = Prompts::interactive();
    MainWindow window(api, settings, prompts);
    window.resize(1280, 800);
    window.show();
    window.start();
    if (session.isAdmin()) {
        waitFor([&] { return window.namespaces()->rowCount() > 0; }, 15000);
        window.selectNamespace(options.namespaceKey);
    }
    waitFor([&] { return window.currentKey() == options.namespaceKey; }, 15000);
    window.tabs()->setCurrentIndex(MainWindow::SettingsTab);
    failures += !save(&window, options.directory, QStringLiteral("console-namespaces"));

    window.tabs()->setCurrentIndex(MainWindow::DashboardTab);
    settle(6000); // a few polls for the chart
    failures += !save(&window, options.directory, QStringLiteral("console-dashboard"));

    window.tabs()->setCurrentIndex(MainWindow::ReportsTab);
    waitFor([&] { return window.reports()->model()->rowCount() > 0; }, 15000);
    if (const PushReport *r = window.reports()->model()->reportAt(0))
        window.reports()->openReport(r->id);
    waitFor([&] { return window.reports()->shownId() != 0; }, 15000);
    failures += !save(&window, options.directory, QStringLiteral("console-reports"));

    window.tabs()->setCurrentIndex(MainWindow::PushTab);
    failures += !save(&window, options.directory, QStringLiteral("console-push"));

    window.tabs()->setCurrentIndex(MainWindow::ClientsTab);
    if (!options.clientId.isEmpty()) {
        window.clients()->lookUp(options.clientId);
        waitFor([&] { return !window.clients()->shown().id.isEmpty(); }, 15000);
    }
    failures += !save(&window, options.directory, QStringLiteral("console-clients"));

    window.tabs()->setCurrentIndex(MainWindow::SettingsTab);
    if (!window.currentNamespace().apnsList.isEmpty()) {
        ApnsEntryDialog dialog(&window.prompts(), &window);
        dialog.setEntry(window.currentNamespace().apnsList.first());
        dialog.show();
        failures += !save(&dialog, options.directory, QStringLiteral("console-apns"));
    }
    window.about();
    settle(300);
    for (QWidget *w : QApplication::topLevelWidgets())
        if (w->objectName() == u"aboutBox" && w->isVisible()) {
            failures += !save(w, options.directory, QStringLiteral("console-about"));
            w->close();
        }
    return failures == 0 ? 0 : 1;
}

} // namespace qpush::admin
