// Namespaces: a namespace's own view and save (/api/auth), the admin's list,
// save and deletions (/api/admin/namespace/*).
#include "routes.h"

#include "push/json.h"

#include <QJsonArray>

namespace qpush::api {

namespace {

push::Callback<store::NamespaceRecord> answerNamespace(const Domain &d, Reply reply)
{
    return answer<store::NamespaceRecord>(
        std::move(reply), [certs = d.certs, clock = d.settings->clock](const auto &ns) {
            return push::namespaceToJson(ns, *certs, clock->nowMs());
        });
}

void login(const Domain &, Call call)
{
    call.reply.json(QJsonObject());
}

void get(const Domain &d, Call call)
{
    call.reply.json(push::namespaceToJson(*call.ns, *d.certs, d.settings->clock->nowMs()));
}

void saveOwn(const Domain &d, Call call)
{
    auto body = bodyObject(call.ctx);
    if (!body)
        return call.reply.error(body.error());
    const auto request = push::NamespaceSaveRequest::parseOwn(std::move(body).value());
    if (!request)
        return call.reply.error(request.error());
    d.services->namespaces.save(call.ns->key, *request, clientIp(call.ctx),
                                answerNamespace(d, std::move(call.reply)));
}

void list(const Domain &d, Call call)
{
    const Context &ctx = call.ctx;
    const auto request = push::NamespaceListRequest::parse(
        query(ctx, "key"), query(ctx, "name"), query(ctx, "offline"), query(ctx, "page"),
        query(ctx, "pageSize"));
    if (!request)
        return call.reply.error(request.error());
    const push::NamespacePage page = d.services->namespaces.list(*request);
    QJsonArray items;
    const qint64 now = d.settings->clock->nowMs();
    for (const store::NamespaceRecord &ns : page.items)
        items.append(push::namespaceToJson(ns, *d.certs, now));
    const double total = double(page.total);
    if (!queryFlag(ctx, "online") || items.isEmpty())
        return call.reply.json(
            QJsonObject{{QStringLiteral("list"), items}, {QStringLiteral("total"), total}});
    // With live counts and stored totals.
    auto reply = std::make_shared<Reply>(std::move(call.reply));
    d.services->online.addCounts(items, [reply, total](const QJsonArray &counted) {
        reply->json(
            QJsonObject{{QStringLiteral("list"), counted}, {QStringLiteral("total"), total}});
    });
}

void saveAdmin(const Domain &d, Call call)
{
    auto body = bodyObject(call.ctx);
    if (!body)
        return call.reply.error(body.error());
    const auto request =
        push::NamespaceSaveRequest::parseAdmin(std::move(body).value(), *d.settings);
    if (!request)
        return call.reply.error(request.error());
    d.services->namespaces.save(QString(), *request, clientIp(call.ctx),
                                answerNamespace(d, std::move(call.reply)));
}

void remove(const Domain &d, Call call, bool alsoNamespace)
{
    d.services->namespaces.remove(namespaceKey(call.ctx.param), alsoNamespace,
                                  answerEmpty<store::Done>(std::move(call.reply)));
}

void del(const Domain &d, Call call)
{
    const bool flushAll = queryFlag(call.ctx, "flushAll");
    remove(d, std::move(call), flushAll);
}

void clear(const Domain &d, Call call)
{
    remove(d, std::move(call), false);
}

void flush(const Domain &d, Call call)
{
    remove(d, std::move(call), true);
}

} // namespace

QList<Route> namespaceRoutes()
{
    using A = Access;
    return {
        {A::Namespace, "POST", "/api/auth/login", login},
        {A::Namespace, "GET", "/api/auth/namespace", get},
        {A::Namespace, "POST", "/api/auth/namespace/save", saveOwn},
        {A::Admin, "GET", "/api/admin/namespace/list", list},
        {A::Admin, "POST", "/api/admin/namespace/save", saveAdmin},
        {A::Admin, "GET", "/api/admin/namespace/del/:", del},
        {A::Admin, "GET", "/api/admin/namespace/clear/:", clear},
        {A::Admin, "GET", "/api/admin/namespace/flush/:", flush},
    };
}

} // namespace qpush::api
