// Every JSON shape the console exchanges with the REST API (SPEC §4, §5,
// §10), in one place: value types with fromJson/toJson. Tolerant on read so
// the console works with servers that return secrets (older) and with
// servers that keep them write-only (has_* flags and certificate summaries).
#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace qpush::admin {

// One APNs configuration of a namespace. Secret fields are only set when
// the user changed them (write) or when an older server returned them (read).
struct ApnsEntry
{
    QString name;
    QString env = QStringLiteral("production"); // "dev" | "production"
    QString topic;
    qint64 expiration = 0;
    QString tokenKeyId;
    QString tokenTeamId;
    // Secrets: only sent when non-null (changed by the user).
    std::optional<QString> tokenKey;
    std::optional<QString> devCert, devKey, productionCert, productionKey;
    // What the server says is configured (write-only servers), or derived
    // from the secrets an older server returned.
    bool hasTokenKey = false;
    struct CertSummary
    {
        QString subject, topic, error;
        qint64 expiryMs = 0;
        bool present = false;
    } devCertInfo, productionCertInfo;

    static ApnsEntry fromJson(const QJsonObject &o);
    // The object for namespace/save: plain fields always, secrets only when set.
    QJsonObject toSaveJson() const;
    // "token (key id K, team T)", "certificate (subject ...)", "no credentials".
    QString credentialSummary() const;
};

struct NamespaceInfo
{
    QString key;
    QString name;
    QString connectCallback;
    QString disconnectCallback;
    bool offline = false;
    qint64 updateDate = 0;
    QString clientIp;
    bool hasAuthPasswd = false;
    bool hasCallbackAuth = false;
    // Only from servers that still return secrets; never displayed.
    std::optional<QString> authPasswd;
    QList<ApnsEntry> apnsList;
    // Present with list?online=true.
    std::optional<qint64> roomCount, userCount, clientCount, totalClientCount;

    static NamespaceInfo fromJson(const QJsonObject &o);
};

// Fields of a namespace save: only what the user changed is sent.
struct NamespaceChanges
{
    QString key;
    std::optional<QString> name, authPasswd, connectCallback, disconnectCallback, callbackAuth;
    std::optional<bool> offline;
    QList<ApnsEntry> apnsUpserts;
    QStringList apnsDeletes;
    QJsonObject toJson() const;
};

struct NamespacePage
{
    QList<NamespaceInfo> list;
    qint64 total = 0;
    static NamespacePage fromJson(const QJsonObject &o);
};

struct NamespaceQuery
{
    QString key, name;
    QString offline = QStringLiteral("all");
    int page = 1, pageSize = 20;
    bool online = true;
};

struct OnlineSummary
{
    qint64 roomCount = 0, userCount = 0, clientCount = 0, totalClientCount = 0;
    QStringList rooms; // with detail=true
    static OnlineSummary fromJson(const QJsonObject &o);
};

struct RoomOnline
{
    QString name;
    qint64 userCount = 0, clientCount = 0, totalClientCount = 0;
    qint64 iosClientCount = 0, totalIOSClientCount = 0;
    qint64 androidClientCount = 0, totalAndroidClientCount = 0;
    qint64 webClientCount() const { return clientCount - iosClientCount - androidClientCount; }
    static RoomOnline fromJson(const QJsonObject &o);
};

struct MessageStats
{
    qint64 minute = 0, hour = 0, day = 0;
    static MessageStats fromJson(const QJsonObject &o);
};

struct PushReport
{
    qint64 id = 0;
    QString room, nsp;
    qint64 sendDate = 0;
    QJsonObject pushData;
    bool leaveMessage = false;
    QString apnsName, apnsEnv, result, extra;
    qint64 onlineClientCount = 0, ackCount = 0, ackIOSCount = 0, ackAndroidCount = 0;
    qint64 ackWebCount = 0, apnsCount = 0, apnsSuccessCount = 0;
    QStringList ackIOSDetail, ackAndroidDetail, ackWebDetail;
    static PushReport fromJson(const QJsonObject &o);
};

struct PushRequest
{
    QString room;
    QJsonObject pushData;
    QString apnsName;
    bool leaveMessage = false;
    int expireHours = 0; // 0: server default
    bool simulateLoss = false;
    QString except;
    QJsonObject toJson() const;
};

struct PushAccepted
{
    qint64 id = 0;
    qint64 expectAckCount = 0;
    static PushAccepted fromJson(const QJsonObject &o);
};

struct ClientInfo
{
    QString id, userid, uuid, platform;
    qint64 firstConnectTime = 0, lastConnectTime = 0, lastDisconnectTime = 0, updateDate = 0;
    QString mobile, system, deviceToken;
    QStringList noSendApns;
    bool leaveMessage = true;
    static ClientInfo fromJson(const QJsonObject &o);
};

// Fields of a client write (POST /api/auth/client): only the changed ones.
struct ClientChanges
{
    QString id;
    std::optional<QString> deviceToken, mobile, system;
    std::optional<bool> leaveMessage;
    QJsonObject toJson() const;
};

// "12 Mar 2026 14:03:07" in local time; "—" for 0.
QString formatTime(qint64 ms);

} // namespace qpush::admin
