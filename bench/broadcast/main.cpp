// Broadcast benchmark: one sio::Server in this process, N websocket
// clients (Socket.IO v5 over EIO=4 by default) in a forked child process
// on raw non-blocking sockets with epoll, all joined to one room. Each
// round times Broadcast::emit (encode once + write to every socket) and
// the time until the child has read the event on every socket.
//
// Usage: qpush-bench-broadcast [--clients N] [--rounds R] [--eio 3|4]
//                              [--payload BYTES]
// Loopback only; every wait is bounded. The client sockets live in a child
// process because N client + N server descriptors may not fit under one
// process's open-file limit.
#include "engineio/server.h"
#include "net/httpserver.h"
#include "socketio/server.h"
#include "support/rawwebsocket.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace qpush;
using Clock = std::chrono::steady_clock;

namespace {

struct Options
{
    int clients = 10000;
    int rounds = 20;
    int warmup = 2;
    int eio = 4;
    int payload = 100;
    int timeoutSec = 240; // the whole run
};

double msSince(Clock::time_point t0, Clock::time_point t1)
{
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

// ---- child: the clients -----------------------------------------------------------

enum class State { Connecting, Upgrading, WaitOpen, WaitConnect, Ready, Dead };

struct ClientConn
{
    int fd = -1;
    State state = State::Connecting;
    std::string in;
};

using qpush::testsupport::clientFrame;
using qpush::testsupport::takeFrame;
using qpush::testsupport::writeAll;

int runClients(const Options &o, int control)
{
    quint16 port = 0;
    if (::read(control, &port, sizeof port) != sizeof port)
        return 1;
    const auto deadline = Clock::now() + std::chrono::seconds(o.timeoutSec);
    const int ep = epoll_create1(0);
    std::vector<ClientConn> conns(size_t(o.clients));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::string upgrade = "GET /socket.io/?EIO=" + std::to_string(o.eio) +
                                "&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n\r\n";
    const std::string connectFrame = clientFrame("40");
    const std::string_view tick = "42[\"tick\"";

    int started = 0, ready = 0, inFlight = 0, failed = 0;
    long long ticks = 0;
    int reported = 0; // rounds reported done
    constexpr int kMaxInFlight = 128;
    auto fail = [&](ClientConn &c) {
        if (c.state == State::Dead)
            return;
        if (c.state != State::Ready)
            --inFlight;
        c.state = State::Dead;
        ::close(c.fd);
        ++failed;
    };
    auto startMore = [&] {
        while (inFlight < kMaxInFlight && started < o.clients) {
            ClientConn &c = conns[size_t(started)];
            c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c.fd < 0) {
                std::fprintf(stderr, "client socket(): %s\n", std::strerror(errno));
                return false;
            }
            epoll_event ev{};
            ev.events = EPOLLOUT | EPOLLIN;
            ev.data.u32 = uint32_t(started);
            epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
            if (::connect(c.fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0 &&
                errno != EINPROGRESS) {
                std::fprintf(stderr, "connect(): %s\n", std::strerror(errno));
                return false;
            }
            ++started;
            ++inFlight;
        }
        return true;
    };
    if (!startMore())
        return 1;

    std::vector<epoll_event> events(1024);
    char buf[65536];
    while (Clock::now() < deadline) {
        const int n = epoll_wait(ep, events.data(), int(events.size()), 1000);
        for (int i = 0; i < n; ++i) {
            ClientConn &c = conns[events[size_t(i)].data.u32];
            if (c.state == State::Dead)
                continue;
            if (c.state == State::Connecting) {
                if (!(events[size_t(i)].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
                    continue;
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0 || !writeAll(c.fd, upgrade.data(), upgrade.size())) {
                    fail(c);
                    continue;
                }
                c.state = State::Upgrading;
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u32 = events[size_t(i)].data.u32;
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                continue;
            }
            for (;;) {
                const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
                if (r > 0) {
                    c.in.append(buf, size_t(r));
                    continue;
                }
                if (r < 0 && errno == EINTR)
                    continue;
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                    fail(c);
                break;
            }
            if (c.state == State::Dead)
                continue;
            size_t pos = 0;
            if (c.state == State::Upgrading) {
                const size_t end = c.in.find("\r\n\r\n");
                if (end == std::string::npos)
                    continue;
                if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
                    fail(c);
                    continue;
                }
                pos = end + 4;
                c.state = State::WaitOpen;
            }
            int opcode = 0;
            std::string_view payload;
            while (c.state != State::Dead && takeFrame(c.in, pos, opcode, payload)) {
                if (opcode == 0x8) { // close
                    fail(c);
                    break;
                }
                if (c.state == State::Ready) {
                    if (payload.substr(0, tick.size()) == tick)
                        ++ticks;
                } else if (c.state == State::WaitOpen && payload.substr(0, 1) == "0") {
                    if (o.eio == 4 && !writeAll(c.fd, connectFrame.data(), connectFrame.size())) {
                        fail(c);
                        break;
                    }
                    c.state = State::WaitConnect;
                } else if (c.state == State::WaitConnect && payload.substr(0, 2) == "40") {
                    c.state = State::Ready;
                    ++ready;
                    --inFlight;
                }
            }
            c.in.erase(0, pos);
        }
        if (!startMore())
            return 1;
        if (failed > 0) {
            std::fprintf(stderr, "%d client connections failed\n", failed);
            return 1;
        }
        if (ready == o.clients && reported == 0) {
            const char r = 'R';
            if (::write(control, &r, 1) != 1)
                return 1;
            reported = -1; // waiting for rounds
        }
        if (ready == o.clients) {
            // One 'D' per completed round: every client got that round's tick.
            while (ticks >= (long long)(-reported) * o.clients) {
                const char d = 'D';
                if (::write(control, &d, 1) != 1)
                    return 1;
                --reported;
            }
        }
        // The parent closes the control socket when it is done.
        pollfd pf{control, POLLIN, 0};
        if (::poll(&pf, 1, 0) > 0) {
            char q = 0;
            if (::read(control, &q, 1) <= 0 || q == 'Q')
                return 0;
        }
    }
    std::fprintf(stderr, "clients: timed out (%d/%d ready)\n", ready, o.clients);
    return 1;
}

// ---- parent: the server ---------------------------------------------------------------

struct Figures
{
    std::vector<double> emitMs;
    std::vector<double> deliveryMs;
};

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    if (v.empty())
        return 0;
    const size_t i = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
    return v[i];
}

bool parseArgs(int argc, char **argv, Options &o)
{
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](int &out) {
            if (i + 1 >= argc)
                return false;
            out = std::atoi(argv[++i]);
            return true;
        };
        bool ok = false;
        if (a == "--clients")
            ok = value(o.clients) && o.clients > 0;
        else if (a == "--rounds")
            ok = value(o.rounds) && o.rounds > 0;
        else if (a == "--eio")
            ok = value(o.eio) && (o.eio == 3 || o.eio == 4);
        else if (a == "--payload")
            ok = value(o.payload) && o.payload >= 0;
        else if (a == "--timeout")
            ok = value(o.timeoutSec) && o.timeoutSec > 0;
        if (!ok) {
            std::fprintf(stderr,
                         "usage: %s [--clients N] [--rounds R] [--eio 3|4] [--payload BYTES] "
                         "[--timeout SEC]\n",
                         argv[0]);
            return false;
        }
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    Options o;
    if (!parseArgs(argc, argv, o))
        return 2;
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rlim_t(o.clients) + 64 > rl.rlim_cur) {
        std::fprintf(stderr, "open-file limit %llu is too low for %d clients\n",
                     (unsigned long long)rl.rlim_cur, o.clients);
        return 2;
    }

    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return 1;
    const pid_t child = ::fork();
    if (child < 0)
        return 1;
    if (child == 0) {
        ::close(pair[0]);
        ::_exit(runClients(o, pair[1]));
    }
    ::close(pair[1]);
    const int control = pair[0];

    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("qpush.*.debug=false"));
    net::DeadlineQueue deadlines;
    net::ConnectionLimits limits;
    limits.maxOutputBytes = 1 << 20;
    net::HttpServer http(limits, &deadlines);
    http.setListenBacklogSize(1024);
    eio::ServerOptions eo;
    eo.path = "/socket.io/";
    eo.pingIntervalMs = 600000; // no heartbeat traffic during the run
    eo.pingTimeoutMs = 600000;
    eio::Server engine(eo, &deadlines);
    sio::Server io(&engine);
    sio::Namespace *root = io.of(QStringLiteral("/"));
    const QString room = QStringLiteral("bench");
    root->onConnection([&room](sio::Socket *s) { s->join(room); });
    http.setHandler([&](net::Responder responder, http::Request &request) {
        if (engine.matches(request.path))
            return engine.handleRequest(std::move(responder), request);
        responder.respond(404, {}, "Not Found");
    });
    if (!http.listen(QHostAddress::LocalHost, 0)) {
        std::fprintf(stderr, "cannot listen: %s\n", qPrintable(http.errorString()));
        ::kill(child, SIGTERM);
        ::waitpid(child, nullptr, 0);
        return 1;
    }
    const quint16 port = http.serverPort();
    if (::write(control, &port, sizeof port) != sizeof port)
        return 1;
    std::printf("qpush-bench-broadcast: %d clients (EIO=%d), %d rounds (+%d warm-up), "
                "payload %d bytes, 127.0.0.1:%u\n",
                o.clients, o.eio, o.rounds, o.warmup, o.payload, unsigned(port));
    std::fflush(stdout);

    const QJsonArray args{0, QString(qsizetype(o.payload), u'x')};
    Figures figures;
    int exitCode = 1;
    int round = -1;
    Clock::time_point connectStart = Clock::now();
    Clock::time_point t0;
    double emitMs = 0;

    auto finish = [&](int code) {
        exitCode = code;
        const char q = 'Q';
        (void)!::write(control, &q, 1);
        app.quit();
    };
    auto startRound = [&] {
        ++round;
        QJsonArray a = args;
        a[0] = round;
        t0 = Clock::now();
        const qsizetype sent = root->to(room).emit(QStringLiteral("tick"), a);
        const Clock::time_point t1 = Clock::now();
        emitMs = msSince(t0, t1);
        if (sent != o.clients) {
            std::fprintf(stderr, "round %d: emit reached %lld sockets, expected %d\n", round,
                         (long long)sent, o.clients);
            finish(1);
        }
    };

    QSocketNotifier notifier(control, QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [&] {
        char c = 0;
        const ssize_t n = ::read(control, &c, 1);
        if (n <= 0) {
            std::fprintf(stderr, "client process ended early\n");
            notifier.setEnabled(false);
            finish(1);
            return;
        }
        const Clock::time_point now = Clock::now();
        if (c == 'R') {
            const qsizetype inRoom = root->room(room).size();
            std::printf("connected %d clients in %.0f ms (%lld in the room, %lld server "
                        "connections)\n",
                        o.clients, msSince(connectStart, now), (long long)inRoom,
                        (long long)http.connectionCount());
            std::fflush(stdout);
            if (inRoom != o.clients) {
                finish(1);
                return;
            }
            startRound();
            return;
        }
        if (c != 'D')
            return;
        const double deliveryMs = msSince(t0, now);
        const bool warm = round < o.warmup;
        std::printf("round %2d%s: emit %8.2f ms, all received %8.2f ms\n", round,
                    warm ? " (warm-up)" : "", emitMs, deliveryMs);
        if (!warm) {
            figures.emitMs.push_back(emitMs);
            figures.deliveryMs.push_back(deliveryMs);
        }
        if (round + 1 >= o.rounds + o.warmup) {
            finish(0);
            return;
        }
        // Let the loop settle (write notifiers, reads) before the next round.
        QTimer::singleShot(20, &app, startRound);
    });
    QTimer::singleShot(o.timeoutSec * 1000 + 5000, &app, [&] {
        std::fprintf(stderr, "timed out\n");
        finish(1);
    });

    app.exec();
    ::close(control);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (exitCode == 0) {
        auto line = [&](const char *what, const std::vector<double> &v) {
            std::printf("%-28s median %8.2f ms   p99 %8.2f ms   min %8.2f ms   max %8.2f ms\n",
                        what, percentile(v, 0.5), percentile(v, 0.99),
                        *std::min_element(v.begin(), v.end()),
                        *std::max_element(v.begin(), v.end()));
        };
        std::printf("--- %d clients, %zu measured rounds ---\n", o.clients, figures.emitMs.size());
        line("Broadcast::emit (encode+write)", figures.emitMs);
        line("until all clients received", figures.deliveryMs);
        std::printf("per recipient: emit %.2f us, delivery %.2f us (median)\n",
                    percentile(figures.emitMs, 0.5) * 1000.0 / o.clients,
                    percentile(figures.deliveryMs, 0.5) * 1000.0 / o.clients);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        std::fprintf(stderr, "client process failed (status %d)\n", status);
    return exitCode;
}
