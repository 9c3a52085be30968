#include "namespacerecord.h"

#include <QJsonArray>

namespace qpush {

namespace {

using NS = NamespaceRecord;
using AE = ApnsEntry;

constexpr StringField<NS> kNamespaceStrings[] = {
    {"name", &NS::name, false, true},
    {"auth_passwd", &NS::authPasswd, true, true},
    {"connect_callback", &NS::connectCallback, false, true},
    {"disconnect_callback", &NS::disconnectCallback, false, true},
    {"callback_auth", &NS::callbackAuth, true, true},
    {"client_ip", &NS::clientIp, false, false},
};

constexpr StringField<AE> kApnsStrings[] = {
    {"apns_env", &AE::apnsEnv, false, true},
    {"apns_topic", &AE::apnsTopic, false, true},
    {"apns_dev_cert", &AE::apnsDevCert, false, true},
    {"apns_dev_key", &AE::apnsDevKey, true, true},
    {"apns_production_cert", &AE::apnsProductionCert, false, true},
    {"apns_production_key", &AE::apnsProductionKey, true, true},
    {"token_key", &AE::tokenKey, true, true},
    {"token_keyId", &AE::tokenKeyId, false, true},
    {"token_teamId", &AE::tokenTeamId, false, true},
};

template <class Record>
void writeStrings(QJsonObject &o, const Record &r, std::span<const StringField<Record>> fields,
                  NamespaceView view)
{
    for (const StringField<Record> &f : fields) {
        const QString &value = r.*(f.member);
        if (f.secret && view == NamespaceView::Public)
            o.insert(QLatin1String("has_") + QLatin1String(f.json), !value.isEmpty());
        else
            o.insert(QLatin1String(f.json), value);
    }
}

template <class Record>
void readStrings(const QJsonObject &o, Record &r, std::span<const StringField<Record>> fields)
{
    for (const StringField<Record> &f : fields)
        r.*(f.member) = o.value(QLatin1String(f.json)).toString();
}

} // namespace

std::span<const StringField<NamespaceRecord>> namespaceStringFields()
{
    return kNamespaceStrings;
}

std::span<const StringField<ApnsEntry>> apnsStringFields()
{
    return kApnsStrings;
}

QJsonObject apnsEntryToJson(const ApnsEntry &entry, NamespaceView view)
{
    QJsonObject o{{QStringLiteral("name"), entry.name},
                  {QStringLiteral("apns_expiration"), double(entry.apnsExpiration)}};
    writeStrings(o, entry, apnsStringFields(), view);
    return o;
}

QJsonObject namespaceRecordToJson(const NamespaceRecord &ns, NamespaceView view)
{
    QJsonObject o{
        {QStringLiteral("key"), ns.key},
        {QStringLiteral("offline"), ns.offline ? QStringLiteral("on") : QStringLiteral("off")},
        {QStringLiteral("update_date"), double(ns.updateDate)},
    };
    writeStrings(o, ns, namespaceStringFields(), view);
    QJsonArray list;
    for (const ApnsEntry &e : ns.apnsList)
        list.append(apnsEntryToJson(e, view));
    o.insert(QStringLiteral("apns_list"), list);
    return o;
}

NamespaceRecord namespaceRecordFromJson(const QJsonObject &o)
{
    NamespaceRecord ns;
    ns.key = o.value(QStringLiteral("key")).toString();
    readStrings(o, ns, namespaceStringFields());
    ns.offline = o.value(QStringLiteral("offline")).toString() == u"on";
    ns.updateDate = qint64(o.value(QStringLiteral("update_date")).toDouble());
    for (const QJsonValue &v : o.value(QStringLiteral("apns_list")).toArray()) {
        const QJsonObject e = v.toObject();
        ApnsEntry entry;
        entry.name = e.value(QStringLiteral("name")).toString();
        entry.apnsExpiration = qint64(e.value(QStringLiteral("apns_expiration")).toDouble());
        readStrings(e, entry, apnsStringFields());
        ns.apnsList.append(entry);
    }
    return ns;
}

} // namespace qpush
