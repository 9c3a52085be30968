// Pushes and their reports (/api/auth): push, transfer, one push's report,
// the report list, the namespace's message statistics.
#include "routes.h"

#include "push/json.h"

#include <QJsonArray>

namespace qpush::api {

namespace {

void push(const Domain &d, Call call)
{
    const auto body = bodyObject(call.ctx);
    if (!body)
        return call.reply.error(body.error());
    const auto request = push::PushRequest::parse(*body, *d.settings);
    if (!request) {
        d.pipeline->countRefused(request.error());
        return call.reply.error(request.error());
    }
    auto reply = std::make_shared<Reply>(std::move(call.reply));
    d.pipeline->push(call.ns->key, *request, [reply](const push::PushOutcome &o) {
        if (o.error)
            return reply->error(*o.error);
        reply->json(QJsonObject{{QStringLiteral("id"), double(o.id)},
                                {QStringLiteral("expectAckCount"), double(o.expectAckCount)}});
    });
}

void transfer(const Domain &d, Call call)
{
    const auto body = bodyObject(call.ctx);
    if (!body)
        return call.reply.error(body.error());
    const auto request = push::TransferRequest::parse(*body, *d.settings);
    if (!request)
        return call.reply.error(request.error());
    auto reply = std::make_shared<Reply>(std::move(call.reply));
    d.pipeline->transfer(call.ns->key, *request, [reply](std::optional<push::DomainError> err) {
        if (err)
            return reply->error(*err);
        reply->json(QJsonObject());
    });
}

void report(const Domain &d, Call call)
{
    const auto request =
        push::ReportRequest::parse(call.ctx.param, queryFlag(call.ctx, "ackDetail"));
    if (!request)
        return call.reply.error(request.error());
    const bool detail = request->withDetail;
    d.services->reports.get(call.ns->key, *request,
                            answer<store::PushReport>(std::move(call.reply), [detail](auto &r) {
                                return push::reportToJson(r, detail);
                            }));
}

void reportList(const Domain &d, Call call)
{
    const auto page = push::PageRequest::parse(query(call.ctx, "page"), query(call.ctx, "size"),
                                               QLatin1String("size"), 500);
    if (!page)
        return call.reply.error(page.error());
    d.services->reports.list(call.ns->key, *page,
                             answer<QList<store::PushReport>>(std::move(call.reply), [](auto &l) {
                                 QJsonArray list;
                                 for (const store::PushReport &r : l)
                                     list.append(push::reportToJson(r, false));
                                 return list;
                             }));
}

void messageStats(const Domain &d, Call call)
{
    d.services->reports.messageStats(
        call.ns->key, answer<store::MessageStats>(std::move(call.reply), [](auto &s) {
            return QJsonObject{{QStringLiteral("currMinuteMessageCount"), double(s.minute)},
                               {QStringLiteral("currHourMessageCount"), double(s.hour)},
                               {QStringLiteral("currDateMessageCount"), double(s.day)}};
        }));
}

} // namespace

QList<Route> pushRoutes()
{
    using A = Access;
    return {
        {A::Namespace, "POST", "/api/auth/push", push},
        {A::Namespace, "POST", "/api/auth/transfer", transfer},
        {A::Namespace, "GET", "/api/auth/report/push/:", report},
        {A::Namespace, "GET", "/api/auth/report/push", reportList},
        {A::Namespace, "GET", "/api/auth/namespace/current-message-stat", messageStats},
    };
}

} // namespace qpush::api
