#include "namespacemodel.h"

#include "apiclient.h"

#include <QBrush>
#include <QColor>

namespace qpush::admin {

NamespaceListModel::NamespaceListModel(ApiClient *api, QObject *parent)
    : QAbstractTableModel(parent), m_api(api)
{
}

void NamespaceListModel::setFilter(const QString &key, const QString &name)
{
    m_query.key = key;
    m_query.name = name;
    m_query.page = 1;
    refresh();
}

void NamespaceListModel::setPage(int page)
{
    m_query.page = qMax(1, page);
    refresh();
}

void NamespaceListModel::setPageSize(int size)
{
    m_query.pageSize = qBound(1, size, 1000);
    m_query.page = 1;
    refresh();
}

int NamespaceListModel::pageCount() const
{
    return int(qMax<qint64>(1, (m_total + m_query.pageSize - 1) / m_query.pageSize));
}

void NamespaceListModel::refresh()
{
    if (m_call) {
        // Filter or page changed while loading: load again afterwards.
        m_again = true;
        return;
    }
    m_call = m_api->listNamespaces(m_query);
    m_call->then(this, [this](const ApiReply &r) {
        m_call = nullptr;
        if (m_again) {
            m_again = false;
            return refresh();
        }
        if (!r.ok())
            return Q_EMIT failed(*r.error);
        const NamespacePage page = NamespacePage::fromJson(r.object());
        m_api->learnPasswords(page.list);
        apply(page);
        // Past the end (after deletes): show the last page.
        if (page.list.isEmpty() && page.total > 0 && m_query.page > 1) {
            m_query.page = pageCount();
            return refresh();
        }
        Q_EMIT loaded();
    });
}

void NamespaceListModel::apply(const NamespacePage &page)
{
    m_total = page.total;
    bool sameKeys = page.list.size() == m_rows.size();
    for (qsizetype i = 0; sameKeys && i < m_rows.size(); ++i)
        sameKeys = m_rows.at(i).key == page.list.at(i).key;
    if (!sameKeys) {
        beginResetModel();
        m_rows = page.list;
        endResetModel();
        return;
    }
    m_rows = page.list;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

const NamespaceInfo *NamespaceListModel::namespaceAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int NamespaceListModel::rowOf(const QString &key) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).key == key)
            return int(i);
    return -1;
}

int NamespaceListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int NamespaceListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant NamespaceListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const NamespaceInfo &n = m_rows.at(index.row());
    if (role == KeyRole)
        return n.key;
    if (role == OfflineRole)
        return n.offline;
    if (role == Qt::ForegroundRole && n.offline)
        return QBrush(QColor(0x80, 0x80, 0x80));
    if (role == Qt::TextAlignmentRole && index.column() >= Clients && index.column() <= Apns)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == Status)
        return n.offline ? tr("Offline: clients and pushes are refused")
                         : tr("Online: accepting clients and pushes");
    if (role != Qt::DisplayRole)
        return {};
    auto count = [](const std::optional<qint64> &v) -> QVariant {
        return v ? QVariant(*v) : QVariant(QStringLiteral("—"));
    };
    switch (index.column()) {
    case Key:
        return n.key;
    case Name:
        return n.name;
    case Status:
        return n.offline ? tr("offline") : tr("online");
    case Clients:
        return count(n.clientCount);
    case Users:
        return count(n.userCount);
    case Rooms:
        return count(n.roomCount);
    case Apns:
        return qint64(n.apnsList.size());
    default:
        return {};
    }
}

QVariant NamespaceListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Key:
        return tr("Key");
    case Name:
        return tr("Name");
    case Status:
        return tr("Status");
    case Clients:
        return tr("Clients");
    case Users:
        return tr("Users");
    case Rooms:
        return tr("Rooms");
    case Apns:
        return tr("APNs");
    default:
        return {};
    }
}

} // namespace qpush::admin
