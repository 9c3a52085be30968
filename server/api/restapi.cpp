#include "restapi.h"

#include "basicauth.h"
#include "logging.h"

namespace qpush::api {

RestApi::RestApi(Router *router, push::NamespaceRegistry *registry, push::PushPipeline *pipeline,
                 push::Services *services, const push::Settings *settings, QString adminName,
                 QString adminPassword)
    : m_router(router), m_domain{registry, pipeline, services, settings, &m_certs},
      m_adminName(std::move(adminName)), m_adminPassword(std::move(adminPassword))
{
    for (const auto &table :
         {namespaceRoutes(), pushRoutes(), clientRoutes(), onlineRoutes(), adminRoutes()})
        for (const Route &route : table)
            add(route);
}

void RestApi::add(const Route &route)
{
    m_router->add(route.method, route.path, [this, route](const Context &ctx, Reply reply) {
        if (throttled(ctx, reply))
            return;
        const store::NamespaceRecord *ns = nullptr;
        if (route.access == Access::Namespace) {
            ns = namespaceCaller(ctx, reply);
            if (!ns)
                return;
        } else if (!adminCaller(ctx, reply)) {
            return;
        }
        route.handler(m_domain, Call{ctx, std::move(reply), ns});
    });
}

const store::NamespaceRecord *RestApi::namespaceCaller(const Context &ctx, Reply &reply)
{
    const auto creds = parseBasicAuth(ctx.request.header("authorization"));
    if (!creds) {
        reply.error(push::DomainError::unauthorized(QStringLiteral("credentials required")));
        return nullptr;
    }
    const store::NamespaceRecord *ns = m_domain.registry->find(creds->user);
    // The same work whether or not the namespace exists.
    const QByteArray expected = ns ? ns->authPasswd.toUtf8() : QByteArray("\x01no-namespace");
    const bool ok = constantTimeEquals(creds->password.toUtf8(), expected);
    if (!ns || !ok || ns->authPasswd.isEmpty()) {
        failed(ctx);
        reply.error(push::DomainError::unauthorized(QStringLiteral("wrong namespace or password")));
        return nullptr;
    }
    return ns;
}

bool RestApi::adminCaller(const Context &ctx, Reply &reply)
{
    const auto creds = parseBasicAuth(ctx.request.header("authorization"));
    if (!creds) {
        reply.error(push::DomainError::unauthorized(QStringLiteral("credentials required")));
        return false;
    }
    const bool userOk = constantTimeEquals(creds->user.toUtf8(), m_adminName.toUtf8());
    const bool passOk = constantTimeEquals(creds->password.toUtf8(), m_adminPassword.toUtf8());
    if (!userOk || !passOk || m_adminPassword.isEmpty()) {
        failed(ctx);
        reply.error(
            push::DomainError::unauthorized(QStringLiteral("wrong admin name or password")));
        return false;
    }
    return true;
}

bool RestApi::throttled(const Context &ctx, Reply &reply)
{
    const int after =
        m_throttle.retryAfterSeconds(clientIp(ctx), m_domain.settings->clock->nowMs());
    if (after <= 0)
        return false;
    reply.error(push::DomainError::rateLimited(
                    QStringLiteral("too many wrong credentials from this address; retry in %1 s")
                        .arg(after)),
                after);
    return true;
}

void RestApi::failed(const Context &ctx)
{
    const QString address = clientIp(ctx);
    if (!m_throttle.recordFailure(address, m_domain.settings->clock->nowMs()))
        return;
    if (auto *m = m_domain.settings->metrics)
        m->limitsTripped.inc("auth_failure_limit");
    qint64 suppressed = 0;
    if (m_limitLog.allow("auth_failure_limit", m_domain.settings->clock->nowMs(), &suppressed))
        qCWarning(lcApi).noquote()
            << "limit auth_failure_limit tripped: wrong credentials from" << address
            << QStringLiteral("answered 429 for a while (%1 more since the last line)")
                   .arg(suppressed);
}

} // namespace qpush::api
