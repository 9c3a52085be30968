#include "codec.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace qpush::store {

QByteArray namespaceToJson(const NamespaceRecord &ns)
{
    return QJsonDocument(namespaceRecordToJson(ns, NamespaceView::Stored))
        .toJson(QJsonDocument::Compact);
}

Result<NamespaceRecord> namespaceFromJson(const QByteArray &json)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return Error{ErrorCode::Corrupt,
                     QStringLiteral("stored namespace is not a JSON object: ") + err.errorString()};
    NamespaceRecord ns = namespaceRecordFromJson(doc.object());
    if (ns.key.isEmpty())
        return Error{ErrorCode::Corrupt, QStringLiteral("stored namespace has no key")};
    return ns;
}

QStringList applyDndEdit(QStringList current, const QStringList &add, const QStringList &remove)
{
    for (const QString &r : add) {
        if (!r.isEmpty() && !current.contains(r))
            current.append(r);
    }
    for (const QString &r : remove)
        current.removeAll(r);
    return current;
}

void applyClientPatch(ClientInfo &c, const ClientPatch &patch)
{
    if (patch.connectTime) {
        c.lastConnectTime = *patch.connectTime;
        if (c.firstConnectTime == 0)
            c.firstConnectTime = *patch.connectTime;
        c.leaveMessage = true;
    }
    if (patch.disconnectTime)
        c.lastDisconnectTime = *patch.disconnectTime;
    if (patch.updateDate)
        c.updateDate = *patch.updateDate;
    if (patch.mobile)
        c.mobile = *patch.mobile;
    if (patch.system)
        c.system = *patch.system;
    if (patch.deviceToken)
        c.deviceToken = *patch.deviceToken;
    if (patch.leaveMessage)
        c.leaveMessage = *patch.leaveMessage;
    if (patch.noSendApns)
        c.noSendApns = applyDndEdit({}, *patch.noSendApns, {});
}

QString joinDnd(const QStringList &rooms)
{
    return rooms.join(u',');
}

QStringList splitDnd(const QString &stored)
{
    return stored.split(u',', Qt::SkipEmptyParts);
}

StatBuckets statBuckets(qint64 ms)
{
    return {ms / 60000, ms / 3600000, ms / 86400000};
}

} // namespace qpush::store
