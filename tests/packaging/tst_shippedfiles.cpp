// What the packages ship agrees with the program: every configuration key
// is explained in the installed config.yaml, every --help option is in the
// man page, --check-config validates, and the server reports readiness to
// systemd (sd_notify) once it serves.
#include "app/config.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

#ifdef QPUSH_HAVE_SYSTEMD
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace {

QString sourceFile(const QString &relative)
{
    return qEnvironmentVariable("QPUSHTEST_SOURCE_DIR") + u'/' + relative;
}

QStringList readLines(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).split(u'\n');
}

// The man page as plain text: roff's "\-" is a minus.
QString manText(const QString &page)
{
    QFile f(sourceFile(u"resources/man/"_s + page));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).replace(u"\\-"_s, u"-"_s);
}

// Every option named in a --help text: "-c, --config <FILE>" gives -c and --config.
QStringList optionsOfHelp(const QString &help)
{
    QStringList out;
    static const QRegularExpression optionLine(u"^\\s+(-[^ ].*?)(\\s{2,}|$)"_s);
    static const QRegularExpression name(u"(--?[A-Za-z][A-Za-z0-9-]*)"_s);
    const QStringList lines = help.split(u'\n');
    for (const QString &line : lines) {
        const auto m = optionLine.match(line);
        if (!m.hasMatch())
            continue;
        auto it = name.globalMatch(m.captured(1));
        while (it.hasNext())
            out.append(it.next().captured(1));
    }
    out.removeDuplicates();
    return out;
}

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run runServer(const QStringList &args, const QProcessEnvironment &env = {})
{
    QProcess p;
    QProcessEnvironment e = env.isEmpty() ? QProcessEnvironment() : env;
    e.insert(u"PATH"_s, qEnvironmentVariable("PATH"));
    p.setProcessEnvironment(e);
    p.start(QStringLiteral(QPUSH_SERVER_BINARY), args);
    Run r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
        return {};
    return path;
}

} // namespace

class TestShippedFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyConfigKeyHasAComment()
    {
        const QStringList lines = readLines(sourceFile(u"resources/config.yaml"_s));
        QVERIFY(!lines.isEmpty());
        const QStringList keys = qpush::configKeys();
        QVERIFY(keys.size() > 30);
        auto keyOf = [&keys](const QString &line) -> QString {
            static const QRegularExpression re(u"^#?\\s*([A-Za-z_]+):(\\s|$)"_s);
            const auto m = re.match(line);
            return m.hasMatch() && keys.contains(m.captured(1)) ? m.captured(1) : QString();
        };
        for (const QString &key : keys) {
            qsizetype at = -1;
            for (qsizetype i = 0; i < lines.size(); ++i) {
                if (keyOf(lines.at(i)) == key) {
                    at = i;
                    break;
                }
            }
            QVERIFY2(at >= 0, qPrintable(u"config.yaml does not show the key "_s + key));
            QVERIFY2(at > 0, qPrintable(key));
            const QString above = lines.at(at - 1);
            // A line of prose: a comment that is neither a key nor empty nor a rule.
            const bool prose = above.startsWith(u'#') && keyOf(above).isEmpty() &&
                               above.mid(1).trimmed().size() > 3 && !above.startsWith(u"# ---"_s);
            QVERIFY2(prose, qPrintable(u"config.yaml line "_s + QString::number(at + 1) + u": "_s +
                                       key + u" has no comment line directly above it"_s));
        }
    }

    void shippedConfigIsValid()
    {
        const QString path = sourceFile(u"resources/config.yaml"_s);
        const auto loaded =
            qpush::loadConfig({u"qpush-server"_s, u"--config"_s, path}, QProcessEnvironment(), {});
        if (const auto *error = std::get_if<qpush::ConfigError>(&loaded))
            QFAIL(qPrintable(error->message));
        const qpush::Config config = std::get<qpush::Config>(loaded);
        QVERIFY2(config.warnings.isEmpty(), qPrintable(config.warnings.join(u'\n')));
        QCOMPARE(int(config.socket_port), 21314);
        QCOMPARE(int(config.logic_port), 56789);
    }

    void everyServerOptionIsInTheManPage()
    {
        const auto help =
            qpush::loadConfig({u"qpush-server"_s, u"--help"_s}, QProcessEnvironment(), {});
        const auto *text = std::get_if<qpush::ConfigError>(&help);
        QVERIFY(text);
        QCOMPARE(text->exitCode, 0);
        const QStringList options = optionsOfHelp(text->message);
        QVERIFY2(options.contains(u"--check-config"_s), qPrintable(text->message));
        QVERIFY2(options.size() >= 18, qPrintable(options.join(u' ')));
        const QString man = manText(u"qpush-server.1"_s);
        QVERIFY(!man.isEmpty());
        for (const QString &option : options) {
            const QRegularExpression inMan(QRegularExpression::escape(option) +
                                           u"(?![A-Za-z0-9-])"_s);
            QVERIFY2(man.contains(inMan),
                     qPrintable(u"qpush-server.1 does not document "_s + option));
        }
        // Every key named in the help footer has its line in config.yaml too.
        for (const QString &key : qpush::configKeys())
            QVERIFY2(text->message.contains(key), qPrintable(key));
    }

    void everyAdminOptionIsInTheManPage()
    {
#ifndef QPUSH_ADMIN_BINARY
        QSKIP("qpush-admin is not built (QPUSH_BUILD_ADMIN_GUI=OFF)");
#else
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(QPUSH_ADMIN_BINARY), {u"--help"_s});
        if (!p.waitForFinished(10000)) {
            p.kill();
            p.waitForFinished();
            QSKIP("qpush-admin --help did not exit: it has no command-line parser yet");
        }
        const QString help = QString::fromUtf8(p.readAllStandardOutput());
        const QStringList options = optionsOfHelp(help);
        QVERIFY2(options.contains(u"--help"_s), qPrintable(help));
        const QString man = manText(u"qpush-admin.1"_s);
        QVERIFY(!man.isEmpty());
        for (const QString &option : options) {
            const QRegularExpression inMan(QRegularExpression::escape(option) +
                                           u"(?![A-Za-z0-9-])"_s);
            QVERIFY2(man.contains(inMan),
                     qPrintable(u"qpush-admin.1 does not document "_s + option));
        }
#endif
    }

    void checkConfigAcceptsTheShippedConfig()
    {
        const Run r =
            runServer({u"--check-config"_s, u"--config"_s, sourceFile(u"resources/config.yaml"_s)});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(u"configuration OK"_s), qPrintable(r.out));
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
    }

    void checkConfigNamesKeyAndLine()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path =
            writeFile(dir, u"bad.yaml"_s, "# a comment\nsocket_ip: 127.0.0.1\nlogic_port: 99999\n");
        QVERIFY(!path.isEmpty());
        const Run r = runServer({u"--check-config"_s, u"--config"_s, path});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(path + u":3"_s), qPrintable(r.err));
        QVERIFY2(r.err.contains(u"logic_port"_s), qPrintable(r.err));
        QVERIFY(!r.out.contains(u"configuration OK"_s));

        const QString broken = writeFile(dir, u"syntax.yaml"_s, "socket_port: 1\n  - [x\n");
        const Run s = runServer({u"--check-config"_s, u"--config"_s, broken});
        QCOMPARE(s.exitCode, 2);
        QVERIFY2(s.err.contains(broken + u':'), qPrintable(s.err));
    }

    void checkConfigWarnsAboutUnknownKeys()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = writeFile(dir, u"typo.yaml"_s, "socket_prot: 1234\n");
        const Run r = runServer({u"--check-config"_s, u"--config"_s, path});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.contains(u"socket_prot"_s) && r.err.contains(path + u":1"_s),
                 qPrintable(r.err));
    }

    void checkConfigSeesTheEnvironment()
    {
        QProcessEnvironment env;
        env.insert(u"QPUSH_PINGINTERVAL"_s, u"-5"_s);
        const Run r = runServer(
            {u"--check-config"_s, u"--config"_s, sourceFile(u"resources/config.yaml"_s)}, env);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(u"QPUSH_PINGINTERVAL"_s), qPrintable(r.err));
    }

    void unitReloadsWithSighup()
    {
        // `systemctl reload` sends SIGHUP, which the server handles (TLS
        // files, logging) instead of dying.
        QFile unit(sourceFile(u"packaging/systemd/qpush-server.service.in"_s));
        QVERIFY(unit.open(QIODevice::ReadOnly));
        const QByteArray text = unit.readAll();
        QVERIFY(text.contains("\nExecReload=/bin/sh -c 'kill -HUP $MAINPID'\n"));
    }

    void notifiesSystemdWhenReady()
    {
#ifndef QPUSH_HAVE_SYSTEMD
        QSKIP("built without libsystemd (QPUSH_SYSTEMD=OFF)");
#else
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QByteArray socketPath = dir.filePath(u"notify"_s).toUtf8();
        const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        auto closeFd = qScopeGuard([fd] { ::close(fd); });
        sockaddr_un addr = {};
        addr.sun_family = AF_UNIX;
        QVERIFY(size_t(socketPath.size()) < sizeof addr.sun_path);
        std::memcpy(addr.sun_path, socketPath.constData(), size_t(socketPath.size()));
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);

        auto receive = [fd](int timeoutMs) -> QByteArray {
            pollfd p = {fd, POLLIN, 0};
            if (::poll(&p, 1, timeoutMs) != 1)
                return {};
            char buf[4096];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            return n > 0 ? QByteArray(buf, n) : QByteArray();
        };

        QProcess server;
        QProcessEnvironment env;
        env.insert(u"PATH"_s, qEnvironmentVariable("PATH"));
        env.insert(u"NOTIFY_SOCKET"_s, QString::fromUtf8(socketPath));
        server.setProcessEnvironment(env);
        server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        server.start(QStringLiteral(QPUSH_SERVER_BINARY),
                     {u"--socket-ip"_s, u"127.0.0.1"_s, u"--logic-ip"_s, u"127.0.0.1"_s,
                      u"--socket-port"_s, u"0"_s, u"--logic-port"_s, u"0"_s, u"--data-dir"_s,
                      dir.filePath(u"data"_s), u"--admin-passwd"_s, u"secret"_s});
        QVERIFY(server.waitForStarted());
        auto stop = qScopeGuard([&server] {
            if (server.state() != QProcess::NotRunning) {
                server.kill();
                server.waitForFinished();
            }
        });
        const QByteArray ready = receive(60000);
        QVERIFY2(ready.contains("READY=1"), ready.constData());
        QVERIFY2(ready.contains("STATUS=listening"), ready.constData());
        // Ready means serving: the ports are open when READY=1 arrives.
        QVERIFY(server.waitForReadyRead(10000) || server.bytesAvailable() > 0);
        QVERIFY(server.readAllStandardOutput().contains("listening"));

        server.terminate(); // SIGTERM, as systemctl stop sends
        const QByteArray stopping = receive(30000);
        QVERIFY2(stopping.contains("STOPPING=1"), stopping.constData());
        QVERIFY(server.waitForFinished(30000));
        QCOMPARE(server.exitCode(), 0);
#endif
    }
};

QTEST_GUILESS_MAIN(TestShippedFiles)
#include "tst_shippedfiles.moc"
