#include "looplag.h"

#include <algorithm>

namespace qpush::metrics {

LoopLagProbe::LoopLagProbe(Gauge *last, Histogram *distribution, int intervalMs, QObject *parent)
    : QObject(parent), m_last(last), m_distribution(distribution), m_intervalMs(intervalMs)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(m_intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &LoopLagProbe::onTimeout);
}

void LoopLagProbe::start()
{
    m_clock.start();
    m_lastNs = 0;
    m_timer.start();
}

void LoopLagProbe::onTimeout()
{
    const qint64 now = m_clock.nsecsElapsed();
    const qint64 lateNs = std::max<qint64>(0, now - m_lastNs - qint64(m_intervalMs) * 1000000);
    m_lastNs = now;
    const double seconds = double(lateNs) / 1e9;
    m_last->set(seconds);
    m_distribution->observe(seconds);
}

} // namespace qpush::metrics
