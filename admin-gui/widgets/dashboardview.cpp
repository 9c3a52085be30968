#include "dashboardview.h"

#include "apiclient.h"
#include "dashboardfeed.h"
#include "roommodel.h"

#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>

namespace qpush::admin {

DashboardView::DashboardView(ApiClient *api, QWidget *parent)
    : QWidget(parent), m_feed(new DashboardFeed(api, this)), m_rooms(new RoomOnlineModel(api, this))
{
    m_chart = new QChart;
    m_chart->setTitle(tr("Online"));
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_clients = new QLineSeries(m_chart);
    m_clients->setName(tr("Clients"));
    m_users = new QLineSeries(m_chart);
    m_users->setName(tr("Users"));
    m_roomsSeries = new QLineSeries(m_chart);
    m_roomsSeries->setName(tr("Rooms"));
    m_timeAxis = new QDateTimeAxis(m_chart);
    m_timeAxis->setFormat(QStringLiteral("HH:mm:ss"));
    m_timeAxis->setTickCount(6);
    m_countAxis = new QValueAxis(m_chart);
    m_countAxis->setLabelFormat(QStringLiteral("%d"));
    m_countAxis->setRange(0, 5);
    m_chart->addAxis(m_timeAxis, Qt::AlignBottom);
    m_chart->addAxis(m_countAxis, Qt::AlignLeft);
    for (QLineSeries *s : {m_clients, m_users, m_roomsSeries}) {
        m_chart->addSeries(s);
        s->attachAxis(m_timeAxis);
        s->attachAxis(m_countAxis);
    }
    auto *chartView = new QChartView(m_chart, this);
    chartView->setObjectName(QStringLiteral("onlineChart"));
    chartView->setRenderHint(QPainter::Antialiasing);
    chartView->setMinimumHeight(220);

    m_online = new QLabel(this);
    m_online->setObjectName(QStringLiteral("onlineCounters"));
    m_messages = new QLabel(this);
    m_messages->setObjectName(QStringLiteral("messageCounters"));
    for (QLabel *l : {m_online, m_messages}) {
        l->setTextFormat(Qt::RichText);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    auto *counters = new QGroupBox(tr("Now"), this);
    auto *countersLayout = new QVBoxLayout(counters);
    countersLayout->addWidget(m_online);
    countersLayout->addWidget(m_messages);
    countersLayout->addStretch();

    auto *top = new QWidget(this);
    auto *topLayout = new QHBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(chartView, 1);
    topLayout->addWidget(counters);

    auto *proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_rooms);
    m_roomTable = new QTableView(this);
    m_roomTable->setObjectName(QStringLiteral("roomTable"));
    m_roomTable->setModel(proxy);
    m_roomTable->setSortingEnabled(true);
    m_roomTable->sortByColumn(RoomOnlineModel::Clients, Qt::DescendingOrder);
    m_roomTable->horizontalHeader()->setSectionResizeMode(RoomOnlineModel::Room,
                                                          QHeaderView::Stretch);
    m_roomTable->verticalHeader()->hide();
    m_roomTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_roomTable->setAlternatingRowColors(true);
    auto *roomsBox = new QGroupBox(tr("Rooms with clients online"), this);
    auto *roomsLayout = new QVBoxLayout(roomsBox);
    roomsLayout->addWidget(m_roomTable);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(roomsBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split);

    connect(m_feed, &DashboardFeed::sampled, this, &DashboardView::addSample);
    connect(m_feed, &DashboardFeed::statsChanged, this, &DashboardView::showStats);
    connect(m_feed, &DashboardFeed::sampled, m_rooms, &RoomOnlineModel::refresh);
    connect(m_feed, &DashboardFeed::failed, this,
            [this](const ApiError &e) { Q_EMIT failed(tr("Dashboard"), e); });
    connect(m_rooms, &RoomOnlineModel::failed, this,
            [this](const ApiError &e) { Q_EMIT failed(tr("Rooms online"), e); });
    showStats({});
    m_online->setText(tr("<b>—</b> clients, <b>—</b> users, <b>—</b> rooms"));
}

void DashboardView::setNamespace(const QString &nsp)
{
    m_feed->setNamespace(nsp);
    m_rooms->setNamespace(nsp);
    for (QLineSeries *s : {m_clients, m_users, m_roomsSeries})
        s->clear();
    m_chart->setTitle(tr("Online in %1").arg(nsp));
    m_online->setText(tr("<b>—</b> clients, <b>—</b> users, <b>—</b> rooms"));
    showStats({});
    if (isVisible() && !nsp.isEmpty())
        m_feed->start();
}

void DashboardView::setInterval(int ms)
{
    m_feed->setInterval(ms);
}

void DashboardView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_feed->namespaceKey().isEmpty())
        m_feed->start();
}

void DashboardView::hideEvent(QHideEvent *event)
{
    m_feed->stop();
    QWidget::hideEvent(event);
}

void DashboardView::addSample(const OnlineSample &s)
{
    const qreal t = qreal(s.time.toMSecsSinceEpoch());
    m_clients->append(t, qreal(s.clients));
    m_users->append(t, qreal(s.users));
    m_roomsSeries->append(t, qreal(s.rooms));
    for (QLineSeries *series : {m_clients, m_users, m_roomsSeries})
        if (series->count() > DashboardFeed::MaxSamples)
            series->removePoints(0, series->count() - DashboardFeed::MaxSamples);
    m_online->setText(tr("<b>%1</b> clients, <b>%2</b> users, <b>%3</b> rooms")
                          .arg(s.clients)
                          .arg(s.users)
                          .arg(s.rooms));
    rescale();
}

void DashboardView::rescale()
{
    if (m_clients->count() == 0)
        return;
    const qreal first = m_clients->at(0).x();
    const qreal last = m_clients->at(m_clients->count() - 1).x();
    // At least a minute wide, so the first samples do not fill the chart.
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(qint64(first)),
                         QDateTime::fromMSecsSinceEpoch(qint64(qMax(last, first + 60000))));
    qreal top = 0;
    for (QLineSeries *series : {m_clients, m_users, m_roomsSeries})
        for (const QPointF &p : series->points())
            top = qMax(top, p.y());
    m_countAxis->setRange(0, qMax<qreal>(5, std::ceil(top * 1.2)));
}

void DashboardView::showStats(const MessageStats &stats)
{
    m_messages->setText(tr("Messages: <b>%1</b> this minute, <b>%2</b> this hour, <b>%3</b> today")
                            .arg(stats.minute)
                            .arg(stats.hour)
                            .arg(stats.day));
}

QString DashboardView::countersText() const
{
    return m_online->text() + QLatin1Char('\n') + m_messages->text();
}

} // namespace qpush::admin
