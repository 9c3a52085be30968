// The admin's namespace list (GET /api/admin/namespace/list?online=true):
// filter by key/name, paging, and live online counts on refresh().
#pragma once

#include "apitypes.h"

#include <QAbstractTableModel>
#include <QPointer>

namespace qpush::admin {

class ApiCall;
class ApiClient;
struct ApiError;

class NamespaceListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Key, Name, Status, Clients, Users, Rooms, Apns, ColumnCount };
    enum Role { KeyRole = Qt::UserRole + 1, OfflineRole };

    explicit NamespaceListModel(ApiClient *api, QObject *parent = nullptr);

    void setFilter(const QString &key, const QString &name);
    void setPage(int page);
    void setPageSize(int size);
    int page() const { return m_query.page; }
    int pageCount() const;
    qint64 total() const { return m_total; }
    bool isLoading() const { return m_call != nullptr; }

    const NamespaceInfo *namespaceAt(int row) const;
    int rowOf(const QString &key) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

public Q_SLOTS:
    // Reloads the current page; a refresh still running is left to finish.
    void refresh();

Q_SIGNALS:
    void loaded();
    void failed(const qpush::admin::ApiError &error);

private:
    void apply(const NamespacePage &page);

    ApiClient *m_api;
    NamespaceQuery m_query;
    QList<NamespaceInfo> m_rows;
    qint64 m_total = 0;
    QPointer<ApiCall> m_call;
    bool m_again = false;
};

} // namespace qpush::admin
