#include "dashboardfeed.h"

#include "apiclient.h"

namespace qpush::admin {

DashboardFeed::DashboardFeed(ApiClient *api, QObject *parent) : QObject(parent), m_api(api)
{
    m_timer.setInterval(5000);
    connect(&m_timer, &QTimer::timeout, this, &DashboardFeed::poll);
}

void DashboardFeed::setNamespace(const QString &nsp)
{
    if (m_onlineCall)
        m_onlineCall->abort();
    if (m_statsCall)
        m_statsCall->abort();
    m_nsp = nsp;
    m_history.clear();
    m_stats = {};
}

void DashboardFeed::start()
{
    m_timer.start();
    poll();
}

void DashboardFeed::stop()
{
    m_timer.stop();
}

void DashboardFeed::poll()
{
    if (m_nsp.isEmpty())
        return;
    const QString nsp = m_nsp;
    if (!m_onlineCall) {
        m_onlineCall = m_api->onlineSummary(nsp, false);
        m_onlineCall->then(this, [this, nsp](const ApiReply &r) {
            m_onlineCall = nullptr;
            if (nsp != m_nsp)
                return;
            if (!r.ok()) {
                if (!r.error->cancelled)
                    Q_EMIT failed(*r.error);
                return;
            }
            const OnlineSummary s = OnlineSummary::fromJson(r.object());
            const OnlineSample sample{QDateTime::currentDateTime(), s.clientCount, s.userCount,
                                      s.roomCount};
            m_history.append(sample);
            if (m_history.size() > MaxSamples)
                m_history.removeFirst();
            Q_EMIT sampled(sample);
        });
    }
    if (!m_statsCall) {
        m_statsCall = m_api->messageStats(nsp);
        m_statsCall->then(this, [this, nsp](const ApiReply &r) {
            m_statsCall = nullptr;
            if (nsp != m_nsp)
                return;
            if (!r.ok()) {
                if (!r.error->cancelled)
                    Q_EMIT failed(*r.error);
                return;
            }
            m_stats = MessageStats::fromJson(r.object());
            Q_EMIT statsChanged(m_stats);
        });
    }
}

} // namespace qpush::admin
