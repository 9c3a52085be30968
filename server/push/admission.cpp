#include "admission.h"

#include "liveclients.h"
#include "logging.h"
#include "rooms.h"
#include "sequence.h"

#include <QPointer>

namespace qpush::push {

Admission::Admission(sio::Server *io, NamespaceRegistry *registry, store::Store *store,
                     callbacks::Webhooks *webhooks, const Settings *settings, LimitLog *limits)
    : m_registry(registry), m_store(store), m_webhooks(webhooks), m_settings(settings),
      m_limits(limits)
{
    // "/" holds the default APNs configuration and accepts no push clients;
    // socket.io 2.x clients join it implicitly, which stays harmless.
    sio::Namespace *root = io->of(QStringLiteral("/"));
    root->use([](sio::Socket *socket, auto next) {
        if (socket->protocol() == sio::Protocol::V4)
            return next(std::nullopt);
        next(sio::ConnectError{QStringLiteral("namespace / accepts no clients"), {}});
    });

    io->setNamespaceAdmission([this](const QString &name, const sio::Handshake &, auto decide) {
        const store::NamespaceRecord *ns = m_registry->find(name);
        if (!ns)
            return decide(sio::ConnectError::invalidNamespace());
        if (ns->offline)
            return decide(sio::ConnectError{QStringLiteral("namespace is offline"), {}});
        decide(std::nullopt);
    });
}

namespace {
// Identity fields: the v5 auth object wins over the query.
QString identityField(sio::Socket *socket, const QString &name)
{
    const QJsonValue v = socket->auth().value(name);
    if (v.isString())
        return v.toString();
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isDouble())
        return QString::number(v.toDouble());
    return socket->queryValue(name);
}

// The handshake callback gets the query, then the auth fields the query
// does not have, the cookie and the namespace's callback authorization.
callbacks::HandshakeRequest handshakeRequest(sio::Socket *socket, const store::NamespaceRecord &ns)
{
    callbacks::HandshakeRequest req;
    req.url = ns.connectCallback;
    const QJsonObject query = socket->queryObject();
    for (auto it = query.begin(); it != query.end(); ++it)
        req.query.append({it.key(), it.value().toString()});
    const QJsonObject &auth = socket->auth();
    for (auto it = auth.begin(); it != auth.end(); ++it)
        if (!query.contains(it.key()) &&
            (it.value().isString() || it.value().isBool() || it.value().isDouble()))
            req.query.append({it.key(), it.value().isString() ? it.value().toString()
                                                              : it.value().toVariant().toString()});
    req.cookie = socket->handshake().header("cookie");
    req.authorization = ns.callbackAuth;
    req.nsp = socket->nsp()->name();
    return req;
}
} // namespace

std::variant<ConnectedClient, QString> Admission::identify(sio::Socket *socket) const
{
    const QString uuid = identityField(socket, QStringLiteral("uuid"));
    if (auto err = m_settings->names.check(NameRules::Kind::Uuid, uuid))
        return *err;
    // '#' separates the parts of the client id: a uuid "x#web-y" of user "u"
    // would make the id of user "u#web-x"'s device "y".
    if (uuid.contains(u'#'))
        return QStringLiteral("uuid must not contain '#'");
    QString userid = identityField(socket, QStringLiteral("userid"));
    if (userid.isEmpty())
        userid = uuid;
    if (auto err = m_settings->names.check(NameRules::Kind::UserId, userid))
        return *err;
    QString platformName = identityField(socket, QStringLiteral("platform"));
    if (platformName.isEmpty())
        platformName = QStringLiteral("web");
    const std::optional<store::Platform> platform = store::platformFromName(platformName);
    if (!platform)
        return QStringLiteral("platform must be web, ios or android");

    ConnectedClient cc;
    cc.nsp = socket->nsp()->name();
    cc.userid = userid;
    cc.uuid = uuid;
    cc.platform = *platform;
    cc.activityBroadcast = identityField(socket, QStringLiteral("activityBroadcast")) == u"true";
    return cc;
}

std::optional<QString> Admission::applyHandshake(callbacks::HandshakeResult result,
                                                 ConnectedClient &cc)
{
    if (!result.accepted)
        return result.reason;
    if (result.userid) {
        if (auto err = m_settings->names.check(NameRules::Kind::UserId, *result.userid))
            return QStringLiteral("connect callback: ") + *err;
        cc.userid = *result.userid;
    }
    // The callback is the operator's, but its rooms are capped like a
    // joinRoom's (the list is walked per room below).
    if (result.rooms.size() > m_settings->maxRoomsPerMessage) {
        m_limits->tripped("max_rooms_per_message",
                          QStringLiteral("connect callback named %1 rooms, the first %2 kept")
                              .arg(result.rooms.size())
                              .arg(m_settings->maxRoomsPerMessage));
        result.rooms.resize(m_settings->maxRoomsPerMessage);
    }
    for (const QString &room : std::as_const(result.rooms)) {
        if (m_settings->names.isValid(NameRules::Kind::Room, room) &&
            !cc.callbackRooms.contains(room))
            cc.callbackRooms.append(room);
        else
            qCDebug(lcPush) << "connect callback named an invalid room, skipped:" << room;
    }
    return std::nullopt;
}

bool Admission::isOffline(const QString &nsp) const
{
    const store::NamespaceRecord *ns = m_registry->find(nsp);
    return !ns || ns->offline;
}

void Admission::authorize(sio::Socket *socket,
                          std::function<void(std::optional<sio::ConnectError>)> next)
{
    auto refuse = [next](const QString &why) { next(sio::ConnectError{why, {}}); };
    const store::NamespaceRecord *ns = m_registry->find(socket->nsp()->name());
    if (!ns)
        return refuse(QStringLiteral("Invalid namespace"));
    if (ns->offline)
        return refuse(QStringLiteral("namespace is offline"));
    auto identity = identify(socket);
    if (auto *why = std::get_if<QString>(&identity))
        return refuse(*why);
    auto cc = std::make_shared<ConnectedClient>(std::get<ConnectedClient>(std::move(identity)));
    const QString connectCallback = ns->connectCallback;
    const callbacks::HandshakeRequest request =
        connectCallback.isEmpty() ? callbacks::HandshakeRequest{} : handshakeRequest(socket, *ns);

    // The namespace may go offline (or away) while the callback or the store
    // works: checked again before the client is admitted.
    using Next = Sequence::Next;
    Sequence(socket, [refuse] { refuse(QStringLiteral("client gone")); })
        .then([this, cc, request, refuse](const Next &proceed) {
            if (request.url.isEmpty())
                return proceed();
            m_webhooks->handshake(request,
                                  [this, cc, refuse, proceed](callbacks::HandshakeResult result) {
                                      if (auto why = applyHandshake(std::move(result), *cc))
                                          return refuse(*why);
                                      proceed();
                                  });
        })
        .then([this, cc, refuse](const Next &proceed) {
            if (isOffline(cc->nsp))
                return refuse(QStringLiteral("namespace is offline"));
            cc->clientId = store::makeClientId(cc->nsp, cc->userid, cc->platform, cc->uuid);
            store::ClientPatch patch;
            patch.connectTime = m_settings->clock->nowMs();
            QStringList rooms{userRoom(cc->userid)};
            rooms.append(cc->callbackRooms);
            // The client record and its rooms do not depend on each other:
            // both are sent at once, so a connect waits for one store round
            // trip (on SQLite: one transaction), not two in a row (issue 18).
            struct Join
            {
                int pending = 2;
                bool refused = false;
            };
            auto join = std::make_shared<Join>();
            auto settle = [join, refuse, proceed](const std::optional<store::Error> &error) {
                if (error && !join->refused) {
                    join->refused = true;
                    refuse(QStringLiteral("store unavailable: ") + error->message);
                }
                if (--join->pending == 0 && !join->refused)
                    proceed();
            };
            m_store->updateClient(cc->clientId, patch,
                                  [settle](store::Result<store::ClientInfo> r) {
                                      settle(r ? std::nullopt : std::optional(r.error()));
                                  });
            m_store->joinRooms(cc->clientId, rooms, [settle](store::Result<store::Done> r) {
                settle(r ? std::nullopt : std::optional(r.error()));
            });
        })
        .then([this, socket, cc, refuse, next](const Next &) {
            if (isOffline(cc->nsp))
                return refuse(QStringLiteral("namespace is offline"));
            socket->data() = *cc;
            next(std::nullopt);
        })
        .run();
}

} // namespace qpush::push
