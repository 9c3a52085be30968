#include "routes.h"

#include <QJsonDocument>

namespace qpush::api {

push::Expected<QJsonObject> bodyObject(const Context &ctx)
{
    const QByteArray &body = ctx.request.body;
    if (body.trimmed().isEmpty())
        return QJsonObject();
    const QByteArray type = ctx.request.header("content-type").toLower();
    const QByteArray trimmed = body.trimmed();
    const bool looksJson = trimmed.startsWith('{') || trimmed.startsWith('[');
    if (type.startsWith("application/x-www-form-urlencoded") && !looksJson) {
        QJsonObject o;
        for (const QByteArray &part : body.split('&')) {
            if (part.isEmpty())
                continue;
            const qsizetype eq = part.indexOf('=');
            const QByteArray k = eq < 0 ? part : part.first(eq);
            const QByteArray v = eq < 0 ? QByteArray() : part.sliced(eq + 1);
            o.insert(QString::fromUtf8(http::percentDecode(k, true)),
                     QString::fromUtf8(http::percentDecode(v, true)));
        }
        return o;
    }
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &err);
    if (err.error != QJsonParseError::NoError)
        return push::DomainError::invalid(QStringLiteral("invalid JSON body: ") +
                                          err.errorString());
    if (!doc.isObject())
        return push::DomainError::invalid(QStringLiteral("the body must be a JSON object"));
    return doc.object();
}

QString query(const Context &ctx, const char *key)
{
    return QString::fromUtf8(ctx.request.queryValue(key));
}

QStringList queryAll(const Context &ctx, const char *key)
{
    QStringList out;
    const QByteArray k(key);
    const QByteArray kArray = k + "[]";
    for (const auto &[name, value] : ctx.request.queryItems())
        if (name == k || name == kArray)
            out.append(QString::fromUtf8(value));
    return out;
}

bool queryFlag(const Context &ctx, const char *key)
{
    const QByteArray v = ctx.request.queryValue(key).toLower();
    return v == "true" || v == "1";
}

QString clientIp(const Context &ctx)
{
    return QString::fromLatin1(ctx.request.peerAddress);
}

QString namespaceKey(const QString &param)
{
    return param.startsWith(QLatin1Char('/')) ? param : QLatin1Char('/') + param;
}

push::Callback<qint64> answerCount(Reply reply)
{
    return answer<qint64>(std::move(reply), [](qint64 count) {
        return QJsonObject{{QStringLiteral("count"), double(count)}};
    });
}

} // namespace qpush::api
