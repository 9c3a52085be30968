// The push domain and the REST API wired together in the test's process with
// no listening socket: the in-memory store, a fake clock, a Socket.IO server
// with no HTTP server in front of it (the live client directory needs one),
// the pipeline, the domain services, and the REST routes on an api::Router.
// Requests are raw HTTP bytes parsed by http::RequestParser and answered
// through a detached net::Responder, so a test reads the real status, headers
// and body the router wrote. Header-only.
#pragma once

#include "fakeclock.h"
#include "memorystore.h"

#include "api/restapi.h"
#include "api/router.h"
#include "engineio/server.h"
#include "net/deadlinequeue.h"
#include "net/httpmessage.h"
#include "push/liveclients.h"
#include "push/namespaceregistry.h"
#include "push/presence.h"
#include "push/pushpipeline.h"
#include "push/services.h"
#include "socketio/server.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <memory>
#include <optional>

namespace qpush::test {

/// One reply the router wrote.
struct RouterReply
{
    int status = 0; ///< 0: no answer
    http::Headers headers;
    QByteArray body;

    /// First value of a header (case-insensitive), or null.
    QByteArray header(QByteArrayView name) const
    {
        for (const http::Header &h : headers)
            if (QByteArrayView(h.name).compare(name, Qt::CaseInsensitive) == 0)
                return h.value;
        return {};
    }
    bool hasHeader(QByteArrayView name) const { return !header(name).isNull(); }
    QJsonValue json() const
    {
        const QJsonDocument doc = QJsonDocument::fromJson(body);
        return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
    }
    QJsonObject object() const { return json().toObject(); }
    QString describe() const
    {
        return QStringLiteral("HTTP %1 %2").arg(status).arg(QString::fromUtf8(body.left(400)));
    }
};

/// Runs `start(callback)` and waits on the event loop for the callback's value.
template <class T, class Start> std::optional<T> awaitValue(Start start, int timeoutMs = 5000)
{
    auto out = std::make_shared<std::optional<T>>();
    start([out](T value) { out->emplace(std::move(value)); });
    (void)QTest::qWaitFor([&] { return out->has_value(); }, timeoutMs); // timed out: nullopt
    return *out;
}

inline push::Settings fixtureSettings(const Clock *clock)
{
    push::Settings s;
    s.clock = clock;
    s.system = QStringLiteral("fixture");
    return s;
}

class DomainFixture
{
public:
    static constexpr const char *kAdminName = "admin";
    static constexpr const char *kAdminPassword = "adminpw";

    DomainFixture()
        : settings(fixtureSettings(&clock)), store(&clock), registry(&store, &clock),
          engine(eio::ServerOptions{}, &deadlines), io(&engine), live(&io, &settings),
          presence(&live), pipeline(&store, &registry, &live, &presence, &settings),
          services(&store, &registry, &live, &presence, &settings),
          rest(&router, &registry, &pipeline, &services, &settings, QString::fromLatin1(kAdminName),
               QString::fromLatin1(kAdminPassword))
    {
    }

    /// Opens the store and loads the (empty) registry.
    bool open()
    {
        const auto opened = awaitValue<store::Result<store::Done>>(
            [this](auto done) { store.open(std::move(done)); });
        if (!opened || !*opened)
            return false;
        const auto loaded = awaitValue<store::Result<store::Done>>(
            [this](auto done) { registry.load(std::move(done)); });
        return loaded && *loaded;
    }

    /// Creates (or changes) a namespace with `auth_passwd` and the extra fields.
    bool saveNamespace(const QString &key, const QString &password, QJsonObject fields = {})
    {
        fields.insert(QStringLiteral("auth_passwd"), password);
        if (!fields.contains(QStringLiteral("offline")))
            fields.insert(QStringLiteral("offline"), QStringLiteral("off"));
        const auto saved = awaitValue<store::Result<store::NamespaceRecord>>([&](auto done) {
            registry.save(key, fields, QStringLiteral("127.0.0.1"), true, std::move(done));
        });
        return saved && *saved;
    }

    static QByteArray basic(const QString &user, const QString &password)
    {
        return "Basic " + (user + QLatin1Char(':') + password).toUtf8().toBase64();
    }
    static QByteArray adminAuth()
    {
        return basic(QString::fromLatin1(kAdminName), QString::fromLatin1(kAdminPassword));
    }

    /// A request as a client sends it: the request line, `headers` (full
    /// lines without CRLF), and a body with its Content-Length.
    static QByteArray raw(const QByteArray &method, const QByteArray &target,
                          const QByteArrayList &headers = {}, const QByteArray &body = {})
    {
        QByteArray out = method + ' ' + target + " HTTP/1.1\r\nHost: qpush.test\r\n";
        for (const QByteArray &h : headers)
            out += h + "\r\n";
        if (!body.isEmpty() || method == "POST")
            out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        return out + "\r\n" + body;
    }

    /// Parses `bytes` and hands the request to the router as if it came from
    /// `peer`; waits for the reply. status 0: the request did not parse, or
    /// no answer came.
    RouterReply send(const QByteArray &bytes, const QByteArray &peer = "192.0.2.1")
    {
        QByteArray buffer = bytes;
        http::RequestParser parser;
        if (parser.parse(buffer) != http::RequestParser::Status::Complete)
            return {};
        http::Request request = parser.takeRequest();
        request.peerAddress = peer;
        struct Answers
        {
            std::optional<RouterReply> first;
            int count = 0;
        };
        auto out = std::make_shared<Answers>();
        router.handle(
            net::Responder([out](int status, const http::Headers &headers, QByteArrayView body) {
                if (out->count++ == 0)
                    out->first = RouterReply{status, headers, body.toByteArray()};
            }),
            request);
        (void)QTest::qWaitFor([&] { return out->first.has_value(); }, 5000); // timed out: status 0
        QCoreApplication::processEvents(); // a second answer would come now
        if (out->count > 1)
            return {}; // a request is answered once
        return out->first.value_or(RouterReply{});
    }

    RouterReply get(const QByteArray &target, const QByteArray &auth,
                    const QByteArray &peer = "192.0.2.1")
    {
        return send(
            raw("GET", target,
                auth.isEmpty() ? QByteArrayList{} : QByteArrayList{"Authorization: " + auth}),
            peer);
    }
    RouterReply post(const QByteArray &target, const QByteArray &auth, const QJsonObject &body,
                     const QByteArray &peer = "192.0.2.1")
    {
        QByteArrayList headers{"Content-Type: application/json"};
        if (!auth.isEmpty())
            headers.append("Authorization: " + auth);
        return send(raw("POST", target, headers, QJsonDocument(body).toJson()), peer);
    }

    FakeClock clock;
    push::Settings settings;
    MemoryStore store;
    push::NamespaceRegistry registry;
    net::DeadlineQueue deadlines;
    eio::Server engine;
    sio::Server io;
    push::LiveClients live;
    push::LocalPresence presence;
    push::PushPipeline pipeline;
    push::Services services;
    api::Router router;
    api::RestApi rest;
};

} // namespace qpush::test
