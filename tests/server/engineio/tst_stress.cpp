// Stress test of eio::Server on net::HttpServer with the EpollEventDispatcher
// (installed by main() for the main thread): a few thousand Engine.IO v4
// websocket clients on raw non-blocking sockets driven by epoll in a child
// process (this binary re-executed with --stress-child, so the child runs no
// Qt code and the clients' descriptors do not count against the server's
// open-file limit). The child reports to the parent in text lines over a
// socketpair; the parent runs the server's event loop. Checks:
//   broadcastInOrder  every client receives all M prepared messages, in order
//   echoInOrder       every session receives its client's M messages in order
//                     (and each client receives the echoes in order)
//   pingTimeout       K silent clients are closed with "ping timeout" within
//                     [lastPong + interval + timeout, ... + 2 s]; the others
//                     stay open
// Loopback only; every wait is bounded; the child exits on its own deadline,
// on end of the control socket, or is killed by the parent.
#include "engineio/server.h"
#include "eventloop/epolldispatcher.h"
#include "net/httpserver.h"
#include "support/rawwebsocket.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QLoggingCategory>
#include <QPointer>
#include <QSet>
#include <QSocketNotifier>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

using namespace qpush;

namespace {

constexpr int Messages = 50;        // M: messages per scenario
constexpr int WantedClients = 3000; // scaled down under a low open-file limit
constexpr int PingIntervalMs = 300;
constexpr int PingTimeoutMs = 300;
constexpr qint64 EarlyToleranceMs = 50;  // timer precision, below interval+timeout
constexpr qint64 LateToleranceMs = 2000; // loaded machine, above interval+timeout
constexpr int ChildDeadlineSec = 200;    // the child gives up on its own after this

qint64 monotonicNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts); // the same clock in both processes
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
qint64 monotonicMs()
{
    return monotonicNs() / 1000000;
}

// ---- child: the clients ---------------------------------------------------------

enum class Mode { Broadcast, Echo, Ping };
enum class CState { Connecting, Upgrading, WaitOpen, Ready, Closed };

struct Client
{
    int fd = -1;
    CState state = CState::Connecting;
    std::string in;
    std::string sid;
    int next = 0; // the next message number expected
    bool silent = false;
    qint64 lastPongNs = 0;
};

bool writeControl(int fd, const std::string &line)
{
    const char *p = line.data();
    size_t left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        left -= size_t(n);
    }
    return true;
}

using qpush::testsupport::clientFrame;
using qpush::testsupport::takeFrame;
using qpush::testsupport::writeAll;

// Runs the clients; returns the process exit code. Lines to the parent:
//   R                          all clients are open
//   DONE <errors> <first error>   (broadcast, echo) all M messages received
//   P <sid> <lastPongMs>       (ping) after S: one per silent client, then D
//   CLOSED <silent> <responsive> <errors> <first error>   (ping) after C
//   FATAL <text>               the child cannot go on
// Commands from the parent: S (silence K clients), C (report closes), Q (quit).
int runChild(Mode mode, quint16 port, int count, int messages, int silentCount, int control)
{
    const qint64 deadline = monotonicNs() + qint64(ChildDeadlineSec) * 1000000000;
    int errors = 0;
    std::string firstError;
    auto error = [&](const std::string &what) {
        if (errors++ == 0)
            firstError = what;
    };
    auto fatal = [&](const std::string &what) {
        writeControl(control, "FATAL " + what + "\n");
        return 1;
    };

    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return fatal("epoll_create1");
    std::vector<Client> clients(static_cast<size_t>(count));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::string upgrade = "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n\r\n";
    const std::string pong = clientFrame("3");

    int started = 0, inFlight = 0, ready = 0, done = 0;
    constexpr int MaxInFlight = 128;
    bool reportedReady = false;
    qint64 doneAtNs = 0; // all messages in; report after a grace period (extras)
    bool reportedDone = false;

    auto startMore = [&]() -> bool {
        while (inFlight < MaxInFlight && started < count) {
            Client &c = clients[size_t(started)];
            c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c.fd < 0)
                return false;
            epoll_event ev{};
            ev.events = EPOLLOUT | EPOLLIN;
            ev.data.u32 = uint32_t(started);
            if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0)
                return false;
            if (::connect(c.fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0 &&
                errno != EINPROGRESS)
                return false;
            ++started;
            ++inFlight;
        }
        return true;
    };
    auto closeClient = [&](Client &c, size_t index) {
        if (c.state == CState::Closed)
            return;
        if (c.state != CState::Ready)
            error("client " + std::to_string(index) + " closed before it was open");
        else if (mode != Mode::Ping)
            error("client " + std::to_string(index) + " closed");
        c.state = CState::Closed;
        ::close(c.fd);
        c.fd = -1;
    };
    // Sends the numbered stream of one client (echo mode).
    auto sendStream = [&](Client &c) {
        std::string out;
        for (int i = 0; i < messages; ++i)
            out += clientFrame("4" + std::to_string(i));
        return writeAll(c.fd, out.data(), out.size());
    };

    if (!startMore())
        return fatal(std::string("cannot open client sockets: ") + std::strerror(errno));

    std::vector<epoll_event> events(1024);
    char buf[65536];
    while (monotonicNs() < deadline) {
        const int n = epoll_wait(ep, events.data(), int(events.size()), 20);
        for (int i = 0; i < n; ++i) {
            const size_t index = events[size_t(i)].data.u32;
            Client &c = clients[index];
            if (c.state == CState::Closed)
                continue;
            if (c.state == CState::Connecting) {
                if (!(events[size_t(i)].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
                    continue;
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0 || !writeAll(c.fd, upgrade.data(), upgrade.size()))
                    return fatal("connect/upgrade of client " + std::to_string(index) +
                                 " failed: " + std::strerror(err ? err : errno));
                c.state = CState::Upgrading;
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u32 = uint32_t(index);
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                continue;
            }
            bool eof = false;
            for (;;) {
                const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
                if (r > 0) {
                    c.in.append(buf, size_t(r));
                    continue;
                }
                if (r < 0 && errno == EINTR)
                    continue;
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                    eof = true;
                break;
            }
            size_t pos = 0;
            if (c.state == CState::Upgrading) {
                const size_t end = c.in.find("\r\n\r\n");
                if (end == std::string::npos) {
                    if (eof)
                        return fatal("client " + std::to_string(index) + ": no 101");
                    continue;
                }
                if (c.in.compare(0, 12, "HTTP/1.1 101") != 0)
                    return fatal("client " + std::to_string(index) + ": upgrade refused");
                pos = end + 4;
                c.state = CState::WaitOpen;
            }
            int opcode = 0;
            std::string_view payload;
            while (c.state != CState::Closed && takeFrame(c.in, pos, opcode, payload)) {
                if (opcode == 0x8) {
                    closeClient(c, index);
                    break;
                }
                if (opcode != 0x1)
                    continue;
                if (c.state == CState::WaitOpen) {
                    if (payload.substr(0, 1) != "0")
                        return fatal("client " + std::to_string(index) + ": no open packet");
                    const std::string_view key = "\"sid\":\"";
                    const size_t s = payload.find(key);
                    const size_t e =
                        s == std::string_view::npos ? s : payload.find('"', s + key.size());
                    if (e == std::string_view::npos)
                        return fatal("client " + std::to_string(index) + ": open without sid");
                    c.sid = std::string(payload.substr(s + key.size(), e - s - key.size()));
                    c.state = CState::Ready;
                    ++ready;
                    --inFlight;
                    if (mode == Mode::Echo && !sendStream(c))
                        return fatal("client " + std::to_string(index) + ": send failed");
                    continue;
                }
                if (payload == "2") {
                    if (!c.silent) {
                        if (!writeAll(c.fd, pong.data(), pong.size()))
                            return fatal("pong write failed");
                        c.lastPongNs = monotonicNs();
                    }
                } else if (payload.substr(0, 1) == "4") {
                    if (mode == Mode::Ping) {
                        error("client " + std::to_string(index) + ": unexpected message");
                        continue;
                    }
                    const int got = std::atoi(std::string(payload.substr(1)).c_str());
                    if (got != c.next || payload.size() < 2)
                        error("client " + std::to_string(index) + ": got " + std::string(payload) +
                              ", expected 4" + std::to_string(c.next));
                    c.next = got + 1;
                    if (c.next == messages)
                        ++done;
                } else if (payload.substr(0, 1) == "1") {
                    closeClient(c, index);
                    break;
                }
            }
            if (c.state != CState::Closed) {
                c.in.erase(0, pos);
                if (eof)
                    closeClient(c, index);
            }
        }
        if (!startMore())
            return fatal(std::string("cannot open client sockets: ") + std::strerror(errno));
        if (!reportedReady && ready == count) {
            reportedReady = true;
            writeControl(control, "R\n");
        }
        if (mode != Mode::Ping && !reportedDone && done >= count) {
            if (doneAtNs == 0)
                doneAtNs = monotonicNs();
            if (monotonicNs() - doneAtNs > 300 * 1000000LL) { // late extras show up here
                reportedDone = true;
                writeControl(control, "DONE " + std::to_string(errors) + " " + firstError + "\n");
            }
        }
        pollfd pf{control, POLLIN, 0};
        while (::poll(&pf, 1, 0) > 0) {
            char cmd = 0;
            if (::read(control, &cmd, 1) <= 0 || cmd == 'Q')
                return 0;
            if (cmd == 'S') {
                std::string lines;
                for (int k = 0; k < silentCount && k < count; ++k) {
                    Client &c = clients[size_t(k)];
                    c.silent = true;
                    lines += "P " + c.sid + " " + std::to_string(c.lastPongNs / 1000000) + "\n";
                }
                writeControl(control, lines + "D\n");
            } else if (cmd == 'C') {
                int silentClosed = 0, responsiveClosed = 0;
                for (const Client &c : clients) {
                    if (c.state == CState::Closed)
                        ++(c.silent ? silentClosed : responsiveClosed);
                }
                writeControl(control, "CLOSED " + std::to_string(silentClosed) + " " +
                                          std::to_string(responsiveClosed) + " " +
                                          std::to_string(errors) + " " + firstError + "\n");
            }
        }
    }
    return fatal("child deadline reached (" + std::to_string(ready) + "/" + std::to_string(count) +
                 " open)");
}

// ---- parent: the child process ------------------------------------------------------

class ChildProcess
{
public:
    ~ChildProcess() { stop(); }

    bool start(const char *mode, quint16 port, int count, int messages, int silent)
    {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
            return false;
        // Everything exec needs is built before fork (the child only execs).
        const std::string exe = QCoreApplication::applicationFilePath().toStdString();
        std::vector<std::string> args{exe,
                                      "--stress-child",
                                      mode,
                                      std::to_string(port),
                                      std::to_string(count),
                                      std::to_string(messages),
                                      std::to_string(silent),
                                      std::to_string(pair[1])};
        std::vector<char *> argv;
        for (std::string &a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        const pid_t parent = ::getpid();
        m_pid = ::fork();
        if (m_pid < 0) {
            ::close(pair[0]);
            ::close(pair[1]);
            return false;
        }
        if (m_pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent)
                ::_exit(3);
            ::fcntl(pair[1], F_SETFD, 0); // keep the child's end across exec
            ::execv(argv[0], argv.data());
            ::_exit(4);
        }
        ::close(pair[1]);
        m_fd = pair[0];
        ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
        m_notifier = std::make_unique<QSocketNotifier>(m_fd, QSocketNotifier::Read);
        QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(),
                         [this] { readLines(); });
        return true;
    }

    void command(char c)
    {
        if (m_fd >= 0)
            (void)!::write(m_fd, &c, 1);
    }

    // Stops the child: Q, then up to 5 s for it to exit, then SIGKILL.
    // Returns the child's exit status (-1 if killed or not started).
    int stop()
    {
        if (m_pid <= 0)
            return -1;
        command('Q');
        m_notifier.reset();
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
        int status = 0;
        bool exited = false;
        for (int i = 0; i < 500 && !exited; ++i) {
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid)
                exited = true;
            else
                ::usleep(10000);
        }
        if (!exited) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &status, 0);
        }
        m_pid = -1;
        return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    // Lines that start with `prefix` (and any FATAL line).
    QByteArray line(QByteArrayView prefix) const
    {
        for (const QByteArray &l : m_lines)
            if (l.startsWith(prefix))
                return l;
        return {};
    }
    bool hasLine(QByteArrayView prefix) const { return !line(prefix).isEmpty(); }
    const QList<QByteArray> &lines() const { return m_lines; }
    bool eof() const { return m_eof; }

private:
    void readLines()
    {
        char buf[65536];
        for (;;) {
            const ssize_t n = ::read(m_fd, buf, sizeof buf);
            if (n > 0) {
                m_buffer.append(buf, n);
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                m_eof = true;
                m_notifier->setEnabled(false);
            }
            break;
        }
        qsizetype nl;
        while ((nl = m_buffer.indexOf('\n')) >= 0) {
            m_lines.append(m_buffer.left(nl));
            m_buffer.remove(0, nl + 1);
        }
    }

    pid_t m_pid = -1;
    int m_fd = -1;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QByteArray m_buffer;
    QList<QByteArray> m_lines;
    bool m_eof = false;
};

// Runs the event loop until `done` holds or `timeoutMs` passed (a 5 ms tick
// guarantees the predicate is looked at).
bool waitUntil(const std::function<bool()> &done, qint64 timeoutMs)
{
    QElapsedTimer t;
    t.start();
    QTimer tick;
    tick.start(5);
    while (!done()) {
        if (t.elapsed() >= timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
    }
    return true;
}

// ---- parent: the server ----------------------------------------------------------------

class Env : public eio::SessionHandler
{
public:
    struct Closed
    {
        QString reason;
        qint64 atMs; // monotonic
    };

    explicit Env(const eio::ServerOptions &options)
    {
        http = std::make_unique<net::HttpServer>(limits, &deadlines);
        http->setListenBacklogSize(1024);
        engine = std::make_unique<eio::Server>(options, &deadlines);
        engine->setConnectionHandler([this](eio::Session *s) {
            s->setHandler(this);
            sessions.insert(s->id(), s);
        });
        http->setHandler([this](net::Responder responder, http::Request &request) {
            if (engine->matches(request.path))
                return engine->handleRequest(std::move(responder), request);
            responder.respond(404, {{"content-type", "text/plain"}}, "Not Found");
        });
        listening = http->listen(QHostAddress::LocalHost, 0);
        port = http->serverPort();
    }
    ~Env() override
    {
        engine.reset();
        http.reset();
    }

    void onMessage(eio::Session *session, const QByteArray &data, bool binary) override
    {
        ++received;
        bool ok = false;
        const int n = data.toInt(&ok);
        int &next = nextIn[session->id()];
        if (binary || !ok || n != next) {
            if (messageErrors++ == 0)
                firstMessageError =
                    session->id() + " got " + data + ", expected " + QByteArray::number(next);
        }
        next = n + 1;
        if (echo)
            session->sendMessage(data, binary);
    }
    void onClose(eio::Session *session, const QString &reason) override
    {
        if (closed.contains(session->id()))
            ++doubleCloses;
        closed.insert(session->id(), {reason, monotonicMs()});
        sessions.remove(session->id());
    }

    // Ids, not pointers: a session may close (and be deleted) meanwhile.
    QList<QByteArray> openSessions() const { return sessions.keys(); }

    net::DeadlineQueue deadlines;
    net::ConnectionLimits limits;
    std::unique_ptr<net::HttpServer> http;
    std::unique_ptr<eio::Server> engine;
    bool listening = false;
    quint16 port = 0;
    bool echo = false;

    QHash<QByteArray, eio::Session *> sessions; // open, by sid
    QHash<QByteArray, Closed> closed;
    int doubleCloses = 0;
    qint64 received = 0;
    QHash<QByteArray, int> nextIn;
    int messageErrors = 0;
    QByteArray firstMessageError;
};

} // namespace

class tst_EioStress : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void broadcastInOrder();
    void echoInOrder();
    void pingTimeout();

private:
    int m_clients = WantedClients;
};

void tst_EioStress::initTestCase()
{
    QLoggingCategory::setFilterRules(QStringLiteral("qpush.*.debug=false"));
    QVERIFY(qobject_cast<eventloop::EpollEventDispatcher *>(QAbstractEventDispatcher::instance()));
    rlimit rl{};
    QCOMPARE(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    // Each process holds one descriptor per client plus a few of its own.
    const rlim_t room = rl.rlim_cur > 256 ? rl.rlim_cur - 256 : 0;
    if (rlim_t(m_clients) > room)
        m_clients = int(room);
    if (m_clients < 200)
        QSKIP("open-file limit too low for a stress test");
    qInfo("%d clients (open-file limit %llu)", m_clients, (unsigned long long)rl.rlim_cur);
}

void tst_EioStress::broadcastInOrder()
{
    eio::ServerOptions options;
    options.pingIntervalMs = 25000;
    options.pingTimeoutMs = 20000;
    Env env(options);
    QVERIFY(env.listening);
    ChildProcess child;
    QVERIFY(child.start("broadcast", env.port, m_clients, Messages, 0));

    QElapsedTimer t;
    t.start();
    QVERIFY2(waitUntil([&] { return child.hasLine("R") || child.hasLine("FATAL") || child.eof(); },
                       120000),
             "clients did not connect in time");
    QVERIFY2(!child.hasLine("FATAL"), child.line("FATAL").constData());
    QVERIFY(child.hasLine("R"));
    const qint64 connectMs = t.elapsed();
    QCOMPARE(env.engine->sessionCount(), qsizetype(m_clients));
    QCOMPARE(env.sessions.size(), qsizetype(m_clients));

    // Five numbered messages per event-loop pass, each prepared once.
    int sent = 0;
    QTimer sender;
    sender.setInterval(0);
    QObject::connect(&sender, &QTimer::timeout, &sender, [&] {
        const QList<QByteArray> targets = env.openSessions();
        for (int j = 0; j < 5 && sent < Messages; ++j, ++sent) {
            const eio::PreparedMessage m = eio::PreparedMessage::prepare(
                eio::Packet::text(eio::PacketType::Message, QByteArray::number(sent)));
            for (const QByteArray &id : targets)
                if (eio::Session *s = env.engine->session(id))
                    s->sendPrepared(m);
        }
        if (sent >= Messages)
            sender.stop();
    });
    t.restart();
    sender.start();
    QVERIFY2(
        waitUntil([&] { return child.hasLine("DONE") || child.hasLine("FATAL") || child.eof(); },
                  120000),
        "not every client received every message in time");
    QVERIFY2(!child.hasLine("FATAL"), child.line("FATAL").constData());
    const QList<QByteArray> done = child.line("DONE").split(' ');
    QVERIFY2(done.value(1) == "0", child.line("DONE").constData());
    QCOMPARE(sent, Messages);
    QVERIFY(env.closed.isEmpty());
    QCOMPARE(env.engine->sessionCount(), qsizetype(m_clients));
    qInfo("connect %lld ms, %d messages to %d clients in %lld ms", connectMs, Messages, m_clients,
          t.elapsed());
    QCOMPARE(child.stop(), 0);
}

void tst_EioStress::echoInOrder()
{
    eio::ServerOptions options;
    options.pingIntervalMs = 25000;
    options.pingTimeoutMs = 20000;
    Env env(options);
    QVERIFY(env.listening);
    env.echo = true;
    ChildProcess child;
    QVERIFY(child.start("echo", env.port, m_clients, Messages, 0));

    QElapsedTimer t;
    t.start();
    const qint64 total = qint64(m_clients) * Messages;
    QVERIFY2(waitUntil(
                 [&] {
                     return (env.received >= total && child.hasLine("DONE")) ||
                            child.hasLine("FATAL") || child.eof();
                 },
                 180000),
             "the message streams did not complete in time");
    QVERIFY2(!child.hasLine("FATAL"), child.line("FATAL").constData());
    QVERIFY2(env.messageErrors == 0, env.firstMessageError.constData());
    QCOMPARE(env.received, total);
    QCOMPARE(env.nextIn.size(), qsizetype(m_clients));
    for (auto it = env.nextIn.cbegin(); it != env.nextIn.cend(); ++it)
        QVERIFY2(it.value() == Messages, it.key().constData());
    const QList<QByteArray> done = child.line("DONE").split(' ');
    QVERIFY2(done.value(1) == "0", child.line("DONE").constData());
    QVERIFY(env.closed.isEmpty());
    qInfo("%d clients x %d messages echoed in %lld ms (connect included)", m_clients, Messages,
          t.elapsed());
    QCOMPARE(child.stop(), 0);
}

void tst_EioStress::pingTimeout()
{
    eio::ServerOptions options;
    options.pingIntervalMs = PingIntervalMs;
    options.pingTimeoutMs = PingTimeoutMs;
    Env env(options);
    QVERIFY(env.listening);
    const int silent = m_clients / 6; // 500 of 3000
    ChildProcess child;
    QVERIFY(child.start("ping", env.port, m_clients, 0, silent));

    QVERIFY2(waitUntil(
                 [&] {
                     return child.hasLine("R") || child.hasLine("FATAL") || child.eof() ||
                            !env.closed.isEmpty();
                 },
                 120000),
             "clients did not connect in time");
    QVERIFY2(!child.hasLine("FATAL"), child.line("FATAL").constData());
    QVERIFY2(env.closed.isEmpty(), "a responsive session timed out while connecting");
    QVERIFY(child.hasLine("R"));
    QCOMPARE(env.engine->sessionCount(), qsizetype(m_clients));

    // A few heartbeats with everyone answering: nobody is closed.
    waitUntil([&] { return !env.closed.isEmpty() || child.eof(); }, 1000);
    QVERIFY2(env.closed.isEmpty(), "a responsive session timed out");

    child.command('S');
    QVERIFY2(waitUntil([&] { return child.hasLine("D") || child.eof(); }, 10000),
             "no silent list from the child");
    QHash<QByteArray, qint64> lastPong; // sid -> ms
    for (const QByteArray &l : child.lines()) {
        if (!l.startsWith("P "))
            continue;
        const QList<QByteArray> f = l.split(' ');
        QCOMPARE(f.size(), 3);
        QVERIFY2(f.at(2).toLongLong() > 0, "a silent client never answered a ping");
        lastPong.insert(f.at(1), f.at(2).toLongLong());
    }
    QCOMPARE(lastPong.size(), qsizetype(silent));

    const qint64 bound = PingIntervalMs + PingTimeoutMs + LateToleranceMs;
    waitUntil([&] { return env.closed.size() >= silent || child.eof(); }, bound + 3000);
    // More heartbeats: the responsive ones must stay, and no one else goes.
    waitUntil([&] { return env.closed.size() > silent || child.eof(); }, 1500);

    QCOMPARE(env.doubleCloses, 0);
    int early = 0, late = 0;
    qint64 minAfter = std::numeric_limits<qint64>::max(), maxAfter = 0;
    QByteArray detail;
    for (auto it = env.closed.cbegin(); it != env.closed.cend(); ++it) {
        QVERIFY2(lastPong.contains(it.key()),
                 QByteArray("responsive session closed: " + it.key() + ' ' + it->reason.toUtf8())
                     .constData());
        QCOMPARE(it->reason, QStringLiteral("ping timeout"));
        const qint64 after = it->atMs - lastPong.value(it.key());
        minAfter = std::min(minAfter, after);
        maxAfter = std::max(maxAfter, after);
        if (after < PingIntervalMs + PingTimeoutMs - EarlyToleranceMs) {
            if (early++ == 0)
                detail += "early: " + QByteArray::number(after) + " ms after the last pong; ";
        }
        if (after > bound) {
            if (late++ == 0)
                detail += "late: " + QByteArray::number(after) + " ms after the last pong; ";
        }
    }
    qInfo("%lld silent sessions closed %lld..%lld ms after their last pong",
          qint64(env.closed.size()), minAfter, maxAfter);
    QVERIFY2(early == 0 && late == 0, detail.constData());
    QCOMPARE(env.closed.size(), qsizetype(silent));
    QCOMPARE(env.engine->sessionCount(), qsizetype(m_clients - silent));

    child.command('C');
    QVERIFY2(waitUntil([&] { return child.hasLine("CLOSED") || child.eof(); }, 10000),
             "no close report from the child");
    const QList<QByteArray> report = child.line("CLOSED").split(' ');
    QCOMPARE(report.value(1).toInt(), silent); // every silent client saw its close
    QCOMPARE(report.value(2).toInt(), 0);      // no responsive one did
    QVERIFY2(report.value(3) == "0", child.line("CLOSED").constData());
    QCOMPARE(child.stop(), 0);
}

int main(int argc, char **argv)
{
    if (argc == 8 && std::strcmp(argv[1], "--stress-child") == 0) {
        const std::string m = argv[2];
        const Mode mode = m == "broadcast" ? Mode::Broadcast
                          : m == "echo"    ? Mode::Echo
                                           : Mode::Ping;
        return runChild(mode, quint16(std::atoi(argv[3])), std::atoi(argv[4]), std::atoi(argv[5]),
                        std::atoi(argv[6]), std::atoi(argv[7]));
    }
    // The main thread's dispatcher is set before the application object exists
    // (Qt takes ownership).
    QCoreApplication::setEventDispatcher(new eventloop::EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    tst_EioStress tc;
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_stress.moc"
