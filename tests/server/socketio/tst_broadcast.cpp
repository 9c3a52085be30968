// Rooms and broadcasts of sio::Server in process, with QWebSocket clients
// of both protocol generations (EIO=3 / Socket.IO v4 and EIO=4 / v5), also
// mixed in one namespace: every recipient gets the message exactly once,
// nobody else gets it.
#include "support/siofixture.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <vector>

using namespace Qt::StringLiterals;
using namespace qpush;
using qpush::test::SioClient;
using qpush::test::SioFixture;

namespace {
QJsonObject placeholder(int num)
{
    return QJsonObject{{u"_placeholder"_s, true}, {u"num"_s, num}};
}
} // namespace

class TestSioBroadcast : public QObject
{
    Q_OBJECT

private:
    struct Peer
    {
        std::unique_ptr<SioClient> client;
        sio::Socket *root = nullptr;
        sio::Socket *custom = nullptr;
    };

    std::unique_ptr<SioFixture> m_fx;
    sio::Namespace *m_root = nullptr;
    sio::Namespace *m_custom = nullptr;

    // Opens a client of generation `eio`, connected to "/" (and "/custom").
    bool addPeer(std::vector<Peer> &peers, int eio, bool custom = false)
    {
        Peer p;
        p.client = m_fx->open(eio);
        if (!p.client)
            return false;
        const QByteArray rootId = p.client->connectRoot();
        p.root = m_root->socket(rootId);
        if (!p.root)
            return false;
        if (custom) {
            p.custom = m_custom->socket(p.client->connectNamespace("/custom"));
            if (!p.custom)
                return false;
        }
        peers.push_back(std::move(p));
        return true;
    }

    static QList<int> generations(const QString &mix, int count)
    {
        QList<int> out;
        for (int i = 0; i < count; ++i)
            out.append(mix == u"v4" ? 3 : mix == u"v5" ? 4 : (i % 2 ? 4 : 3));
        return out;
    }

private Q_SLOTS:
    void initTestCase() { qpush::test::quietServerLogs(); }
    void init()
    {
        m_fx = std::make_unique<SioFixture>();
        QVERIFY(m_fx->listening);
        m_root = m_fx->io.of(u"/"_s);
        m_custom = m_fx->io.of(u"/custom"_s);
    }
    void cleanup() { m_fx.reset(); }

    void recipients_data();
    void recipients();
    void joinAndLeave_data();
    void joinAndLeave();
    void binaryBroadcast();
    void customNamespaceBroadcast_data();
    void customNamespaceBroadcast();
    void pendingAndDisconnectedSocketsAreSkipped();
    void removeNamespaceDisconnectsSockets();
    void closeAll();
};

// ---- recipients ------------------------------------------------------------------

void TestSioBroadcast::recipients_data()
{
    QTest::addColumn<QString>("mix");
    QTest::addColumn<QStringList>("rooms");
    QTest::addColumn<QList<int>>("exceptPeers");
    QTest::addColumn<QStringList>("exceptRooms");
    QTest::addColumn<QList<int>>("expected");

    // Peers: 0 in {A}, 1 in {A, B}, 2 in {B}, 3 in no room. Peer 0 is also
    // in "/custom" room A (must never get a "/" broadcast).
    struct Row
    {
        const char *name;
        QStringList rooms;
        QList<int> exceptPeers;
        QStringList exceptRooms;
        QList<int> expected;
    };
    const QString A = u"A"_s, B = u"B"_s;
    const QList<Row> rows = {
        {"all", {}, {}, {}, {0, 1, 2, 3}},
        {"room A", {A}, {}, {}, {0, 1}},
        {"room B", {B}, {}, {}, {1, 2}},
        {"rooms A+B once each", {A, B}, {}, {}, {0, 1, 2}},
        {"rooms B+A+A", {B, A, A}, {}, {}, {0, 1, 2}},
        {"rooms A+B+unknown", {A, B, u"nobody"_s}, {}, {}, {0, 1, 2}},
        {"unknown room", {u"nobody"_s}, {}, {}, {}},
        {"A except 1", {A}, {1}, {}, {0}},
        {"A+B except 0,2", {A, B}, {0, 2}, {}, {1}},
        {"all except 3", {}, {3}, {}, {0, 1, 2}},
        {"all exceptRoom B", {}, {}, {B}, {0, 3}},
        {"A exceptRoom B", {A}, {}, {B}, {0}},
        {"A+B exceptRoom A", {A, B}, {}, {A}, {2}},
        {"all except 3 exceptRoom A", {}, {3}, {A}, {2}},
        {"A exceptRoom A", {A}, {}, {A}, {}},
        {"all exceptRooms A+B", {}, {}, {A, B}, {3}},
        // "#N" stands for peer N's socket id, which works as a room of one.
        {"id of 2", {u"#2"_s}, {}, {}, {2}},
        {"id of 3 + room A", {u"#3"_s, A}, {}, {}, {0, 1, 3}},
        {"id of 1 + room A once", {u"#1"_s, A}, {}, {}, {0, 1}},
        {"A exceptRoom id of 1", {A}, {}, {u"#1"_s}, {0}},
        {"all exceptRoom ids of 0,3", {}, {}, {u"#0"_s, u"#3"_s}, {1, 2}},
    };
    for (const char *mix : {"v4", "v5", "mixed"})
        for (const Row &r : rows)
            QTest::addRow("%s: %s", mix, r.name) << QString::fromLatin1(mix) << r.rooms
                                                 << r.exceptPeers << r.exceptRooms << r.expected;
}

void TestSioBroadcast::recipients()
{
    QFETCH(QString, mix);
    QFETCH(QStringList, rooms);
    QFETCH(QList<int>, exceptPeers);
    QFETCH(QStringList, exceptRooms);
    QFETCH(QList<int>, expected);

    std::vector<Peer> peers;
    const QList<int> gens = generations(mix, 4);
    for (int i = 0; i < 4; ++i)
        QVERIFY(addPeer(peers, gens.at(i), i == 0));
    peers[0].root->join(u"A"_s);
    peers[1].root->join(u"A"_s);
    peers[1].root->join(u"B"_s);
    peers[2].root->join(u"B"_s);
    peers[0].custom->join(u"A"_s);
    QCOMPARE(m_root->room(u"A"_s).size(), 2);
    QCOMPARE(m_root->room(u"B"_s).size(), 2);

    auto resolve = [&peers](QStringList names) {
        for (QString &n : names)
            if (n.startsWith(u'#'))
                n = QString::fromLatin1(peers.at(size_t(n.mid(1).toInt())).root->id());
        return names;
    };
    sio::Broadcast b = rooms.isEmpty() ? m_root->all() : m_root->to(resolve(rooms));
    for (int i : exceptPeers)
        b.except(peers.at(size_t(i)).root->id());
    for (const QString &r : resolve(exceptRooms))
        b.exceptRoom(r);

    QSet<sio::Socket *> visited;
    int visits = 0;
    b.forEach([&](sio::Socket *s) {
        visited.insert(s);
        ++visits;
    });
    QSet<sio::Socket *> expectedSockets;
    for (int i : expected)
        expectedSockets.insert(peers.at(i).root);
    QCOMPARE(visited, expectedSockets);
    QCOMPARE(visits, expected.size());

    const qsizetype sent = b.emit(u"news"_s, {QJsonObject{{u"n"_s, 1}}, u"\u00e9t\u00e9"_s});
    QCOMPARE(sent, expected.size());
    // A sentinel to everybody: what a peer gets before it is all it got.
    QCOMPARE(m_root->emit(u"end"_s), 4);
    for (int i = 0; i < int(peers.size()); ++i) {
        SioClient *c = peers.at(i).client.get();
        if (expected.contains(i))
            QCOMPARE(c->nextText(), QByteArray(R"(42["news",{"n":1},"été"])"));
        QCOMPARE(c->nextText(), R"(42["end"])"_ba);
        QCOMPARE(c->queued(), 0);
    }
}

void TestSioBroadcast::joinAndLeave_data()
{
    QTest::addColumn<int>("eio");
    QTest::newRow("v4 (EIO=3)") << 3;
    QTest::newRow("v5 (EIO=4)") << 4;
}

void TestSioBroadcast::joinAndLeave()
{
    QFETCH(int, eio);
    // Clients manage their rooms through events, as the domain layer does.
    m_root->on(u"join"_s, [](sio::Socket *s, sio::Payload &p, sio::Ack ack) {
        s->join(p.args.at(0).toString());
        ack({true});
    });
    m_root->on(u"leave"_s, [](sio::Socket *s, sio::Payload &p, sio::Ack ack) {
        s->leave(p.args.at(0).toString());
        ack({true});
    });

    std::vector<Peer> peers;
    QVERIFY(addPeer(peers, eio));
    QVERIFY(addPeer(peers, eio));
    SioClient *c0 = peers[0].client.get();
    SioClient *c1 = peers[1].client.get();
    sio::Socket *s0 = peers[0].root;

    c0->send(R"(21["join","r1"])");
    QCOMPARE(c0->nextText(), "431[true]"_ba);
    c0->send(R"(22["join","r2"])");
    QCOMPARE(c0->nextText(), "432[true]"_ba);
    c0->send(R"(23["join","r1"])"); // twice: no effect
    QCOMPARE(c0->nextText(), "433[true]"_ba);
    c1->send(R"(21["join","r2"])");
    QCOMPARE(c1->nextText(), "431[true]"_ba);
    QCOMPARE(s0->rooms(), (QStringList{u"r1"_s, u"r2"_s}));
    QCOMPARE(m_root->room(u"r1"_s).size(), 1);
    QVERIFY(m_root->room(u"r1"_s).contains(s0));
    QCOMPARE(m_root->room(u"r2"_s).size(), 2);
    QCOMPARE(m_root->roomCount(), 2);

    QCOMPARE(m_root->to(u"r1"_s).emit(u"one"_s), 1);
    QCOMPARE(c0->nextText(), R"(42["one"])"_ba);
    QCOMPARE(m_root->to(u"r2"_s).emit(u"two"_s), 2);
    QCOMPARE(c0->nextText(), R"(42["two"])"_ba);
    QCOMPARE(c1->nextText(), R"(42["two"])"_ba);

    c0->send(R"(24["leave","r1"])");
    QCOMPARE(c0->nextText(), "434[true]"_ba);
    c0->send(R"(25["leave","never-joined"])");
    QCOMPARE(c0->nextText(), "435[true]"_ba);
    QCOMPARE(s0->rooms(), QStringList{u"r2"_s});
    QCOMPARE(m_root->room(u"r1"_s).size(), 0);
    QCOMPARE(m_root->roomCount(), 1); // an empty room is dropped
    QCOMPARE(m_root->to(u"r1"_s).emit(u"nobody"_s), 0);

    // A socket that leaves "/" leaves its rooms.
    c1->send("1");
    QTRY_COMPARE(m_root->room(u"r2"_s).size(), 1);
    QCOMPARE(m_root->to(u"r2"_s).emit(u"three"_s), 1);
    QCOMPARE(c0->nextText(), R"(42["three"])"_ba);
    QCOMPARE(c0->queued(), 0);
}

// ---- binary and namespaces -----------------------------------------------------------

void TestSioBroadcast::binaryBroadcast()
{
    std::vector<Peer> peers;
    for (int eio : {3, 4, 3, 4})
        QVERIFY(addPeer(peers, eio, true));
    for (int i : {0, 1, 2})
        peers[i].custom->join(u"bin"_s);

    const QByteArray blob0("\x00\x04\xff\x10", 4);
    const QByteArray blob1(300, '\x7f');
    const qsizetype sent = m_custom->to(u"bin"_s).emit(
        u"files"_s, {placeholder(0), QJsonObject{{u"second"_s, placeholder(1)}}}, {blob0, blob1});
    QCOMPARE(sent, 3);
    for (int i = 0; i < 3; ++i) {
        SioClient *c = peers.at(i).client.get();
        QCOMPARE(
            c->nextText(),
            R"(452-/custom,["files",{"_placeholder":true,"num":0},{"second":{"_placeholder":true,"num":1}}])"_ba);
        QCOMPARE(c->nextBinary(), blob0);
        QCOMPARE(c->nextBinary(), blob1);
    }
    QCOMPARE(m_custom->emit(u"end"_s), 4);
    for (const Peer &p : peers)
        QCOMPARE(p.client->nextText(), R"(42/custom,["end"])"_ba);
}

void TestSioBroadcast::customNamespaceBroadcast_data()
{
    QTest::addColumn<int>("eio");
    QTest::newRow("v4 (EIO=3)") << 3;
    QTest::newRow("v5 (EIO=4)") << 4;
}

void TestSioBroadcast::customNamespaceBroadcast()
{
    QFETCH(int, eio);
    std::vector<Peer> peers;
    QVERIFY(addPeer(peers, eio, true));
    QVERIFY(addPeer(peers, eio, false)); // "/" only
    peers[0].root->join(u"r"_s);
    peers[0].custom->join(u"r"_s);
    peers[1].root->join(u"r"_s);

    QCOMPARE(m_custom->to(u"r"_s).emit(u"c"_s, {1}), 1);
    QCOMPARE(m_root->to(u"r"_s).emit(u"d"_s, {2}), 2);
    QCOMPARE(peers[0].client->nextText(), R"(42/custom,["c",1])"_ba);
    QCOMPARE(peers[0].client->nextText(), R"(42["d",2])"_ba);
    QCOMPARE(peers[1].client->nextText(), R"(42["d",2])"_ba);
    QCOMPARE(peers[0].client->queued(), 0);
    QCOMPARE(peers[1].client->queued(), 0);
    // except() takes the socket id of the namespace broadcast from.
    QCOMPARE(m_custom->to(u"r"_s).except(peers[0].root->id()).emit(u"e"_s), 1);
    QCOMPARE(m_custom->to(u"r"_s).except(peers[0].custom->id()).emit(u"f"_s), 0);
    QCOMPARE(peers[0].client->nextText(), R"(42/custom,["e"])"_ba);
}

void TestSioBroadcast::pendingAndDisconnectedSocketsAreSkipped()
{
    std::function<void(std::optional<sio::ConnectError>)> pendingNext;
    m_custom->use([&](sio::Socket *, std::function<void(std::optional<sio::ConnectError>)> next) {
        pendingNext = std::move(next);
    });
    std::vector<Peer> peers;
    QVERIFY(addPeer(peers, 4));
    QVERIFY(addPeer(peers, 3));
    for (Peer &p : peers)
        p.client->send("0/custom,");
    QTRY_VERIFY(pendingNext);
    // Nobody is in "/custom" while its middleware runs.
    QCOMPARE(m_custom->emit(u"early"_s), 0);
    QCOMPARE(m_custom->socketCount(), 0);

    // A socket that left is not a recipient even while its object lives on.
    peers[1].root->join(u"r"_s);
    peers[0].root->join(u"r"_s);
    peers[1].root->disconnect();
    QCOMPARE(peers[1].client->nextText(), "41"_ba);
    QCOMPARE(m_root->to(u"r"_s).emit(u"x"_s), 1);
    QCOMPARE(m_root->emit(u"y"_s), 1);
    QCOMPARE(peers[0].client->nextText(), R"(42["x"])"_ba);
    QCOMPARE(peers[0].client->nextText(), R"(42["y"])"_ba);
    QCOMPARE(peers[1].client->queued(), 0);
}

void TestSioBroadcast::removeNamespaceDisconnectsSockets()
{
    std::vector<Peer> peers;
    QVERIFY(addPeer(peers, 3, true));
    QVERIFY(addPeer(peers, 4, true));
    QStringList reasons;
    m_custom->onDisconnect([&](sio::Socket *, const QString &r) { reasons.append(r); });
    m_fx->io.removeNamespace(u"/custom"_s);
    QVERIFY(!m_fx->io.find(u"/custom"_s));
    for (const Peer &p : peers)
        QCOMPARE(p.client->nextText(), "41/custom,"_ba);
    QCOMPARE(reasons.size(), 2);
    // "/" is untouched.
    QCOMPARE(m_root->emit(u"still"_s), 2);
    for (const Peer &p : peers)
        QCOMPARE(p.client->nextText(), R"(42["still"])"_ba);
    // The name is unknown now.
    peers[1].client->send("0/custom,");
    QCOMPARE(peers[1].client->nextText(), R"(44/custom,{"message":"Invalid namespace"})"_ba);
}

void TestSioBroadcast::closeAll()
{
    std::vector<Peer> peers;
    QVERIFY(addPeer(peers, 3, true));
    QVERIFY(addPeer(peers, 4, true));
    int disconnects = 0;
    m_root->onDisconnect([&](sio::Socket *, const QString &) { ++disconnects; });
    m_custom->onDisconnect([&](sio::Socket *, const QString &) { ++disconnects; });
    m_fx->io.closeAll();
    for (const Peer &p : peers) {
        QVERIFY(p.client->waitDisconnected());
        QVERIFY(p.client->gotClosePacket());
    }
    QTRY_COMPARE(disconnects, 4);
    QTRY_COMPARE(m_fx->io.clientCount(), 0);
}

QTEST_GUILESS_MAIN(TestSioBroadcast)
#include "tst_broadcast.moc"
