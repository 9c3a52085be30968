// qpush-server: parse the configuration, build the application, run.
#include "app/adminpassword.h"
#include "app/application.h"
#include "app/config.h"
#include "app/logging.h"
#include "app/servicemanager.h"
#ifdef Q_OS_WIN
#include "app/windowsservice.h"
#include <QPointer>
#endif
#include "eventloop/dispatcher.h"
#include "eventloop/signalwatcher.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <cstdio>

int main(int argc, char *argv[])
{
    // Linux: the epoll dispatcher (docs/architecture.md); else Qt's own.
    const char *dispatcher = qpush::eventloop::installEventDispatcher();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("qpush-server"));

    QStringList arguments = QCoreApplication::arguments();
#ifdef Q_OS_WIN
    // Started by the service control manager (the NSIS installer registers
    // `qpush-server --windows-service ...`); see docs/packaging.md.
    const bool asService = arguments.removeAll(QStringLiteral("--windows-service")) > 0;
    QPointer<qpush::Application> running;
    if (asService && !qpush::windowsservice::connect([&running] {
            QMetaObject::invokeMethod(
                qApp,
                [&running] {
                    if (running)
                        running->shutdown();
                    else
                        QCoreApplication::exit(0);
                },
                Qt::QueuedConnection);
        })) {
        std::fprintf(stderr, "qpush-server: --windows-service: not started by the service "
                             "control manager\n");
        return 2;
    }
    struct ServiceExit
    {
        bool active;
        int code = 0;
        ~ServiceExit()
        {
            if (active)
                qpush::windowsservice::reportStopped(code);
        }
    } serviceExit{asService};
    auto exitWith = [&serviceExit](int code) {
        serviceExit.code = code;
        return code;
    };
#else
    auto exitWith = [](int code) { return code; };
#endif

    qpush::ConfigResult loaded =
        qpush::loadConfig(arguments, QProcessEnvironment::systemEnvironment());
    if (auto *err = std::get_if<qpush::ConfigError>(&loaded)) {
        if (err->exitCode == 0) { // --help / --version
            std::fputs(qPrintable(err->message + QLatin1Char('\n')), stdout);
            return 0;
        }
        std::fprintf(stderr, "qpush-server: %s\n", qPrintable(err->message));
        return exitWith(err->exitCode);
    }
    qpush::Config config = std::get<qpush::Config>(std::move(loaded));
    if (config.checkOnly) {
        for (const QString &w : std::as_const(config.warnings))
            std::fprintf(stderr, "qpush-server: warning: %s\n", qPrintable(w));
        std::fprintf(stdout, "qpush-server: configuration OK (%s)\n",
                     config.configFile.isEmpty()
                         ? "no configuration file, defaults and overrides only"
                         : qPrintable(config.configFile));
        return 0;
    }
    qpush::applyLogging(config);
    qCInfo(lcApp) << "event dispatcher:" << dispatcher;
    for (const QString &w : std::as_const(config.warnings))
        qCWarning(lcApp).noquote() << w;

    QString notice;
    auto password = qpush::AdminPassword::resolve(config, &notice);
    if (auto *err = std::get_if<qpush::ConfigError>(&password)) {
        std::fprintf(stderr, "qpush-server: %s\n", qPrintable(err->message));
        return exitWith(err->exitCode);
    }
    if (!notice.isEmpty())
        std::fprintf(stdout, "%s\n", qPrintable(notice));

    qpush::Application application(config, std::get<QString>(password));
    QString tlsError;
    if (!application.loadTls(&tlsError)) { // a configuration error, like a bad value
        std::fprintf(stderr, "qpush-server: %s\n", qPrintable(tlsError));
        return 2;
    }
#ifdef Q_OS_WIN
    running = &application;
#endif
    application.start([&application, config](const QString &error) {
        if (!error.isEmpty()) {
            std::fprintf(stderr, "qpush-server: %s\n", qPrintable(error));
            QCoreApplication::exit(1);
            return;
        }
        const QString status = QStringLiteral("listening socket=%1:%2 api=%3:%4 store=%5")
                                   .arg(config.socket_ip)
                                   .arg(application.socketPort())
                                   .arg(config.single_port ? config.socket_ip : config.logic_ip)
                                   .arg(application.apiPort())
                                   .arg(config.store);
        std::fprintf(stdout, "qpush-server %s\n", qPrintable(status));
        std::fflush(stdout);
        qpush::servicemanager::notifyReady(status);
#ifdef Q_OS_WIN
        if (serviceExit.active)
            qpush::windowsservice::reportRunning();
#endif
    });

    qpush::eventloop::SignalWatcher signals;
    QObject::connect(&signals, &qpush::eventloop::SignalWatcher::terminationRequested, &application,
                     [&application](int sig) {
                         qCInfo(lcApp) << "signal" << sig << "received";
                         qpush::servicemanager::notifyStopping(QStringLiteral("shutting down"));
                         application.shutdown();
                     });
    // SIGHUP: the logging keys are read again and the TLS certificate and key
    // files reloaded (docs/configuration.md); the process keeps running.
    QObject::connect(&signals, &qpush::eventloop::SignalWatcher::reloadRequested, &application,
                     [&application, &config] {
                         QString message;
                         if (qpush::reloadLogging(config, QCoreApplication::arguments(),
                                                  QProcessEnvironment::systemEnvironment(),
                                                  &message))
                             qCInfo(lcApp).noquote() << message;
                         else
                             qCWarning(lcApp).noquote() << message;
                         application.reloadTls();
                     });
    QObject::connect(&application, &qpush::Application::finished, &app,
                     [] { QCoreApplication::exit(0); });
    return exitWith(QCoreApplication::exec());
}
