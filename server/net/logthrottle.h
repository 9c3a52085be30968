// Rate limit for log lines about hostile or broken peers: a limit that many
// clients trip at once (a flood) must not turn into a flood of log lines.
// Each trip site owns one LogThrottle; allow() says whether this event may
// log a line, and how many were suppressed since the last line.
#pragma once

#include <QElapsedTimer>

namespace qpush::net {

class LogThrottle
{
public:
    explicit LogThrottle(int linesPerWindow = 5, qint64 windowMs = 10000)
        : m_max(linesPerWindow), m_windowMs(windowMs)
    {
    }

    // True when this event may be logged; *suppressed gets the number of
    // events not logged since the previous allowed one.
    bool allow(qint64 *suppressed = nullptr)
    {
        if (!m_clock.isValid() || m_clock.elapsed() >= m_windowMs) {
            m_clock.start();
            m_lines = 0;
        }
        if (m_lines >= m_max) {
            ++m_suppressed;
            return false;
        }
        ++m_lines;
        if (suppressed)
            *suppressed = m_suppressed;
        m_suppressed = 0;
        return true;
    }

private:
    int m_max;
    qint64 m_windowMs;
    int m_lines = 0;
    qint64 m_suppressed = 0;
    QElapsedTimer m_clock;
};

} // namespace qpush::net
