#pragma once
// The messages nodes exchange over Redis pub/sub, and their compact binary
// codec (pure: no socket, no Redis). A push is encoded once by the node that
// accepted it and decoded once by each other node, which then encodes the
// Socket.IO packet once for its own sockets.
//
// Layout: "QB" magic, version (1), kind, origin node id, then the kind's
// fields. Integers are big-endian int64, strings/bytes a big-endian uint32
// length and the bytes, booleans one byte 0/1. A decoder refuses anything
// truncated, with trailing bytes, of an unknown version/kind, or with a
// count that the remaining bytes cannot hold.

#include "store/types.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace qpush::cluster {

struct BusMessage
{
    enum class Kind : quint8 {
        Push = 1,             ///< deliver `push` to the room's online clients
        Transfer = 2,         ///< move online clients in/out of a room and tell them
        NamespaceChanged = 3, ///< reload namespace `nsp` from the store
        RoomEvent = 4,        ///< emit `event` with `payload` to a room (peopleJoin/Leave)
    };

    Kind kind = Kind::Push;
    QByteArray origin; ///< node id of the sender (a node ignores its own messages)

    store::PushMessage push; // Push

    QString nsp;           // Transfer, NamespaceChanged
    QStringList clientIds; // Transfer
    QString targetRoom;    // Transfer
    bool join = false;     // Transfer
    QByteArray payload;    // Transfer, RoomEvent: the event payload, compact JSON

    QString room;         // RoomEvent
    QString event;        // RoomEvent
    QString exceptClient; // RoomEvent: this client id gets nothing
};

/// Client ids in one transfer message, at most (a larger transfer is split).
inline constexpr qsizetype kMaxBusClientIds = 100000;

QByteArray encodeBusMessage(const BusMessage &message);
std::optional<BusMessage> decodeBusMessage(const QByteArray &bytes);

} // namespace qpush::cluster
