#include "apnscredentials.h"

#include <QFileInfo>
#include <QLocale>
#include <QRegularExpression>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <memory>

namespace qpush::admin {

namespace {

template <typename T, void (*F)(T *)> struct Deleter
{
    void operator()(T *p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using P12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12, PKCS12_free>>;

void freeCaStack(STACK_OF(X509) * s)
{
    sk_X509_pop_free(s, X509_free);
}

BioPtr memoryBio(const QByteArray &bytes)
{
    return BioPtr(BIO_new_mem_buf(bytes.constData(), int(bytes.size())));
}

QByteArray bioBytes(BIO *bio)
{
    char *data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return QByteArray(data, qsizetype(n));
}

QString nameEntry(X509_NAME *name, int nid)
{
    const int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0)
        return {};
    ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char *utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0)
        return {};
    QString s = QString::fromUtf8(reinterpret_cast<const char *>(utf8), len);
    OPENSSL_free(utf8);
    return s;
}

CertificateInfo describe(X509 *cert)
{
    CertificateInfo info;
    X509_NAME *subject = X509_get_subject_name(cert);
    info.subject = nameEntry(subject, NID_commonName);
    if (info.subject.isEmpty()) {
        char buf[512];
        X509_NAME_oneline(subject, buf, sizeof buf);
        info.subject = QString::fromUtf8(buf);
    }
    info.topic = nameEntry(subject, NID_userId);
    struct tm tm = {};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
        info.expiry = QDateTime(QDate(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday),
                                QTime(tm.tm_hour, tm.tm_min, tm.tm_sec), Qt::UTC);
        info.expired = info.expiry < QDateTime::currentDateTimeUtc();
    }
    return info;
}

QString expiredText(const CertificateInfo &info)
{
    return QStringLiteral("the certificate expired on %1")
        .arg(QLocale::system().toString(info.expiry.toLocalTime(), QLocale::LongFormat));
}

// Old bundles (RC2/3DES, the default of OpenSSL 1.x and of Keychain Access)
// need the legacy provider under OpenSSL 3; load it once, quietly.
void loadLegacyProvider()
{
    static const bool loaded = [] {
        OSSL_PROVIDER_load(nullptr, "legacy");
        OSSL_PROVIDER_load(nullptr, "default");
        return true;
    }();
    Q_UNUSED(loaded);
}

} // namespace

CertificateInfo describeCertificate(const QByteArray &pem)
{
    BioPtr bio = memoryBio(pem);
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!cert) {
        CertificateInfo info;
        info.error = QStringLiteral("not a PEM certificate");
        return info;
    }
    return describe(cert.get());
}

Pkcs12Bundle convertPkcs12(const QByteArray &der, const QString &password)
{
    loadLegacyProvider();
    Pkcs12Bundle out;
    BioPtr bio = memoryBio(der);
    P12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
    if (!p12) {
        ERR_clear_error();
        out.error = QStringLiteral("the file is not a PKCS#12 (.p12) bundle");
        return out;
    }
    const QByteArray pass = password.toUtf8();
    const char *passArg = pass.constData();
    if (PKCS12_verify_mac(p12.get(), passArg, int(pass.size())) != 1) {
        // An empty password may be stored as "no password".
        if (!pass.isEmpty() || PKCS12_verify_mac(p12.get(), nullptr, 0) != 1) {
            ERR_clear_error();
            out.wrongPassword = true;
            out.error = QStringLiteral("wrong password for this .p12 file");
            return out;
        }
        passArg = nullptr;
    }
    EVP_PKEY *rawKey = nullptr;
    X509 *rawCert = nullptr;
    STACK_OF(X509) *rawCa = nullptr;
    const int parsed = PKCS12_parse(p12.get(), passArg, &rawKey, &rawCert, &rawCa);
    KeyPtr key(rawKey);
    X509Ptr cert(rawCert);
    std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), freeCaStack>> ca(rawCa);
    if (parsed != 1) {
        const unsigned long e = ERR_peek_last_error();
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        ERR_clear_error();
        out.error = QStringLiteral("cannot read the bundle (%1)").arg(QString::fromUtf8(buf));
        return out;
    }
    if (!cert || !key) {
        out.error = !cert ? QStringLiteral("the bundle holds no certificate")
                          : QStringLiteral("the bundle holds no private key");
        return out;
    }
    BioPtr certOut(BIO_new(BIO_s_mem()));
    BioPtr keyOut(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(certOut.get(), cert.get());
    PEM_write_bio_PrivateKey(keyOut.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    out.certificatePem = bioBytes(certOut.get());
    out.privateKeyPem = bioBytes(keyOut.get());
    out.info = describe(cert.get());
    if (out.info.expired)
        out.error = expiredText(out.info);
    return out;
}

TokenKey readTokenKey(const QByteArray &content, const QString &fileName)
{
    TokenKey out;
    static const QRegularExpression authKey(QStringLiteral("^AuthKey_([A-Za-z0-9]+)\\.p8$"));
    const auto m = authKey.match(QFileInfo(fileName).fileName());
    if (m.hasMatch())
        out.keyIdFromFileName = m.captured(1);
    BioPtr bio = memoryBio(content);
    KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!key) {
        out.error = QStringLiteral("not a PEM private key (a .p8 file starts with "
                                   "\"-----BEGIN PRIVATE KEY-----\")");
        return out;
    }
    if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_EC || EVP_PKEY_get_bits(key.get()) != 256) {
        out.error = QStringLiteral("not an APNs token key (APNs needs an EC P-256 key)");
        return out;
    }
    out.pem = content.trimmed() + '\n';
    return out;
}

QString checkKeyPair(const QByteArray &certificatePem, const QByteArray &keyPem)
{
    BioPtr certBio = memoryBio(certificatePem);
    X509Ptr cert(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
    BioPtr keyBio = memoryBio(keyPem);
    KeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!cert)
        return QStringLiteral("not a PEM certificate");
    if (!key)
        return QStringLiteral("not an unencrypted PEM private key");
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        ERR_clear_error();
        return QStringLiteral("the private key does not belong to the certificate");
    }
    return {};
}

} // namespace qpush::admin
