// The cluster bus codec: every kind round-trips field by field; truncated,
// padded or otherwise malformed input is refused (never a partial message).

#include "cluster/busmessage.h"

#include <QTest>
#include <QtEndian>

using namespace qpush;
using namespace qpush::cluster;

Q_DECLARE_METATYPE(qpush::cluster::BusMessage)

namespace {

BusMessage pushMessage()
{
    BusMessage m;
    m.kind = BusMessage::Kind::Push;
    m.origin = QByteArray("\x01\x02node-a\x00\xff", 10);
    m.push.id = 9007199254740991; // 2^53 - 1
    m.push.nsp = QStringLiteral("/demo");
    m.push.room = QStringLiteral("ä room ✓");
    m.push.pushData = R"({"message":"hi","n":[1,2,3]})";
    m.push.sendDate = 1765000000123;
    m.push.serverNum = 41;
    m.push.leaveMessage = true;
    m.push.apnsName = QStringLiteral("app");
    m.push.extra = QStringLiteral("x");
    m.push.exceptClient = QStringLiteral("c_1");
    m.push.expireAt = -1;
    return m;
}

BusMessage transferMessage(qsizetype ids)
{
    BusMessage m;
    m.kind = BusMessage::Kind::Transfer;
    m.origin = "node-b";
    m.nsp = QStringLiteral("/t");
    for (qsizetype i = 0; i < ids; ++i)
        m.clientIds.append(QStringLiteral("client-%1").arg(i));
    m.targetRoom = QStringLiteral("target");
    m.join = ids % 2 == 0;
    m.payload = R"({"type":"join"})";
    return m;
}

void compareMessages(const BusMessage &a, const BusMessage &b)
{
    QCOMPARE(int(a.kind), int(b.kind));
    QCOMPARE(a.origin, b.origin);
    QCOMPARE(a.push.id, b.push.id);
    QCOMPARE(a.push.nsp, b.push.nsp);
    QCOMPARE(a.push.room, b.push.room);
    QCOMPARE(a.push.pushData, b.push.pushData);
    QCOMPARE(a.push.sendDate, b.push.sendDate);
    QCOMPARE(a.push.serverNum, b.push.serverNum);
    QCOMPARE(a.push.leaveMessage, b.push.leaveMessage);
    QCOMPARE(a.push.apnsName, b.push.apnsName);
    QCOMPARE(a.push.extra, b.push.extra);
    QCOMPARE(a.push.exceptClient, b.push.exceptClient);
    QCOMPARE(a.push.expireAt, b.push.expireAt);
    QCOMPARE(a.nsp, b.nsp);
    QCOMPARE(a.clientIds, b.clientIds);
    QCOMPARE(a.targetRoom, b.targetRoom);
    QCOMPARE(a.join, b.join);
    QCOMPARE(a.payload, b.payload);
    QCOMPARE(a.room, b.room);
    QCOMPARE(a.event, b.event);
    QCOMPARE(a.exceptClient, b.exceptClient);
}

} // namespace

class TestBusMessage : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip_data()
    {
        QTest::addColumn<BusMessage>("message");
        QTest::newRow("push") << pushMessage();
        BusMessage empty;
        empty.kind = BusMessage::Kind::Push;
        QTest::newRow("push, empty fields") << empty;
        QTest::newRow("transfer, no ids") << transferMessage(0);
        QTest::newRow("transfer, 3 ids") << transferMessage(3);
        QTest::newRow("transfer, 1000 ids") << transferMessage(1000);
        BusMessage ns;
        ns.kind = BusMessage::Kind::NamespaceChanged;
        ns.origin = "n";
        ns.nsp = QStringLiteral("/news");
        QTest::newRow("namespace changed") << ns;
        BusMessage ev;
        ev.kind = BusMessage::Kind::RoomEvent;
        ev.origin = "n2";
        ev.nsp = QStringLiteral("/chat");
        ev.room = QStringLiteral("lobby");
        ev.event = QStringLiteral("peopleJoin");
        ev.exceptClient = QStringLiteral("c-9");
        ev.payload = R"({"sid":"c-9","clientOffline":false})";
        QTest::newRow("room event") << ev;
    }
    void roundTrip()
    {
        QFETCH(BusMessage, message);
        const QByteArray bytes = encodeBusMessage(message);
        const std::optional<BusMessage> back = decodeBusMessage(bytes);
        QVERIFY(back.has_value());
        compareMessages(*back, message);
        QCOMPARE(encodeBusMessage(*back), bytes);
    }

    void refusesTruncatedAndPadded_data()
    {
        QTest::addColumn<BusMessage>("message");
        QTest::newRow("push") << pushMessage();
        QTest::newRow("transfer") << transferMessage(4);
        BusMessage ev;
        ev.kind = BusMessage::Kind::RoomEvent;
        ev.nsp = QStringLiteral("/n");
        ev.room = QStringLiteral("r");
        ev.event = QStringLiteral("peopleLeave");
        ev.payload = "{}";
        QTest::newRow("room event") << ev;
    }
    void refusesTruncatedAndPadded()
    {
        QFETCH(BusMessage, message);
        const QByteArray bytes = encodeBusMessage(message);
        for (qsizetype n = 0; n < bytes.size(); ++n)
            QVERIFY2(!decodeBusMessage(bytes.left(n)), qPrintable(QString::number(n)));
        QVERIFY(!decodeBusMessage(bytes + '\0'));
    }

    void refusesMalformed_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        const QByteArray good = encodeBusMessage(pushMessage());
        QTest::newRow("empty") << QByteArray();
        QByteArray magic = good;
        magic[0] = 'X';
        QTest::newRow("bad magic") << magic;
        QByteArray version = good;
        version[2] = 2;
        QTest::newRow("unknown version") << version;
        QByteArray kind = good;
        kind[3] = 9;
        QTest::newRow("unknown kind") << kind;
        QByteArray zeroKind = good;
        zeroKind[3] = 0;
        QTest::newRow("kind 0") << zeroKind;

        // leaveMessage is one byte after origin, id, nsp, room, pushData,
        // sendDate and serverNum; 2 is not a boolean.
        const BusMessage p = pushMessage();
        const qsizetype boolAt = 4 + 4 + p.origin.size() + 8 + 4 + p.push.nsp.toUtf8().size() + 4 +
                                 p.push.room.toUtf8().size() + 4 + p.push.pushData.size() + 8 + 8;
        QByteArray badBool = good;
        QCOMPARE(int(badBool.at(boolAt)), 1);
        badBool[boolAt] = 2;
        QTest::newRow("boolean 2") << badBool;

        // A string length beyond the input.
        QByteArray longString = good;
        qToBigEndian(quint32(0xffffffff), longString.data() + 4);
        QTest::newRow("length beyond input") << longString;

        // A transfer announcing more ids than its bytes can hold.
        const BusMessage t = transferMessage(1);
        QByteArray count = encodeBusMessage(t);
        const qsizetype countAt = 4 + 4 + t.origin.size() + 4 + t.nsp.toUtf8().size();
        qToBigEndian(qint64(1000000), count.data() + countAt);
        QTest::newRow("id count beyond input") << count;
        qToBigEndian(qint64(-1), count.data() + countAt);
        QTest::newRow("negative id count") << count;
    }
    void refusesMalformed()
    {
        QFETCH(QByteArray, bytes);
        QVERIFY(!decodeBusMessage(bytes).has_value());
    }
};

QTEST_GUILESS_MAIN(TestBusMessage)
#include "tst_busmessage.moc"
