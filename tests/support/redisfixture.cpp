#include "redisfixture.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QHostAddress>
#include <QTcpServer>
#include <QThread>

namespace qpush::test {

quint16 freeLoopbackPort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 0;
    return s.serverPort();
}

QString redisCli(quint16 port, const QStringList &args, int timeoutMs)
{
    QProcess p;
    p.start(QStringLiteral("redis-cli"),
            QStringList{QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                        QString::number(port)} +
                args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        return {};
    }
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

RedisServer::RedisServer(QString dir, bool clusterEnabled)
    : m_dir(std::move(dir)), m_cluster(clusterEnabled)
{
}

RedisServer::~RedisServer()
{
    stop();
}

bool RedisServer::start()
{
    if (isRunning())
        return true;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (m_port == 0 || attempt > 0)
            m_port = freeLoopbackPort();
        QStringList args = {QStringLiteral("--port"),
                            QString::number(m_port),
                            QStringLiteral("--bind"),
                            QStringLiteral("127.0.0.1"),
                            QStringLiteral("--save"),
                            QString(),
                            QStringLiteral("--appendonly"),
                            QStringLiteral("no"),
                            QStringLiteral("--dir"),
                            m_dir,
                            QStringLiteral("--protected-mode"),
                            QStringLiteral("no")};
        if (m_cluster) {
            args << QStringLiteral("--cluster-enabled") << QStringLiteral("yes")
                 << QStringLiteral("--cluster-config-file")
                 << QStringLiteral("nodes-%1.conf").arg(m_port)
                 << QStringLiteral("--cluster-node-timeout") << QStringLiteral("5000");
        }
        args += m_extraArgs;
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->start(QStringLiteral("redis-server"), args);
        if (!m_process->waitForStarted(5000)) {
            m_error = QStringLiteral("redis-server did not start: ") + m_process->errorString();
            return false;
        }
        QDeadlineTimer deadline(10000);
        while (!deadline.hasExpired() && m_process->state() == QProcess::Running) {
            const QString pong = redisCli(m_port, {QStringLiteral("PING")}, 2000);
            if (pong == u"PONG" || pong.startsWith(u"NOAUTH"))
                return true;
            QThread::msleep(20);
        }
        m_error = QStringLiteral("redis-server on port %1 did not answer: ").arg(m_port) +
                  QString::fromUtf8(m_process->readAll());
        stop();
    }
    return false;
}

void RedisServer::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
    m_process.reset();
}

bool RedisServer::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

QString RedisServer::address() const
{
    return QStringLiteral("127.0.0.1:%1").arg(m_port);
}

RedisCluster::RedisCluster(int masters) : m_masters(masters) {}

RedisCluster::~RedisCluster()
{
    m_nodes.clear();
}

bool RedisCluster::start()
{
    if (!m_dir.isValid()) {
        m_error = QStringLiteral("no temporary dir");
        return false;
    }
    QStringList addrs;
    for (int i = 0; i < m_masters; ++i) {
        auto node = std::make_unique<RedisServer>(m_dir.path(), true);
        if (!node->start()) {
            m_error = node->error();
            return false;
        }
        addrs << node->address();
        m_nodes.push_back(std::move(node));
    }
    QProcess create;
    create.setProcessChannelMode(QProcess::MergedChannels);
    create.start(QStringLiteral("redis-cli"),
                 QStringList{QStringLiteral("--cluster"), QStringLiteral("create")} + addrs +
                     QStringList{QStringLiteral("--cluster-replicas"), QStringLiteral("0"),
                                 QStringLiteral("--cluster-yes")});
    if (!create.waitForFinished(60000) || create.exitCode() != 0) {
        m_error = QStringLiteral("redis-cli --cluster create failed: ") +
                  QString::fromUtf8(create.readAll());
        return false;
    }
    return waitConverged();
}

bool RedisCluster::waitConverged(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        bool ok = true;
        for (auto &n : m_nodes) {
            if (!redisCli(n->port(), {QStringLiteral("CLUSTER"), QStringLiteral("INFO")})
                     .contains(u"cluster_state:ok")) {
                ok = false;
                break;
            }
        }
        if (ok)
            return true;
        QThread::msleep(100);
    }
    m_error = QStringLiteral("cluster did not converge");
    return false;
}

QStringList RedisCluster::addresses() const
{
    QStringList out;
    for (const auto &n : m_nodes)
        out << n->address();
    return out;
}

QString RedisCluster::nodeId(int i)
{
    return redisCli(node(i).port(), {QStringLiteral("CLUSTER"), QStringLiteral("MYID")});
}

int RedisCluster::ownerOf(int slot)
{
    // CLUSTER NODES lines: <id> <ip:port@cport> <flags> <master> ... <slot ranges>
    const QString nodes =
        redisCli(node(0).port(), {QStringLiteral("CLUSTER"), QStringLiteral("NODES")});
    for (const QString &line : nodes.split(u'\n', Qt::SkipEmptyParts)) {
        const QStringList f = line.split(u' ', Qt::SkipEmptyParts);
        if (f.size() < 9)
            continue;
        for (int k = 8; k < f.size(); ++k) {
            if (f[k].startsWith(u'['))
                continue;
            const QStringList range = f[k].split(u'-');
            const int lo = range[0].toInt();
            const int hi = range.size() > 1 ? range[1].toInt() : lo;
            if (slot >= lo && slot <= hi) {
                const quint16 port = quint16(f[1].section(u'@', 0, 0).section(u':', 1, 1).toUInt());
                for (int i = 0; i < size(); ++i) {
                    if (node(i).port() == port)
                        return i;
                }
            }
        }
    }
    return -1;
}

} // namespace qpush::test
