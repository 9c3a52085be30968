#include "exposition.h"

#include <charconv>
#include <cmath>

namespace qpush::metrics {

namespace {

const char *typeName(Type t)
{
    switch (t) {
    case Type::Counter:
        return "counter";
    case Type::Gauge:
        return "gauge";
    case Type::Histogram:
        return "histogram";
    }
    return "untyped";
}

void appendEscaped(QByteArray &out, const QByteArray &text, bool quote)
{
    for (const char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
}

} // namespace

QByteArray formatValue(double v)
{
    if (std::isnan(v))
        return QByteArrayLiteral("NaN");
    if (std::isinf(v))
        return v > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15)
        return QByteArray::number(qint64(v));
    char buffer[64];
    // The shortest form that reads back exactly; plain decimals in the usual
    // range (le="0.0005", not "5e-04"), exponents beyond it.
    const double magnitude = std::fabs(v);
    const auto r = magnitude >= 1e-6 && magnitude < 1e15
                       ? std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed)
                       : std::to_chars(buffer, buffer + sizeof buffer, v);
    return QByteArray(buffer, int(r.ptr - buffer));
}

bool isValidMetricName(const QByteArray &name)
{
    if (name.isEmpty())
        return false;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name.at(i);
        const bool letter =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

bool isValidLabelName(const QByteArray &name)
{
    return isValidMetricName(name) && !name.contains(':');
}

QByteArray encode(const QList<Family> &families)
{
    QByteArray out;
    out.reserve(families.size() * 160);
    for (const Family &f : families) {
        out += "# HELP " + f.name + ' ';
        appendEscaped(out, f.help, false);
        out += "\n# TYPE " + f.name + ' ' + typeName(f.type) + '\n';
        for (const Sample &s : f.samples) {
            out += f.name + s.suffix;
            if (!s.labels.isEmpty()) {
                out += '{';
                for (qsizetype i = 0; i < s.labels.size(); ++i) {
                    if (i)
                        out += ',';
                    out += s.labels[i].first + "=\"";
                    appendEscaped(out, s.labels[i].second, true);
                    out += '"';
                }
                out += '}';
            }
            out += ' ' + formatValue(s.value) + '\n';
        }
    }
    return out;
}

} // namespace qpush::metrics
