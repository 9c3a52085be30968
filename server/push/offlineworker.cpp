#include "offlineworker.h"

#include "logging.h"
#include "sequence.h"

#include <QDateTime>
#include <QPointer>
#include <QSet>

#include <memory>

namespace qpush::push {

OfflineWorker::OfflineWorker(store::Store *store, ApnsSender *apns, const Settings *settings,
                             QObject *parent)
    : QObject(parent), m_store(store), m_apns(apns), m_settings(settings), m_feed(store)
{
    connect(&m_feed, &JobFeed::jobClaimed, this, [this](const store::Job &job) {
        QPointer<OfflineWorker> self(this);
        run(job, [self, job] {
            if (self)
                self->m_feed.finished(job);
        });
    });
}

void OfflineWorker::start(int pollIntervalMs)
{
    JobFeed::Options o;
    o.pollIntervalMs = pollIntervalMs;
    o.leaseMs = m_settings->workerClaimTimeoutMs;
    o.clock = m_settings->clock;
    m_feed.start(o);
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
    auto complete = [self, job, finished] {
        if (!self)
            return finished();
        self->m_store->completeJob(job.nsp, job.id, [self, finished](store::Result<bool> r) {
            if (self && r)
                ++self->m_completed;
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

    // What the steps learn: the push, then its recipients by platform.
    struct Work
    {
        store::PushMessage message;
        QStringList android;
        QList<store::ClientInfo> ios;
    };
    auto work = std::make_shared<Work>();
    using Next = Sequence::Next;
    Sequence(this, finished)
        .then([this, job, id, work, complete, retryLater](const Next &next) {
            m_store->getReport(job.nsp, id, false, [=](store::Result<store::PushReport> report) {
                if (!report) {
                    if (report.error().code == store::ErrorCode::NotFound)
                        return complete(); // expired meanwhile: nothing to do
                    return retryLater(report.error());
                }
                work->message = report.value().message;
                next();
            });
        })
        .then([this, job, id, work, retryLater](const Next &next) {
            m_store->pendingRecipients(job.nsp, id, [=](store::Result<QList<store::ClientInfo>> r) {
                if (!r)
                    return retryLater(r.error());
                for (const store::ClientInfo &c : r.value()) {
                    if (!c.leaveMessage)
                        continue;
                    if (c.platform == store::Platform::Android)
                        work->android.append(c.clientId);
                    else if (c.platform == store::Platform::Ios && !c.deviceToken.isEmpty() &&
                             !c.noSendApns.contains(work->message.room))
                        work->ios.append(c);
                }
                next();
            });
        })
        .then([this, job, id, work, retryLater](const Next &next) {
            if (work->android.isEmpty())
                return next();
            if (auto *m = m_settings->metrics)
                m->offlineStored.inc(quint64(work->android.size()));
            m_store->addOfflineEntries(job.nsp, id, work->android,
                                       m_settings->androidUnreadMessageListMaxLimit,
                                       [=](store::Result<store::Done> added) {
                                           if (!added)
                                               return retryLater(added.error());
                                           next();
                                       });
        })
        .then([this, job, id, work, complete, retryLater](const Next &) {
            if (work->ios.isEmpty())
                return complete();
            const store::PushMessage &m = work->message;
            runApns({job.nsp, id, m.room, m.apnsName, m.pushData, m.expireAt, work->ios}, complete,
                    retryLater);
        })
        .run();
}

// The APNs part of an offline job. Every answer is recorded per (push,
// client) before the job completes, so a job redone after a crash sends
// only to the clients without an answer and counts nobody twice.
class OfflineWorker::ApnsRun : public std::enable_shared_from_this<ApnsRun>
{
public:
    ApnsRun(OfflineWorker *worker, ApnsDelivery delivery, std::function<void()> complete,
            std::function<void(const store::Error &)> retryLater)
        : m_worker(worker), m_delivery(std::move(delivery)), m_complete(std::move(complete)),
          m_retryLater(std::move(retryLater))
    {
    }

    void start()
    {
        auto self = shared_from_this();
        store()->apnsOutcomes(m_delivery.nsp, m_delivery.id,
                              [self](store::Result<QList<store::ApnsOutcome>> recorded) {
                                  self->send(std::move(recorded));
                              });
    }

private:
    static constexpr qsizetype kFlushBatch = 200;
    static constexpr int kFlushDelayMs = 250;

    store::Store *store() const { return m_worker->m_store; }

    void send(store::Result<QList<store::ApnsOutcome>> recorded)
    {
        if (!m_worker)
            return m_complete(); // the worker is gone: the job comes back after its lease
        if (!recorded)
            return m_retryLater(recorded.error());
        QSet<QString> answered;
        for (const store::ApnsOutcome &o : recorded.value())
            answered.insert(o.clientId);
        ApnsDelivery remaining = m_delivery;
        remaining.recipients.clear();
        for (const store::ClientInfo &c : std::as_const(m_delivery.recipients))
            if (!answered.contains(c.clientId))
                remaining.recipients.append(c);
        m_unanswered = remaining.recipients.size();
        auto self = shared_from_this();
        m_worker->m_apns->send(
            remaining,
            [self](const store::ApnsOutcome &o) {
                self->m_buffer.append(o);
                if (self->m_buffer.size() >= kFlushBatch)
                    return self->flush();
                if (self->m_buffer.size() == 1 && self->m_worker) {
                    // Answers reach the store within kFlushDelayMs even when
                    // they trickle in: a crash loses at most that much.
                    std::weak_ptr<ApnsRun> weak = self;
                    QTimer::singleShot(kFlushDelayMs, self->m_worker.data(), [weak] {
                        if (auto run = weak.lock(); run && !run->m_sendDone)
                            run->flush();
                    });
                }
            },
            [self](const ApnsSummary &summary) {
                self->m_summary = summary;
                self->m_sendDone = true;
                self->flush();
            });
    }

    void flush()
    {
        if (!m_worker)
            return m_complete(); // the worker is gone: the job comes back after its lease
        if (m_flushing)
            return;
        if (m_buffer.isEmpty()) {
            if (m_sendDone)
                finalize();
            return;
        }
        m_flushing = true;
        QList<store::ApnsOutcome> batch;
        batch.swap(m_buffer);
        auto self = shared_from_this();
        store()->recordApnsOutcomes(m_delivery.nsp, m_delivery.id, batch,
                                    [self](store::Result<store::Done> r) {
                                        self->m_flushing = false;
                                        if (!r && !self->m_error)
                                            self->m_error = r.error();
                                        self->flush();
                                    });
    }

    void finalize()
    {
        if (!m_worker)
            return m_complete();
        if (m_error) {
            if (m_error->code == store::ErrorCode::NotFound)
                return m_complete(); // expired meanwhile
            return m_retryLater(*m_error);
        }
        auto self = shared_from_this();
        store()->apnsOutcomes(m_delivery.nsp, m_delivery.id,
                              [self](store::Result<QList<store::ApnsOutcome>> all) {
                                  if (!self->m_worker)
                                      return self->m_complete();
                                  if (!all)
                                      return self->m_retryLater(all.error());
                                  self->clearTokens(all.value());
                                  store::ApnsResult result;
                                  result.apnsEnv = self->m_summary.apnsEnv;
                                  result.result = self->resultText(all.value());
                                  self->store()->recordApnsResult(
                                      self->m_delivery.nsp, self->m_delivery.id, result,
                                      [self](store::Result<store::Done> r) {
                                          if (!r && r.error().code != store::ErrorCode::NotFound)
                                              return self->m_retryLater(r.error());
                                          self->m_complete();
                                      });
                              });
    }

    QString resultText(const QList<store::ApnsOutcome> &all) const
    {
        const QString &refused = m_summary.refused;
        if (refused.isEmpty())
            return apnsResultText(all);
        if (all.isEmpty())
            return QStringLiteral("%1 (%2 iOS recipients)")
                .arg(refused)
                .arg(m_delivery.recipients.size());
        // Answers from before a restart, then the entry became unusable.
        return QStringLiteral("%1; %2 (%3 not tried)")
            .arg(apnsResultText(all), refused)
            .arg(m_unanswered);
    }

    // 410 / BadDeviceToken / Unregistered / DeviceTokenNotForTopic: the
    // client's token is cleared through the store (idempotent).
    void clearTokens(const QList<store::ApnsOutcome> &all)
    {
        for (const store::ApnsOutcome &o : all) {
            if (!o.tokenCleared)
                continue;
            store::ClientPatch patch;
            patch.deviceToken = QString();
            store()->updateClient(o.clientId, patch,
                                  [id = o.clientId](store::Result<store::ClientInfo> r) {
                                      if (!r)
                                          qCInfo(lcPush) << "clearing the device token of" << id
                                                         << "failed:" << r.error().toString();
                                  });
        }
    }

    QPointer<OfflineWorker> m_worker;
    ApnsDelivery m_delivery;
    std::function<void()> m_complete;
    std::function<void(const store::Error &)> m_retryLater;
    QList<store::ApnsOutcome> m_buffer;
    ApnsSummary m_summary;
    qsizetype m_unanswered = 0; ///< recipients without a recorded answer at start
    bool m_flushing = false;
    bool m_sendDone = false;
    std::optional<store::Error> m_error;
};

void OfflineWorker::runApns(const ApnsDelivery &delivery, std::function<void()> complete,
                            std::function<void(const store::Error &)> retryLater)
{
    std::make_shared<ApnsRun>(this, delivery, std::move(complete), std::move(retryLater))->start();
}

} // namespace qpush::push
