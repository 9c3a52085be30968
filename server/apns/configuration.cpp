#include "configuration.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QUrl>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace qpush::apns {

namespace {

constexpr qint64 kMaxPemFileBytes = 1024 * 1024;

struct BioFree
{
    void operator()(BIO *b) const { BIO_free(b); }
};
struct PkeyFree
{
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct X509Free
{
    void operator()(X509 *x) const { X509_free(x); }
};

std::unique_ptr<EVP_PKEY, PkeyFree> readPrivateKey(const QByteArray &pem)
{
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    if (!bio)
        return nullptr;
    return std::unique_ptr<EVP_PKEY, PkeyFree>(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::unique_ptr<X509, X509Free> readCertificate(const QByteArray &pem)
{
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    if (!bio)
        return nullptr;
    return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

bool isP256(EVP_PKEY *key)
{
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        return false;
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len) != 1)
        return false;
    return QByteArray(group) == "prime256v1" || QByteArray(group) == "P-256";
}

} // namespace

std::optional<Endpoint> Endpoint::parse(const QString &text)
{
    QString t = text.trimmed();
    if (t.isEmpty())
        return std::nullopt;
    if (!t.contains(QStringLiteral("://")))
        t.prepend(QStringLiteral("https://"));
    const QUrl url(t, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() || url.scheme() != u"https")
        return std::nullopt;
    if (!url.path().isEmpty() && url.path() != u"/")
        return std::nullopt;
    Endpoint e;
    e.host = url.host();
    e.port = quint16(url.port(443));
    return e;
}

std::optional<QByteArray> readPemField(const QString &field, const QString &value, QString *error)
{
    if (value.trimmed().isEmpty()) {
        *error = field + QStringLiteral(" is empty");
        return std::nullopt;
    }
    if (value.contains(QStringLiteral("-----BEGIN ")))
        return value.toUtf8();
    QFile f(value.trimmed());
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1 is neither PEM text nor a readable file (%2)")
                     .arg(field, value.trimmed());
        return std::nullopt;
    }
    const QByteArray data = f.read(kMaxPemFileBytes + 1);
    if (data.size() > kMaxPemFileBytes || !data.contains("-----BEGIN ")) {
        *error = QStringLiteral("%1 file %2 holds no PEM text").arg(field, value.trimmed());
        return std::nullopt;
    }
    return data;
}

std::optional<Configuration> Configuration::fromEntry(const Entry &entry, const QDateTime &now,
                                                      QString *error)
{
    QString why;
    auto fail = [&](const QString &sentence) -> std::optional<Configuration> {
        *error = QStringLiteral("APNs entry '%1': %2").arg(entry.name, sentence);
        return std::nullopt;
    };
    Configuration c;
    c.name = entry.name;
    if (entry.apnsEnv == u"production")
        c.environment = Environment::Production;
    else if (entry.apnsEnv == u"dev" || entry.apnsEnv.isEmpty())
        c.environment = Environment::Development;
    else
        return fail(
            QStringLiteral("apns_env '%1' is neither dev nor production").arg(entry.apnsEnv));
    c.topic = entry.apnsTopic.trimmed();
    c.expirationSeconds = qMax<qint64>(0, entry.apnsExpiration);

    if (!entry.tokenKey.trimmed().isEmpty()) {
        const auto pem = readPemField(QStringLiteral("token_key"), entry.tokenKey, &why);
        if (!pem)
            return fail(why);
        auto key = readPrivateKey(*pem);
        if (!key)
            return fail(QStringLiteral("token_key is not a readable private key (.p8 PEM)"));
        if (!isP256(key.get()))
            return fail(QStringLiteral("token_key is not an ES256 (P-256 EC) key"));
        if (entry.tokenKeyId.trimmed().isEmpty())
            return fail(QStringLiteral("token_keyId is empty"));
        if (entry.tokenTeamId.trimmed().isEmpty())
            return fail(QStringLiteral("token_teamId is empty"));
        if (c.topic.isEmpty())
            return fail(QStringLiteral("apns_topic is empty (token auth needs the bundle id)"));
        c.tokenKeyPem = *pem;
        c.keyId = entry.tokenKeyId.trimmed();
        c.teamId = entry.tokenTeamId.trimmed();
        return c;
    }

    const bool prod = c.environment == Environment::Production;
    const QString certField =
        prod ? QStringLiteral("apns_production_cert") : QStringLiteral("apns_dev_cert");
    const QString keyField =
        prod ? QStringLiteral("apns_production_key") : QStringLiteral("apns_dev_key");
    const QString certValue = prod ? entry.apnsProductionCert : entry.apnsDevCert;
    const QString keyValue = prod ? entry.apnsProductionKey : entry.apnsDevKey;
    if (certValue.trimmed().isEmpty() && keyValue.trimmed().isEmpty())
        return fail(QStringLiteral("neither token_key nor %1/%2 is set").arg(certField, keyField));
    const auto certPem = readPemField(certField, certValue, &why);
    if (!certPem)
        return fail(why);
    const auto keyPem = readPemField(keyField, keyValue, &why);
    if (!keyPem)
        return fail(why);
    auto x509 = readCertificate(*certPem);
    if (!x509)
        return fail(certField + QStringLiteral(" is not a readable PEM certificate"));
    auto pkey = readPrivateKey(*keyPem);
    if (!pkey)
        return fail(keyField + QStringLiteral(" is not a readable PEM private key"));
    if (X509_check_private_key(x509.get(), pkey.get()) != 1)
        return fail(QStringLiteral("%1 and %2 do not match").arg(certField, keyField));
    const QList<QSslCertificate> certs = QSslCertificate::fromData(*certPem, QSsl::Pem);
    if (certs.isEmpty())
        return fail(certField + QStringLiteral(" is not a readable PEM certificate"));
    c.certificate = certs.first();
    const QDateTime expiry = c.certificate.expiryDate();
    if (expiry.isValid() && expiry < now)
        return fail(
            QStringLiteral("certificate expired on %1").arg(expiry.toUTC().toString(Qt::ISODate)));
    const QDateTime from = c.certificate.effectiveDate();
    if (from.isValid() && from > now)
        return fail(QStringLiteral("certificate is not valid before %1")
                        .arg(from.toUTC().toString(Qt::ISODate)));
    const QSsl::KeyAlgorithm algorithm =
        EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_EC ? QSsl::Ec : QSsl::Rsa;
    c.privateKey = QSslKey(*keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
    if (c.privateKey.isNull())
        return fail(keyField + QStringLiteral(" is not a usable RSA or EC private key"));
    return c;
}

QByteArray Configuration::fingerprint() const
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    const QByteArray parts[] = {name.toUtf8(),     QByteArray::number(int(environment)),
                                topic.toUtf8(),    QByteArray::number(expirationSeconds),
                                tokenKeyPem,       keyId.toUtf8(),
                                teamId.toUtf8(),   certificate.toPem(),
                                privateKey.toPem()};
    for (const QByteArray &part : parts) {
        h.addData(QByteArray(QByteArray::number(part.size()) + ':'));
        h.addData(part);
    }
    return h.result();
}

} // namespace qpush::apns
