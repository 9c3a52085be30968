#include "restapi.h"

#include "basicauth.h"
#include "logging.h"

#include "push/json.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <memory>

namespace qpush::api {

ApiError toApiError(const push::DomainError &error)
{
    using K = push::DomainError::Kind;
    switch (error.kind) {
    case K::Invalid:
        return {ApiError::BadRequest, error.message};
    case K::Unauthorized:
        return {ApiError::Unauthorized, error.message};
    case K::Forbidden:
        return {ApiError::Forbidden, error.message};
    case K::NotFound:
        return {ApiError::NotFound, error.message};
    case K::Conflict:
        return {ApiError::Conflict, error.message};
    case K::TooLarge:
        return {ApiError::TooLarge, error.message};
    case K::RateLimited:
        return {ApiError::RateLimited, error.message};
    case K::Unavailable:
        return {ApiError::Unavailable, QStringLiteral("store unavailable: ") + error.message};
    case K::Internal:
        break;
    }
    return {ApiError::Internal, error.message};
}

ApiError toApiError(const store::Error &error)
{
    return toApiError(push::fromStoreError(error));
}

namespace {

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// The JSON object of a POST body ({} when empty); nullopt after answering 400.
std::optional<QJsonObject> bodyObject(const Context &ctx, Reply &reply)
{
    const QByteArray &body = ctx.request.body;
    if (body.trimmed().isEmpty())
        return QJsonObject();
    const QByteArray type = ctx.request.header("content-type").toLower();
    const QByteArray trimmed = body.trimmed();
    const bool looksJson = trimmed.startsWith('{') || trimmed.startsWith('[');
    if (type.startsWith("application/x-www-form-urlencoded") && !looksJson) {
        QJsonObject o;
        for (const QByteArray &part : body.split('&')) {
            if (part.isEmpty())
                continue;
            const qsizetype eq = part.indexOf('=');
            const QByteArray k = eq < 0 ? part : part.first(eq);
            const QByteArray v = eq < 0 ? QByteArray() : part.sliced(eq + 1);
            o.insert(QString::fromUtf8(http::percentDecode(k, true)),
                     QString::fromUtf8(http::percentDecode(v, true)));
        }
        return o;
    }
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &err);
    if (err.error != QJsonParseError::NoError) {
        reply.error(
            ApiError::badRequest(QStringLiteral("invalid JSON body: ") + err.errorString()));
        return std::nullopt;
    }
    if (!doc.isObject()) {
        reply.error(ApiError::badRequest(QStringLiteral("the body must be a JSON object")));
        return std::nullopt;
    }
    return doc.object();
}

// The required `room` of a body, checked against the name rules; nullopt
// after answering 400.
std::optional<QString> requireRoom(const QJsonObject &body, const NameRules &names, Reply &reply)
{
    const QJsonValue room = body.value(QStringLiteral("room"));
    if (!room.isString()) {
        reply.error(ApiError::badRequest(QStringLiteral("room is required (a string)")));
        return std::nullopt;
    }
    if (auto err = names.check(NameRules::Kind::Room, room.toString())) {
        reply.error(ApiError::badRequest(*err));
        return std::nullopt;
    }
    return room.toString();
}

// Answers {count} with the number of changed clients, or the store error.
store::Callback<qint64> countReply(std::shared_ptr<Reply> reply)
{
    return [reply](store::Result<qint64> r) {
        if (!r)
            return reply->error(toApiError(r.error()));
        reply->json(QJsonObject{{QStringLiteral("count"), double(r.value())}});
    };
}

QString query(const Context &ctx, const char *key)
{
    return QString::fromUtf8(ctx.request.queryValue(key));
}

QStringList queryAll(const Context &ctx, const char *key)
{
    QStringList out;
    const QByteArray k(key);
    const QByteArray kArray = k + "[]";
    for (const auto &[name, value] : ctx.request.queryItems())
        if (name == k || name == kArray)
            out.append(QString::fromUtf8(value));
    return out;
}

bool queryFlag(const Context &ctx, const char *key)
{
    const QByteArray v = ctx.request.queryValue(key).toLower();
    return v == "true" || v == "1";
}

// The caller's address (namespace `client_ip`, auth throttling): the
// router sets it from the peer, or from X-Forwarded-For when the peer is
// one of `trusted_proxies`.
QString clientIp(const Context &ctx)
{
    return QString::fromLatin1(ctx.request.peerAddress);
}

// A namespace key from a path parameter: "demo" or "%2Fdemo" mean "/demo".
QString namespaceKeyFromParam(const QString &param)
{
    return param.startsWith(QLatin1Char('/')) ? param : QLatin1Char('/') + param;
}

} // namespace

RestApi::RestApi(Router *router, push::NamespaceRegistry *registry, push::LiveClients *live,
                 push::PushPipeline *pipeline, store::Store *store, const push::Settings *settings,
                 QString adminName, QString adminPassword)
    : m_router(router), m_registry(registry), m_live(live), m_pipeline(pipeline), m_store(store),
      m_settings(settings), m_adminName(std::move(adminName)),
      m_adminPassword(std::move(adminPassword))
{
    buildAuthRoutes();
    buildAdminRoutes();
}

bool RestApi::throttled(const Context &ctx, Reply &reply)
{
    const int after = m_throttle.retryAfterSeconds(clientIp(ctx), nowMs());
    if (after <= 0)
        return false;
    reply.error(
        {ApiError::RateLimited,
         QStringLiteral("too many wrong credentials from this address; retry in %1 s").arg(after)},
        after);
    return true;
}

void RestApi::failed(const Context &ctx)
{
    const QString address = clientIp(ctx);
    if (!m_throttle.recordFailure(address, nowMs()))
        return;
    if (auto *m = m_settings->metrics)
        m->limitsTripped.inc("auth_failure_limit");
    qint64 suppressed = 0;
    if (m_limitLog.allow("auth_failure_limit", nowMs(), &suppressed))
        qCWarning(lcApi).noquote()
            << "limit auth_failure_limit tripped: wrong credentials from" << address
            << QStringLiteral("answered 429 for a while (%1 more since the last line)")
                   .arg(suppressed);
}

void RestApi::authRoute(const QByteArray &method, const QByteArray &path, AuthHandler handler)
{
    m_router->add(method, path, [this, handler](const Context &ctx, Reply reply) {
        if (throttled(ctx, reply))
            return;
        const auto creds = parseBasicAuth(ctx.request.header("authorization"));
        if (!creds)
            return reply.error(ApiError::unauthorized(QStringLiteral("credentials required")));
        const store::NamespaceRecord *ns = m_registry->find(creds->user);
        // The same work whether or not the namespace exists.
        const QByteArray expected = ns ? ns->authPasswd.toUtf8() : QByteArray("\x01no-namespace");
        const bool ok = constantTimeEquals(creds->password.toUtf8(), expected);
        if (!ns || !ok || ns->authPasswd.isEmpty()) {
            failed(ctx);
            return reply.error(
                ApiError::unauthorized(QStringLiteral("wrong namespace or password")));
        }
        handler(ctx, std::move(reply), *ns);
    });
}

void RestApi::adminRoute(const QByteArray &method, const QByteArray &path, AdminHandler handler)
{
    m_router->add(method, path, [this, handler](const Context &ctx, Reply reply) {
        if (throttled(ctx, reply))
            return;
        const auto creds = parseBasicAuth(ctx.request.header("authorization"));
        if (!creds)
            return reply.error(ApiError::unauthorized(QStringLiteral("credentials required")));
        const bool userOk = constantTimeEquals(creds->user.toUtf8(), m_adminName.toUtf8());
        const bool passOk = constantTimeEquals(creds->password.toUtf8(), m_adminPassword.toUtf8());
        if (!userOk || !passOk || m_adminPassword.isEmpty()) {
            failed(ctx);
            return reply.error(
                ApiError::unauthorized(QStringLiteral("wrong admin name or password")));
        }
        handler(ctx, std::move(reply));
    });
}

// ---- /api/auth --------------------------------------------------------------------------

void RestApi::buildAuthRoutes()
{
    authRoute("POST", "/api/auth/login",
              [](const Context &, Reply reply, const auto &) { reply.json(QJsonObject()); });
    authRoute("GET", "/api/auth/namespace", [this](const Context &, Reply reply, const auto &ns) {
        reply.json(push::namespaceToJson(ns, m_certs));
    });
    authRoute("POST", "/api/auth/namespace/save",
              [this](const Context &ctx, Reply reply, const auto &ns) {
                  auto body = bodyObject(ctx, reply);
                  if (!body)
                      return;
                  body->remove(QStringLiteral("key"));
                  auto shared = std::make_shared<Reply>(std::move(reply));
                  m_registry->save(ns.key, *body, clientIp(ctx), false,
                                   [this, shared](store::Result<store::NamespaceRecord> r) {
                                       if (!r)
                                           return shared->error(toApiError(r.error()));
                                       shared->json(push::namespaceToJson(r.value(), m_certs));
                                   });
              });
    authRoute("POST", "/api/auth/push", [this](const Context &ctx, Reply reply, const auto &ns) {
        auto body = bodyObject(ctx, reply);
        if (!body)
            return;
        auto shared = std::make_shared<Reply>(std::move(reply));
        m_pipeline->push(ns.key, *body, [shared](const push::PushOutcome &o) {
            if (o.error)
                return shared->error(toApiError(*o.error));
            shared->json(QJsonObject{{QStringLiteral("id"), double(o.id)},
                                     {QStringLiteral("expectAckCount"), double(o.expectAckCount)}});
        });
    });
    authRoute(
        "GET", "/api/auth/report/push/:", [this](const Context &ctx, Reply reply, const auto &ns) {
            bool ok = false;
            const qint64 id = ctx.param.toLongLong(&ok);
            if (!ok || id <= 0)
                return reply.error(ApiError::notFound(QStringLiteral("no such push")));
            const bool detail = queryFlag(ctx, "ackDetail");
            const int limit = m_settings->reportPushAckDetailMaxLimit;
            auto shared = std::make_shared<Reply>(std::move(reply));
            m_store->getReport(ns.key, id, detail,
                               [shared, detail, limit](store::Result<store::PushReport> r) {
                                   if (!r)
                                       return shared->error(toApiError(r.error()));
                                   store::PushReport report = r.value();
                                   report.ackIOSDetail = report.ackIOSDetail.mid(0, limit);
                                   report.ackAndroidDetail = report.ackAndroidDetail.mid(0, limit);
                                   report.ackWebDetail = report.ackWebDetail.mid(0, limit);
                                   shared->json(push::reportToJson(report, detail));
                               });
        });
    authRoute(
        "GET", "/api/auth/report/push", [this](const Context &ctx, Reply reply, const auto &ns) {
            bool okPage = true, okSize = true;
            const QString p = query(ctx, "page"), s = query(ctx, "size");
            const int page = p.isEmpty() ? 1 : p.toInt(&okPage);
            const int size = s.isEmpty() ? 20 : s.toInt(&okSize);
            if (!okPage || page < 1)
                return reply.error(
                    ApiError::badRequest(QStringLiteral("page must be a number from 1")));
            if (!okSize || size < 1 || size > 500)
                return reply.error(
                    ApiError::badRequest(QStringLiteral("size must be a number from 1 to 500")));
            auto shared = std::make_shared<Reply>(std::move(reply));
            m_store->listReports(ns.key, page, size,
                                 [shared](store::Result<QList<store::PushReport>> r) {
                                     if (!r)
                                         return shared->error(toApiError(r.error()));
                                     QJsonArray list;
                                     for (const store::PushReport &report : r.value())
                                         list.append(push::reportToJson(report, false));
                                     shared->json(list);
                                 });
        });
    authRoute("GET", "/api/auth/report/online",
              [this](const Context &ctx, Reply reply, const auto &ns) {
                  const QStringList rooms = queryAll(ctx, "room");
                  for (const QString &room : rooms)
                      if (auto err = m_settings->names.check(NameRules::Kind::Room, room))
                          return reply.error(ApiError::badRequest(*err));
                  if (rooms.isEmpty())
                      namespaceOnlineReport(ns.key, queryFlag(ctx, "detail"), std::move(reply));
                  else
                      roomOnlineReport(ns.key, rooms, std::move(reply));
              });
    authRoute("GET", "/api/auth/namespace/current-message-stat",
              [this](const Context &, Reply reply, const auto &ns) {
                  auto shared = std::make_shared<Reply>(std::move(reply));
                  m_store->messageStats(
                      ns.key, nowMs(), [shared](store::Result<store::MessageStats> r) {
                          if (!r)
                              return shared->error(toApiError(r.error()));
                          shared->json(QJsonObject{
                              {QStringLiteral("currMinuteMessageCount"), double(r.value().minute)},
                              {QStringLiteral("currHourMessageCount"), double(r.value().hour)},
                              {QStringLiteral("currDateMessageCount"), double(r.value().day)}});
                      });
              });
    authRoute(
        "POST", "/api/auth/room-apns", [this](const Context &ctx, Reply reply, const auto &ns) {
            auto body = bodyObject(ctx, reply);
            if (!body)
                return;
            const auto room = requireRoom(*body, m_settings->names, reply);
            if (!room)
                return;
            QStringList lists[2];
            const char *names[2] = {"add", "remove"};
            for (int i = 0; i < 2; ++i) {
                const QJsonValue v = body->value(QLatin1String(names[i]));
                if (v.isUndefined() || v.isNull())
                    continue;
                QJsonArray arr = v.isString() ? QJsonArray{v} : v.toArray();
                if (!v.isString() && !v.isArray())
                    return reply.error(ApiError::badRequest(
                        QStringLiteral("%1 must be a room or an array of rooms")
                            .arg(QLatin1String(names[i]))));
                for (const QJsonValue &r : arr) {
                    if (!r.isString())
                        return reply.error(
                            ApiError::badRequest(QStringLiteral("%1 must hold room names")
                                                     .arg(QLatin1String(names[i]))));
                    if (auto err = m_settings->names.check(NameRules::Kind::Room, r.toString()))
                        return reply.error(ApiError::badRequest(*err));
                    lists[i].append(r.toString());
                }
            }
            auto shared = std::make_shared<Reply>(std::move(reply));
            m_store->editRoomApns(ns.key, *room, lists[0], lists[1], countReply(std::move(shared)));
        });
    authRoute("POST", "/api/auth/room-leave-message",
              [this](const Context &ctx, Reply reply, const auto &ns) {
                  auto body = bodyObject(ctx, reply);
                  if (!body)
                      return;
                  const auto room = requireRoom(*body, m_settings->names, reply);
                  if (!room)
                      return;
                  const QJsonValue lm = body->value(QStringLiteral("leaveMessage"));
                  if (!lm.isBool())
                      return reply.error(
                          ApiError::badRequest(QStringLiteral("leaveMessage must be a boolean")));
                  auto shared = std::make_shared<Reply>(std::move(reply));
                  m_store->setRoomLeaveMessage(ns.key, *room, lm.toBool(),
                                               countReply(std::move(shared)));
              });
    authRoute(
        "POST", "/api/auth/transfer", [this](const Context &ctx, Reply reply, const auto &ns) {
            auto body = bodyObject(ctx, reply);
            if (!body)
                return;
            auto shared = std::make_shared<Reply>(std::move(reply));
            m_pipeline->transfer(ns.key, *body, [shared](std::optional<push::DomainError> err) {
                if (err)
                    return shared->error(toApiError(*err));
                shared->json(QJsonObject());
            });
        });
    authRoute("GET", "/api/auth/client/:", [this](const Context &ctx, Reply reply, const auto &ns) {
        clientEndpoint(ns, ctx.param, {}, std::move(reply));
    });
    authRoute("POST", "/api/auth/client", [this](const Context &ctx, Reply reply, const auto &ns) {
        auto body = bodyObject(ctx, reply);
        if (!body)
            return;
        const QJsonValue id = body->value(QStringLiteral("id"));
        if (!id.isString())
            return reply.error(
                ApiError::badRequest(QStringLiteral("id is required (a client id)")));
        QJsonObject fields = *body;
        fields.remove(QStringLiteral("id"));
        clientEndpoint(ns, id.toString(), fields, std::move(reply));
    });
}

void RestApi::clientEndpoint(const store::NamespaceRecord &ns, const QString &id,
                             const QJsonObject &fields, Reply reply)
{
    const auto parts = store::parseClientId(id);
    if (!parts || parts->nsp != ns.key)
        return reply.error(ApiError::notFound(QStringLiteral("no such client")));
    store::ClientPatch patch;
    bool writes = false;
    if (auto err = push::parseClientPatch(fields, patch, &writes, m_settings->infoFieldMaxLength))
        return reply.error(ApiError::badRequest(*err));
    auto shared = std::make_shared<Reply>(std::move(reply));
    auto answer = [shared, id](store::Result<store::ClientInfo> r) {
        if (!r)
            return shared->error(toApiError(r.error()));
        QJsonObject o = push::clientInfoToJson(r.value());
        o.insert(QStringLiteral("id"), id);
        o.insert(QStringLiteral("uuid"), r.value().uuid);
        o.insert(QStringLiteral("platform"), store::platformName(r.value().platform));
        shared->json(o);
    };
    if (!writes)
        return m_store->getClient(id, answer);
    patch.updateDate = nowMs();
    // Only existing clients are written.
    m_store->getClient(id, [this, shared, id, patch, answer](store::Result<store::ClientInfo> r) {
        if (!r)
            return shared->error(toApiError(r.error()));
        m_store->updateClient(id, patch, answer);
    });
}

void RestApi::namespaceOnlineReport(const QString &nsp, bool detail, Reply reply)
{
    auto shared = std::make_shared<Reply>(std::move(reply));
    m_live->presence()->namespaceOnline(
        nsp, detail, m_settings->reportOnlineListMaxLimit, [this, shared, nsp](QJsonObject o) {
            m_store->countClients(nsp, [shared, o](store::Result<qint64> r) mutable {
                if (!r)
                    return shared->error(toApiError(r.error()));
                o.insert(QStringLiteral("totalClientCount"), double(r.value()));
                shared->json(o);
            });
        });
}

void RestApi::roomOnlineReport(const QString &nsp, const QStringList &rooms, Reply reply)
{
    auto shared = std::make_shared<Reply>(std::move(reply));
    m_live->presence()->roomOnline(
        nsp, rooms, [this, shared, nsp, rooms](QList<push::OnlineCounts> online) {
            m_store->roomCounts(
                nsp, rooms, [shared, rooms, online](store::Result<QList<store::RoomCounts>> r) {
                    if (!r)
                        return shared->error(toApiError(r.error()));
                    QJsonArray list;
                    for (qsizetype i = 0; i < rooms.size(); ++i) {
                        const push::OnlineCounts live = online.value(i);
                        const store::RoomCounts total =
                            i < r.value().size() ? r.value().at(i) : store::RoomCounts{};
                        list.append(QJsonObject{
                            {QStringLiteral("name"), rooms.at(i)},
                            {QStringLiteral("userCount"), double(live.users)},
                            {QStringLiteral("clientCount"), double(live.clients)},
                            {QStringLiteral("totalClientCount"), double(total.total)},
                            {QStringLiteral("iosClientCount"), double(live.ios)},
                            {QStringLiteral("totalIOSClientCount"), double(total.ios)},
                            {QStringLiteral("androidClientCount"), double(live.android)},
                            {QStringLiteral("totalAndroidClientCount"), double(total.android)}});
                    }
                    shared->json(list);
                });
        });
}

// ---- /api/admin ---------------------------------------------------------------------------

void RestApi::deleteNamespace(const Context &ctx, Reply reply, bool flushAll)
{
    const QString key = namespaceKeyFromParam(ctx.param);
    const store::NamespaceRecord *ns = m_registry->find(key);
    if (!ns)
        return reply.error(ApiError::notFound(QStringLiteral("no such namespace: ") + key));
    if (!ns->offline)
        return reply.error(ApiError::conflict(QStringLiteral("set the namespace offline first")));
    auto shared = std::make_shared<Reply>(std::move(reply));
    m_registry->remove(key, flushAll, [shared](store::Result<store::Done> r) {
        if (!r)
            return shared->error(toApiError(r.error()));
        shared->json(QJsonObject());
    });
}

void RestApi::buildAdminRoutes()
{
    adminRoute("POST", "/api/admin/login",
               [](const Context &, Reply reply) { reply.json(QJsonObject()); });
    adminRoute("GET", "/api/admin/namespace/list", [this](const Context &ctx, Reply reply) {
        const QString key = query(ctx, "key"), name = query(ctx, "name");
        QString offline = query(ctx, "offline");
        if (offline.isEmpty())
            offline = QStringLiteral("all");
        if (offline != u"on" && offline != u"off" && offline != u"all")
            return reply.error(
                ApiError::badRequest(QStringLiteral("offline must be on, off or all")));
        bool okPage = true, okSize = true;
        const QString p = query(ctx, "page"), s = query(ctx, "pageSize");
        const int page = p.isEmpty() ? 1 : p.toInt(&okPage);
        const int pageSize = s.isEmpty() ? 20 : s.toInt(&okSize);
        if (!okPage || page < 1)
            return reply.error(
                ApiError::badRequest(QStringLiteral("page must be a number from 1")));
        if (!okSize || pageSize < 1 || pageSize > 1000)
            return reply.error(
                ApiError::badRequest(QStringLiteral("pageSize must be a number from 1 to 1000")));
        QList<store::NamespaceRecord> matches;
        for (const store::NamespaceRecord &ns : m_registry->all()) {
            if (!key.isEmpty() && !ns.key.contains(key))
                continue;
            if (!name.isEmpty() && !ns.name.contains(name))
                continue;
            if (offline != u"all" && ns.offline != (offline == u"on"))
                continue;
            matches.append(ns);
        }
        const qsizetype total = matches.size();
        const QList<store::NamespaceRecord> pageItems =
            matches.mid((page - 1) * qsizetype(pageSize), pageSize);
        QJsonArray list;
        for (const store::NamespaceRecord &ns : pageItems)
            list.append(push::namespaceToJson(ns, m_certs));
        const QJsonObject result{{QStringLiteral("list"), list},
                                 {QStringLiteral("total"), double(total)}};
        if (!queryFlag(ctx, "online") || pageItems.isEmpty())
            return reply.json(result);
        // Add live counts and stored totals, one store call per item.
        auto shared = std::make_shared<Reply>(std::move(reply));
        auto state = std::make_shared<std::pair<QJsonObject, int>>(result, int(pageItems.size()));
        for (qsizetype i = 0; i < pageItems.size(); ++i) {
            const QString nsKey = pageItems.at(i).key;
            m_live->presence()->namespaceOnline(
                nsKey, false, 0, [this, shared, state, i, nsKey](const QJsonObject &live) {
                    m_store->countClients(nsKey, [shared, state, i, live](store::Result<qint64> r) {
                        QJsonArray l = state->first.value(QStringLiteral("list")).toArray();
                        QJsonObject item = l.at(i).toObject();
                        for (auto it = live.begin(); it != live.end(); ++it)
                            item.insert(it.key(), it.value());
                        item.insert(QStringLiteral("totalClientCount"),
                                    r ? double(r.value()) : 0.0);
                        l[i] = item;
                        state->first.insert(QStringLiteral("list"), l);
                        if (--state->second == 0)
                            shared->json(state->first);
                    });
                });
        }
    });
    adminRoute("POST", "/api/admin/namespace/save", [this](const Context &ctx, Reply reply) {
        auto body = bodyObject(ctx, reply);
        if (!body)
            return;
        const QJsonValue key = body->value(QStringLiteral("key"));
        if (!key.isString())
            return reply.error(
                ApiError::badRequest(QStringLiteral("key is required (a string like \"/demo\")")));
        if (auto err = m_settings->names.check(NameRules::Kind::Namespace, key.toString()))
            return reply.error(ApiError::badRequest(*err));
        // '#' separates the parts of a client id ("/a" + user "x#u" must not
        // be "/a#x" + user "u"), and no client URL can name it anyway.
        if (key.toString().contains(u'#'))
            return reply.error(
                ApiError::badRequest(QStringLiteral("namespace must not contain '#'")));
        body->remove(QStringLiteral("key"));
        auto shared = std::make_shared<Reply>(std::move(reply));
        m_registry->save(key.toString(), *body, clientIp(ctx), true,
                         [this, shared](store::Result<store::NamespaceRecord> r) {
                             if (!r)
                                 return shared->error(toApiError(r.error()));
                             shared->json(push::namespaceToJson(r.value(), m_certs));
                         });
    });
    adminRoute("GET", "/api/admin/namespace/del/:", [this](const Context &ctx, Reply reply) {
        deleteNamespace(ctx, std::move(reply), queryFlag(ctx, "flushAll"));
    });
    adminRoute("GET", "/api/admin/namespace/clear/:", [this](const Context &ctx, Reply reply) {
        deleteNamespace(ctx, std::move(reply), false);
    });
    adminRoute("GET", "/api/admin/namespace/flush/:", [this](const Context &ctx, Reply reply) {
        deleteNamespace(ctx, std::move(reply), true);
    });
    auto offlineNamespace = [this](const Context &ctx, Reply &reply) -> std::optional<QString> {
        auto body = bodyObject(ctx, reply);
        if (!body)
            return std::nullopt;
        QString key = body->value(QStringLiteral("namespace")).toString();
        if (key.isEmpty())
            key = query(ctx, "namespace");
        if (key.isEmpty()) {
            reply.error(ApiError::badRequest(QStringLiteral("namespace is required")));
            return std::nullopt;
        }
        key = namespaceKeyFromParam(key);
        const store::NamespaceRecord *ns = m_registry->find(key);
        if (!ns) {
            reply.error(ApiError::notFound(QStringLiteral("no such namespace: ") + key));
            return std::nullopt;
        }
        if (!ns->offline) {
            reply.error(ApiError::conflict(QStringLiteral("set the namespace offline first")));
            return std::nullopt;
        }
        return key;
    };
    adminRoute("POST", "/api/admin/namespace/clear-realtime-data",
               [this, offlineNamespace](const Context &ctx, Reply reply) {
                   const auto key = offlineNamespace(ctx, reply);
                   if (!key)
                       return;
                   m_live->disconnectNamespace(*key);
                   m_live->presence()->clearNamespace(*key); // every node's share
                   reply.json(QJsonObject());
               });
    adminRoute("POST", "/api/admin/clear-legacy-client",
               [this, offlineNamespace](const Context &ctx, Reply reply) {
                   const auto key = offlineNamespace(ctx, reply);
                   if (!key)
                       return;
                   const qint64 before =
                       nowMs() - m_settings->clientLegacyExpireHours * m_settings->hourMs;
                   auto shared = std::make_shared<Reply>(std::move(reply));
                   m_store->removeLegacyClients(
                       *key, before, [shared](store::Result<QStringList> r) {
                           if (!r)
                               return shared->error(toApiError(r.error()));
                           shared->json(QJsonArray::fromStringList(r.value()));
                       });
               });
    adminRoute("GET", "/api/admin/report/online", [this](const Context &ctx, Reply reply) {
        QString nsp = query(ctx, "namespace");
        const QStringList rooms = queryAll(ctx, "room");
        const bool detail = queryFlag(ctx, "detail");
        if (!nsp.isEmpty()) {
            nsp = namespaceKeyFromParam(nsp);
            if (!m_registry->find(nsp))
                return reply.error(ApiError::notFound(QStringLiteral("no such namespace: ") + nsp));
            for (const QString &room : rooms)
                if (auto err = m_settings->names.check(NameRules::Kind::Room, room))
                    return reply.error(ApiError::badRequest(*err));
            if (rooms.isEmpty())
                return namespaceOnlineReport(nsp, detail, std::move(reply));
            return roomOnlineReport(nsp, rooms, std::move(reply));
        }
        if (!rooms.isEmpty())
            return reply.error(ApiError::badRequest(QStringLiteral("room needs a namespace")));
        // Summed over every namespace.
        const QList<store::NamespaceRecord> all = m_registry->all();
        auto shared = std::make_shared<Reply>(std::move(reply));
        auto sums =
            std::make_shared<QJsonObject>(QJsonObject{{QStringLiteral("roomCount"), 0},
                                                      {QStringLiteral("userCount"), 0},
                                                      {QStringLiteral("clientCount"), 0},
                                                      {QStringLiteral("totalClientCount"), 0}});
        if (all.isEmpty())
            return shared->json(*sums);
        auto remaining = std::make_shared<int>(int(all.size()));
        for (const store::NamespaceRecord &ns : all) {
            const QString nsKey = ns.key;
            m_live->presence()->namespaceOnline(
                nsKey, false, 0, [this, shared, sums, remaining, nsKey](const QJsonObject &live) {
                    for (auto it = live.begin(); it != live.end(); ++it)
                        sums->insert(it.key(),
                                     sums->value(it.key()).toDouble() + it.value().toDouble());
                    m_store->countClients(
                        nsKey, [shared, sums, remaining](store::Result<qint64> r) {
                            if (r)
                                sums->insert(
                                    QStringLiteral("totalClientCount"),
                                    sums->value(QStringLiteral("totalClientCount")).toDouble() +
                                        double(r.value()));
                            if (--*remaining == 0)
                                shared->json(*sums);
                        });
                });
        }
    });
}

} // namespace qpush::api
