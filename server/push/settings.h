// The configuration the push domain reads (a slice of app::Config, so the
// domain does not depend on the application layer).
#pragma once

#include "errors.h"

#include "metrics/servermetrics.h"
#include "shared/clock.h"
#include "shared/namerules.h"

#include <QString>

namespace qpush::push {

/// The unit of `expire`, `push_message_expire` and `client_legacy_expire`.
constexpr qint64 kHourMs = 3600 * 1000;

struct Settings
{
    metrics::ServerMetrics *metrics = nullptr; // not owned; null: not counted
    NameRules names;
    bool roomActivityBroadcast = true;
    int workerMessageTimeoutMs = 5000;
    int workerClaimTimeoutMs = 60000; // a job held this long by a silent worker goes to another
    int pushMessageExpireHours = 1;
    int pushMessageMaxExpireHours = 10;
    int pushMessageListMaxLimit = 1000;
    int reportPushAckDetailMaxLimit = 1000;
    int reportOnlineListMaxLimit = 1000;
    int androidUnreadMessageListMaxLimit = 100;
    int clientLegacyExpireHours = 240;
    int clientPushIntervalSeconds = 1;
    // Limits on what anonymous clients may ask for (docs/security-domain.md).
    int maxRoomsPerMessage = 100;  // rooms in one joinRoom / leaveRoom / apns list
    int maxRoomsPerClient = 500;   // stored room memberships a client may gather itself
    int infoFieldMaxLength = 512;  // characters of device_token, mobile, system
    int syncMaxMessages = 100;     // pushes in one sync reply
    qint64 syncMaxBytes = 1 << 20; // pushData bytes in one sync reply (at least one push)
    int clientEventRate = 100;     // client events per second per connection (burst: as many)
    int apnsListMaxEntries = 32;   // apns_list entries of one namespace
    QString system;                // host name shown in `ok`
    quint16 socketPort = 0;        // shown in `ok`
    // Where the domain reads wall-clock time; tests pass a fake one.
    const Clock *clock = &systemClock();
    QString apnsAlert = QStringLiteral("通知"); // alert text when pushData has no apsData
    int apnsPayloadSize = 4000;                 // bytes; larger APNs payloads are refused
};

} // namespace qpush::push
