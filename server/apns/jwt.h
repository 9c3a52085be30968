// The APNs provider token (SPEC §8): an ES256 JWT {alg, kid}.{iss, iat}
// signed with the team's .p8 key. APNs wants the signature in JOSE form
// (R‖S, 32 bytes each), not the DER that OpenSSL produces. The token is
// cached and re-signed only when it is `refreshSeconds` old: APNs refuses
// tokens older than an hour and answers 429 TooManyProviderTokenUpdates to a
// provider that re-signs more often than every 20 minutes.
#pragma once

#include <QByteArray>
#include <QString>

#include <memory>

namespace qpush::apns {

class Jwt
{
public:
    /// Nothing (and `error` set) when `p8Pem` is not a P-256 private key.
    static std::unique_ptr<Jwt> create(const QByteArray &p8Pem, const QString &keyId,
                                       const QString &teamId, QString *error);
    ~Jwt();

    /// Signs one token with issued-at `iat` (UNIX seconds); empty on failure.
    QByteArray sign(qint64 iat) const;

    void setRefreshSeconds(int seconds) { m_refreshSeconds = seconds; }
    int refreshSeconds() const { return m_refreshSeconds; }

    /// The cached token, re-signed first when it is `refreshSeconds` old.
    QByteArray token(qint64 nowSeconds);
    /// APNs rejected `rejected` (403 ExpiredProviderToken / InvalidProviderToken):
    /// re-sign once if it is still the cached token (many streams fail with the
    /// same token at once; only the first re-signs), and at most once a minute
    /// for rejections (a wrong key is rejected every time: re-signing per
    /// notification would earn 429 TooManyProviderTokenUpdates). True when the
    /// cached token now differs from `rejected`.
    bool renewAfterRejection(const QByteArray &rejected, qint64 nowSeconds);
    /// Tokens signed so far.
    qint64 signCount() const { return m_signCount; }

private:
    struct Key;
    Jwt(std::unique_ptr<Key> key, QString keyId, QString teamId);
    void resign(qint64 nowSeconds);

    std::unique_ptr<Key> m_key;
    QString m_keyId;
    QString m_teamId;
    int m_refreshSeconds = 2400;
    QByteArray m_token;
    qint64 m_issuedAt = 0;
    qint64 m_signCount = 0;
    qint64 m_renewedOnRejectionAt = -1;
};

} // namespace qpush::apns
