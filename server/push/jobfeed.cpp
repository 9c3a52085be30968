#include "jobfeed.h"

#include "logging.h"

#include <QPointer>

#include <algorithm>

namespace qpush::push {

JobFeed::JobFeed(store::Store *store, QObject *parent) : QObject(parent), m_store(store)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_pollTimer, &QTimer::timeout, this, &JobFeed::claim);
    connect(&m_retryTimer, &QTimer::timeout, this, &JobFeed::claim);
    connect(&m_renewTimer, &QTimer::timeout, this, &JobFeed::renew);
}

void JobFeed::start(const Options &options)
{
    m_options = options;
    m_started = true;
    m_renewTimer.start(int(std::clamp<qint64>(m_options.leaseMs / 3, 50, 60000)));
    if (m_store->waitsForJobs())
        claimSoon(0);
    else
        m_pollTimer.start(m_options.pollIntervalMs);
}

void JobFeed::stop()
{
    m_started = false;
    m_pollTimer.stop();
    m_retryTimer.stop();
    m_renewTimer.stop();
}

void JobFeed::claimSoon(int delayMs)
{
    if (delayMs <= 0)
        QMetaObject::invokeMethod(this, &JobFeed::claim, Qt::QueuedConnection);
    else
        m_retryTimer.start(delayMs);
}

void JobFeed::claim()
{
    // One batch at a time: the next claim waits until the worker is idle.
    if (!m_started || m_claiming || !m_running.isEmpty())
        return;
    m_claiming = true;
    QPointer<JobFeed> self(this);
    auto answer = [self](store::Result<QList<store::Job>> r) {
        if (self)
            self->onClaimed(std::move(r));
    };
    if (m_store->waitsForJobs()) {
        // The blocked read returns at least every half lease, so the claim
        // script (which takes over the work of dead workers) runs that often.
        const int waitMs = int(std::clamp<qint64>(m_options.leaseMs / 2, 100, 5000));
        m_store->awaitJobs(m_options.batch, m_options.leaseMs, waitMs, answer);
    } else {
        m_store->claimJobs(m_options.clock->nowMs(), m_options.batch, m_options.leaseMs, answer);
    }
}

void JobFeed::onClaimed(store::Result<QList<store::Job>> r)
{
    m_claiming = false;
    if (!r) {
        qCDebug(lcPush) << "claiming jobs failed:" << r.error().toString();
        if (m_store->waitsForJobs())
            claimSoon(m_options.retryMs);
        return;
    }
    if (!m_started)
        return; // claimed while stopping: they come back after their lease
    for (const store::Job &job : r.value())
        m_running.insert({job.nsp, job.id}, job);
    m_emitting = true;
    for (const store::Job &job : r.value())
        Q_EMIT jobClaimed(job);
    m_emitting = false;
    if (m_running.isEmpty() && m_store->waitsForJobs())
        claimSoon(0);
}

void JobFeed::finished(const store::Job &job)
{
    m_running.remove({job.nsp, job.id});
    if (m_running.isEmpty() && !m_emitting && m_started && m_store->waitsForJobs())
        claimSoon(0);
}

void JobFeed::renew()
{
    if (m_running.isEmpty())
        return;
    m_store->renewJobs(m_running.values(), m_options.leaseMs, [](store::Result<store::Done> r) {
        if (!r)
            qCDebug(lcPush) << "renewing job leases failed:" << r.error().toString();
    });
}

} // namespace qpush::push
