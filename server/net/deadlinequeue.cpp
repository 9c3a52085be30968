#include "deadlinequeue.h"

#include <algorithm>

namespace qpush::net {

namespace {
// std::push_heap builds a max-heap; invert for earliest-first.
bool later(const auto &a, const auto &b)
{
    return a.due > b.due || (a.due == b.due && a.id > b.id);
}
} // namespace

DeadlineQueue::DeadlineQueue(QObject *parent) : QObject(parent)
{
    m_clock.start();
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &DeadlineQueue::fire);
}

DeadlineQueue::Id DeadlineQueue::schedule(qint64 delayMs, std::function<void()> fn)
{
    const Id id = m_nextId++;
    m_live.emplace(id, std::move(fn));
    m_heap.push_back({now() + std::max<qint64>(0, delayMs), id});
    std::push_heap(m_heap.begin(), m_heap.end(), later<Entry, Entry>);
    arm();
    return id;
}

void DeadlineQueue::cancel(Id &id)
{
    if (id != 0)
        m_live.remove(id);
    id = 0;
    // Drop cancelled entries at the top so the timer is not armed for them.
    while (!m_heap.empty() && !m_live.contains(m_heap.front().id)) {
        std::pop_heap(m_heap.begin(), m_heap.end(), later<Entry, Entry>);
        m_heap.pop_back();
    }
    if (m_heap.empty()) {
        m_timer.stop();
        m_armedFor = -1;
    }
}

void DeadlineQueue::reschedule(Id &id, qint64 delayMs, std::function<void()> fn)
{
    if (id != 0)
        m_live.remove(id);
    id = schedule(delayMs, std::move(fn));
}

void DeadlineQueue::arm()
{
    if (m_heap.empty()) {
        m_timer.stop();
        m_armedFor = -1;
        return;
    }
    const qint64 due = m_heap.front().due;
    if (m_timer.isActive() && m_armedFor == due)
        return;
    m_armedFor = due;
    m_timer.start(int(std::clamp<qint64>(due - now(), 0, 24LL * 3600 * 1000)));
}

void DeadlineQueue::fire()
{
    m_armedFor = -1;
    const qint64 t = now();
    // Bound the work of one pass; the rest runs on the next (zero) timer.
    int budget = 4096;
    while (!m_heap.empty() && m_heap.front().due <= t && budget-- > 0) {
        const Id id = m_heap.front().id;
        std::pop_heap(m_heap.begin(), m_heap.end(), later<Entry, Entry>);
        m_heap.pop_back();
        auto it = m_live.find(id);
        if (it == m_live.end())
            continue;
        std::function<void()> fn = std::move(it.value());
        m_live.erase(it);
        fn();
    }
    // Drop stale entries so the heap does not hold cancelled work forever.
    while (!m_heap.empty() && !m_live.contains(m_heap.front().id)) {
        std::pop_heap(m_heap.begin(), m_heap.end(), later<Entry, Entry>);
        m_heap.pop_back();
    }
    arm();
}

} // namespace qpush::net
