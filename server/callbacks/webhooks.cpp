#include "webhooks.h"

#include "logging.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaEnum>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUrlQuery>

namespace qpush::callbacks {

Webhooks::Webhooks(int timeoutMs, QObject *parent)
    : QObject(parent), m_nam(new QNetworkAccessManager(this)), m_timeoutMs(timeoutMs)
{
    m_nam->setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
}

Webhooks::~Webhooks() = default;

namespace {
QNetworkRequest makeRequest(const QUrl &url, const QByteArray &cookie, const QString &authorization,
                            const QString &nsp, int timeoutMs)
{
    QNetworkRequest req(url);
    req.setTransferTimeout(timeoutMs);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    if (!cookie.isEmpty())
        req.setRawHeader("cookie", cookie);
    if (!authorization.isEmpty())
        req.setRawHeader("authorization", authorization.toUtf8());
    req.setRawHeader("namespace", nsp.toUtf8());
    return req;
}
// "HostNotFoundError (HTTP 0)": the kind of failure without its text.
QString networkErrorName(QNetworkReply *reply)
{
    const QMetaEnum e = QMetaEnum::fromType<QNetworkReply::NetworkError>();
    const char *name = e.valueToKey(reply->error());
    return QStringLiteral("%1 (HTTP %2)")
        .arg(name ? QString::fromLatin1(name) : QString::number(int(reply->error())))
        .arg(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt());
}
} // namespace

void Webhooks::handshake(const HandshakeRequest &request, std::function<void(HandshakeResult)> done)
{
    QUrl url(request.url);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")) {
        done({false, QStringLiteral("connect callback url is invalid"), std::nullopt, {}});
        return;
    }
    QUrlQuery q(url);
    for (const auto &[k, v] : request.query)
        q.addQueryItem(k, v);
    url.setQuery(q);
    QNetworkReply *reply = m_nam->get(
        makeRequest(url, request.cookie, request.authorization, request.nsp, m_timeoutMs));
    const QString nsp = request.nsp;
    connect(reply, &QNetworkReply::finished, this, [this, reply, done, nsp] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->error() == QNetworkReply::OperationCanceledError ||
            reply->error() == QNetworkReply::TimeoutError) {
            done({false, QStringLiteral("connect callback timed out"), std::nullopt, {}});
            return;
        }
        if (status != 200) {
            // The client learns only that the callback failed: network
            // errors name hosts and addresses of the operator's network.
            if (!status && m_logGate.allow("connect", QDateTime::currentMSecsSinceEpoch()))
                qCInfo(lcCallbacks).noquote()
                    << "connect callback of" << nsp << "failed:" << networkErrorName(reply)
                    << "(one line per minute)";
            const QString why =
                status ? QStringLiteral("connect callback refused (HTTP %1)").arg(status)
                       : QStringLiteral("connect callback failed");
            done({false, why, std::nullopt, {}});
            return;
        }
        HandshakeResult result{true, {}, std::nullopt, {}};
        const QJsonDocument doc = QJsonDocument::fromJson(reply->readAll());
        if (doc.isObject()) {
            const QJsonObject o = doc.object();
            if (o.value(QStringLiteral("userid")).isString() &&
                !o.value(QStringLiteral("userid")).toString().isEmpty())
                result.userid = o.value(QStringLiteral("userid")).toString();
            const QJsonValue rooms = o.value(QStringLiteral("rooms"));
            if (rooms.isArray()) {
                for (const QJsonValue &r : rooms.toArray())
                    if (r.isString())
                        result.rooms.append(r.toString());
            } else if (rooms.isString() && !rooms.toString().isEmpty()) {
                result.rooms.append(rooms.toString());
            }
        }
        done(result);
    });
}

void Webhooks::disconnected(const DisconnectNotice &notice)
{
    const QUrl url(notice.url);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https"))
        return;
    QNetworkRequest req =
        makeRequest(url, notice.cookie, notice.authorization, notice.nsp, m_timeoutMs);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    const QJsonObject body{{QStringLiteral("query"), notice.query},
                           {QStringLiteral("clientId"), notice.clientId},
                           {QStringLiteral("reason"), notice.reason}};
    QNetworkReply *reply = m_nam->post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
    // The URL may carry a password (user:pass@host): never logged with it,
    // and only at debug level; errorString() is not logged either (it can
    // quote the whole URL).
    const QString nsp = notice.nsp;
    const QString shownUrl =
        url.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment).toString();
    connect(reply, &QNetworkReply::finished, this, [this, reply, nsp, shownUrl] {
        reply->deleteLater();
        if (reply->error() == QNetworkReply::NoError)
            return;
        if (m_logGate.allow("disconnect", QDateTime::currentMSecsSinceEpoch()))
            qCInfo(lcCallbacks).noquote()
                << "disconnect callback of" << nsp << "failed:" << networkErrorName(reply)
                << "(one line per minute)";
        qCDebug(lcCallbacks).noquote() << "disconnect callback URL of" << nsp << ":" << shownUrl;
    });
}

} // namespace qpush::callbacks
