// The log output formats (log_format): the json line format, and that the
// installed handler writes it for qCInfo and friends.
#include "app/config.h"
#include "app/logging.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace qpush;

class TestLogging : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void jsonLine_data();
    void jsonLine();
    void jsonFormatInstalled();
};

void TestLogging::jsonLine_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("level");

    QTest::newRow("info") << int(QtInfoMsg) << QStringLiteral("listening on 1") << "info";
    QTest::newRow("debug") << int(QtDebugMsg) << QStringLiteral("x") << "debug";
    QTest::newRow("warning") << int(QtWarningMsg) << QStringLiteral("w") << "warning";
    QTest::newRow("critical") << int(QtCriticalMsg) << QStringLiteral("c") << "critical";
    QTest::newRow("newlines and quotes")
        << int(QtInfoMsg) << QStringLiteral("a\nb\r\"c\"\\\t\x01") << "info";
    QTest::newRow("unicode") << int(QtWarningMsg) << QStringLiteral("通知 \u2028 😀") << "warning";
    QTest::newRow("empty") << int(QtInfoMsg) << QString() << "info";
}

void TestLogging::jsonLine()
{
    QFETCH(int, type);
    QFETCH(QString, message);
    QFETCH(QString, level);

    const QDateTime time(QDate(2026, 1, 2), QTime(10, 0, 0, 123), Qt::UTC);
    const QByteArray line = jsonLogLine(QtMsgType(type), "qpush.app", message, time);
    QVERIFY(line.endsWith('\n'));
    QCOMPARE(line.count('\n'), 1); // one record per line, whatever the message holds
    QVERIFY(line.startsWith("{\"time\":"));
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QJsonObject o = doc.object();
    QCOMPARE(o.size(), 4);
    QCOMPARE(o.value(QStringLiteral("time")).toString(),
             QStringLiteral("2026-01-02T10:00:00.123Z"));
    QCOMPARE(o.value(QStringLiteral("level")).toString(), level);
    QCOMPARE(o.value(QStringLiteral("category")).toString(), QStringLiteral("qpush.app"));
    QCOMPARE(o.value(QStringLiteral("message")).toString(), message);
}

// A child process (this test binary, in a mode) logs through applyLogging;
// its stderr must hold exactly the json lines of the enabled messages.
void TestLogging::jsonFormatInstalled()
{
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QPUSHTEST_LOG_CHILD"), QStringLiteral("1"));
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(child.waitForFinished(60000));
    QCOMPARE(child.exitCode(), 0);
    const QList<QByteArray> lines = child.readAllStandardError().split('\n');
    QCOMPARE(lines.size(), 3); // two records and the empty rest after the last newline
    QVERIFY(lines.last().isEmpty());
    const QJsonObject first = QJsonDocument::fromJson(lines[0]).object();
    QCOMPARE(first.value(QStringLiteral("level")).toString(), QStringLiteral("info"));
    QCOMPARE(first.value(QStringLiteral("category")).toString(), QStringLiteral("qpush.app"));
    QCOMPARE(first.value(QStringLiteral("message")).toString(), QStringLiteral("started \"x\""));
    const QJsonObject second = QJsonDocument::fromJson(lines[1]).object();
    QCOMPARE(second.value(QStringLiteral("level")).toString(), QStringLiteral("warning"));
    QVERIFY(second.value(QStringLiteral("time")).toString().endsWith(QLatin1Char('Z')));
}

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsSet("QPUSHTEST_LOG_CHILD")) {
        QCoreApplication app(argc, argv);
        Config config;
        config.log_format = QStringLiteral("json");
        config.log_level = QStringLiteral("info");
        applyLogging(config);
        qCDebug(lcApp) << "not shown at info";
        qCInfo(lcApp).noquote() << "started \"x\"";
        qCWarning(lcApp) << "careful";
        return 0;
    }
    QCoreApplication app(argc, argv);
    TestLogging test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_logging.moc"
