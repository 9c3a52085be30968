// EpollEventDispatcher runs this whole test: main() installs it for the main
// thread before QCoreApplication exists, so QTest's own waiting, QTcpSocket,
// QLocalSocket and QTimer all go through it.
#include "eventloop/epolldispatcher.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <atomic>
#include <functional>
#include <memory>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using qpush::eventloop::EpollEventDispatcher;

namespace {

// Both ends of an AF_UNIX socketpair, non-blocking, closed on destruction.
struct SocketPair
{
    int fd[2] = {-1, -1};
    SocketPair() { socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd); }
    ~SocketPair() { closeBoth(); }
    SocketPair(const SocketPair &) = delete;
    SocketPair &operator=(const SocketPair &) = delete;
    void closeBoth()
    {
        for (int &f : fd) {
            if (f >= 0)
                ::close(f);
            f = -1;
        }
    }
    bool isValid() const { return fd[0] >= 0 && fd[1] >= 0; }
    bool send(int end, QByteArrayView bytes) const
    {
        return ::write(fd[end], bytes.data(), size_t(bytes.size())) == bytes.size();
    }
    qsizetype drain(int end) const
    {
        char buf[4096];
        qsizetype total = 0;
        for (;;) {
            const ssize_t n = ::read(fd[end], buf, sizeof buf);
            if (n <= 0)
                return total;
            total += n;
        }
    }
};

EpollEventDispatcher *dispatcher()
{
    return qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
}

// One dispatcher pass per call, without blocking.
void pump(int passes, QEventLoop::ProcessEventsFlags flags = QEventLoop::AllEvents)
{
    for (int i = 0; i < passes; ++i)
        QCoreApplication::processEvents(flags);
}

// Calls `fn` from another thread after `delayMs`.
std::unique_ptr<QThread> later(int delayMs, std::function<void()> fn)
{
    std::unique_ptr<QThread> t(QThread::create([delayMs, fn = std::move(fn)] {
        QThread::msleep(ulong(delayMs));
        fn();
    }));
    t->start();
    return t;
}

class TimerTarget : public QObject
{
public:
    std::function<void(int)> onTimer;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        if (onTimer)
            onTimer(event->timerId());
    }
};

class PostTarget : public QObject
{
public:
    static QEvent::Type type()
    {
        static const auto t = QEvent::Type(QEvent::registerEventType());
        return t;
    }
    std::function<void()> onEvent;
    int received = 0;

protected:
    bool event(QEvent *e) override
    {
        if (e->type() != type())
            return QObject::event(e);
        ++received;
        if (onEvent)
            onEvent();
        return true;
    }
};

qint64 nowNs()
{
    static QElapsedTimer clock;
    if (!clock.isValid())
        clock.start();
    return clock.nsecsElapsed();
}

} // namespace

class tst_EpollDispatcher : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();

    // socket notifiers
    void readNotifier();
    void readNotifierIsLevelTriggered();
    void writeNotifier();
    void enableDisable();
    void readAndWriteOnOneDescriptor();
    void deleteNotifierInsideItsActivation();
    void deleteOtherNotifierReadyInSamePass();
    void exceptionNotifier();
    void descriptorNumberReused();
    void descriptorClosedBeforeNotifier();
    void regularFileIsAlwaysReady();

    // timers
    void singleShot_data();
    void singleShot();
    void intervalAccuracy();
    void noBurstAfterStall();
    void preciseOrdering();
    void zeroTimerFiresOncePerPass();
    void zeroSingleShot();
    void zeroTimerDoesNotStarveSockets();
    void killTimerInsideCallback();
    void manyTimers();
    void timerIntrospection();
    void timersOfDeletedObject();

    // processEvents flags and wake-ups
    void excludeSocketNotifiersLeavesEventsPending();
    void excludeSocketNotifiersWaitDoesNotSpin();
    void excludeTimers();
    void waitForMoreEventsReturnsOnWakeUp();
    void waitForMoreEventsReturnsOnInterrupt();
    void waitForMoreEventsWakesForTimer();
    void aboutToBlockAndAwake();
    void crossThreadInvokeWakesBlockedLoop();
    void quitFromAnotherThread();

    // posted events
    void postedEvents();
    void postedEventChain();
    void deleteLater();

    // Qt's own I/O classes on the dispatcher
    void tcpEndToEnd();
    void localSocketEndToEnd();
    void workerThreadWithOwnDispatcher();
    void moveTimerObjectToWorkerThread();
};

void tst_EpollDispatcher::initTestCase()
{
    QVERIFY2(dispatcher(), "main() did not install EpollEventDispatcher");
    QVERIFY(qobject_cast<EpollEventDispatcher *>(
        QAbstractEventDispatcher::instance(QCoreApplication::instance()->thread())));
}

// ---- socket notifiers --------------------------------------------------------

void tst_EpollDispatcher::readNotifier()
{
    SocketPair p;
    QVERIFY(p.isValid());
    QSocketNotifier n(p.fd[0], QSocketNotifier::Read);
    int count = 0;
    bool eof = false;
    QByteArray got;
    connect(&n, &QSocketNotifier::activated, this,
            [&](QSocketDescriptor socket, QSocketNotifier::Type type) {
                QCOMPARE(int(socket), p.fd[0]);
                QCOMPARE(type, QSocketNotifier::Read);
                ++count;
                char buf[64];
                ssize_t r;
                while ((r = ::read(p.fd[0], buf, sizeof buf)) > 0)
                    got.append(buf, r);
                if (r == 0) {
                    eof = true;
                    n.setEnabled(false);
                }
            });
    pump(3);
    QCOMPARE(count, 0);
    QVERIFY(p.send(1, "hello"));
    QTRY_COMPARE(count, 1);
    QCOMPARE(got, QByteArrayLiteral("hello"));
    pump(5);
    QCOMPARE(count, 1); // drained: no further activation

    // Peer hang-up activates the read notifier (EOF), as with poll().
    ::close(p.fd[1]);
    p.fd[1] = -1;
    QTRY_VERIFY(eof);
    QCOMPARE(count, 2);
}

void tst_EpollDispatcher::readNotifierIsLevelTriggered()
{
    SocketPair p;
    QSocketNotifier n(p.fd[0], QSocketNotifier::Read);
    int count = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] { ++count; });
    QVERIFY(p.send(1, "x"));
    pump(1);
    QCOMPARE(count, 1);
    pump(3); // not read: every pass activates it again, once
    QCOMPARE(count, 4);
    p.drain(0);
    pump(3);
    QCOMPARE(count, 4);
}

void tst_EpollDispatcher::writeNotifier()
{
    SocketPair p;
    QSocketNotifier n(p.fd[0], QSocketNotifier::Write);
    int count = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] { ++count; });
    pump(1);
    QCOMPARE(count, 1); // a fresh socket is writable

    // Fill the send buffer: no longer writable.
    const QByteArray chunk(4096, 'w');
    while (::write(p.fd[0], chunk.constData(), size_t(chunk.size())) > 0) {
    }
    QCOMPARE(errno, EAGAIN);
    count = 0;
    pump(3);
    QCOMPARE(count, 0);

    // The peer reads: writable again.
    QVERIFY(p.drain(1) > 0);
    QTRY_VERIFY(count > 0);
}

void tst_EpollDispatcher::enableDisable()
{
    SocketPair p;
    const qsizetype base = dispatcher()->registeredSocketCount();
    QSocketNotifier n(p.fd[0], QSocketNotifier::Read);
    QCOMPARE(dispatcher()->registeredSocketCount(), base + 1);
    int count = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] { ++count; });
    QVERIFY(p.send(1, "x"));
    n.setEnabled(false);
    QCOMPARE(dispatcher()->registeredSocketCount(), base);
    pump(3);
    QCOMPARE(count, 0);
    n.setEnabled(true);
    QCOMPARE(dispatcher()->registeredSocketCount(), base + 1);
    pump(1);
    QCOMPARE(count, 1);

    // Disabled inside its own activation: no more events.
    connect(&n, &QSocketNotifier::activated, this, [&] { n.setEnabled(false); });
    pump(3);
    QCOMPARE(count, 2);
    QCOMPARE(dispatcher()->registeredSocketCount(), base);
}

void tst_EpollDispatcher::readAndWriteOnOneDescriptor()
{
    SocketPair p;
    const qsizetype base = dispatcher()->registeredSocketCount();
    auto r = std::make_unique<QSocketNotifier>(p.fd[0], QSocketNotifier::Read);
    QSocketNotifier w(p.fd[0], QSocketNotifier::Write);
    QCOMPARE(dispatcher()->registeredSocketCount(), base + 1); // one descriptor
    int reads = 0, writes = 0;
    connect(r.get(), &QSocketNotifier::activated, this, [&] { ++reads; });
    connect(&w, &QSocketNotifier::activated, this, [&] { ++writes; });

    pump(1);
    QCOMPARE(reads, 0);
    QCOMPARE(writes, 1);

    QVERIFY(p.send(1, "x"));
    pump(1);
    QCOMPARE(reads, 1);
    QCOMPARE(writes, 2);

    w.setEnabled(false); // epoll MOD to read only
    pump(1);
    QCOMPARE(reads, 2);
    QCOMPARE(writes, 2);

    w.setEnabled(true);
    r.reset(); // MOD to write only
    QCOMPARE(dispatcher()->registeredSocketCount(), base + 1);
    pump(1);
    QCOMPARE(reads, 2);
    QCOMPARE(writes, 3);

    w.setEnabled(false);
    QCOMPARE(dispatcher()->registeredSocketCount(), base);
}

void tst_EpollDispatcher::deleteNotifierInsideItsActivation()
{
    SocketPair p;
    const qsizetype base = dispatcher()->registeredSocketCount();
    auto r = std::make_unique<QSocketNotifier>(p.fd[0], QSocketNotifier::Read);
    auto w = std::make_unique<QSocketNotifier>(p.fd[0], QSocketNotifier::Write);
    int reads = 0, writes = 0;
    // Read and write are both ready in the same pass; the read notifier is
    // delivered first and deletes both.
    connect(r.get(), &QSocketNotifier::activated, this, [&] {
        ++reads;
        w.reset();
        r.reset();
    });
    connect(w.get(), &QSocketNotifier::activated, this, [&] { ++writes; });
    QVERIFY(p.send(1, "x"));
    pump(3);
    QCOMPARE(reads, 1);
    QCOMPARE(writes, 0);
    QVERIFY(!r && !w);
    QCOMPARE(dispatcher()->registeredSocketCount(), base);

    // Deleted with deleteLater from inside the activation.
    QPointer<QSocketNotifier> later = new QSocketNotifier(p.fd[0], QSocketNotifier::Read, this);
    int count = 0;
    connect(later, &QSocketNotifier::activated, this, [&] {
        ++count;
        later->setEnabled(false);
        later->deleteLater();
    });
    QTRY_VERIFY(later.isNull());
    QCOMPARE(count, 1);
}

void tst_EpollDispatcher::deleteOtherNotifierReadyInSamePass()
{
    // Two descriptors ready in the same epoll_wait; whichever is delivered
    // first deletes the other, which must then not be delivered.
    for (int round = 0; round < 20; ++round) {
        SocketPair a, b;
        std::unique_ptr<QSocketNotifier> na(new QSocketNotifier(a.fd[0], QSocketNotifier::Read));
        std::unique_ptr<QSocketNotifier> nb(new QSocketNotifier(b.fd[0], QSocketNotifier::Read));
        int activations = 0;
        connect(na.get(), &QSocketNotifier::activated, this, [&] {
            ++activations;
            nb.reset();
        });
        connect(nb.get(), &QSocketNotifier::activated, this, [&] {
            ++activations;
            na.reset();
        });
        QVERIFY(a.send(1, "x"));
        QVERIFY(b.send(1, "x"));
        pump(1);
        QCOMPARE(activations, 1);
        QVERIFY(bool(na) != bool(nb));
    }
}

void tst_EpollDispatcher::exceptionNotifier()
{
    // TCP urgent data is what POLLPRI/EPOLLPRI reports.
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QVERIFY(listener >= 0);
    auto closeListener = qScopeGuard([&] { ::close(listener); });
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::bind(listener, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
    QCOMPARE(::listen(listener, 1), 0);
    socklen_t len = sizeof addr;
    QCOMPARE(::getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &len), 0);
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto closeClient = qScopeGuard([&] { ::close(client); });
    QCOMPARE(::connect(client, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
    const int server = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    QVERIFY(server >= 0);
    auto closeServer = qScopeGuard([&] { ::close(server); });

    QSocketNotifier ex(server, QSocketNotifier::Exception);
    QSocketNotifier rd(server, QSocketNotifier::Read);
    int exceptions = 0;
    char oob = 0;
    connect(&ex, &QSocketNotifier::activated, this, [&] {
        ++exceptions;
        ::recv(server, &oob, 1, MSG_OOB); // clears the urgent mark
    });
    connect(&rd, &QSocketNotifier::activated, this, [&] {
        char buf[16];
        while (::recv(server, buf, sizeof buf, 0) > 0) {
        }
    });
    pump(3);
    QCOMPARE(exceptions, 0);
    QCOMPARE(::send(client, "!", 1, MSG_OOB), ssize_t(1));
    QTRY_VERIFY(exceptions >= 1);
    QCOMPARE(oob, '!');
    const int seen = exceptions;
    pump(3);
    QCOMPARE(exceptions, seen);
}

void tst_EpollDispatcher::descriptorNumberReused()
{
    auto p1 = std::make_unique<SocketPair>();
    const int number = p1->fd[0];
    {
        QSocketNotifier n(p1->fd[0], QSocketNotifier::Read);
        pump(1);
    }
    p1.reset();
    SocketPair p2; // the kernel hands out the lowest free numbers again
    QCOMPARE(p2.fd[0], number);
    QSocketNotifier n(p2.fd[0], QSocketNotifier::Read);
    int count = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] {
        ++count;
        p2.drain(0);
    });
    QVERIFY(p2.send(1, "x"));
    QTRY_COMPARE(count, 1);
}

void tst_EpollDispatcher::descriptorClosedBeforeNotifier()
{
    // Misuse Qt tolerates: the descriptor is closed while its notifier is
    // still enabled. Nothing may crash, and the number works when reused.
    const qsizetype base = dispatcher()->registeredSocketCount();
    auto p1 = std::make_unique<SocketPair>();
    const int number = p1->fd[0];
    auto stale = std::make_unique<QSocketNotifier>(p1->fd[0], QSocketNotifier::Read);
    p1->closeBoth();
    pump(2);
    stale.reset(); // epoll_ctl(DEL) on a closed descriptor
    QCOMPARE(dispatcher()->registeredSocketCount(), base);

    SocketPair p2;
    QCOMPARE(p2.fd[0], number);
    QSocketNotifier n(p2.fd[0], QSocketNotifier::Read);
    int count = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] {
        ++count;
        p2.drain(0);
    });
    QVERIFY(p2.send(1, "x"));
    QTRY_COMPARE(count, 1);

    // Closed and reopened under the same number while a notifier stays
    // registered (the kernel dropped the old registration: MOD gives ENOENT).
    auto p3 = std::make_unique<SocketPair>();
    const int n3 = p3->fd[0];
    QSocketNotifier w3(n3, QSocketNotifier::Write);
    p3->closeBoth();
    SocketPair p4;
    QCOMPARE(p4.fd[0], n3);
    QSocketNotifier r4(p4.fd[0], QSocketNotifier::Read); // MOD on the old entry
    int reads = 0;
    connect(&r4, &QSocketNotifier::activated, this, [&] {
        ++reads;
        p4.drain(0);
    });
    QVERIFY(p4.send(1, "x"));
    QTRY_VERIFY(reads >= 1);
}

void tst_EpollDispatcher::regularFileIsAlwaysReady()
{
    // epoll refuses regular files (EPERM); poll() reports them always ready.
    QTemporaryFile file;
    QVERIFY(file.open());
    QSocketNotifier n(file.handle(), QSocketNotifier::Read);
    int count = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] { ++count; });
    pump(2);
    QCOMPARE(count, 2);

    // ... and a waiting pass does not block on it.
    QElapsedTimer t;
    t.start();
    QTimer safety;
    safety.start(5000);
    dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    QVERIFY2(t.elapsed() < 2000, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(count, 3);
    n.setEnabled(false);
    pump(1);
    QCOMPARE(count, 3);
}

// ---- timers ------------------------------------------------------------------

void tst_EpollDispatcher::singleShot_data()
{
    QTest::addColumn<Qt::TimerType>("type");
    QTest::addColumn<int>("interval");
    QTest::addColumn<int>("earliest"); // what the type allows
    QTest::newRow("precise 30") << Qt::PreciseTimer << 30 << 30;
    QTest::newRow("precise 1") << Qt::PreciseTimer << 1 << 1;
    QTest::newRow("coarse 15") << Qt::CoarseTimer << 15 << 15;
    QTest::newRow("coarse 100") << Qt::CoarseTimer << 100 << 95;
    QTest::newRow("coarse 700") << Qt::CoarseTimer << 700 << 665;
    QTest::newRow("very coarse 1000") << Qt::VeryCoarseTimer << 1000 << 500;
}

void tst_EpollDispatcher::singleShot()
{
    QFETCH(Qt::TimerType, type);
    QFETCH(int, interval);
    QFETCH(int, earliest);
    QElapsedTimer t;
    int count = 0;
    qint64 firedAt = -1;
    t.start();
    QTimer::singleShot(interval, type, this, [&] {
        ++count;
        firedAt = t.elapsed();
    });
    QTRY_COMPARE_WITH_TIMEOUT(count, 1, interval + 5000);
    QVERIFY2(firedAt >= earliest, qPrintable(QString::number(firedAt)));
    QTest::qWait(std::min(interval * 2, 1500));
    QCOMPARE(count, 1);

    // The same through QObject::startTimer, with the type reported back.
    TimerTarget target;
    int id = 0;
    int fired = 0;
    target.onTimer = [&](int timerId) {
        QCOMPARE(timerId, id);
        ++fired;
        target.killTimer(timerId);
    };
    id = target.startTimer(interval, type);
    QVERIFY(id > 0);
    const auto infos = dispatcher()->registeredTimers(&target);
    QCOMPARE(infos.size(), 1);
    QCOMPARE(infos.first().timerId, id);
    QCOMPARE(infos.first().interval, interval);
    QCOMPARE(infos.first().timerType, type);
    QTRY_COMPARE_WITH_TIMEOUT(fired, 1, interval + 5000);
    QVERIFY(dispatcher()->registeredTimers(&target).isEmpty());
}

void tst_EpollDispatcher::intervalAccuracy()
{
    constexpr int interval = 20;
    constexpr int wanted = 20;
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(interval);
    QElapsedTimer t;
    int count = 0;
    qint64 lastAt = 0;
    connect(&timer, &QTimer::timeout, this, [&] {
        if (++count == wanted) {
            lastAt = t.elapsed();
            timer.stop();
        }
    });
    t.start();
    timer.start();
    QTRY_COMPARE_WITH_TIMEOUT(count, wanted, 10000);
    // Re-armed from the schedule, never early: the 20th tick is at >= 400 ms;
    // the upper bound only guards against gross drift on a loaded machine.
    QVERIFY2(lastAt >= interval * wanted, qPrintable(QString::number(lastAt)));
    QVERIFY2(lastAt < interval * wanted + 2000, qPrintable(QString::number(lastAt)));
    QTest::qWait(3 * interval);
    QCOMPARE(count, wanted);
}

void tst_EpollDispatcher::noBurstAfterStall()
{
    // A callback that blocks for five intervals: the timer fires once late,
    // then resumes one interval later instead of firing the missed ticks.
    constexpr qint64 interval = 20;
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(int(interval));
    QList<qint64> at; // ms
    qint64 stallEnd = 0;
    QElapsedTimer t;
    connect(&timer, &QTimer::timeout, this, [&] {
        at << t.elapsed();
        if (at.size() == 3) {
            QThread::msleep(5 * interval + 10);
            stallEnd = t.elapsed();
        }
        if (at.size() == 8)
            timer.stop();
    });
    t.start();
    timer.start();
    QTRY_COMPARE_WITH_TIMEOUT(at.size(), 8, 10000);
    // Index 3 is the late tick; index 4 comes a full interval after it.
    const qint64 burst = std::count_if(at.begin(), at.end(), [&](qint64 ms) {
        return ms >= stallEnd && ms < stallEnd + interval / 2;
    });
    QVERIFY2(burst <= 1, qPrintable(QString::number(burst)));
    QVERIFY2(at[4] - at[3] >= interval / 2,
             qPrintable(QStringLiteral("%1 %2").arg(at[3]).arg(at[4])));
}

void tst_EpollDispatcher::preciseOrdering()
{
    QList<int> order;
    for (int ms : {50, 10, 40, 20, 30})
        QTimer::singleShot(ms, Qt::PreciseTimer, this, [&order, ms] { order << ms; });
    // Equal intervals fire in the order they were started.
    for (int i = 0; i < 5; ++i)
        QTimer::singleShot(60, Qt::PreciseTimer, this, [&order, i] { order << 100 + i; });
    QTRY_COMPARE(order.size(), 10);
    QCOMPARE(order, (QList<int>{10, 20, 30, 40, 50, 100, 101, 102, 103, 104}));
}

void tst_EpollDispatcher::zeroTimerFiresOncePerPass()
{
    QTimer timer;
    timer.setInterval(0);
    int count = 0;
    connect(&timer, &QTimer::timeout, this, [&] { ++count; });
    timer.start();
    pump(10);
    QCOMPARE(count, 10);

    // A zero timer started from a zero timer's callback waits for the next pass.
    int inner = 0;
    TimerTarget target;
    target.onTimer = [&](int id) {
        target.killTimer(id);
        if (inner++ == 0)
            target.startTimer(0);
    };
    target.startTimer(0);
    pump(1);
    QCOMPARE(inner, 1);
    pump(1);
    QCOMPARE(inner, 2);
    pump(2);
    QCOMPARE(inner, 2);
}

void tst_EpollDispatcher::zeroSingleShot()
{
    QTimer timer;
    timer.setSingleShot(true);
    timer.setInterval(0);
    int count = 0;
    connect(&timer, &QTimer::timeout, this, [&] { ++count; });
    timer.start();
    pump(1);
    QCOMPARE(count, 1);
    pump(3);
    QCOMPARE(count, 1);

    int posted = 0;
    QTimer::singleShot(0, this, [&] { ++posted; });
    pump(1);
    QCOMPARE(posted, 1);
}

void tst_EpollDispatcher::zeroTimerDoesNotStarveSockets()
{
    QTimer timer;
    timer.setInterval(0);
    int ticks = 0;
    connect(&timer, &QTimer::timeout, this, [&] { ++ticks; });
    timer.start();
    SocketPair p;
    QSocketNotifier n(p.fd[0], QSocketNotifier::Read);
    int reads = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] {
        ++reads;
        p.drain(0);
    });
    QVERIFY(p.send(1, "x"));
    pump(1);
    QCOMPARE(reads, 1);
    QCOMPARE(ticks, 1);
    // And a waiting pass with a zero timer does not block.
    QElapsedTimer t;
    t.start();
    QVERIFY(dispatcher()->processEvents(QEventLoop::WaitForMoreEvents));
    QVERIFY(t.elapsed() < 2000);
    QCOMPARE(ticks, 2);
}

void tst_EpollDispatcher::killTimerInsideCallback()
{
    // Two timers due in the same pass; the first delivered kills both.
    TimerTarget target;
    int a = 0, b = 0;
    int fired = 0;
    target.onTimer = [&](int) {
        ++fired;
        target.killTimer(a);
        target.killTimer(b);
    };
    a = target.startTimer(5, Qt::PreciseTimer);
    b = target.startTimer(5, Qt::PreciseTimer);
    QThread::msleep(10); // both due before the next pass
    pump(1);
    QCOMPARE(fired, 1);
    QTest::qWait(30);
    QCOMPARE(fired, 1);
    QVERIFY(dispatcher()->registeredTimers(&target).isEmpty());

    // An interval timer that kills itself on its third tick and starts a
    // new one, which keeps going.
    TimerTarget other;
    int first = 0, second = 0, ticksFirst = 0, ticksSecond = 0;
    other.onTimer = [&](int id) {
        if (id == first && ++ticksFirst == 3) {
            other.killTimer(first);
            first = -1;
            second = other.startTimer(5, Qt::PreciseTimer); // may reuse the id
        } else if (id == second) {
            if (++ticksSecond == 3)
                other.killTimer(second);
        }
    };
    first = other.startTimer(5, Qt::PreciseTimer);
    QTRY_COMPARE(ticksSecond, 3);
    QTest::qWait(30);
    QCOMPARE(ticksFirst, 3);
    QCOMPARE(ticksSecond, 3);
    QCOMPARE(dispatcher()->remainingTime(second), -1);
}

void tst_EpollDispatcher::manyTimers()
{
    constexpr int count = 5000;
    const qsizetype base = dispatcher()->registeredTimerCount();
    TimerTarget target;
    QHash<int, qint64> dueNs; // id -> earliest allowed firing (ns since clock start)
    QHash<int, int> fired;
    QList<qint64> fireOrderDue;
    qint64 lastPreciseDue = 0;
    bool outOfOrder = false;
    QSet<int> precise;
    QRandomGenerator rng(20240601);
    const Qt::TimerType types[] = {Qt::PreciseTimer, Qt::CoarseTimer, Qt::VeryCoarseTimer};
    bool early = false;
    target.onTimer = [&](int id) {
        ++fired[id];
        if (nowNs() < dueNs.value(id))
            early = true;
        fireOrderDue << dueNs.value(id);
        if (precise.contains(id)) {
            // Deadline order, with slack for when `start` was measured.
            if (dueNs.value(id) + 1000000 < lastPreciseDue)
                outOfOrder = true;
            lastPreciseDue = std::max(lastPreciseDue, dueNs.value(id));
        }
        target.killTimer(id);
    };
    for (int i = 0; i < count; ++i) {
        const int ms = 1 + int(rng.bounded(300));
        const Qt::TimerType type = types[i % 3];
        const qint64 start = nowNs();
        const int id = target.startTimer(ms, type);
        QVERIFY(id > 0);
        // Coarse timers may fire 5% early under Qt's contract (this
        // dispatcher only delays them); very coarse ones under 500 ms are
        // coarse, too.
        const qint64 allowedNs =
            type == Qt::PreciseTimer ? qint64(ms) * 1000000 : qint64(ms) * 950000;
        dueNs.insert(id, start + allowedNs);
        if (type == Qt::PreciseTimer)
            precise.insert(id);
    }
    QCOMPARE(dispatcher()->registeredTimerCount(), base + count);
    QTRY_COMPARE_WITH_TIMEOUT(fireOrderDue.size(), count, 15000);
    QVERIFY(!early);
    QVERIFY(!outOfOrder);
    for (auto it = fired.cbegin(); it != fired.cend(); ++it)
        QCOMPARE(it.value(), 1);
    QCOMPARE(fired.size(), count);
    QCOMPARE(dispatcher()->registeredTimerCount(), base);
}

void tst_EpollDispatcher::timerIntrospection()
{
    TimerTarget target;
    target.onTimer = [](int) {};
    const int precise = target.startTimer(500, Qt::PreciseTimer);
    const int coarse = target.startTimer(3000, Qt::CoarseTimer);
    const int veryCoarse = target.startTimer(5000, Qt::VeryCoarseTimer);
    auto infos = dispatcher()->registeredTimers(&target);
    QCOMPARE(infos.size(), 3);
    std::sort(infos.begin(), infos.end(),
              [](const auto &a, const auto &b) { return a.interval < b.interval; });
    QCOMPARE(infos[0].timerId, precise);
    QCOMPARE(infos[0].timerType, Qt::PreciseTimer);
    QCOMPARE(infos[1].timerId, coarse);
    QCOMPARE(infos[1].interval, 3000);
    QCOMPARE(infos[1].timerType, Qt::CoarseTimer);
    QCOMPARE(infos[2].timerId, veryCoarse);
    QCOMPARE(infos[2].timerType, Qt::VeryCoarseTimer);

    const int left = dispatcher()->remainingTime(precise);
    QVERIFY2(left > 300 && left <= 500, qPrintable(QString::number(left)));
    const int leftCoarse = dispatcher()->remainingTime(coarse);
    QVERIFY2(leftCoarse > 2500 && leftCoarse <= 3150, qPrintable(QString::number(leftCoarse)));
    const int leftVery = dispatcher()->remainingTime(veryCoarse);
    QVERIFY2(leftVery > 4000 && leftVery <= 5500, qPrintable(QString::number(leftVery)));
    QCOMPARE(dispatcher()->remainingTime(123456789), -1);

    QTimer qtimer;
    qtimer.setTimerType(Qt::PreciseTimer);
    qtimer.start(800);
    QVERIFY(qtimer.remainingTime() > 600 && qtimer.remainingTime() <= 800);

    target.killTimer(coarse);
    QCOMPARE(dispatcher()->registeredTimers(&target).size(), 2);
    QCOMPARE(dispatcher()->remainingTime(coarse), -1);
    QVERIFY(dispatcher()->registeredTimers(this).isEmpty());
}

void tst_EpollDispatcher::timersOfDeletedObject()
{
    const qsizetype base = dispatcher()->registeredTimerCount();
    int fired = 0;
    {
        TimerTarget target;
        target.onTimer = [&](int) { ++fired; };
        for (int i = 0; i < 10; ++i)
            target.startTimer(10 + i, Qt::PreciseTimer);
        QCOMPARE(dispatcher()->registeredTimerCount(), base + 10);
    } // ~QObject: unregisterTimers(this)
    QCOMPARE(dispatcher()->registeredTimerCount(), base);
    QTest::qWait(60);
    QCOMPARE(fired, 0);

    // An object deleting itself from its own timer event.
    auto *self = new TimerTarget;
    QPointer<QObject> guard(self);
    int ticks = 0;
    self->onTimer = [&](int) {
        ++ticks;
        delete self; // the dispatcher must not touch the timer afterwards
    };
    self->startTimer(1, Qt::PreciseTimer);
    self->startTimer(1, Qt::PreciseTimer);
    QTRY_VERIFY(guard.isNull());
    QTest::qWait(20);
    QCOMPARE(ticks, 1);
    QCOMPARE(dispatcher()->registeredTimerCount(), base);
}

// ---- processEvents flags and wake-ups ------------------------------------------

void tst_EpollDispatcher::excludeSocketNotifiersLeavesEventsPending()
{
    SocketPair p;
    QSocketNotifier n(p.fd[0], QSocketNotifier::Read);
    int count = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] {
        ++count;
        p.drain(0);
    });
    QVERIFY(p.send(1, "x"));
    pump(3, QEventLoop::ExcludeSocketNotifiers);
    QCOMPARE(count, 0);
    pump(1);
    QCOMPARE(count, 1);
}

void tst_EpollDispatcher::excludeSocketNotifiersWaitDoesNotSpin()
{
    // With a ready socket excluded, a waiting pass must still sleep until a
    // wake-up, not return at once because the socket is ready.
    SocketPair p;
    QSocketNotifier n(p.fd[0], QSocketNotifier::Read);
    int count = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] { ++count; });
    QVERIFY(p.send(1, "x"));
    QTimer safety;
    safety.start(5000);
    QElapsedTimer t;
    t.start();
    EpollEventDispatcher *d = dispatcher();
    auto realWaker = later(150, [d] { d->wakeUp(); });
    d->processEvents(QEventLoop::ExcludeSocketNotifiers | QEventLoop::WaitForMoreEvents);
    const qint64 elapsed = t.elapsed();
    realWaker->wait();
    QVERIFY2(elapsed >= 100 && elapsed < 4000, qPrintable(QString::number(elapsed)));
    QCOMPARE(count, 0);
    pump(1);
    QCOMPARE(count, 1);
    p.drain(0);
}

void tst_EpollDispatcher::excludeTimers()
{
    int count = 0;
    QTimer timer;
    timer.setInterval(0);
    connect(&timer, &QTimer::timeout, this, [&] { ++count; });
    timer.start();
    pump(3, QEventLoop::X11ExcludeTimers);
    QCOMPARE(count, 0);
    pump(1);
    QCOMPARE(count, 1);
}

void tst_EpollDispatcher::waitForMoreEventsReturnsOnWakeUp()
{
    EpollEventDispatcher *d = dispatcher();
    QTimer safety;
    safety.start(5000);
    QElapsedTimer t;
    t.start();
    auto waker = later(100, [d] { d->wakeUp(); });
    d->processEvents(QEventLoop::WaitForMoreEvents);
    const qint64 elapsed = t.elapsed();
    waker->wait();
    QVERIFY2(elapsed >= 50 && elapsed < 4000, qPrintable(QString::number(elapsed)));

    // A wake-up that came before the wait is not lost.
    d->wakeUp();
    t.restart();
    d->processEvents(QEventLoop::WaitForMoreEvents);
    QVERIFY(t.elapsed() < 4000);
}

void tst_EpollDispatcher::waitForMoreEventsReturnsOnInterrupt()
{
    EpollEventDispatcher *d = dispatcher();
    QTimer safety;
    safety.start(5000);
    QElapsedTimer t;
    t.start();
    auto waker = later(100, [d] { d->interrupt(); });
    d->processEvents(QEventLoop::WaitForMoreEvents);
    const qint64 elapsed = t.elapsed();
    waker->wait();
    QVERIFY2(elapsed >= 50 && elapsed < 4000, qPrintable(QString::number(elapsed)));
}

void tst_EpollDispatcher::waitForMoreEventsWakesForTimer()
{
    EpollEventDispatcher *d = dispatcher();
    bool fired = false;
    QElapsedTimer t;
    t.start();
    QTimer::singleShot(60, Qt::PreciseTimer, this, [&] { fired = true; });
    QTimer safety;
    safety.start(5000);
    while (!fired && t.elapsed() < 5000)
        d->processEvents(QEventLoop::WaitForMoreEvents);
    QVERIFY(fired);
    QVERIFY2(t.elapsed() >= 60 && t.elapsed() < 4000, qPrintable(QString::number(t.elapsed())));
}

void tst_EpollDispatcher::aboutToBlockAndAwake()
{
    EpollEventDispatcher *d = dispatcher();
    QSignalSpy aboutToBlock(d, &QAbstractEventDispatcher::aboutToBlock);
    QSignalSpy awake(d, &QAbstractEventDispatcher::awake);
    d->processEvents(QEventLoop::AllEvents);
    QCOMPARE(aboutToBlock.size(), 0);
    QCOMPARE(awake.size(), 1);
    d->wakeUp();
    d->processEvents(QEventLoop::WaitForMoreEvents);
    QCOMPARE(aboutToBlock.size(), 1);
    QCOMPARE(awake.size(), 2);
}

void tst_EpollDispatcher::crossThreadInvokeWakesBlockedLoop()
{
    // The loop blocks in epoll_wait with no timer due; a queued call from
    // another thread must wake it at once. Many rounds with varied timing
    // look for a lost wake-up (it would show as the 5 s safety exit).
    QObject context;
    QRandomGenerator rng(7);
    qint64 worstNs = 0;
    for (int round = 0; round < 200; ++round) {
        QEventLoop loop;
        QTimer safety;
        safety.setSingleShot(true);
        connect(&safety, &QTimer::timeout, &loop, [&] { loop.exit(1); });
        safety.start(5000);
        std::atomic<qint64> postedAt{0};
        const int delayUs = int(rng.bounded(2000));
        std::unique_ptr<QThread> poster(QThread::create([&, delayUs] {
            QThread::usleep(ulong(delayUs));
            postedAt.store(nowNs());
            QMetaObject::invokeMethod(
                &context,
                [&] {
                    worstNs = std::max(worstNs, nowNs() - postedAt.load());
                    loop.exit(0);
                },
                Qt::QueuedConnection);
        }));
        poster->start();
        const int rc = loop.exec();
        poster->wait();
        QCOMPARE(rc, 0);
    }
    // "Promptly": a wake-up costs microseconds; allow a loaded machine.
    QVERIFY2(worstNs < 1000 * 1000000LL, qPrintable(QString::number(worstNs)));
    qInfo("worst cross-thread wake-up latency: %lld us", worstNs / 1000);
}

void tst_EpollDispatcher::quitFromAnotherThread()
{
    QEventLoop loop;
    QTimer safety;
    safety.setSingleShot(true);
    connect(&safety, &QTimer::timeout, &loop, [&] { loop.exit(2); });
    safety.start(5000);
    auto quitter = later(50, [&loop] { loop.exit(7); }); // QEventLoop::exit is thread-safe
    const int rc = loop.exec();
    quitter->wait();
    QCOMPARE(rc, 7);
}

// ---- posted events --------------------------------------------------------------

void tst_EpollDispatcher::postedEvents()
{
    PostTarget target;
    QCoreApplication::postEvent(&target, new QEvent(PostTarget::type()));
    QCoreApplication::postEvent(&target, new QEvent(PostTarget::type()));
    QCOMPARE(target.received, 0);
    pump(1);
    QCOMPARE(target.received, 2);

    // An event posted while posted events are being sent is delivered on a
    // later pass, and a waiting pass does not sleep through it.
    target.onEvent = [&] {
        if (target.received == 3)
            QCoreApplication::postEvent(&target, new QEvent(PostTarget::type()));
    };
    QCoreApplication::postEvent(&target, new QEvent(PostTarget::type()));
    QTimer safety;
    safety.start(5000);
    QElapsedTimer t;
    t.start();
    dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    QCOMPARE(target.received, 3);
    QVERIFY2(t.elapsed() < 4000, qPrintable(QString::number(t.elapsed())));
    pump(1);
    QCOMPARE(target.received, 4);
}

void tst_EpollDispatcher::postedEventChain()
{
    PostTarget target;
    QEventLoop loop;
    target.onEvent = [&] {
        if (target.received < 1000)
            QCoreApplication::postEvent(&target, new QEvent(PostTarget::type()));
        else
            loop.exit(0);
    };
    QTimer safety;
    safety.setSingleShot(true);
    connect(&safety, &QTimer::timeout, &loop, [&] { loop.exit(1); });
    safety.start(10000);
    QCoreApplication::postEvent(&target, new QEvent(PostTarget::type()));
    QCOMPARE(loop.exec(), 0);
    QCOMPARE(target.received, 1000);
}

void tst_EpollDispatcher::deleteLater()
{
    QPointer<QObject> doomed = new QObject;
    doomed->deleteLater();
    QTRY_VERIFY(doomed.isNull());

    // From a timer inside a running QEventLoop.
    QEventLoop loop;
    QPointer<QObject> second = new QObject;
    connect(second, &QObject::destroyed, &loop, [&] { loop.exit(0); });
    QTimer::singleShot(10, second, [&] { second->deleteLater(); });
    QTimer safety;
    safety.setSingleShot(true);
    connect(&safety, &QTimer::timeout, &loop, [&] { loop.exit(1); });
    safety.start(5000);
    QCOMPARE(loop.exec(), 0);
    QVERIFY(second.isNull());
}

// ---- Qt's own I/O classes ---------------------------------------------------------

void tst_EpollDispatcher::tcpEndToEnd()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    std::unique_ptr<QTcpSocket> accepted;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        accepted.reset(server.nextPendingConnection());
        accepted->setParent(nullptr);
        connect(accepted.get(), &QTcpSocket::readyRead, this,
                [&] { accepted->write(accepted->readAll()); }); // echo
    });

    QTcpSocket client;
    QByteArray received;
    connect(&client, &QTcpSocket::readyRead, this, [&] { received += client.readAll(); });
    client.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    QTRY_VERIFY(accepted);

    QByteArray payload(1 << 20, Qt::Uninitialized);
    QRandomGenerator rng(42);
    for (qsizetype i = 0; i < payload.size(); ++i)
        payload[i] = char(rng.bounded(256));
    client.write(payload);
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), payload.size(), 20000);
    QVERIFY(received == payload);

    QSignalSpy gone(accepted.get(), &QTcpSocket::disconnected);
    client.disconnectFromHost();
    QTRY_COMPARE(gone.size(), 1);
}

void tst_EpollDispatcher::localSocketEndToEnd()
{
    const QString name =
        QStringLiteral("qpush-tst-epoll-%1").arg(QCoreApplication::applicationPid());
    QLocalServer::removeServer(name);
    QLocalServer server;
    QVERIFY2(server.listen(name), qPrintable(server.errorString()));
    std::unique_ptr<QLocalSocket> accepted;
    connect(&server, &QLocalServer::newConnection, this, [&] {
        accepted.reset(server.nextPendingConnection());
        accepted->setParent(nullptr);
        connect(accepted.get(), &QLocalSocket::readyRead, this,
                [&] { accepted->write(accepted->readAll()); });
    });

    QLocalSocket client;
    QByteArray received;
    connect(&client, &QLocalSocket::readyRead, this, [&] { received += client.readAll(); });
    client.connectToServer(name);
    QTRY_COMPARE(client.state(), QLocalSocket::ConnectedState);
    QTRY_VERIFY(accepted);
    const QByteArray payload = QByteArray(256 * 1024, 'L') + QByteArrayLiteral("end");
    client.write(payload);
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), payload.size(), 20000);
    QVERIFY(received == payload);

    QSignalSpy gone(accepted.get(), &QLocalSocket::disconnected);
    client.disconnectFromServer();
    QTRY_COMPARE(gone.size(), 1);
}

void tst_EpollDispatcher::workerThreadWithOwnDispatcher()
{
    QThread worker;
    worker.setEventDispatcher(new EpollEventDispatcher);
    worker.start();
    auto stop = qScopeGuard([&] {
        worker.quit();
        worker.wait(5000);
    });
    QObject context;
    context.moveToThread(&worker);

    bool isOurs = false;
    QMetaObject::invokeMethod(
        &context,
        [&] {
            isOurs = qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance()) !=
                     nullptr;
        },
        Qt::BlockingQueuedConnection);
    QVERIFY(isOurs);
    QVERIFY(qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance(&worker)));
    QVERIFY(dispatcher() != QAbstractEventDispatcher::instance(&worker));

    // In the worker: a notifier that echoes, and a timer; the main thread
    // writes and waits for the answer.
    SocketPair p;
    std::atomic<int> echoes{0};
    std::atomic<int> ticks{0};
    std::unique_ptr<QSocketNotifier> notifier;
    std::unique_ptr<QTimer> timer;
    QMetaObject::invokeMethod(
        &context,
        [&] {
            notifier = std::make_unique<QSocketNotifier>(p.fd[1], QSocketNotifier::Read);
            QObject::connect(notifier.get(), &QSocketNotifier::activated, notifier.get(), [&] {
                char buf[256];
                const ssize_t n = ::read(p.fd[1], buf, sizeof buf);
                if (n > 0 && ::write(p.fd[1], buf, size_t(n)) == n)
                    ++echoes;
            });
            timer = std::make_unique<QTimer>();
            timer->setTimerType(Qt::PreciseTimer);
            QObject::connect(timer.get(), &QTimer::timeout, timer.get(), [&] { ++ticks; });
            timer->start(5);
        },
        Qt::BlockingQueuedConnection);

    for (int i = 0; i < 20; ++i) {
        QVERIFY(p.send(0, "ping"));
        QTRY_COMPARE(echoes.load(), i + 1);
        QByteArray back(4, '\0');
        QCOMPARE(::read(p.fd[0], back.data(), 4), ssize_t(4));
        QCOMPARE(back, QByteArrayLiteral("ping"));
    }
    QTRY_VERIFY(ticks.load() >= 5);

    QMetaObject::invokeMethod(
        &context,
        [&] {
            notifier.reset();
            timer.reset();
        },
        Qt::BlockingQueuedConnection);
    worker.quit();
    QVERIFY(worker.wait(5000));
}

void tst_EpollDispatcher::moveTimerObjectToWorkerThread()
{
    // QObject::moveToThread takes the object's timers from this dispatcher
    // (registeredTimers + unregisterTimers) and registers them in the
    // worker's.
    QThread worker;
    worker.setEventDispatcher(new EpollEventDispatcher);
    worker.start();
    auto stop = qScopeGuard([&] {
        worker.quit();
        worker.wait(5000);
    });

    const qsizetype base = dispatcher()->registeredTimerCount();
    auto target = std::make_unique<TimerTarget>();
    std::atomic<int> ticksInWorker{0};
    std::atomic<int> ticksElsewhere{0};
    target->onTimer = [&](int) {
        if (QThread::currentThread() == &worker)
            ++ticksInWorker;
        else
            ++ticksElsewhere;
    };
    target->startTimer(5, Qt::PreciseTimer);
    QCOMPARE(dispatcher()->registeredTimerCount(), base + 1);
    target->moveToThread(&worker);
    QCOMPARE(dispatcher()->registeredTimerCount(), base);
    QTRY_VERIFY(ticksInWorker.load() >= 3);
    QCOMPARE(ticksElsewhere.load(), 0);

    std::atomic<bool> destroyed{false};
    connect(
        target.get(), &QObject::destroyed, target.get(), [&] { destroyed = true; },
        Qt::DirectConnection);
    target.release()->deleteLater(); // deleted in the worker
    worker.quit();
    QVERIFY(worker.wait(5000));
    QVERIFY(destroyed.load());
}

int main(int argc, char **argv)
{
    // The dispatcher of the main thread is set before the application object
    // exists (Qt takes ownership).
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    tst_EpollDispatcher tc;
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_epolldispatcher.moc"
