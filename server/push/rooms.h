// Room names the domain gives a meaning to (SPEC §3): every client is in the
// user room of its user id, and no client may join or sync another user's.
#pragma once

#include <QString>

namespace qpush::push {

inline const QString &userRoomPrefix()
{
    static const QString prefix = QStringLiteral("user_");
    return prefix;
}

inline QString userRoom(const QString &userid)
{
    return userRoomPrefix() + userid;
}

inline bool isUserRoom(const QString &room)
{
    return room.startsWith(userRoomPrefix());
}

} // namespace qpush::push
