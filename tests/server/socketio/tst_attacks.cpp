// Attacks on the transport layers, in process (issue 11): each test
// reproduces one attack against net/engineio/socketio on loopback, bounded,
// and then shows the server still serves a well-behaved client.
#include "support/siofixture.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace qpush;
using qpush::test::SioClient;
using qpush::test::SioFixture;

namespace {

// A Socket.IO v5 client on a raw socket that completes the WebSocket and
// namespace handshakes and then never reads again: its kernel buffers fill
// and the server's output for it piles up (a "slow reader").
class SlowClient
{
public:
    ~SlowClient()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool open(quint16 port)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (m_fd < 0)
            return false;
        int small = 16 * 1024;
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
            return false;
        ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
        const QByteArray upgrade = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                                   "Host: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                   "Sec-WebSocket-Version: 13\r\n\r\n";
        if (::write(m_fd, upgrade.constData(), size_t(upgrade.size())) != upgrade.size())
            return false;
        if (!readUntil("0{"))
            return false;
        // "40" in a masked text frame (mask 0: the payload stays as is).
        const char connect[] = {'\x81', '\x82', 0, 0, 0, 0, '4', '0'};
        if (::write(m_fd, connect, sizeof connect) != qsizetype(sizeof connect))
            return false;
        return readUntil("40{");
    }
    // True once the server closed the connection (reads what is left).
    bool closedByServer()
    {
        char buf[65536];
        for (;;) {
            const ssize_t n = ::read(m_fd, buf, sizeof buf);
            if (n == 0)
                return true;
            if (n < 0)
                return errno == ECONNRESET;
        }
    }

private:
    bool readUntil(const QByteArray &marker)
    {
        return QTest::qWaitFor(
            [&] {
                char buf[4096];
                const ssize_t n = ::read(m_fd, buf, sizeof buf);
                if (n > 0)
                    m_seen.append(buf, n);
                return m_seen.contains(marker);
            },
            5000);
    }
    int m_fd = -1;
    QByteArray m_seen;
};

} // namespace

class TestSioAttacks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { qpush::test::quietServerLogs(); }
    void slowMembersCutOffDuringBroadcast();
    void earlyPacketsCapped_data();
    void earlyPacketsCapped();
    void attachmentBytesCapped();
    void manyRooms();
    void pendingSessionsCapped();
};

// Issue 11 finding 1: two members of a room stop reading; a large broadcast
// to the room passes their output cap; cutting one off runs a disconnect
// hook that broadcasts to the same room again. Closes must wait for the end
// of the walk (they used to run inside it and free the room being walked).
void TestSioAttacks::slowMembersCutOffDuringBroadcast()
{
    net::ConnectionLimits limits;
    limits.maxOutputBytes = 256 * 1024;
    SioFixture fx({}, qpush::test::testEngineOptions(), limits);
    QVERIFY(fx.listening);
    sio::Namespace *root = fx.io.of(u"/"_s);
    root->onConnection([](sio::Socket *s) {
        if (s->queryValue(u"healthy"_s).isEmpty())
            s->join(u"slow"_s);
    });
    const QByteArray big(900 * 1024, 'x');
    int leaves = 0;
    root->onDisconnect([&](sio::Socket *s, const QString &) {
        ++leaves;
        // What the domain does (peopleLeave): tell the socket's rooms.
        for (const QString &room : s->rooms())
            root->to(room).emit(u"peopleLeave"_s, {QString::fromLatin1(big)});
    });

    SlowClient a, b;
    QVERIFY(a.open(fx.port()));
    QVERIFY(b.open(fx.port()));
    QTRY_COMPARE(root->room(u"slow"_s).size(), 2);
    auto healthy = fx.open(4, "healthy=1");
    QVERIFY(healthy);
    QVERIFY(!healthy->connectRoot().isEmpty());

    // Push 900 kB to the room once per event-loop pass until the members are
    // cut off (their kernel buffers hold a few MB at most; bounded loop).
    int pushes = 0;
    while (root->room(u"slow"_s).size() > 0 && pushes < 60) {
        root->to(u"slow"_s).emit(u"push"_s, {QString::fromLatin1(big)});
        ++pushes;
        QTest::qWait(5);
    }
    QTRY_COMPARE(leaves, 2);
    QCOMPARE(root->room(u"slow"_s).size(), 0);
    QTRY_VERIFY(a.closedByServer());
    QTRY_VERIFY(b.closedByServer());
    qInfo("slow members cut off after %d pushes of 900 kB", pushes);

    // The server still serves others.
    QCOMPARE(root->emit(u"after"_s), 1);
    QCOMPARE(healthy->nextText(), R"(42["after"])"_ba);
}

void TestSioAttacks::earlyPacketsCapped_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("size");
    QTest::addColumn<bool>("cut");
    QTest::newRow("within both caps") << 10 << 10 << false;
    QTest::newRow("too many packets") << 11 << 10 << true;
    QTest::newRow("too many bytes") << 2 << 3000 << true;
}

// Issue 11 finding 6: packets sent while a connect middleware is pending
// are held, up to a count and a byte total; past them the client is closed.
void TestSioAttacks::earlyPacketsCapped()
{
    QFETCH(int, count);
    QFETCH(int, size);
    QFETCH(bool, cut);
    sio::ServerOptions options;
    options.maxEarlyPackets = 10;
    options.maxEarlyBytes = 4000;
    SioFixture fx(options);
    QVERIFY(fx.listening);
    sio::Namespace *root = fx.io.of(u"/"_s);
    std::function<void(std::optional<sio::ConnectError>)> admit;
    root->use([&](sio::Socket *, std::function<void(std::optional<sio::ConnectError>)> next) {
        admit = std::move(next);
    });
    QStringList got;
    root->on(u"e"_s, [&](sio::Socket *, sio::Payload &p, sio::Ack) {
        got.append(p.args.at(0).toString());
    });
    auto c = fx.open(4);
    QVERIFY(c);
    c->send("0");
    QTRY_VERIFY(bool(admit));
    const QString arg(size, u'a');
    for (int i = 0; i < count; ++i)
        c->send("2[\"e\",\"" + arg.toLatin1() + "\"]");
    if (cut) {
        QVERIFY(c->waitDisconnected(10000));
        QTRY_COMPARE(fx.io.clientCount(), 0);
        return;
    }
    QTest::qWait(100);
    QVERIFY(!c->isDisconnected());
    admit(std::nullopt);
    QVERIFY(c->nextText().startsWith("40{"));
    QTRY_COMPARE(got.size(), count);
}

// Issue 11 finding 6: the attachments of one packet are held until the last
// one arrives; their total is capped.
void TestSioAttacks::attachmentBytesCapped()
{
    sio::ServerOptions options;
    options.maxAttachmentBytes = 10000;
    SioFixture fx(options);
    QVERIFY(fx.listening);
    sio::Namespace *root = fx.io.of(u"/"_s);
    int events = 0;
    root->on(u"e"_s, [&](sio::Socket *, sio::Payload &, sio::Ack) { ++events; });
    auto ok = fx.open(4);
    QVERIFY(ok && !ok->connectRoot().isEmpty());
    // Within the cap: delivered.
    ok->send(R"(52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    ok->sendBinary(QByteArray(4000, 'x'));
    ok->sendBinary(QByteArray(4000, 'y'));
    QTRY_COMPARE(events, 1);
    // 64 announced, sent until the total passes the cap: closed.
    auto bad = fx.open(4);
    QVERIFY(bad && !bad->connectRoot().isEmpty());
    bad->send(R"(564-["e",{"_placeholder":true,"num":0}])");
    for (int i = 0; i < 4; ++i)
        bad->sendBinary(QByteArray(4000, 'z'));
    QVERIFY(bad->waitDisconnected(10000));
    QCOMPARE(events, 1);
    QCOMPARE(root->socketCount(), 1);
}

// Issue 11 finding 4: joining and leaving many rooms stays consistent (and
// costs O(1) per room: an index past a few rooms).
void TestSioAttacks::manyRooms()
{
    SioFixture fx;
    QVERIFY(fx.listening);
    sio::Namespace *root = fx.io.of(u"/"_s);
    auto c = fx.open(4);
    QVERIFY(c);
    sio::Socket *s = root->socket(c->connectRoot());
    QVERIFY(s);
    const int n = 20000;
    for (int i = 0; i < n; ++i)
        s->join(QString::number(i));
    for (int i = 0; i < n; ++i)
        s->join(QString::number(i)); // joining again changes nothing
    QCOMPARE(s->rooms().size(), n);
    QCOMPARE(root->roomCount(), n);
    for (int i = 0; i < n; i += 2)
        s->leave(QString::number(i));
    s->leave(u"not a member"_s);
    QCOMPARE(s->rooms().size(), n / 2);
    QCOMPARE(root->roomCount(), n / 2);
    QSet<QString> left(s->rooms().cbegin(), s->rooms().cend());
    QCOMPARE(left.size(), n / 2);
    for (int i = 1; i < n; i += 2)
        QVERIFY(left.contains(QString::number(i)));
    QCOMPARE(root->room(u"1"_s).size(), 1);
    QCOMPARE(root->room(u"0"_s).size(), 0);
    for (int i = 1; i < n; i += 2)
        s->leave(QString::number(i));
    QVERIFY(s->rooms().isEmpty());
    QCOMPARE(root->roomCount(), 0);
    // Small again: the list alone keeps order.
    s->join(u"a"_s);
    s->join(u"b"_s);
    s->leave(u"a"_s);
    QCOMPARE(s->rooms(), QStringList{u"b"_s});
}

// Issue 11 finding 10: sessions that have not joined a namespace are capped
// for all addresses together (loopback, exempt from the per-address limits,
// included): past max_pending_sessions a new session is closed at once, and
// one that joins frees its place.
void TestSioAttacks::pendingSessionsCapped()
{
    sio::ServerOptions options;
    options.maxPendingClients = 2;
    SioFixture fx(options);
    QVERIFY(fx.listening);
    sio::Namespace *root = fx.io.of(u"/"_s);
    QList<std::function<void(std::optional<sio::ConnectError>)>> admits;
    root->use([&](sio::Socket *, std::function<void(std::optional<sio::ConnectError>)> next) {
        admits.append(std::move(next));
    });
    auto a = fx.open(4);
    auto b = fx.open(4);
    QVERIFY(a && b);
    QCOMPARE(fx.io.pendingClients(), 2);
    auto c = fx.open(4); // over the cap: closed at once
    QVERIFY(c);
    QVERIFY(c->waitDisconnected(10000));
    QCOMPARE(fx.io.pendingClients(), 2);
    QVERIFY(!a->isDisconnected());
    a->send("0");
    QTRY_COMPARE(admits.size(), 1);
    admits.first()(std::nullopt);
    QVERIFY(a->nextText().startsWith("40{"));
    QCOMPARE(fx.io.pendingClients(), 1); // a joined
    auto d = fx.open(4);
    QVERIFY(d);
    QTest::qWait(100);
    QVERIFY(!d->isDisconnected());
    QCOMPARE(fx.io.pendingClients(), 2);
    b.reset();
    d.reset();
    QTRY_COMPARE(fx.io.pendingClients(), 0);
}

QTEST_GUILESS_MAIN(TestSioAttacks)
#include "tst_attacks.moc"
