// Hands the offline worker its due jobs from the store, and keeps the lease
// of the jobs it runs. On a backend that can wait for work (Redis Streams:
// XREADGROUP BLOCK) one claim is outstanding whenever the worker is idle and
// answers as soon as a job arrives, so nothing polls Redis; otherwise
// (SQLite) the store is asked every `pollIntervalMs`. While jobs run, their
// lease is renewed every third of it, so that only the work of a worker that
// stopped (crash, kill -9, lost network) is taken over by another one.
#pragma once

#include "shared/clock.h"
#include "store/store.h"

#include <QHash>
#include <QObject>
#include <QTimer>

namespace qpush::push {

class JobFeed : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int batch = 32;
        qint64 leaseMs = 60000;              ///< `worker_claim_timeout`
        int pollIntervalMs = 200;            ///< backends that cannot wait
        int retryMs = 1000;                  ///< after a failed claim
        const Clock *clock = &systemClock(); ///< what "due" is measured against
    };

    explicit JobFeed(store::Store *store, QObject *parent = nullptr);

    void start(const Options &options);
    void stop();
    /// The worker is done with a claimed job (completed, or left to come back
    /// after its lease). When the batch is done the next claim goes out.
    void finished(const store::Job &job);
    qsizetype running() const { return m_running.size(); }

Q_SIGNALS:
    void jobClaimed(const store::Job &job);

private:
    void claim();
    void claimSoon(int delayMs);
    void renew();
    void onClaimed(store::Result<QList<store::Job>> r);

    store::Store *m_store;
    Options m_options;
    QHash<QPair<QString, qint64>, store::Job> m_running;
    QTimer m_pollTimer;
    QTimer m_renewTimer;
    QTimer m_retryTimer;
    bool m_started = false;
    bool m_claiming = false;
    bool m_emitting = false;
};

} // namespace qpush::push
