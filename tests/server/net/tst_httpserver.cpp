// net::HttpServer's listener: connection caps (per process, per address),
// accepting at the descriptor limit without a busy loop, Expect:
// 100-continue and the Date header. Raw client sockets on loopback.
#include "net/httpserver.h"

#include <QDir>
#include <QLoggingCategory>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace qpush;

namespace {

int connectTo(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

bool sendAll(int fd, const QByteArray &bytes)
{
    return ::send(fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL) == bytes.size();
}

// Reads (running the event loop) until `done` holds for what arrived, the
// peer closes, or timeoutMs pass.
QByteArray readUntil(int fd, const std::function<bool(const QByteArray &)> &done,
                     int timeoutMs = 5000, bool *closed = nullptr)
{
    QByteArray in;
    bool eof = false;
    (void)QTest::qWaitFor(
        [&] {
            char buf[4096];
            for (;;) {
                const ssize_t n = ::read(fd, buf, sizeof buf);
                if (n > 0) {
                    in.append(buf, n);
                    continue;
                }
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                    eof = true;
                break;
            }
            return eof || done(in);
        },
        timeoutMs);
    if (closed)
        *closed = eof;
    return in;
}

bool hasResponse(const QByteArray &in)
{
    return in.contains("\r\n\r\n");
}

const QByteArray kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

qint64 cpuMs()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return qint64(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000 +
           (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000;
}

} // namespace

class TestHttpServer : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<net::DeadlineQueue> m_deadlines;
    std::unique_ptr<net::HttpServer> m_server;

    void start(net::ListenerLimits ll = {}, net::ConnectionLimits cl = {})
    {
        m_server.reset(); // before the deadline queue its connections use
        m_deadlines = std::make_unique<net::DeadlineQueue>();
        m_server = std::make_unique<net::HttpServer>(cl, m_deadlines.get());
        m_server->setListenerLimits(std::move(ll));
        m_server->setHandler([](net::Responder r, http::Request &req) {
            r.respond(200, {{"content-type", "text/plain"}},
                      QByteArray("got " + QByteArray::number(req.body.size())));
        });
        QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    }

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(QStringLiteral("qpush.*=false")); }
    void cleanup()
    {
        m_server.reset();
        m_deadlines.reset();
    }
    void dateHeader();
    void expectContinue();
    void expectationFailed();
    void expectTooLarge();
    void perAddressCap();
    void processCap();
    void descriptorLimit();
};

void TestHttpServer::dateHeader()
{
    start();
    const int fd = connectTo(m_server->serverPort());
    QVERIFY(fd >= 0);
    QVERIFY(sendAll(fd, kGet));
    const QByteArray r = readUntil(fd, hasResponse);
    ::close(fd);
    QVERIFY2(r.startsWith("HTTP/1.1 200 OK\r\n"), r.constData());
    const qsizetype at = r.indexOf("\r\nDate: ");
    QVERIFY2(at > 0, r.constData());
    const QByteArray date = r.mid(at + 8, r.indexOf("\r\n", at + 2) - at - 8);
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    QCOMPARE(date.size(), 29);
    QVERIFY(date.endsWith(" GMT"));
    QCOMPARE(http::httpDate(784111777), QByteArray("Sun, 06 Nov 1994 08:49:37 GMT"));
    QCOMPARE(http::httpDate(0), QByteArray("Thu, 01 Jan 1970 00:00:00 GMT"));
    QCOMPARE(http::httpDate(1709210096), QByteArray("Thu, 29 Feb 2024 12:34:56 GMT"));
}

void TestHttpServer::expectContinue()
{
    start();
    const int fd = connectTo(m_server->serverPort());
    QVERIFY(fd >= 0);
    QVERIFY(sendAll(fd, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                        "Expect: 100-continue\r\n\r\n"));
    // The interim answer comes before any body byte was sent.
    const QByteArray interim = readUntil(fd, hasResponse);
    QCOMPARE(interim, QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
    QVERIFY(sendAll(fd, "hello"));
    const QByteArray r = readUntil(fd, [](const QByteArray &in) { return in.endsWith("got 5"); });
    QVERIFY2(r.startsWith("HTTP/1.1 200 OK\r\n") && r.endsWith("got 5"), r.constData());
    // The next request on the connection without Expect gets no interim answer.
    QVERIFY(sendAll(fd, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"));
    const QByteArray r2 = readUntil(fd, [](const QByteArray &in) { return in.endsWith("got 2"); });
    QVERIFY2(r2.startsWith("HTTP/1.1 200 OK\r\n"), r2.constData());
    ::close(fd);
}

void TestHttpServer::expectationFailed()
{
    start();
    const int fd = connectTo(m_server->serverPort());
    QVERIFY(fd >= 0);
    QVERIFY(sendAll(fd, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                        "Expect: something-else\r\n\r\n"));
    const QByteArray r = readUntil(fd, hasResponse);
    ::close(fd);
    QVERIFY2(r.startsWith("HTTP/1.1 417 Expectation Failed\r\n"), r.constData());
}

void TestHttpServer::expectTooLarge()
{
    net::ConnectionLimits cl;
    cl.http.maxBodyBytes = 1000;
    start({}, cl);
    const int fd = connectTo(m_server->serverPort());
    QVERIFY(fd >= 0);
    QVERIFY(sendAll(fd, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                        "Expect: 100-continue\r\n\r\n"));
    const QByteArray r = readUntil(fd, hasResponse);
    ::close(fd);
    QVERIFY2(r.startsWith("HTTP/1.1 413 "), r.constData());
    QVERIFY(!r.contains("100 Continue"));
}

void TestHttpServer::perAddressCap()
{
    net::ListenerLimits ll;
    ll.maxConnectionsPerIp = 3;
    start(ll);
    QList<int> fds;
    for (int i = 0; i < 3; ++i) {
        fds.append(connectTo(m_server->serverPort()));
        QVERIFY(fds.last() >= 0);
    }
    QTRY_COMPARE(m_server->connectionCount(), 3);
    // The fourth from the same address is answered 503 and closed.
    const int extra = connectTo(m_server->serverPort());
    QVERIFY(extra >= 0);
    bool closed = false;
    const QByteArray r = readUntil(
        extra, [](const QByteArray &) { return false; }, 5000, &closed);
    ::close(extra);
    QVERIFY(closed);
    QVERIFY2(r.startsWith("HTTP/1.1 503 "), r.constData());
    QCOMPARE(m_server->connectionCount(), 3);
    // The others are served; once one closes, a new one is accepted.
    QVERIFY(sendAll(fds[0], kGet));
    QVERIFY(readUntil(fds[0], hasResponse).startsWith("HTTP/1.1 200 OK"));
    ::close(fds.takeLast());
    QTRY_COMPARE(m_server->connectionCount(), 2);
    const int again = connectTo(m_server->serverPort());
    QVERIFY(sendAll(again, kGet));
    QVERIFY(readUntil(again, hasResponse).startsWith("HTTP/1.1 200 OK"));
    ::close(again);
    for (int fd : fds)
        ::close(fd);
    // Trusted proxies are exempt.
    ll.trustedProxies = net::parseCidrs({QStringLiteral("127.0.0.1")}).value();
    start(ll);
    for (int i = 0; i < 5; ++i)
        fds.append(connectTo(m_server->serverPort()));
    QTRY_COMPARE(m_server->connectionCount(), 5);
    for (int fd : fds)
        ::close(fd);
}

void TestHttpServer::processCap()
{
    net::ListenerLimits ll;
    ll.maxConnections = 2;
    start(ll);
    const int a = connectTo(m_server->serverPort());
    const int b = connectTo(m_server->serverPort());
    QTRY_COMPARE(m_server->connectionCount(), 2);
    // The third waits in the backlog: not accepted while two are open.
    const int c = connectTo(m_server->serverPort());
    QVERIFY(c >= 0);
    QVERIFY(sendAll(c, kGet));
    QTRY_VERIFY(m_server->isAcceptPaused());
    QTest::qWait(200);
    QCOMPARE(m_server->connectionCount(), 2);
    ::close(a);
    // Once one closes, it is accepted and served.
    QVERIFY(readUntil(c, hasResponse).startsWith("HTTP/1.1 200 OK"));
    QCOMPARE(m_server->connectionCount(), 2);
    ::close(b);
    ::close(c);
}

void TestHttpServer::descriptorLimit()
{
    net::ListenerLimits ll;
    ll.acceptRetryMs = 50;
    start(ll);
    QList<int> clients;
    for (int i = 0; i < 8; ++i) {
        clients.append(connectTo(m_server->serverPort()));
        QVERIFY(clients.last() >= 0);
    }
    // Leave the process two free descriptors: the server accepts two, then
    // accept fails with EMFILE while the listener stays readable.
    // dup() of a descriptor of our own: stdin may be closed under CI.
    const int base = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    QVERIFY(base >= 0);
    rlimit saved{};
    QCOMPARE(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    int maxFd = 0;
    for (const QString &e : QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::Files))
        maxFd = std::max(maxFd, e.toInt());
    // Two numbers above the highest open one guarantee at least two fillers
    // (whether or not the table has holes below it).
    rlimit low = saved;
    low.rlim_cur = rlim_t(maxFd + 3);
    QCOMPARE(::setrlimit(RLIMIT_NOFILE, &low), 0);
    // Fill the free numbers below the limit, then free exactly two.
    QList<int> fillers;
    for (int fd; (fd = ::dup(base)) >= 0;)
        fillers.append(fd);
    QCOMPARE(errno, EMFILE);
    QVERIFY(fillers.size() >= 2);
    ::close(fillers.takeLast());
    ::close(fillers.takeLast());
    QTRY_VERIFY(m_server->isAcceptPaused());
    const qsizetype acceptedAtLimit = m_server->connectionCount();
    QVERIFY(acceptedAtLimit < 8);
    // No busy loop while the limit holds: the process mostly sleeps.
    const qint64 cpu0 = cpuMs();
    QTest::qWait(1000);
    const qint64 used = cpuMs() - cpu0;
    qInfo("CPU while out of descriptors: %lld ms in 1000 ms", static_cast<long long>(used));
    QVERIFY2(used < 500, qPrintable(QString::number(used)));
    // With descriptors back, the waiting peers are accepted and served.
    for (int fd : fillers)
        ::close(fd);
    QCOMPARE(::setrlimit(RLIMIT_NOFILE, &saved), 0);
    QTRY_COMPARE(m_server->connectionCount(), 8);
    QVERIFY(sendAll(clients.last(), kGet));
    QVERIFY(readUntil(clients.last(), hasResponse).startsWith("HTTP/1.1 200 OK"));
    for (int fd : clients)
        ::close(fd);
    ::close(base);
}

QTEST_GUILESS_MAIN(TestHttpServer)
#include "tst_httpserver.moc"
