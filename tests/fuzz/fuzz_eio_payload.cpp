// Engine.IO polling bodies (HTTP POST on the client port): the v4 payload
// (records separated by 0x1e), the v3 string payload ("<len>:<packet>"), the
// v3 binary payload (application/octet-stream) and the v3 JSONP form body
// ("d=<payload>"). Input: one selector byte (low two bits: 0 v4, 1 v3
// string, 2 v3 binary, 3 v3 JSONP form), then the body. Decoded packets
// must survive a round trip through the matching encoder (both v3 formats),
// and a JSONP answer must be a JavaScript string literal of the payload.
#include "fuzzcheck.h"

#include "engineio/packet.h"

#include <QJsonArray>
#include <QJsonDocument>

using namespace qpush;

namespace {

void roundTripV3(const QList<eio::Packet> &packets)
{
    for (const bool supportsBinary : {true, false}) {
        const eio::Body body = eio::encodePayloadV3(packets, supportsBinary);
        const bool binaryBody = body.contentType == "application/octet-stream";
        const auto again = eio::decodePayloadV3(body.bytes, binaryBody);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(*again == packets);
        if (binaryBody)
            continue;
        // The JSONP answer: ___eio[N]("<payload as a JSON string>");
        const QByteArray jsonp = eio::wrapJsonp("7", body.bytes);
        FUZZ_CHECK(jsonp.startsWith("___eio[7](\"") && jsonp.endsWith("\");"));
        const QByteArray literal = jsonp.sliced(10, jsonp.size() - 12);
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson('[' + literal + ']', &error);
        FUZZ_CHECK(error.error == QJsonParseError::NoError);
        FUZZ_CHECK(doc.array().size() == 1);
        FUZZ_CHECK(doc.array().first().toString() == QString::fromUtf8(body.bytes));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const QByteArrayView body = fuzz::bytes(data + 1, size - 1);
    switch (data[0] & 3) {
    case 0: {
        const auto packets = eio::decodePayloadV4(body);
        if (!packets)
            return 0;
        FUZZ_CHECK(!packets->isEmpty());
        const auto again = eio::decodePayloadV4(eio::encodePayloadV4(*packets));
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(*again == *packets);
        return 0;
    }
    case 1:
    case 2: {
        const auto packets = eio::decodePayloadV3(body, (data[0] & 3) == 2);
        if (packets)
            roundTripV3(*packets);
        return 0;
    }
    default: {
        const auto payload = eio::unwrapJsonpPost(body);
        if (!payload)
            return 0;
        FUZZ_CHECK(QByteArrayView(*payload).isValidUtf8());
        const auto packets = eio::decodePayloadV3(*payload, false);
        if (packets)
            roundTripV3(*packets);
        return 0;
    }
    }
}
