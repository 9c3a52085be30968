#include "reportmodel.h"

#include "apiclient.h"

namespace qpush::admin {

ReportListModel::ReportListModel(ApiClient *api, QObject *parent)
    : QAbstractTableModel(parent), m_api(api)
{
}

void ReportListModel::setNamespace(const QString &nsp)
{
    if (m_call)
        m_call->abort();
    m_nsp = nsp;
    m_page = 1;
    beginResetModel();
    m_all.clear();
    m_rows.clear();
    endResetModel();
}

void ReportListModel::setRoomFilter(const QString &room)
{
    m_room = room.trimmed();
    rebuild();
}

void ReportListModel::setPage(int page)
{
    m_page = qMax(1, page);
    refresh();
}

void ReportListModel::refresh()
{
    if (m_nsp.isEmpty())
        return;
    if (m_call)
        m_call->abort();
    m_call = m_api->reports(m_nsp, m_page, m_pageSize);
    m_call->then(this, [this](const ApiReply &r) {
        if (!r.ok()) {
            if (!r.error->cancelled)
                Q_EMIT failed(*r.error);
            return;
        }
        QList<PushReport> reports;
        const QJsonArray list = r.array();
        for (const QJsonValue &v : list)
            reports.append(PushReport::fromJson(v.toObject()));
        m_lastPageFull = list.size() >= m_pageSize;
        m_all = reports;
        rebuild();
        Q_EMIT loaded();
    });
}

void ReportListModel::rebuild()
{
    QList<PushReport> rows;
    for (const PushReport &r : std::as_const(m_all))
        if (m_room.isEmpty() || r.room.contains(m_room, Qt::CaseInsensitive))
            rows.append(r);
    bool sameIds = rows.size() == m_rows.size();
    for (qsizetype i = 0; sameIds && i < rows.size(); ++i)
        sameIds = rows.at(i).id == m_rows.at(i).id;
    if (!sameIds) {
        beginResetModel();
        m_rows = rows;
        endResetModel();
        return;
    }
    m_rows = rows;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

const PushReport *ReportListModel::reportAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

int ReportListModel::rowOfId(qint64 id) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).id == id)
            return int(i);
    return -1;
}

int ReportListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ReportListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ReportListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const PushReport &r = m_rows.at(index.row());
    if (role == IdRole)
        return r.id;
    if (role == Qt::TextAlignmentRole &&
        (index.column() == Id || index.column() == Online || index.column() == Acks))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Id:
        return r.id;
    case Sent:
        return formatTime(r.sendDate);
    case Room:
        return r.room;
    case Online:
        return r.onlineClientCount;
    case Acks:
        return r.ackCount;
    case Platforms:
        return tr("iOS %1 · Android %2 · web %3")
            .arg(r.ackIOSCount)
            .arg(r.ackAndroidCount)
            .arg(r.ackWebCount);
    case Apns:
        return r.apnsCount == 0 ? QStringLiteral("—")
                                : tr("%1 of %2").arg(r.apnsSuccessCount).arg(r.apnsCount);
    case Result:
        return r.extra == u"lost" ? tr("simulated loss") : r.result;
    default:
        return {};
    }
}

QVariant ReportListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *names[] = {QT_TR_NOOP("Id"),      QT_TR_NOOP("Sent"),
                                  QT_TR_NOOP("Room"),    QT_TR_NOOP("Online"),
                                  QT_TR_NOOP("Acks"),    QT_TR_NOOP("Acks per platform"),
                                  QT_TR_NOOP("APNs ok"), QT_TR_NOOP("Result")};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

void AckDetailModel::setReport(const PushReport &report)
{
    beginResetModel();
    m_rows.clear();
    for (const QString &id : report.ackIOSDetail)
        m_rows.append({id, QStringLiteral("iOS")});
    for (const QString &id : report.ackAndroidDetail)
        m_rows.append({id, QStringLiteral("Android")});
    for (const QString &id : report.ackWebDetail)
        m_rows.append({id, QStringLiteral("web")});
    endResetModel();
}

void AckDetailModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int AckDetailModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int AckDetailModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AckDetailModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) ||
        role != Qt::DisplayRole)
        return {};
    const auto &row = m_rows.at(index.row());
    return index.column() == ClientId ? row.first : row.second;
}

QVariant AckDetailModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == ClientId ? tr("Client id") : tr("Platform");
}

} // namespace qpush::admin
