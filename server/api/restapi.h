// The REST endpoints of SPEC §4 on the API port. Routes come from one table
// per resource (namespaceroutes.cpp, pushroutes.cpp, clientroutes.cpp,
// onlineroutes.cpp, adminroutes.cpp); this class puts the access check in
// front of each: HTTP Basic with a namespace's key and auth_passwd for
// /api/auth/*, the admin credentials for /api/admin/*, and the throttling of
// wrong credentials per address.
#pragma once

#include "auththrottle.h"
#include "routes.h"

namespace qpush::api {

class RestApi
{
public:
    RestApi(Router *router, push::NamespaceRegistry *registry, push::PushPipeline *pipeline,
            push::Services *services, const push::Settings *settings, QString adminName,
            QString adminPassword);

    // auth_failure_limit / auth_failure_window (default: no throttling).
    void setAuthThrottle(int limit, qint64 windowMs) { m_throttle = AuthThrottle(limit, windowMs); }

private:
    void add(const Route &route);
    // The caller's namespace when its credentials are right; nullopt after
    // answering 401 or 429.
    const store::NamespaceRecord *namespaceCaller(const Context &ctx, Reply &reply);
    bool adminCaller(const Context &ctx, Reply &reply);
    // Basic-auth throttling: true after answering 429; failed() records one.
    bool throttled(const Context &ctx, Reply &reply);
    void failed(const Context &ctx);

    Router *m_router;
    Domain m_domain;
    QString m_adminName;
    QString m_adminPassword;
    AuthThrottle m_throttle{0, 60000};
    push::CertSummaryCache m_certs;
    LogGate m_limitLog;
};

} // namespace qpush::api
