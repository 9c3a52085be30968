// What the offline worker hands iOS recipients to (SPEC §7, §8). The real
// sender is ApnsDispatch (apnsdispatch.h, over server/apns/);
// UnconfiguredApns stands in where no APNs is wanted (tests).
#pragma once

#include "store/types.h"

#include <QJsonObject>

#include <functional>

namespace qpush::push {

struct ApnsDelivery
{
    QString nsp;
    qint64 id = 0;
    QString room;
    QString apnsName;
    QByteArray pushData;                 // compact JSON; pushData.apsData is the APNs payload
    qint64 expireAt = 0;                 // ms: when the push expires
    QList<store::ClientInfo> recipients; // iOS, with device tokens, not DND for the room
};

/// How a delivery went as a whole: the environment of the configuration used,
/// and, when no notification could be tried at all (unknown apnsName, a
/// configuration that does not parse), why.
struct ApnsSummary
{
    QString apnsEnv;
    QString refused;
};

class ApnsSender
{
public:
    virtual ~ApnsSender() = default;
    /// `answered` runs once per recipient with its final answer (later, in
    /// any order), then `done` once. When `done` carries `refused`,
    /// `answered` never ran.
    virtual void send(const ApnsDelivery &delivery,
                      std::function<void(const store::ApnsOutcome &)> answered,
                      std::function<void(const ApnsSummary &)> done) = 0;
};

class UnconfiguredApns final : public ApnsSender
{
public:
    void send(const ApnsDelivery &, std::function<void(const store::ApnsOutcome &)>,
              std::function<void(const ApnsSummary &)> done) override
    {
        done(ApnsSummary{QString(), QStringLiteral("APNs not configured")});
    }
};

/// The APNs payload of a push (SPEC §8): `pushData.apsData` when it is an
/// object, else `{"aps":{"alert":<alert>}}`; compact JSON.
QByteArray apnsPayload(const QJsonObject &pushData, const QString &alert);

/// The report's `result` from every recorded answer, e.g.
/// "3 sent, 1 token cleared (Unregistered), 2 failed (TooManyRequests)".
QString apnsResultText(const QList<store::ApnsOutcome> &outcomes);

} // namespace qpush::push
