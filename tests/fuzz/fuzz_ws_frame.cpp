// WebSocket frames from a client (qpush::ws::FrameReader), as read after the
// upgrade on the client port. Input: the raw bytes after the handshake
// (masked frames, possibly fragmented, control frames in between). Each
// input is read with a 1 MiB and a 64-byte message limit, in one read and in
// reads of a few bytes; both must give the same events (the reader promises
// that the split does not matter). Messages are checked against what the
// reader guarantees: text is valid UTF-8, control payloads fit in a frame,
// nothing exceeds the limit.
#include "fuzzcheck.h"

#include "net/websocketframe.h"

using namespace qpush;

namespace {

constexpr int kMaxEvents = 256;

QList<ws::Event> read(QByteArrayView input, qsizetype step, qsizetype maxMessage)
{
    QList<ws::Event> events;
    ws::FrameReader reader(maxMessage);
    QByteArray buffer;
    qsizetype fed = 0;
    while (events.size() < kMaxEvents) {
        ws::Event e = reader.next(buffer);
        if (e.kind == ws::Event::Kind::NeedMore) {
            if (fed == input.size())
                break;
            const qsizetype n = qMin(step, input.size() - fed);
            buffer.append(input.sliced(fed, n));
            fed += n;
            continue;
        }
        const bool error = e.kind == ws::Event::Kind::Error;
        events.append(std::move(e));
        if (error)
            break; // the connection closes
    }
    return events;
}

void run(QByteArrayView input, qsizetype maxMessage)
{
    const QList<ws::Event> whole = read(input, qMax<qsizetype>(input.size(), 1), maxMessage);
    const QList<ws::Event> pieces = read(input, fuzz::stepFor(input), maxMessage);
    FUZZ_CHECK(whole.size() == pieces.size());
    for (qsizetype i = 0; i < whole.size(); ++i) {
        const ws::Event &e = whole[i];
        FUZZ_CHECK(e.kind == pieces[i].kind);
        FUZZ_CHECK(e.payload == pieces[i].payload);
        FUZZ_CHECK(e.closeCode == pieces[i].closeCode);
        switch (e.kind) {
        case ws::Event::Kind::Text:
            FUZZ_CHECK(QByteArrayView(e.payload).isValidUtf8());
            FUZZ_CHECK(e.payload.size() <= maxMessage);
            break;
        case ws::Event::Kind::Binary:
            FUZZ_CHECK(e.payload.size() <= maxMessage);
            break;
        case ws::Event::Kind::Ping:
        case ws::Event::Kind::Pong:
            FUZZ_CHECK(e.payload.size() <= 125);
            // The answer to a ping is a valid frame of the same payload.
            FUZZ_CHECK(ws::encodeFrame(ws::Opcode::Pong, e.payload).size() == e.payload.size() + 2);
            break;
        case ws::Event::Kind::Close:
            FUZZ_CHECK(e.payload.size() <= 123);
            (void)ws::encodeClose(e.closeCode, e.payload);
            break;
        case ws::Event::Kind::Error:
            (void)ws::encodeClose(e.closeCode, e.payload);
            break;
        case ws::Event::Kind::NeedMore:
            FUZZ_CHECK(false);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input = fuzz::bytes(data, size);
    run(input, 1024 * 1024 + 64);
    run(input, 64);
    return 0;
}
