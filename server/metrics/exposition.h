// The Prometheus text exposition format 0.0.4, as a pure function over a
// snapshot: families (name, HELP, TYPE) of samples (suffix, labels, value).
// No instrument, no clock, no I/O: what tst_exposition feeds.
#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

namespace qpush::metrics {

enum class Type { Counter, Gauge, Histogram };

using Labels = QList<QPair<QByteArray, QByteArray>>; // (name, value), in order

struct Sample
{
    QByteArray suffix; // "", or "_bucket" / "_sum" / "_count" of a histogram
    Labels labels;
    double value = 0;
};

struct Family
{
    QByteArray name; // qpush_..., with the unit and _total of counters
    QByteArray help;
    Type type = Type::Gauge;
    QList<Sample> samples;
};

// The text of `families` in order: "# HELP", "# TYPE", then one line per
// sample. HELP text and label values are escaped as the format requires
// (backslash, newline; and double quote in label values); values print as
// integers when whole, else in the shortest form that reads back exactly,
// with +Inf, -Inf and NaN spelled as Prometheus does.
QByteArray encode(const QList<Family> &families);

// One value as the format spells it.
QByteArray formatValue(double v);

// True for a valid metric or label name ([a-zA-Z_:][a-zA-Z0-9_:]*; label
// names without ':').
bool isValidMetricName(const QByteArray &name);
bool isValidLabelName(const QByteArray &name);

} // namespace qpush::metrics
