// Socket.IO packets with binary attachments as one connection receives them
// (sio::Decoder), built once per protocol: QPUSH_FUZZ_SIO_PROTOCOL=4
// (socket.io 2.x clients) or 5 (socket.io 3+/4). Input: the Engine.IO
// messages of a connection separated by NUL bytes; a message that starts
// with 0x01 is a binary message (the rest of it), any other a text message.
// Every decoded packet must survive a round trip: encode() and a fresh
// decoder give the same packet back.
#include "fuzzcheck.h"

#include "socketio/packet.h"

#include <QJsonArray>
#include <QJsonObject>

using namespace qpush;

namespace {

constexpr sio::Protocol kProtocol = sio::Protocol(QPUSH_FUZZ_SIO_PROTOCOL);
constexpr int kMaxMessages = 256;

// encode() writes no payload for null (as for undefined): compare so.
sio::Packet normalized(sio::Packet p)
{
    if (p.data.isNull())
        p.data = QJsonValue(QJsonValue::Undefined);
    return p;
}

void roundTrip(const sio::Packet &packet)
{
    FUZZ_CHECK(packet.type != sio::PacketType::BinaryEvent &&
               packet.type != sio::PacketType::BinaryAck);
    FUZZ_CHECK(packet.nsp.startsWith(QLatin1Char('/')));
    const sio::Encoded encoded = sio::encode(kProtocol, packet);
    FUZZ_CHECK(encoded.attachments.size() == packet.attachments.size());
    sio::Decoder decoder(kProtocol);
    sio::Decoder::Status status = decoder.feedText(encoded.text);
    for (const QByteArray &attachment : encoded.attachments) {
        FUZZ_CHECK(status == sio::Decoder::Status::NeedMore);
        status = decoder.feedBinary(attachment);
    }
    FUZZ_CHECK(status == sio::Decoder::Status::Packet);
    FUZZ_CHECK(normalized(decoder.takePacket()) == normalized(packet));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QList<QByteArrayView> messages = fuzz::split(fuzz::bytes(data, size), '\0');
    sio::Decoder decoder(kProtocol);
    int fed = 0;
    for (const QByteArrayView message : messages) {
        if (++fed > kMaxMessages)
            break;
        const bool binary = !message.isEmpty() && message.front() == '\x01';
        const sio::Decoder::Status status =
            binary ? decoder.feedBinary(message.sliced(1).toByteArray())
                   : decoder.feedText(message);
        if (status == sio::Decoder::Status::Packet)
            roundTrip(decoder.takePacket());
        else if (status == sio::Decoder::Status::Error)
            FUZZ_CHECK(!decoder.errorMessage().isEmpty() && !decoder.awaitingAttachments());
        else
            FUZZ_CHECK(decoder.awaitingAttachments());
        // decodeText alone (what the tests use) agrees with the decoder on text.
        if (!binary) {
            int count = -1;
            const auto single = sio::decodeText(kProtocol, message, &count);
            FUZZ_CHECK(count >= 0);
            FUZZ_CHECK(!single || single->attachments.isEmpty());
        }
    }
    return 0;
}
