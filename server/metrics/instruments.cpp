#include "instruments.h"

#include <algorithm>

namespace qpush::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : m_bounds(std::move(bounds)), m_buckets(m_bounds.size() + 1)
{
    std::sort(m_bounds.begin(), m_bounds.end());
}

void Histogram::observe(double v)
{
    const auto it = std::lower_bound(m_bounds.begin(), m_bounds.end(), v); // le: v <= bound
    m_buckets[std::size_t(it - m_bounds.begin())].fetch_add(1, std::memory_order_relaxed);
    m_sum.fetch_add(v, std::memory_order_relaxed);
    m_count.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const
{
    Snapshot s;
    s.bounds = m_bounds;
    s.cumulative.reserve(m_buckets.size());
    quint64 running = 0;
    for (const auto &b : m_buckets) {
        running += b.load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    // The count is the +Inf bucket, so that the exposition is consistent even
    // while another thread observes.
    s.count = running;
    s.sum = m_sum.load(std::memory_order_relaxed);
    return s;
}

CounterVec::CounterVec(QByteArray labelName, qsizetype maxValues)
    : m_labelName(std::move(labelName)), m_maxValues(std::max<qsizetype>(1, maxValues))
{
}

void CounterVec::inc(const QByteArray &labelValue, quint64 n)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_counts.find(labelValue);
    if (it == m_counts.end()) {
        if (m_counts.size() >= m_maxValues)
            it = m_counts.insert(QByteArrayLiteral("other"), m_counts.value("other"));
        else
            it = m_counts.insert(labelValue, 0);
    }
    *it += n;
}

void CounterVec::touch(const QByteArrayList &labelValues)
{
    QMutexLocker lock(&m_mutex);
    for (const QByteArray &v : labelValues)
        if (m_counts.size() < m_maxValues && !m_counts.contains(v))
            m_counts.insert(v, 0);
}

QList<QPair<QByteArray, quint64>> CounterVec::values() const
{
    QList<QPair<QByteArray, quint64>> out;
    {
        QMutexLocker lock(&m_mutex);
        out.reserve(m_counts.size());
        for (auto it = m_counts.constBegin(); it != m_counts.constEnd(); ++it)
            out.append({it.key(), it.value()});
    }
    std::sort(out.begin(), out.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    return out;
}

quint64 CounterVec::value(const QByteArray &labelValue) const
{
    QMutexLocker lock(&m_mutex);
    return m_counts.value(labelValue);
}

} // namespace qpush::metrics
