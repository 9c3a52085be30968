#include "sender.h"

#include "logging.h"

namespace qpush::apns {

namespace {

constexpr qsizetype kMaxFailureLabels = 64;

QString key(const QString &scope, const QString &name)
{
    return scope + QChar(0x1f) + name;
}

} // namespace

QString failureLabel(const Outcome &outcome)
{
    if (outcome.status > 0) {
        QString label;
        for (QChar c : outcome.reason)
            if (c.isLetterOrNumber() && c.unicode() < 128)
                label += c;
        return label.isEmpty() ? QStringLiteral("HTTP%1").arg(outcome.status) : label.left(64);
    }
    if (outcome.reason.startsWith(u"TLS"))
        return QStringLiteral("TlsHandshake");
    if (outcome.reason.startsWith(u"no answer"))
        return QStringLiteral("Timeout");
    if (outcome.reason.startsWith(u"queue full"))
        return QStringLiteral("QueueFull");
    if (outcome.reason.startsWith(u"connection"))
        return QStringLiteral("ConnectionFailed");
    if (outcome.reason == u"BadDeviceToken")
        return outcome.reason;
    return QStringLiteral("Other");
}

Sender::Sender(SenderOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
}

Sender::~Sender() = default;

ProviderConnection *Sender::connectionFor(const QString &scope, const Configuration &configuration)
{
    const QString k = key(scope, configuration.name);
    auto it = m_connections.find(k);
    if (it != m_connections.end()) {
        if (it->second->configuration().fingerprint() == configuration.fingerprint())
            return it->second;
        retire(it->second);
        m_connections.erase(it);
    }
    ConnectionOptions o = m_options.connection;
    o.endpoint = configuration.environment == Configuration::Environment::Production
                     ? m_options.production
                     : m_options.development;
    auto *connection = new ProviderConnection(configuration, o, this);
    connect(connection, &ProviderConnection::answered, this, &Sender::count);
    connect(connection, &ProviderConnection::tokenSigned, this, [this] { ++m_tokenSigns; });
    m_connections.emplace(k, connection);
    qCInfo(lcApns).noquote() << "APNs connection for" << scope << configuration.name << "to"
                             << o.endpoint.host
                             << (configuration.usesToken() ? "(token)" : "(certificate)");
    return connection;
}

void Sender::retainOnly(const QString &scope, const QHash<QString, QByteArray> &fingerprints)
{
    const QString prefix = scope + QChar(0x1f);
    for (auto it = m_connections.lower_bound(prefix); it != m_connections.end();) {
        if (!it->first.startsWith(prefix))
            break;
        const QString name = it->first.mid(prefix.size());
        const auto f = fingerprints.constFind(name);
        if (f != fingerprints.cend() && *f == it->second->configuration().fingerprint()) {
            ++it;
            continue;
        }
        retire(it->second);
        it = m_connections.erase(it);
    }
}

void Sender::retire(ProviderConnection *connection)
{
    qCInfo(lcApns).noquote() << "APNs connection for entry" << connection->configuration().name
                             << "dropped (configuration changed or removed)";
    if (connection->isIdle()) {
        connection->deleteLater();
        return;
    }
    // It finishes what it holds, then goes.
    connect(connection, &ProviderConnection::idle, connection, &QObject::deleteLater);
}

void Sender::count(const Outcome &outcome)
{
    if (outcome.success) {
        ++m_sent;
        return;
    }
    QString label = failureLabel(outcome);
    if (!m_failed.contains(label) && m_failed.size() >= kMaxFailureLabels)
        label = QStringLiteral("Other");
    ++m_failed[label];
}

qint64 Sender::failedCount() const
{
    qint64 n = 0;
    for (qint64 v : m_failed)
        n += v;
    return n;
}

void Sender::collect(QList<metrics::Family> &out) const
{
    using metrics::Family;
    using metrics::Sample;
    out.append(Family{"qpush_apns_notifications_sent_total",
                      "APNs notifications answered 200.",
                      metrics::Type::Counter,
                      {Sample{{}, {}, double(m_sent)}}});
    Family failed{"qpush_apns_notifications_failed_total",
                  "APNs notifications that failed, by reason.",
                  metrics::Type::Counter,
                  {}};
    QStringList labels = m_failed.keys();
    labels.sort();
    for (const QString &label : labels)
        failed.samples.append(
            Sample{{}, {{"reason", label.toUtf8()}}, double(m_failed.value(label))});
    out.append(failed);
    qint64 byState[4] = {0, 0, 0, 0};
    for (const auto &entry : m_connections)
        ++byState[int(entry.second->state())];
    Family connections{"qpush_apns_connections",
                       "APNs connections (one per configuration) by state.",
                       metrics::Type::Gauge,
                       {}};
    const char *names[4] = {"idle", "connecting", "connected", "failed"};
    for (int i = 0; i < 4; ++i)
        connections.samples.append(Sample{{}, {{"state", names[i]}}, double(byState[i])});
    out.append(connections);
    out.append(Family{"qpush_apns_token_signs_total",
                      "APNs provider tokens (ES256 JWT) signed.",
                      metrics::Type::Counter,
                      {Sample{{}, {}, double(m_tokenSigns)}}});
}

QByteArray Sender::metricsText() const
{
    QList<metrics::Family> families;
    collect(families);
    return metrics::encode(families);
}

} // namespace qpush::apns
