#include "apnssender.h"

#include <QJsonDocument>
#include <QMap>

namespace qpush::push {

QByteArray apnsPayload(const QJsonObject &pushData, const QString &alert)
{
    const QJsonValue aps = pushData.value(QStringLiteral("apsData"));
    const QJsonObject payload =
        aps.isObject()
            ? aps.toObject()
            : QJsonObject{{QStringLiteral("aps"), QJsonObject{{QStringLiteral("alert"), alert}}}};
    return QJsonDocument(payload).toJson(QJsonDocument::Compact);
}

QString apnsResultText(const QList<store::ApnsOutcome> &outcomes)
{
    qint64 sent = 0;
    QMap<QString, qint64> cleared, failed; // sorted by reason: a stable text
    for (const store::ApnsOutcome &o : outcomes) {
        if (o.succeeded)
            ++sent;
        else if (o.tokenCleared)
            ++cleared[o.reason];
        else
            ++failed[o.reason];
    }
    QStringList parts{QStringLiteral("%1 sent").arg(sent)};
    for (auto it = cleared.cbegin(); it != cleared.cend(); ++it)
        parts << QStringLiteral("%1 %2 cleared (%3)")
                     .arg(it.value())
                     .arg(it.value() == 1 ? QStringLiteral("token") : QStringLiteral("tokens"),
                          it.key());
    for (auto it = failed.cbegin(); it != failed.cend(); ++it)
        parts << QStringLiteral("%1 failed (%2)").arg(it.value()).arg(it.key());
    return parts.join(QStringLiteral(", "));
}

} // namespace qpush::push
