// The access log of the REST port: one info line per response on the
// category qpush.access, in logfmt (key=value) so that both log formats
// carry the same fields:
//   POST /api/auth/push status=200 bytes=35 ms=1.8 ip=203.0.113.9 ns=/demo
// (ns= for /api/auth/ calls, user= for the others, nothing without credentials)
// The query keeps its keys but the values of secret-looking parameters are
// replaced by "***"; headers and bodies are never logged, and of the
// Authorization header only the Basic user name is (the namespace key of
// /api/auth/ calls, the admin name of /api/admin/ ones).
#pragma once

#include "net/connection.h"

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcAccess)

namespace qpush {

// `target` (path and query) with the values of parameters whose name holds
// pass, secret, token, auth, sig, key, cookie or credential replaced by ***.
QByteArray redactedTarget(const QByteArray &target);

// Logs the response of `request` when `responder` sends it, and counts it in
// qpush_api_responses_total (when `metrics` is set).
void logResponse(net::Responder &responder, const http::Request &request,
                 const QHostAddress &client, metrics::ServerMetrics *metrics);

} // namespace qpush
