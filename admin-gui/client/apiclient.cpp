#include "apiclient.h"

#include "certificatetrust.h"

#include <QJsonDocument>
#include <QMetaObject>
#include <QNetworkAccessManager>
#include <QNetworkRequest>
#include <QSslError>

namespace qpush::admin {

namespace {
constexpr int TransferTimeoutMs = 30000;

QString withoutSlash(const QString &key)
{
    return key.startsWith(QLatin1Char('/')) ? key.mid(1) : key;
}
} // namespace

void ApiCall::abort()
{
    if (m_reply)
        m_reply->abort();
}

void ApiCall::finish(const ApiReply &reply)
{
    if (m_finished)
        return;
    m_finished = true;
    // Always from the event loop: abort() finishes a reply synchronously,
    // before the caller had a chance to connect.
    QMetaObject::invokeMethod(
        this,
        [this, reply] {
            Q_EMIT finished(reply);
            deleteLater();
        },
        Qt::QueuedConnection);
}

ApiClient::ApiClient(CertificateTrust *trust, QObject *parent)
    : QObject(parent), m_trust(trust), m_nam(new QNetworkAccessManager(this))
{
    qRegisterMetaType<qpush::admin::ApiReply>();
    m_nam->setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
}

ApiClient::~ApiClient() = default;

void ApiClient::setSession(const Session &session)
{
    m_session = session;
    m_namespacePasswords.clear();
    m_nam->clearAccessCache();
}

void ApiClient::setNamespacePassword(const QString &key, const QString &password)
{
    m_namespacePasswords.insert(key, password);
}

bool ApiClient::hasNamespacePassword(const QString &key) const
{
    return namespaceCredentials(key).has_value();
}

void ApiClient::learnPasswords(const QList<NamespaceInfo> &namespaces)
{
    for (const NamespaceInfo &n : namespaces)
        if (n.authPasswd && !n.authPasswd->isEmpty())
            m_namespacePasswords.insert(n.key, *n.authPasswd);
}

std::optional<ApiClient::Credentials> ApiClient::namespaceCredentials(const QString &nsp) const
{
    if (!m_session.isAdmin()) {
        if (nsp != m_session.user)
            return std::nullopt;
        return Credentials{m_session.user, m_session.password};
    }
    const auto it = m_namespacePasswords.constFind(nsp);
    if (it == m_namespacePasswords.constEnd())
        return std::nullopt;
    return Credentials{nsp, *it};
}

QString ApiClient::statusWords(int status)
{
    switch (status) {
    case 400:
        return QStringLiteral("The server rejected the request as invalid.");
    case 401:
        return QStringLiteral("The server did not accept the name or password.");
    case 403:
        return QStringLiteral("This is not allowed with these credentials.");
    case 404:
        return QStringLiteral("The server does not know this item (it may have been deleted or "
                              "expired).");
    case 409:
        return QStringLiteral("Not possible in the current state (set the namespace offline "
                              "first).");
    case 413:
        return QStringLiteral("The request is too large for the server.");
    case 429:
        return QStringLiteral("Too many requests: try again in a moment.");
    case 503:
        return QStringLiteral("The server's store is unavailable.");
    default:
        break;
    }
    if (status >= 500)
        return QStringLiteral("The server failed to handle the request.");
    return QStringLiteral("The server answered with an unexpected status.");
}

ApiCall *ApiClient::failNow(const ApiError &error)
{
    auto *call = new ApiCall(this);
    call->finish(ApiReply{QJsonValue(), error});
    return call;
}

ApiCall *ApiClient::send(const QByteArray &method, const QString &path, const QUrlQuery &query,
                         const std::optional<QJsonObject> &body, const Credentials &credentials)
{
    QUrl url = m_session.server;
    QString base = url.path();
    if (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    url.setPath(base + path, QUrl::TolerantMode);
    url.setQuery(query);
    QNetworkRequest request(url);
    request.setTransferTimeout(TransferTimeoutMs);
    request.setRawHeader("Accept", "application/json");
    request.setRawHeader(
        "Authorization",
        "Basic " +
            (credentials.user + QLatin1Char(':') + credentials.password).toUtf8().toBase64());
    QByteArray payload;
    if (body) {
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        payload = QJsonDocument(*body).toJson(QJsonDocument::Compact);
    }
    QNetworkReply *reply = m_nam->sendCustomRequest(request, method, payload);
    auto *call = new ApiCall(this);
    call->m_reply = reply;
    const QString what = QString::fromLatin1(method) + QLatin1Char(' ') + path;
    connect(reply, &QNetworkReply::downloadProgress, call, &ApiCall::progress);
    connect(reply, &QNetworkReply::downloadProgress, call, [call, reply](qint64 received) {
        if (received > MaxReplyBytes && !call->m_tooLarge) {
            call->m_tooLarge = true;
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::sslErrors, reply, [this, reply](const QList<QSslError> &errors) {
        const QUrl u = reply->url();
        const QString server = u.host() + QLatin1Char(':') + QString::number(u.port(443));
        if (m_trust && m_trust->accept(server, errors))
            reply->ignoreSslErrors(errors);
    });
    connect(reply, &QNetworkReply::finished, call,
            [this, call, reply, what] { handleFinished(call, reply, what); });
    return call;
}

void ApiClient::handleFinished(ApiCall *call, QNetworkReply *reply, const QString &what)
{
    reply->deleteLater();
    const QByteArray server = reply->rawHeader("Server");
    if (!server.isEmpty())
        m_serverSoftware = QString::fromUtf8(server);
    if (call->m_tooLarge) {
        ApiReply out;
        out.error = ApiError{0,
                             QStringLiteral("The server's answer is too large (over %1 MB).")
                                 .arg(MaxReplyBytes / (1024 * 1024)),
                             what,
                             false,
                             false,
                             {}};
        return call->finish(out);
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray bytes = reply->isOpen() ? reply->readAll() : QByteArray();
    ApiReply out;
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (doc.isObject())
        out.json = doc.object();
    else if (doc.isArray())
        out.json = doc.array();
    if (reply->error() == QNetworkReply::OperationCanceledError && status == 0) {
        out.error = ApiError{0, QStringLiteral("Cancelled."), what, true, false, {}};
        return call->finish(out);
    }
    if (status == 0) {
        ApiError e;
        e.message =
            reply->error() == QNetworkReply::SslHandshakeFailedError
                ? QStringLiteral("The secure connection was refused: ") + reply->errorString()
                : QStringLiteral("Cannot reach the server: ") + reply->errorString();
        e.details = what + QStringLiteral(" — ") + reply->url().toDisplayString();
        out.error = e;
        return call->finish(out);
    }
    if (status != 200) {
        ApiError e;
        e.httpStatus = status;
        const QString serverText = out.json.toObject().value(QStringLiteral("msg")).toString();
        e.message = statusWords(status);
        if (!serverText.isEmpty())
            e.message += QStringLiteral(" The server says: ") + serverText + QLatin1Char('.');
        e.details =
            QStringLiteral("HTTP %1 %2\n%3\n%4")
                .arg(status)
                .arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString(), what,
                     QString::fromUtf8(bytes.left(2000)));
        out.error = e;
        return call->finish(out);
    }
    if (parseError.error != QJsonParseError::NoError) {
        ApiError e;
        e.httpStatus = status;
        e.message = QStringLiteral("The server's answer is not JSON (is this a qpush API port?).");
        e.details = what + QStringLiteral("\n") + QString::fromUtf8(bytes.left(2000));
        out.error = e;
    }
    call->finish(out);
}

ApiCall *ApiClient::authCall(const QByteArray &method, const QString &nsp, const QString &path,
                             const QUrlQuery &query, const std::optional<QJsonObject> &body)
{
    const auto creds = namespaceCredentials(nsp);
    if (!creds) {
        ApiError e;
        e.needsNamespacePassword = true;
        e.namespaceKey = nsp;
        e.message =
            QStringLiteral("The password of namespace %1 is needed for this view.").arg(nsp);
        e.details = QString::fromLatin1(method) + QLatin1Char(' ') + path;
        return failNow(e);
    }
    return send(method, path, query, body, *creds);
}

ApiCall *ApiClient::login()
{
    if (m_session.isAdmin())
        return send("POST", QStringLiteral("/api/admin/login"), {}, QJsonObject(),
                    adminCredentials());
    return send("POST", QStringLiteral("/api/auth/login"), {}, QJsonObject(),
                {m_session.user, m_session.password});
}

ApiCall *ApiClient::listNamespaces(const NamespaceQuery &q)
{
    QUrlQuery query;
    if (!q.key.isEmpty())
        query.addQueryItem(QStringLiteral("key"), q.key);
    if (!q.name.isEmpty())
        query.addQueryItem(QStringLiteral("name"), q.name);
    query.addQueryItem(QStringLiteral("offline"), q.offline);
    query.addQueryItem(QStringLiteral("page"), QString::number(q.page));
    query.addQueryItem(QStringLiteral("pageSize"), QString::number(q.pageSize));
    if (q.online)
        query.addQueryItem(QStringLiteral("online"), QStringLiteral("true"));
    return send("GET", QStringLiteral("/api/admin/namespace/list"), query, std::nullopt,
                adminCredentials());
}

ApiCall *ApiClient::deleteNamespace(const QString &key, bool flushAll)
{
    QUrlQuery query;
    if (flushAll)
        query.addQueryItem(QStringLiteral("flushAll"), QStringLiteral("true"));
    return send("GET",
                QStringLiteral("/api/admin/namespace/del/") +
                    QString::fromLatin1(QUrl::toPercentEncoding(withoutSlash(key))),
                query, std::nullopt, adminCredentials());
}

ApiCall *ApiClient::clearRealtimeData(const QString &key)
{
    return send("POST", QStringLiteral("/api/admin/namespace/clear-realtime-data"), {},
                QJsonObject{{QStringLiteral("namespace"), key}}, adminCredentials());
}

ApiCall *ApiClient::clearLegacyClients(const QString &key)
{
    return send("POST", QStringLiteral("/api/admin/clear-legacy-client"), {},
                QJsonObject{{QStringLiteral("namespace"), key}}, adminCredentials());
}

ApiCall *ApiClient::saveNamespace(const NamespaceChanges &changes)
{
    if (!m_session.isAdmin()) {
        QJsonObject body = changes.toJson();
        body.remove(QStringLiteral("key"));
        return authCall("POST", m_session.user, QStringLiteral("/api/auth/namespace/save"), {},
                        body);
    }
    ApiCall *call = send("POST", QStringLiteral("/api/admin/namespace/save"), {}, changes.toJson(),
                         adminCredentials());
    if (changes.authPasswd) {
        // The password the admin just set opens the namespace's own views
        // (servers with write-only secrets never return it). Connected
        // before any caller, so it is known when their handlers run.
        connect(call, &ApiCall::finished, this,
                [this, key = changes.key, password = *changes.authPasswd](const ApiReply &r) {
                    if (r.ok())
                        m_namespacePasswords.insert(key, password);
                });
    }
    return call;
}

ApiCall *ApiClient::getNamespace(const QString &key)
{
    if (!m_session.isAdmin())
        return authCall("GET", key, QStringLiteral("/api/auth/namespace"), {}, std::nullopt);
    NamespaceQuery q;
    q.key = key;
    q.pageSize = 1000;
    q.online = false;
    auto *outer = new ApiCall(this);
    ApiCall *inner = listNamespaces(q);
    connect(outer, &QObject::destroyed, inner, [inner] { inner->abort(); });
    inner->then(outer, [outer, key](const ApiReply &r) {
        if (!r.ok())
            return outer->finish(r);
        for (const QJsonValue &v : r.object().value(QStringLiteral("list")).toArray())
            if (v.toObject().value(QStringLiteral("key")).toString() == key)
                return outer->finish(ApiReply{v.toObject(), std::nullopt});
        ApiError e;
        e.httpStatus = 404;
        e.message = QStringLiteral("Namespace %1 does not exist (any more).").arg(key);
        e.details = QStringLiteral("GET /api/admin/namespace/list?key=") + key;
        outer->finish(ApiReply{QJsonValue(), e});
    });
    return outer;
}

ApiCall *ApiClient::onlineSummary(const QString &nsp, bool detail)
{
    QUrlQuery query;
    if (detail)
        query.addQueryItem(QStringLiteral("detail"), QStringLiteral("true"));
    if (m_session.isAdmin()) {
        query.addQueryItem(QStringLiteral("namespace"), nsp);
        return send("GET", QStringLiteral("/api/admin/report/online"), query, std::nullopt,
                    adminCredentials());
    }
    return authCall("GET", nsp, QStringLiteral("/api/auth/report/online"), query, std::nullopt);
}

ApiCall *ApiClient::roomsOnline(const QString &nsp, const QStringList &rooms)
{
    QUrlQuery query;
    for (const QString &room : rooms)
        query.addQueryItem(QStringLiteral("room"), room);
    if (m_session.isAdmin()) {
        query.addQueryItem(QStringLiteral("namespace"), nsp);
        return send("GET", QStringLiteral("/api/admin/report/online"), query, std::nullopt,
                    adminCredentials());
    }
    return authCall("GET", nsp, QStringLiteral("/api/auth/report/online"), query, std::nullopt);
}

ApiCall *ApiClient::messageStats(const QString &nsp)
{
    return authCall("GET", nsp, QStringLiteral("/api/auth/namespace/current-message-stat"), {},
                    std::nullopt);
}

ApiCall *ApiClient::reports(const QString &nsp, int page, int size)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("page"), QString::number(page));
    query.addQueryItem(QStringLiteral("size"), QString::number(size));
    return authCall("GET", nsp, QStringLiteral("/api/auth/report/push"), query, std::nullopt);
}

ApiCall *ApiClient::report(const QString &nsp, qint64 id, bool ackDetail)
{
    QUrlQuery query;
    if (ackDetail)
        query.addQueryItem(QStringLiteral("ackDetail"), QStringLiteral("true"));
    return authCall("GET", nsp, QStringLiteral("/api/auth/report/push/") + QString::number(id),
                    query, std::nullopt);
}

ApiCall *ApiClient::push(const QString &nsp, const PushRequest &request)
{
    return authCall("POST", nsp, QStringLiteral("/api/auth/push"), {}, request.toJson());
}

ApiCall *ApiClient::client(const QString &nsp, const QString &clientId)
{
    // POST with only the id reads; it avoids putting '#' and '/' in a path.
    return authCall("POST", nsp, QStringLiteral("/api/auth/client"), {},
                    QJsonObject{{QStringLiteral("id"), clientId}});
}

ApiCall *ApiClient::saveClient(const QString &nsp, const ClientChanges &changes)
{
    return authCall("POST", nsp, QStringLiteral("/api/auth/client"), {}, changes.toJson());
}

ApiCall *ApiClient::roomApns(const QString &nsp, const QString &room, const QStringList &add,
                             const QStringList &remove)
{
    QJsonObject body{{QStringLiteral("room"), room}};
    if (!add.isEmpty())
        body.insert(QStringLiteral("add"), QJsonArray::fromStringList(add));
    if (!remove.isEmpty())
        body.insert(QStringLiteral("remove"), QJsonArray::fromStringList(remove));
    return authCall("POST", nsp, QStringLiteral("/api/auth/room-apns"), {}, body);
}

ApiCall *ApiClient::roomLeaveMessage(const QString &nsp, const QString &room, bool leaveMessage)
{
    return authCall("POST", nsp, QStringLiteral("/api/auth/room-leave-message"), {},
                    QJsonObject{{QStringLiteral("room"), room},
                                {QStringLiteral("leaveMessage"), leaveMessage}});
}

} // namespace qpush::admin
