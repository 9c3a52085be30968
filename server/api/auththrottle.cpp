#include "auththrottle.h"

#include <algorithm>
#include <iterator>

namespace qpush::api {

namespace {
constexpr qint64 kMaxBackoffMs = 3600 * 1000;
}

int AuthThrottle::retryAfterSeconds(const QString &address, qint64 nowMs) const
{
    if (m_limit <= 0 || m_entries.isEmpty())
        return 0;
    const auto it = m_entries.constFind(address);
    if (it == m_entries.constEnd() || it->blockedUntil <= nowMs)
        return 0;
    return int((it->blockedUntil - nowMs + 999) / 1000);
}

bool AuthThrottle::recordFailure(const QString &address, qint64 nowMs)
{
    if (m_limit <= 0)
        return false;
    if (m_entries.size() >= kMaxAddresses && !m_entries.contains(address))
        prune(nowMs);
    Entry &e = m_entries[address];
    if (e.blockedUntil > nowMs)
        return false; // already backing off
    if (e.windowStart == 0 || nowMs - e.windowStart >= m_windowMs) {
        // A quiet window after the last back-off forgives the strikes.
        if (e.blockedUntil != 0 && nowMs - e.blockedUntil >= m_windowMs)
            e.strikes = 0;
        e.windowStart = nowMs;
        e.failures = 0;
    }
    if (++e.failures < m_limit)
        return false;
    const qint64 backoff = std::min(kMaxBackoffMs, m_windowMs << std::min(e.strikes, 20));
    e.blockedUntil = nowMs + backoff;
    ++e.strikes;
    e.failures = 0;
    e.windowStart = e.blockedUntil;
    return true;
}

void AuthThrottle::prune(qint64 nowMs)
{
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        const bool blocked = it->blockedUntil > nowMs;
        const bool recent = nowMs - it->windowStart < m_windowMs;
        it = (!blocked && !recent) ? m_entries.erase(it) : std::next(it);
    }
    // Still full (a flood from many addresses): keep only those backing off.
    if (m_entries.size() >= kMaxAddresses)
        for (auto it = m_entries.begin(); it != m_entries.end();)
            it = it->blockedUntil > nowMs ? std::next(it) : m_entries.erase(it);
    if (m_entries.size() >= kMaxAddresses)
        m_entries.clear();
}

} // namespace qpush::api
