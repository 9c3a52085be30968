// What /metrics shows: instruments registered under a name (with fixed
// labels), plus collectors that read a value at scrape time (open sessions,
// process CPU) instead of keeping a second count of it. Registration
// happens once, on the composition root's thread; collect() may then run
// while other threads update the instruments.
#pragma once

#include "exposition.h"
#include "instruments.h"

#include <functional>
#include <vector>

namespace qpush::metrics {

class Registry
{
public:
    using Collector = std::function<void(QList<Family> &out)>;

    // Several registrations under one name are one family (same help and
    // type): e.g. one Counter per label value. The instruments must outlive
    // the registry's use.
    void add(const Counter *c, const QByteArray &name, const QByteArray &help, Labels labels = {});
    void add(const Gauge *g, const QByteArray &name, const QByteArray &help, Labels labels = {});
    void add(const Histogram *h, const QByteArray &name, const QByteArray &help,
             Labels labels = {});
    void add(const CounterVec *v, const QByteArray &name, const QByteArray &help);
    void addCollector(Collector collector);

    // A snapshot: registered families in registration order, then the
    // collectors' families.
    QList<Family> collect() const;
    QByteArray text() const { return encode(collect()); }

private:
    struct Entry
    {
        QByteArray name;
        QByteArray help;
        Type type;
        Labels labels;
        std::function<void(const Labels &labels, QList<Sample> &out)> read;
    };
    void addEntry(Entry e);

    std::vector<Entry> m_entries;
    std::vector<Collector> m_collectors;
};

// A histogram's samples (_bucket with le, _sum, _count) with `labels` first.
void appendHistogram(QList<Sample> &out, const Histogram::Snapshot &s, const Labels &labels = {});

} // namespace qpush::metrics
