// Protocol test server for the official Engine.IO and Socket.IO test
// suites and for qpush's interop tests:
//  - /engine.io/: raw Engine.IO (v3 and v4) that echoes every message back;
//    the text message "close-me" makes the server close that session.
//  - /socket.io/: Socket.IO with namespaces "/" and "/custom" (others are
//    refused with "Invalid namespace"), plus test hooks on "/".
// Usage: qpush-protocol-server --port N   (0 = any free port)
// Prints "listening 127.0.0.1:<port>" once ready. Loopback only.
#include "engineio/server.h"
#include "eventloop/dispatcher.h"
#include "eventloop/signalwatcher.h"
#include "net/httpserver.h"
#include "socketio/server.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QPointer>
#include <QTimer>

#include <cstdio>

using namespace qpush;

namespace {

class EchoHandler : public eio::SessionHandler
{
public:
    void onMessage(eio::Session *session, const QByteArray &data, bool binary) override
    {
        if (!binary && data == "close-me") {
            session->close();
            return;
        }
        session->sendMessage(data, binary);
    }
    void onClose(eio::Session *, const QString &) override {}
};

void setupNamespace(sio::Namespace *nsp, bool withHooks)
{
    nsp->onConnection([](sio::Socket *socket) {
        // v5: the CONNECT payload; v4: the handshake query without the
        // Engine.IO parameters (socket.io 2.x has no CONNECT payload).
        QJsonObject auth = socket->auth();
        if (socket->protocol() == sio::Protocol::V4) {
            auth = socket->queryObject();
            for (const char *k : {"EIO", "transport", "t", "sid", "b64", "j"})
                auth.remove(QLatin1String(k));
        }
        // A few ms after the CONNECT reply, so that the test suites (which
        // read one frame per TCP read) see the two packets separately.
        if (socket->protocol() == sio::Protocol::V4) {
            socket->emit(QStringLiteral("auth"), QJsonArray{auth});
            return;
        }
        QPointer<sio::Socket> guard(socket);
        QTimer::singleShot(3, socket, [guard, auth] {
            if (guard)
                guard->emit(QStringLiteral("auth"), QJsonArray{auth});
        });
    });
    nsp->on(QStringLiteral("message"), [](sio::Socket *s, sio::Payload &p, sio::Ack) {
        s->emit(QStringLiteral("message-back"), p.args, p.attachments);
    });
    nsp->on(QStringLiteral("message-with-ack"),
            [](sio::Socket *, sio::Payload &p, sio::Ack ack) { ack(p.args, p.attachments); });
    if (!withHooks)
        return;
    nsp->on(QStringLiteral("join"), [](sio::Socket *s, sio::Payload &p, sio::Ack ack) {
        s->join(p.args.at(0).toString());
        ack({true});
    });
    nsp->on(QStringLiteral("leave"), [](sio::Socket *s, sio::Payload &p, sio::Ack ack) {
        s->leave(p.args.at(0).toString());
        ack({true});
    });
    nsp->on(QStringLiteral("broadcast"), [nsp](sio::Socket *, sio::Payload &p, sio::Ack ack) {
        const QJsonObject o = p.args.at(0).toObject();
        sio::Broadcast b = nsp->all();
        for (const QJsonValue &r : o.value(QStringLiteral("rooms")).toArray())
            b.to(r.toString());
        for (const QJsonValue &id : o.value(QStringLiteral("except")).toArray())
            b.except(id.toString().toUtf8());
        b.emit(o.value(QStringLiteral("event")).toString(),
               o.value(QStringLiteral("args")).toArray(), p.attachments);
        ack({true});
    });
    nsp->on(QStringLiteral("server-disconnect"),
            [](sio::Socket *s, sio::Payload &, sio::Ack) { s->disconnect(); });
    nsp->on(QStringLiteral("server-close"),
            [](sio::Socket *s, sio::Payload &, sio::Ack) { s->disconnect(true); });
    nsp->on(QStringLiteral("whoami"), [](sio::Socket *s, sio::Payload &, sio::Ack ack) {
        ack({QString::fromUtf8(s->id())});
    });
    nsp->on(QStringLiteral("ask"), [](sio::Socket *s, sio::Payload &p, sio::Ack ack) {
        const QJsonObject o = p.args.at(0).toObject();
        s->emitWithAck(
            o.value(QStringLiteral("event")).toString(), o.value(QStringLiteral("args")).toArray(),
            [ack](bool timedOut, sio::Payload &reply) mutable {
                if (timedOut)
                    ack({QJsonObject{{QStringLiteral("ok"), false},
                                     {QStringLiteral("error"), QStringLiteral("timeout")}}});
                else
                    ack({QJsonObject{{QStringLiteral("ok"), true},
                                     {QStringLiteral("reply"), reply.args}}},
                        reply.attachments);
            },
            2000, p.attachments);
    });
}

} // namespace

int main(int argc, char *argv[])
{
    // Linux: the epoll dispatcher, as in qpush-server; QPUSH_STOCK_EVENT_LOOP=1
    // or a QPUSH_PORTABLE build keep Qt's own.
    qpush::eventloop::installEventDispatcher();
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("port"), QStringLiteral("Port (0 = any free port)."),
                      QStringLiteral("port"), QStringLiteral("3000")});
    parser.process(app);
    bool ok = false;
    const uint port = parser.value(QStringLiteral("port")).toUInt(&ok);
    if (!ok || port > 65535) {
        std::fprintf(stderr, "invalid --port\n");
        return 2;
    }

    net::DeadlineQueue deadlines;
    net::ConnectionLimits limits;
    limits.http.maxBodyBytes = 1000000 + 64 * 1024;
    limits.maxWebSocketMessage = 1000000 + 64;
    limits.maxOutputBytes = 64 << 20;
    net::HttpServer http(limits, &deadlines);

    eio::ServerOptions eo;
    eo.pingIntervalMs = 300;
    eo.pingTimeoutMs = 200;
    eo.maxPayload = 1000000;
    eo.openPacketDelayMs = 3;
    eo.path = "/engine.io/";
    eio::Server rawEngine(eo, &deadlines);
    EchoHandler echo;
    rawEngine.setConnectionHandler([&echo](eio::Session *s) { s->setHandler(&echo); });

    eo.path = "/socket.io/";
    eio::Server sioEngine(eo, &deadlines);
    sio::ServerOptions so;
    so.connectTimeoutMs = 1000;
    sio::Server io(&sioEngine, so);
    setupNamespace(io.of(QStringLiteral("/")), true);
    setupNamespace(io.of(QStringLiteral("/custom")), false);

    http.setHandler([&](net::Responder responder, http::Request &request) {
        if (rawEngine.matches(request.path))
            return rawEngine.handleRequest(std::move(responder), request);
        if (sioEngine.matches(request.path))
            return sioEngine.handleRequest(std::move(responder), request);
        responder.respond(404, {{"content-type", "text/plain"}}, "Not Found");
    });
    if (!http.listen(QHostAddress::LocalHost, quint16(port))) {
        std::fprintf(stderr, "cannot listen on 127.0.0.1:%u: %s\n", port,
                     qPrintable(http.errorString()));
        return 1;
    }
    std::printf("listening 127.0.0.1:%u\n", unsigned(http.serverPort()));
    std::fflush(stdout);

    eventloop::SignalWatcher signals;
    QObject::connect(&signals, &eventloop::SignalWatcher::terminationRequested, &app, [&] {
        http.stopListening();
        rawEngine.closeAll();
        io.closeAll();
        QTimer::singleShot(200, &app, &QCoreApplication::quit);
    });
    return app.exec();
}
