// A namespace (SPEC §5, §10) and its one JSON codec. The record is what the
// store keeps; the codec writes it in two views of the same field table:
// Stored (every field, secrets included: the store's document) and Public
// (what reads show: each secret becomes `has_<field>`, SPEC §10 "secrets are
// write-only"). The field tables also drive the partial-save merge.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

#include <span>

namespace qpush {

// One `apns_list` entry of a namespace, stored as given.
struct ApnsEntry
{
    QString name;
    QString apnsEnv; // "dev" | "production"
    QString apnsTopic;
    qint64 apnsExpiration = 0;
    QString apnsDevCert;
    QString apnsDevKey;
    QString apnsProductionCert;
    QString apnsProductionKey;
    QString tokenKey;
    QString tokenKeyId;
    QString tokenTeamId;

    friend bool operator==(const ApnsEntry &, const ApnsEntry &) = default;
};

// A namespace. The store keeps the whole record; merging a partial save into
// it is the domain's job.
struct NamespaceRecord
{
    QString key; // with its leading slash: "/demo"
    QString name;
    QString authPasswd;
    QString connectCallback;
    QString disconnectCallback;
    QString callbackAuth;
    bool offline = false; // SPEC's `offline: "on"`
    qint64 updateDate = 0;
    QString clientIp;
    QList<ApnsEntry> apnsList;

    friend bool operator==(const NamespaceRecord &, const NamespaceRecord &) = default;
};

enum class NamespaceView {
    Stored, // every field
    Public, // secrets replaced by has_<field> booleans
};

// The string fields of a record type, in JSON order.
template <class Record> struct StringField
{
    const char *json;
    QString Record::*member;
    bool secret;   // write-only: never in the Public view
    bool writable; // a partial save may set it
};

std::span<const StringField<NamespaceRecord>> namespaceStringFields();
// Every string field of an entry but `name` (the merge key).
std::span<const StringField<ApnsEntry>> apnsStringFields();

QJsonObject namespaceRecordToJson(const NamespaceRecord &ns, NamespaceView view);
QJsonObject apnsEntryToJson(const ApnsEntry &entry, NamespaceView view);
// Reads the Stored view (missing fields stay empty).
NamespaceRecord namespaceRecordFromJson(const QJsonObject &o);

} // namespace qpush
