#include "json.h"

#include <QDateTime>
#include <QJsonDocument>

#include <cmath>

namespace qpush::push {

QJsonObject apnsEntryToJson(const store::ApnsEntry &e, CertSummaryCache &certs)
{
    QJsonObject o{
        {QStringLiteral("name"), e.name},
        {QStringLiteral("apns_env"), e.apnsEnv},
        {QStringLiteral("apns_topic"), e.apnsTopic},
        {QStringLiteral("apns_expiration"), double(e.apnsExpiration)},
        {QStringLiteral("apns_dev_cert"), e.apnsDevCert},
        {QStringLiteral("apns_production_cert"), e.apnsProductionCert},
        {QStringLiteral("has_apns_dev_key"), !e.apnsDevKey.isEmpty()},
        {QStringLiteral("has_apns_production_key"), !e.apnsProductionKey.isEmpty()},
        {QStringLiteral("has_token_key"), !e.tokenKey.isEmpty()},
        {QStringLiteral("token_keyId"), e.tokenKeyId},
        {QStringLiteral("token_teamId"), e.tokenTeamId},
    };
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const auto &[prefix, cert] : {std::pair{"apns_dev_cert_", &e.apnsDevCert},
                                       std::pair{"apns_production_cert_", &e.apnsProductionCert}}) {
        if (cert->isEmpty())
            continue;
        const CertSummary c = certs.get(*cert, now);
        const QString p = QLatin1String(prefix);
        o.insert(p + QStringLiteral("subject"), c.subject);
        o.insert(p + QStringLiteral("topic"), c.topic);
        o.insert(p + QStringLiteral("expiry"), double(c.expiryMs));
        if (!c.error.isEmpty())
            o.insert(p + QStringLiteral("error"), c.error);
    }
    return o;
}

QJsonObject namespaceToJson(const store::NamespaceRecord &ns, CertSummaryCache &certs)
{
    QJsonArray apns;
    for (const store::ApnsEntry &e : ns.apnsList)
        apns.append(apnsEntryToJson(e, certs));
    return QJsonObject{
        {QStringLiteral("key"), ns.key},
        {QStringLiteral("name"), ns.name},
        {QStringLiteral("connect_callback"), ns.connectCallback},
        {QStringLiteral("disconnect_callback"), ns.disconnectCallback},
        {QStringLiteral("has_auth_passwd"), !ns.authPasswd.isEmpty()},
        {QStringLiteral("has_callback_auth"), !ns.callbackAuth.isEmpty()},
        {QStringLiteral("offline"), ns.offline ? QStringLiteral("on") : QStringLiteral("off")},
        {QStringLiteral("update_date"), double(ns.updateDate)},
        {QStringLiteral("client_ip"), ns.clientIp},
        {QStringLiteral("apns_list"), apns},
    };
}

QJsonObject clientInfoToJson(const store::ClientInfo &c)
{
    return QJsonObject{
        {QStringLiteral("userid"), c.userid},
        {QStringLiteral("first_connect_time"), double(c.firstConnectTime)},
        {QStringLiteral("last_connect_time"), double(c.lastConnectTime)},
        {QStringLiteral("last_disconnect_time"), double(c.lastDisconnectTime)},
        {QStringLiteral("update_date"), double(c.updateDate)},
        {QStringLiteral("mobile"), c.mobile},
        {QStringLiteral("system"), c.system},
        {QStringLiteral("device_token"), c.deviceToken},
        {QStringLiteral("no_send_apns"), c.noSendApns.join(QLatin1Char(','))},
        {QStringLiteral("leaveMessage"), c.leaveMessage},
    };
}

QJsonObject pushDataObject(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

QJsonObject messageToJson(const store::PushMessage &m)
{
    QJsonObject data = pushDataObject(m.pushData);
    data.remove(QStringLiteral("apsData"));
    return QJsonObject{
        {QStringLiteral("id"), double(m.id)},
        {QStringLiteral("namespace"), m.nsp},
        {QStringLiteral("room"), m.room},
        {QStringLiteral("pushData"), data},
        {QStringLiteral("sendDate"), double(m.sendDate)},
        {QStringLiteral("serverNum"), double(m.serverNum)},
    };
}

QJsonObject reportToJson(const store::PushReport &r, bool withDetail)
{
    const store::PushMessage &m = r.message;
    QJsonObject o{
        {QStringLiteral("id"), double(m.id)},
        {QStringLiteral("room"), m.room},
        {QStringLiteral("namespace"), m.nsp},
        {QStringLiteral("sendDate"), double(m.sendDate)},
        {QStringLiteral("pushData"), pushDataObject(m.pushData)},
        {QStringLiteral("leaveMessage"), m.leaveMessage},
        {QStringLiteral("apnsName"), m.apnsName},
        {QStringLiteral("apnsEnv"), r.apnsEnv},
        {QStringLiteral("onlineClientCount"), double(r.onlineClientCount)},
        {QStringLiteral("ackCount"), double(r.ackCount)},
        {QStringLiteral("ackIOSCount"), double(r.ackIOSCount)},
        {QStringLiteral("ackAndroidCount"), double(r.ackAndroidCount)},
        {QStringLiteral("ackWebCount"), double(r.ackWebCount)},
        {QStringLiteral("apnsCount"), double(r.apnsCount)},
        {QStringLiteral("apnsSuccessCount"), double(r.apnsSuccessCount)},
        {QStringLiteral("result"), r.result},
        {QStringLiteral("serverNum"), double(m.serverNum)},
        {QStringLiteral("extra"), m.extra},
    };
    if (withDetail) {
        o.insert(QStringLiteral("ackIOSDetail"), QJsonArray::fromStringList(r.ackIOSDetail));
        o.insert(QStringLiteral("ackAndroidDetail"),
                 QJsonArray::fromStringList(r.ackAndroidDetail));
        o.insert(QStringLiteral("ackWebDetail"), QJsonArray::fromStringList(r.ackWebDetail));
    }
    return o;
}

namespace {
std::optional<QString> takeString(const QJsonObject &o, const char *key, QString &out)
{
    const auto it = o.constFind(QLatin1String(key));
    if (it == o.constEnd())
        return std::nullopt;
    if (!it->isString())
        return QStringLiteral("%1 must be a string").arg(QLatin1String(key));
    out = it->toString();
    return std::nullopt;
}

std::optional<QString> mergeApnsEntry(store::ApnsEntry &e, const QJsonObject &o)
{
    const char *stringKeys[] = {"apns_env",     "apns_topic",           "apns_dev_cert",
                                "apns_dev_key", "apns_production_cert", "apns_production_key",
                                "token_key",    "token_keyId",          "token_teamId"};
    QString *targets[] = {&e.apnsEnv,    &e.apnsTopic,          &e.apnsDevCert,
                          &e.apnsDevKey, &e.apnsProductionCert, &e.apnsProductionKey,
                          &e.tokenKey,   &e.tokenKeyId,         &e.tokenTeamId};
    for (size_t i = 0; i < std::size(stringKeys); ++i)
        if (auto err = takeString(o, stringKeys[i], *targets[i]))
            return QStringLiteral("apns_list: ") + *err;
    const auto exp = o.constFind(QLatin1String("apns_expiration"));
    if (exp != o.constEnd()) {
        if (exp->isDouble()) {
            // Beyond qint64 the conversion is undefined (found by fuzzing).
            const double d = exp->toDouble();
            if (!(std::fabs(d) < 9223372036854775808.0))
                return QStringLiteral("apns_list: apns_expiration is out of range");
            e.apnsExpiration = qint64(d);
        } else if (exp->isString() && !exp->toString().isEmpty())
            e.apnsExpiration = exp->toString().toLongLong();
        else if (!exp->isNull() && !exp->isString())
            return QStringLiteral("apns_list: apns_expiration must be a number");
    }
    if (!e.apnsEnv.isEmpty() && e.apnsEnv != u"dev" && e.apnsEnv != u"production")
        return QStringLiteral("apns_list: apns_env must be dev or production");
    return std::nullopt;
}
} // namespace

bool patchTooLong(const QJsonObject &fields, int maxLength)
{
    for (const char *name : {"device_token", "mobile", "system"})
        if (fields.value(QLatin1String(name)).toString().size() > maxLength)
            return true;
    return false;
}

std::optional<QString> parseClientPatch(const QJsonObject &fields, store::ClientPatch &patch,
                                        bool *writes, int maxLength)
{
    *writes = false;
    const std::pair<const char *, std::optional<QString> store::ClientPatch::*> strings[] = {
        {"device_token", &store::ClientPatch::deviceToken},
        {"mobile", &store::ClientPatch::mobile},
        {"system", &store::ClientPatch::system},
    };
    for (const auto &[name, member] : strings) {
        const QJsonValue v = fields.value(QLatin1String(name));
        if (v.isUndefined())
            continue;
        if (!v.isString())
            return QStringLiteral("%1 must be a string").arg(QLatin1String(name));
        if (v.toString().size() > maxLength)
            return QStringLiteral("%1 is too long (max %2 characters)")
                .arg(QLatin1String(name))
                .arg(maxLength);
        patch.*member = v.toString();
        *writes = true;
    }
    const QJsonValue lm = fields.value(QStringLiteral("leaveMessage"));
    if (!lm.isUndefined()) {
        if (!lm.isBool())
            return QStringLiteral("leaveMessage must be a boolean");
        patch.leaveMessage = lm.toBool();
        *writes = true;
    }
    return std::nullopt;
}

std::optional<QString> mergeNamespace(store::NamespaceRecord &ns, const QJsonObject &fields,
                                      int maxApnsEntries)
{
    const char *stringKeys[] = {"name", "auth_passwd", "connect_callback", "disconnect_callback",
                                "callback_auth"};
    QString *targets[] = {&ns.name, &ns.authPasswd, &ns.connectCallback, &ns.disconnectCallback,
                          &ns.callbackAuth};
    for (size_t i = 0; i < std::size(stringKeys); ++i)
        if (auto err = takeString(fields, stringKeys[i], *targets[i]))
            return err;
    const auto off = fields.constFind(QLatin1String("offline"));
    if (off != fields.constEnd()) {
        if (off->isString() && (off->toString() == u"on" || off->toString() == u"off"))
            ns.offline = off->toString() == u"on";
        else if (off->isBool())
            ns.offline = off->toBool();
        else
            return QStringLiteral("offline must be \"on\" or \"off\"");
    }
    const auto list = fields.constFind(QLatin1String("apns_list"));
    if (list != fields.constEnd() && !list->isNull()) {
        if (!list->isArray())
            return QStringLiteral("apns_list must be an array");
        const QString tooMany =
            QStringLiteral("apns_list: at most %1 entries (apns_list_max_entries)")
                .arg(maxApnsEntries);
        // Checked before any entry is merged: each merge looks the name up
        // among the stored entries.
        if (list->toArray().size() > maxApnsEntries)
            return tooMany;
        for (const QJsonValue &v : list->toArray()) {
            if (!v.isObject())
                return QStringLiteral("apns_list entries must be objects");
            const QJsonObject o = v.toObject();
            const QString name = o.value(QStringLiteral("name")).toString();
            if (name.isEmpty())
                return QStringLiteral("apns_list entries need a name");
            qsizetype index = -1;
            for (qsizetype i = 0; i < ns.apnsList.size(); ++i)
                if (ns.apnsList.at(i).name == name)
                    index = i;
            if (o.value(QStringLiteral("del")).toBool()) {
                if (index >= 0)
                    ns.apnsList.removeAt(index);
                continue;
            }
            store::ApnsEntry entry;
            if (index >= 0)
                entry = ns.apnsList.at(index);
            entry.name = name;
            if (auto err = mergeApnsEntry(entry, o))
                return err;
            if (index >= 0)
                ns.apnsList[index] = entry;
            else
                ns.apnsList.append(entry);
        }
        if (ns.apnsList.size() > maxApnsEntries)
            return tooMany;
    }
    return std::nullopt;
}

} // namespace qpush::push
