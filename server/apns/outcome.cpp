#include "outcome.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace qpush::apns {

QString reasonOf(const QByteArray &body)
{
    if (body.isEmpty() || body.size() > 64 * 1024)
        return {};
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    const QString reason = doc.object().value(QStringLiteral("reason")).toString();
    return reason.left(100);
}

Classified classifyResponse(int status, const QByteArray &body)
{
    Classified c;
    c.outcome.status = status;
    if (status == 200) {
        c.outcome.success = true;
        c.outcome.reason = QStringLiteral("Sent");
        return c;
    }
    const QString reason = reasonOf(body);
    c.outcome.reason = reason.isEmpty() ? QStringLiteral("HTTP %1").arg(status) : reason;
    if (status == 410 || reason == u"BadDeviceToken" || reason == u"Unregistered" ||
        reason == u"DeviceTokenNotForTopic") {
        c.outcome.clearToken = true;
        return c;
    }
    if (status == 403 && (reason == u"ExpiredProviderToken" || reason == u"InvalidProviderToken")) {
        c.verdict = Verdict::ResignAndRetry;
        return c;
    }
    if (status == 429 || status >= 500)
        c.verdict = Verdict::Retry;
    return c;
}

} // namespace qpush::apns
