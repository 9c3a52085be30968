// Who may connect to a namespace (SPEC §3): the namespace exists and is
// online, the identity (uuid, userid, platform; the v5 auth object wins over
// the query) follows the name rules, the namespace's handshake callback (if
// any) accepts it, and the store records the connect and the user and
// callback rooms. Only then is the socket admitted, with its ConnectedClient.
#pragma once

#include "limitlog.h"
#include "liveclients.h"
#include "namespaceregistry.h"
#include "settings.h"

#include "callbacks/webhooks.h"
#include "socketio/server.h"
#include "store/store.h"

#include <functional>
#include <optional>
#include <variant>

namespace qpush::push {

class Admission
{
public:
    // Installs the namespace admission of `io` (unknown and offline
    // namespaces are refused; "/" accepts no push clients).
    Admission(sio::Server *io, NamespaceRegistry *registry, store::Store *store,
              callbacks::Webhooks *webhooks, const Settings *settings, LimitLog *limits);

    // The middleware of a push namespace: `next` gets nullopt once the
    // socket's data() holds its ConnectedClient, or why it is refused.
    void authorize(sio::Socket *socket, std::function<void(std::optional<sio::ConnectError>)> next);

private:
    // The identity a socket asks for (name rules applied), or why not.
    std::variant<ConnectedClient, QString> identify(sio::Socket *socket) const;
    // Takes the handshake callback's answer into `cc`; the refusal if any.
    std::optional<QString> applyHandshake(callbacks::HandshakeResult result, ConnectedClient &cc);
    bool isOffline(const QString &nsp) const;

    NamespaceRegistry *m_registry;
    store::Store *m_store;
    callbacks::Webhooks *m_webhooks;
    const Settings *m_settings;
    LimitLog *m_limits;
};

} // namespace qpush::push
