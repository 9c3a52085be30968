// Socket.IO packet codec, v4 (socket.io-parser 3.x) and v5 (socket.io-parser 4.x).
//
// The expected texts of the encode() and number tables were produced by the
// npm parsers themselves (socket.io-parser 3.4.5 and 4.2.7), so these rows
// are byte-for-byte what a JS server writes. Object keys are written in
// sorted order (QJsonObject keeps no insertion order), so the rows list keys
// sorted, which is also the order JSON.stringify keeps for them.
#include "socketio/packet.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace qpush::sio;

Q_DECLARE_METATYPE(qpush::sio::Packet)
Q_DECLARE_METATYPE(qpush::sio::Protocol)

namespace {

// Parses JSON text that may be a scalar; nullptr means "no data" (undefined).
QJsonValue json(const char *text)
{
    if (!text)
        return QJsonValue(QJsonValue::Undefined);
    const QByteArray wrapped = QByteArray("[") + text + "]";
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &error);
    if (error.error != QJsonParseError::NoError || doc.array().size() != 1)
        qFatal("bad JSON in test table: %s", text);
    return doc.array().first();
}

Packet pkt(PacketType type, const char *nsp, const char *data, qint64 id,
           QList<QByteArray> attachments, const char *query = "")
{
    Packet p;
    p.type = type;
    p.nsp = QString::fromUtf8(nsp);
    p.query = QByteArray(query);
    if (id >= 0)
        p.id = id;
    p.data = json(data);
    p.attachments = std::move(attachments);
    return p;
}

// Readable form for QCOMPARE diagnostics.
QByteArray describe(const Packet &p)
{
    QByteArray out = "type=" + QByteArray::number(int(p.type)) + " nsp=" + p.nsp.toUtf8() +
                     " query=" + p.query +
                     " id=" + (p.id ? QByteArray::number(*p.id) : QByteArray("-")) + " data=";
    if (p.data.isUndefined())
        out += "undefined";
    else
        out += QJsonDocument(QJsonArray{p.data}).toJson(QJsonDocument::Compact);
    out += " attachments=";
    for (const QByteArray &a : p.attachments)
        out += '<' + a.toHex() + '>';
    return out;
}

// What a complete packet looks like after Decoder: BINARY_* read as EVENT/ACK.
PacketType plainType(PacketType t)
{
    switch (t) {
    case PacketType::BinaryEvent:
        return PacketType::Event;
    case PacketType::BinaryAck:
        return PacketType::Ack;
    default:
        return t;
    }
}

QByteArray placeholder(int n)
{
    return "{\"_placeholder\":true,\"num\":" + QByteArray::number(n) + '}';
}

} // namespace

class TestSioPacket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encode_data();
    void encode();
    void encodeEdgeCases_data();
    void encodeEdgeCases();
    void encodeDropsAttachmentsOfOtherTypes();
    void numbers_data();
    void numbers();
    void roundTrip_data();
    void roundTrip();
    void decode_data();
    void decode();
    void decodeReject_data();
    void decodeReject();
    void decodeTextHasNoAttachmentLimit();
    void decoderBinarySequence_data();
    void decoderBinarySequence();
    void decoderSequencing_data();
    void decoderSequencing();
    void decoderRecoversAfterError();
    void decoderMaxAttachments();
    void hasPlaceholders_data();
    void hasPlaceholders();
};

// ---------------------------------------------------------------------------
// Encoding

void TestSioPacket::encode_data()
{
    QTest::addColumn<Protocol>("protocol");
    QTest::addColumn<Packet>("packet");
    QTest::addColumn<QByteArray>("text");

    // Generated from socket.io-parser 3.4.5 (v4) and 4.2.7 (v5).
    QTest::newRow("v4 connect default")
        << Protocol::V4 << pkt(PacketType::Connect, "/", nullptr, -1, {}) << QByteArray("0");
    QTest::newRow("v5 connect default")
        << Protocol::V5 << pkt(PacketType::Connect, "/", nullptr, -1, {}) << QByteArray("0");
    QTest::newRow("v4 connect nsp")
        << Protocol::V4 << pkt(PacketType::Connect, "/admin", nullptr, -1, {})
        << QByteArray("0/admin,");
    QTest::newRow("v5 connect nsp")
        << Protocol::V5 << pkt(PacketType::Connect, "/admin", nullptr, -1, {})
        << QByteArray("0/admin,");
    QTest::newRow("v4 connect nsp+query")
        << Protocol::V4 << pkt(PacketType::Connect, "/admin", nullptr, -1, {}, "token=1&uid=abcd")
        << QByteArray("0/admin?token=1&uid=abcd,");
    QTest::newRow("v4 connect default+query")
        << Protocol::V4 << pkt(PacketType::Connect, "/", nullptr, -1, {}, "token=1")
        << QByteArray("0/?token=1,");
    QTest::newRow("v5 connect auth")
        << Protocol::V5 << pkt(PacketType::Connect, "/admin", R"J({"token":"123"})J", -1, {})
        << QByteArray("0/admin,{\"token\":\"123\"}");
    QTest::newRow("v5 connect sid")
        << Protocol::V5
        << pkt(PacketType::Connect, "/", R"J({"sid":"oSO0OpakMV_3jnilAAAA"})J", -1, {})
        << QByteArray("0{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");
    QTest::newRow("v4 disconnect default")
        << Protocol::V4 << pkt(PacketType::Disconnect, "/", nullptr, -1, {}) << QByteArray("1");
    QTest::newRow("v5 disconnect default")
        << Protocol::V5 << pkt(PacketType::Disconnect, "/", nullptr, -1, {}) << QByteArray("1");
    QTest::newRow("v4 disconnect nsp")
        << Protocol::V4 << pkt(PacketType::Disconnect, "/admin", nullptr, -1, {})
        << QByteArray("1/admin,");
    QTest::newRow("v5 disconnect nsp")
        << Protocol::V5 << pkt(PacketType::Disconnect, "/admin", nullptr, -1, {})
        << QByteArray("1/admin,");
    QTest::newRow("v4 event") << Protocol::V4
                              << pkt(PacketType::Event, "/", R"J(["hello",1])J", -1, {})
                              << QByteArray("2[\"hello\",1]");
    QTest::newRow("v5 event") << Protocol::V5
                              << pkt(PacketType::Event, "/", R"J(["hello",1])J", -1, {})
                              << QByteArray("2[\"hello\",1]");
    QTest::newRow("v4 event nsp id")
        << Protocol::V4
        << pkt(PacketType::Event, "/admin", R"J(["project:delete",123])J", Q_INT64_C(456), {})
        << QByteArray("2/admin,456[\"project:delete\",123]");
    QTest::newRow("v5 event nsp id")
        << Protocol::V5
        << pkt(PacketType::Event, "/admin", R"J(["project:delete",123])J", Q_INT64_C(456), {})
        << QByteArray("2/admin,456[\"project:delete\",123]");
    QTest::newRow("v4 event id 0")
        << Protocol::V4 << pkt(PacketType::Event, "/", R"J(["a"])J", Q_INT64_C(0), {})
        << QByteArray("20[\"a\"]");
    QTest::newRow("v5 event id 0")
        << Protocol::V5 << pkt(PacketType::Event, "/", R"J(["a"])J", Q_INT64_C(0), {})
        << QByteArray("20[\"a\"]");
    QTest::newRow("v4 event max id")
        << Protocol::V4
        << pkt(PacketType::Event, "/", R"J(["a"])J", Q_INT64_C(9007199254740991), {})
        << QByteArray("29007199254740991[\"a\"]");
    QTest::newRow("v5 event max id")
        << Protocol::V5
        << pkt(PacketType::Event, "/", R"J(["a"])J", Q_INT64_C(9007199254740991), {})
        << QByteArray("29007199254740991[\"a\"]");
    QTest::newRow("v4 event nested")
        << Protocol::V4
        << pkt(PacketType::Event, "/", R"J(["e",{"a":[1,{"b":null}],"c":true,"d":false},[],{}])J",
               -1, {})
        << QByteArray("2[\"e\",{\"a\":[1,{\"b\":null}],\"c\":true,\"d\":false},[],{}]");
    QTest::newRow("v5 event nested")
        << Protocol::V5
        << pkt(PacketType::Event, "/", R"J(["e",{"a":[1,{"b":null}],"c":true,"d":false},[],{}])J",
               -1, {})
        << QByteArray("2[\"e\",{\"a\":[1,{\"b\":null}],\"c\":true,\"d\":false},[],{}]");
    QTest::newRow("v4 ack empty") << Protocol::V4
                                  << pkt(PacketType::Ack, "/admin", R"J([])J", Q_INT64_C(456), {})
                                  << QByteArray("3/admin,456[]");
    QTest::newRow("v5 ack empty") << Protocol::V5
                                  << pkt(PacketType::Ack, "/admin", R"J([])J", Q_INT64_C(456), {})
                                  << QByteArray("3/admin,456[]");
    QTest::newRow("v4 ack values")
        << Protocol::V4 << pkt(PacketType::Ack, "/", R"J(["bar",null,1.5,-2])J", Q_INT64_C(13), {})
        << QByteArray("313[\"bar\",null,1.5,-2]");
    QTest::newRow("v5 ack values")
        << Protocol::V5 << pkt(PacketType::Ack, "/", R"J(["bar",null,1.5,-2])J", Q_INT64_C(13), {})
        << QByteArray("313[\"bar\",null,1.5,-2]");
    QTest::newRow("v4 error string")
        << Protocol::V4 << pkt(PacketType::ConnectError, "/admin", R"J("Not authorized")J", -1, {})
        << QByteArray("4/admin,\"Not authorized\"");
    QTest::newRow("v4 error bare")
        << Protocol::V4 << pkt(PacketType::ConnectError, "/", nullptr, -1, {}) << QByteArray("4");
    QTest::newRow("v4 error object")
        << Protocol::V4
        << pkt(PacketType::ConnectError, "/admin", R"J({"code":1,"message":"x"})J", -1, {})
        << QByteArray("4/admin,{\"code\":1,\"message\":\"x\"}");
    QTest::newRow("v4 error bool")
        << Protocol::V4 << pkt(PacketType::ConnectError, "/", R"J(true)J", -1, {})
        << QByteArray("4true");
    QTest::newRow("v5 connect_error string")
        << Protocol::V5 << pkt(PacketType::ConnectError, "/", R"J("legacy")J", -1, {})
        << QByteArray("4\"legacy\"");
    QTest::newRow("v5 connect_error")
        << Protocol::V5
        << pkt(PacketType::ConnectError, "/", R"J({"message":"Not authorized"})J", -1, {})
        << QByteArray("4{\"message\":\"Not authorized\"}");
    QTest::newRow("v5 connect_error data")
        << Protocol::V5
        << pkt(PacketType::ConnectError, "/admin", R"J({"data":{"code":42},"message":"nope"})J", -1,
               {})
        << QByteArray("4/admin,{\"data\":{\"code\":42},\"message\":\"nope\"}");
    QTest::newRow("v4 binary event")
        << Protocol::V4
        << pkt(PacketType::Event, "/", R"J(["hello",{"_placeholder":true,"num":0}])J", -1,
               {QByteArray::fromHex("010203")})
        << QByteArray("51-[\"hello\",{\"_placeholder\":true,\"num\":0}]");
    QTest::newRow("v5 binary event")
        << Protocol::V5
        << pkt(PacketType::Event, "/", R"J(["hello",{"_placeholder":true,"num":0}])J", -1,
               {QByteArray::fromHex("010203")})
        << QByteArray("51-[\"hello\",{\"_placeholder\":true,\"num\":0}]");
    QTest::newRow("v4 binary event nsp id")
        << Protocol::V4
        << pkt(PacketType::Event, "/admin", R"J(["project:delete",{"_placeholder":true,"num":0}])J",
               Q_INT64_C(456), {QByteArray::fromHex("010203")})
        << QByteArray("51-/admin,456[\"project:delete\",{\"_placeholder\":true,\"num\":0}]");
    QTest::newRow("v5 binary event nsp id")
        << Protocol::V5
        << pkt(PacketType::Event, "/admin", R"J(["project:delete",{"_placeholder":true,"num":0}])J",
               Q_INT64_C(456), {QByteArray::fromHex("010203")})
        << QByteArray("51-/admin,456[\"project:delete\",{\"_placeholder\":true,\"num\":0}]");
    QTest::newRow("v4 binary event two")
        << Protocol::V4
        << pkt(PacketType::Event, "/admin",
               R"J(["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])J", -1,
               {QByteArray::fromHex("0102"), QByteArray::fromHex("0304")})
        << QByteArray("52-/"
                      "admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,"
                      "\"num\":1}]");
    QTest::newRow("v5 binary event two")
        << Protocol::V5
        << pkt(PacketType::Event, "/admin",
               R"J(["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])J", -1,
               {QByteArray::fromHex("0102"), QByteArray::fromHex("0304")})
        << QByteArray("52-/"
                      "admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,"
                      "\"num\":1}]");
    QTest::newRow("v4 binary nested")
        << Protocol::V4
        << pkt(PacketType::Event, "/x",
               R"J(["a",{"_placeholder":true,"num":0},{"k":[{"_placeholder":true,"num":1}],"z":{"deep":{"_placeholder":true,"num":2}}}])J",
               Q_INT64_C(5),
               {QByteArray::fromHex("0102"), QByteArray::fromHex("03"), QByteArray::fromHex("")})
        << QByteArray("53-/"
                      "x,5[\"a\",{\"_placeholder\":true,\"num\":0},{\"k\":[{\"_placeholder\":true,"
                      "\"num\":1}],\"z\":{\"deep\":{\"_placeholder\":true,\"num\":2}}}]");
    QTest::newRow("v5 binary nested")
        << Protocol::V5
        << pkt(PacketType::Event, "/x",
               R"J(["a",{"_placeholder":true,"num":0},{"k":[{"_placeholder":true,"num":1}],"z":{"deep":{"_placeholder":true,"num":2}}}])J",
               Q_INT64_C(5),
               {QByteArray::fromHex("0102"), QByteArray::fromHex("03"), QByteArray::fromHex("")})
        << QByteArray("53-/"
                      "x,5[\"a\",{\"_placeholder\":true,\"num\":0},{\"k\":[{\"_placeholder\":true,"
                      "\"num\":1}],\"z\":{\"deep\":{\"_placeholder\":true,\"num\":2}}}]");
    QTest::newRow("v4 binary ack")
        << Protocol::V4
        << pkt(PacketType::Ack, "/admin", R"J([{"_placeholder":true,"num":0}])J", Q_INT64_C(456),
               {QByteArray::fromHex("030201")})
        << QByteArray("61-/admin,456[{\"_placeholder\":true,\"num\":0}]");
    QTest::newRow("v5 binary ack")
        << Protocol::V5
        << pkt(PacketType::Ack, "/admin", R"J([{"_placeholder":true,"num":0}])J", Q_INT64_C(456),
               {QByteArray::fromHex("030201")})
        << QByteArray("61-/admin,456[{\"_placeholder\":true,\"num\":0}]");
    QTest::newRow("v4 binary ack default")
        << Protocol::V4
        << pkt(PacketType::Ack, "/", R"J(["bar",{"_placeholder":true,"num":0}])J", Q_INT64_C(15),
               {QByteArray::fromHex("01020304")})
        << QByteArray("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]");
    QTest::newRow("v5 binary ack default")
        << Protocol::V5
        << pkt(PacketType::Ack, "/", R"J(["bar",{"_placeholder":true,"num":0}])J", Q_INT64_C(15),
               {QByteArray::fromHex("01020304")})
        << QByteArray("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]");
    QTest::newRow("v4 unicode")
        << Protocol::V4
        << pkt(PacketType::Event, "/caf\xc3\xa9",
               R"J(["\u00e9v\u00e9nement","\u65e5\u672c","\ud83d\ude00","\u2028\u2029","\u007f"])J",
               -1, {})
        << QByteArray("2/"
                      "caf\xc3\xa9,[\"\xc3\xa9v\xc3\xa9nement\",\"\xe6\x97\xa5\xe6\x9c\xac\","
                      "\"\xf0\x9f\x98\x80\",\"\xe2\x80\xa8\xe2\x80\xa9\",\"\x7f\"]");
    QTest::newRow("v5 unicode")
        << Protocol::V5
        << pkt(PacketType::Event, "/caf\xc3\xa9",
               R"J(["\u00e9v\u00e9nement","\u65e5\u672c","\ud83d\ude00","\u2028\u2029","\u007f"])J",
               -1, {})
        << QByteArray("2/"
                      "caf\xc3\xa9,[\"\xc3\xa9v\xc3\xa9nement\",\"\xe6\x97\xa5\xe6\x9c\xac\","
                      "\"\xf0\x9f\x98\x80\",\"\xe2\x80\xa8\xe2\x80\xa9\",\"\x7f\"]");
    QTest::newRow("v4 escapes") << Protocol::V4
                                << pkt(PacketType::Event, "/",
                                       R"J(["q\"b\\s/\b\f\n\r\t\u0000\u0001\u001f"])J", -1, {})
                                << QByteArray(
                                       "2[\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\"]");
    QTest::newRow("v5 escapes") << Protocol::V5
                                << pkt(PacketType::Event, "/",
                                       R"J(["q\"b\\s/\b\f\n\r\t\u0000\u0001\u001f"])J", -1, {})
                                << QByteArray(
                                       "2[\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\"]");
    QTest::newRow("v4 lone surrogates")
        << Protocol::V4
        << pkt(PacketType::Event, "/", R"J(["\ud800x","\udfff","\ude00\ud83d"])J", -1, {})
        << QByteArray("2[\"\\ud800x\",\"\\udfff\",\"\\ude00\\ud83d\"]");
    QTest::newRow("v5 lone surrogates")
        << Protocol::V5
        << pkt(PacketType::Event, "/", R"J(["\ud800x","\udfff","\ude00\ud83d"])J", -1, {})
        << QByteArray("2[\"\\ud800x\",\"\\udfff\",\"\\ude00\\ud83d\"]");
    QTest::newRow("v4 unicode keys")
        << Protocol::V4 << pkt(PacketType::Event, "/", R"J(["k",{"\n":1,"cl\u00e9":"v"}])J", -1, {})
        << QByteArray("2[\"k\",{\"\\n\":1,\"cl\xc3\xa9\":\"v\"}]");
    QTest::newRow("v5 unicode keys")
        << Protocol::V5 << pkt(PacketType::Event, "/", R"J(["k",{"\n":1,"cl\u00e9":"v"}])J", -1, {})
        << QByteArray("2[\"k\",{\"\\n\":1,\"cl\xc3\xa9\":\"v\"}]");
}

void TestSioPacket::encode()
{
    QFETCH(Protocol, protocol);
    QFETCH(Packet, packet);
    QFETCH(QByteArray, text);

    const Encoded encoded = qpush::sio::encode(protocol, packet);
    QCOMPARE(encoded.text, text);
    QCOMPARE(encoded.attachments, packet.attachments);
}

void TestSioPacket::encodeEdgeCases_data()
{
    QTest::addColumn<Protocol>("protocol");
    QTest::addColumn<Packet>("packet");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("attachments");

    const QByteArray ph0 = placeholder(0);
    QTest::newRow("BinaryEvent type without attachments is a plain EVENT")
        << Protocol::V5 << pkt(PacketType::BinaryEvent, "/", R"(["a"])", -1, {})
        << QByteArray(R"(2["a"])") << 0;
    QTest::newRow("BinaryAck type without attachments is a plain ACK")
        << Protocol::V4 << pkt(PacketType::BinaryAck, "/", "[]", 4, {}) << QByteArray("34[]") << 0;
    QTest::newRow("BinaryEvent type with attachments")
        << Protocol::V4
        << pkt(PacketType::BinaryEvent, "/", QByteArray("[\"a\"," + ph0 + ']').constData(), -1,
               {QByteArray("x")})
        << QByteArray("51-[\"a\"," + ph0 + ']') << 1;
    QTest::newRow("BinaryAck type with attachments")
        << Protocol::V5
        << pkt(PacketType::BinaryAck, "/n", QByteArray('[' + ph0 + ']').constData(), 3,
               {QByteArray("x")})
        << QByteArray("61-/n,3[" + ph0 + ']') << 1;
    QTest::newRow("null data is omitted like JS null")
        << Protocol::V5 << pkt(PacketType::Connect, "/", "null", -1, {}) << QByteArray("0") << 0;
    QTest::newRow("empty nsp is omitted like JS \"\"")
        << Protocol::V5 << pkt(PacketType::Event, "", R"(["a"])", -1, {}) << QByteArray(R"(2["a"])")
        << 0;
    QTest::newRow("v5 has no query in the nsp")
        << Protocol::V5 << pkt(PacketType::Connect, "/admin", nullptr, -1, {}, "a=1")
        << QByteArray("0/admin,") << 0;
    QTest::newRow("v4 query only on CONNECT")
        << Protocol::V4 << pkt(PacketType::Event, "/admin", R"(["a"])", -1, {}, "a=1")
        << QByteArray(R"(2/admin,["a"])") << 0;
    QTest::newRow("v4 ERROR number (as JS: reads back as an id)")
        << Protocol::V4 << pkt(PacketType::ConnectError, "/", "42", -1, {}) << QByteArray("442")
        << 0;
    QTest::newRow("v5 ack id zero")
        << Protocol::V5 << pkt(PacketType::Ack, "/", "[]", 0, {}) << QByteArray("30[]") << 0;
    // JS would keep insertion order ({"message":..,"data":..}); QJsonObject
    // sorts keys. Equivalent JSON, documented difference.
    QTest::newRow("object keys come out sorted")
        << Protocol::V5 << pkt(PacketType::ConnectError, "/", R"({"message":"m","data":1})", -1, {})
        << QByteArray(R"(4{"data":1,"message":"m"})") << 0;
    QTest::newRow("many attachments count")
        << Protocol::V5
        << pkt(PacketType::Event, "/", R"(["a"])", -1, QList<QByteArray>(12, QByteArray("z")))
        << QByteArray(R"(512-["a"])") << 12;
}

void TestSioPacket::encodeEdgeCases()
{
    QFETCH(Protocol, protocol);
    QFETCH(Packet, packet);
    QFETCH(QByteArray, text);
    QFETCH(int, attachments);

    const Encoded encoded = qpush::sio::encode(protocol, packet);
    QCOMPARE(encoded.text, text);
    QCOMPARE(encoded.attachments.size(), attachments);
}

void TestSioPacket::encodeDropsAttachmentsOfOtherTypes()
{
    // Only EVENT/ACK carry binary; a stray list on CONNECT is not sent.
    const Packet p = pkt(PacketType::Connect, "/a", nullptr, -1, {QByteArray("x")});
    const Encoded encoded = qpush::sio::encode(Protocol::V5, p);
    QCOMPARE(encoded.text, QByteArray("0/a,"));
    QVERIFY(encoded.attachments.isEmpty());
}

void TestSioPacket::numbers_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");

    // Expected: JSON.stringify(JSON.parse(input)) in Node 20.
    QTest::newRow("0") << QByteArray("0") << QByteArray("0");
    QTest::newRow("-0") << QByteArray("-0") << QByteArray("0");
    QTest::newRow("1") << QByteArray("1") << QByteArray("1");
    QTest::newRow("-1") << QByteArray("-1") << QByteArray("-1");
    QTest::newRow("42") << QByteArray("42") << QByteArray("42");
    QTest::newRow("1.5") << QByteArray("1.5") << QByteArray("1.5");
    QTest::newRow("-2.25") << QByteArray("-2.25") << QByteArray("-2.25");
    QTest::newRow("0.1") << QByteArray("0.1") << QByteArray("0.1");
    QTest::newRow("0.2") << QByteArray("0.2") << QByteArray("0.2");
    QTest::newRow("0.30000000000000004")
        << QByteArray("0.30000000000000004") << QByteArray("0.30000000000000004");
    QTest::newRow("1e21") << QByteArray("1e21") << QByteArray("1e+21");
    QTest::newRow("1e20") << QByteArray("1e20") << QByteArray("100000000000000000000");
    QTest::newRow("123456789012345680000")
        << QByteArray("123456789012345680000") << QByteArray("123456789012345680000");
    QTest::newRow("1e-7") << QByteArray("1e-7") << QByteArray("1e-7");
    QTest::newRow("1e-6") << QByteArray("1e-6") << QByteArray("0.000001");
    QTest::newRow("0.000001234") << QByteArray("0.000001234") << QByteArray("0.000001234");
    QTest::newRow("-1e-7") << QByteArray("-1e-7") << QByteArray("-1e-7");
    QTest::newRow("5e-324") << QByteArray("5e-324") << QByteArray("5e-324");
    QTest::newRow("1.7976931348623157e308")
        << QByteArray("1.7976931348623157e308") << QByteArray("1.7976931348623157e+308");
    QTest::newRow("9007199254740991")
        << QByteArray("9007199254740991") << QByteArray("9007199254740991");
    QTest::newRow("9007199254740992")
        << QByteArray("9007199254740992") << QByteArray("9007199254740992");
    QTest::newRow("9007199254740993")
        << QByteArray("9007199254740993") << QByteArray("9007199254740992");
    QTest::newRow("18014398509481985")
        << QByteArray("18014398509481985") << QByteArray("18014398509481984");
    QTest::newRow("-9007199254740993")
        << QByteArray("-9007199254740993") << QByteArray("-9007199254740992");
    QTest::newRow("1e300") << QByteArray("1e300") << QByteArray("1e+300");
    QTest::newRow("1.5e-300") << QByteArray("1.5e-300") << QByteArray("1.5e-300");
    QTest::newRow("123.456") << QByteArray("123.456") << QByteArray("123.456");
    QTest::newRow("100") << QByteArray("100") << QByteArray("100");
    QTest::newRow("1e2") << QByteArray("1e2") << QByteArray("100");
    QTest::newRow("12345678.9") << QByteArray("12345678.9") << QByteArray("12345678.9");
    QTest::newRow("0.5e-6") << QByteArray("0.5e-6") << QByteArray("5e-7");
    QTest::newRow("2.5e-5") << QByteArray("2.5e-5") << QByteArray("0.000025");
    QTest::newRow("4.35") << QByteArray("4.35") << QByteArray("4.35");
    QTest::newRow("1.0") << QByteArray("1.0") << QByteArray("1");
    QTest::newRow("3e21") << QByteArray("3e21") << QByteArray("3e+21");
    QTest::newRow("-1.2345e25") << QByteArray("-1.2345e25") << QByteArray("-1.2345e+25");
    // tests/fuzz/regressions/sio_v5/large-number: integral above 2^53, from a fraction.
    QTest::newRow("222222222222222222.2253")
        << QByteArray("222222222222222222.2253") << QByteArray("222222222222222200");
}

void TestSioPacket::numbers()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);

    const Packet p = pkt(PacketType::Ack, "/", QByteArray('[' + input + ']').constData(), 1, {});
    QCOMPARE(qpush::sio::encode(Protocol::V5, p).text, QByteArray("31[" + expected + ']'));
    // A value built in C++ (not parsed) formats the same way.
    Packet built = p;
    built.data = QJsonArray{json(input.constData()).toDouble()};
    QCOMPARE(qpush::sio::encode(Protocol::V4, built).text, QByteArray("31[" + expected + ']'));
}

void TestSioPacket::roundTrip_data()
{
    encode_data();
}

void TestSioPacket::roundTrip()
{
    QFETCH(Protocol, protocol);
    QFETCH(Packet, packet);

    const Encoded encoded = qpush::sio::encode(protocol, packet);
    Decoder decoder(protocol);
    Decoder::Status status = decoder.feedText(encoded.text);
    for (const QByteArray &a : encoded.attachments) {
        QCOMPARE(status, Decoder::Status::NeedMore);
        status = decoder.feedBinary(a);
    }
    QCOMPARE(status, Decoder::Status::Packet);
    QVERIFY(!decoder.awaitingAttachments());
    const Packet decoded = decoder.takePacket();
    Packet expected = packet;
    expected.type = plainType(packet.type);
    QCOMPARE(describe(decoded), describe(expected));
    QVERIFY(decoded == expected);
}

// ---------------------------------------------------------------------------
// Decoding

void TestSioPacket::decode_data()
{
    QTest::addColumn<Protocol>("protocol");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<Packet>("expected");
    QTest::addColumn<int>("attachments");

    const auto both = [](const char *name, const QByteArray &text, const Packet &expected,
                         int attachments = 0) {
        QTest::addRow("v4 %s", name) << Protocol::V4 << text << expected << attachments;
        QTest::addRow("v5 %s", name) << Protocol::V5 << text << expected << attachments;
    };
    const auto v4 = [](const char *name, const QByteArray &text, const Packet &expected) {
        QTest::addRow("v4 %s", name) << Protocol::V4 << text << expected << 0;
    };
    const auto v5 = [](const char *name, const QByteArray &text, const Packet &expected) {
        QTest::addRow("v5 %s", name) << Protocol::V5 << text << expected << 0;
    };
    using T = PacketType;
    const QByteArray ph0 = placeholder(0), ph1 = placeholder(1), ph2 = placeholder(2);

    both("connect", "0", pkt(T::Connect, "/", nullptr, -1, {}));
    both("connect nsp", "0/admin,", pkt(T::Connect, "/admin", nullptr, -1, {}));
    both("connect nsp without comma", "0/admin", pkt(T::Connect, "/admin", nullptr, -1, {}));
    both("connect nsp slash comma", "0/,", pkt(T::Connect, "/", nullptr, -1, {}));
    both("connect object", R"(0/admin,{"token":"123"})",
         pkt(T::Connect, "/admin", R"({"token":"123"})", -1, {}));
    v4("connect query", "0/admin?token=1&uid=abcd,",
       pkt(T::Connect, "/admin", nullptr, -1, {}, "token=1&uid=abcd"));
    v4("connect query default nsp", "0/?token=1,",
       pkt(T::Connect, "/", nullptr, -1, {}, "token=1"));
    v4("connect empty query", "0/admin?,", pkt(T::Connect, "/admin", nullptr, -1, {}));
    v4("connect query with ? and =", "0/a?x=1?2&y==,",
       pkt(T::Connect, "/a", nullptr, -1, {}, "x=1?2&y=="));
    v4("query kept in nsp on EVENT", R"(2/a?x=1,["e"])",
       pkt(T::Event, "/a?x=1", R"(["e"])", -1, {}));
    v5("no query split in v5", "0/admin?token=1,",
       pkt(T::Connect, "/admin?token=1", nullptr, -1, {}));
    v5("connect sid", R"(0{"sid":"oSO0OpakMV_3jnilAAAA"})",
       pkt(T::Connect, "/", R"({"sid":"oSO0OpakMV_3jnilAAAA"})", -1, {}));
    both("disconnect", "1", pkt(T::Disconnect, "/", nullptr, -1, {}));
    both("disconnect nsp", "1/admin,", pkt(T::Disconnect, "/admin", nullptr, -1, {}));
    both("event", R"(2["hello",1])", pkt(T::Event, "/", R"(["hello",1])", -1, {}));
    both("event nsp id", R"(2/admin,456["project:delete",123])",
         pkt(T::Event, "/admin", R"(["project:delete",123])", 456, {}));
    both("event id 0", R"(20["a"])", pkt(T::Event, "/", R"(["a"])", 0, {}));
    both("event id leading zeros", R"(2007["a"])", pkt(T::Event, "/", R"(["a"])", 7, {}));
    both("event max id", R"(29007199254740991["a"])",
         pkt(T::Event, "/", R"(["a"])", Q_INT64_C(9007199254740991), {}));
    both("event json whitespace", "2/x,5 [ \"a\" , {\"k\" : 1} ]\n",
         pkt(T::Event, "/x", R"(["a",{"k":1}])", 5, {}));
    both("event unicode", "2/caf\xc3\xa9,[\"\xe6\x97\xa5\",\"\\u00e9\\ud83d\\ude00\"]",
         pkt(T::Event, "/caf\xc3\xa9", "[\"\\u65e5\",\"\\u00e9\\ud83d\\ude00\"]", -1, {}));
    both("event nested", R"(2["e",{"a":[1,{"b":null}]},[],true])",
         pkt(T::Event, "/", R"(["e",{"a":[1,{"b":null}]},[],true])", -1, {}));
    both("event json number forms", R"(2["a",-0,0,0.5,1E5,1e-2,2.5e+3,-12,1.25E-1])",
         pkt(T::Event, "/", R"(["a",0,0,0.5,100000,0.01,2500,-12,0.125])", -1, {}));
    both("event json escapes", R"(2["\"\\\/\b\f\n\r\t\u0041\u00E9"])",
         pkt(T::Event, "/", "[\"\\\"\\\\/\\b\\f\\n\\r\\tA\\u00e9\"]", -1, {}));
    both("event json empty key and literals", R"(2["a",{"":[true,false,null]}])",
         pkt(T::Event, "/", R"(["a",{"":[true,false,null]}])", -1, {}));
    v4("v4 reserved name passes", R"(2["disconnect"])",
       pkt(T::Event, "/", R"(["disconnect"])", -1, {}));
    both("event placeholder without binary is data", "2[\"a\"," + ph0 + ']',
         pkt(T::Event, "/", QByteArray("[\"a\"," + ph0 + ']').constData(), -1, {}));
    both("ack empty", "3/admin,456[]", pkt(T::Ack, "/admin", "[]", 456, {}));
    both("ack values", R"(313["bar",null])", pkt(T::Ack, "/", R"(["bar",null])", 13, {}));
    v4("error string", R"(4/admin,"Not authorized")",
       pkt(T::ConnectError, "/admin", R"("Not authorized")", -1, {}));
    v4("error bare", "4", pkt(T::ConnectError, "/", nullptr, -1, {}));
    v4("error object", R"(4{"message":"x"})",
       pkt(T::ConnectError, "/", R"({"message":"x"})", -1, {}));
    v4("error true", "4true", pkt(T::ConnectError, "/", "true", -1, {}));
    v4("error null", "4 null ", pkt(T::ConnectError, "/", "null", -1, {}));
    v4("error array", "4[1]", pkt(T::ConnectError, "/", "[1]", -1, {}));
    v5("connect_error", R"(4{"message":"Not authorized"})",
       pkt(T::ConnectError, "/", R"({"message":"Not authorized"})", -1, {}));
    v5("connect_error data", R"(4/admin,{"message":"no","data":{"code":1}})",
       pkt(T::ConnectError, "/admin", R"({"data":{"code":1},"message":"no"})", -1, {}));
    v5("connect_error string", R"(4"legacy")", pkt(T::ConnectError, "/", R"("legacy")", -1, {}));
    both("binary event", "51-[\"hello\"," + ph0 + ']',
         pkt(T::BinaryEvent, "/", QByteArray("[\"hello\"," + ph0 + ']').constData(), -1, {}), 1);
    both("binary event nsp id nested",
         "53-/admin,7[\"e\",{\"a\":[" + ph1 + "],\"b\":{\"c\":" + ph2 + "}}," + ph0 + ']',
         pkt(T::BinaryEvent, "/admin",
             QByteArray("[\"e\",{\"a\":[" + ph1 + "],\"b\":{\"c\":" + ph2 + "}}," + ph0 + ']')
                 .constData(),
             7, {}),
         3);
    both("binary event unreferenced attachment", "52-[\"e\"," + ph1 + ']',
         pkt(T::BinaryEvent, "/", QByteArray("[\"e\"," + ph1 + ']').constData(), -1, {}), 2);
    both("binary ack", "61-/admin,456[" + ph0 + ']',
         pkt(T::BinaryAck, "/admin", QByteArray('[' + ph0 + ']').constData(), 456, {}), 1);
    both("binary count leading zero", "501-[\"e\"," + ph0 + ']',
         pkt(T::BinaryEvent, "/", QByteArray("[\"e\"," + ph0 + ']').constData(), -1, {}), 1);
}

void TestSioPacket::decode()
{
    QFETCH(Protocol, protocol);
    QFETCH(QByteArray, text);
    QFETCH(Packet, expected);
    QFETCH(int, attachments);

    int count = -1;
    QByteArray error;
    const std::optional<Packet> packet = decodeText(protocol, text, &count, &error);
    QVERIFY2(packet.has_value(), error.constData());
    QCOMPARE(describe(*packet), describe(expected));
    QVERIFY(*packet == expected);
    QCOMPARE(count, attachments);

    // The same text through the streaming decoder.
    Decoder decoder(protocol);
    QCOMPARE(decoder.feedText(text),
             attachments ? Decoder::Status::NeedMore : Decoder::Status::Packet);
    QCOMPARE(decoder.awaitingAttachments(), attachments > 0);
}

void TestSioPacket::decodeReject_data()
{
    QTest::addColumn<Protocol>("protocol");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("error");

    const auto both = [](const char *name, const QByteArray &text, const char *error) {
        QTest::addRow("v4 %s", name) << Protocol::V4 << text << QByteArray(error);
        QTest::addRow("v5 %s", name) << Protocol::V5 << text << QByteArray(error);
    };
    const auto v5 = [](const char *name, const QByteArray &text, const char *error) {
        QTest::addRow("v5 %s", name) << Protocol::V5 << text << QByteArray(error);
    };
    const QByteArray ph0 = placeholder(0);
    const char *type = "unknown packet type";
    const char *payload = "invalid payload";
    const char *badJson = "invalid JSON";
    const char *id = "invalid ack id";
    const char *nsp = "invalid namespace";
    const char *att = "illegal attachments";
    const char *tooMany = "too many attachments";

    both("empty", "", "empty packet");
    both("type 7", "7", type);
    both("type 9", R"(9["a"])", type);
    both("type letter", R"(a["a"])", type);
    both("type minus", "-1", type);
    both("leading space", R"( 2["a"])", type);
    both("json only", R"(["a"])", type);
    both("engine.io prefix left on", R"(42["a"])", id); // ERROR with an id

    both("event without data", "2", payload);
    both("event empty array", "2[]", payload);
    both("event number name", "2[1]", payload);
    both("event null name", "2[null]", payload);
    both("event array name", R"(2[["a"]])", payload);
    both("event object name", "2[{}]", payload);
    both("event object data", R"(2{"a":1})", payload);
    both("event string data", R"(2"a")", payload);
    both("event null data", "2null", payload);
    both("event number data after id", "21 2", payload);
    both("event nsp no data", "2/admin", payload);
    both("event nsp no comma", R"(2/admin["a"])", payload);
    both("binary event bad name", "51-[" + ph0 + ']', payload);
    v5("reserved connect", R"(2["connect"])", payload);
    v5("reserved connect_error", R"(2["connect_error"])", payload);
    v5("reserved disconnect", R"(2/admin,1["disconnect"])", payload);
    v5("reserved disconnecting", R"(2["disconnecting"])", payload);
    v5("reserved newListener", R"(2["newListener",1])", payload);
    v5("reserved removeListener binary", "51-[\"removeListener\"," + ph0 + ']', payload);

    both("ack without id", "3[]", id);
    both("ack without id or data", "3", id);
    both("ack without data", "31", payload);
    both("ack object", "31{}", payload);
    both("ack string", R"(31"a")", payload);
    both("ack null", "31null", payload);
    both("binary ack without id", "61-[" + ph0 + ']', id);

    both("connect array", "0[]", payload);
    both("connect string", R"(0"a")", payload);
    both("connect null", "0null", payload);
    both("connect bool", "0/a,true", payload);
    both("connect not json", "0/a,x", badJson);
    both("connect id", "01{}", id);
    both("disconnect object", "1{}", payload);
    both("disconnect array", "1/admin,[]", payload);
    both("disconnect id", "17", id);
    both("error id", "441", id);
    v5("connect_error array", "4[]", payload);
    v5("connect_error null", "4null", payload);
    v5("connect_error bool", "4true", payload);
    v5("connect_error number via id", "442", id);

    both("json unterminated", R"(2["a")", badJson);
    both("json trailing garbage", R"(2["a"]x)", badJson);
    both("json two values", R"(2["a"]["b"])", badJson);
    both("json trailing comma", R"(2["a",])", badJson);
    both("json single quotes", "2['a']", badJson);
    both("json bare word", "2[a]", badJson);
    both("json missing value", R"(2["a",{"k":}])", badJson);
    both("json bad escape", R"(2["\x"])", badJson);
    both("json raw control char", "2[\"a\x01\"]", badJson);
    both("json invalid utf8", "2[\"\xff\"]", badJson);
    both("json NaN", "2[\"a\",NaN]", badJson);
    both("json Infinity", "2[\"a\",Infinity]", badJson);
    both("json out of double range", "2[\"a\",1e400]", badJson); // JS: Infinity
    both("json raw tab in string", "2[\"a\tb\"]", badJson);
    both("json raw newline in string", "2[\"a\nb\"]", badJson);
    both("json short unicode escape", R"(2["\u12"])", badJson);
    both("json bad unicode escape", R"(2["\u12g4"])", badJson);
    both("json dangling backslash", "2[\"a\\", badJson);
    both("json leading zero", R"(2["a",01])", badJson);
    both("json bare dot", R"(2["a",1.])", badJson);
    both("json leading dot", R"(2["a",.5])", badJson);
    both("json plus sign", R"(2["a",+1])", badJson);
    both("json lone minus", R"(2["a",-])", badJson);
    both("json empty exponent", R"(2["a",1e])", badJson);
    both("json hex number", R"(2["a",0x10])", badJson);
    both("json BOM", "2\xef\xbb\xbf[\"a\"]", badJson);
    both("json vertical tab space", "2[\"a\"]\v", badJson);
    both("json object trailing comma", R"(2["a",{"k":1,}])", badJson);
    both("json unquoted key", R"(2["a",{k:1}])", badJson);
    both("json missing colon", R"(2["a",{"k" 1}])", badJson);
    both("json missing comma", R"(2["a" 1])", badJson);
    both("json extra close", R"(2["a"]])", badJson);
    both("json leading comma", R"(2[,"a"])", badJson);
    both("json double comma", R"(2["a",,1])", badJson);
    both("json truncated literal", R"(2["a",tru])", badJson);
    both("json capital literal", R"(2["a",True])", badJson);
    both("json NUL after", QByteArray("2[\"a\"]\0", 8), badJson);
    both("json too deep", "2[\"a\"," + QByteArray(2000, '[') + QByteArray(2000, ']') + ']',
         badJson);
    QTest::newRow("v4 error scalar list")
        << Protocol::V4 << QByteArray(R"(4"a","b")") << QByteArray(badJson);
    QTest::newRow("v4 error bad scalar")
        << Protocol::V4 << QByteArray("4tru") << QByteArray(badJson);
    QTest::newRow("v4 error unterminated string")
        << Protocol::V4 << QByteArray(R"(4"abc)") << QByteArray(badJson);
    QTest::newRow("v4 error scalar closes wrapper")
        << Protocol::V4 << QByteArray(R"(4"a"],["b")") << QByteArray(badJson);

    both("id above 2^53-1", R"(29007199254740992["a"])", id);
    both("id 17 digits", R"(210000000000000000["a"])", id);
    both("id 30 digits", R"(2999999999999999999999999999999["a"])", id);
    both("ack id above 2^53-1", "399999999999999999[]", id);

    both("nsp control char", "2/ad\x01min,[\"a\"]", nsp);
    both("nsp DEL", "2/ad\x7fmin,[\"a\"]", nsp);
    both("nsp newline", "0/admin\n,", nsp);
    both("nsp invalid utf8", "2/ad\xffmin,[\"a\"]", nsp);
    both("nsp truncated utf8", "0/caf\xc3,", nsp);
    QTest::newRow("v4 query control char")
        << Protocol::V4 << QByteArray("0/a?x=\x01,") << QByteArray(nsp);

    both("attachments no dash", R"(51["a"])", att);
    both("attachments no dash at end", "51", att);
    both("attachments type only", "5", att);
    both("attachments empty count", R"(5-["a"])", att);
    both("attachments zero", R"(50-["a"])", att);
    both("attachments negative", R"(5-1-["a"])", att);
    both("attachments letter", R"(5a-["a"])", att);
    both("attachments space", "5 1-[\"a\"," + ph0 + ']', att);
    both("attachments plus", "5+1-[\"a\"," + ph0 + ']', att);
    both("attachments over max", "565-[\"a\"," + ph0 + ']', tooMany);
    both("attachments huge", "59999999999-[\"a\"," + ph0 + ']', tooMany);
    both("binary ack zero", "60-1[]", att);
    both("placeholder num == count", "51-[\"a\",{\"_placeholder\":true,\"num\":1}]", att);
    both("placeholder num negative", "51-[\"a\",{\"_placeholder\":true,\"num\":-1}]", att);
    both("placeholder num fraction", "52-[\"a\",{\"_placeholder\":true,\"num\":0.5}]", att);
    both("placeholder num string", "51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]", att);
    both("placeholder num missing", "51-[\"a\",{\"_placeholder\":true}]", att);
    both("placeholder nested in object out of range",
         "52-[\"a\",{\"x\":{\"y\":[{\"_placeholder\":true,\"num\":2}]}}]", att);
    both("placeholder nested in array out of range",
         "52-/n,9[\"a\",[[" + ph0 + ",{\"_placeholder\":true,\"num\":5}]]]", att);
    both("binary ack placeholder out of range", "61-1[{\"_placeholder\":true,\"num\":1}]", att);
}

void TestSioPacket::decodeReject()
{
    QFETCH(Protocol, protocol);
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, error);

    QByteArray message;
    int count = -1;
    if (!error.startsWith("too many")) { // decodeText leaves the limit to the caller
        QVERIFY(!decodeText(protocol, text, &count, &message).has_value());
        QVERIFY2(message.startsWith(error), message.constData());
        QCOMPARE(count, 0);
    }

    Decoder decoder(protocol);
    QCOMPARE(decoder.feedText(text), Decoder::Status::Error);
    QVERIFY2(decoder.errorMessage().startsWith(error), decoder.errorMessage().constData());
    QVERIFY(!decoder.awaitingAttachments());
}

void TestSioPacket::decodeTextHasNoAttachmentLimit()
{
    int count = 0;
    const QByteArray text = "5100-[\"e\"," + placeholder(99) + ']';
    const std::optional<Packet> packet = decodeText(Protocol::V5, text, &count);
    QVERIFY(packet.has_value());
    QCOMPARE(packet->type, PacketType::BinaryEvent);
    QCOMPARE(count, 100);
    QCOMPARE(Decoder(Protocol::V5, 100).feedText(text), Decoder::Status::NeedMore);
    QCOMPARE(Decoder(Protocol::V5, 99).feedText(text), Decoder::Status::Error);
}

// ---------------------------------------------------------------------------
// Decoder state machine

void TestSioPacket::decoderBinarySequence_data()
{
    QTest::addColumn<Protocol>("protocol");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QList<QByteArray>>("binaries");
    QTest::addColumn<Packet>("expected");

    const QByteArray ph0 = placeholder(0), ph1 = placeholder(1), ph2 = placeholder(2);
    for (const Protocol p : {Protocol::V4, Protocol::V5}) {
        const char *v = p == Protocol::V4 ? "v4" : "v5";
        QTest::addRow("%s one", v)
            << p << QByteArray("51-[\"e\"," + ph0 + ']')
            << QList<QByteArray>{QByteArray::fromHex("010203")}
            << pkt(PacketType::Event, "/", QByteArray("[\"e\"," + ph0 + ']').constData(), -1,
                   {QByteArray::fromHex("010203")});
        QTest::addRow("%s three nested, in order", v)
            << p << QByteArray("53-/a,8[\"e\",{\"x\":[" + ph2 + "," + ph0 + "]}," + ph1 + ']')
            << QList<QByteArray>{QByteArray("zero"), QByteArray(), QByteArray(3, '\0')}
            << pkt(PacketType::Event, "/a",
                   QByteArray("[\"e\",{\"x\":[" + ph2 + "," + ph0 + "]}," + ph1 + ']').constData(),
                   8, {QByteArray("zero"), QByteArray(), QByteArray(3, '\0')});
        QTest::addRow("%s binary ack", v)
            << p << QByteArray("62-/a,8[" + ph0 + ',' + ph1 + ']')
            << QList<QByteArray>{QByteArray("a"), QByteArray("b")}
            << pkt(PacketType::Ack, "/a", QByteArray('[' + ph0 + ',' + ph1 + ']').constData(), 8,
                   {QByteArray("a"), QByteArray("b")});
    }
}

void TestSioPacket::decoderBinarySequence()
{
    QFETCH(Protocol, protocol);
    QFETCH(QByteArray, text);
    QFETCH(QList<QByteArray>, binaries);
    QFETCH(Packet, expected);

    Decoder decoder(protocol);
    QCOMPARE(decoder.feedText(text), Decoder::Status::NeedMore);
    for (qsizetype i = 0; i < binaries.size(); ++i) {
        QVERIFY(decoder.awaitingAttachments());
        const bool last = i + 1 == binaries.size();
        QCOMPARE(decoder.feedBinary(binaries.at(i)),
                 last ? Decoder::Status::Packet : Decoder::Status::NeedMore);
    }
    QVERIFY(!decoder.awaitingAttachments());
    const Packet packet = decoder.takePacket();
    QCOMPARE(describe(packet), describe(expected));
    QVERIFY(packet == expected);

    // The decoder is ready for the next packet.
    QCOMPARE(decoder.feedText(R"(2["next"])"), Decoder::Status::Packet);
    QCOMPARE(decoder.takePacket().data, json(R"(["next"])"));
}

void TestSioPacket::decoderSequencing_data()
{
    // Steps: "T:<text>" or "B:<bytes>"; statuses: N(eedMore) P(acket) E(rror).
    QTest::addColumn<Protocol>("protocol");
    QTest::addColumn<QList<QByteArray>>("steps");
    QTest::addColumn<QByteArray>("statuses");

    const QByteArray bin1 = "T:51-[\"e\"," + placeholder(0) + ']';
    const QByteArray bin2 = "T:62-3[" + placeholder(0) + ',' + placeholder(1) + ']';
    for (const Protocol p : {Protocol::V4, Protocol::V5}) {
        const char *v = p == Protocol::V4 ? "v4" : "v5";
        QTest::addRow("%s plain packets", v)
            << p << QList<QByteArray>{"T:0", "T:2[\"a\"]", "T:31[]", "T:1"} << QByteArray("PPPP");
        QTest::addRow("%s binary then plain", v)
            << p << QList<QByteArray>{bin1, "B:x", "T:2[\"a\"]"} << QByteArray("NPP");
        QTest::addRow("%s binary back to back", v)
            << p << QList<QByteArray>{bin1, "B:x", bin2, "B:y", "B:z", bin1, "B:"}
            << QByteArray("NPNNPNP");
        QTest::addRow("%s binary with nothing pending", v)
            << p << QList<QByteArray>{"B:x"} << QByteArray("E");
        QTest::addRow("%s extra binary after packet", v)
            << p << QList<QByteArray>{bin1, "B:x", "B:y"} << QByteArray("NPE");
        QTest::addRow("%s binary after plain packet", v)
            << p << QList<QByteArray>{"T:2[\"a\"]", "B:x"} << QByteArray("PE");
        QTest::addRow("%s text while pending", v)
            << p << QList<QByteArray>{bin2, "B:y", "T:2[\"a\"]"} << QByteArray("NNE");
        QTest::addRow("%s binary text while pending", v)
            << p << QList<QByteArray>{bin1, bin1} << QByteArray("NE");
        QTest::addRow("%s bad text then recovers", v)
            << p << QList<QByteArray>{"T:2[]", "T:2[\"a\"]"} << QByteArray("EP");
        QTest::addRow("%s pending dropped on error", v)
            << p << QList<QByteArray>{bin1, "T:2[\"a\"]", "B:x", "T:2[\"a\"]"}
            << QByteArray("NEEP");
        QTest::addRow("%s rejected binary header expects no binary", v)
            << p << QList<QByteArray>{"T:50-[\"e\"]", "B:x"} << QByteArray("EE");
    }
}

void TestSioPacket::decoderSequencing()
{
    QFETCH(Protocol, protocol);
    QFETCH(QList<QByteArray>, steps);
    QFETCH(QByteArray, statuses);
    QCOMPARE(steps.size(), statuses.size());

    Decoder decoder(protocol);
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QByteArray &step = steps.at(i);
        const QByteArray payload = step.mid(2);
        const Decoder::Status status =
            step.startsWith("T:") ? decoder.feedText(payload) : decoder.feedBinary(payload);
        const char got = status == Decoder::Status::Packet     ? 'P'
                         : status == Decoder::Status::NeedMore ? 'N'
                                                               : 'E';
        QVERIFY2(got == statuses.at(i),
                 QByteArray("step " + QByteArray::number(i) + " (" + step + "): got " + got)
                     .constData());
        if (status == Decoder::Status::Packet)
            decoder.takePacket();
        QCOMPARE(decoder.awaitingAttachments(), status == Decoder::Status::NeedMore);
        QCOMPARE(decoder.errorMessage().isEmpty(), status != Decoder::Status::Error);
    }
}

void TestSioPacket::decoderRecoversAfterError()
{
    Decoder decoder(Protocol::V5);
    QCOMPARE(decoder.feedText(QByteArray("51-[\"e\"," + placeholder(0) + ']')),
             Decoder::Status::NeedMore);
    QCOMPARE(decoder.feedText(R"(2["a"])"), Decoder::Status::Error);
    QVERIFY(decoder.errorMessage().contains("pending"));
    QVERIFY(!decoder.awaitingAttachments());
    QCOMPARE(decoder.feedBinary("x"), Decoder::Status::Error);
    QVERIFY(decoder.errorMessage().contains("binary"));
    QCOMPARE(decoder.feedText(R"(2/n,5["b",2])"), Decoder::Status::Packet);
    const Packet p = decoder.takePacket();
    QCOMPARE(p.nsp, QStringLiteral("/n"));
    QCOMPARE(p.id, std::optional<qint64>(5));
    QCOMPARE(p.data, json(R"(["b",2])"));
    QVERIFY(p.attachments.isEmpty());
}

void TestSioPacket::decoderMaxAttachments()
{
    const QByteArray two = "52-[\"e\"," + placeholder(1) + ']';
    const QByteArray three = "53-[\"e\"," + placeholder(2) + ']';
    Decoder decoder(Protocol::V4, 2);
    QCOMPARE(decoder.feedText(three), Decoder::Status::Error);
    QVERIFY(decoder.errorMessage().startsWith("too many attachments"));
    QCOMPARE(decoder.feedText(two), Decoder::Status::NeedMore);
    QCOMPARE(decoder.feedBinary("a"), Decoder::Status::NeedMore);
    QCOMPARE(decoder.feedBinary("b"), Decoder::Status::Packet);
    QCOMPARE(decoder.takePacket().attachments, (QList<QByteArray>{"a", "b"}));

    QCOMPARE(Decoder(Protocol::V5).feedText(QByteArray("564-[\"e\"," + placeholder(63) + ']')),
             Decoder::Status::NeedMore); // default limit is 64
    QCOMPARE(Decoder(Protocol::V5).feedText(QByteArray("565-[\"e\"," + placeholder(64) + ']')),
             Decoder::Status::Error);
}

// ---------------------------------------------------------------------------

void TestSioPacket::hasPlaceholders_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("expected");

    QTest::newRow("undefined") << QByteArray() << false;
    QTest::newRow("string") << QByteArray(R"("_placeholder")") << false;
    QTest::newRow("number") << QByteArray("0") << false;
    QTest::newRow("empty array") << QByteArray("[]") << false;
    QTest::newRow("plain event") << QByteArray(R"(["e",{"a":[1,2,{"num":0}]}])") << false;
    QTest::newRow("placeholder itself") << placeholder(0) << true;
    QTest::newRow("top level") << QByteArray("[\"e\"," + placeholder(3) + ']') << true;
    QTest::newRow("inside object") << QByteArray("[\"e\",{\"k\":" + placeholder(0) + "}]") << true;
    QTest::newRow("deep") << QByteArray("[\"e\",{\"a\":[[{\"b\":[" + placeholder(0) + "]}]]}]")
                          << true;
    QTest::newRow("false flag") << QByteArray(R"(["e",{"_placeholder":false,"num":0}])") << false;
    QTest::newRow("string flag") << QByteArray(R"(["e",{"_placeholder":"true","num":0}])") << false;
    QTest::newRow("flag without num") << QByteArray(R"({"_placeholder":true})") << true;
}

void TestSioPacket::hasPlaceholders()
{
    QFETCH(QByteArray, value);
    QFETCH(bool, expected);
    QCOMPARE(qpush::sio::hasPlaceholders(json(value.isNull() ? nullptr : value.constData())),
             expected);
}

QTEST_GUILESS_MAIN(TestSioPacket)
#include "tst_packet.moc"
