// Push reports of one namespace (GET /api/auth/report/push, newest first):
// paging, and a room filter applied to the loaded page (the API has no room
// parameter). AckDetailModel lists who acknowledged one push, per platform.
#pragma once

#include "apitypes.h"

#include <QAbstractTableModel>
#include <QPointer>

namespace qpush::admin {

class ApiCall;
class ApiClient;
struct ApiError;

class ReportListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Id, Sent, Room, Online, Acks, Platforms, Apns, Result, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1 };

    ReportListModel(ApiClient *api, QObject *parent = nullptr);

    void setNamespace(const QString &nsp);
    QString namespaceKey() const { return m_nsp; }
    void setRoomFilter(const QString &room);
    void setPage(int page);
    int page() const { return m_page; }
    void setPageSize(int size) { m_pageSize = qBound(1, size, 500); }
    // True when the last page loaded was full (there may be a next one).
    bool mayHaveMore() const { return m_lastPageFull; }
    const PushReport *reportAt(int row) const;
    int rowOfId(qint64 id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    void loaded();
    void failed(const qpush::admin::ApiError &error);

private:
    void rebuild();

    ApiClient *m_api;
    QString m_nsp;
    QString m_room;
    int m_page = 1;
    int m_pageSize = 50;
    bool m_lastPageFull = false;
    QList<PushReport> m_all;
    QList<PushReport> m_rows;
    QPointer<ApiCall> m_call;
};

class AckDetailModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { ClientId, Platform, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;

    void setReport(const PushReport &report);
    void clear();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QList<std::pair<QString, QString>> m_rows; // client id, platform
};

} // namespace qpush::admin
