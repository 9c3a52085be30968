#include "activitybroadcaster.h"

#include "liveclients.h"

#include <QJsonArray>

namespace qpush::push {

namespace {
// Rooms listed in a peopleJoin/peopleLeave event's `rooms`: the rooms of the
// operation when they are few; beyond that each event names only its own
// room, so that one operation on N rooms sends N small events, not N events
// of N names each (issue 11, finding 2).
constexpr qsizetype kActivityRoomsListed = 16;
} // namespace

ActivityBroadcaster::ActivityBroadcaster(const Settings *settings, QObject *parent)
    : QObject(parent), m_settings(settings)
{
}

void ActivityBroadcaster::broadcast(sio::Socket *socket, const QString &event,
                                    const QStringList &rooms, bool offline)
{
    const ConnectedClient *cc = LiveClients::clientOf(socket);
    if (!cc || !cc->activityBroadcast || !m_settings->roomActivityBroadcast || rooms.isEmpty())
        return;
    const bool listAll = rooms.size() <= kActivityRoomsListed;
    const QJsonArray roomArray = listAll ? QJsonArray::fromStringList(rooms) : QJsonArray();
    for (const QString &room : rooms) {
        const QJsonObject payload{{QStringLiteral("sid"), cc->clientId},
                                  {QStringLiteral("uuid"), cc->uuid},
                                  {QStringLiteral("userid"), cc->userid},
                                  {QStringLiteral("room"), room},
                                  {QStringLiteral("rooms"), listAll ? roomArray : QJsonArray{room}},
                                  {QStringLiteral("clientOffline"), offline}};
        socket->nsp()->to(room).except(socket->id()).emit(event, {payload});
        Q_EMIT activityBroadcast(cc->nsp, room, cc->clientId, event, payload);
    }
}

} // namespace qpush::push
