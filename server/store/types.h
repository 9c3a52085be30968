#pragma once
// Plain data the store exchanges with the push domain (SPEC §2-§7, §10).
// Times are milliseconds since the Unix epoch; 0 means "never".

#include "shared/clientid.h"
#include "shared/namespacerecord.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace qpush::store {

// The domain vocabulary (shared/): platforms, client ids, namespaces.
using qpush::ApnsEntry;
using qpush::ClientIdParts;
using qpush::makeClientId;
using qpush::NamespaceRecord;
using qpush::parseClientId;
using qpush::Platform;
using qpush::platformFromName;
using qpush::platformName;

/// Stored info of one client (SPEC §3.2 `info`).
struct ClientInfo
{
    QString clientId;
    QString nsp;
    QString userid;
    Platform platform = Platform::Web;
    QString uuid;
    qint64 firstConnectTime = 0;
    qint64 lastConnectTime = 0;
    qint64 lastDisconnectTime = 0;
    qint64 updateDate = 0;
    QString mobile;
    QString system;
    QString deviceToken;
    QStringList noSendApns; ///< DND rooms, insertion order, no duplicates
    bool leaveMessage = true;

    friend bool operator==(const ClientInfo &, const ClientInfo &) = default;
};

/// A partial update of a client; absent fields keep their stored values.
struct ClientPatch
{
    /// A (re)connect: sets last_connect_time, first_connect_time once, and
    /// resets leaveMessage to true (SPEC §10).
    std::optional<qint64> connectTime;
    std::optional<qint64> disconnectTime;
    std::optional<qint64> updateDate;
    std::optional<QString> mobile;
    std::optional<QString> system;
    std::optional<QString> deviceToken;
    std::optional<bool> leaveMessage;
    std::optional<QStringList> noSendApns;
};

/// Work to run later, durably (SPEC §7: offline lists and APNs after
/// `worker_message_timeout`).
struct JobSpec
{
    QString nsp;
    QString kind;       ///< e.g. "offline"
    QByteArray payload; ///< opaque to the store
    qint64 dueAt = 0;
};

struct Job
{
    qint64 id = 0; ///< unique within its namespace
    QString nsp;
    QString kind;
    QByteArray payload;
    qint64 dueAt = 0;
    int attempts = 0; ///< deliveries so far, this one included
};

/// Everything one push writes, in one batch (SPEC §4 push, §7).
struct PushRecord
{
    QString nsp;
    QString room;
    QByteArray pushData; ///< the compact JSON text of the pushData object
    qint64 sendDate = 0;
    bool leaveMessage = false;
    QString apnsName;
    QString extra; ///< "lost" or empty
    QString exceptClient;
    qint64 ttlMs = 3600 * 1000; ///< `expire` hours, in ms
    int onlineClientCount = 0;
    int recentLimit = 1000;       ///< per-room messages kept for `sync`
    QStringList offlineClientIds; ///< Android offline entries to add now
    int offlineLimit = 100;       ///< `android_unread_message_list_max_limit`
    /// Enqueued atomically with the push, in the push's namespace (its `nsp`
    /// is ignored). An empty payload is replaced by the push's id (decimal).
    std::optional<JobSpec> followUp;
};

struct PushSaved
{
    qint64 id = 0;        ///< global, positive, strictly increasing, <= 2^53-1
    qint64 serverNum = 0; ///< pushes to the room before this one
};

/// A stored message as clients see it (`push` event, `offlineMessage`, `sync`).
struct PushMessage
{
    qint64 id = 0;
    QString nsp;
    QString room;
    QByteArray pushData;
    qint64 sendDate = 0;
    qint64 serverNum = 0;
    bool leaveMessage = false;
    QString apnsName;
    QString extra;
    QString exceptClient;
    qint64 expireAt = 0;
};

/// A push's delivery report (SPEC §4 report/push).
struct PushReport
{
    PushMessage message;
    qint64 onlineClientCount = 0;
    qint64 ackCount = 0;
    qint64 ackIOSCount = 0;
    qint64 ackAndroidCount = 0;
    qint64 ackWebCount = 0;
    qint64 apnsCount = 0;
    qint64 apnsSuccessCount = 0;
    QString apnsEnv;
    QString result;
    /// Filled only when asked for (and then sorted).
    QStringList ackIOSDetail;
    QStringList ackAndroidDetail;
    QStringList ackWebDetail;
};

struct AckOutcome
{
    bool counted = false; ///< this receipt was counted (first from a target)
    bool target = true;   ///< false: not a member of the push's room, or its `except`
};

/// Added to a report after APNs sends.
struct ApnsResult
{
    qint64 tried = 0;
    qint64 succeeded = 0;
    QString apnsEnv;
    QString result; ///< replaces the readable note when non-empty
};

/// The final APNs answer for one client of a push, recorded once per
/// (push, client) so that a job redone after a crash counts nobody twice.
struct ApnsOutcome
{
    QString clientId;
    bool succeeded = false;
    bool tokenCleared = false;
    QString reason; ///< "Sent", an APNs reason, or a sentence

    friend bool operator==(const ApnsOutcome &, const ApnsOutcome &) = default;
};

struct SyncResult
{
    qint64 serverNum = 0;
    QList<PushMessage> messages; ///< ascending serverNum
};

struct MessageStats
{
    qint64 minute = 0;
    qint64 hour = 0;
    qint64 day = 0;
};

/// All-time members of a room (SPEC §10 totals).
struct RoomCounts
{
    qint64 total = 0;
    qint64 ios = 0;
    qint64 android = 0;
    qint64 web = 0;
};

enum class TransferKind { Join, Leave };

/// Limits the store enforces and the time buckets it counts in.
constexpr qint64 kMaxMessageId = (qint64(1) << 53) - 1;

} // namespace qpush::store
