// qpush-store-bench: push-shaped writes per second for each store backend.
// One "push" = savePush(): message + report + room counter + minute/hour/day
// counters + 100 Android offline entries, in one batch (one SQLite
// transaction share / one Lua script). Starts its own redis-server processes
// on free loopback ports unless --redis / --cluster name running ones.

#include "store/redis/redisstore.h"
#include "store/sqlite/sqlitestore.h"
#include "support/redisfixture.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace qpush::store;

namespace {

struct Figures
{
    qint64 pushes = 0;
    qint64 failures = 0;
    double seconds = 0;
    QString error;
};

/// Runs the event loop until `cond` holds (checked after every event
/// batch, via a zero-interval-free 5 ms poll timer) or the timeout.
bool waitFor(const std::function<bool()> &cond, int timeoutMs)
{
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (cond())
            loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    poll.start(5);
    if (!cond())
        loop.exec();
    return cond();
}

Figures run(Store &store, double seconds, int inFlight, int offlineEntries)
{
    Figures f;
    bool opened = false;
    std::optional<Error> openError;
    store.open([&](Result<Done> r) {
        opened = true;
        if (!r.ok())
            openError = r.error();
    });
    if (!waitFor([&] { return opened; }, 20000) || openError) {
        f.error = openError ? openError->toString() : QStringLiteral("open timed out");
        return f;
    }
    const QString nsp = QStringLiteral("/bench");
    QStringList offline;
    for (int i = 0; i < offlineEntries; ++i)
        offline << QStringLiteral("/bench#u%1#android-d%1").arg(i);
    PushRecord push;
    push.nsp = nsp;
    push.room = QStringLiteral("bench-room");
    push.pushData = QByteArrayLiteral("{\"title\":\"hello\",\"body\":\"a push-shaped write\"}");
    push.leaveMessage = true;
    push.ttlMs = 3600 * 1000;
    push.onlineClientCount = 100;
    push.offlineClientIds = offline;
    push.offlineLimit = 100;

    QElapsedTimer clock;
    clock.start();
    const qint64 budgetMs = qint64(seconds * 1000);
    int outstanding = 0;
    std::function<void()> next = [&]() {
        if (clock.elapsed() >= budgetMs)
            return;
        ++outstanding;
        push.sendDate = QDateTime::currentMSecsSinceEpoch();
        store.savePush(push, [&](Result<PushSaved> r) {
            --outstanding;
            if (r.ok())
                ++f.pushes;
            else if (++f.failures == 1)
                f.error = r.error().toString();
            next();
        });
    };
    for (int i = 0; i < inFlight; ++i)
        next();
    waitFor([&] { return outstanding == 0 && clock.elapsed() >= budgetMs; }, int(budgetMs) + 60000);
    f.seconds = double(clock.elapsed()) / 1000.0;
    return f;
}

void print(const QString &backend, const Figures &f, int inFlight, int offlineEntries)
{
    if (!f.error.isEmpty() && f.pushes == 0) {
        std::printf("%-14s error: %s\n", qPrintable(backend), qPrintable(f.error));
        return;
    }
    std::printf("%-14s %8.0f pushes/s  (%lld pushes in %.1f s, %d in flight, %d offline entries "
                "each, %lld failures)\n",
                qPrintable(backend), double(f.pushes) / f.seconds, static_cast<long long>(f.pushes),
                f.seconds, inFlight, offlineEntries, static_cast<long long>(f.failures));
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("push-shaped writes per second for each qpush store backend"));
    parser.addHelpOption();
    QCommandLineOption backendOpt(QStringLiteral("backend"),
                                  QStringLiteral("sqlite, redis, cluster or all"),
                                  QStringLiteral("name"), QStringLiteral("all"));
    QCommandLineOption secondsOpt(QStringLiteral("seconds"), QStringLiteral("duration per backend"),
                                  QStringLiteral("s"), QStringLiteral("5"));
    QCommandLineOption inFlightOpt(QStringLiteral("in-flight"), QStringLiteral("concurrent pushes"),
                                   QStringLiteral("n"), QStringLiteral("64"));
    QCommandLineOption offlineOpt(QStringLiteral("offline"),
                                  QStringLiteral("offline entries per push"), QStringLiteral("n"),
                                  QStringLiteral("100"));
    QCommandLineOption syncOpt(QStringLiteral("sqlite-synchronous"),
                               QStringLiteral("FULL or NORMAL"), QStringLiteral("mode"),
                               QStringLiteral("FULL"));
    QCommandLineOption redisOpt(QStringLiteral("redis"),
                                QStringLiteral("use a running redis (host:port)"),
                                QStringLiteral("addr"));
    QCommandLineOption clusterOpt(QStringLiteral("cluster"),
                                  QStringLiteral("use a running cluster (host:port,...)"),
                                  QStringLiteral("addrs"));
    parser.addOptions(
        {backendOpt, secondsOpt, inFlightOpt, offlineOpt, syncOpt, redisOpt, clusterOpt});
    parser.process(app);
    const QString which = parser.value(backendOpt);
    const double seconds = parser.value(secondsOpt).toDouble();
    const int inFlight = std::max(1, parser.value(inFlightOpt).toInt());
    const int offline = std::max(0, parser.value(offlineOpt).toInt());
    auto wants = [&](const char *b) { return which == u"all" || which == QLatin1StringView(b); };

    QTemporaryDir dir;
    if (wants("sqlite")) {
        SqliteOptions o;
        o.path = dir.path() + QStringLiteral("/bench.db");
        o.synchronous = parser.value(syncOpt);
        SqliteStore s(o);
        print(QStringLiteral("sqlite/") + o.synchronous, run(s, seconds, inFlight, offline),
              inFlight, offline);
    }
    if (wants("redis")) {
        std::unique_ptr<qpush::test::RedisServer> server;
        QString address = parser.value(redisOpt);
        if (address.isEmpty()) {
            server = std::make_unique<qpush::test::RedisServer>(dir.path(), false);
            if (!server->start()) {
                std::printf("redis: %s\n", qPrintable(server->error()));
                return 1;
            }
            address = server->address();
        }
        RedisOptions o;
        o.addresses = {address};
        o.prefix = QStringLiteral("bench_");
        RedisStore s(o);
        print(QStringLiteral("redis"), run(s, seconds, inFlight, offline), inFlight, offline);
    }
    if (wants("cluster")) {
        std::unique_ptr<qpush::test::RedisCluster> cluster;
        QStringList addresses = parser.value(clusterOpt).split(u',', Qt::SkipEmptyParts);
        if (addresses.isEmpty()) {
            cluster = std::make_unique<qpush::test::RedisCluster>(3);
            if (!cluster->start()) {
                std::printf("cluster: %s\n", qPrintable(cluster->error()));
                return 1;
            }
            addresses = cluster->addresses();
        }
        RedisOptions o;
        o.addresses = addresses;
        o.cluster = true;
        o.prefix = QStringLiteral("bench_");
        RedisStore s(o);
        print(QStringLiteral("redis-cluster"), run(s, seconds, inFlight, offline), inFlight,
              offline);
    }
    return 0;
}
