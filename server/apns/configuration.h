// One APNs configuration (SPEC §5 apns_list entry, §8): where to send, for
// which topic, and with which credentials. Built from the entry as stored and
// checked before anything is sent, so that a key that does not parse, a
// certificate that has expired or a certificate that does not match its key
// becomes one readable sentence in the push report instead of a failed
// handshake per notification.
#pragma once

#include <QByteArray>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>

#include <memory>
#include <optional>

namespace qpush::apns {

class Jwt;

/// An apns_list entry as stored (mirrors store::ApnsEntry; this library does
/// not depend on the store).
struct Entry
{
    QString name;
    QString apnsEnv; ///< "dev" | "production"
    QString apnsTopic;
    qint64 apnsExpiration = 0;
    QString apnsDevCert;
    QString apnsDevKey;
    QString apnsProductionCert;
    QString apnsProductionKey;
    QString tokenKey;
    QString tokenKeyId;
    QString tokenTeamId;
};

/// host and port of an APNs endpoint, from `apns_host_dev` / `apns_host_production`:
/// `host`, `host:port` or `https://host:port` (port 443 when absent).
struct Endpoint
{
    QString host;
    quint16 port = 443;
    static std::optional<Endpoint> parse(const QString &text);
    friend bool operator==(const Endpoint &, const Endpoint &) = default;
};

/// A credential field holds PEM text, or (as the original allowed) the path of
/// a file holding it. Returns the PEM bytes or an error sentence.
std::optional<QByteArray> readPemField(const QString &field, const QString &value, QString *error);

class Configuration
{
public:
    enum class Environment { Development, Production };

    /// Parses and checks `entry`; on failure returns nothing and sets `error`
    /// to a sentence for the report. `now` (UTC) decides certificate expiry.
    static std::optional<Configuration> fromEntry(const Entry &entry, const QDateTime &now,
                                                  QString *error);

    QString name;
    Environment environment = Environment::Development;
    QString topic;
    qint64 expirationSeconds = 0; ///< apns_expiration: seconds a notification stays deliverable

    bool usesToken() const { return !tokenKeyPem.isEmpty(); }
    QString environmentName() const
    {
        return environment == Environment::Production ? QStringLiteral("production")
                                                      : QStringLiteral("dev");
    }

    // token auth
    QByteArray tokenKeyPem;
    QString keyId;
    QString teamId;
    // certificate auth
    QSslCertificate certificate;
    QSslKey privateKey;

    /// Changes whenever anything that needs a new connection changes.
    QByteArray fingerprint() const;
};

} // namespace qpush::apns
