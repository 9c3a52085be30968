// Engine.IO packets as they arrive in WebSocket messages (eio::decodeFrame),
// protocol v3 and v4. Input: one selector byte, then the message. The
// selector's low bits choose the protocol (bit 0: v4) and the frame kind
// (bit 1: binary frame). A decoded packet must survive a round trip through
// encodeFrame, for a client with binary support and for a base64 (b64=1)
// client alike.
#include "fuzzcheck.h"

#include "engineio/packet.h"

using namespace qpush;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const eio::Version version = (data[0] & 1) ? eio::Version::V4 : eio::Version::V3;
    const bool binaryFrame = data[0] & 2;
    const QByteArrayView message = fuzz::bytes(data + 1, size - 1);

    (void)eio::utf16Length(message);
    const std::optional<eio::Packet> packet = eio::decodeFrame(version, message, binaryFrame);
    if (!packet)
        return 0;
    FUZZ_CHECK(!packet->binary || packet->type == eio::PacketType::Message);
    for (const bool supportsBinary : {true, false}) {
        const eio::Frame frame = eio::encodeFrame(version, *packet, supportsBinary);
        FUZZ_CHECK(!frame.binary || supportsBinary);
        const std::optional<eio::Packet> again =
            eio::decodeFrame(version, frame.bytes, frame.binary);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(*again == *packet);
    }
    return 0;
}
