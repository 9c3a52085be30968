#include "roommodel.h"

#include "apiclient.h"

#include <algorithm>

namespace qpush::admin {

RoomOnlineModel::RoomOnlineModel(ApiClient *api, QObject *parent)
    : QAbstractTableModel(parent), m_api(api)
{
}

void RoomOnlineModel::setNamespace(const QString &nsp)
{
    if (m_call)
        m_call->abort();
    m_nsp = nsp;
    apply({});
}

void RoomOnlineModel::refresh()
{
    if (m_nsp.isEmpty() || m_call)
        return; // one refresh at a time; the next poll catches up
    const QString nsp = m_nsp;
    m_call = m_api->onlineSummary(nsp, true);
    m_call->then(this, [this, nsp](const ApiReply &r) {
        m_call = nullptr;
        if (nsp != m_nsp)
            return;
        if (!r.ok()) {
            if (!r.error->cancelled)
                Q_EMIT failed(*r.error);
            return;
        }
        QStringList rooms = OnlineSummary::fromJson(r.object()).rooms;
        rooms.sort();
        rooms = rooms.mid(0, MaxRooms);
        if (rooms.isEmpty()) {
            apply({});
            return Q_EMIT loaded();
        }
        m_call = m_api->roomsOnline(nsp, rooms);
        m_call->then(this, [this, nsp](const ApiReply &r2) {
            m_call = nullptr;
            if (nsp != m_nsp)
                return;
            if (!r2.ok()) {
                if (!r2.error->cancelled)
                    Q_EMIT failed(*r2.error);
                return;
            }
            QList<RoomOnline> list;
            for (const QJsonValue &v : r2.array())
                list.append(RoomOnline::fromJson(v.toObject()));
            apply(list);
            Q_EMIT loaded();
        });
    });
}

void RoomOnlineModel::apply(QList<RoomOnline> rooms)
{
    bool same = rooms.size() == m_rows.size();
    for (qsizetype i = 0; same && i < rooms.size(); ++i)
        same = rooms.at(i).name == m_rows.at(i).name;
    if (!same) {
        beginResetModel();
        m_rows = std::move(rooms);
        endResetModel();
        return;
    }
    m_rows = std::move(rooms);
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

const RoomOnline *RoomOnlineModel::roomAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int RoomOnlineModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RoomOnlineModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RoomOnlineModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RoomOnline &r = m_rows.at(index.row());
    if (role == Qt::TextAlignmentRole && index.column() != Room)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Room:
        return r.name;
    case Clients:
        return r.clientCount;
    case Users:
        return r.userCount;
    case Ios:
        return r.iosClientCount;
    case Android:
        return r.androidClientCount;
    case Web:
        return qMax<qint64>(0, r.webClientCount());
    case Total:
        return r.totalClientCount;
    default:
        return {};
    }
}

QVariant RoomOnlineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *names[] = {
        QT_TR_NOOP("Room"),    QT_TR_NOOP("Online"), QT_TR_NOOP("Users"),       QT_TR_NOOP("iOS"),
        QT_TR_NOOP("Android"), QT_TR_NOOP("Web"),    QT_TR_NOOP("Members ever")};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

} // namespace qpush::admin
