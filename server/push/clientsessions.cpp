#include "clientsessions.h"

#include "json.h"
#include "logging.h"
#include "rooms.h"

#include <QJsonArray>
#include <QPointer>

namespace qpush::push {

ClientSessions::ClientSessions(LiveClients *live, ActivityBroadcaster *activity,
                               NamespaceRegistry *registry, store::Store *store,
                               callbacks::Webhooks *webhooks, const Settings *settings)
    : m_live(live), m_activity(activity), m_registry(registry), m_store(store),
      m_webhooks(webhooks), m_settings(settings)
{
}

void ClientSessions::connected(sio::Socket *socket)
{
    ConnectedClient *cc = LiveClients::clientOf(socket);
    if (!cc)
        return socket->disconnect();
    if (auto *m = m_settings->metrics)
        m->clientConnects.inc();
    qCInfo(lcConnections).noquote().nospace()
        << "connect client=" << cc->clientId << " ns=" << cc->nsp
        << " ip=" << socket->handshake().address.toString()
        << " sio=" << (socket->protocol() == sio::Protocol::V4 ? "4" : "5");
    // A second connection with the same client id replaces the first.
    if (sio::Socket *previous = m_live->add(socket, cc->clientId))
        previous->disconnect();

    QStringList rooms{userRoom(cc->userid)};
    for (const QString &r : std::as_const(cc->callbackRooms))
        if (!rooms.contains(r))
            rooms.append(r);
    for (const QString &room : rooms)
        socket->join(room);
    m_activity->broadcast(socket, QStringLiteral("peopleJoin"), rooms, false);

    socket->emit(QStringLiteral("ok"),
                 {QJsonObject{{QStringLiteral("system"), m_settings->system},
                              {QStringLiteral("port"), int(m_settings->socketPort)},
                              {QStringLiteral("clientId"), cc->clientId}}});

    if (cc->platform == store::Platform::Android) {
        QPointer<sio::Socket> guard(socket);
        // At most sync_max_bytes of pushData: the rest stays listed until
        // acked and comes at the next connect.
        m_store->offlineMessages(
            cc->clientId, m_settings->syncMaxBytes,
            [guard, m = m_settings->metrics](store::Result<QList<store::PushMessage>> r) {
                if (!guard || !r || r.value().isEmpty())
                    return;
                QJsonArray list;
                for (const store::PushMessage &message : r.value())
                    list.append(messageToJson(message));
                if (m)
                    m->offlineDelivered.inc(quint64(list.size()));
                guard->emit(QStringLiteral("offlineMessage"), {QJsonValue(list)});
            });
    }
}

void ClientSessions::disconnected(sio::Socket *socket, const QString &reason)
{
    ConnectedClient *cc = LiveClients::clientOf(socket);
    if (!cc)
        return;
    if (auto *m = m_settings->metrics)
        m->clientDisconnects.inc();
    qCInfo(lcConnections).noquote().nospace() << "disconnect client=" << cc->clientId
                                              << " ns=" << cc->nsp << " reason=\"" << reason << '"';
    m_live->remove(socket, cc->clientId);
    m_activity->broadcast(socket, QStringLiteral("peopleLeave"), socket->rooms(), true);

    store::ClientPatch patch;
    patch.disconnectTime = m_settings->clock->nowMs();
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

} // namespace qpush::push
