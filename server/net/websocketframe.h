// Pure WebSocket (RFC 6455) codec, server side: handshake accept key, frame
// encoding (unmasked, server to client) and an incremental reader of client
// frames (masked) that reassembles fragmented messages. No sockets.
#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace qpush::ws {

enum class Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

namespace CloseCode {
constexpr quint16 Normal = 1000;
constexpr quint16 GoingAway = 1001;
constexpr quint16 ProtocolError = 1002;
constexpr quint16 UnsupportedData = 1003;
constexpr quint16 InvalidPayload = 1007; // e.g. bad UTF-8 in a text message
constexpr quint16 PolicyViolation = 1008;
constexpr quint16 TooBig = 1009;
constexpr quint16 InternalError = 1011;
} // namespace CloseCode

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
QByteArray acceptKey(QByteArrayView secWebSocketKey);

// One complete, unmasked, FIN frame.
QByteArray encodeFrame(Opcode opcode, QByteArrayView payload);
// A close frame with code and (optional) reason.
QByteArray encodeClose(quint16 code, QByteArrayView reason = {});

struct Event
{
    enum class Kind { NeedMore, Text, Binary, Ping, Pong, Close, Error };
    Kind kind = Kind::NeedMore;
    QByteArray payload; // message (reassembled), ping/pong payload, close reason
    quint16 closeCode =
        0; // for Close: the peer's code (1005 if none); for Error: the code to close with
};

// Reads client frames from the connection buffer. Enforces masking,
// control-frame rules, fragmentation order, text UTF-8 validity and a
// maximum message size.
class FrameReader
{
public:
    explicit FrameReader(qsizetype maxMessageBytes = 1024 * 1024 + 64)
        : m_maxMessage(maxMessageBytes)
    {
    }
    // Consumes bytes from the front of `buffer` and returns the next event;
    // NeedMore when `buffer` holds no complete frame. Call repeatedly until
    // NeedMore. After Error, stop reading and close with event.closeCode.
    Event next(QByteArray &buffer);
    void setMaxMessageBytes(qsizetype max) { m_maxMessage = max; }

private:
    Event fail(quint16 code, QByteArray reason);

    qsizetype m_maxMessage;
    quint16 m_errorCode = 0; // once set, every next() repeats the error
    QByteArray m_fragments;
    Opcode m_fragmentOpcode = Opcode::Continuation;
    bool m_inFragmentedMessage = false;
};

} // namespace qpush::ws
