// sio::Server in process behind net::HttpServer, driven by QWebSocket
// clients that speak raw Engine.IO / Socket.IO frames, for both protocol
// generations: EIO=3 (Socket.IO v4, socket.io 2.x) and EIO=4 (v5).
// Namespaces, CONNECT/auth/query, dynamic namespaces, middlewares, acks,
// binary attachments, disconnects, parse errors and the connect timeout.
// Rooms and broadcasts are in tst_broadcast.cpp.
#include "support/siofixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace qpush;
using qpush::test::SioClient;
using qpush::test::SioFixture;

namespace {

// The JSON value after `prefix` in a frame (any JSON, also a bare string).
QJsonValue jsonAfter(const QByteArray &frame, const QByteArray &prefix)
{
    if (!frame.startsWith(prefix))
        return QJsonValue(QJsonValue::Undefined);
    const QJsonDocument d = QJsonDocument::fromJson('[' + frame.mid(prefix.size()) + ']');
    return d.isArray() && d.array().size() == 1 ? d.array().at(0)
                                                : QJsonValue(QJsonValue::Undefined);
}

QJsonObject placeholder(int num)
{
    return QJsonObject{{u"_placeholder"_s, true}, {u"num"_s, num}};
}

// The connect request for a custom namespace: v5 with an auth object, v4
// with a query.
QByteArray connectPacket(int eio, const QByteArray &nsp, const QByteArray &v5Auth,
                         const QByteArray &v4Query)
{
    if (eio == 4)
        return "0" + nsp + ',' + v5Auth;
    return "0" + nsp + (v4Query.isEmpty() ? QByteArray() : QByteArray('?' + v4Query)) + ',';
}

} // namespace

class TestSioServer : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<SioFixture> m_fx;
    sio::Namespace *m_root = nullptr;
    sio::Namespace *m_custom = nullptr;

    void start(sio::ServerOptions options = {})
    {
        m_fx.reset();
        m_fx = std::make_unique<SioFixture>(options);
        QVERIFY(m_fx->listening);
        m_root = m_fx->io.of(u"/"_s);
        m_custom = m_fx->io.of(u"/custom"_s);
        // "/" answers "barrier" with an empty ack: once the ack is back, every
        // frame the client sent before it has been handled by the server.
        m_root->on(u"barrier"_s, [](sio::Socket *, sio::Payload &, sio::Ack ack) { ack(); });
    }

    // Round trip through "/" (the client must be connected to it).
    static bool barrier(SioClient *c)
    {
        c->send("2999[\"barrier\"]");
        return c->nextText() == "43999[]";
    }

private Q_SLOTS:
    void initTestCase() { qpush::test::quietServerLogs(); }
    void init() { start(); }
    void cleanup() { m_fx.reset(); }

    void connectRootAndCustom_data();
    void connectRootAndCustom();
    void v5ConnectWithAuth();
    void v4ImplicitConnectAndQuery();
    void unknownNamespaceRefused_data();
    void unknownNamespaceRefused();
    void dynamicNamespaces_data();
    void dynamicNamespaces();
    void middlewareRefusal_data();
    void middlewareRefusal();
    void middlewareAcceptsAndKeepsEarlyEvents_data();
    void middlewareAcceptsAndKeepsEarlyEvents();
    void middlewareClientGone_data();
    void middlewareClientGone();
    void clientToServerAck_data();
    void clientToServerAck();
    void serverEmitWithAck_data();
    void serverEmitWithAck();
    void binaryEventsAndAcks_data();
    void binaryEventsAndAcks();
    void clientNamespaceDisconnect_data();
    void clientNamespaceDisconnect();
    void serverSocketDisconnect_data();
    void serverSocketDisconnect();
    void engineIoClose_data();
    void engineIoClose();
    void leavingLastNamespace_data();
    void leavingLastNamespace();
    void parseErrorClosesSession_data();
    void parseErrorClosesSession();
    void connectTimeout();
};

namespace {
void addGenerations()
{
    QTest::addColumn<int>("eio");
    QTest::newRow("v4 (EIO=3)") << 3;
    QTest::newRow("v5 (EIO=4)") << 4;
}
} // namespace

// ---- namespaces and CONNECT ---------------------------------------------------

void TestSioServer::connectRootAndCustom_data()
{
    addGenerations();
}

void TestSioServer::connectRootAndCustom()
{
    QFETCH(int, eio);
    QList<sio::Socket *> connected;
    QStringList events;
    for (sio::Namespace *nsp : {m_root, m_custom}) {
        nsp->onConnection([&](sio::Socket *s) { connected.append(s); });
        nsp->on(u"ping"_s, [&](sio::Socket *s, sio::Payload &p, sio::Ack) {
            events.append(s->nsp()->name() + u':' + p.args.at(0).toString());
        });
    }

    auto c = m_fx->open(eio);
    QVERIFY(c);
    const QByteArray rootId = c->connectRoot();
    QVERIFY(!rootId.isEmpty());
    const QByteArray customId = c->connectNamespace("/custom");
    QVERIFY(!customId.isEmpty());
    if (eio == 3) {
        QCOMPARE(rootId, c->sid());
        QCOMPARE(customId, QByteArray("/custom#" + c->sid()));
    } else {
        QVERIFY(rootId != customId);
        QVERIFY(rootId != c->sid()); // v5 socket ids are not the session id
    }

    QCOMPARE(connected.size(), 2);
    sio::Socket *rs = m_root->socket(rootId);
    sio::Socket *cs = m_custom->socket(customId);
    QVERIFY(rs);
    QVERIFY(cs);
    QCOMPARE(connected, (QList<sio::Socket *>{rs, cs}));
    QCOMPARE(rs->client(), cs->client()); // one Engine.IO session, two sockets
    QCOMPARE(rs->client()->session()->id(), c->sid());
    QCOMPARE(rs->protocol(), eio == 3 ? sio::Protocol::V4 : sio::Protocol::V5);
    QVERIFY(rs->isConnected());
    QCOMPARE(m_fx->io.clientCount(), 1);

    c->send(R"(2["ping","a"])");
    c->send(R"(2/custom,["ping","b"])");
    QVERIFY(barrier(c.get()));
    QCOMPARE(events, (QStringList{u"/:a"_s, u"/custom:b"_s}));

    rs->emit(u"hello"_s, {1});
    cs->emit(u"hello"_s, {2, u"x"_s});
    QCOMPARE(c->nextText(), R"(42["hello",1])"_ba);
    QCOMPARE(c->nextText(), R"(42/custom,["hello",2,"x"])"_ba);

    // A second CONNECT for a namespace already joined changes nothing.
    c->send(connectPacket(eio, "/custom", {}, {}));
    QVERIFY(barrier(c.get()));
    QCOMPARE(connected.size(), 2);
    QCOMPARE(m_custom->socketCount(), 1);
}

void TestSioServer::v5ConnectWithAuth()
{
    auto c = m_fx->open(4, "foo=bar");
    QVERIFY(c);
    c->send(R"(0{"token":"abc"})");
    const QByteArray reply = c->nextText();
    const QJsonObject o = jsonAfter(reply, "40").toObject();
    QCOMPARE(o.keys(), QStringList{u"sid"_s}); // exactly {"sid":...}
    const QByteArray sid = o.value(u"sid"_s).toString().toLatin1();
    sio::Socket *s = m_root->socket(sid);
    QVERIFY(s);
    QCOMPARE(s->auth(), (QJsonObject{{u"token"_s, u"abc"_s}}));
    QCOMPARE(s->handshake().protocol, sio::Protocol::V5);
    QCOMPARE(s->queryValue(u"foo"_s), u"bar"_s);
    QCOMPARE(s->handshake().address, QHostAddress(QHostAddress::LocalHost));

    c->send(R"(0/custom,{"n":1,"nested":{"a":[1,2]}})");
    const QByteArray customReply = c->nextText();
    const QJsonObject co = jsonAfter(customReply, "40/custom,").toObject();
    QCOMPARE(co.keys(), QStringList{u"sid"_s});
    sio::Socket *cs = m_custom->socket(co.value(u"sid"_s).toString().toLatin1());
    QVERIFY(cs);
    QCOMPARE(cs->auth().value(u"n"_s).toInt(), 1);
    QCOMPARE(cs->auth().value(u"nested"_s).toObject().value(u"a"_s).toArray(), (QJsonArray{1, 2}));
    QVERIFY(cs->id() != s->id());

    // CONNECT without auth gives {} as auth.
    auto c2 = m_fx->open(4);
    QVERIFY(c2);
    const QByteArray id2 = c2->connectRoot();
    QVERIFY(!id2.isEmpty());
    QVERIFY(m_root->socket(id2));
    QCOMPARE(m_root->socket(id2)->auth(), QJsonObject());
}

void TestSioServer::v4ImplicitConnectAndQuery()
{
    QList<sio::Socket *> connected;
    m_root->onConnection([&](sio::Socket *s) { connected.append(s); });
    m_custom->onConnection([&](sio::Socket *s) { connected.append(s); });

    auto c = m_fx->open(3, "foo=bar&x=url");
    QVERIFY(c);
    // The server connects "/" on its own and says so.
    QCOMPARE(c->nextText(), "40"_ba);
    QCOMPARE(connected.size(), 1);
    QCOMPARE(connected.first()->id(), c->sid());
    QCOMPARE(connected.first()->nsp(), m_root);

    // An explicit "40" for "/" is ignored (already connected).
    c->send("0");
    QVERIFY(barrier(c.get()));
    QCOMPARE(connected.size(), 1);

    c->send("0/custom?x=1&y=%C3%A9&foo=baz,");
    QCOMPARE(c->nextText(), "40/custom,"_ba);
    QCOMPARE(connected.size(), 2);
    sio::Socket *cs = m_custom->socket("/custom#" + c->sid());
    QVERIFY(cs);
    QCOMPARE(connected.last(), cs);
    QCOMPARE(cs->queryValue(u"x"_s), u"1"_s); // the namespace query wins
    QCOMPARE(cs->queryValue(u"y"_s), u"\u00e9"_s);
    QCOMPARE(cs->queryValue(u"foo"_s), u"baz"_s);
    QCOMPARE(cs->queryValue(u"EIO"_s), u"3"_s); // the URL's query behind it
    QCOMPARE(cs->queryObject().value(u"x"_s).toString(), u"1"_s);
    QCOMPARE(cs->auth(), QJsonObject());
    sio::Socket *rs = m_root->socket(c->sid());
    QVERIFY(rs);
    QCOMPARE(rs->queryValue(u"x"_s), u"url"_s);
    QCOMPARE(rs->queryValue(u"foo"_s), u"bar"_s);
}

void TestSioServer::unknownNamespaceRefused_data()
{
    addGenerations();
}

void TestSioServer::unknownNamespaceRefused()
{
    QFETCH(int, eio);
    auto c = m_fx->open(eio);
    QVERIFY(c);
    const QByteArray rootId = c->connectRoot();
    QVERIFY(!rootId.isEmpty());

    c->send(connectPacket(eio, "/x", {}, {}));
    // Both generations get {"message":...}, as the official socket.io
    // protocol suites expect (socket.io 2.5 itself sends a bare string).
    QCOMPARE(c->nextText(), R"(44/x,{"message":"Invalid namespace"})"_ba);
    QVERIFY(!m_fx->io.find(u"/x"_s));

    // Events for the refused namespace go nowhere; the session stays usable.
    c->send(R"(2/x,["barrier"])");
    QVERIFY(barrier(c.get()));
    QVERIFY(!c->isDisconnected());
    m_root->socket(rootId)->emit(u"still"_s);
    QCOMPARE(c->nextText(), R"(42["still"])"_ba);
}

// ---- dynamic namespaces -----------------------------------------------------------

void TestSioServer::dynamicNamespaces_data()
{
    addGenerations();
}

void TestSioServer::dynamicNamespaces()
{
    QFETCH(int, eio);
    QStringList created;
    QStringList admissionQueries;
    int admissionCalls = 0;
    m_fx->io.setNamespaceAdmission(
        [&](const QString &name, const sio::Handshake &h,
            std::function<void(std::optional<sio::ConnectError>)> decide) {
            ++admissionCalls;
            admissionQueries.append(h.queryValue(u"k"_s));
            // Decide later, as a store lookup would.
            QTimer::singleShot(5, &m_fx->io, [name, decide] {
                if (name.startsWith(u"/dyn-"))
                    decide(std::nullopt);
                else
                    decide(sio::ConnectError{u"no such tenant"_s, {}});
            });
        });
    m_fx->io.setNamespaceCreatedHook([&](sio::Namespace *nsp) {
        created.append(nsp->name());
        nsp->on(u"echo"_s, [](sio::Socket *, sio::Payload &p, sio::Ack ack) { ack(p.args); });
    });

    auto c1 = m_fx->open(eio);
    auto c2 = m_fx->open(eio);
    QVERIFY(c1);
    QVERIFY(c2);
    QVERIFY(!c1->connectRoot().isEmpty());
    QVERIFY(!c2->connectRoot().isEmpty());

    // An event sent right after CONNECT, while admission runs, is kept.
    c1->send(connectPacket(eio, "/dyn-a", "{}", "k=v"));
    c1->send(R"(2/dyn-a,1["echo","early"])");
    QVERIFY(c1->nextText().startsWith("40/dyn-a,"));
    QCOMPARE(c1->nextText(), R"(43/dyn-a,1["early"])"_ba);
    QCOMPARE(created, QStringList{u"/dyn-a"_s});
    QVERIFY(m_fx->io.find(u"/dyn-a"_s));
    if (eio == 3)
        QCOMPARE(admissionQueries.first(), u"v"_s); // v4: the CONNECT query is in the handshake

    // A second client gets the existing namespace: no admission, no new hook call.
    QVERIFY(!c2->connectNamespace("/dyn-a").isEmpty());
    QCOMPARE(created, QStringList{u"/dyn-a"_s});
    QCOMPARE(admissionCalls, 1);
    QCOMPARE(m_fx->io.find(u"/dyn-a"_s)->socketCount(), 2);

    // Refused names: the reason reaches the client and nothing is kept.
    const qsizetype namespacesBefore = m_fx->io.findChildren<sio::Namespace *>().size();
    constexpr int refused = 200;
    for (int i = 0; i < refused; ++i)
        c2->send(connectPacket(eio, "/nope-" + QByteArray::number(i), {}, {}));
    for (int i = 0; i < refused; ++i) {
        const QByteArray prefix = "44/nope-" + QByteArray::number(i) + ',';
        const QByteArray frame = c2->nextText();
        const QJsonValue v = jsonAfter(frame, prefix);
        if (eio == 4)
            QCOMPARE(v.toObject(), (QJsonObject{{u"message"_s, u"no such tenant"_s}}));
        else
            QCOMPARE(v.toString(), u"no such tenant"_s);
    }
    for (int i = 0; i < refused; ++i)
        QVERIFY(!m_fx->io.find(u"/nope-"_s + QString::number(i)));
    QCOMPARE(m_fx->io.findChildren<sio::Namespace *>().size(), namespacesBefore);
    QCOMPARE(created.size(), 1);
    QCOMPARE(admissionCalls, 1 + refused);
    QVERIFY(barrier(c2.get()));
}

// ---- middlewares --------------------------------------------------------------------

void TestSioServer::middlewareRefusal_data()
{
    QTest::addColumn<int>("eio");
    QTest::addColumn<bool>("withData");
    QTest::newRow("v4") << 3 << false;
    QTest::newRow("v4 data") << 3 << true;
    QTest::newRow("v5") << 4 << false;
    QTest::newRow("v5 data") << 4 << true;
}

void TestSioServer::middlewareRefusal()
{
    QFETCH(int, eio);
    QFETCH(bool, withData);
    int connections = 0;
    QString seenToken;
    m_custom->onConnection([&](sio::Socket *) { ++connections; });
    m_custom->on(u"ev"_s, [&](sio::Socket *, sio::Payload &, sio::Ack) { ++connections; });
    m_custom->use([&](sio::Socket *s, std::function<void(std::optional<sio::ConnectError>)> next) {
        seenToken = eio == 4 ? s->auth().value(u"token"_s).toString() : s->queryValue(u"token"_s);
        QTimer::singleShot(10, &m_fx->io, [next, withData] {
            sio::ConnectError e{u"not authorized"_s, {}};
            if (withData)
                e.data = QJsonObject{{u"code"_s, 401}};
            next(e);
        });
    });

    auto c = m_fx->open(eio);
    QVERIFY(c);
    QVERIFY(!c->connectRoot().isEmpty());
    c->send(connectPacket(eio, "/custom", R"({"token":"bad"})", "token=bad"));
    c->send(R"(2/custom,["ev"])"); // early event of a socket that will be refused
    const QJsonValue v = jsonAfter(c->nextText(), "44/custom,");
    if (eio == 4) {
        QJsonObject expected{{u"message"_s, u"not authorized"_s}};
        if (withData)
            expected.insert(u"data"_s, QJsonObject{{u"code"_s, 401}});
        QCOMPARE(v.toObject(), expected);
    } else if (withData) {
        QCOMPARE(v.toObject(), (QJsonObject{{u"code"_s, 401}})); // socket.io 2.x: err.data
    } else {
        QCOMPARE(v.toString(), u"not authorized"_s);
    }
    QCOMPARE(seenToken, u"bad"_s);
    QVERIFY(barrier(c.get()));
    QCOMPARE(connections, 0);
    QCOMPARE(m_custom->socketCount(), 0);
    QVERIFY(!c->isDisconnected());
}

void TestSioServer::middlewareAcceptsAndKeepsEarlyEvents_data()
{
    addGenerations();
}

void TestSioServer::middlewareAcceptsAndKeepsEarlyEvents()
{
    QFETCH(int, eio);
    int syncCalls = 0;
    std::function<void(std::optional<sio::ConnectError>)> pendingNext;
    QStringList log;
    m_custom->use([&](sio::Socket *, std::function<void(std::optional<sio::ConnectError>)> next) {
        ++syncCalls;
        next(std::nullopt);
    });
    m_custom->use([&](sio::Socket *s, std::function<void(std::optional<sio::ConnectError>)> next) {
        log.append(u"middleware connected="_s + (s->isConnected() ? u"1"_s : u"0"_s));
        pendingNext = std::move(next); // the test calls it later
    });
    m_custom->onConnection([&](sio::Socket *) { log.append(u"connect"_s); });
    m_custom->on(u"ev"_s, [&](sio::Socket *, sio::Payload &p, sio::Ack ack) {
        log.append(u"ev:"_s + p.args.at(0).toString());
        if (ack.isRequested())
            ack({p.args.at(0)});
    });
    m_custom->on(u"bin"_s, [&](sio::Socket *, sio::Payload &p, sio::Ack) {
        log.append(u"bin:"_s + QString::fromLatin1(p.attachments.value(0).toHex()));
    });
    m_root->on(u"mark"_s, [&](sio::Socket *, sio::Payload &, sio::Ack) { log.append(u"mark"_s); });

    auto c = m_fx->open(eio);
    QVERIFY(c);
    QVERIFY(!c->connectRoot().isEmpty());
    c->send(connectPacket(eio, "/custom", "{}", {}));
    for (int i = 1; i <= 5; ++i)
        c->send(R"(2/custom,["ev","e)" + QByteArray::number(i) + "\"]");
    c->send(R"(51-/custom,["bin",{"_placeholder":true,"num":0}])");
    c->sendBinary(QByteArray("\x01\x02", 2));
    c->send(R"(2/custom,7["ev","e6"])");
    c->send(R"(2["mark"])");
    QVERIFY(barrier(c.get())); // all of the above reached the server

    QCOMPARE(syncCalls, 1);
    QVERIFY(pendingNext);
    QCOMPARE(log, (QStringList{u"middleware connected=0"_s, u"mark"_s}));
    QCOMPARE(m_custom->socketCount(), 0);
    QCOMPARE(c->queued(), 0); // no CONNECT reply yet

    std::exchange(pendingNext, {})(std::nullopt);
    QVERIFY(c->nextText().startsWith(eio == 4 ? "40/custom,{\"sid\":" : "40/custom,"));
    QCOMPARE(log, (QStringList{u"middleware connected=0"_s, u"mark"_s, u"connect"_s, u"ev:e1"_s,
                               u"ev:e2"_s, u"ev:e3"_s, u"ev:e4"_s, u"ev:e5"_s, u"bin:0102"_s,
                               u"ev:e6"_s}));
    QCOMPARE(c->nextText(), R"(43/custom,7["e6"])"_ba);
    QCOMPARE(m_custom->socketCount(), 1);

    // Events after the connect go straight through.
    c->send(R"(2/custom,8["ev","late"])");
    QCOMPARE(c->nextText(), R"(43/custom,8["late"])"_ba);
    QCOMPARE(log.last(), u"ev:late"_s);
}

void TestSioServer::middlewareClientGone_data()
{
    addGenerations();
}

void TestSioServer::middlewareClientGone()
{
    QFETCH(int, eio);
    std::function<void(std::optional<sio::ConnectError>)> pendingNext;
    int connections = 0;
    m_custom->use([&](sio::Socket *, std::function<void(std::optional<sio::ConnectError>)> next) {
        pendingNext = std::move(next);
    });
    m_custom->onConnection([&](sio::Socket *) { ++connections; });

    auto c = m_fx->open(eio);
    QVERIFY(c);
    QVERIFY(!c->connectRoot().isEmpty());
    c->send(connectPacket(eio, "/custom", "{}", {}));
    c->send(R"(2/custom,["ev"])");
    QTRY_VERIFY(pendingNext);
    c->closeSocket();
    QTRY_COMPARE(m_fx->io.clientCount(), 0);
    QTest::qWait(0);                              // deferred deletes of the client and its sockets
    std::exchange(pendingNext, {})(std::nullopt); // the middleware finishes late
    QCOMPARE(connections, 0);
    QCOMPARE(m_custom->socketCount(), 0);
}

// ---- acks ---------------------------------------------------------------------------------

void TestSioServer::clientToServerAck_data()
{
    addGenerations();
}

void TestSioServer::clientToServerAck()
{
    QFETCH(int, eio);
    QList<bool> requested;
    m_custom->on(u"add"_s, [](sio::Socket *, sio::Payload &p, sio::Ack ack) {
        ack({p.args.at(0).toInt() + p.args.at(1).toInt(), u"sum"_s});
    });
    m_root->on(u"maybe"_s, [&](sio::Socket *, sio::Payload &, sio::Ack ack) {
        requested.append(ack.isRequested());
        ack({1}); // a no-op when no ack was asked for
    });
    m_root->on(u"twice"_s, [&](sio::Socket *, sio::Payload &, sio::Ack ack) {
        sio::Ack copy = ack;
        ack({1});
        ack({2}); // an ack goes out once
        Q_UNUSED(copy);
    });

    auto c = m_fx->open(eio);
    QVERIFY(c);
    QVERIFY(!c->connectRoot().isEmpty());
    QVERIFY(!c->connectNamespace("/custom").isEmpty());

    c->send(R"(2/custom,5["add",2,3])");
    QCOMPARE(c->nextText(), R"(43/custom,5[5,"sum"])"_ba);
    c->send(R"(2["maybe"])");
    c->send(R"(212["maybe"])");
    QCOMPARE(c->nextText(), R"(4312[1])"_ba);
    QCOMPARE(requested, (QList<bool>{false, true}));
    c->send(R"(233["twice"])");
    QCOMPARE(c->nextText(), R"(4333[1])"_ba);
    QVERIFY(barrier(c.get())); // and no second ack before it
}

void TestSioServer::serverEmitWithAck_data()
{
    addGenerations();
}

void TestSioServer::serverEmitWithAck()
{
    QFETCH(int, eio);
    auto c = m_fx->open(eio);
    QVERIFY(c);
    const QByteArray rootId = c->connectRoot();
    QVERIFY(!rootId.isEmpty());
    const QByteArray id = c->connectNamespace("/custom");
    QVERIFY(!id.isEmpty());
    sio::Socket *s = m_custom->socket(id);
    QVERIFY(s);

    int calls = 0;
    bool timedOut = true;
    QJsonArray reply;
    s->emitWithAck(u"question"_s, {u"x"_s}, [&](bool t, sio::Payload &p) {
        ++calls;
        timedOut = t;
        reply = p.args;
    });
    QCOMPARE(c->nextText(), R"(42/custom,0["question","x"])"_ba);
    c->send(R"(3/custom,0["answer",42])");
    QTRY_COMPARE(calls, 1);
    QVERIFY(!timedOut);
    QCOMPARE(reply, (QJsonArray{u"answer"_s, 42}));
    c->send(R"(3/custom,0["again"])"); // a second ACK for the same id is ignored
    QVERIFY(barrier(c.get()));
    QCOMPARE(calls, 1);

    // No answer: the callback reports the timeout once; a late ACK is ignored.
    int calls2 = 0;
    bool timedOut2 = false;
    s->emitWithAck(
        u"q2"_s, {},
        [&](bool t, sio::Payload &) {
            ++calls2;
            timedOut2 = t;
        },
        100);
    QCOMPARE(c->nextText(), R"(42/custom,1["q2"])"_ba);
    QTRY_COMPARE(calls2, 1);
    QVERIFY(timedOut2);
    c->send(R"(3/custom,1["late"])");
    QVERIFY(barrier(c.get()));
    QCOMPARE(calls2, 1);

    // Ack ids keep counting; "/" has its own socket and ids.
    sio::Socket *rs = m_root->socket(rootId);
    QVERIFY(rs);
    int calls3 = 0;
    rs->emitWithAck(u"q3"_s, {true},
                    [&](bool t, sio::Payload &p) { calls3 += !t && p.args == QJsonArray{u"r"_s}; });
    QCOMPARE(c->nextText(), R"(420["q3",true])"_ba);
    c->send(R"(30["r"])");
    QTRY_COMPARE(calls3, 1);
}

// ---- binary -----------------------------------------------------------------------------------

void TestSioServer::binaryEventsAndAcks_data()
{
    addGenerations();
}

void TestSioServer::binaryEventsAndAcks()
{
    QFETCH(int, eio);
    const QByteArray blob0("\x00\x01\x02\xff", 4);
    const QByteArray blob1("second");
    const QByteArray replyBlob("\xff\x00reply", 7);
    QJsonArray gotArgs;
    QList<QByteArray> gotAttachments;
    m_custom->on(u"upload"_s, [&](sio::Socket *, sio::Payload &p, sio::Ack ack) {
        gotArgs = p.args;
        gotAttachments = p.attachments;
        ack({placeholder(0), u"ok"_s}, {replyBlob});
    });
    m_root->on(u"rootbin"_s, [&](sio::Socket *s, sio::Payload &p, sio::Ack) {
        s->emit(u"back"_s, p.args, p.attachments); // echo with the same placeholders
    });

    auto c = m_fx->open(eio);
    QVERIFY(c);
    QVERIFY(!c->connectRoot().isEmpty());
    const QByteArray id = c->connectNamespace("/custom");
    QVERIFY(!id.isEmpty());
    sio::Socket *s = m_custom->socket(id);
    QVERIFY(s);

    // client -> server: binary event with two attachments and an ack id;
    // the ack comes back binary.
    c->send(
        R"(52-/custom,4["upload",{"_placeholder":true,"num":0},"mid",{"_placeholder":true,"num":1}])");
    c->sendBinary(blob0);
    c->sendBinary(blob1);
    QCOMPARE(c->nextText(), R"(461-/custom,4[{"_placeholder":true,"num":0},"ok"])"_ba);
    QCOMPARE(c->nextBinary(), replyBlob);
    QCOMPARE(gotAttachments, (QList<QByteArray>{blob0, blob1}));
    QCOMPARE(gotArgs, (QJsonArray{placeholder(0), u"mid"_s, placeholder(1)}));

    // "/" (no namespace in the frame), echoed back as a binary event.
    c->send(R"(51-["rootbin",{"_placeholder":true,"num":0}])");
    c->sendBinary(blob1);
    QCOMPARE(c->nextText(), R"(451-["back",{"_placeholder":true,"num":0}])"_ba);
    QCOMPARE(c->nextBinary(), blob1);

    // server -> client: binary event.
    s->emit(u"file"_s, {placeholder(0), u"name"_s}, {blob0});
    QCOMPARE(c->nextText(), R"(451-/custom,["file",{"_placeholder":true,"num":0},"name"])"_ba);
    QCOMPARE(c->nextBinary(), blob0);

    // server emitWithAck with an attachment, answered by a binary ack.
    QList<QByteArray> ackAttachments;
    QJsonArray ackArgs;
    bool ackTimedOut = true;
    s->emitWithAck(u"rq"_s, {placeholder(0)},
                   [&](bool t, sio::Payload &p) {
                       ackTimedOut = t;
                       ackArgs = p.args;
                       ackAttachments = p.attachments;
                   },
                   5000, {blob1});
    QCOMPARE(c->nextText(), R"(451-/custom,0["rq",{"_placeholder":true,"num":0}])"_ba);
    QCOMPARE(c->nextBinary(), blob1);
    c->send(R"(61-/custom,0[{"_placeholder":true,"num":0},7])");
    c->sendBinary("ans");
    QTRY_COMPARE(ackAttachments, QList<QByteArray>{"ans"_ba});
    QVERIFY(!ackTimedOut);
    QCOMPARE(ackArgs, (QJsonArray{placeholder(0), 7}));
}

// ---- disconnects ---------------------------------------------------------------------------

void TestSioServer::clientNamespaceDisconnect_data()
{
    addGenerations();
}

void TestSioServer::clientNamespaceDisconnect()
{
    QFETCH(int, eio);
    QStringList rootReasons;
    QStringList customReasons;
    int customEvents = 0;
    m_root->onDisconnect([&](sio::Socket *, const QString &r) { rootReasons.append(r); });
    m_custom->onDisconnect([&](sio::Socket *s, const QString &r) {
        QVERIFY(!s->isConnected());
        customReasons.append(r);
    });
    m_custom->on(u"ev"_s, [&](sio::Socket *, sio::Payload &, sio::Ack) { ++customEvents; });

    auto c = m_fx->open(eio);
    QVERIFY(c);
    QVERIFY(!c->connectRoot().isEmpty());
    const QByteArray id = c->connectNamespace("/custom");
    QVERIFY(!id.isEmpty());
    m_custom->socket(id)->join(u"r"_s);
    QCOMPARE(m_custom->room(u"r"_s).size(), 1);

    c->send("1/custom,");
    QTRY_COMPARE(customReasons, QStringList{u"client namespace disconnect"_s});
    QCOMPARE(m_custom->socketCount(), 0);
    QCOMPARE(m_custom->room(u"r"_s).size(), 0);
    QCOMPARE(m_custom->roomCount(), 0);

    // The session and "/" live on; events for the left namespace go nowhere.
    c->send(R"(2/custom,["ev"])");
    QVERIFY(barrier(c.get()));
    QCOMPARE(customEvents, 0);
    QVERIFY(rootReasons.isEmpty());
    QCOMPARE(m_fx->io.clientCount(), 1);
    QVERIFY(!c->isDisconnected());

    // It can join again.
    QVERIFY(!c->connectNamespace("/custom").isEmpty());
    QCOMPARE(m_custom->socketCount(), 1);
}

void TestSioServer::serverSocketDisconnect_data()
{
    addGenerations();
}

void TestSioServer::serverSocketDisconnect()
{
    QFETCH(int, eio);
    QStringList rootReasons;
    QStringList customReasons;
    m_root->onDisconnect([&](sio::Socket *, const QString &r) { rootReasons.append(r); });
    m_custom->onDisconnect([&](sio::Socket *, const QString &r) { customReasons.append(r); });

    auto c = m_fx->open(eio);
    QVERIFY(c);
    const QByteArray rootId = c->connectRoot();
    QVERIFY(!rootId.isEmpty());
    const QByteArray id = c->connectNamespace("/custom");
    QVERIFY(!id.isEmpty());
    sio::Socket *cs = m_custom->socket(id);
    cs->join(u"r"_s);
    bool ackTimedOut = false;
    int ackCalls = 0;
    cs->emitWithAck(u"pending"_s, {}, [&](bool t, sio::Payload &) {
        ++ackCalls;
        ackTimedOut = t;
    });
    QCOMPARE(c->nextText(), R"(42/custom,0["pending"])"_ba);

    cs->disconnect();
    QCOMPARE(c->nextText(), "41/custom,"_ba);
    QCOMPARE(customReasons, QStringList{u"server namespace disconnect"_s});
    QCOMPARE(m_custom->socketCount(), 0);
    QCOMPARE(m_custom->roomCount(), 0);
    QVERIFY(barrier(c.get()));
    QVERIFY(!c->isDisconnected());
    QVERIFY(rootReasons.isEmpty());
    // The pending ack is dropped with the socket, it does not fire late.
    c->send(R"(3/custom,0[])");
    QVERIFY(barrier(c.get()));
    QCOMPARE(ackCalls, 0);

    // disconnect(true) closes the whole session.
    m_root->socket(rootId)->disconnect(true);
    QVERIFY(c->waitDisconnected());
    QVERIFY(c->gotClosePacket());
    QCOMPARE(rootReasons.size(), 1);
    QTRY_COMPARE(m_fx->io.clientCount(), 0);
    QCOMPARE(m_fx->engine.sessionCount(), 0);
}

void TestSioServer::engineIoClose_data()
{
    QTest::addColumn<int>("eio");
    QTest::addColumn<bool>("closePacket");
    QTest::newRow("v4 close packet") << 3 << true;
    QTest::newRow("v4 socket closed") << 3 << false;
    QTest::newRow("v5 close packet") << 4 << true;
    QTest::newRow("v5 socket closed") << 4 << false;
}

void TestSioServer::engineIoClose()
{
    QFETCH(int, eio);
    QFETCH(bool, closePacket);
    QStringList reasons;
    m_root->onDisconnect(
        [&](sio::Socket *s, const QString &r) { reasons.append(s->nsp()->name() + u' ' + r); });
    m_custom->onDisconnect(
        [&](sio::Socket *s, const QString &r) { reasons.append(s->nsp()->name() + u' ' + r); });
    sio::Namespace *third = m_fx->io.of(u"/third"_s);
    third->onDisconnect(
        [&](sio::Socket *s, const QString &r) { reasons.append(s->nsp()->name() + u' ' + r); });

    auto other = m_fx->open(eio); // another client stays
    QVERIFY(other);
    QVERIFY(!other->connectRoot().isEmpty());
    auto c = m_fx->open(eio);
    QVERIFY(c);
    QVERIFY(!c->connectRoot().isEmpty());
    QVERIFY(!c->connectNamespace("/custom").isEmpty());
    QVERIFY(!c->connectNamespace("/third").isEmpty());
    QCOMPARE(m_fx->io.clientCount(), 2);

    if (closePacket)
        c->sendRaw("1");
    else
        c->closeSocket();
    QTRY_COMPARE(reasons.size(), 3);
    reasons.sort();
    QCOMPARE(reasons, (QStringList{u"/ transport close"_s, u"/custom transport close"_s,
                                   u"/third transport close"_s}));
    QTRY_COMPARE(m_fx->io.clientCount(), 1);
    QCOMPARE(m_root->socketCount(), 1);
    QCOMPARE(m_custom->socketCount(), 0);
    QCOMPARE(third->socketCount(), 0);
    QVERIFY(barrier(other.get()));
}

void TestSioServer::leavingLastNamespace_data()
{
    addGenerations();
}

void TestSioServer::leavingLastNamespace()
{
    QFETCH(int, eio);
    QStringList reasons;
    m_root->onDisconnect([&](sio::Socket *, const QString &r) { reasons.append(r); });
    m_custom->onDisconnect([&](sio::Socket *, const QString &r) { reasons.append(r); });

    auto c = m_fx->open(eio);
    QVERIFY(c);
    QVERIFY(!c->connectRoot().isEmpty());
    QVERIFY(!c->connectNamespace("/custom").isEmpty());

    m_custom->on(u"x"_s, [](sio::Socket *, sio::Payload &, sio::Ack ack) { ack(); });
    c->send("1"); // leave "/": "/custom" is still joined
    c->send(R"(2/custom,5["x"])");
    QCOMPARE(c->nextText(), R"(43/custom,5[])"_ba);
    QCOMPARE(reasons, QStringList{u"client namespace disconnect"_s});
    QCOMPARE(m_fx->io.clientCount(), 1);
    QVERIFY(!c->isDisconnected());

    c->send("1/custom,");
    if (eio == 3) {
        // socket.io 2.x clients: a connection left with no namespace is closed.
        QVERIFY(c->waitDisconnected());
        QVERIFY(c->gotClosePacket());
        QCOMPARE(reasons,
                 (QStringList{u"client namespace disconnect"_s, u"client namespace disconnect"_s}));
        QTRY_COMPARE(m_fx->io.clientCount(), 0);
        QTRY_COMPARE(m_fx->engine.sessionCount(), 0);
        return;
    }
    // v5 keeps the connection (as socket.io 4 does): a namespace can be
    // joined again over it.
    QTRY_COMPARE(reasons,
                 (QStringList{u"client namespace disconnect"_s, u"client namespace disconnect"_s}));
    QCOMPARE(m_custom->socketCount(), 0);
    QCOMPARE(m_fx->io.clientCount(), 1);
    QVERIFY(!c->connectRoot().isEmpty());
    QVERIFY(barrier(c.get()));
    QVERIFY(!c->isDisconnected());
    QCOMPARE(m_fx->engine.sessionCount(), 1);
}

void TestSioServer::parseErrorClosesSession_data()
{
    QTest::addColumn<int>("eio");
    QTest::addColumn<QByteArray>("frame");
    for (int eio : {3, 4}) {
        const QByteArray g = eio == 3 ? "v4 " : "v5 ";
        // Several frames are separated by '\n'.
        for (const char *frame :
             {"4abc", "42{}", "42abc[\"x\"]", "49", "42/custom,[\"x\"", "41/custom,{}",
              "451-[\"x\",{\"_placeholder\":true,\"num\":0}]\n42[\"y\"]"})
            QTest::newRow(QByteArray(g + frame).replace('\n', " then ").constData())
                << eio << QByteArray(frame);
    }
}

void TestSioServer::parseErrorClosesSession()
{
    QFETCH(int, eio);
    QFETCH(QByteArray, frame);
    QStringList reasons;
    m_root->onDisconnect([&](sio::Socket *, const QString &r) { reasons.append(r); });
    m_custom->onDisconnect([&](sio::Socket *, const QString &r) { reasons.append(r); });

    auto other = m_fx->open(eio);
    QVERIFY(other);
    QVERIFY(!other->connectRoot().isEmpty());
    auto c = m_fx->open(eio);
    QVERIFY(c);
    QVERIFY(!c->connectRoot().isEmpty());
    QVERIFY(!c->connectNamespace("/custom").isEmpty());

    for (const QByteArray &f : frame.split('\n'))
        c->sendRaw(f);
    QVERIFY(c->waitDisconnected());
    QVERIFY(c->gotClosePacket());
    QTRY_COMPARE(reasons, (QStringList{u"parse error"_s, u"parse error"_s}));
    QTRY_COMPARE(m_fx->io.clientCount(), 1);
    QVERIFY(barrier(other.get()));
}

void TestSioServer::connectTimeout()
{
    sio::ServerOptions options;
    options.connectTimeoutMs = 300;
    start(options);

    auto joined = m_fx->open(4); // joins in time: stays
    QVERIFY(joined);
    QVERIFY(!joined->connectRoot().isEmpty());
    auto v4 = m_fx->open(3); // v4: joined "/" implicitly: stays
    QVERIFY(v4);
    QCOMPARE(v4->nextText(), "40"_ba);
    auto refused = m_fx->open(4); // only tried a namespace that does not exist
    QVERIFY(refused);
    refused->send("0/nope,");
    QCOMPARE(refused->nextText(), R"(44/nope,{"message":"Invalid namespace"})"_ba);
    auto idle = m_fx->open(4); // never sends CONNECT
    QVERIFY(idle);

    QVERIFY(idle->waitDisconnected(10000));
    QVERIFY(idle->gotClosePacket());
    QVERIFY(refused->waitDisconnected(10000));
    // The others were opened earlier, so their deadline has passed too.
    QVERIFY(!joined->isDisconnected());
    QVERIFY(!v4->isDisconnected());
    QVERIFY(barrier(joined.get()));
    QVERIFY(barrier(v4.get()));
    QTRY_COMPARE(m_fx->io.clientCount(), 2);
}

QTEST_GUILESS_MAIN(TestSioServer)
#include "tst_server.moc"
