// In-process integration tests of eio::Server on net::HttpServer (port 0 on
// 127.0.0.1): raw QTcpSocket HTTP requests (byte-exact requests, pipelining,
// malformed input, hand-made WebSocket frames) and QWebSocket clients. Every
// test builds its own server with the options it needs; the echo handler
// sends each message back to its session.
#include "engineio/server.h"
#include "net/httpserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QWebSocket>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>

using namespace qpush;
using namespace Qt::StringLiterals;

namespace {

constexpr int Wait = 5000; // generous bound for anything that must happen

// ---- HTTP client side ----------------------------------------------------------

struct Response
{
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased
    QByteArray body;

    QByteArray header(QByteArrayView name) const
    {
        for (const auto &h : headers)
            if (h.first == name)
                return h.second;
        return {};
    }
    bool hasHeader(QByteArrayView name) const
    {
        for (const auto &h : headers)
            if (h.first == name)
                return true;
        return false;
    }
};

// Takes one complete response off the front of `buffer` (Content-Length
// framing, which is all the server uses; 101 has no body).
std::optional<Response> takeResponse(QByteArray &buffer)
{
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return std::nullopt;
    Response r;
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
    if (statusLine.size() < 2 || !statusLine.at(0).startsWith("HTTP/1."))
        return std::nullopt;
    r.status = statusLine.at(1).toInt();
    qsizetype length = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        r.headers.append({name, value});
        if (name == "content-length")
            length = value.toLongLong();
    }
    if (buffer.size() < end + 4 + length)
        return std::nullopt;
    r.body = buffer.mid(end + 4, length);
    buffer.remove(0, end + 4 + length);
    return r;
}

struct WsFrame
{
    quint8 opcode = 0;
    QByteArray payload;
};

// One server (unmasked) frame off the front of `buffer`.
std::optional<WsFrame> takeFrame(QByteArray &buffer)
{
    if (buffer.size() < 2)
        return std::nullopt;
    const auto b1 = quint8(buffer.at(1));
    qsizetype header = 2;
    quint64 length = b1 & 0x7f;
    if (length == 126) {
        if (buffer.size() < 4)
            return std::nullopt;
        length = (quint64(quint8(buffer.at(2))) << 8) | quint8(buffer.at(3));
        header = 4;
    } else if (length == 127) {
        if (buffer.size() < 10)
            return std::nullopt;
        length = 0;
        for (int i = 2; i < 10; ++i)
            length = (length << 8) | quint8(buffer.at(i));
        header = 10;
    }
    if (b1 & 0x80)
        header += 4; // a server must not mask, but do not choke on it
    if (quint64(buffer.size()) < quint64(header) + length)
        return std::nullopt;
    WsFrame f;
    f.opcode = quint8(buffer.at(0)) & 0x0f;
    f.payload = buffer.mid(header, qsizetype(length));
    buffer.remove(0, header + qsizetype(length));
    return f;
}

// A client frame: masked unless told otherwise.
QByteArray clientFrame(quint8 opcode, QByteArray payload, bool fin = true, bool mask = true)
{
    QByteArray f;
    f.append(char((fin ? 0x80 : 0x00) | opcode));
    const quint8 m = mask ? 0x80 : 0x00;
    const qsizetype n = payload.size();
    if (n < 126) {
        f.append(char(m | quint8(n)));
    } else if (n < 65536) {
        f.append(char(m | 126));
        f.append(char((n >> 8) & 0xff));
        f.append(char(n & 0xff));
    } else {
        f.append(char(m | 127));
        for (int i = 7; i >= 0; --i)
            f.append(char((quint64(n) >> (8 * i)) & 0xff));
    }
    if (mask) {
        const char key[4] = {0x12, 0x34, 0x56, 0x78};
        f.append(key, 4);
        for (qsizetype i = 0; i < n; ++i)
            payload[i] = char(payload.at(i) ^ key[i % 4]);
    }
    f.append(payload);
    return f;
}

QByteArray request(const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
                   const QList<QByteArray> &headers = {})
{
    QByteArray out = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const QByteArray &h : headers)
        out += h + "\r\n";
    if (!body.isEmpty() || method == "POST" || method == "PUT")
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "\r\n";
    out += body;
    return out;
}

QByteArray upgradeRequest(const QByteArray &target)
{
    return request("GET", target, {},
                   {"Upgrade: websocket", "Connection: Upgrade",
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"});
}

QByteArray eioTarget(int eio, const QByteArray &transport, const QByteArray &sid = {},
                     const QByteArray &extra = {})
{
    QByteArray t = "/engine.io/?EIO=" + QByteArray::number(eio) + "&transport=" + transport;
    if (!sid.isEmpty())
        t += "&sid=" + sid;
    return t + extra;
}

// A raw TCP client: send bytes, read responses and frames.
class RawClient
{
public:
    explicit RawClient(quint16 port) { socket.connectToHost(QHostAddress::LocalHost, port); }
    explicit RawClient(qintptr fd) { socket.setSocketDescriptor(fd); }

    void send(const QByteArray &bytes) { socket.write(bytes); }
    void pump() { in += socket.readAll(); }

    std::optional<Response> waitResponse(int timeoutMs = Wait)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            pump();
            if (auto r = takeResponse(in))
                return r;
            if (deadline.hasExpired())
                return std::nullopt;
            QTest::qWait(5);
        }
    }
    std::optional<WsFrame> waitFrame(int timeoutMs = Wait)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            pump();
            if (auto f = takeFrame(in))
                return f;
            if (deadline.hasExpired())
                return std::nullopt;
            QTest::qWait(5);
        }
    }
    // True when a complete response is buffered (it stays buffered).
    bool hasResponse()
    {
        pump();
        QByteArray copy = in;
        return takeResponse(copy).has_value();
    }
    bool isClosed()
    {
        pump();
        return socket.state() == QAbstractSocket::UnconnectedState;
    }

    QTcpSocket socket;
    QByteArray in;
};

// ---- Engine.IO payloads, decoded independently of the server's codec ----------

QList<QByteArray> packetsV4(const QByteArray &body)
{
    return body.split('\x1e');
}

// "<len>:<packet>..." where len counts UTF-16 code units. Returns {"!bad"}
// on a framing error.
QList<QByteArray> packetsV3(const QByteArray &body)
{
    QList<QByteArray> out;
    qsizetype pos = 0;
    while (pos < body.size()) {
        const qsizetype colon = body.indexOf(':', pos);
        if (colon < 0)
            return {"!bad"};
        bool ok = false;
        const int n = body.mid(pos, colon - pos).toInt(&ok);
        if (!ok)
            return {"!bad"};
        const QString rest = QString::fromUtf8(body.mid(colon + 1));
        if (rest.size() < n)
            return {"!bad"};
        const QByteArray packet = rest.left(n).toUtf8();
        out.append(packet);
        pos = colon + 1 + packet.size();
    }
    return out;
}

QList<QByteArray> packets(int eio, const QByteArray &body)
{
    return eio == 4 ? packetsV4(body) : packetsV3(body);
}

// Encodes text packets as a client would for a polling POST.
QByteArray payload(int eio, const QList<QByteArray> &ps)
{
    QByteArray out;
    for (const QByteArray &p : ps) {
        if (eio == 4) {
            if (!out.isEmpty())
                out += '\x1e';
            out += p;
        } else {
            out += QByteArray::number(QString::fromUtf8(p).size()) + ':' + p;
        }
    }
    return out;
}

QByteArray jsonBody(int code, const char *message)
{
    return QJsonDocument(QJsonObject{{u"code"_s, code}, {u"message"_s, QString::fromUtf8(message)}})
        .toJson(QJsonDocument::Compact);
}

QByteArray normalizedJson(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).toJson(QJsonDocument::Compact);
}

// ---- WebSocket client ----------------------------------------------------------

struct Msg
{
    QByteArray data;
    bool binary = false;
};

class WsClient
{
public:
    WsClient()
    {
        QObject::connect(&ws, &QWebSocket::textMessageReceived, &ws, [this](const QString &m) {
            ++count;
            if (autoPong && m == "2"_L1) {
                ++pings;
                ws.sendTextMessage(u"3"_s);
            }
            if (keep)
                msgs.append({m.toUtf8(), false});
        });
        QObject::connect(&ws, &QWebSocket::binaryMessageReceived, &ws, [this](const QByteArray &b) {
            ++count;
            if (keep)
                msgs.append({b, true});
        });
        QObject::connect(&ws, &QWebSocket::disconnected, &ws, [this] { closed = true; });
    }

    bool open(quint16 port, const QByteArray &target, int timeoutMs = Wait)
    {
        QSignalSpy spy(&ws, &QWebSocket::connected);
        ws.open(QUrl(u"ws://127.0.0.1:"_s + QString::number(port) + QString::fromLatin1(target)));
        return spy.wait(timeoutMs);
    }
    void sendText(const QByteArray &utf8) { ws.sendTextMessage(QString::fromUtf8(utf8)); }
    QByteArray last() const { return msgs.isEmpty() ? QByteArray() : msgs.last().data; }

    QWebSocket ws;
    QList<Msg> msgs;
    int count = 0;
    int pings = 0;
    bool autoPong = false;
    bool keep = true;
    bool closed = false;
};

// ---- server under test --------------------------------------------------------

eio::ServerOptions quietOptions()
{
    // Heartbeat far away: tests that are not about it must not race it.
    eio::ServerOptions o;
    o.pingIntervalMs = 10000;
    o.pingTimeoutMs = 10000;
    return o;
}

eio::ServerOptions fastHeartbeat()
{
    eio::ServerOptions o;
    // pingTimeout leaves room for a client round trip on a loaded machine.
    o.pingIntervalMs = 200;
    o.pingTimeoutMs = 400;
    return o;
}

class Env : public eio::SessionHandler
{
public:
    explicit Env(const eio::ServerOptions &options = quietOptions(),
                 const net::ConnectionLimits &limits = {})
        : options(options)
    {
        http = std::make_unique<net::HttpServer>(limits, &deadlines);
        engine = std::make_unique<eio::Server>(options, &deadlines);
        engine->setConnectionHandler([this](eio::Session *s) { s->setHandler(this); });
        http->setHandler([this](net::Responder responder, http::Request &request) {
            if (engine->matches(request.path))
                return engine->handleRequest(std::move(responder), request);
            responder.respond(404, {{"content-type", "text/plain"}}, "Not Found");
        });
        listening = http->listen(QHostAddress::LocalHost, 0);
        port = http->serverPort();
    }
    ~Env() override
    {
        engine.reset();
        http.reset();
    }

    void onMessage(eio::Session *session, const QByteArray &data, bool binary) override
    {
        received.append({data, binary});
        if (echo)
            session->sendMessage(data, binary);
    }
    void onClose(eio::Session *session, const QString &reason) override
    {
        QVERIFY2(!closed.contains(session->id()), "onClose called twice");
        closed.insert(session->id(), reason);
    }

    Response call(const QByteArray &raw, int timeoutMs = Wait)
    {
        RawClient c(port);
        c.send(raw);
        return c.waitResponse(timeoutMs).value_or(Response{});
    }
    Response get(int eio, const QByteArray &sid, const QByteArray &extra = {})
    {
        return call(request("GET", eioTarget(eio, "polling", sid, extra)));
    }
    Response post(int eio, const QByteArray &sid, const QByteArray &body,
                  const QList<QByteArray> &headers = {}, const QByteArray &extra = {})
    {
        return call(request("POST", eioTarget(eio, "polling", sid, extra), body, headers));
    }
    std::unique_ptr<RawClient> startPoll(int eio, const QByteArray &sid,
                                         const QByteArray &extra = {})
    {
        auto c = std::make_unique<RawClient>(port);
        c->send(request("GET", eioTarget(eio, "polling", sid, extra)));
        return c;
    }
    // True once the server has taken `n` requests off the client's
    // connection (dispatched synchronously: a poll is then parked).
    bool seen(const RawClient &client, quint64 n) const
    {
        const auto list = http->findChildren<net::Connection *>(Qt::FindDirectChildrenOnly);
        for (const net::Connection *c : list)
            if (c->isOpen() && c->peerPort() == client.socket.localPort())
                return c->requestSerial() >= n;
        return false;
    }
    // Polling handshake; returns the sid, or empty (with a warning) on failure.
    QByteArray openPolling(int eio, const QByteArray &extra = {})
    {
        const Response r = call(request("GET", eioTarget(eio, "polling", {}, extra)));
        if (r.status != 200) {
            qWarning() << "handshake failed" << r.status << r.body;
            return {};
        }
        const QList<QByteArray> ps = packets(eio, r.body);
        if (ps.size() != 1 || !ps.at(0).startsWith('0')) {
            qWarning() << "bad open payload" << r.body;
            return {};
        }
        return QJsonDocument::fromJson(ps.at(0).mid(1))
            .object()
            .value(u"sid"_s)
            .toString()
            .toLatin1();
    }
    // WebSocket handshake; returns the sid from the open packet.
    QByteArray openWebSocket(WsClient &client, int eio, const QByteArray &extra = {})
    {
        if (!client.open(port, eioTarget(eio, "websocket", {}, extra)))
            return {};
        QDeadlineTimer deadline(Wait);
        while (client.msgs.isEmpty() && !deadline.hasExpired())
            QTest::qWait(5);
        if (client.msgs.isEmpty() || !client.msgs.first().data.startsWith('0'))
            return {};
        return QJsonDocument::fromJson(client.msgs.first().data.mid(1))
            .object()
            .value(u"sid"_s)
            .toString()
            .toLatin1();
    }
    // POSTs a message and checks that a GET brings its echo back.
    bool echoes(int eio, const QByteArray &sid, const QByteArray &text)
    {
        const Response p = post(eio, sid, payload(eio, {"4" + text}));
        if (p.status != 200 || p.body != "ok")
            return false;
        const Response g = get(eio, sid);
        return g.status == 200 && packets(eio, g.body) == QList<QByteArray>{"4" + text};
    }

    eio::ServerOptions options;
    net::DeadlineQueue deadlines;
    std::unique_ptr<net::HttpServer> http;
    std::unique_ptr<eio::Server> engine;
    bool listening = false;
    quint16 port = 0;
    bool echo = true;
    QList<Msg> received;
    QHash<QByteArray, QString> closed; // sid -> reason
};

// A TCP socket with a tiny kernel receive buffer, connected before Qt sees
// it (SO_RCVBUF must be set before connect to limit the window).
qintptr smallWindowSocket(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int size = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Loopback connect to a listening socket completes in the kernel's
    // backlog without the (same-thread) server accepting first.
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// A second websocket for a session (one on websocket already, or one
// probing): like engine.io, the server accepts it and closes it at once with
// 1008, without an Engine.IO packet; the session keeps its transport.
void expectWebSocketRefused(quint16 port, const QByteArray &target)
{
    RawClient c(port);
    c.send(upgradeRequest(target));
    const auto r = c.waitResponse();
    QVERIFY(r);
    QCOMPARE(r->status, 101);
    const auto f = c.waitFrame();
    QVERIFY(f);
    QCOMPARE(f->opcode, quint8(0x8));
    QVERIFY(f->payload.size() >= 2);
    QCOMPARE((quint8(f->payload.at(0)) << 8) | quint8(f->payload.at(1)), 1008);
    QTRY_VERIFY_WITH_TIMEOUT(c.isClosed(), Wait);
}

} // namespace

#define OPEN_POLLING(env, sid, eio, ...)                                                           \
    const QByteArray sid = (env).openPolling(eio __VA_OPT__(, ) __VA_ARGS__);                      \
    QVERIFY(!sid.isEmpty())

class TestEioServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void handshakePolling_data();
    void handshakePolling();
    void handshakeWebSocket_data();
    void handshakeWebSocket();
    void requestErrors_data();
    void requestErrors();
    void sessionErrors_data();
    void sessionErrors();

    void pollingEcho_data();
    void pollingEcho();
    void pendingPollGetsMessage_data();
    void pendingPollGetsMessage();
    void webSocketEcho_data();
    void webSocketEcho();
    void binaryPollingV3();
    void binaryPollingV3Base64();
    void binaryPollingV4();
    void binaryWebSocket_data();
    void binaryWebSocket();
    void jsonpV3();

    void heartbeatV4Polling();
    void heartbeatV4WebSocket();
    void heartbeatV3Polling();
    void heartbeatV3WebSocket();

    void clientClose_data();
    void clientClose();
    void serverClose_data();
    void serverClose();
    void serverCloseUnpolled_data();
    void serverCloseUnpolled();
    void duplicatePoll_data();
    void duplicatePoll();

    void upgrade_data();
    void upgrade();
    void upgradeTimeout_data();
    void upgradeTimeout();
    void closeDuringUpgrade_data();
    void closeDuringUpgrade();
    void upgradeAborted_data();
    void upgradeAborted();

    void maxPayloadPolling_data();
    void maxPayloadPolling();
    void maxPayloadWebSocket_data();
    void maxPayloadWebSocket();

    void badHttpInput_data();
    void badHttpInput();
    void invalidPayload_data();
    void invalidPayload();
    void malformedWebSocket_data();
    void malformedWebSocket();
    void longPollClientGone_data();
    void longPollClientGone();

    void pipelinedKeepAlive();
    void chunkedPost();
    void cors_data();
    void cors();
    void preflight();
    void idleTimeout();
    void slowReaderCutOff();
    void largeResponseToReader();
};

void TestEioServer::initTestCase()
{
    QLoggingCategory::setFilterRules(u"qpush.*.debug=false"_s);
}

// ---- handshake ------------------------------------------------------------------

void TestEioServer::handshakePolling_data()
{
    QTest::addColumn<int>("eio");
    QTest::newRow("v3") << 3;
    QTest::newRow("v4") << 4;
}

void TestEioServer::handshakePolling()
{
    QFETCH(int, eio);
    eio::ServerOptions o = fastHeartbeat();
    o.maxPayload = 123456;
    Env env(o);
    QVERIFY(env.listening);

    const Response r = env.call(request("GET", eioTarget(eio, "polling", {}, "&t=abc")));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), "text/plain; charset=UTF-8"_ba);
    QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
    QCOMPARE(r.header("content-length"), QByteArray::number(r.body.size()));
    QByteArray open;
    if (eio == 4) {
        QVERIFY(r.body.startsWith('0'));
        QVERIFY(!r.body.contains('\x1e'));
        open = r.body.mid(1);
    } else {
        const qsizetype colon = r.body.indexOf(':');
        QVERIFY(colon > 0);
        QCOMPARE(r.body.left(colon).toInt(), r.body.size() - colon - 1); // ASCII: units == bytes
        QCOMPARE(r.body.at(colon + 1), '0');
        open = r.body.mid(colon + 2);
    }
    QJsonParseError error;
    const QJsonObject o2 = QJsonDocument::fromJson(open, &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QString sid = o2.value(u"sid"_s).toString();
    QCOMPARE(sid.size(), 20);
    for (QChar c : sid)
        QVERIFY2(c.isLetterOrNumber() || c == u'-' || c == u'_', qPrintable(sid));
    QCOMPARE(o2.value(u"upgrades"_s).toArray(), QJsonArray{u"websocket"_s});
    QCOMPARE(o2.value(u"pingInterval"_s).toInt(), 200);
    QCOMPARE(o2.value(u"pingTimeout"_s).toInt(), 400);
    QCOMPARE(o2.value(u"maxPayload"_s).toInt(), 123456);
    QCOMPARE(o2.size(), 5);
    QCOMPARE(env.engine->sessionCount(), 1);
    QVERIFY(env.engine->session(sid.toLatin1()));
    QCOMPARE(int(env.engine->session(sid.toLatin1())->version()), eio);

    // A second handshake gets another id.
    const QByteArray sid2 = env.openPolling(eio);
    QVERIFY(!sid2.isEmpty());
    QVERIFY(sid2 != sid.toLatin1());
    QCOMPARE(env.engine->sessionCount(), 2);
}

void TestEioServer::handshakeWebSocket_data()
{
    handshakePolling_data();
}

void TestEioServer::handshakeWebSocket()
{
    QFETCH(int, eio);
    eio::ServerOptions o = fastHeartbeat();
    o.maxPayload = 4242;
    Env env(o);
    WsClient c;
    QVERIFY(c.open(env.port, eioTarget(eio, "websocket")));
    QTRY_COMPARE_WITH_TIMEOUT(c.msgs.size(), 1, Wait);
    QVERIFY(!c.msgs.first().binary);
    QVERIFY(c.msgs.first().data.startsWith('0'));
    const QJsonObject open = QJsonDocument::fromJson(c.msgs.first().data.mid(1)).object();
    QCOMPARE(open.value(u"sid"_s).toString().size(), 20);
    QCOMPARE(open.value(u"upgrades"_s).toArray(), QJsonArray{});
    QCOMPARE(open.value(u"pingInterval"_s).toInt(), 200);
    QCOMPARE(open.value(u"pingTimeout"_s).toInt(), 400);
    QCOMPARE(open.value(u"maxPayload"_s).toInt(), 4242);
    eio::Session *s = env.engine->session(open.value(u"sid"_s).toString().toLatin1());
    QVERIFY(s);
    QCOMPARE(s->transport(), eio::Transport::WebSocket);
    QCOMPARE(int(s->version()), eio);
}

void TestEioServer::requestErrors_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("message");

    const QByteArray unknownTransport = "Transport unknown";
    const QByteArray unknownSid = "Session ID unknown";
    const QByteArray badMethod = "Bad handshake method";
    const QByteArray badRequest = "Bad request";
    const QByteArray badVersion = "Unsupported protocol version";

    QTest::newRow("transport foo")
        << request("GET", "/engine.io/?EIO=4&transport=foo") << 400 << 0 << unknownTransport;
    QTest::newRow("transport missing")
        << request("GET", "/engine.io/?EIO=4") << 400 << 0 << unknownTransport;
    QTest::newRow("transport foo v3")
        << request("GET", "/engine.io/?EIO=3&transport=flash") << 400 << 0 << unknownTransport;
    QTest::newRow("unknown sid v4")
        << request("GET", eioTarget(4, "polling", "nope")) << 400 << 1 << unknownSid;
    QTest::newRow("unknown sid v3")
        << request("GET", eioTarget(3, "polling", "nope")) << 400 << 1 << unknownSid;
    QTest::newRow("unknown sid POST")
        << request("POST", eioTarget(4, "polling", "nope"), "4x") << 400 << 1 << unknownSid;
    QTest::newRow("unknown sid websocket")
        << upgradeRequest(eioTarget(4, "websocket", "nope")) << 400 << 1 << unknownSid;
    QTest::newRow("POST handshake v4")
        << request("POST", eioTarget(4, "polling"), "4x") << 400 << 2 << badMethod;
    QTest::newRow("POST handshake v3")
        << request("POST", eioTarget(3, "polling"), "2:4x") << 400 << 2 << badMethod;
    QTest::newRow("PUT handshake")
        << request("PUT", eioTarget(4, "polling"), "4x") << 400 << 2 << badMethod;
    QTest::newRow("websocket without upgrade v4")
        << request("GET", eioTarget(4, "websocket")) << 400 << 3 << badRequest;
    QTest::newRow("websocket without upgrade v3")
        << request("GET", eioTarget(3, "websocket")) << 400 << 3 << badRequest;
    QTest::newRow("EIO missing") << request("GET", "/engine.io/?transport=polling") << 400 << 5
                                 << badVersion;
    QTest::newRow("EIO abc") << request("GET", "/engine.io/?EIO=abc&transport=polling") << 400 << 5
                             << badVersion;
    QTest::newRow("EIO 5") << request("GET", "/engine.io/?EIO=5&transport=polling") << 400 << 5
                           << badVersion;
    QTest::newRow("EIO 44") << request("GET", "/engine.io/?EIO=44&transport=polling") << 400 << 5
                            << badVersion;
    QTest::newRow("EIO 2 websocket")
        << upgradeRequest("/engine.io/?EIO=2&transport=websocket") << 400 << 5 << badVersion;
}

void TestEioServer::requestErrors()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    QFETCH(int, code);
    QFETCH(QByteArray, message);
    Env env;
    const Response r = env.call(raw);
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("content-type"), "application/json"_ba);
    QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
    QCOMPARE(normalizedJson(r.body), jsonBody(code, message.constData()));
    QCOMPARE(r.body, jsonBody(code, message.constData())); // byte-exact, as engine.io writes it
    QCOMPARE(env.engine->sessionCount(), 0);
}

void TestEioServer::sessionErrors_data()
{
    handshakePolling_data();
}

void TestEioServer::sessionErrors()
{
    QFETCH(int, eio);
    const int other = eio == 4 ? 3 : 4;
    Env env;
    OPEN_POLLING(env, sid, eio);

    // EIO of another version than the session's.
    Response r = env.get(other, sid);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, jsonBody(3, "Bad request"));
    r = env.post(other, sid, payload(other, {"4x"}));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, jsonBody(3, "Bad request"));

    // transport=websocket for the session without an upgrade header.
    r = env.call(request("GET", eioTarget(eio, "websocket", sid)));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, jsonBody(3, "Bad request"));

    // A method that polling does not know.
    r = env.call(request("PUT", eioTarget(eio, "polling", sid), payload(eio, {"4x"})));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, jsonBody(3, "Bad request"));

    // Polling requests to a websocket-only session.
    WsClient c;
    const QByteArray wsSid = env.openWebSocket(c, eio);
    QVERIFY(!wsSid.isEmpty());
    r = env.get(eio, wsSid);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, jsonBody(3, "Bad request"));
    r = env.post(eio, wsSid, payload(eio, {"4x"}));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, jsonBody(3, "Bad request"));
    // A websocket upgrade for a session that already is on websocket.
    expectWebSocketRefused(env.port, eioTarget(eio, "websocket", wsSid));
    if (QTest::currentTestFailed())
        return;

    // None of those killed a session.
    QVERIFY(env.echoes(eio, sid, "still here"));
    c.sendText("4ws alive");
    QTRY_COMPARE_WITH_TIMEOUT(c.last(), "4ws alive"_ba, Wait);
    QCOMPARE(env.engine->sessionCount(), 2);
}

// ---- messages -------------------------------------------------------------------

void TestEioServer::pollingEcho_data()
{
    handshakePolling_data();
}

void TestEioServer::pollingEcho()
{
    QFETCH(int, eio);
    Env env;
    OPEN_POLLING(env, sid, eio);

    const QList<QByteArray> sent{"4hello", "4w\xc3\xb6rld \xf0\x9f\x98\x80", "4", "4third:6:4x",
                                 "4\xe2\x82\xac"};
    const QByteArray body = payload(eio, sent);
    if (eio == 3)
        QVERIFY(body.contains("9:4w\xc3\xb6rld \xf0\x9f\x98\x80")); // emoji = 2 UTF-16 units
    Response r = env.post(eio, sid, body, {"Content-Type: text/plain;charset=UTF-8"});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, "ok"_ba);
    QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
    QCOMPARE(env.received.size(), sent.size());
    for (qsizetype i = 0; i < sent.size(); ++i) {
        QCOMPARE(env.received.at(i).data, sent.at(i).mid(1));
        QVERIFY(!env.received.at(i).binary);
    }

    // All echoes leave in one response, in order, framed byte-exactly.
    r = env.get(eio, sid);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), "text/plain; charset=UTF-8"_ba);
    QCOMPARE(r.body, body);
    QCOMPARE(packets(eio, r.body), sent);
}

void TestEioServer::pendingPollGetsMessage_data()
{
    handshakePolling_data();
}

void TestEioServer::pendingPollGetsMessage()
{
    QFETCH(int, eio);
    Env env;
    OPEN_POLLING(env, sid, eio);
    auto poll = env.startPoll(eio, sid);
    // The poll is parked until there is something to send.
    QTRY_VERIFY_WITH_TIMEOUT(env.seen(*poll, 1), Wait);
    QVERIFY(!poll->hasResponse());

    // Two messages in one event-loop pass leave in one response.
    env.engine->session(sid)->sendMessage("one");
    env.engine->session(sid)->sendMessage("two");
    const auto r = poll->waitResponse();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(packets(eio, r->body), (QList<QByteArray>{"4one", "4two"}));

    // A POST while a poll is parked answers that poll with the echo.
    poll = env.startPoll(eio, sid);
    QTRY_VERIFY_WITH_TIMEOUT(env.seen(*poll, 1), Wait);
    QVERIFY(!poll->hasResponse());
    QCOMPARE(env.post(eio, sid, payload(eio, {"4ping-pong"})).status, 200);
    const auto r2 = poll->waitResponse();
    QVERIFY(r2);
    QCOMPARE(packets(eio, r2->body), QList<QByteArray>{"4ping-pong"});
}

void TestEioServer::webSocketEcho_data()
{
    handshakePolling_data();
}

void TestEioServer::webSocketEcho()
{
    QFETCH(int, eio);
    Env env;
    WsClient c;
    const QByteArray sid = env.openWebSocket(c, eio);
    QVERIFY(!sid.isEmpty());
    c.sendText("4hello");
    c.sendText("4w\xc3\xb6rld \xf0\x9f\x98\x80");
    c.sendText("4");
    QTRY_COMPARE_WITH_TIMEOUT(c.msgs.size(), 4, Wait);
    QCOMPARE(c.msgs.at(1).data, "4hello"_ba);
    QCOMPARE(c.msgs.at(2).data, "4w\xc3\xb6rld \xf0\x9f\x98\x80"_ba);
    QCOMPARE(c.msgs.at(3).data, "4"_ba);
    QCOMPARE(env.received.size(), 3);
    QCOMPARE(env.received.at(0).data, "hello"_ba);
}

void TestEioServer::binaryPollingV3()
{
    Env env;
    OPEN_POLLING(env, sid, 3);
    // The example of the v3 spec: "€" and <01 02 03 04>, binary payload.
    const QByteArray body("\x00\x04\xff\x34\xe2\x82\xac\x01\x05\xff\x04\x01\x02\x03\x04", 15);
    Response r = env.post(3, sid, body, {"Content-Type: application/octet-stream"});
    QCOMPARE(r.status, 200);
    QCOMPARE(env.received.size(), 2);
    QCOMPARE(env.received.at(0).data, "\xe2\x82\xac"_ba);
    QVERIFY(!env.received.at(0).binary);
    QCOMPARE(env.received.at(1).data, "\x01\x02\x03\x04"_ba);
    QVERIFY(env.received.at(1).binary);
    r = env.get(3, sid);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), "application/octet-stream"_ba);
    QCOMPARE(r.body, body);

    // A base64 packet from a client without XHR2 is binary data too; the
    // answer uses the binary payload since this session supports it.
    r = env.post(3, sid, "10:b4AQIDBA==");
    QCOMPARE(r.status, 200);
    QCOMPARE(env.received.size(), 3);
    QVERIFY(env.received.at(2).binary);
    QCOMPARE(env.received.at(2).data, "\x01\x02\x03\x04"_ba);
    r = env.get(3, sid);
    QCOMPARE(r.header("content-type"), "application/octet-stream"_ba);
    QCOMPARE(r.body, QByteArray("\x01\x05\xff\x04\x01\x02\x03\x04", 8));

    // Text only: the string payload again.
    QVERIFY(env.echoes(3, sid, "text"));
}

void TestEioServer::binaryPollingV3Base64()
{
    Env env;
    OPEN_POLLING(env, sid, 3, "&b64=1");
    Response r = env.post(3, sid,
                          "2:4\xe2\x82\xac"
                          "10:b4AQIDBA==");
    QCOMPARE(r.status, 200);
    QCOMPARE(env.received.size(), 2);
    QVERIFY(env.received.at(1).binary);
    r = env.get(3, sid, "&b64=1");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), "text/plain; charset=UTF-8"_ba);
    QCOMPARE(r.body, "2:4\xe2\x82\xac"
                     "10:b4AQIDBA=="_ba);
}

void TestEioServer::binaryPollingV4()
{
    Env env;
    OPEN_POLLING(env, sid, 4);
    const QByteArray body = "4hi\x1e"
                            "bAQIDBA==\x1e"
                            "b\x1e"
                            "4\xe2\x82\xac";
    Response r = env.post(4, sid, body);
    QCOMPARE(r.status, 200);
    QCOMPARE(env.received.size(), 4);
    QVERIFY(env.received.at(1).binary);
    QCOMPARE(env.received.at(1).data, "\x01\x02\x03\x04"_ba);
    QVERIFY(env.received.at(2).binary);
    QCOMPARE(env.received.at(2).data, QByteArray());
    r = env.get(4, sid);
    QCOMPARE(r.header("content-type"), "text/plain; charset=UTF-8"_ba);
    QCOMPARE(r.body, body);
}

void TestEioServer::binaryWebSocket_data()
{
    QTest::addColumn<int>("eio");
    QTest::addColumn<QByteArray>("extra");
    QTest::addColumn<QByteArray>("send");
    QTest::addColumn<bool>("answerBinary");
    QTest::addColumn<QByteArray>("answer");
    QTest::newRow("v3") << 3 << QByteArray() << "\x04\x01\x02\x03\x00"_ba << true
                        << "\x04\x01\x02\x03\x00"_ba;
    QTest::newRow("v3 b64=1") << 3 << "&b64=1"_ba
                              << "\x04\x01\x02\x03\x04"_ba << false << "b4AQIDBA=="_ba;
    QTest::newRow("v4") << 4 << QByteArray() << "\x01\x02\x03\x00"_ba << true
                        << "\x01\x02\x03\x00"_ba;
}

void TestEioServer::binaryWebSocket()
{
    QFETCH(int, eio);
    QFETCH(QByteArray, extra);
    QFETCH(QByteArray, send);
    QFETCH(bool, answerBinary);
    QFETCH(QByteArray, answer);
    Env env;
    WsClient c;
    QVERIFY(!env.openWebSocket(c, eio, extra).isEmpty());
    c.ws.sendBinaryMessage(send);
    QTRY_COMPARE_WITH_TIMEOUT(c.msgs.size(), 2, Wait);
    QCOMPARE(c.msgs.at(1).binary, answerBinary);
    QCOMPARE(c.msgs.at(1).data, answer);
    QCOMPARE(env.received.size(), 1);
    QVERIFY(env.received.at(0).binary);
    // A v4 base64 text frame is binary data as well.
    if (eio == 4) {
        c.sendText("bAQIDBA==");
        QTRY_COMPARE_WITH_TIMEOUT(c.msgs.size(), 3, Wait);
        QVERIFY(c.msgs.at(2).binary);
        QCOMPARE(c.msgs.at(2).data, "\x01\x02\x03\x04"_ba);
    }
}

void TestEioServer::jsonpV3()
{
    Env env;
    const Response h = env.get(3, {}, "&j=0");
    QCOMPARE(h.status, 200);
    QCOMPARE(h.header("content-type"), "text/javascript; charset=UTF-8"_ba);
    QVERIFY2(h.body.startsWith("___eio[0](\"") && h.body.endsWith("\");"), h.body.constData());
    const QByteArray literal = h.body.mid(10, h.body.size() - 12);
    const QString inner = QJsonDocument::fromJson("[" + literal + "]").array().at(0).toString();
    const QList<QByteArray> open = packetsV3(inner.toUtf8());
    QCOMPARE(open.size(), 1);
    QVERIFY(open.at(0).startsWith("0{"));
    const QByteArray sid =
        QJsonDocument::fromJson(open.at(0).mid(1)).object().value(u"sid"_s).toString().toLatin1();
    QVERIFY(!sid.isEmpty());

    // Form-encoded d=<payload>, newlines escaped as \\n by the client.
    const QByteArray clientPayload = "6:4hello4:4a\\nb4:4\"q\"7:4\xe2\x82\xac & =+";
    const QByteArray form = "d=" + clientPayload.toPercentEncoding();
    Response r =
        env.post(3, sid, form, {"Content-Type: application/x-www-form-urlencoded"}, "&j=0");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, "ok"_ba);
    QCOMPARE(env.received.size(), 4);
    QCOMPARE(env.received.at(0).data, "hello"_ba);
    QCOMPARE(env.received.at(1).data, "a\nb"_ba);
    QCOMPARE(env.received.at(2).data, "\"q\""_ba);
    QCOMPARE(env.received.at(3).data, "\xe2\x82\xac & =+"_ba);

    r = env.get(3, sid, "&j=0");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), "text/javascript; charset=UTF-8"_ba);
    QCOMPARE(r.body, "___eio[0](\"6:4hello4:4a\\nb4:4\\\"q\\\"7:4\xe2\x82\xac & =+\");"_ba);

    // Binary messages in JSONP are base64 packets.
    env.engine->session(sid)->sendMessage("\x01\x02\x03\x04"_ba, true);
    r = env.get(3, sid, "&j=0");
    QCOMPARE(r.body, "___eio[0](\"10:b4AQIDBA==\");"_ba);
}

// ---- heartbeat --------------------------------------------------------------------

void TestEioServer::heartbeatV4Polling()
{
    Env env(fastHeartbeat());
    OPEN_POLLING(env, sid, 4);
    // Several intervals of ping/pong keep the session alive.
    for (int i = 0; i < 4; ++i) {
        auto poll = env.startPoll(4, sid);
        const auto r = poll->waitResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->body, "2"_ba);
        QCOMPARE(env.post(4, sid, "3").status, 200);
    }
    QVERIFY(!env.closed.contains(sid));
    QVERIFY(env.engine->session(sid));

    // The next ping stays unanswered: closed pingTimeout after it.
    auto poll = env.startPoll(4, sid);
    const auto r = poll->waitResponse();
    QVERIFY(r);
    QCOMPARE(r->body, "2"_ba);
    QElapsedTimer sincePing;
    sincePing.start();
    // A poll parked when the timeout strikes gets the close packet.
    poll = env.startPoll(4, sid);
    QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(sid), Wait);
    QVERIFY2(sincePing.elapsed() >= 300, QByteArray::number(sincePing.elapsed()).constData());
    QCOMPARE(env.closed.value(sid), u"ping timeout"_s);
    const auto closing = poll->waitResponse();
    QVERIFY(closing);
    QCOMPARE(closing->body, "1"_ba);
    QCOMPARE(env.engine->sessionCount(), 0);
    const Response after = env.get(4, sid);
    QCOMPARE(after.status, 400);
    QCOMPARE(after.body, jsonBody(1, "Session ID unknown"));
}

void TestEioServer::heartbeatV4WebSocket()
{
    Env env(fastHeartbeat());
    WsClient c;
    c.autoPong = true;
    const QByteArray sid = env.openWebSocket(c, 4);
    QVERIFY(!sid.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(c.pings >= 5, Wait); // 5 intervals of 200 ms > 600 ms
    QVERIFY(!env.closed.contains(sid));
    QVERIFY(!c.closed);

    // Stop answering: the server sends its close packet and closes.
    c.autoPong = false;
    QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(sid), Wait);
    QCOMPARE(env.closed.value(sid), u"ping timeout"_s);
    QTRY_VERIFY_WITH_TIMEOUT(c.closed, Wait);
    QCOMPARE(c.last(), "1"_ba);
    QCOMPARE(c.ws.closeCode(), QWebSocketProtocol::CloseCodeNormal);
}

void TestEioServer::heartbeatV3Polling()
{
    Env env(fastHeartbeat());
    OPEN_POLLING(env, sid, 3);
    // The client pings; the server pongs with the same data. Keep it up for
    // several times pingInterval + pingTimeout.
    QElapsedTimer t;
    t.start();
    int rounds = 0;
    while (t.elapsed() < 1500 && rounds < 100) {
        const QByteArray ping = rounds == 0 ? "2probe"_ba : "2"_ba;
        QCOMPARE(env.post(3, sid, payload(3, {ping})).status, 200);
        const Response r = env.get(3, sid);
        QCOMPARE(r.status, 200);
        QCOMPARE(packetsV3(r.body), QList<QByteArray>{"3" + ping.mid(1)});
        ++rounds;
        QTest::qWait(100); // the client's own ping cadence
    }
    QVERIFY(!env.closed.contains(sid));

    // Silence: closed after pingInterval + pingTimeout.
    QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(sid), Wait);
    QCOMPARE(env.closed.value(sid), u"ping timeout"_s);
    QCOMPARE(env.get(3, sid).status, 400);
}

void TestEioServer::heartbeatV3WebSocket()
{
    Env env(fastHeartbeat());
    WsClient c;
    const QByteArray sid = env.openWebSocket(c, 3);
    QVERIFY(!sid.isEmpty());
    QTimer pinger;
    QObject::connect(&pinger, &QTimer::timeout, &c.ws, [&c] { c.sendText("2"); });
    pinger.start(100);
    QTRY_VERIFY_WITH_TIMEOUT(c.count >= 12, Wait); // open + 11 pongs, well past 600 ms
    for (qsizetype i = 1; i < c.msgs.size(); ++i)
        QCOMPARE(c.msgs.at(i).data, "3"_ba);
    QVERIFY(!env.closed.contains(sid));
    QVERIFY(!c.closed);

    pinger.stop();
    QElapsedTimer silent;
    silent.start();
    QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(sid), Wait);
    QVERIFY2(silent.elapsed() >= 400, QByteArray::number(silent.elapsed()).constData());
    QCOMPARE(env.closed.value(sid), u"ping timeout"_s);
    QTRY_VERIFY_WITH_TIMEOUT(c.closed, Wait);
}

// ---- closing ------------------------------------------------------------------------

void TestEioServer::clientClose_data()
{
    QTest::addColumn<int>("eio");
    QTest::addColumn<bool>("websocket");
    QTest::newRow("v3 polling") << 3 << false;
    QTest::newRow("v4 polling") << 4 << false;
    QTest::newRow("v3 websocket") << 3 << true;
    QTest::newRow("v4 websocket") << 4 << true;
}

void TestEioServer::clientClose()
{
    QFETCH(int, eio);
    QFETCH(bool, websocket);
    Env env;
    if (websocket) {
        WsClient c;
        const QByteArray sid = env.openWebSocket(c, eio);
        QVERIFY(!sid.isEmpty());
        c.sendText("1");
        QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(sid), Wait);
        QCOMPARE(env.closed.value(sid), u"transport close"_s);
        QTRY_VERIFY_WITH_TIMEOUT(c.closed, Wait);
        QCOMPARE(c.msgs.size(), 1); // no close packet back
        QCOMPARE(env.engine->sessionCount(), 0);
        return;
    }
    OPEN_POLLING(env, sid, eio);
    auto poll = env.startPoll(eio, sid);
    QTRY_VERIFY_WITH_TIMEOUT(env.seen(*poll, 1), Wait);
    QVERIFY(!poll->hasResponse());
    const Response p = env.post(eio, sid, payload(eio, {"1"}));
    QCOMPARE(p.status, 200);
    QCOMPARE(p.body, "ok"_ba);
    const auto r = poll->waitResponse();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(packets(eio, r->body), QList<QByteArray>{"6"});
    QCOMPARE(env.closed.value(sid), u"transport close"_s);
    QCOMPARE(env.engine->sessionCount(), 0);
    QCOMPARE(env.get(eio, sid).body, jsonBody(1, "Session ID unknown"));
}

void TestEioServer::serverClose_data()
{
    QTest::addColumn<int>("eio");
    QTest::addColumn<QString>("mode");
    for (int eio : {3, 4}) {
        for (const QString &mode : {u"pending poll"_s, u"next poll"_s, u"websocket"_s})
            QTest::addRow("v%d %s", eio, qPrintable(mode)) << eio << mode;
    }
}

void TestEioServer::serverClose()
{
    QFETCH(int, eio);
    QFETCH(QString, mode);
    Env env;
    if (mode == "websocket"_L1) {
        WsClient c;
        const QByteArray sid = env.openWebSocket(c, eio);
        QVERIFY(!sid.isEmpty());
        env.engine->session(sid)->close(u"bye"_s);
        QTRY_VERIFY_WITH_TIMEOUT(c.closed, Wait);
        QCOMPARE(c.msgs.size(), 2);
        QCOMPARE(c.msgs.at(1).data, "1"_ba);
        QCOMPARE(c.ws.closeCode(), QWebSocketProtocol::CloseCodeNormal);
        QCOMPARE(env.closed.value(sid), u"bye"_s);
        QCOMPARE(env.engine->sessionCount(), 0);
        return;
    }
    OPEN_POLLING(env, sid, eio);
    env.engine->session(sid)->sendMessage("last words");
    std::unique_ptr<RawClient> poll;
    if (mode == "pending poll"_L1) {
        // A message first: it is sent before the close packet.
        QCOMPARE(packets(eio, env.get(eio, sid).body), QList<QByteArray>{"4last words"});
        poll = env.startPoll(eio, sid);
        QTRY_VERIFY_WITH_TIMEOUT(env.seen(*poll, 1), Wait);
        QVERIFY(!poll->hasResponse());
        env.engine->session(sid)->close(u"bye"_s);
        const auto r = poll->waitResponse();
        QVERIFY(r);
        QCOMPARE(packets(eio, r->body), QList<QByteArray>{"1"});
    } else {
        // No poll parked: the next poll carries the queued message and the close packet.
        env.engine->session(sid)->close(u"bye"_s);
        QVERIFY(!env.closed.contains(sid));
        env.engine->session(sid)->sendMessage("after close"); // dropped: the session is closing
        // Packets of a closing session are ignored (engine.io answers "ok").
        const Response p = env.post(eio, sid, payload(eio, {"4ignored"}));
        QCOMPARE(p.status, 200);
        QVERIFY(env.received.isEmpty());
        const Response r = env.get(eio, sid);
        QCOMPARE(r.status, 200);
        QCOMPARE(packets(eio, r.body), (QList<QByteArray>{"4last words", "1"}));
    }
    QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(sid), Wait);
    QCOMPARE(env.closed.value(sid), u"bye"_s);
    QCOMPARE(env.engine->sessionCount(), 0);
    QCOMPARE(env.get(eio, sid).body, jsonBody(1, "Session ID unknown"));
}

void TestEioServer::serverCloseUnpolled_data()
{
    handshakePolling_data();
}

void TestEioServer::serverCloseUnpolled()
{
    // close() on a polling session whose client never polls again: the
    // session is gone after pingTimeout, with the reason given, and the
    // heartbeat does not interfere.
    QFETCH(int, eio);
    eio::ServerOptions o;
    o.pingIntervalMs = 100; // a v4 ping would be due before the close deadline
    o.pingTimeoutMs = 300;
    Env env(o);
    OPEN_POLLING(env, sid, eio);
    QElapsedTimer t;
    t.start();
    env.engine->session(sid)->close(u"bye"_s);
    QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(sid), Wait);
    QVERIFY2(t.elapsed() >= 250, QByteArray::number(t.elapsed()).constData());
    QCOMPARE(env.closed.value(sid), u"bye"_s);
    QCOMPARE(env.engine->sessionCount(), 0);
}

void TestEioServer::duplicatePoll_data()
{
    handshakePolling_data();
}

void TestEioServer::duplicatePoll()
{
    QFETCH(int, eio);
    Env env;
    OPEN_POLLING(env, sid, eio);
    auto first = env.startPoll(eio, sid);
    QTRY_VERIFY_WITH_TIMEOUT(env.seen(*first, 1), Wait);
    QVERIFY(!first->hasResponse());
    const Response second = env.get(eio, sid);
    QCOMPARE(second.status, 400);
    QCOMPARE(second.body, jsonBody(3, "Bad request"));
    const auto r = first->waitResponse();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(packets(eio, r->body), QList<QByteArray>{"1"});
    QCOMPARE(env.closed.value(sid), u"transport error"_s);
    QCOMPARE(env.engine->sessionCount(), 0);
    QCOMPARE(env.get(eio, sid).body, jsonBody(1, "Session ID unknown"));
}

// ---- upgrade ----------------------------------------------------------------------

void TestEioServer::upgrade_data()
{
    QTest::addColumn<int>("eio");
    QTest::addColumn<bool>("pollFirst"); // a poll is parked when the probe arrives
    QTest::newRow("v3 poll parked") << 3 << true;
    QTest::newRow("v3 poll after probe") << 3 << false;
    QTest::newRow("v4 poll parked") << 4 << true;
    QTest::newRow("v4 poll after probe") << 4 << false;
}

void TestEioServer::upgrade()
{
    QFETCH(int, eio);
    QFETCH(bool, pollFirst);
    Env env;
    OPEN_POLLING(env, sid, eio);
    eio::Session *session = env.engine->session(sid); // stays open throughout

    std::unique_ptr<RawClient> poll;
    if (pollFirst) {
        poll = env.startPoll(eio, sid);
        QTRY_VERIFY_WITH_TIMEOUT(env.seen(*poll, 1), Wait);
        QVERIFY(!poll->hasResponse());
    }
    WsClient c;
    QVERIFY(c.open(env.port, eioTarget(eio, "websocket", sid)));
    QVERIFY(c.msgs.isEmpty()); // no open packet on an upgrade
    // Another websocket while this one is probing is refused.
    expectWebSocketRefused(env.port, eioTarget(eio, "websocket", sid));
    if (QTest::currentTestFailed())
        return;

    c.sendText("2probe");
    QTRY_COMPARE_WITH_TIMEOUT(c.msgs.size(), 1, Wait);
    QCOMPARE(c.msgs.at(0).data, "3probe"_ba);
    QVERIFY(session && session->isUpgrading());
    QCOMPARE(session->transport(), eio::Transport::Polling);

    QList<QByteArray> pollMessages;
    session->sendMessage("q1");
    if (pollFirst) {
        // The parked poll ends with a noop so that the client can pause polling.
        const auto r = poll->waitResponse();
        QVERIFY(r);
        const QList<QByteArray> ps = packets(eio, r->body);
        QCOMPARE(ps.last(), "6"_ba);
        pollMessages = ps.mid(0, ps.size() - 1);
    } else {
        poll = env.startPoll(eio, sid);
        const auto r = poll->waitResponse();
        QVERIFY(r);
        const QList<QByteArray> ps = packets(eio, r->body);
        QCOMPARE(ps.last(), "6"_ba);
        pollMessages = ps.mid(0, ps.size() - 1);
    }
    session->sendMessage("q2"); // queued while the transport is paused

    c.sendText("5");
    QTRY_COMPARE_WITH_TIMEOUT(session->transport(), eio::Transport::WebSocket, Wait);
    QVERIFY(!session->isUpgrading());
    // Everything sent during the upgrade arrives exactly once, in order.
    QList<QByteArray> all = pollMessages;
    QTRY_VERIFY_WITH_TIMEOUT(all.size() + c.msgs.size() - 1 >= 2, Wait);
    for (qsizetype i = 1; i < c.msgs.size(); ++i)
        all.append(c.msgs.at(i).data);
    QCOMPARE(all, (QList<QByteArray>{"4q1", "4q2"}));

    // Messages now flow over the websocket, both ways.
    const qsizetype before = c.msgs.size();
    c.sendText("4over ws");
    QTRY_COMPARE_WITH_TIMEOUT(c.msgs.size(), before + 1, Wait);
    QCOMPARE(c.last(), "4over ws"_ba);
    session->sendMessage("pushed");
    QTRY_COMPARE_WITH_TIMEOUT(c.last(), "4pushed"_ba, Wait);

    // Polling is over for this session; so is a second websocket.
    Response r = env.get(eio, sid);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, jsonBody(3, "Bad request"));
    r = env.post(eio, sid, payload(eio, {"4late"}));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.body, jsonBody(3, "Bad request"));
    expectWebSocketRefused(env.port, eioTarget(eio, "websocket", sid));
    if (QTest::currentTestFailed())
        return;
    QVERIFY(!env.closed.contains(sid));
    QVERIFY(!c.closed);
    c.sendText("4still");
    QTRY_COMPARE_WITH_TIMEOUT(c.last(), "4still"_ba, Wait);
}

void TestEioServer::upgradeTimeout_data()
{
    handshakePolling_data();
}

void TestEioServer::upgradeTimeout()
{
    QFETCH(int, eio);
    eio::ServerOptions o = quietOptions();
    o.upgradeTimeoutMs = 300;
    Env env(o);
    OPEN_POLLING(env, sid, eio);
    WsClient c;
    QVERIFY(c.open(env.port, eioTarget(eio, "websocket", sid)));
    c.sendText("2probe");
    QTRY_COMPARE_WITH_TIMEOUT(c.last(), "3probe"_ba, Wait);
    QElapsedTimer t;
    t.start();
    // No "5": the probe is dropped after upgradeTimeout, the session stays on polling.
    QTRY_VERIFY_WITH_TIMEOUT(c.closed, Wait);
    QVERIFY2(t.elapsed() >= 200, QByteArray::number(t.elapsed()).constData());
    eio::Session *s = env.engine->session(sid);
    QVERIFY(s);
    QVERIFY(!s->isUpgrading());
    QCOMPARE(s->transport(), eio::Transport::Polling);
    QVERIFY(!env.closed.contains(sid));
    // The noop owed to the paused poll may come first; then the echo.
    QCOMPARE(env.post(eio, sid, payload(eio, {"4after"})).status, 200);
    QList<QByteArray> got;
    for (int i = 0; i < 3 && !got.contains("4after"); ++i) {
        const Response r = env.get(eio, sid);
        QCOMPARE(r.status, 200);
        got += packets(eio, r.body);
    }
    got.removeAll("6");
    QCOMPARE(got, QList<QByteArray>{"4after"});
}

void TestEioServer::closeDuringUpgrade_data()
{
    handshakePolling_data();
}

void TestEioServer::closeDuringUpgrade()
{
    // close() while the probe is in flight: the upgrade completes onto a
    // closing session, which sends its one close packet there and closes.
    QFETCH(int, eio);
    Env env;
    OPEN_POLLING(env, sid, eio);
    WsClient c;
    QVERIFY(c.open(env.port, eioTarget(eio, "websocket", sid)));
    c.sendText("2probe");
    QTRY_COMPARE_WITH_TIMEOUT(c.last(), "3probe"_ba, Wait);
    env.engine->session(sid)->close(u"bye"_s);
    QVERIFY(!env.closed.contains(sid));
    c.sendText("5");
    QTRY_VERIFY_WITH_TIMEOUT(c.closed, Wait);
    QCOMPARE(env.closed.value(sid), u"bye"_s);
    QList<QByteArray> got;
    for (const Msg &m : std::as_const(c.msgs))
        got.append(m.data);
    got.removeAll("6"); // v3 ends the polling cycle with a noop on the new transport
    QCOMPARE(got, (QList<QByteArray>{"3probe", "1"}));
    QCOMPARE(c.ws.closeCode(), QWebSocketProtocol::CloseCodeNormal);
}

void TestEioServer::upgradeAborted_data()
{
    handshakePolling_data();
}

void TestEioServer::upgradeAborted()
{
    // Anything but "2probe" / "5" on the probe ends the probe; the session
    // stays on polling.
    QFETCH(int, eio);
    Env env;
    OPEN_POLLING(env, sid, eio);
    WsClient c;
    QVERIFY(c.open(env.port, eioTarget(eio, "websocket", sid)));
    c.sendText("4not yet");
    QTRY_VERIFY_WITH_TIMEOUT(c.closed, Wait);
    QCOMPARE(c.ws.closeCode(), QWebSocketProtocol::CloseCodeProtocolError);
    QVERIFY(c.msgs.isEmpty());
    QVERIFY(env.received.isEmpty());
    eio::Session *s = env.engine->session(sid);
    QVERIFY(s);
    QVERIFY(!s->isUpgrading());
    QVERIFY(env.echoes(eio, sid, "polling still"));

    // A new probe then works.
    WsClient again;
    QVERIFY(again.open(env.port, eioTarget(eio, "websocket", sid)));
    again.sendText("2probe");
    QTRY_COMPARE_WITH_TIMEOUT(again.last(), "3probe"_ba, Wait);
    again.sendText("5");
    QTRY_COMPARE_WITH_TIMEOUT(s->transport(), eio::Transport::WebSocket, Wait);
    again.sendText("4ws");
    QTRY_COMPARE_WITH_TIMEOUT(again.last(), "4ws"_ba, Wait);
}

// ---- limits and bad input -----------------------------------------------------------

void TestEioServer::maxPayloadPolling_data()
{
    handshakePolling_data();
}

void TestEioServer::maxPayloadPolling()
{
    QFETCH(int, eio);
    eio::ServerOptions o = quietOptions();
    o.maxPayload = 1000;
    Env env(o);
    OPEN_POLLING(env, sid, eio);
    OPEN_POLLING(env, other, eio);
    // At the limit: fine.
    QByteArray fits = payload(eio, {"4" + QByteArray(eio == 4 ? 999 : 995, 'a')});
    QCOMPARE(fits.size(), 1000);
    QCOMPARE(env.post(eio, sid, fits).status, 200);
    QCOMPARE(env.get(eio, sid).status, 200);

    auto poll = env.startPoll(eio, sid);
    QTRY_VERIFY_WITH_TIMEOUT(env.seen(*poll, 1), Wait);
    const Response r = env.post(eio, sid, payload(eio, {"4" + QByteArray(2000, 'a')}));
    QCOMPARE(r.status, 413);
    QCOMPARE(r.header("connection"), "close"_ba);
    QCOMPARE(env.closed.value(sid), u"transport error"_s);
    const auto pr = poll->waitResponse();
    QVERIFY(pr);
    QCOMPARE(packets(eio, pr->body), QList<QByteArray>{"1"});
    QCOMPARE(env.get(eio, sid).body, jsonBody(1, "Session ID unknown"));
    QVERIFY(env.echoes(eio, other, "unaffected"));
}

void TestEioServer::maxPayloadWebSocket_data()
{
    handshakePolling_data();
}

void TestEioServer::maxPayloadWebSocket()
{
    QFETCH(int, eio);
    eio::ServerOptions o = quietOptions();
    o.maxPayload = 1000;
    Env env(o);
    WsClient a, b;
    const QByteArray sidA = env.openWebSocket(a, eio);
    const QByteArray sidB = env.openWebSocket(b, eio);
    QVERIFY(!sidA.isEmpty() && !sidB.isEmpty());
    a.sendText("4" + QByteArray(999, 'a'));
    QTRY_COMPARE_WITH_TIMEOUT(a.msgs.size(), 2, Wait);
    a.sendText("4" + QByteArray(2000, 'a'));
    QTRY_VERIFY_WITH_TIMEOUT(a.closed, Wait);
    QCOMPARE(env.closed.value(sidA), u"transport error"_s);
    QCOMPARE(env.received.size(), 1);
    b.sendText("4b");
    QTRY_COMPARE_WITH_TIMEOUT(b.last(), "4b"_ba, Wait);
    QVERIFY(!env.closed.contains(sidB));
}

void TestEioServer::badHttpInput_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("thenClose"); // the client closes after sending
    QTest::addColumn<int>("status");     // 0: no answer expected

    QTest::newRow("garbage request line") << "HELLO THERE\r\n\r\n"_ba << false << 400;
    QTest::newRow("no version") << "GET /engine.io/\r\n\r\n"_ba << false << 400;
    QTest::newRow("HTTP/2.0") << "GET /engine.io/?EIO=4&transport=polling HTTP/2.0\r\n\r\n"_ba
                              << false << 505;
    QTest::newRow("truncated headers then close")
        << "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nAcc"_ba << true << 0;
    QByteArray junk;
    for (int i = 0; i < 512; ++i)
        junk.append(char((i * 37 + 11) & 0xff));
    QTest::newRow("binary junk") << junk + "\r\n\r\n" << false << 400;
    QTest::newRow("NUL bytes") << QByteArray(64, '\0') + "\r\n\r\n" << false << 400;
    QTest::newRow("huge header") << "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nX-Big: " +
                                        QByteArray(20000, 'a') + "\r\n\r\n"
                                 << false << 431;
    QTest::newRow("bad content-length")
        << "POST /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: x\r\n\r\n"_ba
        << false << 400;
    QTest::newRow("body over the HTTP limit")
        << "POST /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"_ba
        << false << 413;
}

void TestEioServer::badHttpInput()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, thenClose);
    QFETCH(int, status);
    Env env;
    OPEN_POLLING(env, good, 4);
    WsClient ws;
    QVERIFY(!env.openWebSocket(ws, 4).isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(env.http->connectionCount(), 1, Wait); // only the websocket

    RawClient bad(env.port);
    bad.send(bytes);
    if (thenClose) {
        QVERIFY(bad.socket.waitForBytesWritten(Wait) || bad.socket.bytesToWrite() == 0);
        QTRY_COMPARE_WITH_TIMEOUT(env.http->connectionCount(), 2, Wait);
        bad.socket.disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(env.http->connectionCount(), 1, Wait);
        QVERIFY(bad.in.isEmpty());
    } else {
        const auto r = bad.waitResponse();
        QVERIFY(r);
        QCOMPARE(r->status, status);
        QCOMPARE(r->header("connection"), "close"_ba);
        QTRY_VERIFY_WITH_TIMEOUT(bad.isClosed(), Wait);
        QTRY_COMPARE_WITH_TIMEOUT(env.http->connectionCount(), 1, Wait);
    }
    // Nobody else noticed.
    QCOMPARE(env.engine->sessionCount(), 2);
    QVERIFY(env.echoes(4, good, "fine"));
    ws.sendText("4fine too");
    QTRY_COMPARE_WITH_TIMEOUT(ws.last(), "4fine too"_ba, Wait);
}

void TestEioServer::invalidPayload_data()
{
    QTest::addColumn<int>("eio");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");
    const QByteArray text = "text/plain;charset=UTF-8";
    const QByteArray octet = "application/octet-stream";
    QTest::newRow("v3 length too long") << 3 << "9:4hi"_ba << text;
    QTest::newRow("v3 length not a number") << 3 << "x:4hi"_ba << text;
    QTest::newRow("v3 no colon") << 3 << "4hi"_ba << text;
    QTest::newRow("v3 unknown packet type") << 3 << "3:9hi"_ba << text;
    QTest::newRow("v3 bad base64") << 3 << "4:b4!!"_ba << text;
    QTest::newRow("v3 truncated binary payload")
        << 3 << QByteArray("\x01\x09\xff\x04\x01", 5) << octet;
    QTest::newRow("v3 binary payload no separator") << 3 << QByteArray("\x00\x03", 2) << octet;
    QTest::newRow("v4 empty body") << 4 << QByteArray() << text;
    QTest::newRow("v4 empty record") << 4
                                     << "4a\x1e\x1e"
                                        "4b"_ba
                                     << text;
    QTest::newRow("v4 trailing separator") << 4 << "4a\x1e"_ba << text;
    QTest::newRow("v4 unknown packet type") << 4 << "9hi"_ba << text;
    QTest::newRow("v4 bad base64") << 4 << "b!!!"_ba << text;
}

void TestEioServer::invalidPayload()
{
    QFETCH(int, eio);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    Env env;
    OPEN_POLLING(env, sid, eio);
    OPEN_POLLING(env, other, eio);
    const Response r = env.post(eio, sid, body, {"Content-Type: " + contentType});
    QCOMPARE(r.status, 400);
    QCOMPARE(env.closed.value(sid), u"transport error"_s);
    QVERIFY(env.received.isEmpty());
    QCOMPARE(env.get(eio, sid).body, jsonBody(1, "Session ID unknown"));
    QVERIFY(env.echoes(eio, other, "unaffected"));
}

void TestEioServer::malformedWebSocket_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<int>("closeCode"); // the server's close frame

    QTest::newRow("unmasked") << clientFrame(0x1, "4hi", true, false) << 1002;
    QTest::newRow("reserved opcode 3") << clientFrame(0x3, "4hi") << 1002;
    QTest::newRow("reserved opcode B") << clientFrame(0xB, "") << 1002;
    QTest::newRow("RSV bits") << []() {
        QByteArray f = clientFrame(0x1, "4hi");
        f[0] = char(f.at(0) | 0x40);
        return f;
    }() << 1002;
    QTest::newRow("fragmented ping") << clientFrame(0x9, "x", false) << 1002;
    QTest::newRow("continuation first") << clientFrame(0x0, "4hi") << 1002;
    QTest::newRow("invalid UTF-8 text") << clientFrame(0x1, "4\xff\xfe") << 1007;
    QTest::newRow("engine.io garbage") << clientFrame(0x1, "x") << 1000;
    QTest::newRow("empty text") << clientFrame(0x1, "") << 1000;
}

void TestEioServer::malformedWebSocket()
{
    QFETCH(QByteArray, frame);
    QFETCH(int, closeCode);
    Env env;
    WsClient good;
    const QByteArray goodSid = env.openWebSocket(good, 4);
    QVERIFY(!goodSid.isEmpty());

    RawClient bad(env.port);
    bad.send(upgradeRequest(eioTarget(4, "websocket")));
    const auto hs = bad.waitResponse();
    QVERIFY(hs);
    QCOMPARE(hs->status, 101);
    QCOMPARE(hs->header("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="_ba);
    const auto open = bad.waitFrame();
    QVERIFY(open);
    QCOMPARE(open->opcode, quint8(0x1));
    QVERIFY(open->payload.startsWith("0{"));
    const QByteArray badSid = QJsonDocument::fromJson(open->payload.mid(1))
                                  .object()
                                  .value(u"sid"_s)
                                  .toString()
                                  .toLatin1();
    QCOMPARE(env.engine->sessionCount(), 2);

    bad.send(frame);
    // Frames until the close frame (engine.io-level errors send "1" first).
    std::optional<WsFrame> f;
    for (int i = 0; i < 3; ++i) {
        f = bad.waitFrame();
        QVERIFY(f);
        if (f->opcode == 0x8)
            break;
        QCOMPARE(f->payload, "1"_ba);
    }
    QCOMPARE(f->opcode, quint8(0x8));
    QVERIFY(f->payload.size() >= 2);
    QCOMPARE((quint8(f->payload.at(0)) << 8) | quint8(f->payload.at(1)), closeCode);
    QTRY_VERIFY_WITH_TIMEOUT(bad.isClosed() || bad.socket.state() == QAbstractSocket::ClosingState,
                             Wait);
    QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(badSid), Wait);
    QVERIFY(env.received.isEmpty());

    good.sendText("4still echoing");
    QTRY_COMPARE_WITH_TIMEOUT(good.last(), "4still echoing"_ba, Wait);
    QVERIFY(!env.closed.contains(goodSid));
    QCOMPARE(env.engine->sessionCount(), 1);
}

void TestEioServer::longPollClientGone_data()
{
    handshakePolling_data();
}

void TestEioServer::longPollClientGone()
{
    QFETCH(int, eio);
    Env env;
    OPEN_POLLING(env, sid, eio);
    OPEN_POLLING(env, other, eio);
    {
        auto poll = env.startPoll(eio, sid);
        QTRY_VERIFY_WITH_TIMEOUT(env.seen(*poll, 1), Wait);
        QVERIFY(!poll->hasResponse());
        poll->socket.abort();
    }
    QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(sid), Wait);
    QCOMPARE(env.closed.value(sid), u"transport close"_s);
    QCOMPARE(env.engine->sessionCount(), 1);
    // Sending to nobody and a late poll are harmless.
    QCOMPARE(env.get(eio, sid).body, jsonBody(1, "Session ID unknown"));
    QVERIFY(env.echoes(eio, other, "unaffected"));

    // The same with a graceful close of the poll's connection.
    {
        auto poll = env.startPoll(eio, other);
        QTRY_VERIFY_WITH_TIMEOUT(env.seen(*poll, 1), Wait);
        poll->socket.disconnectFromHost();
        QTRY_VERIFY_WITH_TIMEOUT(env.closed.contains(other), Wait);
    }
    QCOMPARE(env.engine->sessionCount(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(env.http->connectionCount(), 0, Wait);
}

// ---- HTTP details -----------------------------------------------------------------

void TestEioServer::pipelinedKeepAlive()
{
    Env env;
    RawClient c(env.port);
    // Three requests in one write: answered in order on the same connection.
    c.send(request("OPTIONS", eioTarget(4, "polling")) + request("GET", eioTarget(4, "polling")) +
           request("GET", "/engine.io/?EIO=9&transport=polling") + request("GET", "/other"));
    const auto r1 = c.waitResponse();
    const auto r2 = c.waitResponse();
    const auto r3 = c.waitResponse();
    const auto r4 = c.waitResponse();
    QVERIFY(r1 && r2 && r3 && r4);
    QCOMPARE(r1->status, 204);
    QCOMPARE(r2->status, 200);
    QVERIFY(r2->body.startsWith("0{"));
    QCOMPARE(r2->header("connection"), "keep-alive"_ba);
    QCOMPARE(r3->status, 400);
    QCOMPARE(r3->body, jsonBody(5, "Unsupported protocol version"));
    QCOMPARE(r4->status, 404);
    QCOMPARE(env.http->connectionCount(), 1);
    const QByteArray sid =
        QJsonDocument::fromJson(r2->body.mid(1)).object().value(u"sid"_s).toString().toLatin1();
    QVERIFY(!sid.isEmpty());

    // POST then GET pipelined: the echo comes back on the GET.
    c.send(request("POST", eioTarget(4, "polling", sid),
                   "4a\x1e"
                   "4b") +
           request("GET", eioTarget(4, "polling", sid)));
    const auto p = c.waitResponse();
    const auto g = c.waitResponse();
    QVERIFY(p && g);
    QCOMPARE(p->body, "ok"_ba);
    QCOMPARE(g->body, "4a\x1e"
                      "4b"_ba);

    // A parked poll holds back the request pipelined behind it.
    c.send(request("GET", eioTarget(4, "polling", sid)) +
           request("GET", "/engine.io/?EIO=4&transport=nope"));
    QTRY_VERIFY_WITH_TIMEOUT(env.seen(c, 7), Wait);
    QVERIFY(!c.hasResponse());
    env.engine->session(sid)->sendMessage("late");
    const auto l1 = c.waitResponse();
    const auto l2 = c.waitResponse();
    QVERIFY(l1 && l2);
    QCOMPARE(l1->body, "4late"_ba);
    QCOMPARE(l2->body, jsonBody(0, "Transport unknown"));

    // Connection: close is honoured.
    c.send(request("GET", "/other", {}, {"Connection: close"}));
    const auto last = c.waitResponse();
    QVERIFY(last);
    QCOMPARE(last->header("connection"), "close"_ba);
    QTRY_VERIFY_WITH_TIMEOUT(c.isClosed(), Wait);
}

void TestEioServer::chunkedPost()
{
    Env env;
    OPEN_POLLING(env, sid, 4);
    const QByteArray raw = "POST " + eioTarget(4, "polling", sid) +
                           " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\n4ab\r\n4\r\n\x1e"
                           "4cd\r\n0\r\n\r\n";
    const Response r = env.call(raw);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, "ok"_ba);
    QCOMPARE(env.get(4, sid).body, "4ab\x1e"
                                   "4cd"_ba);

    // HTTP/1.0: answered, then closed.
    RawClient old(env.port);
    old.send("GET " + eioTarget(4, "polling") + " HTTP/1.0\r\n\r\n");
    const auto o = old.waitResponse();
    QVERIFY(o);
    QCOMPARE(o->status, 200);
    QCOMPARE(o->header("connection"), "close"_ba);
    QTRY_VERIFY_WITH_TIMEOUT(old.isClosed(), Wait);
}

void TestEioServer::cors_data()
{
    QTest::addColumn<QByteArray>("origin"); // empty: none sent
    QTest::newRow("no origin") << QByteArray();
    QTest::newRow("origin") << "https://app.example.com"_ba;
}

void TestEioServer::cors()
{
    QFETCH(QByteArray, origin);
    Env env;
    const QList<QByteArray> headers =
        origin.isEmpty() ? QList<QByteArray>{} : QList<QByteArray>{"Origin: " + origin};
    auto check = [&](const Response &r) {
        if (origin.isEmpty()) {
            QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
            QVERIFY(!r.hasHeader("access-control-allow-credentials"));
        } else {
            QCOMPARE(r.header("access-control-allow-origin"), origin);
            QCOMPARE(r.header("access-control-allow-credentials"), "true"_ba);
        }
    };
    const Response h = env.call(request("GET", eioTarget(4, "polling"), {}, headers));
    QCOMPARE(h.status, 200);
    check(h);
    if (QTest::currentTestFailed())
        return;
    const QByteArray sid =
        QJsonDocument::fromJson(h.body.mid(1)).object().value(u"sid"_s).toString().toLatin1();
    const Response p = env.call(request("POST", eioTarget(4, "polling", sid), "4x", headers));
    QCOMPARE(p.status, 200);
    check(p);
    const Response g = env.call(request("GET", eioTarget(4, "polling", sid), {}, headers));
    QCOMPARE(g.body, "4x"_ba);
    check(g);
    const Response e = env.call(request("GET", eioTarget(4, "polling", "nope"), {}, headers));
    QCOMPARE(e.status, 400);
    check(e);
}

void TestEioServer::preflight()
{
    Env env;
    Response r =
        env.call(request("OPTIONS", eioTarget(4, "polling"), {},
                         {"Origin: http://localhost:8080", "Access-Control-Request-Method: POST",
                          "Access-Control-Request-Headers: content-type, x-custom"}));
    QCOMPARE(r.status, 204);
    QVERIFY(r.body.isEmpty());
    QCOMPARE(r.header("access-control-allow-origin"), "http://localhost:8080"_ba);
    QCOMPARE(r.header("access-control-allow-credentials"), "true"_ba);
    const QByteArray methods = r.header("access-control-allow-methods");
    for (const char *m : {"GET", "POST", "OPTIONS"})
        QVERIFY2(methods.contains(m), methods.constData());
    QCOMPARE(r.header("access-control-allow-headers"), "content-type, x-custom"_ba);
    QVERIFY(r.hasHeader("access-control-max-age"));
    QCOMPARE(env.engine->sessionCount(), 0);

    r = env.call(request("OPTIONS", "/engine.io/"));
    QCOMPARE(r.status, 204);
    QCOMPARE(r.header("access-control-allow-origin"), "*"_ba);
    QVERIFY(r.header("access-control-allow-headers").toLower().contains("content-type"));
}

void TestEioServer::idleTimeout()
{
    net::ConnectionLimits limits;
    limits.idleTimeoutMs = 300;
    Env env(quietOptions(), limits);

    // A connection that never sends a request is closed.
    RawClient silent(env.port);
    QVERIFY(silent.socket.waitForConnected(Wait));
    QElapsedTimer t;
    t.start();
    QTRY_VERIFY_WITH_TIMEOUT(silent.isClosed(), Wait);
    QVERIFY2(t.elapsed() >= 200, QByteArray::number(t.elapsed()).constData());
    QVERIFY(silent.in.isEmpty());

    // So is a keep-alive connection after its last response.
    RawClient keep(env.port);
    keep.send(request("GET", eioTarget(4, "polling")));
    const auto h = keep.waitResponse();
    QVERIFY(h);
    const QByteArray sid =
        QJsonDocument::fromJson(h->body.mid(1)).object().value(u"sid"_s).toString().toLatin1();
    QTRY_VERIFY_WITH_TIMEOUT(keep.isClosed(), Wait);

    // But not while a long-poll is parked on it: waiting past the idle
    // timeout is the point here.
    RawClient poll(env.port);
    poll.send(request("GET", eioTarget(4, "polling", sid)));
    QTest::qWait(900);
    QVERIFY(!poll.isClosed());
    QVERIFY(!poll.hasResponse());
    env.engine->session(sid)->sendMessage("woken");
    const auto r = poll.waitResponse();
    QVERIFY(r);
    QCOMPARE(r->body, "4woken"_ba);
    QTRY_VERIFY_WITH_TIMEOUT(poll.isClosed(), Wait); // idle again afterwards
    // The session is not tied to a connection.
    QVERIFY(env.echoes(4, sid, "alive"));

    // A websocket is not subject to the HTTP idle timeout.
    WsClient ws;
    QVERIFY(!env.openWebSocket(ws, 4).isEmpty());
    QTest::qWait(900);
    QVERIFY(!ws.closed);
    ws.sendText("4ws");
    QTRY_COMPARE_WITH_TIMEOUT(ws.last(), "4ws"_ba, Wait);
}

void TestEioServer::slowReaderCutOff()
{
    net::ConnectionLimits limits;
    limits.maxOutputBytes = 256 * 1024;
    Env env(quietOptions(), limits);

    const qintptr fd = smallWindowSocket(env.port);
    QVERIFY(fd >= 0);
    RawClient slow(fd);
    slow.socket.setReadBufferSize(4096);
    slow.send(upgradeRequest(eioTarget(4, "websocket")));
    const auto hs = slow.waitResponse();
    QVERIFY(hs);
    QCOMPARE(hs->status, 101);
    const auto open = slow.waitFrame();
    QVERIFY(open);
    const QByteArray slowSid = QJsonDocument::fromJson(open->payload.mid(1))
                                   .object()
                                   .value(u"sid"_s)
                                   .toString()
                                   .toLatin1();
    QVERIFY(!slowSid.isEmpty());
    // From here on `slow` never reads again.

    WsClient fast;
    const QByteArray fastSid = env.openWebSocket(fast, 4);
    QVERIFY(!fastSid.isEmpty());
    fast.keep = false; // count only: megabytes go through

    // Sessions are not QObjects: look them up by id (null once closed).
    const auto slowSession = [&] { return env.engine->session(slowSid); };
    const auto fastSession = [&] { return env.engine->session(fastSid); };
    const QByteArray big(64 * 1024, 'x');
    int sent = 0;
    // Bounded: 400 x 64 KiB = 25 MiB, far above what the kernel buffers.
    for (int round = 0; round < 400 && !env.closed.contains(slowSid); ++round) {
        if (eio::Session *slow = slowSession())
            slow->sendMessage(big);
        QVERIFY(fastSession());
        fastSession()->sendMessage(big);
        ++sent;
        QTRY_COMPARE_WITH_TIMEOUT(fast.count, 1 + sent, 10000);
    }
    QVERIFY2(env.closed.contains(slowSid), "the slow reader was never cut off");
    QCOMPARE(env.closed.value(slowSid), u"transport close"_s);
    QVERIFY(!slowSession() || !slowSession()->isOpen());
    QVERIFY(!env.closed.contains(fastSid));
    QVERIFY(!fast.closed);
    QVERIFY(fastSession());
    fastSession()->sendMessage("after");
    QTRY_COMPARE_WITH_TIMEOUT(fast.count, 2 + sent, Wait);
    QCOMPARE(env.engine->sessionCount(), 1);
}

void TestEioServer::largeResponseToReader()
{
    // maxOutputBytes bounds the backlog of a peer that does not read, not
    // the size of one response: a poll that collects more than the limit,
    // or one big websocket message, still reaches a client that reads.
    net::ConnectionLimits limits;
    limits.maxOutputBytes = 256 * 1024;
    Env env(quietOptions(), limits);
    OPEN_POLLING(env, sid, 4);
    const QByteArray chunk(64 * 1024, 'p');
    for (int i = 0; i < 8; ++i)
        env.engine->session(sid)->sendMessage(chunk);
    const Response r = env.get(4, sid);
    QCOMPARE(r.status, 200);
    const QList<QByteArray> ps = packetsV4(r.body);
    QCOMPARE(ps.size(), 8);
    for (const QByteArray &p : ps)
        QCOMPARE(p, "4" + chunk);
    QVERIFY(!env.closed.contains(sid));

    WsClient c;
    const QByteArray wsSid = env.openWebSocket(c, 4);
    QVERIFY(!wsSid.isEmpty());
    env.engine->session(wsSid)->sendMessage(QByteArray(400 * 1024, 'w'));
    QTRY_COMPARE_WITH_TIMEOUT(c.msgs.size(), 2, Wait);
    QCOMPARE(c.msgs.at(1).data.size(), 400 * 1024 + 1);
    QVERIFY(!c.closed);
}

QTEST_GUILESS_MAIN(TestEioServer)
#include "tst_server.moc"
