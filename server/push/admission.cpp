#include "admission.h"

#include "liveclients.h"
#include "logging.h"
#include "rooms.h"

#include <QDateTime>
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

void Admission::authorize(sio::Socket *socket,
                          std::function<void(std::optional<sio::ConnectError>)> next)
{
    auto refuse = [&next](const QString &why) { next(sio::ConnectError{why, {}}); };
    const QString key = socket->nsp()->name();
    const store::NamespaceRecord *ns = m_registry->find(key);
    if (!ns)
        return refuse(QStringLiteral("Invalid namespace"));
    if (ns->offline)
        return refuse(QStringLiteral("namespace is offline"));

    // Identity: the v5 auth object wins over the query.
    auto field = [socket](const QString &name) -> QString {
        const QJsonValue v = socket->auth().value(name);
        if (v.isString())
            return v.toString();
        if (v.isBool())
            return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        if (v.isDouble())
            return QString::number(v.toDouble());
        return socket->queryValue(name);
    };
    const QString uuid = field(QStringLiteral("uuid"));
    if (auto err = m_settings->names.check(NameRules::Kind::Uuid, uuid))
        return refuse(*err);
    // '#' separates the parts of the client id: a uuid "x#web-y" of user "u"
    // would make the id of user "u#web-x"'s device "y".
    if (uuid.contains(u'#'))
        return refuse(QStringLiteral("uuid must not contain '#'"));
    QString userid = field(QStringLiteral("userid"));
    if (userid.isEmpty())
        userid = uuid;
    if (auto err = m_settings->names.check(NameRules::Kind::UserId, userid))
        return refuse(*err);
    QString platformName = field(QStringLiteral("platform"));
    if (platformName.isEmpty())
        platformName = QStringLiteral("web");
    const std::optional<store::Platform> platform = store::platformFromName(platformName);
    if (!platform)
        return refuse(QStringLiteral("platform must be web, ios or android"));

    ConnectedClient cc;
    cc.nsp = key;
    cc.userid = userid;
    cc.uuid = uuid;
    cc.platform = *platform;
    cc.activityBroadcast = field(QStringLiteral("activityBroadcast")) == u"true";

    QPointer<sio::Socket> guard(socket);
    // The namespace may go offline (or away) while the callback or the store
    // works: checked again before the client is admitted.
    auto offlineNow = [this](const QString &nsp) {
        const store::NamespaceRecord *now = m_registry->find(nsp);
        return !now || now->offline;
    };
    auto finish = [this, guard, next, offlineNow](ConnectedClient cc) mutable {
        if (!guard)
            return next(sio::ConnectError{QStringLiteral("client gone"), {}});
        if (offlineNow(cc.nsp))
            return next(sio::ConnectError{QStringLiteral("namespace is offline"), {}});
        cc.clientId = store::makeClientId(cc.nsp, cc.userid, cc.platform, cc.uuid);
        store::ClientPatch patch;
        patch.connectTime = QDateTime::currentMSecsSinceEpoch();
        m_store->updateClient(
            cc.clientId, patch,
            [this, guard, next, cc, offlineNow](store::Result<store::ClientInfo> r) {
                if (!guard)
                    return next(sio::ConnectError{QStringLiteral("client gone"), {}});
                if (!r)
                    return next(sio::ConnectError{
                        QStringLiteral("store unavailable: ") + r.error().message, {}});
                QStringList rooms{userRoom(cc.userid)};
                rooms.append(cc.callbackRooms);
                m_store->joinRooms(
                    cc.clientId, rooms,
                    [guard, next, cc, offlineNow](store::Result<store::Done> j) {
                        if (!guard)
                            return next(sio::ConnectError{QStringLiteral("client gone"), {}});
                        if (!j)
                            return next(sio::ConnectError{
                                QStringLiteral("store unavailable: ") + j.error().message, {}});
                        if (offlineNow(cc.nsp))
                            return next(
                                sio::ConnectError{QStringLiteral("namespace is offline"), {}});
                        guard->data() = cc;
                        next(std::nullopt);
                    });
            });
    };

    if (ns->connectCallback.isEmpty())
        return finish(std::move(cc));

    callbacks::HandshakeRequest req;
    req.url = ns->connectCallback;
    const QJsonObject query = socket->queryObject();
    for (auto it = query.begin(); it != query.end(); ++it)
        req.query.append({it.key(), it.value().toString()});
    const QJsonObject auth = socket->auth();
    for (auto it = auth.begin(); it != auth.end(); ++it)
        if (!query.contains(it.key()) &&
            (it.value().isString() || it.value().isBool() || it.value().isDouble()))
            req.query.append({it.key(), it.value().isString() ? it.value().toString()
                                                              : it.value().toVariant().toString()});
    req.cookie = socket->handshake().header("cookie");
    req.authorization = ns->callbackAuth;
    req.nsp = key;
    m_webhooks->handshake(req, [this, cc, finish, next](callbacks::HandshakeResult result) mutable {
        if (!result.accepted)
            return next(sio::ConnectError{result.reason, {}});
        if (result.userid) {
            if (auto err = m_settings->names.check(NameRules::Kind::UserId, *result.userid))
                return next(sio::ConnectError{QStringLiteral("connect callback: ") + *err, {}});
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
        finish(std::move(cc));
    });
}

} // namespace qpush::push
