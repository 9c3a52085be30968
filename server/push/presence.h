// Who is online, as the domain asks it: expectAckCount of a push, online
// reports (SPEC §4 report/online, namespace list `online`); queries answer
// for the whole deployment. LocalPresence answers from this node's sockets
// (one node, SQLite); the Redis-backed one (server/cluster/redispresence.h)
// sums every node's share, and follows this node's comings and goings
// through the signals of the live client directory (LiveClients), which
// knows no presence: the dependency points one way.
// Queries are asynchronous; a callback may run before the call returns.
#pragma once

#include "store/types.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace qpush::push {

class LiveClients;

struct OnlineCounts
{
    qint64 clients = 0;
    qint64 users = 0;
    qint64 ios = 0;
    qint64 android = 0;
};

/// One live connection of a client: `connection` tells two connections of
/// the same client id apart (a replaced one going away must not remove its
/// successor).
struct OnlineClient
{
    QString clientId;
    QString nsp;
    QString userid;
    store::Platform platform = store::Platform::Web;
    QByteArray connection;
};

class Presence
{
public:
    virtual ~Presence() = default;

    /// Forgets every online client of a namespace, on every node
    /// (clear-realtime-data; the namespace is offline, its clients go).
    virtual void clearNamespace(const QString &nsp) = 0;

    /// Online clients of a room, `exceptClient` (may be empty) left out.
    virtual void countRoom(const QString &nsp, const QString &room, const QString &exceptClient,
                           std::function<void(qint64)> done) = 0;
    /// Per room, in the order of `rooms`.
    virtual void roomOnline(const QString &nsp, const QStringList &rooms,
                            std::function<void(QList<OnlineCounts>)> done) = 0;
    /// {roomCount, userCount, clientCount} (+ room/user/client lists with
    /// `detail`, each while its count is at most `listLimit`).
    virtual void namespaceOnline(const QString &nsp, bool detail, int listLimit,
                                 std::function<void(QJsonObject)> done) = 0;
};

/// The online state of this node alone, from its sockets (no store).
class LocalPresence final : public Presence
{
public:
    explicit LocalPresence(const LiveClients *live) : m_live(live) {}

    void clearNamespace(const QString &) override {} // the sockets are the state

    void countRoom(const QString &nsp, const QString &room, const QString &exceptClient,
                   std::function<void(qint64)> done) override;
    void roomOnline(const QString &nsp, const QStringList &rooms,
                    std::function<void(QList<OnlineCounts>)> done) override;
    void namespaceOnline(const QString &nsp, bool detail, int listLimit,
                         std::function<void(QJsonObject)> done) override;

private:
    const LiveClients *m_live;
};

} // namespace qpush::push
