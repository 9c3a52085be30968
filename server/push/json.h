// JSON shapes of the domain types as SPEC §3-§5 show them to clients and
// REST callers (field names of the original service; times and counters as
// numbers).
#pragma once

#include "apnscert.h"

#include "store/types.h"

#include <QJsonArray>
#include <QJsonObject>

namespace qpush::push {

// A namespace as reads show it (SPEC §10: secrets are write-only): never
// auth_passwd, callback_auth or private keys; has_auth_passwd,
// has_callback_auth and, per APNs entry, has_token_key, has_apns_*_key,
// token_keyId, token_teamId and apns_{dev,production}_cert_{subject,topic,
// expiry,error} from the certificates (certificates themselves are public
// and still shown).
QJsonObject namespaceToJson(const store::NamespaceRecord &ns, CertSummaryCache &certs);
QJsonObject apnsEntryToJson(const store::ApnsEntry &e, CertSummaryCache &certs);
// `info` fields of a client (SPEC §3.2).
QJsonObject clientInfoToJson(const store::ClientInfo &c);
// The `push` event / offlineMessage / sync item.
QJsonObject messageToJson(const store::PushMessage &m);
QJsonObject reportToJson(const store::PushReport &r, bool withDetail);
// pushData as an object (parsed from its stored compact JSON).
QJsonObject pushDataObject(const QByteArray &json);

// The writable client fields of `info` / POST /api/auth/client (SPEC §3.2):
// device_token, mobile, system (strings) and leaveMessage (boolean). Sets
// `*writes` when at least one is present; an error text for a wrong type or
// a string longer than `maxLength` characters (info_field_max_length).
std::optional<QString> parseClientPatch(const QJsonObject &fields, store::ClientPatch &patch,
                                        bool *writes, int maxLength);
// True when one of those string fields is longer than `maxLength`.
bool patchTooLong(const QJsonObject &fields, int maxLength);

// Merges a partial namespace save (SPEC §10: absent fields keep their
// values; apns_list entries merged by name, `del: true` removes one) into
// `ns`. Returns an error text for a field of the wrong type, or for an
// apns_list (in the save or after it) of more than `maxApnsEntries`.
std::optional<QString> mergeNamespace(store::NamespaceRecord &ns, const QJsonObject &fields,
                                      int maxApnsEntries);

} // namespace qpush::push
