#pragma once
// An in-process Socket.IO server for tests: net::HttpServer on 127.0.0.1
// port 0, an Engine.IO server at /socket.io/ and a sio::Server on top.
// Header-only. Heartbeats are long so that tests never race them.

#include "sioclient.h"

#include "engineio/server.h"
#include "net/httpserver.h"
#include "socketio/server.h"

#include <QLoggingCategory>

#include <memory>

namespace qpush::test {

// The server layers log every session at debug level; tests keep quiet.
inline void quietServerLogs()
{
    QLoggingCategory::setFilterRules(QStringLiteral("qpush.*.debug=false"));
}

inline eio::ServerOptions testEngineOptions()
{
    eio::ServerOptions o;
    o.path = "/socket.io/";
    o.pingIntervalMs = 25000;
    o.pingTimeoutMs = 20000;
    return o;
}

class SioFixture
{
public:
    explicit SioFixture(sio::ServerOptions options = {},
                        eio::ServerOptions engineOptions = testEngineOptions(),
                        net::ConnectionLimits limits = {})
        : http(limits, &deadlines), engine(std::move(engineOptions), &deadlines),
          io(&engine, options)
    {
        http.setHandler([this](net::Responder responder, http::Request &request) {
            if (engine.matches(request.path))
                return engine.handleRequest(std::move(responder), request);
            responder.respond(404, {{"content-type", "text/plain"}}, "Not Found");
        });
        listening = http.listen(QHostAddress::LocalHost, 0);
    }
    SioFixture(const SioFixture &) = delete;
    SioFixture &operator=(const SioFixture &) = delete;

    quint16 port() const { return http.serverPort(); }

    // A client whose Engine.IO session is open; nullptr on failure.
    std::unique_ptr<SioClient> open(int eio, const QByteArray &extraQuery = {})
    {
        auto c = std::make_unique<SioClient>(eio);
        if (!c->open(port(), extraQuery))
            return nullptr;
        return c;
    }

    net::DeadlineQueue deadlines;
    net::HttpServer http;
    eio::Server engine;
    sio::Server io;
    bool listening = false;
};

} // namespace qpush::test
