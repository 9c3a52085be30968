#include "tlscontext.h"

#include <QFile>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

namespace qpush::net {

namespace {
// Mozilla "intermediate" (v5.7) for TLS 1.2; TLS 1.3 uses OpenSSL's default
// suites (AES-GCM and ChaCha20-Poly1305), which are the same as Mozilla's.
constexpr char kCiphers12[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

int selectAlpn(SSL *, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
               unsigned int inlen, void *)
{
    // `in` is the client's list of length-prefixed protocol names.
    static const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    unsigned char *selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, http11, sizeof http11, in, inlen) ==
        OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    // A client that offers only other protocols (h2) gets no ALPN answer
    // and HTTP/1.1 anyway, rather than a failed handshake.
    return SSL_TLSEXT_ERR_NOACK;
}
} // namespace

QString takeOpenSslErrors()
{
    QStringList parts;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (parts.size() < 4)
            parts << QString::fromLatin1(buf);
    }
    return parts.isEmpty() ? QStringLiteral("unknown error") : parts.join(QStringLiteral("; "));
}

std::shared_ptr<TlsContext> TlsContext::load(const QString &certFile, const QString &keyFile,
                                             QString *error)
{
    ERR_clear_error();
    auto fail = [error](const QString &what) {
        *error = what;
        return std::shared_ptr<TlsContext>();
    };
    for (const QString &f : {certFile, keyFile}) {
        QFile file(f);
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("cannot read %1: %2").arg(f, file.errorString()));
    }
    SSL_CTX *raw = SSL_CTX_new(TLS_server_method());
    if (!raw)
        return fail(QStringLiteral("cannot create a TLS context: ") + takeOpenSslErrors());
    std::shared_ptr<TlsContext> ctx(new TlsContext(raw));
    SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
    SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    // Idle connections keep no 34 KB of record buffers each.
    SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(raw, kCiphers12) != 1)
        return fail(QStringLiteral("cannot set the TLS cipher list: ") + takeOpenSslErrors());
    SSL_CTX_set_alpn_select_cb(raw, selectAlpn, nullptr);
    static const unsigned char sid[] = "qpush";
    SSL_CTX_set_session_id_context(raw, sid, sizeof sid - 1);

    const QByteArray cert = QFile::encodeName(certFile);
    const QByteArray key = QFile::encodeName(keyFile);
    if (SSL_CTX_use_certificate_chain_file(raw, cert.constData()) != 1)
        return fail(QStringLiteral("tls_cert %1 is not a usable PEM certificate: %2")
                        .arg(certFile, takeOpenSslErrors()));
    if (SSL_CTX_use_PrivateKey_file(raw, key.constData(), SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            return fail(
                QStringLiteral("tls_key %1 does not match the certificate in tls_cert %2: %3")
                    .arg(keyFile, certFile, takeOpenSslErrors()));
        return fail(QStringLiteral("tls_key %1 is not a usable PEM private key: %2")
                        .arg(keyFile, takeOpenSslErrors()));
    }
    if (SSL_CTX_check_private_key(raw) != 1)
        return fail(QStringLiteral("tls_key %1 does not match the certificate in tls_cert %2: %3")
                        .arg(keyFile, certFile, takeOpenSslErrors()));
    if (X509 *leaf = SSL_CTX_get0_certificate(raw)) {
        char subject[256] = {};
        X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof subject);
        const ASN1_TIME *notAfter = X509_get0_notAfter(leaf);
        QString expiry;
        if (BIO *bio = BIO_new(BIO_s_mem())) {
            ASN1_TIME_print(bio, notAfter);
            char *data = nullptr;
            const long n = BIO_get_mem_data(bio, &data);
            expiry = QString::fromLatin1(data, int(n));
            BIO_free(bio);
        }
        ctx->m_description =
            QStringLiteral("%1, valid until %2").arg(QString::fromUtf8(subject), expiry);
        if (X509_cmp_current_time(notAfter) < 0)
            ctx->m_description += QStringLiteral(" (EXPIRED)");
    }
    ERR_clear_error();
    return ctx;
}

TlsContext::~TlsContext()
{
    SSL_CTX_free(m_ctx);
}

} // namespace qpush::net
