// Runs the durable follow-up of pushes with leaveMessage (SPEC §7): takes
// due jobs from the store's queue (through a JobFeed), adds the message to the offline lists of
// the room's Android clients that have not acked, hands iOS clients to the
// APNs sender, and completes the job. A job claimed by a node that dies is
// delivered again after its lease; the steps are idempotent, so nothing is
// lost and nothing is done twice.
#pragma once

#include "apnssender.h"
#include "jobfeed.h"
#include "settings.h"

#include "store/store.h"

#include <QObject>
#include <QTimer>

namespace qpush::push {

class OfflineWorker : public QObject
{
    Q_OBJECT
public:
    OfflineWorker(store::Store *store, ApnsSender *apns, const Settings *settings,
                  QObject *parent = nullptr);

    void start(int pollIntervalMs = 200);
    void stop() { m_feed.stop(); }
    qint64 completedJobs() const { return m_completed; }

private:
    void run(const store::Job &job, std::function<void()> finished);
    void runOffline(const store::Job &job, std::function<void()> finished);
    void runApns(const ApnsDelivery &delivery, std::function<void()> complete,
                 std::function<void(const store::Error &)> retryLater);

    class ApnsRun;

    store::Store *m_store;
    ApnsSender *m_apns;
    const Settings *m_settings;
    JobFeed m_feed;
    qint64 m_completed = 0;
};

} // namespace qpush::push
