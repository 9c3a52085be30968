// JSON shapes of the domain types as SPEC §3-§5 show them to clients and
// REST callers (field names of the original service; times and counters as
// numbers).
#pragma once

#include "store/types.h"

#include <QJsonArray>
#include <QJsonObject>

namespace qpush::push {

QJsonObject namespaceToJson(const store::NamespaceRecord &ns, bool withSecrets = true);
QJsonObject apnsEntryToJson(const store::ApnsEntry &e);
// `info` fields of a client (SPEC §3.2).
QJsonObject clientInfoToJson(const store::ClientInfo &c);
// The `push` event / offlineMessage / sync item.
QJsonObject messageToJson(const store::PushMessage &m);
QJsonObject reportToJson(const store::PushReport &r, bool withDetail);
// pushData as an object (parsed from its stored compact JSON).
QJsonObject pushDataObject(const QByteArray &json);

// The writable client fields of `info` / POST /api/auth/client (SPEC §3.2):
// device_token, mobile, system (strings) and leaveMessage (boolean). Sets
// `*writes` when at least one is present; an error text for a wrong type.
std::optional<QString> parseClientPatch(const QJsonObject &fields, store::ClientPatch &patch,
                                        bool *writes);

// Merges a partial namespace save (SPEC §10: absent fields keep their
// values; apns_list entries merged by name, `del: true` removes one) into
// `ns`. Returns an error text for a field of the wrong type.
std::optional<QString> mergeNamespace(store::NamespaceRecord &ns, const QJsonObject &fields);

} // namespace qpush::push
