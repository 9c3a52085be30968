// One timer for many deadlines: a min-heap of (due time, id) driven by a
// single precise QTimer armed to the earliest deadline. Engine.IO sessions
// and HTTP connections register their heartbeat and idle deadlines here
// instead of owning a QTimer each (Qt's timer list inserts linearly, and a
// QTimer per connection costs memory). Cancelled deadlines are dropped
// lazily when they reach the top of the heap.
#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <functional>
#include <vector>

namespace qpush::net {

class DeadlineQueue : public QObject
{
    Q_OBJECT
public:
    using Id = quint64; // 0 is never a valid id

    explicit DeadlineQueue(QObject *parent = nullptr);

    // Monotonic milliseconds since the queue was created.
    qint64 now() const { return m_clock.elapsed(); }

    // Calls `fn` once, `delayMs` from now (0 = on the next event-loop pass).
    // Keep captures small (a pointer or two) so std::function stores them
    // inline without allocating.
    Id schedule(qint64 delayMs, std::function<void()> fn);
    // Cancels a pending deadline and sets `id` to 0; a no-op for 0 or an id
    // that already fired.
    void cancel(Id &id);
    // cancel(id) then schedule(delayMs, fn), stored back into `id`.
    void reschedule(Id &id, qint64 delayMs, std::function<void()> fn);

    bool isPending(Id id) const { return id != 0 && m_live.contains(id); }
    qsizetype pendingCount() const { return m_live.size(); }

private:
    struct Entry
    {
        qint64 due;
        Id id;
    };
    void fire();
    void arm();

    QElapsedTimer m_clock;
    QTimer m_timer;
    std::vector<Entry> m_heap;
    QHash<Id, std::function<void()>> m_live;
    Id m_nextId = 1;
    qint64 m_armedFor = -1;
};

} // namespace qpush::net
