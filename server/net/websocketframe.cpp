#include "net/websocketframe.h"

#include <QCryptographicHash>

#include <cstring>

namespace qpush::ws {

namespace {

constexpr QByteArrayView kHandshakeGuid("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
// A control frame carries at most 125 bytes; a close payload starts with a
// two-byte code.
constexpr qsizetype kMaxControlPayload = 125;
constexpr qsizetype kMaxCloseReason = kMaxControlPayload - 2;

bool isValidCloseCode(quint16 code)
{
    // RFC 6455 7.4: 1004-1006 and 1015 are reserved and never sent; 1012-1014
    // are registered with IANA; 3000-4999 belong to libraries and apps.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

// XORs the payload with the 4-byte masking key, eight bytes at a time.
void unmask(char *data, qsizetype size, const uchar *key)
{
    quint32 key32;
    std::memcpy(&key32, key, 4);
    const quint64 key64 = (quint64(key32) << 32) | key32;
    qsizetype i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 word;
        std::memcpy(&word, data + i, 8);
        word ^= key64;
        std::memcpy(data + i, &word, 8);
    }
    for (; i < size; ++i)
        data[i] = char(uchar(data[i]) ^ key[i & 3]);
}

} // namespace

QByteArray acceptKey(QByteArrayView secWebSocketKey)
{
    QCryptographicHash sha1(QCryptographicHash::Sha1);
    sha1.addData(secWebSocketKey);
    sha1.addData(kHandshakeGuid);
    return sha1.result().toBase64();
}

QByteArray encodeFrame(Opcode opcode, QByteArrayView payload)
{
    const qsizetype size = payload.size();
    const qsizetype headerSize = size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
    QByteArray frame(headerSize + size, Qt::Uninitialized);
    auto *out = reinterpret_cast<uchar *>(frame.data());
    out[0] = uchar(0x80 | quint8(opcode));
    if (size < 126) {
        out[1] = uchar(size);
    } else if (size <= 0xFFFF) {
        out[1] = 126;
        out[2] = uchar(size >> 8);
        out[3] = uchar(size);
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; ++i)
            out[2 + i] = uchar(quint64(size) >> (56 - 8 * i));
    }
    if (size > 0)
        std::memcpy(out + headerSize, payload.data(), size_t(size));
    return frame;
}

QByteArray encodeClose(quint16 code, QByteArrayView reason)
{
    if (code == 1005) // "no status": sent as an empty close frame
        return encodeFrame(Opcode::Close, {});
    if (reason.size() > kMaxCloseReason) {
        // Cut on a UTF-8 character boundary so the peer gets valid text.
        qsizetype cut = kMaxCloseReason;
        while (cut > 0 && (uchar(reason[cut]) & 0xC0) == 0x80)
            --cut;
        reason = reason.first(cut);
    }
    QByteArray payload(2 + reason.size(), Qt::Uninitialized);
    payload[0] = char(code >> 8);
    payload[1] = char(code & 0xFF);
    if (!reason.isEmpty())
        std::memcpy(payload.data() + 2, reason.data(), size_t(reason.size()));
    return encodeFrame(Opcode::Close, payload);
}

Event FrameReader::fail(quint16 code, QByteArray reason)
{
    m_errorCode = code;
    m_fragments.clear();
    m_inFragmentedMessage = false;
    Event event;
    event.kind = Event::Kind::Error;
    event.closeCode = code;
    event.payload = std::move(reason);
    return event;
}

Event FrameReader::next(QByteArray &buffer)
{
    if (m_errorCode != 0) {
        Event event;
        event.kind = Event::Kind::Error;
        event.closeCode = m_errorCode;
        return event;
    }
    // Every check is made as soon as the bytes it needs are there, so the
    // outcome does not depend on how the input was split into reads.
    for (;;) {
        const qsizetype available = buffer.size();
        if (available < 1)
            return {};
        const auto *d = reinterpret_cast<const uchar *>(buffer.constData());
        const bool fin = d[0] & 0x80;
        if (d[0] & 0x70)
            return fail(CloseCode::ProtocolError, QByteArrayLiteral("RSV bits set"));
        quint8 op = d[0] & 0x0F;
        switch (Opcode(op)) {
        case Opcode::Continuation:
        case Opcode::Text:
        case Opcode::Binary:
        case Opcode::Close:
        case Opcode::Ping:
        case Opcode::Pong:
            break;
        default:
            return fail(CloseCode::ProtocolError, QByteArrayLiteral("Unknown opcode"));
        }
        const bool control = op & 0x8;
        if (control && !fin)
            return fail(CloseCode::ProtocolError, QByteArrayLiteral("Fragmented control frame"));
        if (Opcode(op) == Opcode::Continuation && !m_inFragmentedMessage)
            return fail(CloseCode::ProtocolError,
                        QByteArrayLiteral("Continuation without a message"));
        if (!control && Opcode(op) != Opcode::Continuation && m_inFragmentedMessage)
            return fail(CloseCode::ProtocolError,
                        QByteArrayLiteral("New message inside a fragmented one"));

        if (available < 2)
            return {};
        if (!(d[1] & 0x80))
            return fail(CloseCode::ProtocolError, QByteArrayLiteral("Unmasked client frame"));
        quint64 length = d[1] & 0x7F;
        if (control && length > quint64(kMaxControlPayload))
            return fail(CloseCode::ProtocolError, QByteArrayLiteral("Control frame too long"));
        qsizetype headerSize = 2;
        if (length == 126) {
            if (available < 4)
                return {};
            length = (quint64(d[2]) << 8) | d[3];
            headerSize = 4;
        } else if (length == 127) {
            if (available < 10)
                return {};
            length = 0;
            for (int i = 0; i < 8; ++i)
                length = (length << 8) | d[2 + i];
            if (length >> 63)
                return fail(CloseCode::ProtocolError, QByteArrayLiteral("Invalid frame length"));
            headerSize = 10;
        }
        // The limit is checked before a payload byte is buffered.
        const qsizetype alreadyBuffered = control ? 0 : m_fragments.size();
        if (length > quint64(m_maxMessage - alreadyBuffered))
            return fail(CloseCode::TooBig, QByteArrayLiteral("Message too big"));
        headerSize += 4; // masking key
        const qsizetype payloadSize = qsizetype(length);
        if (available - headerSize < payloadSize)
            return {};

        uchar key[4];
        std::memcpy(key, d + headerSize - 4, 4);
        QByteArray payload;
        if (available == headerSize + payloadSize) {
            // The buffer holds exactly this frame (the usual case): take it
            // over instead of copying the payload out.
            buffer.remove(0, headerSize);
            payload.swap(buffer);
            buffer = QByteArray();
        } else {
            payload = QByteArray(buffer.constData() + headerSize, payloadSize);
            buffer.remove(0, headerSize + payloadSize);
        }
        if (payloadSize > 0)
            unmask(payload.data(), payloadSize, key);

        Event event;
        switch (Opcode(op)) {
        case Opcode::Ping:
            event.kind = Event::Kind::Ping;
            event.payload = std::move(payload);
            return event;
        case Opcode::Pong:
            event.kind = Event::Kind::Pong;
            event.payload = std::move(payload);
            return event;
        case Opcode::Close: {
            event.kind = Event::Kind::Close;
            if (payload.isEmpty()) {
                event.closeCode = 1005;
                return event;
            }
            if (payload.size() == 1)
                return fail(CloseCode::ProtocolError,
                            QByteArrayLiteral("Close payload of one byte"));
            event.closeCode = quint16((uchar(payload[0]) << 8) | uchar(payload[1]));
            if (!isValidCloseCode(event.closeCode))
                return fail(CloseCode::ProtocolError, QByteArrayLiteral("Invalid close code"));
            event.payload = payload.sliced(2);
            if (!QByteArrayView(event.payload).isValidUtf8())
                return fail(CloseCode::InvalidPayload,
                            QByteArrayLiteral("Invalid UTF-8 in close reason"));
            return event;
        }
        case Opcode::Text:
        case Opcode::Binary:
            if (!fin) {
                m_inFragmentedMessage = true;
                m_fragmentOpcode = Opcode(op);
                m_fragments = std::move(payload);
                continue;
            }
            break;
        case Opcode::Continuation:
            m_fragments.append(payload);
            if (!fin)
                continue;
            payload = std::move(m_fragments);
            m_fragments = QByteArray();
            m_inFragmentedMessage = false;
            op = quint8(m_fragmentOpcode);
            break;
        }
        if (Opcode(op) == Opcode::Text) {
            if (!QByteArrayView(payload).isValidUtf8())
                return fail(CloseCode::InvalidPayload,
                            QByteArrayLiteral("Invalid UTF-8 in text message"));
            event.kind = Event::Kind::Text;
        } else {
            event.kind = Event::Kind::Binary;
        }
        event.payload = std::move(payload);
        return event;
    }
}

} // namespace qpush::ws
