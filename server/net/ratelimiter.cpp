#include "ratelimiter.h"

#include <algorithm>

namespace qpush::net {

bool RateLimiter::tryAcquire(const QByteArray &key, qint64 nowMs)
{
    if (m_rate <= 0)
        return true;
    auto it = m_buckets.find(key);
    if (it == m_buckets.end()) {
        const qint64 sincePrune = nowMs - m_lastPruneMs;
        if ((m_buckets.size() >= m_maxKeys && sincePrune >= 1000) || sincePrune >= 60000) {
            // At most one pass over the table a second when it is full, and
            // one a minute to drop the idle.
            m_lastPruneMs = nowMs;
            prune(nowMs);
        }
        if (m_buckets.size() >= m_maxKeys)
            return false;
        it = m_buckets.insert(key, Bucket{m_burst, nowMs});
    }
    Bucket &b = it.value();
    const qint64 elapsed = std::max<qint64>(0, nowMs - b.updatedMs);
    b.tokens = std::min(m_burst, b.tokens + double(elapsed) * m_rate / 1000.0);
    b.updatedMs = nowMs;
    if (b.tokens < 1.0)
        return false;
    b.tokens -= 1.0;
    return true;
}

void RateLimiter::prune(qint64 nowMs)
{
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        const qint64 elapsed = std::max<qint64>(0, nowMs - it->updatedMs);
        if (it->tokens + double(elapsed) * m_rate / 1000.0 >= m_burst)
            it = m_buckets.erase(it);
        else
            ++it;
    }
}

} // namespace qpush::net
