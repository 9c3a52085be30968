// Who a request really comes from, behind reverse proxies: pure helpers
// over addresses and the X-Forwarded-For header (no sockets, no state).
#pragma once

#include <QByteArrayView>
#include <QHostAddress>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace qpush::net {

// An address block, "10.0.0.0/8", "::1/128" or a single address.
struct Cidr
{
    QHostAddress network;
    int prefix = -1;

    static std::optional<Cidr> parse(QStringView text);
    bool contains(const QHostAddress &address) const;
};

// Parses a list of CIDRs (the trusted_proxies key); on a bad entry returns
// nullopt and names it in *error.
std::optional<QList<Cidr>> parseCidrs(const QStringList &list, QString *error = nullptr);

// An IPv4-mapped IPv6 address (::ffff:1.2.3.4) as plain IPv4; others as they are.
QHostAddress normalized(const QHostAddress &address);

bool isTrusted(const QHostAddress &address, const QList<Cidr> &trusted);

// The real client address of a request that arrived from `peer` with the
// X-Forwarded-For value `xForwardedFor` (all such headers joined by ","):
// the peer itself unless it is a trusted proxy; else the rightmost address
// of the header that is not a trusted proxy (each trusted proxy appends the
// address it got the request from, so entries left of the first untrusted
// one are whatever the client claimed). An unparsable entry ends the walk:
// the last trusted hop is returned then, as when every entry is trusted.
QHostAddress clientAddress(const QHostAddress &peer, QByteArrayView xForwardedFor,
                           const QList<Cidr> &trusted);

} // namespace qpush::net
