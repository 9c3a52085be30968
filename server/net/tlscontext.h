// Server-side TLS configuration (OpenSSL SSL_CTX) for the own socket layer:
// certificate chain and private key loaded from PEM files, TLS 1.2 and
// 1.3 only, the Mozilla "intermediate" cipher list for TLS 1.2, ALPN
// `http/1.1`, no renegotiation, no compression. Shared by reference: a
// connection's TlsStream keeps the context it was created with alive, so a
// reload (a new TlsContext) only affects new connections.
#pragma once

#include <QString>

#include <memory>

typedef struct ssl_ctx_st SSL_CTX;

namespace qpush::net {

class TlsContext
{
public:
    // Loads `certFile` (PEM, leaf first, then intermediates) and `keyFile`
    // (PEM) and checks that they match. On failure returns null and a
    // message naming the file and the OpenSSL reason.
    static std::shared_ptr<TlsContext> load(const QString &certFile, const QString &keyFile,
                                            QString *error);
    ~TlsContext();
    TlsContext(const TlsContext &) = delete;
    TlsContext &operator=(const TlsContext &) = delete;

    SSL_CTX *handle() const { return m_ctx; }
    // Subject and expiry of the loaded leaf certificate, for the log.
    QString description() const { return m_description; }

private:
    explicit TlsContext(SSL_CTX *ctx) : m_ctx(ctx) {}
    SSL_CTX *m_ctx;
    QString m_description;
};

// The last OpenSSL error queue entries as one line (and clears the queue).
QString takeOpenSslErrors();

} // namespace qpush::net
