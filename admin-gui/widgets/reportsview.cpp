#include "reportsview.h"

#include "apiclient.h"
#include "reportmodel.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace qpush::admin {

ReportsView::ReportsView(ApiClient *api, QWidget *parent)
    : QWidget(parent), m_api(api), m_model(new ReportListModel(api, this)),
      m_acks(new AckDetailModel(this))
{
    m_room = new QLineEdit(this);
    m_room->setObjectName(QStringLiteral("reportRoomFilter"));
    m_room->setPlaceholderText(tr("Filter by room"));
    m_room->setClearButtonEnabled(true);
    auto *refresh =
        new QPushButton(QIcon::fromTheme(QStringLiteral("view-refresh")), tr("&Refresh"), this);
    m_previous =
        new QPushButton(QIcon::fromTheme(QStringLiteral("go-previous")), tr("Ne&wer"), this);
    m_next = new QPushButton(QIcon::fromTheme(QStringLiteral("go-next")), tr("&Older"), this);
    m_pageLabel = new QLabel(this);
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_room, 1);
    bar->addWidget(refresh);
    bar->addWidget(m_previous);
    bar->addWidget(m_pageLabel);
    bar->addWidget(m_next);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("reportTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);

    m_detail = new QLabel(this);
    m_detail->setObjectName(QStringLiteral("reportDetail"));
    m_detail->setTextFormat(Qt::RichText);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detail->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_detail->setWordWrap(true);
    m_payload = new QPlainTextEdit(this);
    m_payload->setObjectName(QStringLiteral("reportPayload"));
    m_payload->setReadOnly(true);
    m_payload->setMaximumBlockCount(2000);
    m_ackTable = new QTableView(this);
    m_ackTable->setObjectName(QStringLiteral("ackTable"));
    m_ackTable->setModel(m_acks);
    m_ackTable->verticalHeader()->hide();
    m_ackTable->horizontalHeader()->setSectionResizeMode(AckDetailModel::ClientId,
                                                         QHeaderView::Stretch);
    m_ackTable->horizontalHeader()->setSectionResizeMode(AckDetailModel::Platform,
                                                         QHeaderView::ResizeToContents);
    m_ackTable->setWordWrap(false);
    auto *detailBox = new QGroupBox(tr("Push"), this);
    auto *detailLayout = new QVBoxLayout(detailBox);
    detailLayout->addWidget(m_detail);
    detailLayout->addWidget(new QLabel(tr("Payload:"), this));
    detailLayout->addWidget(m_payload, 1);
    detailLayout->addWidget(new QLabel(tr("Acknowledged by:"), this));
    detailLayout->addWidget(m_ackTable, 2);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("reportsSplit"));
    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addLayout(bar);
    leftLayout->addWidget(m_table);
    split->addWidget(left);
    split->addWidget(detailBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split);

    connect(m_room, &QLineEdit::textChanged, m_model, &ReportListModel::setRoomFilter);
    connect(refresh, &QPushButton::clicked, this, &ReportsView::reload);
    connect(m_previous, &QPushButton::clicked, this,
            [this] { m_model->setPage(m_model->page() - 1); });
    connect(m_next, &QPushButton::clicked, this, [this] { m_model->setPage(m_model->page() + 1); });
    connect(m_model, &ReportListModel::loaded, this, &ReportsView::updatePaging);
    connect(m_model, &ReportListModel::failed, this,
            [this](const ApiError &e) { Q_EMIT failed(tr("Cannot load the reports"), e); });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ReportsView::selectionChanged);
    showDetail({});
    updatePaging();
}

void ReportsView::setNamespace(const QString &nsp)
{
    m_model->setNamespace(nsp);
    m_shown = {};
    showDetail({});
}

void ReportsView::reload()
{
    m_model->refresh();
}

void ReportsView::updatePaging()
{
    m_previous->setEnabled(m_model->page() > 1);
    m_next->setEnabled(m_model->mayHaveMore());
    m_pageLabel->setText(tr("page %1").arg(m_model->page()));
    m_table->resizeColumnsToContents();
    if (m_shown.id) {
        const int row = m_model->rowOfId(m_shown.id);
        if (row >= 0)
            m_table->selectRow(row);
    }
}

void ReportsView::selectionChanged()
{
    const PushReport *r = m_model->reportAt(m_table->currentIndex().row());
    if (r && r->id != m_shown.id)
        openReport(r->id);
}

void ReportsView::openReport(qint64 id)
{
    if (m_detailCall)
        m_detailCall->abort();
    const QString nsp = m_model->namespaceKey();
    m_detailCall = m_api->report(nsp, id, true);
    m_detailCall->then(this, [this, id](const ApiReply &r) {
        if (!r.ok()) {
            if (!r.error->cancelled)
                Q_EMIT failed(tr("Cannot load push %1").arg(id), *r.error);
            return;
        }
        showDetail(PushReport::fromJson(r.object()));
        const int row = m_model->rowOfId(id);
        if (row >= 0 && m_table->currentIndex().row() != row)
            m_table->selectRow(row);
        Q_EMIT reportShown(id);
    });
    if (m_model->rowOfId(id) < 0)
        m_model->refresh();
}

void ReportsView::showDetail(const PushReport &r)
{
    m_shown = r;
    if (!r.id) {
        m_detail->setText(tr("Select a push to see its report."));
        m_payload->clear();
        m_acks->clear();
        return;
    }
    const QString apns =
        r.apnsCount == 0
            ? tr("not tried")
            : tr("%1 of %2 sent (%3)").arg(r.apnsSuccessCount).arg(r.apnsCount).arg(r.apnsEnv);
    QString text =
        tr("<b>Push %1</b> to room <b>%2</b><br>Sent %3%4<br>"
           "Online at send time: <b>%5</b><br>"
           "Acknowledged: <b>%6</b> (iOS %7, Android %8, web %9)<br>"
           "APNs: %10%11<br>Keep for offline devices: %12")
            .arg(r.id)
            .arg(r.room.toHtmlEscaped(), formatTime(r.sendDate),
                 r.extra == u"lost" ? tr(" — <i>simulated loss (not delivered)</i>") : QString())
            .arg(r.onlineClientCount)
            .arg(r.ackCount)
            .arg(r.ackIOSCount)
            .arg(r.ackAndroidCount)
            .arg(r.ackWebCount)
            .arg(apns, r.apnsName.isEmpty()
                           ? QString()
                           : tr(", configuration \"%1\"").arg(r.apnsName.toHtmlEscaped()))
            .arg(r.leaveMessage ? tr("yes") : tr("no"));
    if (!r.result.isEmpty())
        text += tr("<br>Result: %1").arg(r.result.toHtmlEscaped());
    m_detail->setText(text);
    m_payload->setPlainText(QString::fromUtf8(QJsonDocument(r.pushData).toJson()));
    m_acks->setReport(r);
}

} // namespace qpush::admin
