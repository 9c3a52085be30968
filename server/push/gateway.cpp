#include "gateway.h"

#include "json.h"
#include "logging.h"
#include "pushpipeline.h"

#include <QDateTime>
#include <QPointer>
#include <QTimer>

namespace qpush::push {

namespace {
qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}
const QString kUserRoomPrefix = QStringLiteral("user_");
OnlineClient onlineClient(sio::Socket *socket, const ConnectedClient &cc)
{
    return {cc.clientId, cc.nsp, cc.userid, cc.platform, socket->id()};
}
QString userRoom(const QString &userid)
{
    return kUserRoomPrefix + userid;
}

// A room name or a list of them; nullopt when the argument is neither.
// `*tooLong` is set (and nullopt returned) for a list of more than `max`
// names, before any of them is copied.
std::optional<QStringList> roomList(const QJsonValue &v, int max, bool *tooLong)
{
    *tooLong = false;
    if (v.isString())
        return QStringList{v.toString()};
    if (!v.isArray())
        return std::nullopt;
    const QJsonArray array = v.toArray();
    if (array.size() > max) {
        *tooLong = true;
        return std::nullopt;
    }
    QStringList out;
    out.reserve(array.size());
    for (const QJsonValue &r : array) {
        if (!r.isString())
            return std::nullopt;
        out.append(r.toString());
    }
    return out;
}

// Rooms listed in a peopleJoin/peopleLeave event's `rooms`: the rooms of the
// operation when they are few; beyond that each event names only its own
// room, so that one operation on N rooms sends N small events, not N events
// of N names each (issue 11, finding 2).
constexpr qsizetype kActivityRoomsListed = 16;
} // namespace

QJsonObject statusReply(int status, const QString &msg)
{
    return QJsonObject{{QStringLiteral("status"), status}, {QStringLiteral("msg"), msg}};
}

QJsonObject errorReply(const DomainError &error)
{
    return statusReply(error.status(), error.message);
}

DomainError fromStoreError(const store::Error &error)
{
    switch (error.code) {
    case store::ErrorCode::Unavailable:
        return {DomainError::Unavailable, error.message};
    case store::ErrorCode::NotFound:
        return {DomainError::NotFound, error.message};
    case store::ErrorCode::Conflict:
        return {DomainError::Conflict, error.message};
    case store::ErrorCode::Invalid:
        return {DomainError::Invalid, error.message};
    case store::ErrorCode::Corrupt:
    case store::ErrorCode::Internal:
        break;
    }
    return {DomainError::Internal, error.message};
}

ClientGateway::ClientGateway(sio::Server *io, NamespaceRegistry *registry, store::Store *store,
                             callbacks::Webhooks *webhooks, const Settings *settings,
                             QObject *parent)
    : QObject(parent), m_io(io), m_registry(registry), m_store(store), m_webhooks(webhooks),
      m_settings(settings)
{
    // "/" holds the default APNs configuration and accepts no push clients;
    // socket.io 2.x clients join it implicitly, which stays harmless.
    sio::Namespace *root = m_io->of(QStringLiteral("/"));
    root->use([](sio::Socket *socket, auto next) {
        if (socket->protocol() == sio::Protocol::V4)
            return next(std::nullopt);
        next(sio::ConnectError{QStringLiteral("namespace / accepts no clients"), {}});
    });

    m_io->setNamespaceAdmission([this](const QString &name, const sio::Handshake &, auto decide) {
        const store::NamespaceRecord *ns = m_registry->find(name);
        if (!ns)
            return decide(sio::ConnectError::invalidNamespace());
        if (ns->offline)
            return decide(sio::ConnectError{QStringLiteral("namespace is offline"), {}});
        decide(std::nullopt);
    });
    m_io->setNamespaceCreatedHook([this](sio::Namespace *nsp) { setupNamespace(nsp); });

    connect(m_registry, &NamespaceRegistry::changed, this, [this](const QString &key) {
        const store::NamespaceRecord *ns = m_registry->find(key);
        if (!ns || ns->offline)
            disconnectNamespace(key);
    });
}

ClientGateway::~ClientGateway() = default;

ConnectedClient *ClientGateway::clientOf(sio::Socket *socket)
{
    return std::any_cast<ConnectedClient>(&socket->data());
}

void ClientGateway::setupNamespace(sio::Namespace *nsp)
{
    nsp->use([this](sio::Socket *socket, auto next) { authorize(socket, std::move(next)); });
    nsp->onConnection([this](sio::Socket *socket) { onConnected(socket); });
    nsp->onDisconnect(
        [this](sio::Socket *socket, const QString &reason) { onDisconnected(socket, reason); });
    nsp->onMembership([this](sio::Socket *socket, const QString &room, bool joined) {
        if (const ConnectedClient *cc = clientOf(socket))
            m_presence->roomChanged(onlineClient(socket, *cc), room, joined);
    });
    using Handler = void (ClientGateway::*)(sio::Socket *, sio::Payload &, sio::Ack);
    const std::pair<const char *, Handler> events[] = {
        {"joinRoom", &ClientGateway::onJoinRoom}, {"leaveRoom", &ClientGateway::onLeaveRoom},
        {"info", &ClientGateway::onInfo},         {"apns", &ClientGateway::onApns},
        {"ackPush", &ClientGateway::onAckPush},   {"push", &ClientGateway::onPush},
        {"sync", &ClientGateway::onSync},
    };
    for (const auto &[name, handler] : events) {
        nsp->on(QString::fromLatin1(name),
                [this, handler](sio::Socket *s, sio::Payload &p, sio::Ack ack) {
                    ConnectedClient *cc = clientOf(s);
                    if (!cc)
                        return;
                    if (!admitEvent(s, *cc, handler == &ClientGateway::onAckPush))
                        return ack({statusReply(429, QStringLiteral("too many events: at most "
                                                                    "%1 per second")
                                                         .arg(m_settings->clientEventRate))});
                    (this->*handler)(s, p, std::move(ack));
                });
    }
}

bool ClientGateway::admitEvent(sio::Socket *socket, ConnectedClient &cc, bool isAck)
{
    const int rate = m_settings->clientEventRate;
    if (rate <= 0)
        return true;
    const qint64 now = nowMs();
    if (cc.refusedSince == 0) { // first event: full buckets
        cc.events = TokenBucket(rate, rate);
        // A client acks every push it gets: receipts of a busy room must
        // not be refused, so acks have a bucket ten times as large.
        cc.acks = TokenBucket(10.0 * rate, 10.0 * rate);
    }
    if (cc.refusedSince == 0 || now - cc.refusedSince >= 10000) {
        cc.refusedSince = now;
        cc.refusedEvents = 0;
    }
    if ((isAck ? cc.acks : cc.events).take(now))
        return true;
    tooMany("client_event_rate", QStringLiteral("client %1 sends more than %2 events per second")
                                     .arg(cc.clientId)
                                     .arg(rate));
    // A client that keeps flooding after being told (ten seconds' worth of
    // refused events within ten seconds) is disconnected. Deferred: the
    // socket is inside its own event dispatch here.
    if (++cc.refusedEvents == 10 * rate) {
        tooMany("client_event_rate (disconnect)",
                QStringLiteral("disconnecting %1: it kept flooding events").arg(cc.clientId));
        QTimer::singleShot(0, socket, [guard = QPointer<sio::Socket>(socket)] {
            if (guard)
                guard->disconnect(true);
        });
    }
    return false;
}

void ClientGateway::tooMany(const char *limit, const QString &what)
{
    qint64 suppressed = 0;
    if (m_limitLog.allow(limit, nowMs(), &suppressed))
        qCWarning(lcPush).noquote()
            << "limit" << limit << "tripped:" << what
            << QStringLiteral("(%1 more since the last line)").arg(suppressed);
}

// ---- connect ------------------------------------------------------------------------

void ClientGateway::authorize(sio::Socket *socket,
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
        patch.connectTime = nowMs();
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
            tooMany("max_rooms_per_message",
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

void ClientGateway::onConnected(sio::Socket *socket)
{
    ConnectedClient *cc = clientOf(socket);
    if (!cc)
        return socket->disconnect();
    // A second connection with the same client id replaces the first.
    sio::Socket *previous = m_online.value(cc->clientId);
    m_online.insert(cc->clientId, socket);
    m_presence->clientOnline(onlineClient(socket, *cc));
    if (previous && previous != socket)
        previous->disconnect();

    QStringList rooms{userRoom(cc->userid)};
    for (const QString &r : std::as_const(cc->callbackRooms))
        if (!rooms.contains(r))
            rooms.append(r);
    for (const QString &room : rooms)
        socket->join(room);
    broadcastActivity(socket, QStringLiteral("peopleJoin"), rooms, false);

    socket->emit(QStringLiteral("ok"),
                 {QJsonObject{{QStringLiteral("system"), m_settings->system},
                              {QStringLiteral("port"), int(m_settings->socketPort)},
                              {QStringLiteral("clientId"), cc->clientId}}});

    if (cc->platform == store::Platform::Android) {
        QPointer<sio::Socket> guard(socket);
        // At most sync_max_bytes of pushData: the rest stays listed until
        // acked and comes at the next connect.
        m_store->offlineMessages(cc->clientId, m_settings->syncMaxBytes,
                                 [guard](store::Result<QList<store::PushMessage>> r) {
                                     if (!guard || !r || r.value().isEmpty())
                                         return;
                                     QJsonArray list;
                                     for (const store::PushMessage &m : r.value())
                                         list.append(messageToJson(m));
                                     guard->emit(QStringLiteral("offlineMessage"),
                                                 {QJsonValue(list)});
                                 });
    }
}

void ClientGateway::onDisconnected(sio::Socket *socket, const QString &reason)
{
    ConnectedClient *cc = clientOf(socket);
    if (!cc)
        return;
    if (m_online.value(cc->clientId) == socket)
        m_online.remove(cc->clientId);
    m_presence->clientOffline(onlineClient(socket, *cc));
    broadcastActivity(socket, QStringLiteral("peopleLeave"), socket->rooms(), true);

    store::ClientPatch patch;
    patch.disconnectTime = nowMs();
    m_store->updateClient(cc->clientId, patch,
                          [id = cc->clientId](store::Result<store::ClientInfo> r) {
                              if (!r)
                                  qCInfo(lcPush) << "could not record the disconnect of" << id
                                                 << r.error().toString();
                          });

    const store::NamespaceRecord *ns = m_registry->find(cc->nsp);
    if (ns && !ns->disconnectCallback.isEmpty()) {
        callbacks::DisconnectNotice notice;
        notice.url = ns->disconnectCallback;
        notice.query = socket->queryObject();
        notice.clientId = cc->clientId;
        notice.reason = reason.isEmpty() ? QStringLiteral("unknown") : reason;
        notice.cookie = socket->handshake().header("cookie");
        notice.authorization = ns->callbackAuth;
        notice.nsp = cc->nsp;
        m_webhooks->disconnected(notice);
    }
}

void ClientGateway::broadcastActivity(sio::Socket *socket, const QString &event,
                                      const QStringList &rooms, bool offline)
{
    const ConnectedClient *cc = clientOf(socket);
    if (!cc || !cc->activityBroadcast || !m_settings->roomActivityBroadcast || rooms.isEmpty())
        return;
    const bool listAll = rooms.size() <= kActivityRoomsListed;
    const QJsonArray roomArray = listAll ? QJsonArray::fromStringList(rooms) : QJsonArray();
    for (const QString &room : rooms) {
        const QJsonObject payload{{QStringLiteral("sid"), cc->clientId},
                                  {QStringLiteral("uuid"), cc->uuid},
                                  {QStringLiteral("userid"), cc->userid},
                                  {QStringLiteral("room"), room},
                                  {QStringLiteral("rooms"), listAll ? roomArray : QJsonArray{room}},
                                  {QStringLiteral("clientOffline"), offline}};
        socket->nsp()->to(room).except(socket->id()).emit(event, {payload});
        Q_EMIT activityBroadcast(cc->nsp, room, cc->clientId, event, payload);
    }
}

// ---- client events -----------------------------------------------------------------

void ClientGateway::onJoinRoom(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    ConnectedClient *cc = clientOf(socket);
    bool tooLong = false;
    const int maxPerMessage = m_settings->maxRoomsPerMessage;
    const std::optional<QStringList> rooms = roomList(payload.args.at(0), maxPerMessage, &tooLong);
    if (tooLong) {
        tooMany("max_rooms_per_message", QStringLiteral("joinRoom of %1").arg(cc->clientId));
        return ack(
            {statusReply(413, QStringLiteral("at most %1 rooms per joinRoom").arg(maxPerMessage))});
    }
    if (!rooms || rooms->isEmpty())
        return ack(
            {statusReply(400, QStringLiteral("room must be a string or an array of strings"))});
    const QString ownRoom = userRoom(cc->userid);
    QStringList list;
    QSet<QString> seen;
    for (const QString &room : *rooms) {
        if (auto err = m_settings->names.check(NameRules::Kind::Room, room))
            return ack({statusReply(400, *err)});
        if (room.startsWith(kUserRoomPrefix) && room != ownRoom)
            return ack(
                {statusReply(403, QStringLiteral("cannot join another user's room: ") + room)});
        if (!seen.contains(room)) {
            seen.insert(room);
            list.append(room);
        }
    }
    // Rooms per client: the stored memberships, plus the new ones, plus those
    // of this client's joinRoom events still in flight.
    QPointer<sio::Socket> guard(socket);
    const QString clientId = cc->clientId;
    const int count = int(list.size());
    cc->pendingJoinRooms += count;
    auto release = [guard, count] {
        if (guard)
            if (ConnectedClient *c = clientOf(guard))
                c->pendingJoinRooms -= count;
    };
    m_store->clientRooms(clientId, [this, guard, clientId, list, release,
                                    ack](store::Result<QStringList> current) mutable {
        if (!current) {
            release();
            return ack({errorReply(fromStoreError(current.error()))});
        }
        const QSet<QString> have(current.value().cbegin(), current.value().cend());
        qsizetype added = 0;
        for (const QString &room : list)
            if (!have.contains(room))
                ++added;
        const ConnectedClient *now = guard ? clientOf(guard) : nullptr;
        const qsizetype inFlight = now ? now->pendingJoinRooms - list.size() : 0;
        const int maxRooms = m_settings->maxRoomsPerClient;
        if (added > 0 && have.size() + added + inFlight > maxRooms) {
            release();
            tooMany("max_rooms_per_client", QStringLiteral("client %1").arg(clientId));
            return ack({statusReply(
                413, QStringLiteral("a client may be in at most %1 rooms").arg(maxRooms))});
        }
        m_store->joinRooms(clientId, list,
                           [this, guard, list, release, ack](store::Result<store::Done> r) mutable {
                               release();
                               if (!r)
                                   return ack({errorReply(fromStoreError(r.error()))});
                               if (guard) {
                                   QStringList joined;
                                   for (const QString &room : list)
                                       if (!guard->rooms().contains(room)) {
                                           guard->join(room);
                                           joined.append(room);
                                       }
                                   broadcastActivity(guard, QStringLiteral("peopleJoin"), joined,
                                                     false);
                               }
                               ack({statusReply(200, QStringLiteral("ok"))});
                           });
    });
}

void ClientGateway::onLeaveRoom(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    bool tooLong = false;
    const int maxPerMessage = m_settings->maxRoomsPerMessage;
    const std::optional<QStringList> rooms = roomList(payload.args.at(0), maxPerMessage, &tooLong);
    if (tooLong) {
        tooMany("max_rooms_per_message", QStringLiteral("leaveRoom of %1").arg(cc.clientId));
        return ack({statusReply(
            413, QStringLiteral("at most %1 rooms per leaveRoom").arg(maxPerMessage))});
    }
    if (!rooms)
        return ack(
            {statusReply(400, QStringLiteral("room must be a string or an array of strings"))});
    const QString ownRoom = userRoom(cc.userid);
    QStringList list;
    QSet<QString> seen;
    for (const QString &room : *rooms) {
        if (auto err = m_settings->names.check(NameRules::Kind::Room, room))
            return ack({statusReply(400, *err)});
        if (room != ownRoom && !seen.contains(room)) { // the own user room is never left
            seen.insert(room);
            list.append(room);
        }
    }
    if (list.isEmpty())
        return ack({statusReply(200, QStringLiteral("ok"))});
    QPointer<sio::Socket> guard(socket);
    m_store->leaveRooms(
        cc.clientId, list, [this, guard, list, ack](store::Result<store::Done> r) mutable {
            if (!r)
                return ack({errorReply(fromStoreError(r.error()))});
            if (guard) {
                QStringList left;
                for (const QString &room : list)
                    if (guard->rooms().contains(room))
                        left.append(room);
                broadcastActivity(guard, QStringLiteral("peopleLeave"), left, false);
                for (const QString &room : left)
                    guard->leave(room);
            }
            ack({statusReply(200, QStringLiteral("ok"))});
        });
}

void ClientGateway::onInfo(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    const QJsonValue arg = payload.args.at(0);
    if (!arg.isObject() && !arg.isUndefined() && !arg.isNull())
        return ack({statusReply(400, QStringLiteral("info takes an object"))});
    const QJsonObject o = arg.toObject();

    QString target = cc.clientId;
    if (o.contains(QStringLiteral("clientId"))) {
        const QJsonValue v = o.value(QStringLiteral("clientId"));
        if (!v.isString())
            return ack({statusReply(400, QStringLiteral("clientId must be a string"))});
        const auto parts = store::parseClientId(v.toString());
        if (!parts || parts->nsp != cc.nsp || parts->userid != cc.userid)
            return ack({statusReply(403, QStringLiteral("clientId is not a device of this user"))});
        target = v.toString();
    }

    store::ClientPatch patch;
    bool writes = false;
    if (auto err = parseClientPatch(o, patch, &writes, m_settings->infoFieldMaxLength)) {
        if (patchTooLong(o, m_settings->infoFieldMaxLength))
            tooMany("info_field_max_length", QStringLiteral("info of %1").arg(cc.clientId));
        return ack({statusReply(400, *err)});
    }

    if (!writes) {
        m_store->getClient(target, [ack](store::Result<store::ClientInfo> r) mutable {
            if (!r)
                return ack({errorReply(fromStoreError(r.error()))});
            QJsonObject reply = statusReply(200, QStringLiteral("ok"));
            reply.insert(QStringLiteral("data"), clientInfoToJson(r.value()));
            ack({reply});
        });
        return;
    }
    patch.updateDate = nowMs();
    if (target != cc.clientId) {
        // Only an existing device of the same user may be written.
        m_store->getClient(target, [this, target, patch,
                                    ack](store::Result<store::ClientInfo> r) mutable {
            if (!r)
                return ack({errorReply(fromStoreError(r.error()))});
            m_store->updateClient(target, patch, [ack](store::Result<store::ClientInfo> u) mutable {
                ack({u ? statusReply(200, QStringLiteral("ok"))
                       : errorReply(fromStoreError(u.error()))});
            });
        });
        return;
    }
    m_store->updateClient(target, patch, [ack](store::Result<store::ClientInfo> r) mutable {
        ack({r ? statusReply(200, QStringLiteral("ok")) : errorReply(fromStoreError(r.error()))});
    });
}

void ClientGateway::onApns(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    if (cc.platform != store::Platform::Ios)
        return ack({statusReply(403, QStringLiteral("apns is for iOS clients only"))});
    const QJsonValue arg = payload.args.at(0);
    if (!arg.isObject() && !arg.isUndefined() && !arg.isNull())
        return ack({statusReply(400, QStringLiteral("apns takes an object"))});
    const QJsonObject o = arg.toObject();
    QStringList add, remove;
    for (const auto &[name, list] : {std::pair{"add", &add}, std::pair{"remove", &remove}}) {
        const QJsonValue v = o.value(QLatin1String(name));
        if (v.isUndefined() || v.isNull())
            continue;
        bool tooLong = false;
        const std::optional<QStringList> rooms =
            roomList(v, m_settings->maxRoomsPerMessage, &tooLong);
        if (tooLong)
            return ack({statusReply(413, QStringLiteral("at most %1 rooms per %2 list")
                                             .arg(m_settings->maxRoomsPerMessage)
                                             .arg(QLatin1String(name)))});
        if (!rooms)
            return ack({statusReply(400, QStringLiteral("%1 must be a room or an array of rooms")
                                             .arg(QLatin1String(name)))});
        for (const QString &room : *rooms)
            if (auto err = m_settings->names.check(NameRules::Kind::Room, room))
                return ack({statusReply(400, *err)});
        *list = *rooms;
    }
    if (add.isEmpty() && remove.isEmpty()) {
        m_store->getClient(cc.clientId, [ack](store::Result<store::ClientInfo> r) mutable {
            if (!r)
                return ack({errorReply(fromStoreError(r.error()))});
            QJsonObject reply = statusReply(200, QStringLiteral("ok"));
            reply.insert(QStringLiteral("data"), r.value().noSendApns.join(QLatin1Char(',')));
            ack({reply});
        });
        return;
    }
    auto edit = [this, clientId = cc.clientId, add, remove, ack]() mutable {
        m_store->editClientApns(clientId, add, remove, [ack](store::Result<QStringList> r) mutable {
            ack({r ? statusReply(200, QStringLiteral("ok"))
                   : errorReply(fromStoreError(r.error()))});
        });
    };
    if (add.isEmpty())
        return edit();
    // The do-not-disturb list is stored per client: capped like its rooms.
    m_store->getClient(cc.clientId, [this, clientId = cc.clientId, add, remove, ack,
                                     edit](store::Result<store::ClientInfo> r) mutable {
        if (!r)
            return ack({errorReply(fromStoreError(r.error()))});
        QSet<QString> result(r.value().noSendApns.cbegin(), r.value().noSendApns.cend());
        for (const QString &room : std::as_const(add))
            result.insert(room);
        for (const QString &room : std::as_const(remove))
            result.remove(room);
        const int maxRooms = m_settings->maxRoomsPerClient;
        if (result.size() > maxRooms && result.size() > r.value().noSendApns.size()) {
            tooMany("max_rooms_per_client", QStringLiteral("apns list of %1").arg(clientId));
            return ack({statusReply(
                413, QStringLiteral("the apns list may hold at most %1 rooms").arg(maxRooms))});
        }
        edit();
    });
}

void ClientGateway::onAckPush(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    const QJsonValue id = payload.args.at(0).toObject().value(QStringLiteral("id"));
    qint64 value = 0;
    if (id.isDouble())
        value = qint64(id.toDouble());
    else if (id.isString())
        value = id.toString().toLongLong();
    if (value <= 0)
        return ack({statusReply(400, QStringLiteral("id must be a push id"))});
    m_pipeline->acknowledge(
        cc.nsp, value, cc.clientId, [ack](std::optional<DomainError> err) mutable {
            ack({err ? errorReply(*err) : statusReply(200, QStringLiteral("ok"))});
        });
}

void ClientGateway::onPush(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    ConnectedClient *cc = clientOf(socket);
    const QJsonValue arg = payload.args.at(0);
    if (!arg.isObject())
        return ack({statusReply(400, QStringLiteral("push takes an object"))});
    const qint64 now = nowMs();
    if (cc->lastClientPush &&
        now - cc->lastClientPush < m_settings->clientPushIntervalSeconds * 1000LL)
        return ack({statusReply(429, QStringLiteral("at most one push per %1 s")
                                         .arg(m_settings->clientPushIntervalSeconds))});
    QJsonObject body = arg.toObject();
    if (!body.contains(QStringLiteral("except")))
        body.insert(QStringLiteral("except"), cc->clientId);
    QPointer<sio::Socket> guard(socket);
    const QString nsp = cc->nsp;
    cc->lastClientPush = now; // reserved now so that concurrent pushes are limited too
    m_pipeline->push(nsp, body, [guard, ack, now](const PushOutcome &outcome) mutable {
        if (outcome.error) {
            if (guard && clientOf(guard) && clientOf(guard)->lastClientPush == now)
                clientOf(guard)->lastClientPush = 0; // refused pushes do not count
            return ack({errorReply(*outcome.error)});
        }
        QJsonObject reply = statusReply(200, QStringLiteral("ok"));
        reply.insert(QStringLiteral("id"), double(outcome.id));
        ack({reply});
    });
}

void ClientGateway::onSync(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    const QJsonObject o = payload.args.at(0).toObject();
    const QJsonValue room = o.value(QStringLiteral("room"));
    if (!room.isString())
        return ack({statusReply(400, QStringLiteral("room must be a string"))});
    if (auto err = m_settings->names.check(NameRules::Kind::Room, room.toString()))
        return ack({statusReply(400, *err)});
    // The joinRoom rule (SPEC §10): another user's user room is not synced.
    if (room.toString().startsWith(kUserRoomPrefix) && room.toString() != userRoom(cc.userid))
        return ack({statusReply(403, QStringLiteral("cannot sync another user's room: ") +
                                         room.toString())});
    const QJsonValue clientNum = o.value(QStringLiteral("clientNum"));
    if (!clientNum.isUndefined() && !clientNum.isNull() && !clientNum.isDouble())
        return ack({statusReply(400, QStringLiteral("clientNum must be a number"))});
    const bool fetch = o.value(QStringLiteral("fetch")).toBool();
    m_pipeline->sync(cc.nsp, room.toString(), qint64(clientNum.toDouble()), fetch,
                     [ack](std::variant<QJsonObject, DomainError> r) mutable {
                         if (auto *err = std::get_if<DomainError>(&r))
                             return ack({errorReply(*err)});
                         ack({std::get<QJsonObject>(r)});
                     });
}

// ---- live view ---------------------------------------------------------------------

qsizetype ClientGateway::countOnline(const QString &nsp, const QString &room,
                                     const QString &exceptClient) const
{
    sio::Namespace *n = m_io->find(nsp);
    if (!n)
        return 0;
    // Sockets join rooms only once connected and leave them when they
    // close, so the room's size is the online count (no pass over members).
    const sio::SocketSet &members = n->room(room);
    qsizetype count = members.size();
    if (!exceptClient.isEmpty()) {
        sio::Socket *ex = m_online.value(exceptClient);
        if (ex && members.contains(ex))
            --count;
    }
    return count;
}

qsizetype ClientGateway::deliver(const QString &nsp, const QString &room,
                                 const QString &exceptClient, const QString &event,
                                 const QJsonArray &args)
{
    sio::Namespace *n = m_io->find(nsp);
    if (!n)
        return 0;
    sio::Broadcast b = n->to(room);
    if (!exceptClient.isEmpty())
        if (sio::Socket *ex = m_online.value(exceptClient))
            b.except(ex->id());
    return b.emit(event, args);
}

void ClientGateway::applyTransfer(const QString &, const QStringList &clientIds,
                                  const QString &targetRoom, bool join,
                                  const QJsonObject &eventPayload)
{
    const QString event = join ? QStringLiteral("joinRoom") : QStringLiteral("leaveRoom");
    for (const QString &id : clientIds) {
        sio::Socket *s = m_online.value(id);
        if (!s)
            continue;
        if (join)
            s->join(targetRoom);
        else
            s->leave(targetRoom);
        s->emit(event, {eventPayload});
    }
}

OnlineCounts ClientGateway::roomOnline(const QString &nsp, const QString &room) const
{
    OnlineCounts c;
    sio::Namespace *n = m_io->find(nsp);
    if (!n)
        return c;
    QSet<QString> users;
    for (sio::Socket *s : n->room(room)) {
        const ConnectedClient *cc = clientOf(s);
        if (!cc || !s->isConnected())
            continue;
        ++c.clients;
        users.insert(cc->userid);
        if (cc->platform == store::Platform::Ios)
            ++c.ios;
        else if (cc->platform == store::Platform::Android)
            ++c.android;
    }
    c.users = users.size();
    return c;
}

QJsonObject ClientGateway::namespaceOnline(const QString &nsp, bool detail) const
{
    QSet<QString> rooms, users;
    QStringList clients;
    if (sio::Namespace *n = m_io->find(nsp)) {
        for (sio::Socket *s : n->sockets()) {
            const ConnectedClient *cc = clientOf(s);
            if (!cc || !s->isConnected())
                continue;
            clients.append(cc->clientId);
            users.insert(cc->userid);
            for (const QString &r : s->rooms())
                if (!r.startsWith(kUserRoomPrefix))
                    rooms.insert(r);
        }
    }
    QJsonObject o{{QStringLiteral("roomCount"), rooms.size()},
                  {QStringLiteral("userCount"), users.size()},
                  {QStringLiteral("clientCount"), clients.size()}};
    if (detail) {
        const int limit = m_settings->reportOnlineListMaxLimit;
        auto sorted = [](QStringList l) {
            l.sort();
            return l;
        };
        if (rooms.size() <= limit)
            o.insert(QStringLiteral("room"), QJsonArray::fromStringList(sorted(rooms.values())));
        if (users.size() <= limit)
            o.insert(QStringLiteral("user"), QJsonArray::fromStringList(sorted(users.values())));
        if (clients.size() <= limit)
            o.insert(QStringLiteral("client"), QJsonArray::fromStringList(sorted(clients)));
    }
    return o;
}

void ClientGateway::forEachOnline(
    const std::function<void(const OnlineClient &, const QStringList &rooms)> &fn) const
{
    for (sio::Socket *s : m_online)
        if (const ConnectedClient *cc = clientOf(s); cc && s->isConnected())
            fn(onlineClient(s, *cc), s->rooms());
}

namespace {
void disconnectBatch(QList<QPointer<sio::Socket>> pending)
{
    int batch = 200;
    while (!pending.isEmpty() && batch-- > 0) {
        QPointer<sio::Socket> s = pending.takeLast();
        if (s)
            s->disconnect();
    }
    if (!pending.isEmpty())
        QTimer::singleShot(5, [pending] { disconnectBatch(pending); });
}
} // namespace

void ClientGateway::disconnectNamespace(const QString &nsp)
{
    sio::Namespace *n = m_io->find(nsp);
    if (!n || n->socketCount() == 0)
        return;
    // A batch per pass: a namespace of many clients is not dropped in one tick.
    QList<QPointer<sio::Socket>> pending;
    for (sio::Socket *s : n->sockets())
        pending.append(s);
    disconnectBatch(std::move(pending));
}

} // namespace qpush::push
