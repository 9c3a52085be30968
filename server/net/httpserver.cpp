#include "httpserver.h"

#include "logging.h"
#include "logthrottle.h"
#include "tlscontext.h"

#include <QSocketNotifier>
#include <QTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace qpush::net {

namespace {
// Non-blocking, close-on-exec sockets: in one call on Linux, with fcntl on
// other POSIX systems (and in the portable build, so that path is tested).
#ifndef QPUSH_LINUX_FAST_PATHS
int makeNonBlocking(int fd)
{
    if (fd >= 0 && (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
                    ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)) {
        const int err = errno;
        ::close(fd);
        errno = err;
        return -1;
    }
    return fd;
}
#endif

int openListeningSocket(int family)
{
#ifdef QPUSH_LINUX_FAST_PATHS
    return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    return makeNonBlocking(::socket(family, SOCK_STREAM, 0));
#endif
}

int acceptNonBlocking(int listener, sockaddr *address, socklen_t *len)
{
#ifdef QPUSH_LINUX_FAST_PATHS
    return ::accept4(listener, address, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    return makeNonBlocking(::accept(listener, address, len));
#endif
}
} // namespace

HttpServer::HttpServer(const ConnectionLimits &limits, DeadlineQueue *deadlines, QObject *parent)
    : QObject(parent), m_limits(limits), m_deadlines(deadlines), m_backlog(SOMAXCONN)
{
}

HttpServer::~HttpServer()
{
    stopListening();
    // Connections are children; they report to this owner while they go.
    qDeleteAll(findChildren<Connection *>(Qt::FindDirectChildrenOnly));
}

bool HttpServer::listen(const QHostAddress &address, quint16 port)
{
    stopListening();
    // NOLINTNEXTLINE(misc-redundant-expression): false positive, two different enumerators
    const bool any = address == QHostAddress::Any || address == QHostAddress::AnyIPv6;
    const bool v6 = any || address.protocol() == QAbstractSocket::IPv6Protocol;
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (v6) {
        auto *a = reinterpret_cast<sockaddr_in6 *>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        const Q_IPV6ADDR bytes = address.toIPv6Address();
        std::memcpy(&a->sin6_addr, &bytes, 16);
        a->sin6_scope_id = address.scopeId().toUInt();
        len = sizeof(sockaddr_in6);
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(address.toIPv4Address());
        len = sizeof(sockaddr_in);
    }
    const int fd = openListeningSocket(ss.ss_family);
    if (fd < 0) {
        m_error = QString::fromLocal8Bit(std::strerror(errno));
        return false;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (v6) {
        int only = address == QHostAddress::AnyIPv6 ? 1 : 0; // Any: dual stack
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
    }
    if (::bind(fd, reinterpret_cast<sockaddr *>(&ss), len) != 0 || ::listen(fd, m_backlog) != 0) {
        m_error = QString::fromLocal8Bit(std::strerror(errno));
        ::close(fd);
        return false;
    }
    sockaddr_storage bound{};
    socklen_t boundLen = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&bound), &boundLen);
    m_port = ntohs(bound.ss_family == AF_INET6
                       ? reinterpret_cast<const sockaddr_in6 *>(&bound)->sin6_port
                       : reinterpret_cast<const sockaddr_in *>(&bound)->sin_port);
    m_fd = fd;
    m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &HttpServer::onAcceptReady);
    m_error.clear();
    return true;
}

void HttpServer::stopListening()
{
    delete std::exchange(m_notifier, nullptr);
    if (m_retry)
        m_retry->stop();
    m_retryPending = false;
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

QByteArray HttpServer::addressKey(const QHostAddress &address)
{
    const QHostAddress a = normalized(address);
    if (a.protocol() == QAbstractSocket::IPv4Protocol) {
        const quint32 v4 = a.toIPv4Address();
        return QByteArray(reinterpret_cast<const char *>(&v4), 4);
    }
    const Q_IPV6ADDR v6 = a.toIPv6Address();
    return QByteArray(reinterpret_cast<const char *>(&v6), 16);
}

void HttpServer::updateNotifier()
{
    if (!m_notifier)
        return;
    const qsizetype max = m_listenerLimits.maxConnections;
    m_capPaused = max > 0 && m_connections >= max;
    m_notifier->setEnabled(!m_capPaused && !m_retryPending);
}

void HttpServer::onAcceptReady()
{
    static LogThrottle capLog, ipLog, fdLog;
    qint64 suppressed = 0;
    auto more = [&suppressed] {
        return suppressed ? QStringLiteral(" (%1 more not logged)").arg(suppressed) : QString();
    };
    // A bounded batch per activation: one busy listener cannot starve the loop.
    for (int i = 0; i < 64 && m_fd >= 0; ++i) {
        const qsizetype max = m_listenerLimits.maxConnections;
        if (max > 0 && m_connections >= max) {
            if (auto *m = m_listenerLimits.metrics)
                m->limitsTripped.inc("max_connections");
            if (capLog.allow(&suppressed))
                qCWarning(lcNet).noquote()
                    << QStringLiteral("port %1: %2 connections open (max_connections), "
                                      "accepting paused until one closes%3")
                           .arg(m_port)
                           .arg(m_connections)
                           .arg(more());
            break;
        }
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        const int fd = acceptNonBlocking(m_fd, reinterpret_cast<sockaddr *>(&ss), &len);
        if (fd < 0) {
            const int err = errno;
            if (err == EINTR || err == ECONNABORTED || err == EPROTO || err == EPERM)
                continue;
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                if (auto *m = m_listenerLimits.metrics)
                    m->limitsTripped.inc("descriptors");
                if (fdLog.allow(&suppressed))
                    qCWarning(lcNet).noquote()
                        << QStringLiteral("port %1: cannot accept (%2) with %3 connections "
                                          "open; retrying in %4 ms%5")
                               .arg(m_port)
                               .arg(QString::fromLocal8Bit(std::strerror(err)))
                               .arg(m_connections)
                               .arg(m_listenerLimits.acceptRetryMs)
                               .arg(more());
                if (!m_retry) {
                    m_retry = new QTimer(this);
                    m_retry->setSingleShot(true);
                    connect(m_retry, &QTimer::timeout, this, [this] {
                        m_retryPending = false;
                        updateNotifier();
                    });
                }
                m_retryPending = true;
                m_retry->start(m_listenerLimits.acceptRetryMs);
            }
            break; // EAGAIN, or paused
        }
        QByteArray key;
        if (m_listenerLimits.maxConnectionsPerIp > 0) {
            const QHostAddress peer(reinterpret_cast<const sockaddr *>(&ss));
            const bool exempt = isTrusted(peer, m_listenerLimits.trustedProxies) ||
                                (m_listenerLimits.exemptLoopback && normalized(peer).isLoopback());
            if (!exempt) {
                key = addressKey(peer);
                qsizetype &count = m_perIp[key];
                if (count >= m_listenerLimits.maxConnectionsPerIp) {
                    if (auto *m = m_listenerLimits.metrics)
                        m->limitsTripped.inc("max_connections_per_ip");
                    if (ipLog.allow(&suppressed))
                        qCWarning(lcNet).noquote()
                            << QStringLiteral("port %1: %2 has %3 connections open "
                                              "(max_connections_per_ip), refusing more%4")
                                   .arg(m_port)
                                   .arg(normalized(peer).toString())
                                   .arg(count)
                                   .arg(more());
                    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                               "Content-Length: 0\r\nConnection: close\r\n\r\n";
                    [[maybe_unused]] const ssize_t n =
                        ::send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                    ::close(fd);
                    continue;
                }
                ++count;
            }
        }
        auto *c = new Connection(fd, &m_limits, m_deadlines, this, this, &m_batcher);
        if (!key.isNull())
            m_keys.insert(c, key);
        ++m_connections;
        if (m_tls && !c->startTls(m_tls)) {
            qCWarning(lcNet) << "cannot set up a TLS session:" << takeOpenSslErrors();
            c->abort(); // reports connectionClosed: the counts above are undone
        }
    }
    updateNotifier();
}

void HttpServer::connectionRequest(Connection *connection, quint64 serial, http::Request &request)
{
    if (!m_handler) {
        connection->respond(serial, 503, {}, "not ready", true);
        return;
    }
    m_handler(Responder(connection, serial), request);
}

void HttpServer::connectionClosed(Connection *connection)
{
    --m_connections;
    if (!m_keys.isEmpty()) {
        const auto it = m_keys.constFind(connection);
        if (it != m_keys.constEnd()) {
            const auto ip = m_perIp.find(it.value());
            if (ip != m_perIp.end() && --ip.value() <= 0)
                m_perIp.erase(ip);
            m_keys.erase(it);
        }
    }
    if (m_capPaused)
        updateNotifier();
}

void HttpServer::abortAll()
{
    const auto list = findChildren<Connection *>(Qt::FindDirectChildrenOnly);
    for (Connection *c : list)
        c->abort();
}

} // namespace qpush::net
