// Push reports and message statistics of a namespace (SPEC §4 report/push,
// current-message-stat): read from the store, ack details capped at
// report_push_ack_detail_max_limit.
#pragma once

#include "requests.h"
#include "settings.h"

#include "store/store.h"

namespace qpush::push {

class Reports
{
public:
    Reports(store::Store *store, const Settings *settings) : m_store(store), m_settings(settings) {}

    void get(const QString &nsp, const ReportRequest &request, Callback<store::PushReport> done);
    void list(const QString &nsp, const PageRequest &page, Callback<QList<store::PushReport>> done);
    // Pushes of the current minute, hour and day (UTC).
    void messageStats(const QString &nsp, Callback<store::MessageStats> done);

private:
    store::Store *m_store;
    const Settings *m_settings;
};

} // namespace qpush::push
