#include "offlineworker.h"

#include "gateway.h"
#include "logging.h"

#include <QDateTime>
#include <QPointer>

namespace qpush::push {

namespace {
constexpr int kBatch = 32;
constexpr qint64 kLeaseMs = 60000;
} // namespace

OfflineWorker::OfflineWorker(store::Store *store, ApnsSender *apns, const Settings *settings,
                             QObject *parent)
    : QObject(parent), m_store(store), m_apns(apns), m_settings(settings)
{
    connect(&m_timer, &QTimer::timeout, this, &OfflineWorker::poll);
}

void OfflineWorker::start(int pollIntervalMs)
{
    m_timer.start(pollIntervalMs);
}

void OfflineWorker::poll()
{
    if (m_running > 0)
        return; // the previous batch is still being worked on
    QPointer<OfflineWorker> self(this);
    m_store->claimJobs(QDateTime::currentMSecsSinceEpoch(), kBatch, kLeaseMs,
                       [self](store::Result<QList<store::Job>> r) {
                           if (!self)
                               return;
                           if (!r) {
                               qCDebug(lcPush) << "claiming jobs failed:" << r.error().toString();
                               return;
                           }
                           for (const store::Job &job : r.value()) {
                               ++self->m_running;
                               self->run(job, [self] {
                                   if (self)
                                       --self->m_running;
                               });
                           }
                       });
}

void OfflineWorker::run(const store::Job &job, std::function<void()> finished)
{
    if (job.kind == u"offline")
        return runOffline(job, std::move(finished));
    qCWarning(lcPush) << "unknown job kind" << job.kind << "- dropped";
    m_store->completeJob(job.nsp, job.id, [finished](store::Result<bool>) { finished(); });
}

void OfflineWorker::runOffline(const store::Job &job, std::function<void()> finished)
{
    bool ok = false;
    const qint64 id = job.payload.toLongLong(&ok);
    QPointer<OfflineWorker> self(this);
    auto complete = [self, job, id, finished] {
        if (!self)
            return finished();
        self->m_store->completeJob(job.nsp, job.id, [self, id, finished](store::Result<bool> r) {
            if (self && r) {
                ++self->m_completed;
                Q_EMIT self->jobCompleted(id);
            }
            finished();
        });
    };
    if (!ok || id <= 0) {
        qCWarning(lcPush) << "offline job without a message id, dropped:" << job.payload;
        return complete();
    }
    // A failure leaves the job claimed: it comes back after its lease.
    auto retryLater = [finished](const store::Error &e) {
        qCInfo(lcPush) << "offline job will be retried:" << e.toString();
        finished();
    };
    m_store->getReport(job.nsp, id, false, [=](store::Result<store::PushReport> report) {
        if (!self)
            return finished();
        if (!report) {
            if (report.error().code == store::ErrorCode::NotFound)
                return complete(); // expired meanwhile: nothing to do
            return retryLater(report.error());
        }
        const store::PushMessage message = report.value().message;
        self->m_store->pendingRecipients(
            job.nsp, id, [=](store::Result<QList<store::ClientInfo>> r) {
                if (!self)
                    return finished();
                if (!r)
                    return retryLater(r.error());
                QStringList android;
                QList<store::ClientInfo> ios;
                for (const store::ClientInfo &c : r.value()) {
                    if (!c.leaveMessage)
                        continue;
                    if (c.platform == store::Platform::Android)
                        android.append(c.clientId);
                    else if (c.platform == store::Platform::Ios && !c.deviceToken.isEmpty() &&
                             !c.noSendApns.contains(message.room))
                        ios.append(c);
                }
                auto afterAndroid = [=](store::Result<store::Done> added) {
                    if (!self)
                        return finished();
                    if (!added)
                        return retryLater(added.error());
                    if (ios.isEmpty())
                        return complete();
                    ApnsDelivery d{job.nsp,          id, message.room, message.apnsName,
                                   message.pushData, ios};
                    self->m_apns->send(d, [=](store::ApnsResult result) {
                        if (!self)
                            return finished();
                        self->m_store->recordApnsResult(job.nsp, id, result,
                                                        [=](store::Result<store::Done> rec) {
                                                            if (!rec)
                                                                return retryLater(rec.error());
                                                            complete();
                                                        });
                    });
                };
                if (android.isEmpty())
                    return afterAndroid(store::Done{});
                self->m_store->addOfflineEntries(job.nsp, id, android,
                                                 self->m_settings->androidUnreadMessageListMaxLimit,
                                                 afterAndroid);
            });
    });
}

} // namespace qpush::push
