// Data-driven tests of the Engine.IO v3/v4 codec. Expected bytes were
// produced by the npm reference implementations (engine.io-parser 2.2.1 as
// used by engine.io 3.6, engine.io-parser 5.2.3 as used by engine.io 6.x,
// engine.io 3.6 lib/transports/polling-jsonp.js) and copied here by hand.
#include "engineio/packet.h"

#include <QRandomGenerator>
#include <QTest>

using namespace qpush::eio;
namespace eio = qpush::eio;

Q_DECLARE_METATYPE(qpush::eio::Version)
Q_DECLARE_METATYPE(qpush::eio::Packet)

namespace {

// String literal with embedded NULs, without the terminator.
template <std::size_t N> QByteArray B(const char (&s)[N])
{
    return QByteArray(s, qsizetype(N - 1));
}

Packet txt(PacketType t, QByteArray d = {})
{
    return Packet::text(t, std::move(d));
}

Packet bin(QByteArray d)
{
    return Packet::bytes(std::move(d));
}

QByteArray describe(const Packet &p)
{
    QByteArray out = p.binary ? QByteArrayLiteral("bin:") : QByteArray(1, char(p.type));
    out += ':';
    out += p.data.toPercentEncoding();
    return out;
}

QByteArray describe(const QList<Packet> &ps)
{
    QByteArray out = "[";
    for (const Packet &p : ps)
        out += describe(p) + ' ';
    return out + ']';
}

#define COMPARE_PACKETS(actual, expected)                                                          \
    QCOMPARE(describe(actual), describe(expected));                                                \
    QVERIFY((actual) == (expected))

const QByteArray Text = QByteArrayLiteral("text/plain; charset=UTF-8");
const QByteArray Octet = QByteArrayLiteral("application/octet-stream");
const QByteArray OpenJson = QByteArrayLiteral(
    R"({"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000})");

QByteArray bytesRange(int n, int step)
{
    QByteArray b;
    for (int i = 0; i < n; ++i)
        b.append(char((i * step) & 0xFF));
    return b;
}

} // namespace

class TestEioPacket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void utf16Length_data();
    void utf16Length();

    void encodeFrame_data();
    void encodeFrame();
    void decodeFrame_data();
    void decodeFrame();
    void frameRoundTrip_data();
    void frameRoundTrip();

    void encodePayloadV3_data();
    void encodePayloadV3();
    void decodePayloadV3_data();
    void decodePayloadV3();

    void encodePayloadV4_data();
    void encodePayloadV4();
    void decodePayloadV4_data();
    void decodePayloadV4();

    void wrapJsonp_data();
    void wrapJsonp();
    void unwrapJsonpPost_data();
    void unwrapJsonpPost();

    void malformed_data();
    void malformed();
    void truncatedPayloads_data();
    void truncatedPayloads();
    void randomInputNeverCrashes();
};

// ---- utf16Length -------------------------------------------------------------

void TestEioPacket::utf16Length_data()
{
    QTest::addColumn<QByteArray>("utf8");
    QTest::addColumn<qsizetype>("units");

    QTest::newRow("empty") << QByteArray() << qsizetype(0);
    QTest::newRow("ascii") << QByteArrayLiteral("hello") << qsizetype(5);
    QTest::newRow("ascii-long") << QByteArray(1000, 'x') << qsizetype(1000);
    QTest::newRow("two-byte é") << QByteArrayLiteral("é") << qsizetype(1);
    QTest::newRow("three-byte €") << QByteArrayLiteral("€") << qsizetype(1);
    QTest::newRow("astral 😀") << QByteArrayLiteral("😀") << qsizetype(2);
    QTest::newRow("astral 𝄞") << QByteArrayLiteral("𝄞") << qsizetype(2);
    QTest::newRow("max code point") << B("\xf4\x8f\xbf\xbf") << qsizetype(2);
    QTest::newRow("mixed") << QByteArrayLiteral("a😀é€𝄞z") << qsizetype(8);
    QTest::newRow("mixed after 8 ascii")
        << QByteArrayLiteral("abcdefgh😀ijklmnopq€") << qsizetype(20);
    QTest::newRow("U+2028") << B("\xe2\x80\xa8") << qsizetype(1);
    QTest::newRow("nul") << B("\0\0") << qsizetype(2);
    // Invalid input counts like the WHATWG decoder (one U+FFFD per maximal
    // subpart), i.e. what a browser or Node sees.
    QTest::newRow("lone continuation") << B("\x80") << qsizetype(1);
    QTest::newRow("truncated 3-byte") << B("\xe2\x82") << qsizetype(1);
    QTest::newRow("truncated 4-byte then ascii") << B("\xf0\x9f\x98"
                                                      "a")
                                                 << qsizetype(2);
    QTest::newRow("overlong") << B("\xc0\xaf") << qsizetype(2);
    QTest::newRow("surrogate") << B("\xed\xa0\x80") << qsizetype(3);
    QTest::newRow("ff") << B("\xff\xfe") << qsizetype(2);
}

void TestEioPacket::utf16Length()
{
    QFETCH(QByteArray, utf8);
    QFETCH(qsizetype, units);
    QCOMPARE(eio::utf16Length(utf8), units);
    // Cross-check valid input against Qt's UTF-16 conversion.
    const QString s = QString::fromUtf8(utf8);
    if (s.toUtf8() == utf8)
        QCOMPARE(eio::utf16Length(utf8), s.size());
}

// ---- WebSocket frames ------------------------------------------------------

void TestEioPacket::encodeFrame_data()
{
    QTest::addColumn<Version>("version");
    QTest::addColumn<Packet>("packet");
    QTest::addColumn<bool>("supportsBinary");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("binaryFrame");

    for (Version v : {Version::V3, Version::V4}) {
        const char *vn = v == Version::V3 ? "v3" : "v4";
        auto row = [&](const char *name) -> QTestData & {
            return QTest::addRow("%s %s", vn, name);
        };
        row("open") << v << txt(PacketType::Open, OpenJson) << true << QByteArray('0' + OpenJson)
                    << false;
        row("close") << v << txt(PacketType::Close) << true << B("1") << false;
        row("ping") << v << txt(PacketType::Ping) << true << B("2") << false;
        row("ping probe") << v << txt(PacketType::Ping, "probe") << true << B("2probe") << false;
        row("pong probe") << v << txt(PacketType::Pong, "probe") << true << B("3probe") << false;
        row("message") << v << txt(PacketType::Message, "hello") << true << B("4hello") << false;
        row("message empty") << v << txt(PacketType::Message) << true << B("4") << false;
        row("message €") << v << txt(PacketType::Message, "€") << true << B("4€") << false;
        row("message 😀") << v << txt(PacketType::Message, "😀") << true << B("4😀") << false;
        row("upgrade") << v << txt(PacketType::Upgrade) << true << B("5") << false;
        row("noop") << v << txt(PacketType::Noop) << true << B("6") << false;
        row("text ignores b64") << v << txt(PacketType::Message, "hi") << false << B("4hi")
                                << false;
    }
    // v3 binary: type byte 0x04 then the data, in a binary frame.
    QTest::newRow("v3 binary") << Version::V3 << bin(B("\1\2\3\4")) << true << B("\4\1\2\3\4")
                               << true;
    QTest::newRow("v3 binary empty") << Version::V3 << bin({}) << true << B("\4") << true;
    QTest::newRow("v3 binary 00 ff 1e")
        << Version::V3 << bin(B("\0\xff\x1e")) << true << B("\4\0\xff\x1e") << true;
    QTest::newRow("v3 binary b64")
        << Version::V3 << bin(B("\1\2\3\4")) << false << B("b4AQIDBA==") << false;
    QTest::newRow("v3 binary b64 empty") << Version::V3 << bin({}) << false << B("b4") << false;
    QTest::newRow("v3 binary b64 00 ff 1e")
        << Version::V3 << bin(B("\0\xff\x1e")) << false << B("b4AP8e") << false;
    // v4 binary: raw bytes.
    QTest::newRow("v4 binary") << Version::V4 << bin(B("\1\2\3\4")) << true << B("\1\2\3\4")
                               << true;
    QTest::newRow("v4 binary empty") << Version::V4 << bin({}) << true << QByteArray() << true;
    QTest::newRow("v4 binary 00 ff 1e")
        << Version::V4 << bin(B("\0\xff\x1e")) << true << B("\0\xff\x1e") << true;
    QTest::newRow("v4 binary b64")
        << Version::V4 << bin(B("\1\2\3\4")) << false << B("bAQIDBA==") << false;
    QTest::newRow("v4 binary b64 empty") << Version::V4 << bin({}) << false << B("b") << false;
    QTest::newRow("v4 binary b64 00 ff 1e")
        << Version::V4 << bin(B("\0\xff\x1e")) << false << B("bAP8e") << false;
}

void TestEioPacket::encodeFrame()
{
    QFETCH(Version, version);
    QFETCH(Packet, packet);
    QFETCH(bool, supportsBinary);
    QFETCH(QByteArray, bytes);
    QFETCH(bool, binaryFrame);

    const Frame f = eio::encodeFrame(version, packet, supportsBinary);
    QCOMPARE(f.bytes, bytes);
    QCOMPARE(f.binary, binaryFrame);
    if (supportsBinary) {
        const Frame d = eio::encodeFrame(version, packet);
        QCOMPARE(d.bytes, bytes);
        QCOMPARE(d.binary, binaryFrame);
    }
}

void TestEioPacket::decodeFrame_data()
{
    QTest::addColumn<Version>("version");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("binaryFrame");
    QTest::addColumn<Packet>("packet");

    for (Version v : {Version::V3, Version::V4}) {
        const char *vn = v == Version::V3 ? "v3" : "v4";
        auto row = [&](const char *name) -> QTestData & {
            return QTest::addRow("%s %s", vn, name);
        };
        row("open") << v << QByteArray('0' + OpenJson) << false << txt(PacketType::Open, OpenJson);
        row("close") << v << B("1") << false << txt(PacketType::Close);
        row("ping") << v << B("2") << false << txt(PacketType::Ping);
        row("ping probe") << v << B("2probe") << false << txt(PacketType::Ping, "probe");
        row("pong") << v << B("3") << false << txt(PacketType::Pong);
        row("pong probe") << v << B("3probe") << false << txt(PacketType::Pong, "probe");
        row("message") << v << B("4hello") << false << txt(PacketType::Message, "hello");
        row("message empty") << v << B("4") << false << txt(PacketType::Message);
        row("message unicode") << v << B("4a😀é€") << false << txt(PacketType::Message, "a😀é€");
        row("message with 1e") << v
                               << B("4a\x1e"
                                    "b")
                               << false
                               << txt(PacketType::Message, B("a\x1e"
                                                             "b"));
        row("upgrade") << v << B("5") << false << txt(PacketType::Upgrade);
        row("noop") << v << B("6") << false << txt(PacketType::Noop);
        row("message 'b' text data")
            << v << B("4bAQID") << false << txt(PacketType::Message, "bAQID");
    }
    QTest::newRow("v3 binary") << Version::V3 << B("\4\1\2\3\4") << true << bin(B("\1\2\3\4"));
    QTest::newRow("v3 binary empty data") << Version::V3 << B("\4") << true << bin({});
    QTest::newRow("v3 b64 text frame")
        << Version::V3 << B("b4AQIDBA==") << false << bin(B("\1\2\3\4"));
    QTest::newRow("v3 b64 empty") << Version::V3 << B("b4") << false << bin({});
    QTest::newRow("v3 b64 unpadded") << Version::V3 << B("b4AP8e") << false << bin(B("\0\xff\x1e"));
    QTest::newRow("v4 binary") << Version::V4 << B("\1\2\3\4") << true << bin(B("\1\2\3\4"));
    QTest::newRow("v4 binary starting with 4")
        << Version::V4 << B("\4\1") << true << bin(B("\4\1"));
    QTest::newRow("v4 binary ascii") << Version::V4 << B("4hello") << true << bin(B("4hello"));
    QTest::newRow("v4 binary empty") << Version::V4 << QByteArray() << true << bin({});
    QTest::newRow("v4 b64 text frame")
        << Version::V4 << B("bAQIDBA==") << false << bin(B("\1\2\3\4"));
    QTest::newRow("v4 b64 empty") << Version::V4 << B("b") << false << bin({});
    QTest::newRow("v4 b64 one pad") << Version::V4 << B("bAQI=") << false << bin(B("\1\2"));
    QTest::newRow("v4 b64 no pad") << Version::V4 << B("bAQI") << false << bin(B("\1\2"));
}

void TestEioPacket::decodeFrame()
{
    QFETCH(Version, version);
    QFETCH(QByteArray, bytes);
    QFETCH(bool, binaryFrame);
    QFETCH(Packet, packet);

    const auto decoded = eio::decodeFrame(version, bytes, binaryFrame);
    QVERIFY(decoded.has_value());
    COMPARE_PACKETS(*decoded, packet);
}

void TestEioPacket::frameRoundTrip_data()
{
    QTest::addColumn<Version>("version");
    QTest::addColumn<Packet>("packet");

    const QList<Packet> packets = {
        txt(PacketType::Open, OpenJson), txt(PacketType::Close),
        txt(PacketType::Ping, "probe"),  txt(PacketType::Pong),
        txt(PacketType::Message, "x😀y"), txt(PacketType::Upgrade),
        txt(PacketType::Noop),           bin({}),
        bin(bytesRange(256, 1)),         bin(bytesRange(1000, 7)),
    };
    for (Version v : {Version::V3, Version::V4}) {
        for (qsizetype i = 0; i < packets.size(); ++i)
            QTest::addRow("v%d #%d", int(v), int(i)) << v << packets[i];
    }
}

void TestEioPacket::frameRoundTrip()
{
    QFETCH(Version, version);
    QFETCH(Packet, packet);
    for (bool supportsBinary : {true, false}) {
        const Frame f = eio::encodeFrame(version, packet, supportsBinary);
        const auto back = eio::decodeFrame(version, f.bytes, f.binary);
        QVERIFY(back.has_value());
        COMPARE_PACKETS(*back, packet);
    }
}

// ---- v3 payloads -------------------------------------------------------------

void TestEioPacket::encodePayloadV3_data()
{
    QTest::addColumn<QList<Packet>>("packets");
    QTest::addColumn<bool>("supportsBinary");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QByteArray>("contentType");

    const QList<Packet> twoText = {txt(PacketType::Message, "hello"),
                                   txt(PacketType::Message, "€")};
    const QList<Packet> textBin = {txt(PacketType::Message, "€"), bin(B("\1\2\3\4"))};
    const QList<Packet> emoji = {txt(PacketType::Message, "😀")};
    const QList<Packet> mixedUni = {txt(PacketType::Message, "a😀é€𝄞z"),
                                    txt(PacketType::Ping, "probe")};
    const QList<Packet> ctl = {txt(PacketType::Open, R"({"sid":"x"})"), txt(PacketType::Noop),
                               txt(PacketType::Close)};
    const QList<Packet> binBin = {bin({}), bin(bytesRange(12, 20))};
    const QList<Packet> binEmoji = {txt(PacketType::Message, "😀"), txt(PacketType::Pong),
                                    bin(B("\x09"))};
    const QList<Packet> longs = {txt(PacketType::Message, QByteArray(120, 'x')),
                                 bin(QByteArray(100, '\7'))};

    for (bool sb : {false, true}) {
        const char *sn = sb ? "xhr2" : "b64";
        auto row = [&](const char *name) -> QTestData & {
            return QTest::addRow("%s %s", name, sn);
        };
        // Without binary packets the string format is used either way.
        row("two text") << twoText << sb << B("6:4hello2:4€") << Text;
        row("emoji counts 2 units") << emoji << sb << B("3:4😀") << Text;
        row("mixed unicode") << mixedUni << sb << B("9:4a😀é€𝄞z6:2probe") << Text;
        row("control packets") << ctl << sb << B("12:0{\"sid\":\"x\"}1:61:1") << Text;
        row("empty list") << QList<Packet>() << sb << B("0:") << Text;
        row("open") << QList<Packet>{txt(PacketType::Open, OpenJson)} << sb
                    << QByteArray("79:0" + OpenJson) << Text;
    }
    // String format with base64: "b<type><base64>", the 'b' counts.
    QTest::newRow("text+bin b64") << textBin << false << B("2:4€10:b4AQIDBA==") << Text;
    QTest::newRow("bin+bin b64") << binBin << false << B("2:b418:b4ABQoPFBkeIygtMjc") << Text;
    QTest::newRow("emoji+pong+bin b64") << binEmoji << false << B("3:4😀1:36:b4CQ==") << Text;
    QTest::newRow("long b64") << longs << false
                              << QByteArray("121:4" + QByteArray(120, 'x') + "138:b4" +
                                            QByteArray(100, '\7').toBase64())
                              << Text;
    // Binary format: <0|1><digits as bytes>0xff<packet>, byte lengths.
    QTest::newRow("text+bin xhr2") << textBin << true
                                   << B("\0\4\xff"
                                        "4€"
                                        "\1\5\xff\4\1\2\3\4")
                                   << Octet;
    QTest::newRow("bin+bin xhr2") << binBin << true
                                  << B("\1\1\xff\4"
                                       "\1\1\3\xff\4\0\x14(<Pdx\x8c\xa0\xb4\xc8\xdc")
                                  << Octet;
    QTest::newRow("emoji+pong+bin xhr2") << binEmoji << true
                                         << B("\0\5\xff"
                                              "4😀"
                                              "\0\1\xff"
                                              "3"
                                              "\1\2\xff\4\x09")
                                         << Octet;
    QTest::newRow("long xhr2") << longs << true
                               << QByteArray(B("\0\1\2\1\xff") + '4' + QByteArray(120, 'x') +
                                             B("\1\1\0\1\xff\4") + QByteArray(100, '\7'))
                               << Octet;
}

void TestEioPacket::encodePayloadV3()
{
    QFETCH(QList<Packet>, packets);
    QFETCH(bool, supportsBinary);
    QFETCH(QByteArray, bytes);
    QFETCH(QByteArray, contentType);

    const Body body = eio::encodePayloadV3(packets, supportsBinary);
    QCOMPARE(body.bytes, bytes);
    QCOMPARE(body.contentType, contentType);

    // And it decodes back to the same packets.
    const auto back = eio::decodePayloadV3(body.bytes, body.contentType == Octet);
    QVERIFY(back.has_value());
    COMPARE_PACKETS(*back, packets);
}

void TestEioPacket::decodePayloadV3_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("binaryBody");
    QTest::addColumn<QList<Packet>>("packets");

    QTest::newRow("sample POST") << B("6:4hello6:4world") << false
                                 << QList<Packet>{txt(PacketType::Message, "hello"),
                                                  txt(PacketType::Message, "world")};
    QTest::newRow("ping") << B("1:2") << false << QList<Packet>{txt(PacketType::Ping)};
    QTest::newRow("close") << B("1:1") << false << QList<Packet>{txt(PacketType::Close)};
    QTest::newRow("upgrade+noop") << B("1:51:6") << false
                                  << QList<Packet>{txt(PacketType::Upgrade), txt(PacketType::Noop)};
    QTest::newRow("empty payload 0:") << B("0:") << false << QList<Packet>{};
    QTest::newRow("0: between packets")
        << B("2:4a0:2:4b") << false
        << QList<Packet>{txt(PacketType::Message, "a"), txt(PacketType::Message, "b")};
    QTest::newRow("leading zeros")
        << B("006:4hello") << false << QList<Packet>{txt(PacketType::Message, "hello")};
    QTest::newRow("euro") << B("2:4€") << false << QList<Packet>{txt(PacketType::Message, "€")};
    QTest::newRow("emoji") << B("5:4😀😀") << false << QList<Packet>{txt(PacketType::Message, "😀😀")};
    QTest::newRow("emoji then ascii")
        << B("4:4😀a1:2") << false
        << QList<Packet>{txt(PacketType::Message, "😀a"), txt(PacketType::Ping)};
    QTest::newRow("colon and digits in data")
        << B("5:412:32:4x") << false
        << QList<Packet>{txt(PacketType::Message, "12:3"), txt(PacketType::Message, "x")};
    QTest::newRow("newline in data")
        << B("4:4a\nb") << false << QList<Packet>{txt(PacketType::Message, "a\nb")};
    QTest::newRow("b64") << B("10:b4AQIDBA==") << false << QList<Packet>{bin(B("\1\2\3\4"))};
    QTest::newRow("b64 empty") << B("2:b4") << false << QList<Packet>{bin({})};
    QTest::newRow("message starting with b")
        << B("4:4bar") << false << QList<Packet>{txt(PacketType::Message, "bar")};
    QTest::newRow("10-digit length ok") << QByteArray("0000000006:4hello") << false
                                        << QList<Packet>{txt(PacketType::Message, "hello")};

    QTest::newRow("bin: text") << B("\0\6\xff"
                                    "4hello")
                               << true << QList<Packet>{txt(PacketType::Message, "hello")};
    QTest::newRow("bin: utf8 bytes") << B("\0\5\xff"
                                          "4😀")
                                     << true << QList<Packet>{txt(PacketType::Message, "😀")};
    QTest::newRow("bin: binary") << B("\1\5\xff\4\1\2\3\4") << true
                                 << QList<Packet>{bin(B("\1\2\3\4"))};
    QTest::newRow("bin: binary empty") << B("\1\1\xff\4") << true << QList<Packet>{bin({})};
    QTest::newRow("bin: binary with ff")
        << B("\1\3\xff\4\xff\xff") << true << QList<Packet>{bin(B("\xff\xff"))};
    QTest::newRow("bin: b64 text packet") << B("\0\4\xff"
                                               "b4AQ")
                                          << true << QList<Packet>{bin(B("\1"))};
    QTest::newRow("bin: ping + binary")
        << B("\0\1\xff"
             "2"
             "\1\2\xff\4\7")
        << true << QList<Packet>{txt(PacketType::Ping), bin(B("\7"))};
    const QByteArray big(300, 'z');
    QTest::newRow("bin: 3-digit length") << QByteArray(B("\0\3\0\1\xff") + '4' + big) << true
                                         << QList<Packet>{txt(PacketType::Message, big)};
}

void TestEioPacket::decodePayloadV3()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, binaryBody);
    QFETCH(QList<Packet>, packets);

    const auto decoded = eio::decodePayloadV3(body, binaryBody);
    QVERIFY(decoded.has_value());
    COMPARE_PACKETS(*decoded, packets);
}

// ---- v4 payloads -------------------------------------------------------------

void TestEioPacket::encodePayloadV4_data()
{
    QTest::addColumn<QList<Packet>>("packets");
    QTest::addColumn<QByteArray>("bytes");

    QTest::newRow("spec sample") << QList<Packet>{txt(PacketType::Message, "hello"),
                                                  txt(PacketType::Ping),
                                                  txt(PacketType::Message, "world")}
                                 << B("4hello\x1e"
                                      "2\x1e"
                                      "4world");
    QTest::newRow("spec binary") << QList<Packet>{txt(PacketType::Message, "hello"),
                                                  bin(B("\1\2\3\4"))}
                                 << B("4hello\x1e"
                                      "bAQIDBA==");
    QTest::newRow("single") << QList<Packet>{txt(PacketType::Message, "€")} << B("4€");
    QTest::newRow("emoji") << QList<Packet>{txt(PacketType::Message, "😀")} << B("4😀");
    QTest::newRow("mixed unicode")
        << QList<Packet>{txt(PacketType::Message, "a😀é€𝄞z"), txt(PacketType::Ping, "probe")}
        << B("4a😀é€𝄞z\x1e"
             "2probe");
    QTest::newRow("control") << QList<Packet>{txt(PacketType::Open, R"({"sid":"x"})"),
                                              txt(PacketType::Noop), txt(PacketType::Close)}
                             << B("0{\"sid\":\"x\"}\x1e"
                                  "6\x1e"
                                  "1");
    QTest::newRow("bin+bin") << QList<Packet>{bin({}), bin(bytesRange(12, 20))}
                             << B("b\x1e"
                                  "bABQoPFBkeIygtMjc");
    QTest::newRow("emoji+pong+bin")
        << QList<Packet>{txt(PacketType::Message, "😀"), txt(PacketType::Pong), bin(B("\x09"))}
        << B("4😀\x1e"
             "3\x1e"
             "bCQ==");
    QTest::newRow("long") << QList<Packet>{txt(PacketType::Message, QByteArray(120, 'x')),
                                           bin(QByteArray(100, '\7'))}
                          << QByteArray('4' + QByteArray(120, 'x') + '\x1e' + 'b' +
                                        QByteArray(100, '\7').toBase64());
    QTest::newRow("open") << QList<Packet>{txt(PacketType::Open, OpenJson)}
                          << QByteArray('0' + OpenJson);
}

void TestEioPacket::encodePayloadV4()
{
    QFETCH(QList<Packet>, packets);
    QFETCH(QByteArray, bytes);

    QCOMPARE(eio::encodePayloadV4(packets), bytes);
    const auto back = eio::decodePayloadV4(bytes);
    QVERIFY(back.has_value());
    COMPARE_PACKETS(*back, packets);
}

void TestEioPacket::decodePayloadV4_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QList<Packet>>("packets");

    QTest::newRow("one") << B("4hello") << QList<Packet>{txt(PacketType::Message, "hello")};
    QTest::newRow("pong") << B("3") << QList<Packet>{txt(PacketType::Pong)};
    QTest::newRow("three") << B("4a\x1e"
                                "3\x1e"
                                "1")
                           << QList<Packet>{txt(PacketType::Message, "a"), txt(PacketType::Pong),
                                            txt(PacketType::Close)};
    QTest::newRow("empty messages")
        << B("4\x1e"
             "4")
        << QList<Packet>{txt(PacketType::Message), txt(PacketType::Message)};
    QTest::newRow("unicode") << B("4😀\x1e"
                                  "4€")
                             << QList<Packet>{txt(PacketType::Message, "😀"),
                                              txt(PacketType::Message, "€")};
    QTest::newRow("binary") << B("bAQIDBA==\x1e"
                                 "b")
                            << QList<Packet>{bin(B("\1\2\3\4")), bin({})};
    QTest::newRow("digits are data") << B("4:12") << QList<Packet>{txt(PacketType::Message, ":12")};
    // engine.io-parser 5 reads a v3 body as a noop packet, and so do we.
    QTest::newRow("v3 framing is a noop")
        << B("6:4hello") << QList<Packet>{txt(PacketType::Noop, ":4hello")};
}

void TestEioPacket::decodePayloadV4()
{
    QFETCH(QByteArray, body);
    QFETCH(QList<Packet>, packets);
    const auto decoded = eio::decodePayloadV4(body);
    QVERIFY(decoded.has_value());
    COMPARE_PACKETS(*decoded, packets);
}

// ---- JSONP -------------------------------------------------------------------

void TestEioPacket::wrapJsonp_data()
{
    QTest::addColumn<QByteArray>("index");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("plain") << B("4") << B("6:4hello") << B(R"(___eio[4]("6:4hello");)");
    QTest::newRow("quotes backslash newline")
        << B("12") << B("14:4\"quo\\te\"\n") << B(R"(___eio[12]("14:4\"quo\\te\"\n");)");
    QTest::newRow("index non-digits stripped")
        << B("a1b2") << B("1:6") << B(R"(___eio[12]("1:6");)");
    QTest::newRow("empty index") << QByteArray() << B("1:6") << B(R"(___eio[]("1:6");)");
    QTest::newRow("u2028 u2029") << B("1") << B("3:4\xe2\x80\xa8\xe2\x80\xa9")
                                 << B(R"(___eio[1]("3:4\u2028\u2029");)");
    QTest::newRow("other E2 chars untouched")
        << B("1") << B("3:4€\xe2\x80\xa7") << B("___eio[1](\"3:4€\xe2\x80\xa7\");");
    QTest::newRow("emoji raw") << B("0") << B("3:4😀") << B("___eio[0](\"3:4😀\");");
    QTest::newRow("control chars") << B("0") << B("4:4\x01\x1e\t\b\f\r\x7f")
                                   << B("___eio[0](\"4:4\\u0001\\u001e\\t\\b\\f\\r\x7f\");");
    QTest::newRow("nul") << B("0") << B("2:4\0") << B(R"(___eio[0]("2:4\u0000");)");
    QTest::newRow("script tag untouched")
        << B("7") << B("9:4</script>") << B(R"(___eio[7]("9:4</script>");)");
    QTest::newRow("empty payload") << B("3") << B("0:") << B(R"(___eio[3]("0:");)");
    QTest::newRow("truncated E2 at end")
        << B("3") << B("a\xe2\x80") << B("___eio[3](\"a\xe2\x80\");");
}

void TestEioPacket::wrapJsonp()
{
    QFETCH(QByteArray, index);
    QFETCH(QByteArray, payload);
    QFETCH(QByteArray, body);
    QCOMPARE(eio::wrapJsonp(index, payload), body);
}

void TestEioPacket::unwrapJsonpPost_data()
{
    QTest::addColumn<QByteArray>("form");
    QTest::addColumn<QByteArray>("payload");

    QTest::newRow("plain") << B("d=6%3A4hello") << B("6:4hello");
    QTest::newRow("escaped newline") << B("d=7%3A4a%5Cnb") << B("7:4a\nb");
    QTest::newRow("escaped backslash-n") << B("d=8%3A4a%5C%5Cnb") << B("8:4a\\nb");
    QTest::newRow("three backslashes") << B("d=9%3A4a%5C%5C%5Cnb") << B("9:4a\\\\nb");
    QTest::newRow("other keys, plus is space") << B("x=1&d=2%3A4a+b&y") << B("2:4a b");
    QTest::newRow("bare d") << B("d") << QByteArray();
    QTest::newRow("empty d") << B("d=") << QByteArray();
    QTest::newRow("encoded key") << B("%64=3:4ok") << B("3:4ok");
    QTest::newRow("utf8") << B("d=3:4%E2%82%AC") << B("3:4€");
    QTest::newRow("raw backslashes")
        << B("d=a\\nb\\\\nc\\\\\\nd\\\\\\\\ne") << B("a\nb\\nc\\\\nd\\\\\\ne");
    QTest::newRow("no newline escapes") << B("d=2:4%5C") << B("2:4\\");
}

void TestEioPacket::unwrapJsonpPost()
{
    QFETCH(QByteArray, form);
    QFETCH(QByteArray, payload);
    const auto got = eio::unwrapJsonpPost(form);
    QVERIFY(got.has_value());
    QCOMPARE(*got, payload);
}

// ---- malformed input ---------------------------------------------------------

enum class Decoder {
    FrameV3Text,
    FrameV3Binary,
    FrameV4Text,
    PayloadV3String,
    PayloadV3Binary,
    PayloadV4,
    JsonpPost
};
Q_DECLARE_METATYPE(Decoder)

static bool decodes(Decoder d, QByteArrayView in)
{
    switch (d) {
    case Decoder::FrameV3Text:
        return eio::decodeFrame(Version::V3, in, false).has_value();
    case Decoder::FrameV3Binary:
        return eio::decodeFrame(Version::V3, in, true).has_value();
    case Decoder::FrameV4Text:
        return eio::decodeFrame(Version::V4, in, false).has_value();
    case Decoder::PayloadV3String:
        return eio::decodePayloadV3(in, false).has_value();
    case Decoder::PayloadV3Binary:
        return eio::decodePayloadV3(in, true).has_value();
    case Decoder::PayloadV4:
        return eio::decodePayloadV4(in).has_value();
    case Decoder::JsonpPost:
        return eio::unwrapJsonpPost(in).has_value();
    }
    return false;
}

void TestEioPacket::malformed_data()
{
    QTest::addColumn<Decoder>("decoder");
    QTest::addColumn<QByteArray>("input");

    for (Decoder d : {Decoder::FrameV3Text, Decoder::FrameV4Text}) {
        const char *n = d == Decoder::FrameV3Text ? "v3 text" : "v4 text";
        auto row = [&](const char *name) -> QTestData & {
            return QTest::addRow("%s: %s", n, name);
        };
        row("empty") << d << QByteArray();
        row("type 7") << d << B("7");
        row("type 9 with data") << d << B("9hello");
        row("type '/'") << d << B("/");
        row("letter") << d << B("x");
        row("minus") << d << B("-1");
        row("nul") << d
                   << B("\0"
                        "4");
        row("non-ascii lead") << d
                              << B("\xff"
                                   "4");
        row("emoji as type") << d << B("😀");
        row("space then type") << d << B(" 4hi");
    }
    // v3 base64 text packets carry the type: "b4...".
    QTest::newRow("v3 text: b alone") << Decoder::FrameV3Text << B("b");
    QTest::newRow("v3 text: b64 non-message type") << Decoder::FrameV3Text << B("b2AQID");
    QTest::newRow("v3 text: b64 unknown type") << Decoder::FrameV3Text << B("b9AQID");
    QTest::newRow("v3 text: b64 one char") << Decoder::FrameV3Text << B("b4A");
    QTest::newRow("v3 text: b64 five chars") << Decoder::FrameV3Text << B("b4AQIDB");
    QTest::newRow("v3 text: b64 inner pad") << Decoder::FrameV3Text << B("b4AQ=D");
    QTest::newRow("v3 text: b64 space") << Decoder::FrameV3Text << B("b4 AQID");
    QTest::newRow("v3 text: b64 url alphabet") << Decoder::FrameV3Text << B("b4-_8=");
    QTest::newRow("v3 text: b64 triple pad") << Decoder::FrameV3Text << B("b4A===");
    QTest::newRow("v3 text: b64 newline") << Decoder::FrameV3Text << B("b4AQID\n");
    QTest::newRow("v4 text: b64 one char") << Decoder::FrameV4Text << B("bA");
    QTest::newRow("v4 text: b64 only padding") << Decoder::FrameV4Text << B("b==");
    QTest::newRow("v4 text: b64 four pads") << Decoder::FrameV4Text << B("b====");
    QTest::newRow("v4 text: b64 invalid char") << Decoder::FrameV4Text << B("bAQ!D");
    QTest::newRow("v4 text: b64 bad padding") << Decoder::FrameV4Text << B("bAQ=D===");

    QTest::newRow("v3 binary: empty") << Decoder::FrameV3Binary << QByteArray();
    QTest::newRow("v3 binary: ping type byte") << Decoder::FrameV3Binary << B("\2abc");
    QTest::newRow("v3 binary: ascii '4' not byte 4") << Decoder::FrameV3Binary << B("4abc");
    QTest::newRow("v3 binary: type 5") << Decoder::FrameV3Binary << B("\5");
    QTest::newRow("v3 binary: type 0xff") << Decoder::FrameV3Binary << B("\xff\4");

    auto s3 = [](const char *name) -> QTestData & { return QTest::addRow("v3 string: %s", name); };
    const Decoder S = Decoder::PayloadV3String;
    s3("empty") << S << QByteArray();
    s3("colon only") << S << B(":");
    s3("colon then packet") << S << B(":4hello");
    s3("no colon") << S << B("4hello");
    s3("digits only") << S << B("6");
    s3("truncated data") << S << B("6:4hell");
    s3("length beyond body") << S << B("100:4hello");
    s3("trailing digits") << S << B("6:4hello5");
    s3("trailing zero") << S << B("6:4hello0");
    s3("trailing colon") << S << B("6:4hello:");
    s3("second length missing") << S << B("6:4hello:4a");
    s3("hex length") << S << B("0x6:4hello");
    s3("leading space") << S << B(" 6:4hello");
    s3("newline before second length") << S << B("1:2\n1:2"); // Number("\n1") is 1 in JS
    s3("U+2028 before length") << S
                               << B("1:2\xe2\x80\xa8"
                                    "1:2");
    s3("trailing space in length") << S << B("6 :4hello");
    s3("plus sign") << S << B("+6:4hello");
    s3("negative") << S << B("-1:4");
    s3("decimal point") << S << B("6.0:4hello");
    s3("exponent") << S << B("6e0:4hello");
    s3("11 digits") << S << B("00000000006:4hello");
    s3("huge length") << S << B("99999999999999999999:4");
    s3("unknown type") << S << B("1:7");
    s3("letter type") << S << B("2:xa");
    s3("euro counted as bytes") << S << B("4:4€");
    s3("emoji counted as 1") << S << B("2:4😀");
    s3("emoji counted as 3") << S << B("4:4😀");
    s3("emoji split across packets") << S << B("2:4😀1:2");
    s3("invalid utf8 ff") << S << B("2:4\xff");
    s3("invalid utf8 lone continuation") << S << B("2:4\x80");
    s3("invalid utf8 surrogate") << S << B("2:4\xed\xa0\x80");
    s3("invalid utf8 overlong") << S << B("3:4\xc0\xaf");
    s3("invalid utf8 truncated") << S << B("2:4\xe2\x82");
    s3("invalid utf8 above max") << S << B("3:4\xf4\x90\x80\x80");
    s3("b alone") << S << B("1:b");
    s3("b64 non-message") << S << B("6:b2AQID");
    s3("b64 bad chars") << S << B("6:b4AQ*D");
    s3("b64 bad length") << S << B("3:b4A");
    s3("good then bad") << S << B("6:4hello1:9");
    s3("binary body sent as text") << S
                                   << B("\0\6\xff"
                                        "4hello");

    auto b3 = [](const char *name) -> QTestData & { return QTest::addRow("v3 binary: %s", name); };
    const Decoder Bn = Decoder::PayloadV3Binary;
    b3("empty") << Bn << QByteArray();
    b3("no digits") << Bn
                    << B("\0\xff"
                         "4");
    b3("kind 2") << Bn << B("\2\2\xff\4\1"); // valid binary packet but for the kind byte
    b3("kind 0xff") << Bn
                    << B("\xff\1\xff"
                         "2");
    b3("kind ascii 0") << Bn
                       << B("0\1\xff"
                            "4");
    b3("no separator") << Bn << B("\0\1");
    b3("digit 10") << Bn
                   << B("\0\x0a\xff"
                        "4");
    b3("ascii digits") << Bn
                       << B("\0"
                            "6\xff"
                            "4hello");
    b3("zero length text") << Bn << B("\0\0\xff");
    b3("zero length binary") << Bn << B("\1\0\xff");
    b3("truncated") << Bn
                    << B("\0\6\xff"
                         "4hel");
    b3("truncated binary") << Bn << B("\1\5\xff\4\1");
    b3("kind byte only at end") << Bn
                                << B("\0\1\xff"
                                     "2"
                                     "\1");
    b3("header cut") << Bn
                     << B("\0\1\xff"
                          "2"
                          "\1\5");
    b3("11 digits") << Bn
                    << B("\0\0\0\0\0\0\0\0\0\0\0\1\xff"
                         "2");
    b3("binary ping") << Bn << B("\1\1\xff\2");
    b3("binary ascii type") << Bn
                            << B("\1\2\xff"
                                 "4a");
    b3("text unknown type") << Bn
                            << B("\0\1\xff"
                                 "7");
    b3("text invalid utf8") << Bn
                            << B("\0\2\xff"
                                 "4\xff");
    b3("text surrogate") << Bn
                         << B("\0\4\xff"
                              "4\xed\xa0\x80");
    b3("text bad b64") << Bn
                       << B("\0\4\xff"
                            "b4A!");
    b3("string body sent as binary") << Bn << B("6:4hello");

    auto p4 = [](const char *name) -> QTestData & { return QTest::addRow("v4 payload: %s", name); };
    const Decoder P = Decoder::PayloadV4;
    p4("empty") << P << QByteArray();
    p4("separator only") << P << B("\x1e");
    p4("trailing separator") << P << B("4a\x1e");
    p4("leading separator") << P
                            << B("\x1e"
                                 "4a");
    p4("empty record") << P
                       << B("4a\x1e\x1e"
                            "4b");
    p4("unknown type") << P << B("7");
    p4("bad second") << P
                     << B("4a\x1e"
                          "9");
    p4("bad b64") << P << B("b!");
    p4("b64 one char") << P
                       << B("4a\x1e"
                            "bA");
    p4("invalid utf8") << P << B("4\xff");
    p4("invalid utf8 second") << P
                              << B("4a\x1e"
                                   "4\xc3");

    auto j = [](const char *name) -> QTestData & { return QTest::addRow("jsonp post: %s", name); };
    const Decoder J = Decoder::JsonpPost;
    j("empty") << J << QByteArray();
    j("no d") << J << B("foo=bar");
    j("d twice") << J << B("d=1&d=2");
    j("bad percent") << J << B("d=%ZZ");
    j("short percent") << J << B("d=%2");
    j("percent at end") << J << B("d=6:4hello%");
    j("invalid utf8") << J << B("d=%E2%82");
    j("invalid utf8 raw") << J << B("d=\xff");
    // Node decodes the body as UTF-8 before percent-decoding, so a raw bad
    // byte is not rescued by escapes around it.
    j("raw bad byte completing escapes") << J << B("d=6:4%F0%9D%84\xab");
    j("bad key escape") << J << B("%ZZ=1&d=1:2");
}

void TestEioPacket::malformed()
{
    QFETCH(Decoder, decoder);
    QFETCH(QByteArray, input);
    QVERIFY(!decodes(decoder, input));
    // No read past the end: decode from a view into a larger buffer whose
    // tail would make the input valid if it were read.
    QByteArray padded = input + B("\x1e"
                                  "4hello"
                                  "\xff\0");
    QVERIFY(!decodes(decoder, QByteArrayView(padded).first(input.size())));
}

// Every strict prefix of a valid payload is either a valid payload of the
// packets completed so far (cut at a packet boundary) or rejected.
void TestEioPacket::truncatedPayloads_data()
{
    QTest::addColumn<QList<Packet>>("packets");
    QTest::addColumn<bool>("supportsBinary");

    const QList<Packet> a = {txt(PacketType::Message, "a😀é€"), txt(PacketType::Ping),
                             bin(bytesRange(40, 9)), txt(PacketType::Message, QByteArray(12, 'q'))};
    const QList<Packet> b = {txt(PacketType::Open, OpenJson), txt(PacketType::Message, "𝄞𝄞")};
    QTest::newRow("mixed b64") << a << false;
    QTest::newRow("mixed xhr2") << a << true;
    QTest::newRow("text") << b << false;
}

void TestEioPacket::truncatedPayloads()
{
    QFETCH(QList<Packet>, packets);
    QFETCH(bool, supportsBinary);

    const Body body = eio::encodePayloadV3(packets, supportsBinary);
    const bool binaryBody = body.contentType == Octet;
    // Where each packet ends. A text-only prefix would switch to the string
    // format, so for the binary format a trailing empty binary packet
    // (4 bytes: 01 01 ff 04) keeps the format and is subtracted again.
    QList<qsizetype> boundaries;
    for (qsizetype k = 1; k <= packets.size(); ++k) {
        if (binaryBody)
            boundaries.append(
                eio::encodePayloadV3(packets.first(k) + QList<Packet>{bin({})}, true).bytes.size() -
                4);
        else
            boundaries.append(eio::encodePayloadV3(packets.first(k), false).bytes.size());
    }
    QCOMPARE(boundaries.last(), body.bytes.size());

    for (qsizetype cut = 0; cut < body.bytes.size(); ++cut) {
        const QByteArray prefix = body.bytes.first(cut);
        const auto decoded = eio::decodePayloadV3(prefix, binaryBody);
        const qsizetype k = boundaries.indexOf(cut);
        if (k >= 0) {
            QVERIFY2(decoded.has_value(), qPrintable(QString::number(cut)));
            COMPARE_PACKETS(*decoded, packets.first(k + 1));
        } else {
            QVERIFY2(!decoded.has_value(), qPrintable(QString::number(cut)));
        }
    }

    const QByteArray v4 = eio::encodePayloadV4(packets);
    for (qsizetype cut = 0; cut < v4.size(); ++cut) {
        // v4 has no lengths: a prefix decodes unless it ends inside a
        // base64 quantum, a UTF-8 sequence or right after a separator.
        const auto decoded = eio::decodePayloadV4(v4.first(cut));
        if (decoded)
            QVERIFY(decoded->size() <= packets.size());
    }
}

void TestEioPacket::randomInputNeverCrashes()
{
    // Deterministic, bounded: 20000 inputs of up to 64 bytes drawn from an
    // alphabet rich in the codec's special bytes. Sanitizer builds turn any
    // out-of-bounds read into a failure; here we also check self-consistency.
    QRandomGenerator rng(0x5eed);
    static constexpr char alphabet[] =
        "0123456789:b4\x1e\xff\x00\x01\x04=A/+%d&\\n\xe2\x80\xa8\xf0\x9f\x98\x80\xc3";
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        QByteArray in(rng.bounded(65), Qt::Uninitialized);
        for (char &c : in)
            c = alphabet[rng.bounded(int(sizeof alphabet - 1))];
        for (Decoder d : {Decoder::FrameV3Text, Decoder::FrameV3Binary, Decoder::FrameV4Text,
                          Decoder::PayloadV3String, Decoder::PayloadV3Binary, Decoder::PayloadV4,
                          Decoder::JsonpPost})
            accepted += decodes(d, in) ? 1 : 0;
        // Anything the v3 string decoder accepts re-encodes to the same bytes
        // when lengths are canonical (no leading zeros, no "0:" records).
        if (const auto ps = eio::decodePayloadV3(in, false); ps && !ps->isEmpty()) {
            const QByteArray again = eio::encodePayloadV3(*ps, false).bytes;
            const auto back = eio::decodePayloadV3(again, false);
            QVERIFY(back.has_value());
            QVERIFY(*back == *ps);
        }
        if (const auto ps = eio::decodePayloadV4(in)) {
            const auto back = eio::decodePayloadV4(eio::encodePayloadV4(*ps));
            QVERIFY(back.has_value());
            QVERIFY(*back == *ps);
        }
        (void)eio::utf16Length(in);
        (void)eio::wrapJsonp(in, in);
    }
    QVERIFY(accepted > 0); // the alphabet does produce valid inputs
}

QTEST_GUILESS_MAIN(TestEioPacket)
#include "tst_packet.moc"
