#include "apnsdispatch.h"

#include "logging.h"
#include "namespaceregistry.h"
#include "settings.h"

#include "apns/sender.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QTimeZone>
#include <QUuid>

namespace qpush::push {

namespace {

// apns-id = UUID v5 of (namespace, push id, client id): a notification sent
// again after a crash carries the same id and is recognisable.
const QUuid kApnsIdNamespace(QStringLiteral("{6f1c9a5e-2b7d-4c1e-9a43-5d0e8b7f3a21}"));

apns::Entry toEntry(const store::ApnsEntry &e)
{
    return apns::Entry{e.name,        e.apnsEnv,    e.apnsTopic,          e.apnsExpiration,
                       e.apnsDevCert, e.apnsDevKey, e.apnsProductionCert, e.apnsProductionKey,
                       e.tokenKey,    e.tokenKeyId, e.tokenTeamId};
}

} // namespace

ApnsDispatch::ApnsDispatch(apns::Sender *sender, NamespaceRegistry *registry,
                           const Settings *settings, QObject *parent)
    : QObject(parent), m_sender(sender), m_registry(registry), m_settings(settings)
{
    connect(m_registry, &NamespaceRegistry::changed, this, &ApnsDispatch::namespaceChanged);
}

void ApnsDispatch::namespaceChanged(const QString &key)
{
    QHash<QString, QByteArray> keep;
    if (const store::NamespaceRecord *ns = m_registry->find(key)) {
        const QDateTime now =
            QDateTime::fromMSecsSinceEpoch(m_settings->clock->nowMs(), QTimeZone::utc());
        for (const store::ApnsEntry &e : ns->apnsList) {
            QString error;
            if (const auto c = apns::Configuration::fromEntry(toEntry(e), now, &error))
                keep.insert(e.name, c->fingerprint());
        }
    }
    m_sender->retainOnly(key, keep);
}

void ApnsDispatch::send(const ApnsDelivery &delivery,
                        std::function<void(const store::ApnsOutcome &)> answered,
                        std::function<void(const ApnsSummary &)> done)
{
    // Empty apnsName: entry `default` of namespace `/` (SPEC §8).
    const bool byName = !delivery.apnsName.isEmpty();
    const QString nsKey = byName ? delivery.nsp : QStringLiteral("/");
    const QString name = byName ? delivery.apnsName : QStringLiteral("default");
    const store::ApnsEntry *entry = nullptr;
    if (const store::NamespaceRecord *ns = m_registry->find(nsKey)) {
        for (const store::ApnsEntry &e : ns->apnsList) {
            if (e.name == name) {
                entry = &e;
                break;
            }
        }
    }
    if (!entry) {
        const QString why = byName ? QStringLiteral("unknown apnsName '%1'").arg(name)
                                   : QStringLiteral("no APNs entry 'default' in namespace '/' "
                                                    "(the push has no apnsName)");
        return done(ApnsSummary{QString(), why});
    }
    QString error;
    const qint64 nowMs = m_settings->clock->nowMs();
    const auto configuration = apns::Configuration::fromEntry(
        toEntry(*entry), QDateTime::fromMSecsSinceEpoch(nowMs, QTimeZone::utc()), &error);
    if (!configuration) {
        qCWarning(lcPush).noquote()
            << "APNs for push" << delivery.id << "in" << delivery.nsp << "not sent:" << error;
        return done(ApnsSummary{entry->apnsEnv, error});
    }
    apns::ProviderConnection *connection = m_sender->connectionFor(nsKey, *configuration);

    const QByteArray payload =
        apnsPayload(QJsonDocument::fromJson(delivery.pushData).object(), m_settings->apnsAlert);
    const qint64 expiration = configuration->expirationSeconds > 0
                                  ? nowMs / 1000 + configuration->expirationSeconds
                                  : delivery.expireAt / 1000;
    const QByteArray collapseId = "qpush-" + QByteArray::number(delivery.id);
    const ApnsSummary summary{configuration->environmentName(), QString()};
    if (delivery.recipients.isEmpty())
        return done(summary);

    struct Progress
    {
        qsizetype left = 0;
        std::function<void(const store::ApnsOutcome &)> answered;
        std::function<void(const ApnsSummary &)> done;
    };
    auto progress = std::make_shared<Progress>(
        Progress{delivery.recipients.size(), std::move(answered), std::move(done)});
    for (const store::ClientInfo &client : delivery.recipients) {
        apns::Notification n;
        n.deviceToken = client.deviceToken;
        n.payload = payload;
        n.apnsId = QUuid::createUuidV5(kApnsIdNamespace, delivery.nsp + u'#' +
                                                             QString::number(delivery.id) + u'#' +
                                                             client.clientId)
                       .toByteArray(QUuid::WithoutBraces);
        n.collapseId = collapseId;
        n.expiration = expiration;
        const QString clientId = client.clientId;
        connection->submit(std::move(n), [progress, clientId, summary](const apns::Outcome &o) {
            progress->answered(store::ApnsOutcome{clientId, o.success, o.clearToken, o.reason});
            if (--progress->left == 0)
                progress->done(summary);
        });
    }
}

} // namespace qpush::push
