// Online reports: a namespace's own (/api/auth/report/online) and the
// admin's, for one namespace or summed over all (/api/admin/report/online).
#include "routes.h"

namespace qpush::api {

namespace {

void report(const Domain &d, Call call, const QString &nsp)
{
    const push::OnlineQuery q{nsp, queryAll(call.ctx, "room"), queryFlag(call.ctx, "detail")};
    d.services->online.report(
        q, answer<QJsonValue>(std::move(call.reply), [](const QJsonValue &v) { return v; }));
}

void namespaceReport(const Domain &d, Call call)
{
    const QString nsp = call.ns->key;
    report(d, std::move(call), nsp);
}

void adminReport(const Domain &d, Call call)
{
    const QString nsp = query(call.ctx, "namespace");
    report(d, std::move(call), nsp.isEmpty() ? nsp : namespaceKey(nsp));
}

} // namespace

QList<Route> onlineRoutes()
{
    using A = Access;
    return {
        {A::Namespace, "GET", "/api/auth/report/online", namespaceReport},
        {A::Admin, "GET", "/api/admin/report/online", adminReport},
    };
}

} // namespace qpush::api
