// qpush-admin: the desktop console. Thin: options, the login dialog, the
// main window (or the screenshot tour for the docs).
#include "apiclient.h"
#include "certificatetrust.h"
#include "consolesettings.h"
#include "credentialstore.h"
#include "widgets/logindialog.h"
#include "widgets/mainwindow.h"
#include "widgets/screenshots.h"

#include "shared/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QPushButton>

using namespace qpush::admin;

namespace {

CertificateTrust::Decision askAboutCertificate(const QString &server,
                                               const QList<QSslError> &errors)
{
    QMessageBox box(QMessageBox::Warning, QObject::tr("Untrusted certificate"),
                    QObject::tr("The certificate of %1 is not trusted:").arg(server));
    box.setInformativeText(CertificateTrust::describe(errors) +
                           QObject::tr("\n\nConnect only if you know this certificate is the "
                                       "server's own (e.g. self-signed by your team)."));
    if (!errors.isEmpty())
        box.setDetailedText(QObject::tr("SHA-256: %1\n\n%2")
                                .arg(CertificateTrust::digestOf(errors.first().certificate()),
                                     errors.first().certificate().toText()));
    QPushButton *once = box.addButton(QObject::tr("Trust this &time"), QMessageBox::AcceptRole);
    QPushButton *always =
        box.addButton(QObject::tr("Trust and &remember for this server"), QMessageBox::AcceptRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == once)
        return CertificateTrust::Decision::AcceptOnce;
    if (box.clickedButton() == always)
        return CertificateTrust::Decision::AcceptAndRemember;
    return CertificateTrust::Decision::Reject;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication::setHighDpiScaleFactorRoundingPolicy(
        Qt::HighDpiScaleFactorRoundingPolicy::PassThrough);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("qpush-admin"));
    QApplication::setOrganizationName(QStringLiteral("qpush"));
    QApplication::setApplicationDisplayName(QObject::tr("qpush console"));
    QApplication::setApplicationVersion(qpush::versionString());
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/qpush-admin.svg")));
    QApplication::setDesktopFileName(QStringLiteral("qpush-admin"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QObject::tr("Desktop console of the qpush push server."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption serverOpt(QStringLiteral("server"),
                                       QObject::tr("API URL, e.g. http://127.0.0.1:56789."),
                                       QStringLiteral("url"));
    const QCommandLineOption userOpt(QStringLiteral("user"),
                                     QObject::tr("Admin name, or a namespace key (/demo)."),
                                     QStringLiteral("name"));
    const QCommandLineOption screenshotsOpt(
        QStringLiteral("screenshots"),
        QObject::tr("Log in (password from QPUSH_ADMIN_PASSWORD), save a PNG of every view to "
                    "DIR and quit."),
        QStringLiteral("dir"));
    const QCommandLineOption namespaceOpt(QStringLiteral("select"),
                                          QObject::tr("Namespace shown by --screenshots."),
                                          QStringLiteral("key"));
    const QCommandLineOption clientOpt(QStringLiteral("client"),
                                       QObject::tr("Client id looked up by --screenshots."),
                                       QStringLiteral("id"));
    parser.addOptions({serverOpt, userOpt, screenshotsOpt, namespaceOpt, clientOpt});
    parser.process(app);

    ConsoleSettings settings;
    CertificateTrust trust;
    trust.setAsker(askAboutCertificate);
    trust.setRememberHandler([&settings](const QString &server, const QString &digest) {
        settings.trustCertificate(server, digest);
    });
    for (const RecentServer &r : settings.recentServers()) {
        const QString server =
            r.server.host() + QLatin1Char(':') +
            QString::number(r.server.port(r.server.scheme() == u"https" ? 443 : 80));
        trust.addRemembered(server, settings.trustedCertificates(server));
    }
    ApiClient api(&trust);
    CredentialStore keychain;

    const QString user = parser.value(userOpt);
    const Session::Role role =
        user.startsWith(QLatin1Char('/')) ? Session::Role::Namespace : Session::Role::Admin;
    if (parser.isSet(screenshotsOpt)) {
        Session s{QUrl(parser.value(serverOpt)), role, user,
                  qEnvironmentVariable("QPUSH_ADMIN_PASSWORD")};
        ScreenshotOptions o{parser.value(screenshotsOpt), parser.value(namespaceOpt),
                            parser.value(clientOpt)};
        if (o.namespaceKey.isEmpty() && role == Session::Role::Namespace)
            o.namespaceKey = user;
        return runScreenshotTour(&api, &settings, s, o);
    }

    LoginDialog login(&api, &settings, &keychain);
    if (parser.isSet(serverOpt))
        login.setServer(parser.value(serverOpt));
    if (parser.isSet(userOpt))
        login.setCredentials(role, user, {});
    if (login.exec() != QDialog::Accepted)
        return 0;
    MainWindow window(&api, &settings, Prompts::interactive());
    window.show();
    window.start();
    return QApplication::exec();
}
