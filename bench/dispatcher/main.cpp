// Dispatcher benchmark: what one event-loop pass costs as idle connections
// accumulate. A process registers N idle socket notifiers (both ends of N/2
// AF_UNIX socketpairs, never written to) plus one socketpair that ping-pongs
// one byte between its two ends inside the same loop, and reports ping-pong
// round trips per second and CPU time per round trip (getrusage, user+sys).
// Every round trip takes about two loop passes, so CPU per round trip is
// the per-pass cost of the dispatcher with N idle descriptors registered.
//
// Usage:
//   qpush-bench-dispatcher                   run the whole matrix (children)
//   qpush-bench-dispatcher --dispatcher unix|glib|epoll --idle N [--seconds S]
//
// unix  = Qt's QEventDispatcherUNIX (poll(), what QT_NO_GLIB=1 selects)
// glib  = Qt's default QEventDispatcherGlib
// epoll = qpush::eventloop::EpollEventDispatcher
// N counts notifier descriptors, so N = 19000 fits under a 20 000
// open-file cap; it is lowered (and said so) if the cap is smaller.
#include "eventloop/epolldispatcher.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QSocketNotifier>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Options
{
    QByteArray dispatcher; // empty: run the matrix
    int idle = 1000;
    double seconds = 2.0;
};

Options parse(int argc, char **argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        const bool hasValue = i + 1 < argc;
        if (arg == "--dispatcher" && hasValue)
            o.dispatcher = argv[++i];
        else if (arg == "--idle" && hasValue)
            o.idle = std::atoi(argv[++i]);
        else if (arg == "--seconds" && hasValue)
            o.seconds = std::atof(argv[++i]);
        else {
            std::fprintf(stderr,
                         "usage: %s [--dispatcher unix|glib|epoll --idle N [--seconds S]]\n",
                         argv[0]);
            std::exit(2);
        }
    }
    return o;
}

double cpuSeconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int openFileLimit()
{
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : int(rl.rlim_cur);
}

// One measurement, in this process.
int runOne(int argc, char **argv, const Options &o)
{
    if (o.dispatcher == "epoll") {
        QCoreApplication::setEventDispatcher(new qpush::eventloop::EpollEventDispatcher);
    } else if (o.dispatcher == "unix") {
        qputenv("QT_NO_GLIB", "1");
    } else if (o.dispatcher == "glib") {
        qunsetenv("QT_NO_GLIB");
    } else {
        std::fprintf(stderr, "unknown dispatcher %s\n", o.dispatcher.constData());
        return 2;
    }
    QCoreApplication app(argc, argv);
    const char *cls = QAbstractEventDispatcher::instance()->metaObject()->className();

    // Descriptors this process may still open: leave room for the active
    // pair, the dispatcher's own, stdio and Qt's.
    int idle = o.idle & ~1;
    const int room = (openFileLimit() - 64) & ~1;
    if (idle > room) {
        std::fprintf(stderr, "idle lowered from %d to %d (open-file limit)\n", idle, room);
        idle = room;
    }

    std::vector<int> fds;
    std::vector<std::unique_ptr<QSocketNotifier>> idleNotifiers;
    fds.reserve(size_t(idle) + 2);
    idleNotifiers.reserve(size_t(idle));
    for (int i = 0; i < idle / 2; ++i) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
            std::fprintf(stderr, "socketpair: %s after %d pairs\n", std::strerror(errno), i);
            return 1;
        }
        for (int fd : sv) {
            fds.push_back(fd);
            idleNotifiers.push_back(std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read));
        }
    }

    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
        std::perror("socketpair");
        return 1;
    }
    qint64 roundTrips = 0;
    bool measuring = false;
    QSocketNotifier ping(pair[0], QSocketNotifier::Read);
    QSocketNotifier pong(pair[1], QSocketNotifier::Read);
    char byte = 'p';
    QObject::connect(&pong, &QSocketNotifier::activated, &pong, [&] {
        if (::read(pair[1], &byte, 1) == 1 && ::write(pair[1], &byte, 1) != 1)
            std::perror("write");
    });
    QObject::connect(&ping, &QSocketNotifier::activated, &ping, [&] {
        if (::read(pair[0], &byte, 1) != 1)
            return;
        if (measuring)
            ++roundTrips;
        if (::write(pair[0], &byte, 1) != 1)
            std::perror("write");
    });

    QElapsedTimer wall;
    double cpuStart = 0;
    // Warm up for 300 ms, then measure for o.seconds.
    QTimer::singleShot(300, Qt::PreciseTimer, &app, [&] {
        measuring = true;
        roundTrips = 0;
        cpuStart = cpuSeconds();
        wall.start();
        QTimer::singleShot(int(o.seconds * 1000), Qt::PreciseTimer, &app, [&] {
            measuring = false;
            app.quit();
        });
    });
    if (::write(pair[0], &byte, 1) != 1)
        std::perror("write");
    app.exec();

    const double elapsed = double(wall.nsecsElapsed()) / 1e9;
    const double cpu = cpuSeconds() - cpuStart;
    std::printf("dispatcher=%s class=%s idle=%d roundtrips=%lld wall_s=%.3f cpu_s=%.3f "
                "rt_per_s=%.0f cpu_us_per_rt=%.2f\n",
                o.dispatcher.constData(), cls, idle, static_cast<long long>(roundTrips), elapsed,
                cpu, double(roundTrips) / elapsed,
                roundTrips ? cpu * 1e6 / double(roundTrips) : 0.0);
    std::fflush(stdout);

    idleNotifiers.clear();
    for (int fd : fds)
        ::close(fd);
    ping.setEnabled(false);
    pong.setEnabled(false);
    ::close(pair[0]);
    ::close(pair[1]);
    return 0;
}

QByteArray field(const QByteArray &line, const QByteArray &key)
{
    for (const QByteArray &part : line.trimmed().split(' ')) {
        if (part.startsWith(QByteArray(key + '=')))
            return part.mid(key.size() + 1);
    }
    return {};
}

// The matrix: every dispatcher at every N, each in its own process.
int runMatrix(int argc, char **argv, const Options &o)
{
    QCoreApplication app(argc, argv);
    const QString self = QCoreApplication::applicationFilePath();
    std::printf("| idle notifiers | dispatcher | round trips/s | CPU us per round trip |\n"
                "|---:|---|---:|---:|\n");
    for (int idle : {0, 1000, 5000, 19000}) {
        for (const char *name : {"unix", "glib", "epoll"}) {
            QProcess child;
            child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            QStringList args{QStringLiteral("--dispatcher"), QString::fromLatin1(name),
                             QStringLiteral("--idle"),       QString::number(idle),
                             QStringLiteral("--seconds"),    QString::number(o.seconds)};
            child.start(self, args);
            if (!child.waitForFinished(int(o.seconds * 1000) + 60000)) {
                std::printf("| %d | %s | (timed out) | |\n", idle, name);
                child.kill();
                child.waitForFinished(5000);
                continue;
            }
            const QByteArray line = child.readAllStandardOutput();
            std::printf("| %s | %s (%s) | %s | %s |\n", field(line, "idle").constData(), name,
                        field(line, "class").constData(), field(line, "rt_per_s").constData(),
                        field(line, "cpu_us_per_rt").constData());
            std::fflush(stdout);
        }
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    const Options o = parse(argc, argv);
    if (o.dispatcher.isEmpty())
        return runMatrix(argc, argv, o);
    return runOne(argc, argv, o);
}
