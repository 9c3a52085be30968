#include "json.h"

#include <QJsonDocument>

namespace qpush::push {

namespace {
// What reads show of an entry's certificates (parsed once, cached).
void addCertSummaries(QJsonObject &o, const store::ApnsEntry &e, CertSummaryCache &certs,
                      qint64 now)
{
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
}
} // namespace

QJsonObject namespaceToJson(const store::NamespaceRecord &ns, CertSummaryCache &certs, qint64 nowMs)
{
    QJsonObject o = namespaceRecordToJson(ns, NamespaceView::Public);
    QJsonArray list;
    for (const store::ApnsEntry &e : ns.apnsList) {
        QJsonObject entry = qpush::apnsEntryToJson(e, NamespaceView::Public);
        addCertSummaries(entry, e, certs, nowMs);
        list.append(entry);
    }
    o.insert(QStringLiteral("apns_list"), list);
    return o;
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

} // namespace qpush::push
