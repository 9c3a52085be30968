// Small building blocks of the server's abuse limits: a token bucket (rate
// of events with a burst) and a gate that lets one log line through per
// interval and limit, so that a limit tripped a million times writes a few
// lines, not a million. Pure values over a caller-supplied clock (ms), so
// tests drive them without sleeping.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QtGlobal>

namespace qpush {

class TokenBucket
{
public:
    // `ratePerSecond` tokens per second, at most `burst` saved up; a rate of
    // 0 admits everything.
    TokenBucket(double ratePerSecond = 0, double burst = 0)
        : m_rate(ratePerSecond), m_burst(burst), m_tokens(burst)
    {
    }

    // Takes one token when there is one.
    bool take(qint64 nowMs)
    {
        if (m_rate <= 0)
            return true;
        if (m_stamp == 0)
            m_stamp = nowMs;
        const qint64 elapsed = nowMs - m_stamp;
        if (elapsed > 0) {
            m_tokens = qMin(m_burst, m_tokens + double(elapsed) * m_rate / 1000.0);
            m_stamp = nowMs;
        }
        if (m_tokens < 1.0)
            return false;
        m_tokens -= 1.0;
        return true;
    }

private:
    double m_rate;
    double m_burst;
    double m_tokens;
    qint64 m_stamp = 0;
};

class LogGate
{
public:
    explicit LogGate(qint64 intervalMs = 60000) : m_intervalMs(intervalMs) {}

    // True when a line about `limit` may be written now; `*suppressed` is
    // then the number of trips since the last line.
    bool allow(const QByteArray &limit, qint64 nowMs, qint64 *suppressed = nullptr)
    {
        Entry &e = m_entries[limit];
        if (e.last != 0 && nowMs - e.last < m_intervalMs) {
            ++e.suppressed;
            return false;
        }
        if (suppressed)
            *suppressed = e.suppressed;
        e.last = nowMs;
        e.suppressed = 0;
        return true;
    }

private:
    struct Entry
    {
        qint64 last = 0;
        qint64 suppressed = 0;
    };
    qint64 m_intervalMs;
    QHash<QByteArray, Entry> m_entries; // one per limit name: a handful
};

} // namespace qpush
