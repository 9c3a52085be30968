// The instruments of /metrics: counters, gauges and histograms that any
// thread may update without a lock (relaxed atomics: a scrape sees each value
// a moment late, never torn), plus a counter family with one label whose
// values are bounded (a value past the bound is counted as "other").
#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QHash>
#include <QMutex>

#include <atomic>
#include <cstdint>
#include <vector>

namespace qpush::metrics {

class Counter
{
public:
    void inc(quint64 n = 1) { m_value.fetch_add(n, std::memory_order_relaxed); }
    quint64 value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<quint64> m_value{0};
};

class Gauge
{
public:
    void set(double v) { m_value.store(v, std::memory_order_relaxed); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0};
};

// Cumulative buckets by upper bound (seconds, bytes, ...), a sum and a count.
class Histogram
{
public:
    // `bounds` ascending; the +Inf bucket is implicit.
    explicit Histogram(std::vector<double> bounds);

    void observe(double v);

    struct Snapshot
    {
        std::vector<double> bounds;
        std::vector<quint64> cumulative; // one per bound, then +Inf
        double sum = 0;
        quint64 count = 0;
    };
    Snapshot snapshot() const;
    const std::vector<double> &bounds() const { return m_bounds; }

private:
    std::vector<double> m_bounds;
    std::vector<std::atomic<quint64>> m_buckets; // not cumulative; last is +Inf
    std::atomic<double> m_sum{0};
    std::atomic<quint64> m_count{0};
};

// Counters by the value of one label (a reason, a limit's name). Values come
// from a fixed vocabulary at the call sites; still, at most `maxValues`
// distinct values are kept and any further one counts as "other", so that
// no input can grow the series without bound. Thread-safe (a mutex: for
// events that are rare next to the work they describe).
class CounterVec
{
public:
    explicit CounterVec(QByteArray labelName, qsizetype maxValues = 64);

    void inc(const QByteArray &labelValue, quint64 n = 1);
    // Makes the series exist (at 0) before its first event, so that rate()
    // and alerts see it from the start.
    void touch(const QByteArrayList &labelValues);

    const QByteArray &labelName() const { return m_labelName; }
    // (label value, count), sorted by label value.
    QList<QPair<QByteArray, quint64>> values() const;
    quint64 value(const QByteArray &labelValue) const;

private:
    QByteArray m_labelName;
    qsizetype m_maxValues;
    mutable QMutex m_mutex;
    QHash<QByteArray, quint64> m_counts;
};

} // namespace qpush::metrics
