// Pure Engine.IO packet and payload codec for protocol v3 (EIO=3) and v4
// (EIO=4). No sockets, no timers: the transports feed bytes in and write the
// encoded bytes out. Data-driven tests and fuzzers use these functions.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <optional>

namespace qpush::eio {

enum class Version : int { V3 = 3, V4 = 4 };

enum class PacketType : char {
    Open = '0',
    Close = '1',
    Ping = '2',
    Pong = '3',
    Message = '4',
    Upgrade = '5',
    Noop = '6',
};

struct Packet
{
    PacketType type = PacketType::Message;
    QByteArray data;     // text (UTF-8) or raw bytes when binary
    bool binary = false; // only Message packets may be binary

    static Packet text(PacketType t, QByteArray d = {}) { return {t, std::move(d), false}; }
    static Packet bytes(QByteArray d) { return {PacketType::Message, std::move(d), true}; }
    friend bool operator==(const Packet &, const Packet &) = default;
};

// ---- WebSocket: one packet per frame --------------------------------------

struct Frame
{
    QByteArray bytes;
    bool binary = false; // send as a binary WebSocket frame
};

// v4: text packet -> "<type><data>" text frame; binary message -> raw bytes
//     in a binary frame.
// v3: text packet -> "<type><data>" text frame; binary message -> binary frame
//     of the type byte 0x04 followed by the data.
Frame encodeFrame(Version v, const Packet &p);
// Same, for a client that asked for base64 (b64=1): a binary message then
// goes out as a text frame "b4<base64>" (v3) or "b<base64>" (v4), as the
// reference servers do when transport.supportsBinary is false.
Frame encodeFrame(Version v, const Packet &p, bool supportsBinary);

// Decodes one WebSocket message. Returns nullopt for malformed input
// (empty text, unknown type, binary frame in v3 without a valid type byte).
std::optional<Packet> decodeFrame(Version v, QByteArrayView data, bool binaryFrame);

// ---- Polling: several packets per HTTP body --------------------------------

// v4 payload: packets joined by the record separator 0x1e; binary messages
// as 'b' + base64. Always a text body.
QByteArray encodePayloadV4(const QList<Packet> &packets);
std::optional<QList<Packet>> decodePayloadV4(QByteArrayView body);

struct Body
{
    QByteArray bytes;
    QByteArray contentType; // "text/plain; charset=UTF-8" or "application/octet-stream"
};

// v3 payload. When `supportsBinary` (no b64=1 query) and any packet is
// binary, the binary payload format (<0|1><digits>0xff<packet>...) is used;
// otherwise the string format "<length>:<packet>" where the length counts
// UTF-16 code units (JavaScript string length) and binary packets are
// "b<type><base64>".
Body encodePayloadV3(const QList<Packet> &packets, bool supportsBinary);
// Decodes a v3 POST body; `binaryBody` when Content-Type was
// application/octet-stream.
std::optional<QList<Packet>> decodePayloadV3(QByteArrayView body, bool binaryBody);

// v3 JSONP polling (query j=N): the string payload wrapped as
// ___eio[N]("<JSON-escaped payload>");
QByteArray wrapJsonp(QByteArrayView jsonpIndex, QByteArrayView stringPayload);
// JSONP POST bodies are form-encoded "d=<payload>" with "\\n" for newlines.
std::optional<QByteArray> unwrapJsonpPost(QByteArrayView formBody);

// Number of UTF-16 code units of a UTF-8 string (JavaScript String.length).
qsizetype utf16Length(QByteArrayView utf8);

} // namespace qpush::eio
