// TLS on the own socket layer (net::TlsContext, net::TlsStream in
// net::Connection): certificate/key loading errors, HTTPS requests from
// QSslSocket with the test's self-signed certificate pinned as the only CA,
// ALPN http/1.1, TLS 1.2 and 1.3, large responses, pipelined requests, a
// client that never finishes the handshake (closed by the idle timeout
// while others are served), plain HTTP on a TLS port, and a reload that
// only affects new connections. The certificates are generated with the
// `openssl` command at test time.
#include "net/httpserver.h"
#include "net/tlscontext.h"

#include <QLoggingCategory>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace qpush;

namespace {

// A self-signed certificate for 127.0.0.1/localhost with common name `cn`.
bool makeCert(const QString &dir, const QString &name, const QString &cn)
{
    QProcess p;
    p.start(QStringLiteral("openssl"),
            {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
             QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
             QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
             QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
             QStringLiteral("/CN=") + cn, QStringLiteral("-addext"),
             QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost"), QStringLiteral("-keyout"),
             dir + u'/' + name + QStringLiteral(".key"), QStringLiteral("-out"),
             dir + u'/' + name + QStringLiteral(".pem")});
    return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

// The server runs in this thread: wait with the event loop running (never
// QSslSocket::waitForEncrypted, which would block the server too).
bool encrypted(QSslSocket *s, int timeoutMs = 20000)
{
    (void)QTest::qWaitFor(
        [s] { return s->isEncrypted() || s->state() == QAbstractSocket::UnconnectedState; },
        timeoutMs);
    return s->isEncrypted();
}

} // namespace

class TestTls : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<net::DeadlineQueue> m_deadlines;
    std::unique_ptr<net::HttpServer> m_server;

    QString file(const QString &name) const { return m_dir.filePath(name); }

    void start(net::ConnectionLimits cl = {}, const QString &cert = QStringLiteral("a"))
    {
        m_server.reset();
        m_deadlines = std::make_unique<net::DeadlineQueue>();
        m_server = std::make_unique<net::HttpServer>(cl, m_deadlines.get());
        QString error;
        auto ctx = net::TlsContext::load(file(cert + QStringLiteral(".pem")),
                                         file(cert + QStringLiteral(".key")), &error);
        QVERIFY2(ctx, qPrintable(error));
        m_server->setTlsContext(ctx);
        m_server->setHandler([](net::Responder r, http::Request &req) {
            if (req.path == "/big") {
                QByteArray body(3 * 1024 * 1024 + 7, 'x');
                for (qsizetype i = 0; i < body.size(); i += 4096)
                    body[i] = char('A' + (i / 4096) % 26);
                r.respond(200, {{"content-type", "text/plain"}}, body);
                return;
            }
            if (req.path == "/size") {
                r.respond(200, {{"content-type", "text/plain"}},
                          QByteArray("size " + QByteArray::number(req.body.size()) + " sum " +
                                     QByteArray::number(qChecksum(req.body))));
                return;
            }
            r.respond(200, {{"content-type", "text/plain"}}, QByteArray("path " + req.path));
        });
        QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    }

    // A client that trusts only certificate `ca` (pinned as the CA).
    std::unique_ptr<QSslSocket> client(const QString &ca = QStringLiteral("a"),
                                       QSsl::SslProtocol protocol = QSsl::TlsV1_2OrLater)
    {
        auto s = std::make_unique<QSslSocket>();
        QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
        conf.setCaCertificates(QSslCertificate::fromPath(file(ca + QStringLiteral(".pem"))));
        conf.setProtocol(protocol);
        conf.setAllowedNextProtocols({QByteArrayLiteral("http/1.1")});
        s->setSslConfiguration(conf);
        s->setPeerVerifyName(QStringLiteral("localhost"));
        s->connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_server->serverPort());
        return s;
    }

    // Sends `request` and reads until `bytes` response bytes or the close.
    static QByteArray exchange(QSslSocket *s, const QByteArray &request, qsizetype atLeast,
                               int timeoutMs = 20000)
    {
        if (!encrypted(s))
            return "handshake failed: " + s->errorString().toUtf8();
        s->write(request);
        QByteArray in;
        (void)QTest::qWaitFor(
            [&] {
                in += s->readAll();
                return in.size() >= atLeast || s->state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
        in += s->readAll();
        return in;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("qpush.*=false"));
        QVERIFY(m_dir.isValid());
        QVERIFY2(QSslSocket::supportsSsl(), "Qt has no TLS backend");
        QVERIFY2(makeCert(m_dir.path(), QStringLiteral("a"), QStringLiteral("qpush-test-a")),
                 "openssl req failed");
        QVERIFY(makeCert(m_dir.path(), QStringLiteral("b"), QStringLiteral("qpush-test-b")));
    }
    void cleanup()
    {
        m_server.reset();
        m_deadlines.reset();
    }
    void loadErrors();
    void httpsRequest_data();
    void httpsRequest();
    void untrustedCertificateRefused();
    void largeResponseAndPipelining();
    void largeRequestBody();
    void stalledHandshakeClosedByIdleTimeout();
    void plainHttpOnTlsPort();
    void reloadAffectsNewConnectionsOnly();
};

void TestTls::loadErrors()
{
    QString error;
    QVERIFY(!net::TlsContext::load(file(QStringLiteral("missing.pem")),
                                   file(QStringLiteral("a.key")), &error));
    QVERIFY2(error.contains(QStringLiteral("missing.pem")), qPrintable(error));

    // The certificate of one pair with the key of the other.
    error.clear();
    QVERIFY(!net::TlsContext::load(file(QStringLiteral("a.pem")), file(QStringLiteral("b.key")),
                                   &error));
    QVERIFY2(error.contains(QStringLiteral("does not match")), qPrintable(error));

    // Not PEM at all.
    QFile junk(file(QStringLiteral("junk.pem")));
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write("not a certificate\n");
    junk.close();
    error.clear();
    QVERIFY(!net::TlsContext::load(junk.fileName(), file(QStringLiteral("a.key")), &error));
    QVERIFY2(error.contains(QStringLiteral("not a usable PEM certificate")), qPrintable(error));
    error.clear();
    QVERIFY(!net::TlsContext::load(file(QStringLiteral("a.pem")), junk.fileName(), &error));
    QVERIFY2(error.contains(QStringLiteral("not a usable PEM private key")), qPrintable(error));

    error.clear();
    auto ok =
        net::TlsContext::load(file(QStringLiteral("a.pem")), file(QStringLiteral("a.key")), &error);
    QVERIFY2(ok, qPrintable(error));
    QVERIFY2(ok->description().contains(QStringLiteral("qpush-test-a")),
             qPrintable(ok->description()));
}

void TestTls::httpsRequest_data()
{
    QTest::addColumn<int>("protocol");
    QTest::newRow("TLS 1.2") << int(QSsl::TlsV1_2);
    QTest::newRow("TLS 1.3") << int(QSsl::TlsV1_3);
}

void TestTls::httpsRequest()
{
    QFETCH(int, protocol);
    start();
    auto s = client(QStringLiteral("a"), QSsl::SslProtocol(protocol));
    const QByteArray r =
        exchange(s.get(), "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n", 0, 20000);
    QVERIFY2(s->isEncrypted(), r.constData());
    QCOMPARE(int(s->sessionProtocol()), protocol);
    QCOMPARE(s->sslConfiguration().nextNegotiatedProtocol(), QByteArray("http/1.1"));
    QByteArray in = r;
    QVERIFY(QTest::qWaitFor([&] {
        in += s->readAll();
        return in.endsWith("path /hello");
    }));
    QVERIFY2(in.startsWith("HTTP/1.1 200 OK\r\n"), in.constData());
    // Keep-alive: a second request on the same TLS session.
    s->write("GET /again HTTP/1.1\r\nHost: localhost\r\n\r\n");
    in.clear();
    QVERIFY(QTest::qWaitFor([&] {
        in += s->readAll();
        return in.endsWith("path /again");
    }));
}

void TestTls::untrustedCertificateRefused()
{
    start({}, QStringLiteral("b"));
    auto s = client(QStringLiteral("a")); // trusts a, server presents b
    QVERIFY(!encrypted(s.get()));
    QVERIFY(!s->sslHandshakeErrors().isEmpty());
}

void TestTls::largeResponseAndPipelining()
{
    start();
    auto s = client();
    QVERIFY2(encrypted(s.get()), qPrintable(s->errorString()));
    // Two pipelined requests; the first answer (3 MB) fills the socket, so
    // the write notifier path encrypts and sends the rest.
    s->write("GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray in;
    QVERIFY(QTest::qWaitFor(
        [&] {
            in += s->readAll();
            return in.endsWith("path /after");
        },
        30000));
    const qsizetype bodyAt = in.indexOf("\r\n\r\n") + 4;
    const QByteArray body = in.mid(bodyAt, 3 * 1024 * 1024 + 7);
    QCOMPARE(body.size(), 3 * 1024 * 1024 + 7);
    for (qsizetype i = 0; i < body.size(); i += 4096)
        QCOMPARE(body.at(i), char('A' + (i / 4096) % 26));
    QCOMPARE(body.count('x'), body.size() - (body.size() + 4095) / 4096);
}

void TestTls::largeRequestBody()
{
    start();
    auto s = client();
    QVERIFY2(encrypted(s.get()), qPrintable(s->errorString()));
    QByteArray body(900 * 1024, Qt::Uninitialized);
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = char((i * 7 + i / 1000) & 0xff);
    const QByteArray expected =
        "size " + QByteArray::number(body.size()) + " sum " + QByteArray::number(qChecksum(body));
    // Twice on one connection: the buffers shrunk after the first still work.
    for (int round = 0; round < 2; ++round) {
        s->write("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                 QByteArray::number(body.size()) + "\r\n\r\n" + body);
        QByteArray in;
        QVERIFY(QTest::qWaitFor(
            [&] {
                in += s->readAll();
                return in.endsWith(expected) || s->state() != QAbstractSocket::ConnectedState;
            },
            30000));
        QVERIFY2(in.startsWith("HTTP/1.1 200 OK\r\n"), in.left(200).constData());
        QVERIFY2(in.endsWith(expected), in.right(200).constData());
    }
}

void TestTls::stalledHandshakeClosedByIdleTimeout()
{
    net::ConnectionLimits cl;
    cl.idleTimeoutMs = 500;
    start(cl);
    // A TCP client that sends half a ClientHello record header and stops.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QVERIFY(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(m_server->serverPort());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    QCOMPARE(::send(fd, "\x16\x03\x01", 3, MSG_NOSIGNAL), ssize_t(3));
    QTRY_COMPARE(m_server->connectionCount(), qsizetype(1));
    // The event loop is not blocked by it: another client is served.
    auto s = client();
    QVERIFY2(encrypted(s.get()), qPrintable(s->errorString()));
    s->write("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray in;
    QVERIFY(QTest::qWaitFor([&] {
        in += s->readAll();
        return in.endsWith("path /x");
    }));
    s.reset();
    // The stalled one is closed by the idle timeout (the peer sees EOF).
    char buf[64];
    bool eof = false;
    QVERIFY(QTest::qWaitFor(
        [&] {
            const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            eof = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
            return eof;
        },
        20000));
    ::close(fd);
    QTRY_COMPARE(m_server->connectionCount(), qsizetype(0));
}

void TestTls::plainHttpOnTlsPort()
{
    start();
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QVERIFY(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(m_server->serverPort());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    const QByteArray get = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    QCOMPARE(::send(fd, get.constData(), size_t(get.size()), MSG_NOSIGNAL), ssize_t(get.size()));
    QByteArray in;
    bool eof = false;
    QVERIFY(QTest::qWaitFor(
        [&] {
            char buf[512];
            const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0)
                in.append(buf, n);
            eof = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
            return eof;
        },
        20000));
    ::close(fd);
    // Closed without an HTTP answer (at most a TLS alert record).
    QVERIFY2(!in.contains("HTTP/1.1"), in.constData());
    QVERIFY(!in.contains("path /hello"));
}

void TestTls::reloadAffectsNewConnectionsOnly()
{
    start();
    auto old = client(QStringLiteral("a"));
    QVERIFY2(encrypted(old.get()), qPrintable(old->errorString()));
    QString error;
    m_server->setTlsContext(net::TlsContext::load(file(QStringLiteral("b.pem")),
                                                  file(QStringLiteral("b.key")), &error));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    // New connections get certificate b.
    auto fresh = client(QStringLiteral("b"));
    QVERIFY2(encrypted(fresh.get()), qPrintable(fresh->errorString()));
    QCOMPARE(fresh->peerCertificate().subjectInfo(QSslCertificate::CommonName),
             QStringList{QStringLiteral("qpush-test-b")});
    // The open connection keeps its session with a.
    old->write("GET /old HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray in;
    QVERIFY(QTest::qWaitFor([&] {
        in += old->readAll();
        return in.endsWith("path /old");
    }));
    QCOMPARE(old->peerCertificate().subjectInfo(QSslCertificate::CommonName),
             QStringList{QStringLiteral("qpush-test-a")});
}

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
