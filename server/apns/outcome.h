// What one APNs answer means for the notification (SPEC §8): delivered, the
// device token is dead (clear it), worth another try (429, 5xx, a lost
// connection), a provider token to re-sign, or a final refusal. Pure: the
// one place where statuses and APNs reason strings are interpreted.
#pragma once

#include <QByteArray>
#include <QString>

namespace qpush::apns {

/// The final answer for one notification.
struct Outcome
{
    bool success = false;
    bool clearToken = false; ///< 410, BadDeviceToken, Unregistered, DeviceTokenNotForTopic
    QString reason;          ///< "Sent", an APNs reason, or a sentence (network, TLS, queue)
    int status = 0;          ///< HTTP status, 0 when no HTTP answer came
};

enum class Verdict {
    Final,         ///< the answer stands (success or not)
    Retry,         ///< try again after a backoff (429, 5xx, connection trouble)
    ResignAndRetry ///< 403 Expired/InvalidProviderToken: new provider token, one more try
};

struct Classified
{
    Verdict verdict = Verdict::Final;
    Outcome outcome;
};

/// Interprets an HTTP answer: status and the JSON body `{"reason": ...}`.
Classified classifyResponse(int status, const QByteArray &body);

/// The reason string of an APNs error body; empty when there is none.
QString reasonOf(const QByteArray &body);

} // namespace qpush::apns
