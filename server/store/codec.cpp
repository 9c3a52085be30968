#include "codec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace qpush::store {

namespace {

QJsonObject apnsToJson(const ApnsEntry &e)
{
    QJsonObject o;
    o.insert(QStringLiteral("name"), e.name);
    o.insert(QStringLiteral("apns_env"), e.apnsEnv);
    o.insert(QStringLiteral("apns_topic"), e.apnsTopic);
    o.insert(QStringLiteral("apns_expiration"), double(e.apnsExpiration));
    o.insert(QStringLiteral("apns_dev_cert"), e.apnsDevCert);
    o.insert(QStringLiteral("apns_dev_key"), e.apnsDevKey);
    o.insert(QStringLiteral("apns_production_cert"), e.apnsProductionCert);
    o.insert(QStringLiteral("apns_production_key"), e.apnsProductionKey);
    o.insert(QStringLiteral("token_key"), e.tokenKey);
    o.insert(QStringLiteral("token_keyId"), e.tokenKeyId);
    o.insert(QStringLiteral("token_teamId"), e.tokenTeamId);
    return o;
}

ApnsEntry apnsFromJson(const QJsonObject &o)
{
    ApnsEntry e;
    e.name = o.value(QStringLiteral("name")).toString();
    e.apnsEnv = o.value(QStringLiteral("apns_env")).toString();
    e.apnsTopic = o.value(QStringLiteral("apns_topic")).toString();
    e.apnsExpiration = qint64(o.value(QStringLiteral("apns_expiration")).toDouble());
    e.apnsDevCert = o.value(QStringLiteral("apns_dev_cert")).toString();
    e.apnsDevKey = o.value(QStringLiteral("apns_dev_key")).toString();
    e.apnsProductionCert = o.value(QStringLiteral("apns_production_cert")).toString();
    e.apnsProductionKey = o.value(QStringLiteral("apns_production_key")).toString();
    e.tokenKey = o.value(QStringLiteral("token_key")).toString();
    e.tokenKeyId = o.value(QStringLiteral("token_keyId")).toString();
    e.tokenTeamId = o.value(QStringLiteral("token_teamId")).toString();
    return e;
}

} // namespace

QByteArray namespaceToJson(const NamespaceRecord &ns)
{
    QJsonObject o;
    o.insert(QStringLiteral("key"), ns.key);
    o.insert(QStringLiteral("name"), ns.name);
    o.insert(QStringLiteral("auth_passwd"), ns.authPasswd);
    o.insert(QStringLiteral("connect_callback"), ns.connectCallback);
    o.insert(QStringLiteral("disconnect_callback"), ns.disconnectCallback);
    o.insert(QStringLiteral("callback_auth"), ns.callbackAuth);
    o.insert(QStringLiteral("offline"), ns.offline ? QStringLiteral("on") : QStringLiteral("off"));
    o.insert(QStringLiteral("update_date"), double(ns.updateDate));
    o.insert(QStringLiteral("client_ip"), ns.clientIp);
    QJsonArray list;
    for (const ApnsEntry &e : ns.apnsList)
        list.append(apnsToJson(e));
    o.insert(QStringLiteral("apns_list"), list);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

Result<NamespaceRecord> namespaceFromJson(const QByteArray &json)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return Error{ErrorCode::Corrupt,
                     QStringLiteral("stored namespace is not a JSON object: ") + err.errorString()};
    const QJsonObject o = doc.object();
    NamespaceRecord ns;
    ns.key = o.value(QStringLiteral("key")).toString();
    if (ns.key.isEmpty())
        return Error{ErrorCode::Corrupt, QStringLiteral("stored namespace has no key")};
    ns.name = o.value(QStringLiteral("name")).toString();
    ns.authPasswd = o.value(QStringLiteral("auth_passwd")).toString();
    ns.connectCallback = o.value(QStringLiteral("connect_callback")).toString();
    ns.disconnectCallback = o.value(QStringLiteral("disconnect_callback")).toString();
    ns.callbackAuth = o.value(QStringLiteral("callback_auth")).toString();
    ns.offline = o.value(QStringLiteral("offline")).toString() == u"on";
    ns.updateDate = qint64(o.value(QStringLiteral("update_date")).toDouble());
    ns.clientIp = o.value(QStringLiteral("client_ip")).toString();
    const QJsonArray list = o.value(QStringLiteral("apns_list")).toArray();
    for (const QJsonValue &v : list)
        ns.apnsList.append(apnsFromJson(v.toObject()));
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
