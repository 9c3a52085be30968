// Periodic polling of one namespace's online counts and message counters
// for the dashboard. A poll is skipped while the previous one is still in
// flight, so a slow server never queues requests or blocks the UI; the
// history is bounded (MaxSamples).
#pragma once

#include "apitypes.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

namespace qpush::admin {

class ApiCall;
class ApiClient;
struct ApiError;

struct OnlineSample
{
    QDateTime time;
    qint64 clients = 0, users = 0, rooms = 0;
};

class DashboardFeed : public QObject
{
    Q_OBJECT
public:
    static constexpr int MaxSamples = 720;

    DashboardFeed(ApiClient *api, QObject *parent = nullptr);

    void setNamespace(const QString &nsp);
    QString namespaceKey() const { return m_nsp; }
    void setInterval(int ms) { m_timer.setInterval(ms); }
    int interval() const { return m_timer.interval(); }
    void start();
    void stop();
    bool isActive() const { return m_timer.isActive(); }
    const QList<OnlineSample> &history() const { return m_history; }
    const MessageStats &stats() const { return m_stats; }

public Q_SLOTS:
    void poll();

Q_SIGNALS:
    void sampled(const qpush::admin::OnlineSample &sample);
    void statsChanged(const qpush::admin::MessageStats &stats);
    void failed(const qpush::admin::ApiError &error);

private:
    ApiClient *m_api;
    QString m_nsp;
    QTimer m_timer;
    QList<OnlineSample> m_history;
    MessageStats m_stats;
    QPointer<ApiCall> m_onlineCall;
    QPointer<ApiCall> m_statsCall;
};

} // namespace qpush::admin
