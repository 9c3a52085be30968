// Turns SIGINT/SIGTERM (and SIGHUP) into Qt signals (self-pipe +
// QSocketNotifier), so that shutdown and reload run in the event loop, not in
// a signal handler.
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
