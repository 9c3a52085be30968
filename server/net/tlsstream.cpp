#include "tlsstream.h"

#include "tlscontext.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>

namespace qpush::net {

namespace {
// A memory BIO keeps the capacity of its largest burst; one that held more
// than this is replaced by a fresh one once it is empty, so that an idle
// connection does not keep, say, the buffer of a 1 MB poll response.
constexpr size_t kKeepBioBytes = 32 * 1024;

BIO *bio(void *p)
{
    return static_cast<BIO *>(p);
}

BIO *newMemBio()
{
    BIO *b = BIO_new(BIO_s_mem());
    if (b)
        BIO_set_mem_eof_return(b, -1); // empty means "retry later", not end of file
    return b;
}
} // namespace

TlsStream::TlsStream(std::shared_ptr<TlsContext> context) : m_context(std::move(context))
{
    if (!m_context)
        return;
    m_ssl = SSL_new(m_context->handle());
    if (!m_ssl)
        return;
    BIO *rbio = newMemBio();
    BIO *wbio = newMemBio();
    if (!rbio || !wbio) {
        BIO_free(rbio);
        BIO_free(wbio);
        SSL_free(m_ssl);
        m_ssl = nullptr;
        return;
    }
    SSL_set_bio(m_ssl, rbio, wbio); // the SSL owns both
    m_rbio = rbio;
    m_wbio = wbio;
    SSL_set_accept_state(m_ssl);
}

TlsStream::~TlsStream()
{
    SSL_free(m_ssl);
}

bool TlsStream::isEstablished() const
{
    return m_ssl && SSL_is_init_finished(m_ssl);
}

TlsStream::Status TlsStream::receive(const char *data, qsizetype size, QByteArray *plain)
{
    if (!m_ssl)
        return Status::Error;
    // A memory BIO takes everything (it grows); it is drained below, so it
    // never holds more than one incomplete record.
    if (size > 0 && BIO_write(bio(m_rbio), data, int(size)) != int(size)) {
        m_error = QStringLiteral("out of memory");
        return Status::Error;
    }
    char buf[16 * 1024];
    for (;;) {
        ERR_clear_error();
        const int n = SSL_read(m_ssl, buf, int(sizeof buf));
        if (n > 0) {
            plain->append(buf, n);
            continue;
        }
        const int err = SSL_get_error(m_ssl, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            m_rbioHigh = std::max(m_rbioHigh, size_t(size));
            if (m_rbioHigh > kKeepBioBytes && BIO_ctrl_pending(bio(m_rbio)) == 0) {
                if (BIO *fresh = newMemBio()) {
                    SSL_set0_rbio(m_ssl, fresh); // frees the old one
                    m_rbio = fresh;
                    m_rbioHigh = 0;
                }
            }
            return Status::Ok;
        }
        if (err == SSL_ERROR_ZERO_RETURN)
            return Status::Closed;
        m_error =
            err == SSL_ERROR_SSL ? takeOpenSslErrors() : QStringLiteral("SSL error %1").arg(err);
        ERR_clear_error();
        return Status::Error;
    }
}

bool TlsStream::send(const char *data, qsizetype size)
{
    if (!isEstablished())
        return false;
    if (size <= 0)
        return true;
    ERR_clear_error();
    // Without SSL_MODE_ENABLE_PARTIAL_WRITE and with a memory BIO, a
    // successful SSL_write has taken everything.
    const int n = SSL_write(m_ssl, data, int(size));
    if (n == int(size))
        return true;
    m_error = takeOpenSslErrors();
    return false;
}

void TlsStream::shutdown()
{
    if (m_shutdownSent || !isEstablished())
        return;
    m_shutdownSent = true;
    ERR_clear_error();
    SSL_shutdown(m_ssl);
    ERR_clear_error();
}

bool TlsStream::hasCiphertext() const
{
    return m_wbio && BIO_ctrl_pending(bio(m_wbio)) > 0;
}

QByteArray TlsStream::takeCiphertext()
{
    if (!m_wbio)
        return {};
    const size_t pending = BIO_ctrl_pending(bio(m_wbio));
    if (pending == 0)
        return {};
    QByteArray out(qsizetype(pending), Qt::Uninitialized);
    const int n = BIO_read(bio(m_wbio), out.data(), int(pending));
    out.truncate(n > 0 ? n : 0);
    if (pending > kKeepBioBytes && BIO_ctrl_pending(bio(m_wbio)) == 0) {
        if (BIO *fresh = newMemBio()) {
            SSL_set0_wbio(m_ssl, fresh);
            m_wbio = fresh;
        }
    }
    return out;
}

QString TlsStream::describe() const
{
    if (!m_ssl)
        return {};
    const unsigned char *alpn = nullptr;
    unsigned int alpnLen = 0;
    SSL_get0_alpn_selected(m_ssl, &alpn, &alpnLen);
    QString s = QString::fromLatin1(SSL_get_version(m_ssl));
    if (alpnLen)
        s += QLatin1Char(' ') +
             QString::fromLatin1(reinterpret_cast<const char *>(alpn), int(alpnLen));
    return s;
}

} // namespace qpush::net
