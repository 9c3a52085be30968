// What the offline worker hands iOS recipients to (SPEC §7, §8). The real
// HTTP/2 sender lives in server/apns/ (its own issue); until it is wired in,
// UnconfiguredApns records "APNs not configured" in the report.
#pragma once

#include "store/types.h"

#include <functional>

namespace qpush::push {

struct ApnsDelivery
{
    QString nsp;
    qint64 id = 0;
    QString room;
    QString apnsName;
    QByteArray pushData;                 // compact JSON; pushData.apsData is the APNs payload
    QList<store::ClientInfo> recipients; // iOS, with device tokens, not DND for the room
};

class ApnsSender
{
public:
    virtual ~ApnsSender() = default;
    virtual void send(const ApnsDelivery &delivery,
                      std::function<void(store::ApnsResult)> done) = 0;
};

class UnconfiguredApns final : public ApnsSender
{
public:
    void send(const ApnsDelivery &delivery, std::function<void(store::ApnsResult)> done) override
    {
        store::ApnsResult r;
        r.tried = 0;
        r.succeeded = 0;
        r.result = QStringLiteral("APNs not configured (%1 iOS recipients)")
                       .arg(delivery.recipients.size());
        done(r);
    }
};

} // namespace qpush::push
