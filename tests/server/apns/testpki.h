// Keys and certificates made in memory with OpenSSL for the APNs tests: an
// ES256 (.p8-style PKCS#8) key, an RSA key, self-signed certificates with a
// chosen validity window (an expired one cannot be made with the openssl CLI
// of Debian 12 without a CA database).
#pragma once

#include <QByteArray>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace testpki {

inline QByteArray bioText(BIO *bio)
{
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    QByteArray out(data, qsizetype(len));
    BIO_free(bio);
    return out;
}

/// "EC" with curve "P-256" / "P-384", or "RSA".
inline EVP_PKEY *newKey(const char *type, const char *curve = "P-256")
{
    if (QByteArray(type) == "RSA")
        return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048));
    return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
}

inline QByteArray privatePem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    return bioText(bio);
}

inline QByteArray publicPem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    return bioText(bio);
}

/// A self-signed certificate valid from now+fromDays to now+toDays.
inline QByteArray selfSigned(EVP_PKEY *key, long fromDays, long toDays)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), fromDays * 86400);
    X509_gmtime_adj(X509_getm_notAfter(x), toDays * 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("qpush test"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    X509_free(x);
    return bioText(bio);
}

} // namespace testpki
