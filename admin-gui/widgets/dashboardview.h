// Live view of one namespace: a line chart of online clients, users and
// rooms over time (Qt Charts), the message counters (minute/hour/day) and
// the rooms with clients online, split by platform. Polls only while shown.
#pragma once

#include <QWidget>

class QChart;
class QDateTimeAxis;
class QLabel;
class QLineSeries;
class QTableView;
class QValueAxis;

namespace qpush::admin {

class ApiClient;
class DashboardFeed;
class RoomOnlineModel;
struct ApiError;
struct MessageStats;
struct OnlineSample;

class DashboardView : public QWidget
{
    Q_OBJECT
public:
    DashboardView(ApiClient *api, QWidget *parent = nullptr);

    void setNamespace(const QString &nsp);
    void setInterval(int ms);
    DashboardFeed *feed() const { return m_feed; }
    RoomOnlineModel *rooms() const { return m_rooms; }
    QString countersText() const;

Q_SIGNALS:
    void failed(const QString &what, const qpush::admin::ApiError &error);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void addSample(const OnlineSample &sample);
    void showStats(const MessageStats &stats);
    void rescale();

    DashboardFeed *m_feed;
    RoomOnlineModel *m_rooms;
    QChart *m_chart;
    QLineSeries *m_clients;
    QLineSeries *m_users;
    QLineSeries *m_roomsSeries;
    QDateTimeAxis *m_timeAxis;
    QValueAxis *m_countAxis;
    QLabel *m_online;
    QLabel *m_messages;
    QTableView *m_roomTable;
};

} // namespace qpush::admin
