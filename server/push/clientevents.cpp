#include "clientevents.h"

#include "clientreply.h"
#include "json.h"
#include "liveclients.h"
#include "rooms.h"
#include "sequence.h"
#include "storeerror.h"

#include <QPointer>
#include <QSet>
#include <QTimer>

namespace qpush::push {

namespace {
ConnectedClient *clientOf(sio::Socket *socket)
{
    return LiveClients::clientOf(socket);
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
} // namespace

ClientEvents::ClientEvents(PushPipeline *pipeline, ActivityBroadcaster *activity,
                           store::Store *store, const Settings *settings, LimitLog *limits)
    : m_pipeline(pipeline), m_activity(activity), m_store(store), m_settings(settings),
      m_limits(limits), m_clients(store, settings)
{
}

void ClientEvents::install(sio::Namespace *nsp)
{
    using Handler = void (ClientEvents::*)(sio::Socket *, sio::Payload &, sio::Ack);
    const std::pair<const char *, Handler> events[] = {
        {"joinRoom", &ClientEvents::onJoinRoom}, {"leaveRoom", &ClientEvents::onLeaveRoom},
        {"info", &ClientEvents::onInfo},         {"apns", &ClientEvents::onApns},
        {"ackPush", &ClientEvents::onAckPush},   {"push", &ClientEvents::onPush},
        {"sync", &ClientEvents::onSync},
    };
    for (const auto &event : events) {
        const Handler handler = event.second;
        nsp->on(QString::fromLatin1(event.first),
                [this, handler](sio::Socket *s, sio::Payload &p, sio::Ack ack) {
                    ConnectedClient *cc = clientOf(s);
                    if (!cc)
                        return;
                    if (!admitEvent(s, *cc, handler == &ClientEvents::onAckPush))
                        return ack({clientReply(DomainError::RateLimited,
                                                QStringLiteral("too many events: at most "
                                                               "%1 per second")
                                                    .arg(m_settings->clientEventRate))});
                    (this->*handler)(s, p, std::move(ack));
                });
    }
}

bool ClientEvents::admitEvent(sio::Socket *socket, ConnectedClient &cc, bool isAck)
{
    const int rate = m_settings->clientEventRate;
    if (rate <= 0)
        return true;
    const qint64 now = m_settings->clock->nowMs();
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
    m_limits->tripped("client_event_rate",
                      QStringLiteral("client %1 sends more than %2 events per second")
                          .arg(cc.clientId)
                          .arg(rate));
    // A client that keeps flooding after being told (ten seconds' worth of
    // refused events within ten seconds) is disconnected. Deferred: the
    // socket is inside its own event dispatch here.
    if (++cc.refusedEvents == 10 * rate) {
        m_limits->tripped(
            "client_event_rate (disconnect)",
            QStringLiteral("disconnecting %1: it kept flooding events").arg(cc.clientId));
        QTimer::singleShot(0, socket, [guard = QPointer<sio::Socket>(socket)] {
            if (guard)
                guard->disconnect(true);
        });
    }
    return false;
}

// ---- client events -----------------------------------------------------------------

Expected<QStringList> ClientEvents::joinList(const ConnectedClient &cc, const QJsonValue &arg)
{
    bool tooLong = false;
    const int maxPerMessage = m_settings->maxRoomsPerMessage;
    const std::optional<QStringList> rooms = roomList(arg, maxPerMessage, &tooLong);
    if (tooLong) {
        m_limits->tripped("max_rooms_per_message",
                          QStringLiteral("joinRoom of %1").arg(cc.clientId));
        return DomainError{DomainError::TooLarge,
                           QStringLiteral("at most %1 rooms per joinRoom").arg(maxPerMessage)};
    }
    if (!rooms || rooms->isEmpty())
        return DomainError::invalid(QStringLiteral("room must be a string or an array of strings"));
    const QString ownRoom = userRoom(cc.userid);
    QStringList list;
    QSet<QString> seen;
    for (const QString &room : *rooms) {
        if (auto err = m_settings->names.check(NameRules::Kind::Room, room))
            return DomainError::invalid(*err);
        if (isUserRoom(room) && room != ownRoom)
            return DomainError{DomainError::Forbidden,
                               QStringLiteral("cannot join another user's room: ") + room};
        if (!seen.contains(room)) {
            seen.insert(room);
            list.append(room);
        }
    }
    return list;
}

void ClientEvents::onJoinRoom(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    ConnectedClient *cc = clientOf(socket);
    const Expected<QStringList> rooms = joinList(*cc, payload.args.at(0));
    if (!rooms)
        return ack({clientReply(rooms.error())});
    const QStringList &list = rooms.value();
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
    // No context object: once started, the store write completes and is
    // answered even when the socket closes meanwhile.
    using Next = Sequence::Next;
    Sequence(nullptr)
        .then([this, guard, clientId, list, release, ack](const Next &proceed) {
            m_store->clientRooms(clientId, [this, guard, clientId, list, release, proceed,
                                            ack](store::Result<QStringList> current) mutable {
                const ConnectedClient *now = guard ? clientOf(guard) : nullptr;
                const qsizetype inFlight = now ? now->pendingJoinRooms - list.size() : 0;
                const std::optional<DomainError> refused =
                    current ? roomLimit(clientId, current.value(), list, inFlight)
                            : fromStoreError(current.error());
                if (!refused)
                    return proceed();
                release();
                ack({clientReply(*refused)});
            });
        })
        .then([this, guard, clientId, list, release, ack](const Next &) {
            m_store->joinRooms(
                clientId, list,
                [this, guard, list, release, ack](store::Result<store::Done> r) mutable {
                    release();
                    if (!r)
                        return ack({clientReply(fromStoreError(r.error()))});
                    if (guard)
                        joinLive(guard, list);
                    ack({okReply()});
                });
        })
        .run();
}

std::optional<DomainError> ClientEvents::roomLimit(const QString &clientId,
                                                   const QStringList &current,
                                                   const QStringList &joining,
                                                   qsizetype inFlight) const
{
    const QSet<QString> have(current.cbegin(), current.cend());
    qsizetype added = 0;
    for (const QString &room : joining)
        if (!have.contains(room))
            ++added;
    const int maxRooms = m_settings->maxRoomsPerClient;
    if (added == 0 || have.size() + added + inFlight <= maxRooms)
        return std::nullopt;
    m_limits->tripped("max_rooms_per_client", QStringLiteral("client %1").arg(clientId));
    return DomainError{DomainError::TooLarge,
                       QStringLiteral("a client may be in at most %1 rooms").arg(maxRooms)};
}

void ClientEvents::joinLive(sio::Socket *socket, const QStringList &rooms)
{
    QStringList joined;
    for (const QString &room : rooms)
        if (!socket->rooms().contains(room)) {
            socket->join(room);
            joined.append(room);
        }
    m_activity->broadcast(socket, QStringLiteral("peopleJoin"), joined, false);
}

void ClientEvents::onLeaveRoom(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    bool tooLong = false;
    const int maxPerMessage = m_settings->maxRoomsPerMessage;
    const std::optional<QStringList> rooms = roomList(payload.args.at(0), maxPerMessage, &tooLong);
    if (tooLong) {
        m_limits->tripped("max_rooms_per_message",
                          QStringLiteral("leaveRoom of %1").arg(cc.clientId));
        return ack(
            {clientReply(DomainError::TooLarge,
                         QStringLiteral("at most %1 rooms per leaveRoom").arg(maxPerMessage))});
    }
    if (!rooms)
        return ack({clientReply(DomainError::Invalid,
                                QStringLiteral("room must be a string or an array of strings"))});
    const QString ownRoom = userRoom(cc.userid);
    QStringList list;
    QSet<QString> seen;
    for (const QString &room : *rooms) {
        if (auto err = m_settings->names.check(NameRules::Kind::Room, room))
            return ack({clientReply(DomainError::Invalid, *err)});
        if (room != ownRoom && !seen.contains(room)) { // the own user room is never left
            seen.insert(room);
            list.append(room);
        }
    }
    if (list.isEmpty())
        return ack({okReply()});
    QPointer<sio::Socket> guard(socket);
    m_store->leaveRooms(
        cc.clientId, list, [this, guard, list, ack](store::Result<store::Done> r) mutable {
            if (!r)
                return ack({clientReply(fromStoreError(r.error()))});
            if (guard) {
                QStringList left;
                for (const QString &room : list)
                    if (guard->rooms().contains(room))
                        left.append(room);
                m_activity->broadcast(guard, QStringLiteral("peopleLeave"), left, false);
                for (const QString &room : left)
                    guard->leave(room);
            }
            ack({okReply()});
        });
}

void ClientEvents::onInfo(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    const QJsonValue arg = payload.args.at(0);
    if (!arg.isObject() && !arg.isUndefined() && !arg.isNull())
        return ack({clientReply(DomainError::Invalid, QStringLiteral("info takes an object"))});
    const QJsonObject o = arg.toObject();

    QString target = cc.clientId;
    if (o.contains(QStringLiteral("clientId"))) {
        const QJsonValue v = o.value(QStringLiteral("clientId"));
        if (!v.isString())
            return ack(
                {clientReply(DomainError::Invalid, QStringLiteral("clientId must be a string"))});
        const auto parts = store::parseClientId(v.toString());
        if (!parts || parts->nsp != cc.nsp || parts->userid != cc.userid)
            return ack({clientReply(DomainError::Forbidden,
                                    QStringLiteral("clientId is not a device of this user"))});
        target = v.toString();
    }

    const auto fields = ClientPatchRequest::parse(o, *m_settings);
    if (!fields) {
        if (patchTooLong(o, m_settings->infoFieldMaxLength))
            m_limits->tripped("info_field_max_length",
                              QStringLiteral("info of %1").arg(cc.clientId));
        return ack({clientReply(fields.error())});
    }

    if (!fields->writes) {
        m_clients.get(target, [ack](Expected<store::ClientInfo> r) mutable {
            if (!r)
                return ack({clientReply(r.error())});
            QJsonObject reply = okReply();
            reply.insert(QStringLiteral("data"), clientInfoToJson(r.value()));
            ack({reply});
        });
        return;
    }
    auto answer = [ack](Expected<store::ClientInfo> r) mutable {
        ack({r ? okReply() : clientReply(r.error())});
    };
    if (target != cc.clientId) // only an existing device of the same user may be written
        return m_clients.updateExisting(target, fields->patch, std::move(answer));
    m_clients.update(target, fields->patch, std::move(answer));
}

void ClientEvents::onApns(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    if (cc.platform != store::Platform::Ios)
        return ack(
            {clientReply(DomainError::Forbidden, QStringLiteral("apns is for iOS clients only"))});
    const QJsonValue arg = payload.args.at(0);
    if (!arg.isObject() && !arg.isUndefined() && !arg.isNull())
        return ack({clientReply(DomainError::Invalid, QStringLiteral("apns takes an object"))});
    const auto request =
        ApnsEdit::parse(arg.toObject(), *m_settings, m_settings->maxRoomsPerMessage);
    if (!request)
        return ack({clientReply(request.error())});
    const QStringList add = request->add, remove = request->remove;
    if (add.isEmpty() && remove.isEmpty()) {
        m_store->getClient(cc.clientId, [ack](store::Result<store::ClientInfo> r) mutable {
            if (!r)
                return ack({clientReply(fromStoreError(r.error()))});
            QJsonObject reply = okReply();
            reply.insert(QStringLiteral("data"), r.value().noSendApns.join(QLatin1Char(',')));
            ack({reply});
        });
        return;
    }
    // The do-not-disturb list is stored per client: an edit that adds rooms
    // is capped like its rooms, which needs the stored list first.
    using Next = Sequence::Next;
    Sequence(nullptr)
        .then([this, clientId = cc.clientId, add, remove, ack](const Next &proceed) {
            if (add.isEmpty())
                return proceed();
            m_store->getClient(clientId, [this, clientId, add, remove, proceed,
                                          ack](store::Result<store::ClientInfo> r) mutable {
                const std::optional<DomainError> refused =
                    r ? apnsLimit(clientId, r.value().noSendApns, add, remove)
                      : fromStoreError(r.error());
                if (!refused)
                    return proceed();
                ack({clientReply(*refused)});
            });
        })
        .then([this, clientId = cc.clientId, add, remove, ack](const Next &) {
            m_store->editClientApns(
                clientId, add, remove, [ack](store::Result<QStringList> r) mutable {
                    ack({r ? okReply() : clientReply(fromStoreError(r.error()))});
                });
        })
        .run();
}

std::optional<DomainError> ClientEvents::apnsLimit(const QString &clientId,
                                                   const QStringList &current,
                                                   const QStringList &add,
                                                   const QStringList &remove) const
{
    QSet<QString> result(current.cbegin(), current.cend());
    for (const QString &room : add)
        result.insert(room);
    for (const QString &room : remove)
        result.remove(room);
    const int maxRooms = m_settings->maxRoomsPerClient;
    if (result.size() <= maxRooms || result.size() <= current.size())
        return std::nullopt;
    m_limits->tripped("max_rooms_per_client", QStringLiteral("apns list of %1").arg(clientId));
    return DomainError{DomainError::TooLarge,
                       QStringLiteral("the apns list may hold at most %1 rooms").arg(maxRooms)};
}

void ClientEvents::onAckPush(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    const QJsonValue id = payload.args.at(0).toObject().value(QStringLiteral("id"));
    qint64 value = 0;
    if (id.isDouble())
        value = qint64(id.toDouble());
    else if (id.isString())
        value = id.toString().toLongLong();
    if (value <= 0)
        return ack({clientReply(DomainError::Invalid, QStringLiteral("id must be a push id"))});
    m_pipeline->acknowledge(cc.nsp, value, cc.clientId,
                            [ack](std::optional<DomainError> err) mutable {
                                ack({err ? clientReply(*err) : okReply()});
                            });
}

void ClientEvents::onPush(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    ConnectedClient *cc = clientOf(socket);
    const QJsonValue arg = payload.args.at(0);
    if (!arg.isObject())
        return ack({clientReply(DomainError::Invalid, QStringLiteral("push takes an object"))});
    const qint64 now = m_settings->clock->nowMs();
    if (cc->lastClientPush &&
        now - cc->lastClientPush < m_settings->clientPushIntervalSeconds * 1000LL) {
        if (auto *m = m_settings->metrics)
            m->pushesRefused.inc("rate_limited");
        return ack({clientReply(DomainError::RateLimited,
                                QStringLiteral("at most one push per %1 s")
                                    .arg(m_settings->clientPushIntervalSeconds))});
    }
    QJsonObject body = arg.toObject();
    if (!body.contains(QStringLiteral("except")))
        body.insert(QStringLiteral("except"), cc->clientId);
    const Expected<PushRequest> request = PushRequest::parse(body, *m_settings);
    if (!request) {
        m_pipeline->countRefused(request.error());
        return ack({clientReply(request.error())});
    }
    QPointer<sio::Socket> guard(socket);
    const QString nsp = cc->nsp;
    cc->lastClientPush = now; // reserved now so that concurrent pushes are limited too
    m_pipeline->push(nsp, *request, [guard, ack, now](const PushOutcome &outcome) mutable {
        if (outcome.error) {
            if (guard && clientOf(guard) && clientOf(guard)->lastClientPush == now)
                clientOf(guard)->lastClientPush = 0; // refused pushes do not count
            return ack({clientReply(*outcome.error)});
        }
        QJsonObject reply = okReply();
        reply.insert(QStringLiteral("id"), double(outcome.id));
        ack({reply});
    });
}

void ClientEvents::onSync(sio::Socket *socket, sio::Payload &payload, sio::Ack ack)
{
    const ConnectedClient cc = *clientOf(socket);
    const QJsonObject o = payload.args.at(0).toObject();
    const QJsonValue room = o.value(QStringLiteral("room"));
    if (!room.isString())
        return ack({clientReply(DomainError::Invalid, QStringLiteral("room must be a string"))});
    if (auto err = m_settings->names.check(NameRules::Kind::Room, room.toString()))
        return ack({clientReply(DomainError::Invalid, *err)});
    // The joinRoom rule (SPEC §10): another user's user room is not synced.
    if (isUserRoom(room.toString()) && room.toString() != userRoom(cc.userid))
        return ack(
            {clientReply(DomainError::Forbidden,
                         QStringLiteral("cannot sync another user's room: ") + room.toString())});
    const QJsonValue clientNum = o.value(QStringLiteral("clientNum"));
    if (!clientNum.isUndefined() && !clientNum.isNull() && !clientNum.isDouble())
        return ack(
            {clientReply(DomainError::Invalid, QStringLiteral("clientNum must be a number"))});
    const bool fetch = o.value(QStringLiteral("fetch")).toBool();
    m_pipeline->sync(cc.nsp, room.toString(), qint64(clientNum.toDouble()), fetch,
                     [ack](Expected<store::SyncResult> r) mutable {
                         ack({r ? syncReply(r.value()) : clientReply(r.error())});
                     });
}

} // namespace qpush::push
