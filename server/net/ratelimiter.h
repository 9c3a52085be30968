// Token buckets by key (a client address): `ratePerSecond` tokens a
// second, up to `burst`. Pure: the caller passes the time. The table is
// bounded: buckets that have refilled completely carry no information and
// are dropped when the table grows past `maxKeys`, and if it is still full a
// new key is refused (fail closed under a flood of distinct addresses).
#pragma once

#include <QByteArray>
#include <QHash>

namespace qpush::net {

class RateLimiter
{
public:
    RateLimiter(double ratePerSecond, double burst, qsizetype maxKeys = 100000)
        : m_rate(ratePerSecond), m_burst(burst), m_maxKeys(maxKeys)
    {
    }

    bool enabled() const { return m_rate > 0; }
    // Takes one token for `key` at time nowMs; false when none is left.
    bool tryAcquire(const QByteArray &key, qint64 nowMs);
    qsizetype size() const { return m_buckets.size(); }

private:
    struct Bucket
    {
        double tokens;
        qint64 updatedMs;
    };
    void prune(qint64 nowMs);

    double m_rate;
    double m_burst;
    qsizetype m_maxKeys;
    qint64 m_lastPruneMs = -1000000;
    QHash<QByteArray, Bucket> m_buckets;
};

} // namespace qpush::net
