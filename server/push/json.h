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
// and still shown). The Public view of the record's one codec
// (shared/namespacerecord.h) with the certificate summaries added; a
// certificate's error says "expired" when it is at `nowMs`.
QJsonObject namespaceToJson(const store::NamespaceRecord &ns, CertSummaryCache &certs,
                            qint64 nowMs);
// `info` fields of a client (SPEC §3.2).
QJsonObject clientInfoToJson(const store::ClientInfo &c);
// The `push` event / offlineMessage / sync item.
QJsonObject messageToJson(const store::PushMessage &m);
QJsonObject reportToJson(const store::PushReport &r, bool withDetail);
// pushData as an object (parsed from its stored compact JSON).
QJsonObject pushDataObject(const QByteArray &json);

} // namespace qpush::push
