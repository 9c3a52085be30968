// What the REST route files share: the domain a handler may call (no store),
// the call a handler gets, route tables, and helpers that read a request's
// body and query and answer a domain result.
#pragma once

#include "router.h"

#include "push/apnscert.h"
#include "push/namespaceregistry.h"
#include "push/pushpipeline.h"
#include "push/services.h"
#include "push/settings.h"

#include <QJsonObject>
#include <QList>

#include <memory>

namespace qpush::api {

// The domain as the REST API sees it.
struct Domain
{
    push::NamespaceRegistry *registry;
    push::PushPipeline *pipeline;
    push::Services *services;
    const push::Settings *settings;
    push::CertSummaryCache *certs; // certificate summaries of namespace replies
};

// One request on its way to a handler: for /api/auth/* routes `ns` is the
// caller's namespace (its credentials checked); for /api/admin/* it is null.
struct Call
{
    const Context &ctx;
    Reply reply;
    const store::NamespaceRecord *ns = nullptr;
};

enum class Access {
    Namespace, // HTTP Basic: namespace key and auth_passwd
    Admin,     // HTTP Basic: admin_name and admin password
};

struct Route
{
    Access access;
    const char *method;
    const char *path;
    void (*handler)(const Domain &domain, Call call);
};

// The route tables, one file per resource.
QList<Route> namespaceRoutes();
QList<Route> pushRoutes();   // pushes, transfers, reports, statistics
QList<Route> clientRoutes(); // clients and per-room client settings
QList<Route> onlineRoutes();
QList<Route> adminRoutes(); // admin login and namespace maintenance

// ---- request input ----------------------------------------------------------------------

// The JSON object of a POST body ({} when empty; form-encoded bodies too).
push::Expected<QJsonObject> bodyObject(const Context &ctx);
QString query(const Context &ctx, const char *key);
// Every value of `key` and `key[]`.
QStringList queryAll(const Context &ctx, const char *key);
// "true" or "1".
bool queryFlag(const Context &ctx, const char *key);
// The caller's address (namespace `client_ip`, auth throttling): the router
// sets it from the peer, or from X-Forwarded-For of a trusted proxy.
QString clientIp(const Context &ctx);
// A namespace key from a parameter: "demo" or "%2Fdemo" mean "/demo".
QString namespaceKey(const QString &param);

// ---- answers ----------------------------------------------------------------------------

// A domain callback that answers `toJson(value)`, or the error.
template <class T, class F> push::Callback<T> answer(Reply reply, F toJson)
{
    auto shared = std::make_shared<Reply>(std::move(reply));
    return [shared, toJson](push::Expected<T> r) {
        if (!r)
            return shared->error(r.error());
        shared->json(toJson(r.value()));
    };
}

// A domain callback that answers {} or the error.
template <class T> push::Callback<T> answerEmpty(Reply reply)
{
    return answer<T>(std::move(reply), [](const T &) { return QJsonObject(); });
}

// A domain callback that answers {count}.
push::Callback<qint64> answerCount(Reply reply);

} // namespace qpush::api
