#include "epolldispatcher.h"

#include "logging.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

namespace qpush::eventloop {

namespace {

constexpr qint64 NsPerMs = 1000 * 1000;
constexpr qint64 NsPerSec = 1000 * NsPerMs;
// Ready descriptors taken per epoll_wait; the rest stay ready (level-triggered)
// and are reported on the next pass, in the kernel's round-robin order.
constexpr int MaxEventsPerPass = 1024;

qint64 monotonicNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); // the clock QElapsedTimer and Qt's timers use
    return qint64(ts.tv_sec) * NsPerSec + ts.tv_nsec;
}

// Indexed by QSocketNotifier::Type (Read, Write, Exception).
constexpr std::array<uint32_t, 3> RequestedEvents = {EPOLLIN, EPOLLOUT, EPOLLPRI};
// What wakes each type: the same mapping as Qt's poll() dispatcher, where a
// hang-up or an error activates every notifier of the descriptor.
constexpr std::array<uint32_t, 3> ActivatingEvents = {
    EPOLLIN | EPOLLHUP | EPOLLERR,
    EPOLLOUT | EPOLLHUP | EPOLLERR,
    EPOLLPRI | EPOLLHUP | EPOLLERR,
};

const char *typeName(int type)
{
    static const char *const names[] = {"Read", "Write", "Exception"};
    return names[type];
}

} // namespace

struct EpollEventDispatcher::Private
{
    struct FdEntry
    {
        std::array<QSocketNotifier *, 3> notifiers{};
        quint32 serial = 0;      // incarnation of this descriptor's entry; 0 = unused
        quint32 epollEvents = 0; // mask given to epoll_ctl
        quint8 pendingMask = 0;  // types (1 << type) ready and not yet delivered
        bool queued = false;     // has an item in `pending`
        bool inEpoll = false;
        bool unpollable = false; // epoll refuses it (a regular file): always ready, as with poll()
    };
    struct PendingItem
    {
        int fd;
        quint32 serial;
    };

    enum class Kind { Zero, Precise, Coarse, VeryCoarse };
    struct Timer
    {
        int id = 0;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer; // as registered, for registeredTimers()
        Kind kind = Kind::Precise;            // how it is scheduled
        qint64 intervalNs = 0;
        QObject *object = nullptr;
        qint64 expected = 0; // the schedule before coarsening
        qint64 deadline = 0; // when it fires
        quint64 seq = 0;     // arming order: ties on deadline fire first-armed first
        size_t heapIndex = 0;
        bool inCallback = false;
    };

    Private();
    ~Private();

    FdEntry *entry(int fd)
    {
        if (fd < 0 || size_t(fd) >= fds.size() || fds[size_t(fd)].serial == 0)
            return nullptr;
        return &fds[size_t(fd)];
    }
    void updateEpoll(int fd, FdEntry &e);
    void queue(int fd, FdEntry &e, quint8 mask);
    int waitForSockets(qint64 timeoutNs);
    int waitForWakeUpOnly(qint64 timeoutNs);
    void drainWakeUp();
    int activateSocketNotifiers();

    static bool less(const Timer *a, const Timer *b)
    {
        return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
    }
    void place(size_t i, Timer *t)
    {
        heap[i] = t;
        t->heapIndex = i;
    }
    void siftUp(size_t i);
    void siftDown(size_t i);
    void heapRemove(Timer *t);
    void arm(Timer *t, qint64 now);
    void rearm(Timer *t, qint64 now);
    void forget(Timer *t); // out of the heap and the object index; caller erases it
    int activateTimers();

    int epollFd = -1;
    int eventFd = -1;
    std::atomic<bool> wakeUpPending{false};
    std::atomic<bool> interrupted{false};

    std::vector<FdEntry> fds; // indexed by descriptor
    qsizetype socketCount = 0;
    quint32 nextSerial = 0;
    std::vector<PendingItem> pending; // shared by nested passes, like Qt's pendingNotifiers
    size_t pendingHead = 0;
    std::vector<int> unpollable;

    std::unordered_map<int, std::unique_ptr<Timer>> timers;
    std::unordered_multimap<QObject *, int> timersByObject;
    std::vector<Timer *> heap;
    quint64 nextSeq = 0;

    std::array<epoll_event, MaxEventsPerPass> events{};
};

EpollEventDispatcher::Private::Private()
{
    epollFd = epoll_create1(EPOLL_CLOEXEC);
    eventFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epollFd < 0 || eventFd < 0)
        qFatal("EpollEventDispatcher: cannot create epoll or eventfd: %s", strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = eventFd;
    if (epoll_ctl(epollFd, EPOLL_CTL_ADD, eventFd, &ev) != 0)
        qFatal("EpollEventDispatcher: cannot watch the eventfd: %s", strerror(errno));
}

EpollEventDispatcher::Private::~Private()
{
    close(eventFd);
    close(epollFd);
}

// ---- socket notifiers ------------------------------------------------------

void EpollEventDispatcher::Private::updateEpoll(int fd, FdEntry &e)
{
    uint32_t want = 0;
    for (size_t type = 0; type < 3; ++type) {
        if (e.notifiers[type])
            want |= RequestedEvents[type];
    }
    if (e.unpollable) {
        e.epollEvents = want;
        if (want == 0)
            unpollable.erase(std::find(unpollable.begin(), unpollable.end(), fd));
        return;
    }
    if (e.inEpoll && want == e.epollEvents)
        return;

    epoll_event ev{};
    ev.events = want;
    ev.data.fd = fd;
    if (want == 0) {
        // EBADF/ENOENT: the descriptor was closed before its notifier was
        // disabled; the kernel already dropped it from the set.
        if (e.inEpoll && epoll_ctl(epollFd, EPOLL_CTL_DEL, fd, &ev) != 0 && errno != EBADF &&
            errno != ENOENT) {
            qCWarning(lcEventLoop, "EpollEventDispatcher: cannot unwatch descriptor %d: %s", fd,
                      strerror(errno));
        }
        e.inEpoll = false;
        e.epollEvents = 0;
        return;
    }

    const int op = e.inEpoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int rc = epoll_ctl(epollFd, op, fd, &ev);
    // A descriptor closed and reopened under the same number behind our back
    // (MOD: ENOENT), or a stale registration (ADD: EEXIST).
    if (rc != 0 && op == EPOLL_CTL_MOD && errno == ENOENT)
        rc = epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, &ev);
    else if (rc != 0 && op == EPOLL_CTL_ADD && errno == EEXIST)
        rc = epoll_ctl(epollFd, EPOLL_CTL_MOD, fd, &ev);
    if (rc == 0) {
        e.inEpoll = true;
        e.epollEvents = want;
        return;
    }
    e.inEpoll = false;
    e.epollEvents = 0;
    if (errno == EPERM) {
        // Regular files and some devices cannot be polled; poll() reports
        // them always ready, so do the same without epoll.
        e.unpollable = true;
        e.epollEvents = want;
        unpollable.push_back(fd);
        return;
    }
    qCWarning(lcEventLoop, "EpollEventDispatcher: cannot watch descriptor %d: %s", fd,
              strerror(errno));
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr socket = notifier->socket();
    const int type = int(notifier->type());
    if (socket < 0 || socket > INT_MAX || type < 0 || type > 2) {
        qCWarning(lcEventLoop, "EpollEventDispatcher: invalid socket notifier (descriptor %lld)",
                  static_cast<long long>(socket));
        return;
    }
    const int fd = int(socket);
    auto &fds = m_d->fds;
    if (size_t(fd) >= fds.size())
        fds.resize(std::max<size_t>(std::bit_ceil(size_t(fd) + 1), 64));
    Private::FdEntry &e = fds[size_t(fd)];
    if (e.serial == 0) {
        e = Private::FdEntry{};
        if (++m_d->nextSerial == 0)
            ++m_d->nextSerial;
        e.serial = m_d->nextSerial;
        ++m_d->socketCount;
    }
    if (e.notifiers[size_t(type)] && e.notifiers[size_t(type)] != notifier) {
        qCWarning(lcEventLoop,
                  "EpollEventDispatcher: multiple socket notifiers for descriptor %d, type %s", fd,
                  typeName(type));
    }
    e.notifiers[size_t(type)] = notifier;
    m_d->updateEpoll(fd, e);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr socket = notifier->socket();
    const int type = int(notifier->type());
    if (socket < 0 || socket > INT_MAX || type < 0 || type > 2)
        return;
    const int fd = int(socket);
    Private::FdEntry *e = m_d->entry(fd);
    if (!e || e->notifiers[size_t(type)] != notifier) {
        if (e && e->notifiers[size_t(type)]) {
            qCWarning(lcEventLoop,
                      "EpollEventDispatcher: multiple socket notifiers for descriptor %d, type %s",
                      fd, typeName(type));
        }
        return;
    }
    e->notifiers[size_t(type)] = nullptr;
    e->pendingMask &= quint8(~(1u << type));
    m_d->updateEpoll(fd, *e);
    if (!e->notifiers[0] && !e->notifiers[1] && !e->notifiers[2]) {
        // A queued item of this incarnation no longer matches the serial.
        *e = Private::FdEntry{};
        --m_d->socketCount;
    }
}

void EpollEventDispatcher::Private::queue(int fd, FdEntry &e, quint8 mask)
{
    if (mask == 0)
        return;
    e.pendingMask |= mask;
    if (!e.queued) {
        e.queued = true;
        pending.push_back({fd, e.serial});
    }
}

void EpollEventDispatcher::Private::drainWakeUp()
{
    eventfd_t value;
    while (read(eventFd, &value, sizeof value) < 0 && errno == EINTR) {
    }
    wakeUpPending.store(false, std::memory_order_release);
}

int EpollEventDispatcher::Private::waitForSockets(qint64 timeoutNs)
{
    static std::atomic<bool> noPwait2{false};
    int rc = -1;
    bool waited = false;
    if (timeoutNs > 0 && !noPwait2.load(std::memory_order_relaxed)) {
        // Nanosecond timeout: a PreciseTimer fires on its millisecond, not
        // up to one late from rounding.
        const timespec ts{time_t(timeoutNs / NsPerSec), long(timeoutNs % NsPerSec)};
        rc = epoll_pwait2(epollFd, events.data(), MaxEventsPerPass, &ts, nullptr);
        if (rc < 0 && errno == ENOSYS)
            noPwait2.store(true, std::memory_order_relaxed);
        else
            waited = true;
    }
    if (!waited) {
        const int ms = timeoutNs < 0
                           ? -1
                           : int(std::min<qint64>((timeoutNs + NsPerMs - 1) / NsPerMs, INT_MAX));
        rc = epoll_wait(epollFd, events.data(), MaxEventsPerPass, ms);
    }
    if (rc < 0) {
        if (errno != EINTR)
            qCWarning(lcEventLoop, "EpollEventDispatcher: epoll_wait: %s", strerror(errno));
        return 0;
    }

    int woken = 0;
    for (int i = 0; i < rc; ++i) {
        const epoll_event &ev = events[size_t(i)];
        const int fd = ev.data.fd;
        if (fd == eventFd) {
            drainWakeUp();
            ++woken;
            continue;
        }
        FdEntry *e = entry(fd);
        if (!e)
            continue;
        quint8 mask = 0;
        for (size_t type = 0; type < 3; ++type) {
            if (e->notifiers[type] && (ev.events & ActivatingEvents[type]))
                mask |= quint8(1u << type);
        }
        queue(fd, *e, mask);
    }
    return woken;
}

int EpollEventDispatcher::Private::waitForWakeUpOnly(qint64 timeoutNs)
{
    // Socket notifiers are excluded: wait on the eventfd alone, so ready
    // sockets stay pending without turning the wait into a busy loop.
    pollfd pfd{eventFd, POLLIN, 0};
    timespec ts{};
    timespec *tsp = nullptr;
    if (timeoutNs >= 0) {
        ts = timespec{time_t(timeoutNs / NsPerSec), long(timeoutNs % NsPerSec)};
        tsp = &ts;
    }
    const int rc = ppoll(&pfd, 1, tsp, nullptr);
    if (rc > 0 && (pfd.revents & POLLIN)) {
        drainWakeUp();
        return 1;
    }
    if (rc < 0 && errno != EINTR)
        qCWarning(lcEventLoop, "EpollEventDispatcher: ppoll: %s", strerror(errno));
    return 0;
}

int EpollEventDispatcher::Private::activateSocketNotifiers()
{
    for (const int fd : unpollable) {
        FdEntry &e = fds[size_t(fd)];
        quint8 mask = 0;
        for (size_t type = 0; type < 3; ++type) {
            if (e.notifiers[type])
                mask |= quint8(1u << type);
        }
        queue(fd, e, mask);
    }

    int activated = 0;
    QEvent event(QEvent::SockAct);
    // Nested event loops started from a notifier consume the same queue, so
    // an item is delivered once whichever pass reaches it.
    while (pendingHead < pending.size()) {
        const PendingItem item = pending[pendingHead++];
        FdEntry *e = entry(item.fd);
        if (!e || e->serial != item.serial)
            continue; // all its notifiers went away (maybe the number was reused)
        e->queued = false;
        const quint8 mask = std::exchange(e->pendingMask, quint8(0));
        for (size_t type = 0; type < 3; ++type) {
            if (!(mask & (1u << type)))
                continue;
            // The previous delivery may have deleted notifiers, registered
            // new descriptors (moving `fds`) or dropped this one.
            e = entry(item.fd);
            if (!e || e->serial != item.serial)
                break;
            if (QSocketNotifier *notifier = e->notifiers[type]) {
                QCoreApplication::sendEvent(notifier, &event);
                ++activated;
            }
        }
    }
    pending.clear();
    pendingHead = 0;
    return activated;
}

// ---- timers ------------------------------------------------------------------

void EpollEventDispatcher::Private::siftUp(size_t i)
{
    Timer *t = heap[i];
    while (i > 0) {
        const size_t parent = (i - 1) / 2;
        if (!less(t, heap[parent]))
            break;
        place(i, heap[parent]);
        i = parent;
    }
    place(i, t);
}

void EpollEventDispatcher::Private::siftDown(size_t i)
{
    Timer *t = heap[i];
    const size_t n = heap.size();
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && less(heap[child + 1], heap[child]))
            ++child;
        if (!less(heap[child], t))
            break;
        place(i, heap[child]);
        i = child;
    }
    place(i, t);
}

void EpollEventDispatcher::Private::heapRemove(Timer *t)
{
    const size_t i = t->heapIndex;
    Q_ASSERT(i < heap.size() && heap[i] == t);
    Timer *last = heap.back();
    heap.pop_back();
    if (last == t)
        return;
    place(i, last);
    siftUp(i);
    siftDown(last->heapIndex);
}

namespace {

// CoarseTimer may be late by up to 5% of its interval (Qt fires it within
// ±5%). Round the deadline up to a power-of-two number of milliseconds not
// above that, so coarse timers coalesce into fewer wake-ups.
qint64 coarsen(qint64 expected, qint64 intervalMs)
{
    const qint64 granularity =
        qint64(std::bit_floor(quint64(std::max<qint64>(1, intervalMs / 20)))) * NsPerMs;
    return (expected + granularity - 1) / granularity * granularity;
}

qint64 roundToSecond(qint64 ns)
{
    return (ns + NsPerSec / 2) / NsPerSec * NsPerSec;
}

} // namespace

void EpollEventDispatcher::Private::arm(Timer *t, qint64 now)
{
    t->seq = ++nextSeq;
    switch (t->kind) {
    case Kind::Zero:
        t->expected = t->deadline = now;
        break;
    case Kind::Precise:
        t->expected = t->deadline = now + t->intervalNs;
        break;
    case Kind::Coarse:
        t->expected = now + t->intervalNs;
        t->deadline = coarsen(t->expected, t->intervalMs);
        break;
    case Kind::VeryCoarse:
        // Whole seconds, on a second boundary, as Qt does.
        t->expected = t->deadline = roundToSecond(now + t->intervalNs);
        break;
    }
}

void EpollEventDispatcher::Private::rearm(Timer *t, qint64 now)
{
    t->seq = ++nextSeq;
    if (t->kind == Kind::Zero) {
        t->expected = t->deadline = now;
        return;
    }
    // Relative to the schedule, not to now, so the period does not drift; a
    // timer that fell a whole interval behind restarts from now instead of
    // firing a burst to catch up.
    t->expected += t->intervalNs;
    if (t->expected < now)
        t->expected = (t->kind == Kind::VeryCoarse ? roundToSecond(now) : now) + t->intervalNs;
    t->deadline = t->kind == Kind::Coarse ? coarsen(t->expected, t->intervalMs) : t->expected;
}

void EpollEventDispatcher::Private::forget(Timer *t)
{
    heapRemove(t);
    auto range = timersByObject.equal_range(t->object);
    for (auto it = range.first; it != range.second; ++it) {
        if (it->second == t->id) {
            timersByObject.erase(it);
            break;
        }
    }
}

int EpollEventDispatcher::Private::activateTimers()
{
    if (heap.empty())
        return 0;
    const qint64 now = monotonicNs();
    // Timers armed from here on (re-armed zero timers, timers started by a
    // callback) wait for the next pass.
    const quint64 seqLimit = nextSeq;
    int activated = 0;
    while (!heap.empty()) {
        Timer *t = heap.front();
        if (t->deadline > now || t->seq > seqLimit)
            break;
        rearm(t, now);
        siftDown(0);
        if (t->inCallback)
            continue; // its previous event is still being handled (nested loop)
        t->inCallback = true;
        const int id = t->id;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(t->object, &event); // may kill `t`
        ++activated;
        if (auto it = timers.find(id); it != timers.end())
            it->second->inCallback = false;
    }
    return activated;
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object)
{
    if (timerId < 1 || interval < 0 || !object) {
        qCWarning(lcEventLoop, "EpollEventDispatcher::registerTimer: invalid arguments");
        return;
    }
    if (m_d->timers.count(timerId))
        unregisterTimer(timerId);

    auto timer = std::make_unique<Private::Timer>();
    Private::Timer *t = timer.get();
    t->id = timerId;
    t->intervalMs = interval;
    t->type = timerType;
    t->object = object;
    // Far beyond any real timer (~146 years), and keeps deadline arithmetic
    // in range.
    constexpr qint64 MaxIntervalMs = (qint64(1) << 62) / NsPerMs;
    t->intervalNs = std::min(interval, MaxIntervalMs) * NsPerMs;
    using Kind = Private::Kind;
    if (interval == 0) {
        t->kind = Kind::Zero;
    } else if (timerType == Qt::PreciseTimer || (timerType == Qt::CoarseTimer && interval <= 20)) {
        // Below 20 ms, 5% is under a millisecond: Qt treats these as precise.
        t->kind = Kind::Precise;
    } else if ((timerType == Qt::CoarseTimer && interval < 20000) || (interval + 500) / 1000 <= 0) {
        // CoarseTimer under 20 s, and a VeryCoarseTimer under half a second.
        t->kind = Kind::Coarse;
    } else {
        // VeryCoarseTimer, and CoarseTimer from 20 s (5% is a second).
        t->kind = Kind::VeryCoarse;
        t->intervalNs = (std::min(interval, MaxIntervalMs) + 500) / 1000 * NsPerSec;
    }

    m_d->arm(t, monotonicNs());
    m_d->heap.push_back(t);
    m_d->siftUp(m_d->heap.size() - 1);
    m_d->timersByObject.emplace(object, timerId);
    m_d->timers.emplace(timerId, std::move(timer));
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    auto it = m_d->timers.find(timerId);
    if (it == m_d->timers.end())
        return false;
    m_d->forget(it->second.get());
    m_d->timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    auto range = m_d->timersByObject.equal_range(object);
    if (range.first == range.second)
        return false;
    for (auto it = range.first; it != range.second; ++it) {
        auto timer = m_d->timers.find(it->second);
        if (timer == m_d->timers.end())
            continue;
        m_d->heapRemove(timer->second.get());
        m_d->timers.erase(timer);
    }
    m_d->timersByObject.erase(range.first, range.second);
    return true;
}

QList<QAbstractEventDispatcher::TimerInfo>
EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> list;
    auto range = m_d->timersByObject.equal_range(object);
    for (auto it = range.first; it != range.second; ++it) {
        auto timer = m_d->timers.find(it->second);
        if (timer != m_d->timers.end()) {
            const Private::Timer &t = *timer->second;
            list.append(TimerInfo(t.id, int(std::min<qint64>(t.intervalMs, INT_MAX)), t.type));
        }
    }
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    auto it = m_d->timers.find(timerId);
    if (it == m_d->timers.end())
        return -1;
    const qint64 left = it->second->deadline - monotonicNs();
    if (left <= 0)
        return 0;
    return int(std::min<qint64>((left + NsPerMs - 1) / NsPerMs, INT_MAX));
}

// ---- the loop ----------------------------------------------------------------

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent), m_d(std::make_unique<Private>())
{
}

EpollEventDispatcher::~EpollEventDispatcher() = default;

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_d->interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();

    // Events posted from now on call wakeUp(), so blocking below cannot miss
    // them (Qt's own dispatcher asks QThreadData::canWait for the same).
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    const bool canWait = (flags & QEventLoop::WaitForMoreEvents) &&
                         !m_d->interrupted.load(std::memory_order_relaxed);
    if (canWait)
        Q_EMIT aboutToBlock();
    if (m_d->interrupted.load(std::memory_order_relaxed))
        return false;

    qint64 timeoutNs = -1;
    if (!canWait || (includeNotifiers &&
                     (m_d->pendingHead < m_d->pending.size() || !m_d->unpollable.empty()))) {
        timeoutNs = 0;
    } else if (includeTimers && !m_d->heap.empty()) {
        timeoutNs = std::max<qint64>(0, m_d->heap.front()->deadline - monotonicNs());
    }

    int handled =
        includeNotifiers ? m_d->waitForSockets(timeoutNs) : m_d->waitForWakeUpOnly(timeoutNs);
    if (includeNotifiers)
        handled += m_d->activateSocketNotifiers();
    if (includeTimers)
        handled += m_d->activateTimers();
    return handled > 0;
}

void EpollEventDispatcher::wakeUp()
{
    bool expected = false;
    if (m_d->wakeUpPending.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
        const eventfd_t one = 1;
        while (write(m_d->eventFd, &one, sizeof one) < 0 && errno == EINTR) {
        }
    }
}

void EpollEventDispatcher::interrupt()
{
    m_d->interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}

qsizetype EpollEventDispatcher::registeredSocketCount() const
{
    return m_d->socketCount;
}

qsizetype EpollEventDispatcher::registeredTimerCount() const
{
    return qsizetype(m_d->timers.size());
}

} // namespace qpush::eventloop
