// Server side of one TLS connection over memory BIOs: the Connection reads
// and writes the socket itself (its batching, output cap and re-entrancy
// rules stay as they are) and passes ciphertext through this object. It
// never touches the descriptor and never blocks: the handshake advances
// with each receive(), and what OpenSSL wants to send (handshake messages,
// records, alerts, close_notify) is collected with takeCiphertext().
#pragma once

#include <QByteArray>
#include <QString>

#include <memory>

typedef struct ssl_st SSL;

namespace qpush::net {

class TlsContext;

class TlsStream
{
public:
    explicit TlsStream(std::shared_ptr<TlsContext> context);
    ~TlsStream();
    TlsStream(const TlsStream &) = delete;
    TlsStream &operator=(const TlsStream &) = delete;

    bool isValid() const { return m_ssl != nullptr; }
    bool isEstablished() const;

    enum class Status { Ok, Closed, Error };
    // Feeds `size` bytes read from the socket; appends the decrypted bytes
    // to `plain`. Closed: the peer sent close_notify. Error: handshake or
    // record failure (errorString()); the connection must be closed.
    Status receive(const char *data, qsizetype size, QByteArray *plain);
    // Encrypts `size` bytes into records (only once established). False on error.
    bool send(const char *data, qsizetype size);
    bool send(const QByteArray &plain) { return send(plain.constData(), plain.size()); }
    // Queues a close_notify alert (once established; no-op otherwise).
    void shutdown();
    bool hasCiphertext() const;
    // The ciphertext produced so far, to be written to the socket in order.
    QByteArray takeCiphertext();
    QString errorString() const { return m_error; }
    // Negotiated protocol version and ALPN ("TLSv1.3 http/1.1"), for logs.
    QString describe() const;

private:
    std::shared_ptr<TlsContext> m_context;
    SSL *m_ssl = nullptr;
    void *m_rbio = nullptr; // BIO *, owned by m_ssl
    void *m_wbio = nullptr;
    size_t m_rbioHigh = 0; // largest chunk fed since the read BIO was created
    bool m_shutdownSent = false;
    QString m_error;
};

} // namespace qpush::net
