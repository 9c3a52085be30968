// The admin's login and namespace maintenance: disconnecting a namespace's
// clients, removing its legacy clients (the namespace must be offline).
#include "routes.h"

#include <QJsonArray>

namespace qpush::api {

namespace {

// The namespace a maintenance call names, in its body or its query.
push::Expected<QString> maintainedNamespace(const Context &ctx)
{
    const auto body = bodyObject(ctx);
    if (!body)
        return body.error();
    QString key = body->value(QStringLiteral("namespace")).toString();
    if (key.isEmpty())
        key = query(ctx, "namespace");
    if (key.isEmpty())
        return push::DomainError::invalid(QStringLiteral("namespace is required"));
    return namespaceKey(key);
}

void login(const Domain &, Call call)
{
    call.reply.json(QJsonObject());
}

void clearRealtimeData(const Domain &d, Call call)
{
    const auto key = maintainedNamespace(call.ctx);
    if (!key)
        return call.reply.error(key.error());
    if (auto err = d.services->namespaces.clearRealtimeData(*key))
        return call.reply.error(*err);
    call.reply.json(QJsonObject());
}

void clearLegacyClients(const Domain &d, Call call)
{
    const auto key = maintainedNamespace(call.ctx);
    if (!key)
        return call.reply.error(key.error());
    d.services->namespaces.clearLegacyClients(
        *key, answer<QStringList>(std::move(call.reply), QJsonArray::fromStringList));
}

} // namespace

QList<Route> adminRoutes()
{
    using A = Access;
    return {
        {A::Admin, "POST", "/api/admin/login", login},
        {A::Admin, "POST", "/api/admin/namespace/clear-realtime-data", clearRealtimeData},
        {A::Admin, "POST", "/api/admin/clear-legacy-client", clearLegacyClients},
    };
}

} // namespace qpush::api
