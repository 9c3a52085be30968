// The REST endpoints of SPEC §4 on the API port: HTTP Basic for
// /api/auth/* (a namespace's key and auth_passwd) and /api/admin/* (the
// admin credentials), JSON bodies, and the mapping of domain errors to
// {code, msg} replies.
#pragma once

#include "auththrottle.h"
#include "router.h"

#include "push/apnscert.h"
#include "push/liveclients.h"
#include "push/namespaceregistry.h"
#include "push/pushpipeline.h"
#include "push/settings.h"
#include "push/storeerror.h"
#include "store/store.h"

namespace qpush::api {

class RestApi
{
public:
    RestApi(Router *router, push::NamespaceRegistry *registry, push::LiveClients *live,
            push::PushPipeline *pipeline, store::Store *store, const push::Settings *settings,
            QString adminName, QString adminPassword);

    // auth_failure_limit / auth_failure_window (default: no throttling).
    void setAuthThrottle(int limit, qint64 windowMs) { m_throttle = AuthThrottle(limit, windowMs); }

private:
    using AuthHandler = std::function<void(const Context &, Reply, const store::NamespaceRecord &)>;
    using AdminHandler = std::function<void(const Context &, Reply)>;
    void authRoute(const QByteArray &method, const QByteArray &path, AuthHandler handler);
    void adminRoute(const QByteArray &method, const QByteArray &path, AdminHandler handler);

    void buildAuthRoutes();
    void buildAdminRoutes();
    void namespaceOnlineReport(const QString &nsp, bool detail, Reply reply);
    void roomOnlineReport(const QString &nsp, const QStringList &rooms, Reply reply);
    void clientEndpoint(const store::NamespaceRecord &ns, const QString &id,
                        const QJsonObject &fields, Reply reply);
    void deleteNamespace(const Context &ctx, Reply reply, bool flushAll);
    // Basic-auth throttling: true after answering 429; failed() records one.
    bool throttled(const Context &ctx, Reply &reply);
    void failed(const Context &ctx);

    Router *m_router;
    push::NamespaceRegistry *m_registry;
    push::LiveClients *m_live;
    push::PushPipeline *m_pipeline;
    store::Store *m_store;
    const push::Settings *m_settings;
    QString m_adminName;
    QString m_adminPassword;
    AuthThrottle m_throttle{0, 60000};
    push::CertSummaryCache m_certs;
    LogGate m_limitLog;
};

// The one mapping from domain and store errors to API errors.
ApiError toApiError(const push::DomainError &error);
ApiError toApiError(const store::Error &error);

} // namespace qpush::api
