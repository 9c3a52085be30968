// Settings every member of a room gets at once (SPEC §4 room-apns,
// room-leave-message): the do-not-disturb list and leaveMessage of each
// stored member. Both answer how many clients changed.
#pragma once

#include "requests.h"

#include "store/store.h"

namespace qpush::push {

class RoomSettings
{
public:
    explicit RoomSettings(store::Store *store) : m_store(store) {}

    void editApns(const QString &nsp, const RoomApnsRequest &request, Callback<qint64> done);
    void setLeaveMessage(const QString &nsp, const RoomLeaveMessageRequest &request,
                         Callback<qint64> done);

private:
    store::Store *m_store;
};

} // namespace qpush::push
