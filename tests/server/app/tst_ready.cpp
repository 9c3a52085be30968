// /health and /ready of a real Application (in-process, port 0) on a real
// redis-server: /ready is 503 while Redis is down and 200 again once it is
// back; /health stays 200 throughout. A node started while Redis is down
// says so at once, answers /ready 503 while it retries, and becomes ready
// when Redis comes.
#include "app/application.h"
#include "app/config.h"
#include "support/redisfixture.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace qpush;

class TestReady : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void readyFollowsTheStore();
    void startsWithRedisDown();

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

namespace {
QStringList g_warnings;
QtMessageHandler g_previous = nullptr;
void recordWarnings(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtWarningMsg)
        g_warnings.append(message);
    g_previous(type, context, message);
}
} // namespace

void TestReady::startsWithRedisDown()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    test::RedisServer redis(dir.path(), false);
    QVERIFY2(redis.start(), qPrintable(redis.error())); // picks the port
    redis.stop();

    const ConfigResult loaded = loadConfig(
        {QStringLiteral("qpush-server"), QStringLiteral("--socket-port"), QStringLiteral("0"),
         QStringLiteral("--logic-port"), QStringLiteral("0"), QStringLiteral("--socket-ip"),
         QStringLiteral("127.0.0.1"), QStringLiteral("--logic-ip"), QStringLiteral("127.0.0.1"),
         QStringLiteral("--redis-address"), redis.address(), QStringLiteral("--data-dir"),
         dir.path()},
        QProcessEnvironment(), {});
    if (const auto *error = std::get_if<ConfigError>(&loaded))
        QFAIL(qPrintable(error->message));
    g_warnings.clear();
    g_previous = qInstallMessageHandler(recordWarnings);
    auto restore = qScopeGuard([] { qInstallMessageHandler(g_previous); });
    Application app(std::get<Config>(loaded), QStringLiteral("secret"));
    bool started = false;
    QString startError;
    app.start([&](const QString &error) {
        started = true;
        startError = error;
    });
    // The ports are open at once; the attempts are logged, one line each,
    // naming the address and the error.
    QVERIFY(app.apiPort() != 0);
    const QString attempt = QStringLiteral("cannot connect to redis at %1").arg(redis.address());
    auto attempts = [&] { return g_warnings.filter(attempt).size(); };
    QTRY_VERIFY_WITH_TIMEOUT(attempts() >= 2, 30000);
    QVERIFY2(g_warnings.filter(attempt).first().contains(QStringLiteral("retrying in")),
             qPrintable(g_warnings.join(u'\n')));
    QCOMPARE(get(app.apiPort(), QStringLiteral("/ready")),
             qMakePair(503, QByteArray("store unavailable")));
    QCOMPARE(get(app.socketPort(), QStringLiteral("/ready")).first, 503);
    QCOMPARE(get(app.apiPort(), QStringLiteral("/health")).first, 200);
    QCOMPARE(get(app.apiPort(), QStringLiteral("/api/admin/namespace/list")).first, 503);
    QCOMPARE(get(app.socketPort(), QStringLiteral("/socket.io/?EIO=4&transport=polling")).first,
             503);
    QVERIFY(!started);

    QVERIFY2(redis.start(), qPrintable(redis.error())); // the same port
    QTRY_VERIFY_WITH_TIMEOUT(started, 60000);
    QVERIFY2(startError.isEmpty(), qPrintable(startError));
    QTRY_COMPARE_WITH_TIMEOUT(get(app.apiPort(), QStringLiteral("/ready")),
                              qMakePair(200, QByteArray("ready")), 30000);
    const int status =
        get(app.socketPort(), QStringLiteral("/socket.io/?EIO=4&transport=polling")).first;
    QCOMPARE(status, 200);
}

QTEST_GUILESS_MAIN(TestReady)
#include "tst_ready.moc"
