// The log output formats (log_format): the json line format, and that the
// installed handler writes it for qCInfo and friends. The SIGHUP reload of
// the logging keys, as a function and on the real qpush-server binary.
#include "app/config.h"
#include "app/logging.h"

#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>
#include <csignal>

using namespace qpush;

class TestLogging : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void jsonLine_data();
    void jsonLine();
    void jsonFormatInstalled();
    void reload_data();
    void reload();
    void sighupReloadsTheServer();
    void cleanup();
};

namespace {
void writeFile(const QString &path, const QByteArray &text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text);
}
} // namespace

void TestLogging::cleanup()
{
    applyLogging(Config()); // text, info: as the next test expects
}

void TestLogging::reload_data()
{
    QTest::addColumn<QStringList>("extraArgs");
    QTest::addColumn<QByteArray>("newFile");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("level");
    QTest::addColumn<QStringList>("mustContain");

    QTest::newRow("level from the file")
        << QStringList() << QByteArray("log_level: debug\nsocket_port: 1000\n") << true
        << QStringLiteral("debug") << QStringList{QStringLiteral("log_level debug")};
    QTest::newRow("other keys need a restart")
        << QStringList() << QByteArray("log_level: info\nsocket_port: 1001\npingInterval: 5\n")
        << true << QStringLiteral("info")
        << QStringList{QStringLiteral("restart"), QStringLiteral("socket_port"),
                       QStringLiteral("pingInterval")};
    QTest::newRow("command line still wins")
        << QStringList{QStringLiteral("--log-level"), QStringLiteral("critical")}
        << QByteArray("log_level: debug\nsocket_port: 1000\n") << true << QStringLiteral("critical")
        << QStringList{QStringLiteral("log_level critical")};
    QTest::newRow("bad value keeps the running level")
        << QStringList() << QByteArray("log_level: loud\nsocket_port: 1000\n") << false
        << QStringLiteral("warning")
        << QStringList{QStringLiteral("\"loud\""), QStringLiteral("not reloaded")};
    QTest::newRow("syntax error keeps the running level")
        << QStringList() << QByteArray("log_level: [debug\n") << false << QStringLiteral("warning")
        << QStringList{QStringLiteral("YAML")};
}

void TestLogging::reload()
{
    QFETCH(QStringList, extraArgs);
    QFETCH(QByteArray, newFile);
    QFETCH(bool, ok);
    QFETCH(QString, level);
    QFETCH(QStringList, mustContain);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(QStringLiteral("config.yaml"));
    writeFile(file, "log_level: warning\nsocket_port: 1000\n");
    const QStringList args =
        QStringList{QStringLiteral("qpush-server"), QStringLiteral("--config"), file} + extraArgs;
    const ConfigResult loaded = loadConfig(args, QProcessEnvironment());
    QVERIFY(std::holds_alternative<Config>(loaded));
    Config running = std::get<Config>(loaded);
    applyLogging(running);
    const QString before = running.log_level;

    writeFile(file, newFile);
    QString message;
    QCOMPARE(reloadLogging(running, args, QProcessEnvironment(), &message), ok);
    for (const QString &part : std::as_const(mustContain))
        QVERIFY2(message.contains(part), qPrintable(message));
    QCOMPARE(running.log_level, ok ? level : before);
    QCOMPARE(running.socket_port, quint16(1000)); // needs a restart: not applied
    QCOMPARE(lcApp().isDebugEnabled(), running.log_level == QLatin1String("debug"));
    QCOMPARE(lcApp().isWarningEnabled(), running.log_level != QLatin1String("critical"));
}

// qpush-server keeps running on SIGHUP and applies the file's new level.
void TestLogging::sighupReloadsTheServer()
{
    const QString server = qEnvironmentVariable("QPUSH_SERVER");
    QVERIFY2(QFile::exists(server), "QPUSH_SERVER must name the qpush-server binary");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(QStringLiteral("config.yaml"));
    const QByteArray common = "socket_ip: 127.0.0.1\nlogic_ip: 127.0.0.1\nsocket_port: 0\n"
                              "logic_port: 0\nadmin_passwd: secret\ndata_dir: " +
                              dir.path().toUtf8() + "\n";
    writeFile(file, common + "log_level: warning\n");

    QProcess process;
    process.setProgram(server);
    process.setArguments({QStringLiteral("--config"), file});
    process.start();
    QVERIFY(process.waitForStarted());
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput()).contains("listening"), 60000);

    writeFile(file, common + "log_level: info\n");
    QCOMPARE(::kill(pid_t(process.processId()), SIGHUP), 0);
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT(
        (err += process.readAllStandardError()).contains("configuration reloaded: log_level info"),
        60000);
    QCOMPARE(process.state(), QProcess::Running);

    process.terminate(); // SIGTERM: graceful shutdown, exit 0
    QVERIFY(process.waitForFinished(60000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
}

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
