// A Socket.IO socket (one client in one namespace) and the Client that
// multiplexes a connection's sockets over one Engine.IO session.
#pragma once

#include "packet.h"

#include "engineio/session.h"
#include "net/deadlinequeue.h"

#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <any>
#include <functional>
#include <memory>
#include <vector>

namespace qpush::sio {

class Client;
class Namespace;
class Server;
class Socket;

struct ConnectError
{
    QString message;
    QJsonValue data;         // v5: optional extra data; v4: replaces the message
    bool structured = false; // v4: send {message} rather than the bare string

    // The refusal of a namespace that does not exist: {"message":"Invalid
    // namespace"} in both generations, as socket.io answers it.
    static ConnectError invalidNamespace()
    {
        return {QStringLiteral("Invalid namespace"), QJsonValue(), true};
    }
};

// Event arguments as on the wire: JSON with binary placeholders, and the
// attachments they point to.
struct Payload
{
    QJsonArray args;
    QList<QByteArray> attachments;
};

// What the connection's handshake carried.
struct Handshake
{
    Protocol protocol = Protocol::V5;
    // The Engine.IO URL query as received (shared with the session's
    // handshake, decoded on demand: a decoded copy would cost every
    // connection half a kilobyte).
    QByteArray rawQuery;
    // Items after the URL's (v4: a namespace CONNECT query, for admission).
    QList<QPair<QString, QString>> extraQuery;
    http::Headers headers;
    QHostAddress address;
    qint64 time = 0; // ms since epoch

    // The decoded query items: the URL's, then extraQuery.
    QList<QPair<QString, QString>> query() const;
    // The first value of `key` (null if absent).
    QString queryValue(const QString &key) const;
    QByteArray header(QByteArrayView name) const;
};

// The acknowledgement callback of a received event. Calling it sends the
// ACK once; it is a no-op when the client asked for none.
class Ack
{
public:
    Ack() = default;
    Ack(Socket *socket, std::optional<qint64> id);
    bool isRequested() const { return m_id.has_value(); }
    void operator()(const QJsonArray &args = {}, const QList<QByteArray> &attachments = {});

private:
    QPointer<Socket> m_socket;
    std::optional<qint64> m_id;
};

using AckCallback = std::function<void(bool timedOut, Payload &reply)>;

class Socket : public QObject
{
    Q_OBJECT
public:
    Socket(Client *client, Namespace *nsp, QByteArray id, QJsonObject auth,
           QList<QPair<QString, QString>> nspQuery);
    ~Socket() override;

    const QByteArray &id() const { return m_id; }
    Namespace *nsp() const { return m_nsp; }
    Client *client() const { return m_client; }
    Protocol protocol() const;
    bool isConnected() const { return m_connected; }
    const Handshake &handshake() const;
    // v5: the CONNECT payload; v4: {}.
    const QJsonObject &auth() const { return m_auth; }
    // A query value: the namespace CONNECT query (v4) first, then the URL's.
    QString queryValue(const QString &key) const;
    // The combined query as a JSON object of strings.
    QJsonObject queryObject() const;
    // v4: the query of the namespace CONNECT packet ("/nsp?a=1"), as an object.
    QJsonObject connectQuery() const;

    void emit(const QString &event, const QJsonArray &args = {},
              const QList<QByteArray> &attachments = {});
    void emitWithAck(const QString &event, const QJsonArray &args, AckCallback callback,
                     int timeoutMs = 5000, const QList<QByteArray> &attachments = {});

    void join(const QString &room);
    void leave(const QString &room);
    const QStringList &rooms() const { return m_rooms; }

    // Leaves the namespace (DISCONNECT packet); with closeConnection the
    // whole Engine.IO session is closed.
    void disconnect(bool closeConnection = false);

    // Free slot for the layer above (per-socket domain state).
    std::any &data() { return m_data; }

private:
    friend class Client;
    friend class Namespace;
    friend class Ack;
    void onPacket(Packet &packet);
    void onConnected();
    void onClosed(const QString &reason);
    void sendAck(qint64 id, const QJsonArray &args, const QList<QByteArray> &attachments);

    Client *m_client;
    Namespace *m_nsp;
    QByteArray m_id;
    QJsonObject m_auth;
    QList<QPair<QString, QString>> m_nspQuery;
    // A few per socket: a list is smaller than a hash. Past
    // kRoomIndexThreshold rooms an index (room -> position) keeps join and
    // leave O(1), so joining or leaving n rooms is O(n) overall; leave then
    // moves the last room into the gap (the order of rooms() changes).
    QStringList m_rooms;
    std::unique_ptr<QHash<QString, qsizetype>> m_roomIndex;
    static constexpr qsizetype kRoomIndexThreshold = 16;
    bool m_connected = false;
    bool m_closed = false;
    qint64 m_nextAckId = 0;
    struct PendingAck
    {
        AckCallback callback;
        net::DeadlineQueue::Id timer = 0;
    };
    QHash<qint64, PendingAck> m_acks;
    std::any m_data;
};

class Client : public QObject, public eio::SessionHandler
{
    Q_OBJECT
public:
    Client(Server *server, eio::Session *session);
    ~Client() override;

    eio::Session *session() const { return m_session; }
    Protocol protocol() const { return m_protocol; }
    const Handshake &handshake() const { return m_handshake; }
    Server *server() const { return m_server; }

    void send(const Packet &packet);
    // Sends a packet encoded once for many clients.
    void sendPrepared(const QList<eio::PreparedMessage> &messages);
    void close();

private:
    friend class Socket;
    void onMessage(eio::Session *session, const QByteArray &data, bool binary) override;
    void onClose(eio::Session *session, const QString &reason) override;
    void onPacket(Packet &packet);
    void connectNamespace(const QString &name, const QJsonObject &auth,
                          const QList<QPair<QString, QString>> &nspQuery);
    void refuse(const QString &name, const ConnectError &error);
    void removeSocket(Socket *socket);
    QByteArray socketId(const QString &nsp) const;

    Server *m_server;
    eio::Session *m_session;
    Protocol m_protocol;
    std::unique_ptr<Decoder> m_decoder; // while a packet is being decoded (attachments)
    Handshake m_handshake;
    // Small per-connection maps as vectors: a QHash allocates a ~1 KB span
    // for its first entry and keeps it.
    std::vector<std::pair<QString, Socket *>> m_sockets;              // by namespace
    std::vector<std::pair<QString, QList<Packet>>> m_pendingConnects; // held while admission runs
    qint64 m_earlyBytes = 0;  // of the packets held in m_pendingConnects
    qint64 m_packetBytes = 0; // of the packet being decoded (text and attachments)
    Socket *socketFor(const QString &nsp) const;
    QList<Packet> *pendingFor(const QString &nsp);
    net::DeadlineQueue::Id m_connectTimer = 0;
    bool m_pending = false; // counted in Server::pendingClients()
    bool m_closing = false;
};

} // namespace qpush::sio
