// The whole qpush-server in the test's process: the real Application (HTTP
// servers on 127.0.0.1 port 0, Engine.IO, Socket.IO, the push domain, the
// REST API) over the in-memory store and a fake clock. Tests drive it the way
// users do — REST calls with QNetworkAccessManager, clients with SioClient —
// and move time by hand (clock.advance) instead of sleeping. Header-only.
#pragma once

#include "fakeclock.h"
#include "memorystore.h"
#include "sioclient.h"

#include "app/application.h"
#include "app/config.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QProcessEnvironment>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <memory>

namespace qpush::test {

struct ApiResponse
{
    int status = 0; ///< 0: no answer
    QByteArray body;
    QJsonValue json;                      ///< the body parsed, Undefined when it is not JSON
    QMap<QByteArray, QByteArray> headers; ///< lower-case names

    QJsonObject object() const { return json.toObject(); }
    QString describe() const
    {
        return QStringLiteral("HTTP %1 %2").arg(status).arg(QString::fromUtf8(body.left(400)));
    }
};

/// Basic credentials; empty user and password: none sent.
struct Credentials
{
    QString user;
    QString password;
    bool bare = false; ///< send the base64 without the "Basic " word (old clients)
};

class InProcessServer
{
public:
    /// `options` are `--set key=value` pairs on top of the test defaults.
    explicit InProcessServer(const QStringList &options = {},
                             QString adminPassword = QStringLiteral("adminpw"))
        : m_adminPassword(std::move(adminPassword))
    {
        QLoggingCategory::setFilterRules(QStringLiteral("qpush.*.debug=false"));
        QStringList args{QStringLiteral("qpush-server"),
                         QStringLiteral("--socket-port"),
                         QStringLiteral("0"),
                         QStringLiteral("--logic-port"),
                         QStringLiteral("0"),
                         QStringLiteral("--socket-ip"),
                         QStringLiteral("127.0.0.1"),
                         QStringLiteral("--logic-ip"),
                         QStringLiteral("127.0.0.1"),
                         QStringLiteral("--data-dir"),
                         m_dir.path()};
        for (const QString &o : options)
            args << QStringLiteral("--set") << o;
        m_args = args;
    }

    /// Builds and starts the application; false with `error` set on failure.
    bool start(QString *error)
    {
        const ConfigResult loaded = loadConfig(m_args, QProcessEnvironment(), {});
        if (const auto *e = std::get_if<ConfigError>(&loaded)) {
            *error = e->message;
            return false;
        }
        auto memory = std::make_unique<MemoryStore>(&clock, m_data);
        m_store = memory.get();
        Collaborators c;
        c.store = std::move(memory);
        c.clock = &clock;
        app =
            std::make_unique<Application>(std::get<Config>(loaded), m_adminPassword, std::move(c));
        bool started = false;
        app->start([&](const QString &e) {
            started = true;
            *error = e;
        });
        if (!QTest::qWaitFor([&] { return started; }, 30000))
            *error = QStringLiteral("the application did not start within 30 s");
        return started && error->isEmpty();
    }

    MemoryStore *store() const { return m_store; }
    quint16 apiPort() const { return app->apiPort(); }
    quint16 socketPort() const { return app->socketPort(); }
    Credentials admin() const { return {QStringLiteral("admin"), m_adminPassword}; }

    /// One REST call; `body` is sent as JSON when it is not null.
    ApiResponse api(const QByteArray &method, const QString &pathAndQuery,
                    const Credentials &auth = {}, const QJsonValue &body = QJsonValue())
    {
        QByteArray bytes;
        if (body.isObject())
            bytes = QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
        else if (body.isArray())
            bytes = QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact);
        return raw(method, pathAndQuery, auth, bytes, !body.isNull() && !body.isUndefined());
    }

    /// One REST call with a raw body (`json`: send Content-Type application/json).
    ApiResponse raw(const QByteArray &method, const QString &pathAndQuery, const Credentials &auth,
                    const QByteArray &body, bool json = true,
                    const QList<std::pair<QByteArray, QByteArray>> &headers = {})
    {
        QNetworkRequest request(
            QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(apiPort()).arg(pathAndQuery)));
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        if (json)
            request.setHeader(QNetworkRequest::ContentTypeHeader,
                              QStringLiteral("application/json"));
        if (!auth.user.isEmpty() || !auth.password.isEmpty()) {
            const QByteArray token = (auth.user + u':' + auth.password).toUtf8().toBase64();
            request.setRawHeader("Authorization", auth.bare ? token : "Basic " + token);
        }
        for (const auto &[name, value] : headers)
            request.setRawHeader(name, value);
        QNetworkReply *reply = m_nam.sendCustomRequest(request, method, body);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        ApiResponse r;
        if (!reply->isFinished() && !finished.wait(30000)) {
            reply->abort();
            reply->deleteLater();
            return r;
        }
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        for (const auto &[name, value] : reply->rawHeaderPairs())
            r.headers.insert(name.toLower(), value);
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(r.body, &err);
        if (err.error == QJsonParseError::NoError)
            r.json = doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
        reply->deleteLater();
        return r;
    }

    /// Creates (or updates) namespace `key` with `auth_passwd` "secret" and
    /// the given extra fields; returns its credentials.
    Credentials createNamespace(const QString &key, QJsonObject fields = {})
    {
        fields.insert(QStringLiteral("key"), key);
        if (!fields.contains(QStringLiteral("auth_passwd")))
            fields.insert(QStringLiteral("auth_passwd"), QStringLiteral("secret"));
        const ApiResponse r =
            api("POST", QStringLiteral("/api/admin/namespace/save"), admin(), fields);
        if (r.status != 200)
            qWarning("namespace/save %s: %s", qPrintable(key), qPrintable(r.describe()));
        return {key, fields.value(QStringLiteral("auth_passwd")).toString()};
    }

    FakeClock clock;
    std::unique_ptr<Application> app;

private:
    QTemporaryDir m_dir;
    QStringList m_args;
    QString m_adminPassword;
    std::shared_ptr<MemoryStoreData> m_data = MemoryStore::makeData();
    MemoryStore *m_store = nullptr;
    QNetworkAccessManager m_nam;
};

/// A Socket.IO v5 client of a push namespace, connected and past `ok`.
class PushClient
{
public:
    explicit PushClient(int eio = 4) : sio(eio) {}

    /// Connects to `nsp` with the handshake query (v5: the same fields as CONNECT auth).
    bool connect(quint16 port, const QByteArray &nsp, const QByteArray &query)
    {
        // As socket.io-client does: the fields ride in the handshake URL;
        // 2.x (Engine.IO 3) repeats them in the namespace CONNECT.
        if (!sio.open(port, query))
            return false;
        if (!sio.isV5() && sio.connectRoot().isEmpty())
            return false;
        if (sio.connectNamespace(nsp, sio.isV5() ? QByteArray() : query).isEmpty())
            return false;
        m_nsp = nsp;
        const auto ok = event("ok");
        if (!ok)
            return false;
        clientId = ok->toObject().value(QStringLiteral("clientId")).toString();
        return !clientId.isEmpty();
    }

    /// The next event named `name` (others before it are kept in `skipped`),
    /// its first argument.
    std::optional<QJsonValue> event(const QByteArray &name, int timeoutMs = 10000)
    {
        for (qsizetype i = 0; i < m_pending.size(); ++i) {
            if (m_pending.at(i).first == name)
                return m_pending.takeAt(i).second;
        }
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            const auto m = sio.next(int(std::max<qint64>(1, deadline.remainingTime())));
            if (!m)
                break;
            const auto parsed = parseEvent(m->data);
            if (!parsed)
                continue;
            if (parsed->first == name)
                return parsed->second;
            m_pending.append(*parsed);
        }
        return std::nullopt;
    }

    /// Events received and not yet taken, by name.
    QList<QByteArray> pendingNames()
    {
        while (const auto m = sio.next(0)) {
            if (const auto parsed = parseEvent(m->data))
                m_pending.append(*parsed);
        }
        QList<QByteArray> out;
        for (const auto &p : std::as_const(m_pending))
            out.append(p.first);
        return out;
    }

    /// Emits `name` with `arg` and waits for the ack's first argument.
    std::optional<QJsonValue> request(const QByteArray &name, const QJsonValue &arg,
                                      int timeoutMs = 10000)
    {
        const int id = ++m_ackId;
        QJsonArray payload{QString::fromUtf8(name), arg};
        sio.send("2" + m_nsp + ',' + QByteArray::number(id) +
                 QJsonDocument(payload).toJson(QJsonDocument::Compact));
        const QByteArray prefix = "43" + m_nsp + ',' + QByteArray::number(id);
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            const auto m = sio.next(int(std::max<qint64>(1, deadline.remainingTime())));
            if (!m)
                break;
            if (m->data.startsWith(prefix) && m->data.size() > prefix.size() &&
                m->data.at(prefix.size()) == '[')
                return QJsonDocument::fromJson(m->data.mid(prefix.size())).array().at(0);
            if (const auto parsed = parseEvent(m->data))
                m_pending.append(*parsed);
        }
        return std::nullopt;
    }

    /// Emits `name` with `arg`, no ack.
    void emitEvent(const QByteArray &name, const QJsonValue &arg)
    {
        sio.send(
            "2" + m_nsp + ',' +
            QJsonDocument(QJsonArray{QString::fromUtf8(name), arg}).toJson(QJsonDocument::Compact));
    }

    void close() { sio.closeSocket(); }

    SioClient sio;
    QString clientId;

private:
    std::optional<std::pair<QByteArray, QJsonValue>> parseEvent(const QByteArray &frame) const
    {
        const QByteArray prefix = "42" + m_nsp + ',';
        if (!frame.startsWith(prefix))
            return std::nullopt;
        const QJsonArray a = QJsonDocument::fromJson(frame.mid(prefix.size())).array();
        if (a.isEmpty())
            return std::nullopt;
        return std::make_pair(a.at(0).toString().toUtf8(), a.at(1));
    }

    QByteArray m_nsp;
    int m_ackId = 0;
    QList<std::pair<QByteArray, QJsonValue>> m_pending;
};

} // namespace qpush::test
