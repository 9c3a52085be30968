#include "roomsettings.h"

#include "storeresult.h"

namespace qpush::push {

void RoomSettings::editApns(const QString &nsp, const RoomApnsRequest &request,
                            Callback<qint64> done)
{
    m_store->editRoomApns(nsp, request.room, request.edit.add, request.edit.remove,
                          relay(std::move(done)));
}

void RoomSettings::setLeaveMessage(const QString &nsp, const RoomLeaveMessageRequest &request,
                                   Callback<qint64> done)
{
    m_store->setRoomLeaveMessage(nsp, request.room, request.leaveMessage, relay(std::move(done)));
}

} // namespace qpush::push
