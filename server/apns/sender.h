// The APNs connections of this node (SPEC §8): one ProviderConnection per
// (namespace, apns_list entry), created on first use, replaced when the
// entry's configuration changes and dropped when the entry is deleted (a
// namespace save is in effect for the next notification, without restart).
// Counts what happened for /metrics.
#pragma once

#include "providerconnection.h"

#include "metrics/exposition.h"

#include <QHash>
#include <QObject>

#include <map>

namespace qpush::apns {

struct SenderOptions
{
    Endpoint development{QStringLiteral("api.sandbox.push.apple.com"), 443};
    Endpoint production{QStringLiteral("api.push.apple.com"), 443};
    ConnectionOptions connection; ///< its endpoint is replaced per environment
};

class Sender : public QObject
{
    Q_OBJECT
public:
    explicit Sender(SenderOptions options, QObject *parent = nullptr);
    ~Sender() override;

    /// The connection for `configuration` (entry `configuration.name` of
    /// `scope`, e.g. a namespace key); a new one when the configuration
    /// changed since the last call (the old one ends its work, then goes).
    ProviderConnection *connectionFor(const QString &scope, const Configuration &configuration);
    /// Drops the connections of `scope` whose entry name is not in
    /// `fingerprints` or whose configuration fingerprint differs.
    void retainOnly(const QString &scope, const QHash<QString, QByteArray> &fingerprints);

    const SenderOptions &options() const { return m_options; }
    qsizetype connectionCount() const { return qsizetype(m_connections.size()); }
    qint64 sentCount() const { return m_sent; }
    qint64 failedCount() const;
    qint64 tokenSigns() const { return m_tokenSigns; }
    /// The /metrics families: sent, failed by reason, connections by state,
    /// token signs (appended to `out`).
    void collect(QList<metrics::Family> &out) const;
    /// The same as Prometheus text.
    QByteArray metricsText() const;

private:
    void count(const Outcome &outcome);
    void retire(ProviderConnection *connection);

    SenderOptions m_options;
    std::map<QString, ProviderConnection *> m_connections; // children of this
    qint64 m_sent = 0;
    QHash<QString, qint64> m_failed;
    qint64 m_tokenSigns = 0;
};

/// The metrics label of a failed outcome: the APNs reason, or the kind of
/// transport failure.
QString failureLabel(const Outcome &outcome);

} // namespace qpush::apns
