// Throttling of wrong Basic-auth credentials per source address (issue 11,
// finding 8): after `limit` failures within `window`, the address gets 429
// with Retry-After for a back-off that starts at `window` and doubles when
// the address fails again right after a back-off (at most one hour). Every
// request from a blocked address is refused, right credentials included:
// otherwise a guesser would still learn at full speed which guess is right.
// Success costs one hash lookup. Pure value over a caller-supplied clock.
#pragma once

#include <QHash>
#include <QString>

namespace qpush::api {

class AuthThrottle
{
public:
    // limit 0: no throttling.
    AuthThrottle(int limit, qint64 windowMs) : m_limit(limit), m_windowMs(windowMs) {}

    // 0 when `address` may try now, else the seconds until it may.
    int retryAfterSeconds(const QString &address, qint64 nowMs) const;
    // Records a failure; true when it started a back-off (worth a log line).
    bool recordFailure(const QString &address, qint64 nowMs);

    qsizetype trackedAddresses() const { return m_entries.size(); }

    // Addresses tracked at most (a flood from many addresses cannot grow
    // the table without bound; quiet entries are dropped first).
    static constexpr qsizetype kMaxAddresses = 10000;

private:
    struct Entry
    {
        qint64 windowStart = 0;
        int failures = 0;
        qint64 blockedUntil = 0;
        int strikes = 0; // back-offs in a row
    };
    void prune(qint64 nowMs);

    int m_limit;
    qint64 m_windowMs;
    QHash<QString, Entry> m_entries;
};

} // namespace qpush::api
