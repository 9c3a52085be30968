// Calls a namespace's third-party server (SPEC §6): the handshake callback
// decides whether a client may connect (and may replace its userid and add
// rooms); the disconnect callback is fire-and-forget. Both time out after
// `callback_timeout`.
#pragma once

#include "shared/limits.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <functional>
#include <optional>

class QNetworkAccessManager;

namespace qpush::callbacks {

struct HandshakeRequest
{
    QString url;                          // connect_callback
    QList<QPair<QString, QString>> query; // the client's handshake query
    QByteArray cookie;                    // the client's Cookie header
    QString authorization;                // callback_auth, verbatim
    QString nsp;
};

struct HandshakeResult
{
    bool accepted = false;
    QString reason;                // why not, for the client
    std::optional<QString> userid; // from the JSON body
    QStringList rooms;
};

struct DisconnectNotice
{
    QString url; // disconnect_callback
    QJsonObject query;
    QString clientId;
    QString reason;
    QByteArray cookie;
    QString authorization;
    QString nsp;
};

class Webhooks : public QObject
{
    Q_OBJECT
public:
    explicit Webhooks(int timeoutMs, QObject *parent = nullptr);
    ~Webhooks() override;

    void handshake(const HandshakeRequest &request, std::function<void(HandshakeResult)> done);
    void disconnected(const DisconnectNotice &notice);

private:
    QNetworkAccessManager *m_nam;
    int m_timeoutMs;
    LogGate m_logGate; // failures: one line per kind and minute
};

} // namespace qpush::callbacks
