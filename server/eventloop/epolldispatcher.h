// An epoll-based QAbstractEventDispatcher for Linux. Qt's stock dispatchers
// (the UNIX one and the GLib one) rebuild a pollfd array from every socket
// notifier and hand it to poll() on every loop pass, so a process holding
// many idle connections pays for all of them on every wake-up. Here socket
// notifiers live in one epoll set (level-triggered, so QSocketNotifier keeps
// poll()'s semantics) and a pass costs O(ready descriptors), timers live in
// an indexed min-heap keyed by deadline (O(log n) start and stop), and
// wake-ups from other threads go through an eventfd. It follows the contract
// of Qt's QEventDispatcherUNIX: posted events are sent at the start of every
// pass, then socket notifiers, then timers.
//
// Install it before the application object exists:
//     QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
//     QCoreApplication app(argc, argv);
// or for a thread, QThread::setEventDispatcher() before QThread::start().
#pragma once

#include <QAbstractEventDispatcher>

#include <memory>

namespace qpush::eventloop {

class EpollEventDispatcher : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    using QAbstractEventDispatcher::registerTimer;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    // Thread-safe, like the base class requires.
    void wakeUp() override;
    void interrupt() override;

    // Introspection for tests and benchmarks.
    qsizetype registeredSocketCount() const; // descriptors with >= 1 notifier
    qsizetype registeredTimerCount() const;

private:
    struct Private;
    std::unique_ptr<Private> m_d;
};

} // namespace qpush::eventloop
