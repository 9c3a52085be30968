#include "apitypes.h"

#include "apnscredentials.h"

#include <QDateTime>
#include <QLocale>

namespace qpush::admin {

namespace {

qint64 num(const QJsonObject &o, const char *key)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isString())
        return v.toString().toLongLong();
    return qint64(v.toDouble());
}

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

std::optional<qint64> optNum(const QJsonObject &o, const char *key)
{
    if (!o.contains(QLatin1String(key)))
        return std::nullopt;
    return num(o, key);
}

QStringList strings(const QJsonObject &o, const char *key)
{
    QStringList out;
    for (const QJsonValue &v : o.value(QLatin1String(key)).toArray())
        out.append(v.toString());
    return out;
}

// The summary of one certificate: the server's own (write-only servers,
// `<prefix>_subject`...) or parsed from the PEM an older server returned.
ApnsEntry::CertSummary certSummary(const QJsonObject &o, const QString &prefix)
{
    ApnsEntry::CertSummary s;
    const QString subjectKey = prefix + QStringLiteral("_subject");
    const QString expiryKey = prefix + QStringLiteral("_expiry");
    const QString topicKey = prefix + QStringLiteral("_topic");
    const QString errorKey = prefix + QStringLiteral("_error");
    if (o.contains(subjectKey) || o.contains(expiryKey) || o.contains(errorKey)) {
        s.subject = o.value(subjectKey).toString();
        s.topic = o.value(topicKey).toString();
        s.error = o.value(errorKey).toString();
        s.expiryMs = qint64(o.value(expiryKey).toDouble());
        s.present = !s.subject.isEmpty() || !s.error.isEmpty() || s.expiryMs > 0;
        return s;
    }
    const QString pem = o.value(prefix).toString();
    if (pem.isEmpty())
        return s;
    s.present = true;
    const auto info = describeCertificate(pem.toUtf8());
    if (!info.ok()) {
        // Not PEM: the original allowed a file path on the server.
        s.error = pem.contains(QLatin1String("-----BEGIN"))
                      ? info.error
                      : QStringLiteral("a file on the server: ") + pem;
        return s;
    }
    s.subject = info.subject;
    s.topic = info.topic;
    s.expiryMs = info.expiry.toMSecsSinceEpoch();
    return s;
}

QString certText(const ApnsEntry::CertSummary &c)
{
    if (!c.error.isEmpty())
        return c.error;
    QString t = c.subject.isEmpty() ? QStringLiteral("certificate") : c.subject;
    if (c.expiryMs > 0)
        t += QStringLiteral(", expires ") + formatTime(c.expiryMs);
    return t;
}

} // namespace

ApnsEntry ApnsEntry::fromJson(const QJsonObject &o)
{
    ApnsEntry e;
    e.name = str(o, "name");
    e.env = str(o, "apns_env");
    if (e.env.isEmpty())
        e.env = QStringLiteral("production");
    e.topic = str(o, "apns_topic");
    e.expiration = num(o, "apns_expiration");
    e.tokenKeyId = str(o, "token_keyId");
    e.tokenTeamId = str(o, "token_teamId");
    e.hasTokenKey =
        o.value(QStringLiteral("has_token_key")).toBool() || !str(o, "token_key").isEmpty();
    e.devCertInfo = certSummary(o, QStringLiteral("apns_dev_cert"));
    e.productionCertInfo = certSummary(o, QStringLiteral("apns_production_cert"));
    return e;
}

QJsonObject ApnsEntry::toSaveJson() const
{
    QJsonObject o{{QStringLiteral("name"), name},
                  {QStringLiteral("apns_env"), env},
                  {QStringLiteral("apns_topic"), topic},
                  {QStringLiteral("apns_expiration"), double(expiration)},
                  {QStringLiteral("token_keyId"), tokenKeyId},
                  {QStringLiteral("token_teamId"), tokenTeamId}};
    auto put = [&o](const char *key, const std::optional<QString> &v) {
        if (v)
            o.insert(QLatin1String(key), *v);
    };
    put("token_key", tokenKey);
    put("apns_dev_cert", devCert);
    put("apns_dev_key", devKey);
    put("apns_production_cert", productionCert);
    put("apns_production_key", productionKey);
    return o;
}

QString ApnsEntry::credentialSummary() const
{
    QStringList parts;
    if (hasTokenKey || (tokenKey && !tokenKey->isEmpty()))
        parts.append(QStringLiteral("token key %1, team %2")
                         .arg(tokenKeyId.isEmpty() ? QStringLiteral("?") : tokenKeyId,
                              tokenTeamId.isEmpty() ? QStringLiteral("?") : tokenTeamId));
    if (devCertInfo.present)
        parts.append(QStringLiteral("dev: ") + certText(devCertInfo));
    if (productionCertInfo.present)
        parts.append(QStringLiteral("production: ") + certText(productionCertInfo));
    return parts.isEmpty() ? QStringLiteral("no credentials") : parts.join(QStringLiteral("; "));
}

NamespaceInfo NamespaceInfo::fromJson(const QJsonObject &o)
{
    NamespaceInfo n;
    n.key = str(o, "key");
    n.name = str(o, "name");
    n.connectCallback = str(o, "connect_callback");
    n.disconnectCallback = str(o, "disconnect_callback");
    const QJsonValue off = o.value(QStringLiteral("offline"));
    n.offline = off.isBool() ? off.toBool() : off.toString() == u"on";
    n.updateDate = num(o, "update_date");
    n.clientIp = str(o, "client_ip");
    if (o.contains(QStringLiteral("auth_passwd")))
        n.authPasswd = str(o, "auth_passwd");
    n.hasAuthPasswd = o.value(QStringLiteral("has_auth_passwd")).toBool() ||
                      (n.authPasswd && !n.authPasswd->isEmpty());
    n.hasCallbackAuth =
        o.value(QStringLiteral("has_callback_auth")).toBool() || !str(o, "callback_auth").isEmpty();
    for (const QJsonValue &v : o.value(QStringLiteral("apns_list")).toArray())
        n.apnsList.append(ApnsEntry::fromJson(v.toObject()));
    n.roomCount = optNum(o, "roomCount");
    n.userCount = optNum(o, "userCount");
    n.clientCount = optNum(o, "clientCount");
    n.totalClientCount = optNum(o, "totalClientCount");
    return n;
}

QJsonObject NamespaceChanges::toJson() const
{
    QJsonObject o{{QStringLiteral("key"), key}};
    auto put = [&o](const char *k, const std::optional<QString> &v) {
        if (v)
            o.insert(QLatin1String(k), *v);
    };
    put("name", name);
    put("auth_passwd", authPasswd);
    put("connect_callback", connectCallback);
    put("disconnect_callback", disconnectCallback);
    put("callback_auth", callbackAuth);
    if (offline)
        o.insert(QStringLiteral("offline"),
                 *offline ? QStringLiteral("on") : QStringLiteral("off"));
    QJsonArray apns;
    for (const ApnsEntry &e : apnsUpserts)
        apns.append(e.toSaveJson());
    for (const QString &name : apnsDeletes)
        apns.append(QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("del"), true}});
    if (!apns.isEmpty())
        o.insert(QStringLiteral("apns_list"), apns);
    return o;
}

NamespacePage NamespacePage::fromJson(const QJsonObject &o)
{
    NamespacePage p;
    for (const QJsonValue &v : o.value(QStringLiteral("list")).toArray())
        p.list.append(NamespaceInfo::fromJson(v.toObject()));
    p.total = num(o, "total");
    return p;
}

OnlineSummary OnlineSummary::fromJson(const QJsonObject &o)
{
    OnlineSummary s;
    s.roomCount = num(o, "roomCount");
    s.userCount = num(o, "userCount");
    s.clientCount = num(o, "clientCount");
    s.totalClientCount = num(o, "totalClientCount");
    for (const QJsonValue &v : o.value(QStringLiteral("room")).toArray())
        s.rooms.append(v.isObject() ? v.toObject().value(QStringLiteral("name")).toString()
                                    : v.toString());
    return s;
}

RoomOnline RoomOnline::fromJson(const QJsonObject &o)
{
    RoomOnline r;
    r.name = str(o, "name");
    r.userCount = num(o, "userCount");
    r.clientCount = num(o, "clientCount");
    r.totalClientCount = num(o, "totalClientCount");
    r.iosClientCount = num(o, "iosClientCount");
    r.totalIOSClientCount = num(o, "totalIOSClientCount");
    r.androidClientCount = num(o, "androidClientCount");
    r.totalAndroidClientCount = num(o, "totalAndroidClientCount");
    return r;
}

MessageStats MessageStats::fromJson(const QJsonObject &o)
{
    return {num(o, "currMinuteMessageCount"), num(o, "currHourMessageCount"),
            num(o, "currDateMessageCount")};
}

PushReport PushReport::fromJson(const QJsonObject &o)
{
    PushReport r;
    r.id = num(o, "id");
    r.room = str(o, "room");
    r.nsp = str(o, "namespace");
    r.sendDate = num(o, "sendDate");
    r.pushData = o.value(QStringLiteral("pushData")).toObject();
    r.leaveMessage = o.value(QStringLiteral("leaveMessage")).toBool();
    r.apnsName = str(o, "apnsName");
    r.apnsEnv = str(o, "apnsEnv");
    r.result = str(o, "result");
    r.extra = str(o, "extra");
    r.onlineClientCount = num(o, "onlineClientCount");
    r.ackCount = num(o, "ackCount");
    r.ackIOSCount = num(o, "ackIOSCount");
    r.ackAndroidCount = num(o, "ackAndroidCount");
    r.ackWebCount = o.contains(QStringLiteral("ackWebCount"))
                        ? num(o, "ackWebCount")
                        : r.ackCount - r.ackIOSCount - r.ackAndroidCount;
    r.apnsCount = num(o, "apnsCount");
    r.apnsSuccessCount = num(o, "apnsSuccessCount");
    r.ackIOSDetail = strings(o, "ackIOSDetail");
    r.ackAndroidDetail = strings(o, "ackAndroidDetail");
    r.ackWebDetail = strings(o, "ackWebDetail");
    return r;
}

QJsonObject PushRequest::toJson() const
{
    QJsonObject o{{QStringLiteral("room"), room},
                  {QStringLiteral("pushData"), pushData},
                  {QStringLiteral("leaveMessage"), leaveMessage}};
    if (!apnsName.isEmpty())
        o.insert(QStringLiteral("apnsName"), apnsName);
    if (expireHours > 0)
        o.insert(QStringLiteral("expire"), expireHours);
    if (simulateLoss)
        o.insert(QStringLiteral("extra"), QStringLiteral("lost"));
    if (!except.isEmpty())
        o.insert(QStringLiteral("except"), except);
    return o;
}

PushAccepted PushAccepted::fromJson(const QJsonObject &o)
{
    return {num(o, "id"), num(o, "expectAckCount")};
}

ClientInfo ClientInfo::fromJson(const QJsonObject &o)
{
    ClientInfo c;
    c.id = str(o, "id");
    c.userid = str(o, "userid");
    c.uuid = str(o, "uuid");
    c.platform = str(o, "platform");
    c.firstConnectTime = num(o, "first_connect_time");
    c.lastConnectTime = num(o, "last_connect_time");
    c.lastDisconnectTime = num(o, "last_disconnect_time");
    c.updateDate = num(o, "update_date");
    c.mobile = str(o, "mobile");
    c.system = str(o, "system");
    c.deviceToken = str(o, "device_token");
    c.noSendApns = str(o, "no_send_apns").split(QLatin1Char(','), Qt::SkipEmptyParts);
    c.leaveMessage = o.value(QStringLiteral("leaveMessage")).toBool(true);
    return c;
}

QJsonObject ClientChanges::toJson() const
{
    QJsonObject o{{QStringLiteral("id"), id}};
    if (deviceToken)
        o.insert(QStringLiteral("device_token"), *deviceToken);
    if (mobile)
        o.insert(QStringLiteral("mobile"), *mobile);
    if (system)
        o.insert(QStringLiteral("system"), *system);
    if (leaveMessage)
        o.insert(QStringLiteral("leaveMessage"), *leaveMessage);
    return o;
}

QString formatTime(qint64 ms)
{
    if (ms <= 0)
        return QStringLiteral("—");
    return QLocale::system().toString(QDateTime::fromMSecsSinceEpoch(ms),
                                      QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

} // namespace qpush::admin
