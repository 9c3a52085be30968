// qpush-apns-bench [count] [maxInFlight]: sends `count` notifications (default
// 20 000) through one apns::ProviderConnection (token auth, ES256) to the
// Node.js HTTP/2 stand-in on a loopback port and prints notifications per
// second, the number of TCP connections the stand-in saw and the failures.
// Bounded: it stops after `count` answers or 10 minutes.
#include "apns/configuration.h"
#include "apns/providerconnection.h"

#include "support/apnsstandin.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QSet>
#include <QTimer>

#include <cstdio>

using namespace qpush::apns;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int count = args.size() > 1 ? args.at(1).toInt() : 20000;
    const int inFlight = args.size() > 2 ? args.at(2).toInt() : 100;
    if (count <= 0 || inFlight <= 0) {
        std::fprintf(stderr, "usage: qpush-apns-bench [count] [maxInFlight]\n");
        return 2;
    }
    if (!qEnvironmentVariableIsSet("QPUSHTEST_SOURCE_DIR"))
        qputenv("QPUSHTEST_SOURCE_DIR", QPUSH_SOURCE_DIR);
    ApnsStandIn standIn;
    const QString error = standIn.start();
    if (!error.isEmpty()) {
        std::fprintf(stderr, "stand-in: %s\n", qPrintable(error));
        return 1;
    }
    Entry e;
    e.name = QStringLiteral("bench");
    e.apnsTopic = QStringLiteral("com.example.app");
    e.tokenKey = QString::fromUtf8(standIn.read(QStringLiteral("token.p8")));
    e.tokenKeyId = standIn.options().keyId;
    e.tokenTeamId = standIn.options().teamId;
    QString why;
    const auto configuration = Configuration::fromEntry(e, QDateTime::currentDateTimeUtc(), &why);
    if (!configuration) {
        std::fprintf(stderr, "%s\n", qPrintable(why));
        return 1;
    }
    ConnectionOptions o;
    o.endpoint = *Endpoint::parse(standIn.host());
    o.extraCaCertificates = QSslCertificate::fromPath(standIn.file(QStringLiteral("ca.pem")));
    o.maxInFlight = inFlight;
    o.maxQueued = count;
    ProviderConnection connection(*configuration, o);

    // Warm-up: the TLS handshake and the first token are not measured.
    int answered = 0, failed = 0;
    QElapsedTimer clock;
    auto submitAll = [&] {
        clock.start();
        for (int i = 0; i < count; ++i) {
            Notification n;
            n.deviceToken = QStringLiteral("%1").arg(i, 64, 16, QLatin1Char('0'));
            n.payload = QByteArrayLiteral(R"({"aps":{"alert":"bench"}})");
            connection.submit(std::move(n), [&](const Outcome &out) {
                failed += out.success ? 0 : 1;
                if (++answered == count)
                    app.quit();
            });
        }
    };
    connection.submit(Notification{QStringLiteral("00"), "{}", {}, {}, 0},
                      [&](const Outcome &) { submitAll(); });
    QTimer::singleShot(10 * 60 * 1000, &app, [&] { app.exit(3); });
    const int rc = app.exec();
    const double seconds = clock.nsecsElapsed() / 1e9;
    QSet<int> connections;
    for (const QJsonValue &v : standIn.requests())
        connections.insert(v.toObject().value(QStringLiteral("connection")).toInt());
    std::printf("apns: %d notifications in %.2f s = %.0f notifications/s over %lld TCP "
                "connection(s), %d in flight max, %d failed%s\n",
                answered, seconds, answered / seconds, qlonglong(connections.size()), inFlight,
                failed, rc == 3 ? " (stopped after 10 minutes)" : "");
    return rc == 0 && failed == 0 ? 0 : 1;
}
