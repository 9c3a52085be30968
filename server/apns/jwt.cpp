#include "jwt.h"

#include "logging.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace qpush::apns {

struct Jwt::Key
{
    EVP_PKEY *pkey = nullptr;
    ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

QByteArray base64Url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

std::unique_ptr<Jwt> Jwt::create(const QByteArray &p8Pem, const QString &keyId,
                                 const QString &teamId, QString *error)
{
    auto key = std::make_unique<Key>();
    BIO *bio = BIO_new_mem_buf(p8Pem.constData(), int(p8Pem.size()));
    if (bio) {
        key->pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
    }
    if (!key->pkey || EVP_PKEY_get_base_id(key->pkey) != EVP_PKEY_EC ||
        EVP_PKEY_get_bits(key->pkey) != 256) {
        *error = QStringLiteral("token_key is not an ES256 (P-256 EC) private key");
        return nullptr;
    }
    return std::unique_ptr<Jwt>(new Jwt(std::move(key), keyId, teamId));
}

Jwt::Jwt(std::unique_ptr<Key> key, QString keyId, QString teamId)
    : m_key(std::move(key)), m_keyId(std::move(keyId)), m_teamId(std::move(teamId))
{
}

Jwt::~Jwt() = default;

QByteArray Jwt::sign(qint64 iat) const
{
    const QByteArray header =
        QJsonDocument(QJsonObject{{QStringLiteral("alg"), QStringLiteral("ES256")},
                                  {QStringLiteral("kid"), m_keyId}})
            .toJson(QJsonDocument::Compact);
    const QByteArray claims =
        QJsonDocument(QJsonObject{{QStringLiteral("iss"), m_teamId}, {QStringLiteral("iat"), iat}})
            .toJson(QJsonDocument::Compact);
    const QByteArray input = base64Url(header) + '.' + base64Url(claims);

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return {};
    QByteArray der;
    size_t len = 0;
    bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, m_key->pkey) == 1 &&
              EVP_DigestSign(ctx, nullptr, &len,
                             reinterpret_cast<const unsigned char *>(input.constData()),
                             size_t(input.size())) == 1;
    if (ok) {
        der.resize(qsizetype(len));
        ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(der.data()), &len,
                            reinterpret_cast<const unsigned char *>(input.constData()),
                            size_t(input.size())) == 1;
        der.resize(qsizetype(len));
    }
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return {};

    // DER SEQUENCE{r, s} -> JOSE r||s, each left-padded to 32 bytes.
    const unsigned char *p = reinterpret_cast<const unsigned char *>(der.constData());
    ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, long(der.size()));
    if (!sig)
        return {};
    QByteArray jose(64, '\0');
    const BIGNUM *r = nullptr;
    const BIGNUM *s = nullptr;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, reinterpret_cast<unsigned char *>(jose.data()), 32) == 32 &&
         BN_bn2binpad(s, reinterpret_cast<unsigned char *>(jose.data()) + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    if (!ok)
        return {};
    return input + '.' + base64Url(jose);
}

QByteArray Jwt::token(qint64 nowSeconds)
{
    if (m_token.isEmpty() || nowSeconds - m_issuedAt >= m_refreshSeconds)
        resign(nowSeconds);
    return m_token;
}

bool Jwt::renewAfterRejection(const QByteArray &rejected, qint64 nowSeconds)
{
    constexpr qint64 kMinRenewalSeconds = 60;
    if (rejected == m_token &&
        (m_renewedOnRejectionAt < 0 || nowSeconds - m_renewedOnRejectionAt >= kMinRenewalSeconds)) {
        resign(nowSeconds);
        m_renewedOnRejectionAt = nowSeconds;
    }
    return rejected != m_token;
}

void Jwt::resign(qint64 nowSeconds)
{
    const QByteArray t = sign(nowSeconds);
    if (t.isEmpty()) {
        qCWarning(lcApns) << "signing the provider token failed";
        return;
    }
    m_token = t;
    m_issuedAt = nowSeconds;
    ++m_signCount;
}

} // namespace qpush::apns
