// Push reports of one namespace: the list (paging, room filter) and the
// details of the selected push — counts per platform, APNs result, payload,
// and who acknowledged it.
#pragma once

#include "apitypes.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace qpush::admin {

class AckDetailModel;
class ApiCall;
class ApiClient;
class ReportListModel;
struct ApiError;

class ReportsView : public QWidget
{
    Q_OBJECT
public:
    ReportsView(ApiClient *api, QWidget *parent = nullptr);

    void setNamespace(const QString &nsp);
    // Loads the list and shows push `id` with its ack detail.
    void openReport(qint64 id);
    ReportListModel *model() const { return m_model; }
    AckDetailModel *acks() const { return m_acks; }
    qint64 shownId() const { return m_shown.id; }
    const PushReport &shownReport() const { return m_shown; }

public Q_SLOTS:
    void reload();

Q_SIGNALS:
    void failed(const QString &what, const qpush::admin::ApiError &error);
    void reportShown(qint64 id);

private:
    void showDetail(const PushReport &report);
    void selectionChanged();
    void updatePaging();

    ApiClient *m_api;
    ReportListModel *m_model;
    AckDetailModel *m_acks;
    QLineEdit *m_room;
    QPushButton *m_previous;
    QPushButton *m_next;
    QLabel *m_pageLabel;
    QTableView *m_table;
    QLabel *m_detail;
    QPlainTextEdit *m_payload;
    QTableView *m_ackTable;
    PushReport m_shown;
    QPointer<ApiCall> m_detailCall;
};

} // namespace qpush::admin
