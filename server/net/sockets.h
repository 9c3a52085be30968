// The few socket calls of net::Connection, per platform: POSIX (Linux,
// macOS) and Windows (Winsock; QSocketNotifier watches a SOCKET there too).
// With the Linux fast paths a connection's queued buffers leave in one
// sendmsg (a gather write); the portable path (Windows, macOS, and Linux
// built with QPUSH_PORTABLE) sends the first queued buffer with send() and
// lets the caller's loop go on with the next.
#pragma once

#include <QByteArray>
#include <QList>
#include <QtGlobal>

#ifdef Q_OS_WIN
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

namespace qpush::net::sockets {

#ifdef Q_OS_WIN
using Native = SOCKET;
#else
using Native = int;
#endif

// Non-blocking, no Nagle delay, no SIGPIPE where a socket option exists for
// it (macOS; Linux passes MSG_NOSIGNAL per call, the server ignores SIGPIPE).
inline void configure(qintptr fd)
{
    const auto s = Native(fd);
#ifdef Q_OS_WIN
    u_long nonBlocking = 1;
    ::ioctlsocket(s, FIONBIO, &nonBlocking);
    const char one = 1;
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#else
    ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
    int one = 1;
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef SO_NOSIGPIPE
    ::setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
#endif
}

// > 0 bytes read, 0 the peer closed, < 0 an error (see the two below).
inline qint64 receive(qintptr fd, char *buffer, qint64 size)
{
#ifdef Q_OS_WIN
    return ::recv(Native(fd), buffer, int(qMin<qint64>(size, 1 << 30)), 0);
#else
    return ::read(Native(fd), buffer, size_t(size));
#endif
}

inline bool lastErrorWouldBlock()
{
#ifdef Q_OS_WIN
    return ::WSAGetLastError() == WSAEWOULDBLOCK;
#else
    return errno == EAGAIN || errno == EWOULDBLOCK;
#endif
}

inline bool lastErrorInterrupted()
{
#ifdef Q_OS_WIN
    return ::WSAGetLastError() == WSAEINTR;
#else
    return errno == EINTR;
#endif
}

// Writes from the queue, starting `offset` bytes into its first buffer.
// Returns the bytes written (maybe fewer than queued) or -1.
inline qint64 sendQueued(qintptr fd, const QList<QByteArray> &queue, qsizetype offset)
{
    if (queue.isEmpty())
        return 0;
#ifdef QPUSH_LINUX_FAST_PATHS
    constexpr int kMaxIov = 64;
    iovec iov[kMaxIov];
    int count = 0;
    for (qsizetype i = 0; i < queue.size() && count < kMaxIov; ++i, ++count) {
        const QByteArray &b = queue.at(i);
        const qsizetype skip = i == 0 ? offset : 0;
        iov[count].iov_base = const_cast<char *>(b.constData() + skip);
        iov[count].iov_len = size_t(b.size() - skip);
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = size_t(count);
    return ::sendmsg(Native(fd), &msg, MSG_NOSIGNAL);
#else
    const QByteArray &first = queue.constFirst();
    const char *data = first.constData() + offset;
    const qint64 size = first.size() - offset;
#if defined(Q_OS_WIN)
    return ::send(Native(fd), data, int(qMin<qint64>(size, 1 << 30)), 0);
#elif defined(MSG_NOSIGNAL)
    return ::send(Native(fd), data, size_t(size), MSG_NOSIGNAL);
#else
    return ::send(Native(fd), data, size_t(size), 0);
#endif
#endif
}

inline void shutdownWrite(qintptr fd)
{
#ifdef Q_OS_WIN
    ::shutdown(Native(fd), SD_SEND);
#else
    ::shutdown(Native(fd), SHUT_WR);
#endif
}

inline void shutdownBoth(qintptr fd)
{
#ifdef Q_OS_WIN
    ::shutdown(Native(fd), SD_BOTH);
#else
    ::shutdown(Native(fd), SHUT_RDWR);
#endif
}

inline void closeSocket(qintptr fd)
{
#ifdef Q_OS_WIN
    ::closesocket(Native(fd));
#else
    ::close(Native(fd));
#endif
}

} // namespace qpush::net::sockets
