// Turns SIGINT/SIGTERM into terminationRequested and SIGHUP into
// reloadRequested, so that shutdown and reload run in the event loop, not in
// a signal handler: a self-pipe and a QSocketNotifier on POSIX systems; on
// Windows, console control events (Ctrl+C, Ctrl+Break, closing the console),
// which the system delivers on a thread of its own, are posted to the
// watcher's thread. SIGPIPE is ignored on POSIX systems (a write to a closed
// socket must fail with EPIPE, not end the process).
#pragma once

#include <QObject>

class QSocketNotifier;

namespace qpush::eventloop {

class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signalNumber);
    // SIGHUP: reload what can be reloaded without a restart.
    void reloadRequested();

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace qpush::eventloop
