#include "clientaddress.h"

namespace qpush::net {

QHostAddress normalized(const QHostAddress &address)
{
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        bool ok = false;
        const quint32 v4 = address.toIPv4Address(&ok);
        if (ok)
            return QHostAddress(v4);
    }
    return address;
}

std::optional<Cidr> Cidr::parse(QStringView text)
{
    text = text.trimmed();
    const qsizetype slash = text.indexOf(u'/');
    QHostAddress address(slash < 0 ? text.toString() : text.first(slash).toString());
    if (address.isNull())
        return std::nullopt;
    address = normalized(address);
    const int bits = address.protocol() == QAbstractSocket::IPv4Protocol ? 32 : 128;
    int prefix = bits;
    if (slash >= 0) {
        bool ok = false;
        prefix = text.sliced(slash + 1).toInt(&ok);
        if (!ok || prefix < 0 || prefix > bits)
            return std::nullopt;
    }
    return Cidr{address, prefix};
}

bool Cidr::contains(const QHostAddress &address) const
{
    if (prefix < 0)
        return false;
    return normalized(address).isInSubnet(network, prefix);
}

std::optional<QList<Cidr>> parseCidrs(const QStringList &list, QString *error)
{
    QList<Cidr> out;
    for (const QString &entry : list) {
        const std::optional<Cidr> c = Cidr::parse(entry);
        if (!c) {
            if (error)
                *error = QStringLiteral("not an address or CIDR block: \"%1\"").arg(entry);
            return std::nullopt;
        }
        out.append(*c);
    }
    return out;
}

bool isTrusted(const QHostAddress &address, const QList<Cidr> &trusted)
{
    for (const Cidr &c : trusted)
        if (c.contains(address))
            return true;
    return false;
}

namespace {
// One X-Forwarded-For entry: an address, optionally "[v6]:port" or "v4:port".
QHostAddress parseEntry(QByteArrayView entry)
{
    entry = entry.trimmed();
    if (entry.startsWith('[')) {
        const qsizetype end = entry.indexOf(']');
        if (end < 0)
            return {};
        entry = entry.sliced(1, end - 1);
    } else if (entry.count(':') == 1) {
        entry = entry.first(entry.indexOf(':'));
    }
    if (entry.isEmpty() || entry.size() > 64)
        return {};
    return normalized(QHostAddress(QString::fromLatin1(entry)));
}
} // namespace

QHostAddress clientAddress(const QHostAddress &peer, QByteArrayView xForwardedFor,
                           const QList<Cidr> &trusted)
{
    QHostAddress hop = normalized(peer);
    if (trusted.isEmpty() || !isTrusted(hop, trusted))
        return hop;
    // Walk from the right: each entry was appended by the hop right of it.
    qsizetype end = xForwardedFor.size();
    int entries = 0;
    while (end > 0 && entries++ < 64) { // a longer chain is not a real proxy chain
        const qsizetype comma = xForwardedFor.first(end).lastIndexOf(',');
        const QByteArrayView entry = xForwardedFor.sliced(comma + 1, end - comma - 1);
        end = comma < 0 ? 0 : comma;
        if (entry.trimmed().isEmpty())
            continue;
        const QHostAddress address = parseEntry(entry);
        if (address.isNull())
            return hop;
        if (!isTrusted(address, trusted))
            return address;
        hop = address;
    }
    return hop;
}

} // namespace qpush::net
