// /health and /ready of a real Application (in-process, port 0) on a real
// redis-server: /ready is 503 while Redis is down and 200 again once it is
// back; /health stays 200 throughout.
#include "app/application.h"
#include "app/config.h"
#include "support/redisfixture.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace qpush;

class TestReady : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void readyFollowsTheStore();

private:
    // Status and body of GET http://127.0.0.1:<port><path> (status 0 on failure).
    QPair<int, QByteArray> get(quint16 port, const QString &path);
    QNetworkAccessManager m_nam;
};

QPair<int, QByteArray> TestReady::get(quint16 port, const QString &path)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
    QNetworkReply *reply = m_nam.get(request);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(30000))
        return {0, {}};
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    reply->deleteLater();
    return {status, body};
}

void TestReady::readyFollowsTheStore()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    test::RedisServer redis(dir.path(), false);
    QVERIFY2(redis.start(), qPrintable(redis.error()));

    const ConfigResult loaded = loadConfig(
        {QStringLiteral("qpush-server"), QStringLiteral("--socket-port"), QStringLiteral("0"),
         QStringLiteral("--logic-port"), QStringLiteral("0"), QStringLiteral("--socket-ip"),
         QStringLiteral("127.0.0.1"), QStringLiteral("--logic-ip"), QStringLiteral("127.0.0.1"),
         QStringLiteral("--redis-address"), redis.address(), QStringLiteral("--data-dir"),
         dir.path()},
        QProcessEnvironment(), {});
    if (const auto *error = std::get_if<ConfigError>(&loaded))
        QFAIL(qPrintable(error->message));
    Application app(std::get<Config>(loaded), QStringLiteral("secret"));
    bool started = false;
    QString startError;
    app.start([&](const QString &error) {
        started = true;
        startError = error;
    });
    QTRY_VERIFY_WITH_TIMEOUT(started, 30000);
    QVERIFY2(startError.isEmpty(), qPrintable(startError));

    for (const quint16 port : {app.apiPort(), app.socketPort()}) {
        QCOMPARE(get(port, QStringLiteral("/ready")), qMakePair(200, QByteArray("ready")));
        QCOMPARE(get(port, QStringLiteral("/health")).first, 200);
    }

    redis.stop();
    QTRY_COMPARE_WITH_TIMEOUT(get(app.apiPort(), QStringLiteral("/ready")),
                              qMakePair(503, QByteArray("store unavailable")), 30000);
    QCOMPARE(get(app.socketPort(), QStringLiteral("/ready")).first, 503);
    QCOMPARE(get(app.apiPort(), QStringLiteral("/health")).first, 200);

    QVERIFY2(redis.start(), qPrintable(redis.error())); // the same port again
    QTRY_COMPARE_WITH_TIMEOUT(get(app.apiPort(), QStringLiteral("/ready")).first, 200, 30000);
}

QTEST_GUILESS_MAIN(TestReady)
#include "tst_ready.moc"
