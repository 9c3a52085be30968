#pragma once
// Test fixtures: real redis-server processes on free 127.0.0.1 ports, single
// or a 3-master cluster built with `redis-cli --cluster create`.

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <vector>

namespace qpush::test {

/// A port that was free a moment ago (bound to 0, then released).
quint16 freeLoopbackPort();

/// Runs `redis-cli -p <port> <args>` and returns its stdout (trimmed).
QString redisCli(quint16 port, const QStringList &args, int timeoutMs = 10000);

class RedisServer
{
public:
    /// `dir` holds the server's files (cluster config).
    RedisServer(QString dir, bool clusterEnabled);
    ~RedisServer();
    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;

    /// Starts on a new free port (or the previous one after stop()); waits
    /// until it answers PING. False with a message in error() otherwise.
    bool start();
    void stop();
    /// Extra redis-server arguments for the next start(), e.g. --requirepass.
    void setExtraArgs(QStringList args) { m_extraArgs = std::move(args); }
    bool isRunning() const;
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    QString address() const;
    QString error() const { return m_error; }

private:
    QString m_dir;
    bool m_cluster;
    quint16 m_port = 0;
    QStringList m_extraArgs;
    std::unique_ptr<QProcess> m_process;
    QString m_error;
};

class RedisCluster
{
public:
    explicit RedisCluster(int masters = 3);
    ~RedisCluster();

    bool start();
    QStringList addresses() const;
    RedisServer &node(int i) { return *m_nodes.at(std::size_t(i)); }
    int size() const { return int(m_nodes.size()); }
    QString error() const { return m_error; }

    /// Index of the node owning `slot`, -1 if unknown.
    int ownerOf(int slot);
    QString nodeId(int i);
    /// Waits until every node reports cluster_state:ok and agrees on `slot`'s owner.
    bool waitConverged(int timeoutMs = 20000);

private:
    QTemporaryDir m_dir;
    int m_masters;
    std::vector<std::unique_ptr<RedisServer>> m_nodes;
    QString m_error;
};

} // namespace qpush::test
