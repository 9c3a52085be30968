// The {status, msg} reply of a client event (SPEC §3): the one place where a
// domain error kind becomes the status a client sees. The numbers follow
// HTTP's on purpose (clients of the Node.js original compare them), but this
// mapping is the client edge's own, independent of the REST one.
#pragma once

#include "settings.h"

#include "store/types.h"

#include <QJsonObject>

namespace qpush::push {

// {status: 200, msg: "ok"}
QJsonObject okReply();
// {status: <kind's status>, msg: error.message}
QJsonObject clientReply(const DomainError &error);
// The `sync` reply: ok, the room's serverNum and msgList (the pushes, if any).
QJsonObject syncReply(const store::SyncResult &result);
inline QJsonObject clientReply(DomainError::Kind kind, const QString &message)
{
    return clientReply(DomainError{kind, message});
}

} // namespace qpush::push
