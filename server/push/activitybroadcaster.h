// Room activity (SPEC §3): when a client that asked for it
// (activityBroadcast) enters or leaves rooms, the other members of each room
// get peopleJoin / peopleLeave. The signal is the cluster bus's hook, so
// that the members on other nodes hear it too.
#pragma once

#include "settings.h"

#include "socketio/server.h"

#include <QJsonObject>
#include <QObject>

namespace qpush::push {

class ActivityBroadcaster : public QObject
{
    Q_OBJECT
public:
    explicit ActivityBroadcaster(const Settings *settings, QObject *parent = nullptr);

    // `socket` (a connected client) entered (peopleJoin) or left
    // (peopleLeave) `rooms`; `offline` tells whether it is disconnecting.
    void broadcast(sio::Socket *socket, const QString &event, const QStringList &rooms,
                   bool offline);

Q_SIGNALS:
    // A room activity event went to this node's members of `room`, except
    // the client it is about.
    void activityBroadcast(const QString &nsp, const QString &room, const QString &exceptClient,
                           const QString &event, const QJsonObject &payload);

private:
    const Settings *m_settings;
};

} // namespace qpush::push
