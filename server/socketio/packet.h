// Pure Socket.IO packet codec for the protocol of socket.io 2.x (v4, over
// Engine.IO v3) and of socket.io 3+/4 (v5, over Engine.IO v4). No sockets.
//
// Binary data stays outside the JSON: a packet's `data` holds placeholders
// {"_placeholder":true,"num":N} and `attachments[N]` holds the bytes, exactly
// as on the wire. Handlers that do not care about binary pass both along.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <optional>

namespace qpush::sio {

enum class Protocol : int {
    V4 = 4, // socket.io 2.x clients, Engine.IO v3
    V5 = 5, // socket.io 3.x/4.x clients, Engine.IO v4
};

enum class PacketType : int {
    Connect = 0,
    Disconnect = 1,
    Event = 2,
    Ack = 3,
    ConnectError = 4, // v5 CONNECT_ERROR; v4 ERROR
    BinaryEvent = 5,
    BinaryAck = 6,
};

struct Packet
{
    PacketType type = PacketType::Event;
    QString nsp = QStringLiteral("/");
    QByteArray query;         // v4 CONNECT only: "a=1&b=2" after "/nsp?" (not decoded)
    std::optional<qint64> id; // ack id
    QJsonValue data = QJsonValue(QJsonValue::Undefined); // undefined when absent
    QList<QByteArray> attachments;

    friend bool operator==(const Packet &, const Packet &) = default;
};

// Encodes a packet: the text part and the binary attachments (each its own
// Engine.IO binary message). A packet of type Event/Ack with attachments is
// sent as BinaryEvent/BinaryAck with the attachment count. JSON is compact.
struct Encoded
{
    QByteArray text;
    QList<QByteArray> attachments;
};
Encoded encode(Protocol protocol, const Packet &packet);

// Streaming decoder for one connection: feed it every Engine.IO message in
// order; it returns complete packets (binary packets once all attachments
// have arrived). A complete binary packet comes out as type Event/Ack with
// `attachments` filled (as socket.io-parser 4 does), so encode() round-trips
// it. On Error any pending binary packet is dropped; the connection should be
// closed (the JS server does), though the decoder accepts further input.
class Decoder
{
public:
    enum class Status { NeedMore, Packet, Error };
    // maxAttachmentBytes: total bytes of the attachments of one packet
    // (they are held until the last one arrives).
    explicit Decoder(Protocol protocol, int maxAttachments = 64,
                     qint64 maxAttachmentBytes = 4 << 20)
        : m_protocol(protocol), m_maxAttachments(maxAttachments),
          m_maxAttachmentBytes(maxAttachmentBytes)
    {
    }

    Status feedText(QByteArrayView text);
    Status feedBinary(const QByteArray &bytes);
    Packet takePacket();
    QByteArray errorMessage() const { return m_error; }
    bool awaitingAttachments() const { return m_pending.has_value(); }

private:
    Protocol m_protocol;
    int m_maxAttachments;
    qint64 m_maxAttachmentBytes;
    qint64 m_attachmentBytes = 0;
    std::optional<Packet> m_pending; // binary packet waiting for attachments
    int m_expectedAttachments = 0;
    std::optional<Packet> m_ready;
    QByteArray m_error;
};

// Decodes one text packet (no attachments collected). Exposed for tests.
// On success for a binary type, *attachmentCount receives the announced count
// and the type stays BinaryEvent/BinaryAck; no maxAttachments limit applies.
std::optional<Packet> decodeText(Protocol protocol, QByteArrayView text,
                                 int *attachmentCount = nullptr, QByteArray *error = nullptr);

// True when `v` is (or contains) a placeholder object.
bool hasPlaceholders(const QJsonValue &v);

} // namespace qpush::sio
