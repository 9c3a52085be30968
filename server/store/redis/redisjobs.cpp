// RedisStore: durable delayed work on a Redis Stream with a consumer group
// (docs/storage.md "Jobs"). The queue is one slot ({jobs} hash tag): a job
// hash, a `due` sorted set, the stream and the consumer group `workers`.
// Workers claim with one script (due jobs enter the stream, entries held by
// a dead consumer past the lease are taken over with XAUTOCLAIM, new entries
// are read); when nothing is ready, awaitJobs waits in XREADGROUP BLOCK on a
// connection of its own instead of polling.
#include "redisstore.h"

#include "../logging.h"
#include "redisreplies.h"

#include <QDateTime>
#include <QTimer>

#include <algorithm>

namespace qpush::store {

using namespace redis;

namespace {

Result<QList<Job>> jobsFromArray(const RedisValue &v)
{
    auto arr = redisArray(v);
    if (!arr)
        return arr.error();
    QList<Job> jobs;
    for (const RedisValue &e : arr.value()) {
        auto h = toHash(e);
        if (!h)
            return h.error();
        Job j;
        j.id = num(h.value(), "id");
        j.nsp = str(h.value(), "nsp");
        j.kind = str(h.value(), "kind");
        j.payload = h->value(QByteArrayLiteral("payload"));
        j.dueAt = num(h.value(), "due");
        j.attempts = int(num(h.value(), "att"));
        jobs.append(j);
    }
    return jobs;
}

// {jobs, nextDue} from kJobClaim / kJobAdopt.
Result<std::pair<QList<Job>, qint64>> claimReply(const RedisValue &v)
{
    auto arr = redisArray(v);
    if (!arr)
        return arr.error();
    if (arr->size() != 2)
        return Error{ErrorCode::Corrupt, QStringLiteral("redis: bad job claim reply")};
    auto jobs = jobsFromArray(arr->at(0));
    if (!jobs)
        return jobs.error();
    return std::pair{jobs.value(), arr->at(1).toInteger()};
}

} // namespace

void RedisStore::enqueueJob(const JobSpec &job, Callback<qint64> done)
{
    if (job.nsp.isEmpty() || job.kind.isEmpty()) {
        failLater(std::move(done), invalid(QStringLiteral("a job needs a namespace and a kind")));
        return;
    }
    m_client->eval(m_scripts.jobEnqueue, {jobKey("seq"), jobKey("due"), jobKey("stream")},
                   {jobKey(""), job.nsp.toUtf8(), job.kind.toUtf8(), job.payload,
                    QByteArray::number(job.dueAt)},
                   handle(std::move(done), [](const RedisValue &r) { return redisInteger(r); }));
}

void RedisStore::claimJobsAt(const QByteArray &now, int max, qint64 leaseMs,
                             Callback<std::pair<QList<Job>, qint64>> done)
{
    m_client->eval(m_scripts.jobClaim, {jobKey("due"), jobKey("stream"), jobKey("cursor")},
                   {jobKey(""), now, QByteArray::number(std::max(max, 1)),
                    QByteArray::number(std::max<qint64>(leaseMs, 0)), m_consumer},
                   handle(std::move(done), claimReply));
}

void RedisStore::claimJobs(qint64 now, int max, qint64 leaseMs, Callback<QList<Job>> done)
{
    if (max <= 0) {
        QMetaObject::invokeMethod(
            this, [done = std::move(done)]() { done(QList<Job>{}); }, Qt::QueuedConnection);
        return;
    }
    claimJobsAt(QByteArray::number(now), max, leaseMs,
                [done = std::move(done)](Result<std::pair<QList<Job>, qint64>> r) {
                    if (!r)
                        return done(r.error());
                    done(std::move(r.value().first));
                });
}

void RedisStore::awaitJobs(int max, qint64 leaseMs, int waitMs, Callback<QList<Job>> done)
{
    if (max <= 0) {
        claimJobs(0, max, leaseMs, std::move(done));
        return;
    }
    awaitJobsUntil(max, leaseMs, std::max(waitMs, 0),
                   QDateTime::currentMSecsSinceEpoch() + std::max(waitMs, 0), std::move(done));
}

void RedisStore::awaitJobsUntil(int max, qint64 leaseMs, int maxWaitMs, qint64 deadline,
                                Callback<QList<Job>> done)
{
    // 1. what is ready now (due times against this node's clock, like the
    //    SQLite queue; the nodes' clocks are assumed NTP-close).
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    claimJobsAt(QByteArray::number(now), max, leaseMs,
                [this, max, leaseMs, maxWaitMs, deadline, now,
                 done = std::move(done)](Result<std::pair<QList<Job>, qint64>> r) mutable {
                    if (!r)
                        return done(r.error());
                    const qint64 left = deadline - QDateTime::currentMSecsSinceEpoch();
                    if (!r.value().first.isEmpty() || left <= 0)
                        return done(std::move(r.value().first));
                    // 2. nothing: block until an entry arrives, the next known due
                    //    time or the deadline; the caller then claims again, which
                    //    also takes over the work of dead consumers.
                    qint64 wait = left;
                    if (const qint64 next = r.value().second; next >= 0)
                        wait = std::clamp<qint64>(next - now, 1, left);
                    blockForJobs(max, int(wait), maxWaitMs,
                                 [this, max, leaseMs, maxWaitMs, deadline, done = std::move(done)](
                                     Result<std::optional<QList<Job>>> got) mutable {
                                     if (!got)
                                         return done(got.error());
                                     if (got.value() && !got.value()->isEmpty())
                                         return done(std::move(*got.value()));
                                     // A wake entry, a due time reached, or nothing
                                     // read: look again while time is left.
                                     if (QDateTime::currentMSecsSinceEpoch() >= deadline)
                                         return done(QList<Job>{});
                                     awaitJobsUntil(max, leaseMs, maxWaitMs, deadline,
                                                    std::move(done));
                                 });
                });
}

RedisClient *RedisStore::blockingClient(int waitMs)
{
    if (m_blockingClient && waitMs <= m_blockingWaitMs)
        return m_blockingClient;
    if (m_blockingClient) {
        m_blockingClient->deleteLater();
        m_blockingClient = nullptr;
    }
    RedisClientOptions o;
    o.addresses = m_options.addresses;
    o.cluster = m_options.cluster;
    o.password = m_options.password;
    o.db = m_options.db;
    o.connectTimeoutMs = m_options.connectTimeoutMs;
    o.reconnectMinMs = m_options.reconnectMinMs;
    o.reconnectMaxMs = m_options.reconnectMaxMs;
    // A blocked read answers within waitMs: only a longer silence is a hang.
    m_blockingWaitMs = std::max(waitMs, 1000);
    o.commandTimeoutMs = m_options.commandTimeoutMs + m_blockingWaitMs;
    m_blockingClient = new RedisClient(o, this);
    m_blockingClient->start();
    return m_blockingClient;
}

void RedisStore::blockForJobs(int max, int waitMs, int maxWaitMs,
                              Callback<std::optional<QList<Job>>> done)
{
    RedisClient *client = blockingClient(maxWaitMs);
    if (!client->isAvailable()) {
        // First use (or an outage): wait for its connection(s) and, on a
        // cluster, its slot map, at most for the wait itself.
        auto settled = std::make_shared<bool>(false);
        auto *timer = new QTimer(this);
        timer->setSingleShot(true);
        auto finish = [this, settled, timer, max, waitMs, maxWaitMs,
                       done = std::move(done)](bool up) mutable {
            if (*settled)
                return;
            *settled = true;
            timer->deleteLater();
            if (up)
                blockForJobs(max, waitMs, maxWaitMs, std::move(done));
            else
                done(Error{ErrorCode::Unavailable,
                           QStringLiteral("redis: no connection for waiting on jobs")});
        };
        auto shared = std::make_shared<decltype(finish)>(std::move(finish));
        connect(client, &RedisClient::availabilityChanged, timer, [shared](bool up) {
            if (up)
                (*shared)(true);
        });
        connect(timer, &QTimer::timeout, this, [shared] { (*shared)(false); });
        timer->start(std::max(waitMs, m_options.connectTimeoutMs));
        return;
    }
    const QByteArray stream = jobKey("stream");
    client->execute(
        stream,
        {QByteArrayLiteral("XREADGROUP"), QByteArrayLiteral("GROUP"), QByteArrayLiteral("workers"),
         m_consumer, QByteArrayLiteral("COUNT"), QByteArray::number(max),
         QByteArrayLiteral("BLOCK"), QByteArray::number(waitMs), QByteArrayLiteral("STREAMS"),
         stream, QByteArrayLiteral(">")},
        [this, stream, done = std::move(done)](const RedisValue &v) mutable {
            if (v.isError())
                return done(v.toError());
            if (v.isNil())
                return done(std::optional<QList<Job>>{}); // the wait ran out
            // [[stream, [[id, [field, value, ...]], ...]]]
            QByteArrayList args{jobKey("")};
            for (const RedisValue &s : v.elements()) {
                if (s.elements().size() != 2)
                    continue;
                for (const RedisValue &e : s.elements()[1].elements()) {
                    if (e.elements().size() != 2)
                        continue;
                    QByteArray jid;
                    const QList<RedisValue> &f = e.elements()[1].elements();
                    for (qsizetype i = 0; i + 1 < f.size(); i += 2)
                        if (f[i].bytes() == "jid")
                            jid = f[i + 1].bytes();
                    args << e.elements()[0].bytes() << jid;
                }
            }
            if (args.size() == 1)
                return done(std::optional<QList<Job>>{QList<Job>{}});
            // The entries are this consumer's now (in its pending list): the
            // script turns them into jobs, or acknowledges wake entries and
            // entries of jobs done meanwhile.
            m_client->eval(m_scripts.jobAdopt, {stream, jobKey("due")}, args,
                           [done = std::move(done)](const RedisValue &r) {
                               auto adopted = claimReply(r);
                               if (!adopted)
                                   return done(adopted.error());
                               done(std::optional<QList<Job>>{std::move(adopted.value().first)});
                           });
        });
}

void RedisStore::completeJob(const QString &nsp, qint64 id, Callback<bool> done)
{
    const QByteArray idText = QByteArray::number(id);
    m_client->eval(
        m_scripts.jobComplete,
        {jobKey("j:") + idText, jobKey("stream"), jobKey("due"), jobKey("ns:") + nsp.toUtf8()},
        {idText}, handle(std::move(done), [](const RedisValue &v) -> Result<bool> {
            auto n = redisInteger(v);
            if (!n)
                return n.error();
            return n.value() > 0;
        }));
}

void RedisStore::renewJobs(const QList<Job> &jobs, qint64 leaseMs, Callback<Done> done)
{
    Q_UNUSED(leaseMs); // the lease is the claimers' min-idle time: renewing restarts it
    QByteArrayList args{jobKey(""), m_consumer};
    for (const Job &j : jobs)
        args << QByteArray::number(j.id);
    m_client->eval(
        m_scripts.jobRenew, {jobKey("stream")}, args,
        handle(std::move(done), [](const RedisValue &) -> Result<Done> { return Done{}; }));
}

void RedisStore::dropNamespaceJobs(const QString &nsp, Callback<Done> done)
{
    m_client->eval(
        m_scripts.jobDropNamespace, {jobKey("ns:") + nsp.toUtf8(), jobKey("stream"), jobKey("due")},
        {jobKey("")},
        handle(std::move(done), [](const RedisValue &) -> Result<Done> { return Done{}; }));
}

} // namespace qpush::store
