// Event-loop lag: a timer that measures its own lateness. Every interval it
// expects to run `interval` after its last run; anything later is time the
// event loop spent on other work (a long handler, a burst of I/O) while
// every other timer and socket waited as well.
#pragma once

#include "instruments.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace qpush::metrics {

class LoopLagProbe : public QObject
{
    Q_OBJECT
public:
    // Updates `last` (seconds of the latest measurement) and `distribution`.
    LoopLagProbe(Gauge *last, Histogram *distribution, int intervalMs = 250,
                 QObject *parent = nullptr);

    void start();

private:
    void onTimeout();

    Gauge *m_last;
    Histogram *m_distribution;
    int m_intervalMs;
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
};

} // namespace qpush::metrics
