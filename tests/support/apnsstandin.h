// Starts tests/support/apns-standin/standin.js (Node.js http2 over TLS on a
// loopback port) from Qt tests and talks to its control port. The PKI it
// generates (CA, server, client and rogue client certificates, ES256 keys)
// lives in a temporary directory shared by restarts.
#pragma once

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <memory>

struct ApnsStandInOptions
{
    bool requireClientCert = false;
    int maxTokenAge = 3600;
    QString keyId = QStringLiteral("KEYID12345");
    QString teamId = QStringLiteral("TEAMID1234");
};

class ApnsStandIn
{
public:
    using Options = ApnsStandInOptions;

    explicit ApnsStandIn(Options options = Options()) : m_options(std::move(options)) {}
    ~ApnsStandIn() { stop(); }

    /// Starts it (on the same ports as before after a stop). Empty on success.
    QString start()
    {
        const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
        if (node.isEmpty())
            return QStringLiteral("node not found in PATH");
        const QString script = qEnvironmentVariable("QPUSHTEST_SOURCE_DIR") +
                               QStringLiteral("/tests/support/apns-standin/standin.js");
        QStringList args{script,
                         QStringLiteral("--dir"),
                         m_dir.path(),
                         QStringLiteral("--key-id"),
                         m_options.keyId,
                         QStringLiteral("--team-id"),
                         m_options.teamId,
                         QStringLiteral("--max-token-age"),
                         QString::number(m_options.maxTokenAge)};
        if (m_options.requireClientCert)
            args << QStringLiteral("--require-client-cert");
        if (m_port)
            args << QStringLiteral("--port") << QString::number(m_port)
                 << QStringLiteral("--control-port") << QString::number(m_controlPort);
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process->start(node, args);
        if (!m_process->waitForStarted(10000))
            return QStringLiteral("cannot start node: ") + m_process->errorString();
        QByteArray line;
        for (int i = 0; i < 600 && !line.endsWith('\n'); ++i) { // PKI generation: a few seconds
            if (!m_process->waitForReadyRead(100) && m_process->state() != QProcess::Running)
                return QStringLiteral("the stand-in exited");
            line += m_process->readAll();
        }
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        m_port = quint16(o.value(QStringLiteral("port")).toInt());
        m_controlPort = quint16(o.value(QStringLiteral("controlPort")).toInt());
        if (!m_port || !m_controlPort)
            return QStringLiteral("the stand-in did not report its ports: ") +
                   QString::fromUtf8(line);
        return {};
    }

    /// kill -9: connections drop without GOAWAY.
    void stop()
    {
        if (!m_process)
            return;
        m_process->kill();
        m_process->waitForFinished(10000);
        m_process.reset();
    }

    quint16 port() const { return m_port; }
    QString host() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }
    QString file(const QString &name) const { return m_dir.filePath(name); }
    QByteArray read(const QString &name) const
    {
        QFile f(file(name));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    const Options &options() const { return m_options; }

    /// POST /rules with a JSON object (see standin.js).
    bool setRules(const QJsonObject &rules) { return call("POST", "/rules", rules).isObject(); }
    bool reset() { return call("POST", "/reset", {}).isObject(); }
    QJsonArray requests() { return call("GET", "/requests", {}).array(); }

private:
    QJsonDocument call(const QByteArray &verb, const char *path, const QJsonObject &body)
    {
        QNetworkAccessManager nam;
        QNetworkRequest request(QUrl(
            QStringLiteral("http://127.0.0.1:%1%2").arg(m_controlPort).arg(QLatin1String(path))));
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        request.setTransferTimeout(20000);
        QNetworkReply *reply = nam.sendCustomRequest(
            request, verb, QJsonDocument(body).toJson(QJsonDocument::Compact));
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        const QJsonDocument doc = QJsonDocument::fromJson(reply->readAll());
        reply->deleteLater();
        return doc;
    }

    Options m_options;
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
    quint16 m_controlPort = 0;
};
