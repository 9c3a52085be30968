#pragma once
// Starts the real qpush-server binary for the console tests: loopback only,
// ports chosen by the kernel (port 0, read back from the "listening" line),
// a fresh SQLite data dir, known admin credentials. Header-only.

#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

namespace qpush::test {

class ServerProcess
{
public:
    static constexpr const char *AdminName = "admin";
    static constexpr const char *AdminPassword = "console:secret";

    ~ServerProcess() { stop(); }

    bool start(const QByteArray &extraConfig = {})
    {
        if (!m_dir.isValid())
            return false;
        const QString config = m_dir.filePath(QStringLiteral("config.yaml"));
        QFile f(config);
        if (!f.open(QIODevice::WriteOnly))
            return false;
        f.write("socket_ip: 127.0.0.1\nsocket_port: 0\nlogic_ip: 127.0.0.1\nlogic_port: 0\n"
                "admin_name: admin\nadmin_passwd: \"console:secret\"\n"
                "worker_message_timeout: 300\nlog_level: warning\n");
        f.write("data_dir: \"" + m_dir.path().toUtf8() + "\"\n");
        f.write(extraConfig);
        f.close();
        m_process.setProgram(QString::fromUtf8(QPUSH_SERVER_BIN));
        m_process.setArguments({QStringLiteral("--config"), config});
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.start();
        if (!m_process.waitForStarted(10000))
            return false;
        static const QRegularExpression re(
            QStringLiteral("qpush-server listening socket=[^:]+:(\\d+) api=[^:]+:(\\d+)"));
        QByteArray out;
        const bool ready = QTest::qWaitFor(
            [&] {
                out += m_process.readAllStandardOutput();
                const auto m = re.match(QString::fromUtf8(out));
                if (m.hasMatch()) {
                    m_socketPort = quint16(m.captured(1).toUInt());
                    m_apiPort = quint16(m.captured(2).toUInt());
                }
                return m_apiPort != 0 || m_process.state() == QProcess::NotRunning;
            },
            20000);
        if (!ready || m_apiPort == 0) {
            qWarning("qpush-server did not start: %s %s", out.constData(),
                     m_process.readAllStandardError().constData());
            return false;
        }
        return true;
    }

    void stop()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.terminate();
        if (!m_process.waitForFinished(10000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    quint16 apiPort() const { return m_apiPort; }
    quint16 socketPort() const { return m_socketPort; }
    QUrl apiUrl() const
    {
        QUrl u;
        u.setScheme(QStringLiteral("http"));
        u.setHost(QStringLiteral("127.0.0.1"));
        u.setPort(m_apiPort);
        return u;
    }
    QString dataDir() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_apiPort = 0;
    quint16 m_socketPort = 0;
};

} // namespace qpush::test
