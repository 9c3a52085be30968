#include "reports.h"

#include "storeresult.h"

namespace qpush::push {

void Reports::get(const QString &nsp, const ReportRequest &request,
                  Callback<store::PushReport> done)
{
    const int limit = m_settings->reportPushAckDetailMaxLimit;
    m_store->getReport(nsp, request.id, request.withDetail,
                       [limit, done](store::Result<store::PushReport> r) {
                           if (!r)
                               return done(fromStoreError(r.error()));
                           store::PushReport report = std::move(r).value();
                           report.ackIOSDetail = report.ackIOSDetail.mid(0, limit);
                           report.ackAndroidDetail = report.ackAndroidDetail.mid(0, limit);
                           report.ackWebDetail = report.ackWebDetail.mid(0, limit);
                           done(std::move(report));
                       });
}

void Reports::list(const QString &nsp, const PageRequest &page,
                   Callback<QList<store::PushReport>> done)
{
    m_store->listReports(nsp, page.page, page.size, relay(std::move(done)));
}

void Reports::messageStats(const QString &nsp, Callback<store::MessageStats> done)
{
    m_store->messageStats(nsp, m_settings->clock->nowMs(), relay(std::move(done)));
}

} // namespace qpush::push
