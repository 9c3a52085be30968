// Data-driven tests of the WebSocket codec: handshake key, server frame
// encoding, and the client frame reader (masking, fragmentation, control
// frames, UTF-8, size limit, every protocol error, incremental feeding).
#include "net/websocketframe.h"

#include <QTest>

using namespace qpush::ws;

namespace {

constexpr quint8 FIN = 0x80;
constexpr quint8 RSV1 = 0x40;
constexpr quint8 RSV2 = 0x20;
constexpr quint8 RSV3 = 0x10;
constexpr quint8 OpCont = 0x0;
constexpr quint8 OpText = 0x1;
constexpr quint8 OpBinary = 0x2;
constexpr quint8 OpClose = 0x8;
constexpr quint8 OpPing = 0x9;
constexpr quint8 OpPong = 0xA;

enum LengthForm { Minimal, Force16, Force64 };

// A client frame: first byte b0, masked with `key` unless masked is false.
// `declaredLength` other than -1 writes that length but appends `payload` as is
// (for frames whose header lies about, or announces, a payload).
QByteArray clientFrame(quint8 b0, QByteArrayView payload, bool masked = true,
                       LengthForm form = Minimal, qint64 declaredLength = -1,
                       QByteArrayView key = QByteArrayView("\x37\xfa\x21\x3d", 4))
{
    const quint64 length = declaredLength != -1 ? quint64(declaredLength) : quint64(payload.size());
    QByteArray frame;
    frame.append(char(b0));
    const char maskBit = masked ? char(0x80) : char(0);
    if (form == Minimal && length < 126) {
        frame.append(char(maskBit | char(length)));
    } else if (form != Force64 && length <= 0xFFFF) {
        frame.append(char(maskBit | 126));
        frame.append(char(length >> 8));
        frame.append(char(length & 0xFF));
    } else {
        frame.append(char(maskBit | 127));
        for (int i = 7; i >= 0; --i)
            frame.append(char((length >> (8 * i)) & 0xFF));
    }
    if (masked)
        frame.append(key);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(masked ? char(payload[i] ^ key[i % 4]) : payload[i]);
    return frame;
}

QByteArray pattern(qsizetype size)
{
    QByteArray out(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        out[i] = char((i * 7 + 3) % 251);
    return out;
}

QByteArray closePayload(quint16 code, QByteArrayView reason = {})
{
    QByteArray p;
    p.append(char(code >> 8));
    p.append(char(code & 0xFF));
    p.append(reason);
    return p;
}

// One line per event, so expectations read as a list.
QByteArray describe(const Event &e)
{
    auto summary = [](const QByteArray &payload) -> QByteArray {
        if (payload.size() > 40) {
            return "size=" + QByteArray::number(payload.size()) +
                   ",sum=" + QByteArray::number(qChecksum(payload));
        }
        return payload;
    };
    switch (e.kind) {
    case Event::Kind::NeedMore:
        return "needmore";
    case Event::Kind::Text:
        return "text:" + summary(e.payload);
    case Event::Kind::Binary:
        return "binary:" + summary(e.payload);
    case Event::Kind::Ping:
        return "ping:" + summary(e.payload);
    case Event::Kind::Pong:
        return "pong:" + summary(e.payload);
    case Event::Kind::Close:
        return "close:" + QByteArray::number(e.closeCode) + ':' + summary(e.payload);
    case Event::Kind::Error:
        return "error:" + QByteArray::number(e.closeCode);
    }
    return "?";
}

// Feeds `input` `step` bytes at a time (0: all at once), collecting events
// until the reader reports an error.
QByteArrayList readAll(QByteArrayView input, qsizetype step, qsizetype maxMessage,
                       QByteArray *rest = nullptr)
{
    FrameReader reader(maxMessage);
    QByteArrayList events;
    QByteArray buffer;
    if (step <= 0)
        step = qMax<qsizetype>(1, input.size());
    for (qsizetype pos = 0; pos < input.size(); pos += step) {
        buffer.append(input.sliced(pos, qMin(step, input.size() - pos)));
        for (int guard = 0; guard < 10000; ++guard) {
            const Event e = reader.next(buffer);
            if (e.kind == Event::Kind::NeedMore)
                break;
            events.append(describe(e));
            if (e.kind == Event::Kind::Error) {
                if (rest)
                    *rest = buffer;
                return events;
            }
        }
    }
    if (rest)
        *rest = buffer;
    return events;
}

QByteArray summaryOf(const QByteArray &payload)
{
    return "size=" + QByteArray::number(payload.size()) +
           ",sum=" + QByteArray::number(qChecksum(payload));
}

const qsizetype kSteps[] = {0, 1, 2, 3, 5, 13, 1000};
constexpr qsizetype kDefaultMax = 1024 * 1024 + 64;

} // namespace

class TestWebSocketFrame : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void acceptKey_data();
    void acceptKey();
    void encodeFrame_data();
    void encodeFrame();
    void encodeClose_data();
    void encodeClose();
    void rfcMaskedExample();
    void readValid_data();
    void readValid();
    void readErrors_data();
    void readErrors();
    void tooBigDetectedFromHeader_data();
    void tooBigDetectedFromHeader();
    void partialFrameIsNotConsumed();
    void errorIsFinal();
    void serverFramesAreRejected();
    void setMaxMessageBytes();
};

void TestWebSocketFrame::acceptKey_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("accept");
    QTest::newRow("RFC 6455 1.3") << QByteArray("dGhlIHNhbXBsZSBub25jZQ==")
                                  << QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    QTest::newRow("second key") << QByteArray("x3JJHMbDL1EzLkh9GBhXDw==")
                                << QByteArray("HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

void TestWebSocketFrame::acceptKey()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, accept);
    QCOMPARE(qpush::ws::acceptKey(key), accept);
}

void TestWebSocketFrame::encodeFrame_data()
{
    QTest::addColumn<int>("opcode");
    QTest::addColumn<int>("size");
    QTest::addColumn<QByteArray>("header");

    QTest::newRow("text 0") << 0x1 << 0 << QByteArray::fromHex("8100");
    QTest::newRow("text 5") << 0x1 << 5 << QByteArray::fromHex("8105");
    QTest::newRow("binary 125") << 0x2 << 125 << QByteArray::fromHex("827d");
    QTest::newRow("binary 126") << 0x2 << 126 << QByteArray::fromHex("827e007e");
    QTest::newRow("binary 127") << 0x2 << 127 << QByteArray::fromHex("827e007f");
    QTest::newRow("text 65535") << 0x1 << 65535 << QByteArray::fromHex("817effff");
    QTest::newRow("text 65536") << 0x1 << 65536 << QByteArray::fromHex("817f0000000000010000");
    QTest::newRow("binary 1 MiB") << 0x2 << 1048576 << QByteArray::fromHex("827f0000000000100000");
    QTest::newRow("ping") << 0x9 << 4 << QByteArray::fromHex("8904");
    QTest::newRow("pong") << 0xA << 0 << QByteArray::fromHex("8a00");
    QTest::newRow("close") << 0x8 << 2 << QByteArray::fromHex("8802");
}

void TestWebSocketFrame::encodeFrame()
{
    QFETCH(int, opcode);
    QFETCH(int, size);
    QFETCH(QByteArray, header);
    const QByteArray payload = pattern(size);
    const QByteArray frame = qpush::ws::encodeFrame(Opcode(opcode), payload);
    QCOMPARE(frame.size(), header.size() + size);
    QCOMPARE(frame.first(header.size()).toHex(), header.toHex());
    QVERIFY(frame.sliced(header.size()) == payload);
}

void TestWebSocketFrame::encodeClose_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("1000 no reason") << 1000 << QByteArray() << QByteArray::fromHex("880203e8");
    QTest::newRow("1002 with reason")
        << 1002 << QByteArray("bad") << QByteArray::fromHex("880503ea626164");
    QTest::newRow("4000") << 4000 << QByteArray() << QByteArray::fromHex("88020fa0");
    QTest::newRow("1005 is sent empty") << 1005 << QByteArray("x") << QByteArray::fromHex("8800");
    QTest::newRow("long reason cut to 123 bytes")
        << 1001 << QByteArray(200, 'r')
        << QByteArray(QByteArray::fromHex("887d03e9") + QByteArray(123, 'r'));
    // 61 two-byte characters are 122 bytes; the 62nd would straddle the cut.
    QTest::newRow("cut on a UTF-8 boundary")
        << 1001 << QByteArray("\xc3\xa9").repeated(70)
        << QByteArray(QByteArray::fromHex("887c03e9") + QByteArray("\xc3\xa9").repeated(61));
}

void TestWebSocketFrame::encodeClose()
{
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, expected);
    QCOMPARE(qpush::ws::encodeClose(quint16(code), reason).toHex(), expected.toHex());
}

void TestWebSocketFrame::rfcMaskedExample()
{
    // RFC 6455 5.7: a single-frame masked text message containing "Hello".
    QByteArray buffer = QByteArray::fromHex("818537fa213d7f9f4d5158");
    QCOMPARE(clientFrame(FIN | OpText, "Hello").toHex(), buffer.toHex());
    FrameReader reader;
    const Event e = reader.next(buffer);
    QCOMPARE(e.kind, Event::Kind::Text);
    QCOMPARE(e.payload, QByteArray("Hello"));
    QVERIFY(buffer.isEmpty());
    QCOMPARE(reader.next(buffer).kind, Event::Kind::NeedMore);
}

void TestWebSocketFrame::readValid_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("maxMessage");
    QTest::addColumn<QByteArrayList>("events");

    const int max = int(kDefaultMax);
    QTest::newRow("text") << clientFrame(FIN | OpText, "42[\"chat\",\"hi\"]") << max
                          << QByteArrayList{"text:42[\"chat\",\"hi\"]"};
    QTest::newRow("empty text") << clientFrame(FIN | OpText, "") << max << QByteArrayList{"text:"};
    QTest::newRow("utf-8 text")
        << clientFrame(FIN | OpText,
                       "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80")
        << max
        << QByteArrayList{"text:\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80"};
    QTest::newRow("binary not UTF-8") << clientFrame(FIN | OpBinary, "\xff\xfe\x00") << max
                                      << QByteArrayList{QByteArray("binary:\xff\xfe")};
    for (int size : {0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536, 70001}) {
        const QByteArray payload = pattern(size);
        QTest::addRow("binary %d", size)
            << clientFrame(FIN | OpBinary, payload) << max
            << QByteArrayList{"binary:" + (size > 40 ? summaryOf(payload) : payload)};
    }
    QTest::newRow("16-bit length for a short payload")
        << clientFrame(FIN | OpText, "short", true, Force16) << max << QByteArrayList{"text:short"};
    QTest::newRow("64-bit length for a short payload")
        << clientFrame(FIN | OpText, "short", true, Force64) << max << QByteArrayList{"text:short"};
    QTest::newRow("zero mask key")
        << clientFrame(FIN | OpText, "plain", true, Minimal, -1, QByteArrayView("\0\0\0\0", 4))
        << max << QByteArrayList{"text:plain"};
    QTest::newRow("ping") << clientFrame(FIN | OpPing, "2probe") << max
                          << QByteArrayList{"ping:2probe"};
    QTest::newRow("empty ping") << clientFrame(FIN | OpPing, "") << max << QByteArrayList{"ping:"};
    QTest::newRow("ping of 125 bytes") << clientFrame(FIN | OpPing, QByteArray(125, 'p')) << max
                                       << QByteArrayList{"ping:" + summaryOf(QByteArray(125, 'p'))};
    QTest::newRow("pong") << clientFrame(FIN | OpPong, "3probe") << max
                          << QByteArrayList{"pong:3probe"};
    QTest::newRow("close without payload")
        << clientFrame(FIN | OpClose, "") << max << QByteArrayList{"close:1005:"};
    QTest::newRow("close 1000 with reason") << clientFrame(FIN | OpClose, closePayload(1000, "bye"))
                                            << max << QByteArrayList{"close:1000:bye"};
    QTest::newRow("close 1001") << clientFrame(FIN | OpClose, closePayload(1001)) << max
                                << QByteArrayList{"close:1001:"};
    QTest::newRow("close 1011") << clientFrame(FIN | OpClose, closePayload(1011)) << max
                                << QByteArrayList{"close:1011:"};
    QTest::newRow("close 3000") << clientFrame(FIN | OpClose, closePayload(3000)) << max
                                << QByteArrayList{"close:3000:"};
    QTest::newRow("close 4999 utf-8 reason")
        << clientFrame(FIN | OpClose, closePayload(4999, "\xc3\xa9")) << max
        << QByteArrayList{"close:4999:\xc3\xa9"};
    QTest::newRow("RFC fragmented text")
        << QByteArray(clientFrame(OpText, "Hel") + clientFrame(FIN | OpCont, "lo")) << max
        << QByteArrayList{"text:Hello"};
    QTest::newRow("fragmented binary, empty fragments")
        << QByteArray(clientFrame(OpBinary, "") + clientFrame(OpCont, "ab") +
                      clientFrame(OpCont, "") + clientFrame(FIN | OpCont, "cd"))
        << max << QByteArrayList{"binary:abcd"};
    QTest::newRow("control frames inside a fragmented message")
        << QByteArray(clientFrame(OpText, "one ") + clientFrame(FIN | OpPing, "p1") +
                      clientFrame(OpCont, "two ") + clientFrame(FIN | OpPong, "p2") +
                      clientFrame(FIN | OpCont, "three"))
        << max << QByteArrayList{"ping:p1", "pong:p2", "text:one two three"};
    QTest::newRow("close inside a fragmented message")
        << QByteArray(clientFrame(OpText, "part") + clientFrame(FIN | OpClose, closePayload(1000)))
        << max << QByteArrayList{"close:1000:"};
    QTest::newRow("UTF-8 character split across fragments")
        << QByteArray(clientFrame(OpText, "a\xf0\x9f") + clientFrame(OpCont, "\x98") +
                      clientFrame(FIN | OpCont, "\x80z"))
        << max << QByteArrayList{"text:a\xf0\x9f\x98\x80z"};
    QTest::newRow("messages after a fragmented one")
        << QByteArray(clientFrame(OpBinary, "x") + clientFrame(FIN | OpCont, "y") +
                      clientFrame(FIN | OpText, "next") + clientFrame(OpText, "f") +
                      clientFrame(FIN | OpCont, "g"))
        << max << QByteArrayList{"binary:xy", "text:next", "text:fg"};
    QTest::newRow("many frames in one read")
        << QByteArray(clientFrame(FIN | OpText, "2") + clientFrame(FIN | OpText, "3") +
                      clientFrame(FIN | OpPing, "") + clientFrame(FIN | OpBinary, "b") +
                      clientFrame(FIN | OpClose, closePayload(1000)))
        << max << QByteArrayList{"text:2", "text:3", "ping:", "binary:b", "close:1000:"};
    QTest::newRow("message of exactly the limit")
        << clientFrame(FIN | OpText, QByteArray(100, 'm')) << 100
        << QByteArrayList{"text:" + summaryOf(QByteArray(100, 'm'))};
    QTest::newRow("fragmented message of exactly the limit")
        << QByteArray(clientFrame(OpText, QByteArray(60, 'm')) +
                      clientFrame(FIN | OpPing, QByteArray(100, 'p')) +
                      clientFrame(FIN | OpCont, QByteArray(40, 'm')))
        << 100
        << QByteArrayList{"ping:" + summaryOf(QByteArray(100, 'p')),
                          "text:" + summaryOf(QByteArray(100, 'm'))};
}

void TestWebSocketFrame::readValid()
{
    QFETCH(QByteArray, input);
    QFETCH(int, maxMessage);
    QFETCH(QByteArrayList, events);

    for (qsizetype step : kSteps) {
        QByteArray rest;
        QCOMPARE(readAll(input, step, maxMessage, &rest), events);
        QVERIFY(rest.isEmpty());
    }
}

void TestWebSocketFrame::readErrors_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("maxMessage");
    QTest::addColumn<QByteArrayList>("events");

    const int max = int(kDefaultMax);
    const QByteArray e1002 = "error:1002";
    const QByteArray e1007 = "error:1007";
    const QByteArray e1009 = "error:1009";

    QTest::newRow("unmasked text")
        << clientFrame(FIN | OpText, "hi", false) << max << QByteArrayList{e1002};
    QTest::newRow("unmasked close")
        << clientFrame(FIN | OpClose, "", false) << max << QByteArrayList{e1002};
    QTest::newRow("RSV1") << clientFrame(FIN | RSV1 | OpText, "hi") << max << QByteArrayList{e1002};
    QTest::newRow("RSV2") << clientFrame(FIN | RSV2 | OpBinary, "hi") << max
                          << QByteArrayList{e1002};
    QTest::newRow("RSV3") << clientFrame(FIN | RSV3 | OpPing, "") << max << QByteArrayList{e1002};
    for (quint8 op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        QTest::addRow("opcode 0x%X", op)
            << clientFrame(FIN | op, "x") << max << QByteArrayList{e1002};
    }
    QTest::newRow("ping of 126 bytes")
        << clientFrame(FIN | OpPing, QByteArray(126, 'p')) << max << QByteArrayList{e1002};
    QTest::newRow("close of 126 bytes")
        << clientFrame(FIN | OpClose, closePayload(1000, QByteArray(124, 'r'))) << max
        << QByteArrayList{e1002};
    QTest::newRow("pong with 16-bit length")
        << clientFrame(FIN | OpPong, "x", true, Force16) << max << QByteArrayList{e1002};
    QTest::newRow("fragmented ping") << clientFrame(OpPing, "x") << max << QByteArrayList{e1002};
    QTest::newRow("fragmented close") << clientFrame(OpClose, "") << max << QByteArrayList{e1002};
    QTest::newRow("continuation without start")
        << clientFrame(FIN | OpCont, "x") << max << QByteArrayList{e1002};
    QTest::newRow("continuation after a complete message")
        << QByteArray(clientFrame(FIN | OpText, "a") + clientFrame(OpCont, "b")) << max
        << QByteArrayList{"text:a", e1002};
    QTest::newRow("text inside a fragmented message")
        << QByteArray(clientFrame(OpText, "a") + clientFrame(FIN | OpText, "b")) << max
        << QByteArrayList{e1002};
    QTest::newRow("binary inside a fragmented message")
        << QByteArray(clientFrame(OpText, "a") + clientFrame(FIN | OpPing, "") +
                      clientFrame(OpBinary, "b"))
        << max << QByteArrayList{"ping:", e1002};
    QTest::newRow("64-bit length with the top bit set")
        << clientFrame(FIN | OpBinary, "", true, Force64, qint64(Q_UINT64_C(0x8000000000000001)))
        << max << QByteArrayList{e1002};
    QTest::newRow("frame over the limit")
        << clientFrame(FIN | OpText, QByteArray(101, 'x')) << 100 << QByteArrayList{e1009};
    QTest::newRow("fragments over the limit")
        << QByteArray(clientFrame(OpBinary, QByteArray(60, 'x')) +
                      clientFrame(OpCont, QByteArray(40, 'x')) +
                      clientFrame(FIN | OpCont, QByteArray(1, 'x')))
        << 100 << QByteArrayList{e1009};
    QTest::newRow("invalid byte") << clientFrame(FIN | OpText, "ab\xff") << max
                                  << QByteArrayList{e1007};
    QTest::newRow("lone continuation byte")
        << clientFrame(FIN | OpText, "\x80") << max << QByteArrayList{e1007};
    QTest::newRow("overlong slash")
        << clientFrame(FIN | OpText, "\xc0\xaf") << max << QByteArrayList{e1007};
    QTest::newRow("overlong 3-byte")
        << clientFrame(FIN | OpText, "\xe0\x80\xaf") << max << QByteArrayList{e1007};
    QTest::newRow("surrogate") << clientFrame(FIN | OpText, "\xed\xa0\x80") << max
                               << QByteArrayList{e1007};
    QTest::newRow("above U+10FFFF")
        << clientFrame(FIN | OpText, "\xf4\x90\x80\x80") << max << QByteArrayList{e1007};
    QTest::newRow("truncated sequence")
        << clientFrame(FIN | OpText, "ok\xce") << max << QByteArrayList{e1007};
    QTest::newRow("fragmented text ends mid-character")
        << QByteArray(clientFrame(OpText, "ok") + clientFrame(FIN | OpCont, "\xe2\x82")) << max
        << QByteArrayList{e1007};
    QTest::newRow("fragmented text with a bad middle")
        << QByteArray(clientFrame(OpText, "ok") + clientFrame(OpCont, "\xff") +
                      clientFrame(FIN | OpCont, "ok"))
        << max << QByteArrayList{e1007};
    QTest::newRow("close with one byte")
        << clientFrame(FIN | OpClose, "\x03") << max << QByteArrayList{e1002};
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
        QTest::addRow("close code %d", code)
            << clientFrame(FIN | OpClose, closePayload(quint16(code))) << max
            << QByteArrayList{e1002};
    }
    QTest::newRow("close reason not UTF-8")
        << clientFrame(FIN | OpClose, closePayload(1000, "\xff")) << max << QByteArrayList{e1007};
    QTest::newRow("events before the error are kept")
        << QByteArray(clientFrame(FIN | OpText, "a") + clientFrame(FIN | OpPing, "b") +
                      clientFrame(FIN | OpText, "c", false))
        << max << QByteArrayList{"text:a", "ping:b", e1002};
}

void TestWebSocketFrame::readErrors()
{
    QFETCH(QByteArray, input);
    QFETCH(int, maxMessage);
    QFETCH(QByteArrayList, events);

    for (qsizetype step : kSteps)
        QCOMPARE(readAll(input, step, maxMessage), events);
}

// The size limit applies before the payload is buffered: a header that
// announces too much is an error even if no payload byte follows.
void TestWebSocketFrame::tooBigDetectedFromHeader_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("maxMessage");

    QTest::newRow("7-bit length") << clientFrame(FIN | OpBinary, "", true, Minimal, 101) << 100;
    QTest::newRow("16-bit length") << clientFrame(FIN | OpBinary, "", true, Minimal, 60000) << 1000;
    QTest::newRow("64-bit length, 1 GiB")
        << clientFrame(FIN | OpBinary, "", true, Minimal, qint64(1) << 30) << int(kDefaultMax);
    QTest::newRow("64-bit length, 2^62")
        << clientFrame(FIN | OpText, "", true, Minimal, qint64(1) << 62) << int(kDefaultMax);
    QTest::newRow("continuation over the rest of the budget")
        << QByteArray(clientFrame(OpText, QByteArray(90, 'a')) +
                      clientFrame(FIN | OpCont, "", true, Minimal, 11))
        << 100;
}

void TestWebSocketFrame::tooBigDetectedFromHeader()
{
    QFETCH(QByteArray, input);
    QFETCH(int, maxMessage);
    for (qsizetype step : kSteps)
        QCOMPARE(readAll(input, step, maxMessage), QByteArrayList{"error:1009"});
}

void TestWebSocketFrame::partialFrameIsNotConsumed()
{
    const QByteArray frame = clientFrame(FIN | OpBinary, pattern(300));
    FrameReader reader;
    for (qsizetype cut = 0; cut < frame.size(); ++cut) {
        QByteArray buffer = frame.first(cut);
        QCOMPARE(reader.next(buffer).kind, Event::Kind::NeedMore);
        QCOMPARE(buffer.size(), cut);
    }
    QByteArray buffer = frame + QByteArray("\x81");
    const Event e = reader.next(buffer);
    QCOMPARE(e.kind, Event::Kind::Binary);
    QCOMPARE(e.payload, pattern(300));
    QCOMPARE(buffer, QByteArray("\x81")); // the next frame's first byte stays
    QCOMPARE(reader.next(buffer).kind, Event::Kind::NeedMore);
}

void TestWebSocketFrame::errorIsFinal()
{
    FrameReader reader;
    QByteArray buffer = clientFrame(FIN | OpText, "x", false);
    Event e = reader.next(buffer);
    QCOMPARE(e.kind, Event::Kind::Error);
    QCOMPARE(e.closeCode, CloseCode::ProtocolError);
    buffer = clientFrame(FIN | OpText, "fine");
    e = reader.next(buffer);
    QCOMPARE(e.kind, Event::Kind::Error);
    QCOMPARE(e.closeCode, CloseCode::ProtocolError);
}

// What we send is what a client must not: the reader rejects our own
// (unmasked) frames, and accepts them once masked.
void TestWebSocketFrame::serverFramesAreRejected()
{
    FrameReader reader;
    QByteArray buffer = qpush::ws::encodeFrame(Opcode::Text, "hello");
    QCOMPARE(reader.next(buffer).closeCode, CloseCode::ProtocolError);

    for (int size : {0, 125, 126, 65535, 65536}) {
        const QByteArray payload = pattern(size);
        const QByteArray server = qpush::ws::encodeFrame(Opcode::Binary, payload);
        QByteArray masked = clientFrame(quint8(server[0]), payload);
        FrameReader fresh;
        const Event e = fresh.next(masked);
        QCOMPARE(e.kind, Event::Kind::Binary);
        QCOMPARE(e.payload, payload);
    }
}

void TestWebSocketFrame::setMaxMessageBytes()
{
    FrameReader reader(10);
    QByteArray buffer = clientFrame(FIN | OpText, "0123456789");
    QCOMPARE(reader.next(buffer).kind, Event::Kind::Text);
    reader.setMaxMessageBytes(9);
    buffer = clientFrame(FIN | OpText, "0123456789");
    const Event e = reader.next(buffer);
    QCOMPARE(e.kind, Event::Kind::Error);
    QCOMPARE(e.closeCode, CloseCode::TooBig);
}

QTEST_APPLESS_MAIN(TestWebSocketFrame)
#include "tst_websocketframe.moc"
