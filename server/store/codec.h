#pragma once
// Serialisation shared by the backends: namespace documents, DND lists.

#include "result.h"
#include "types.h"

#include <QByteArray>

namespace qpush::store {

QByteArray namespaceToJson(const NamespaceRecord &ns);
Result<NamespaceRecord> namespaceFromJson(const QByteArray &json);

/// SPEC §3.2 `apns`: adds (in order, no duplicates) then removes; remove wins.
QStringList applyDndEdit(QStringList current, const QStringList &add, const QStringList &remove);
/// A client patch applied to a stored record (SPEC §3.1 connect/disconnect
/// times, §3.2 `info`): the backends that merge in C++ share it.
void applyClientPatch(ClientInfo &c, const ClientPatch &patch);
/// `no_send_apns` is stored as the comma-separated string the API shows.
QString joinDnd(const QStringList &rooms);
QStringList splitDnd(const QString &stored);

/// Minute / hour / day buckets of a push time (UTC).
struct StatBuckets
{
    qint64 minute;
    qint64 hour;
    qint64 day;
};
StatBuckets statBuckets(qint64 ms);

} // namespace qpush::store
