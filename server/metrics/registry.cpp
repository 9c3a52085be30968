#include "registry.h"

#include <QHash>

namespace qpush::metrics {

void appendHistogram(QList<Sample> &out, const Histogram::Snapshot &s, const Labels &labels)
{
    for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
        Labels l = labels;
        l.append({QByteArrayLiteral("le"),
                  i < s.bounds.size() ? formatValue(s.bounds[i]) : QByteArrayLiteral("+Inf")});
        out.append(Sample{QByteArrayLiteral("_bucket"), l, double(s.cumulative[i])});
    }
    out.append(Sample{QByteArrayLiteral("_sum"), labels, s.sum});
    out.append(Sample{QByteArrayLiteral("_count"), labels, double(s.count)});
}

void Registry::addEntry(Entry e)
{
    Q_ASSERT(isValidMetricName(e.name));
    m_entries.push_back(std::move(e));
}

void Registry::add(const Counter *c, const QByteArray &name, const QByteArray &help, Labels labels)
{
    addEntry(
        {name, help, Type::Counter, std::move(labels), [c](const Labels &l, QList<Sample> &out) {
             out.append(Sample{{}, l, double(c->value())});
         }});
}

void Registry::add(const Gauge *g, const QByteArray &name, const QByteArray &help, Labels labels)
{
    addEntry({name, help, Type::Gauge, std::move(labels), [g](const Labels &l, QList<Sample> &out) {
                  out.append(Sample{{}, l, g->value()});
              }});
}

void Registry::add(const Histogram *h, const QByteArray &name, const QByteArray &help,
                   Labels labels)
{
    addEntry(
        {name, help, Type::Histogram, std::move(labels),
         [h](const Labels &l, QList<Sample> &out) { appendHistogram(out, h->snapshot(), l); }});
}

void Registry::add(const CounterVec *v, const QByteArray &name, const QByteArray &help)
{
    addEntry({name, help, Type::Counter, {}, [v](const Labels &l, QList<Sample> &out) {
                  for (const auto &[value, count] : v->values()) {
                      Labels labels = l;
                      labels.append({v->labelName(), value});
                      out.append(Sample{{}, labels, double(count)});
                  }
              }});
}

void Registry::addCollector(Collector collector)
{
    m_collectors.push_back(std::move(collector));
}

QList<Family> Registry::collect() const
{
    QList<Family> families;
    QHash<QByteArray, qsizetype> index;
    for (const Entry &e : m_entries) {
        auto it = index.find(e.name);
        if (it == index.end()) {
            it = index.insert(e.name, families.size());
            families.append(Family{e.name, e.help, e.type, {}});
        }
        e.read(e.labels, families[*it].samples);
    }
    for (const Collector &c : m_collectors)
        c(families);
    return families;
}

} // namespace qpush::metrics
