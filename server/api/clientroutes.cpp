// Clients (/api/auth): one client's stored info, read or patched, and the
// settings of every member of a room (do-not-disturb list, leaveMessage).
#include "routes.h"

#include "push/json.h"

namespace qpush::api {

namespace {

void answerClient(const Domain &d, const push::Expected<push::ClientRequest> &request, Reply reply)
{
    if (!request)
        return reply.error(request.error());
    const QString id = request->id;
    d.services->clients.apply(*request, answer<store::ClientInfo>(std::move(reply), [id](auto &c) {
        QJsonObject o = push::clientInfoToJson(c);
        o.insert(QStringLiteral("id"), id);
        o.insert(QStringLiteral("uuid"), c.uuid);
        o.insert(QStringLiteral("platform"), store::platformName(c.platform));
        return o;
    }));
}

void get(const Domain &d, Call call)
{
    answerClient(d, push::ClientRequest::parseId(call.ctx.param, call.ns->key),
                 std::move(call.reply));
}

void update(const Domain &d, Call call)
{
    const auto body = bodyObject(call.ctx);
    if (!body)
        return call.reply.error(body.error());
    answerClient(d, push::ClientRequest::parse(*body, call.ns->key, *d.settings),
                 std::move(call.reply));
}

void roomApns(const Domain &d, Call call)
{
    const auto body = bodyObject(call.ctx);
    if (!body)
        return call.reply.error(body.error());
    const auto request = push::RoomApnsRequest::parse(*body, *d.settings);
    if (!request)
        return call.reply.error(request.error());
    d.services->rooms.editApns(call.ns->key, *request, answerCount(std::move(call.reply)));
}

void roomLeaveMessage(const Domain &d, Call call)
{
    const auto body = bodyObject(call.ctx);
    if (!body)
        return call.reply.error(body.error());
    const auto request = push::RoomLeaveMessageRequest::parse(*body, *d.settings);
    if (!request)
        return call.reply.error(request.error());
    d.services->rooms.setLeaveMessage(call.ns->key, *request, answerCount(std::move(call.reply)));
}

} // namespace

QList<Route> clientRoutes()
{
    using A = Access;
    return {
        {A::Namespace, "GET", "/api/auth/client/:", get},
        {A::Namespace, "POST", "/api/auth/client", update},
        {A::Namespace, "POST", "/api/auth/room-apns", roomApns},
        {A::Namespace, "POST", "/api/auth/room-leave-message", roomLeaveMessage},
    };
}

} // namespace qpush::api
