// The real ApnsSender (SPEC §8): picks the push's APNs configuration
// (apnsName in the push's namespace; empty: entry `default` of `/`), checks
// it, and sends one notification per recipient over that configuration's
// connection (apns::Sender). A namespace save drops the connections of
// entries it changed or removed.
#pragma once

#include "apnssender.h"

#include <QObject>
#include <QPointer>

namespace qpush::apns {
class Sender;
}

namespace qpush::push {

class NamespaceRegistry;
struct Settings;

class ApnsDispatch final : public QObject, public ApnsSender
{
    Q_OBJECT
public:
    ApnsDispatch(apns::Sender *sender, NamespaceRegistry *registry, const Settings *settings,
                 QObject *parent = nullptr);

    void send(const ApnsDelivery &delivery,
              std::function<void(const store::ApnsOutcome &)> answered,
              std::function<void(const ApnsSummary &)> done) override;

private:
    void namespaceChanged(const QString &key);

    apns::Sender *m_sender;
    NamespaceRegistry *m_registry;
    const Settings *m_settings;
};

} // namespace qpush::push
