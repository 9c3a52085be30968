// Rooms of one namespace with clients online, split by platform: the room
// names from the namespace online report (detail=true), then one per-room
// report call for all of them (capped at MaxRooms).
#pragma once

#include "apitypes.h"

#include <QAbstractTableModel>
#include <QPointer>

namespace qpush::admin {

class ApiCall;
class ApiClient;
struct ApiError;

class RoomOnlineModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Room, Clients, Users, Ios, Android, Web, Total, ColumnCount };
    static constexpr int MaxRooms = 200;

    RoomOnlineModel(ApiClient *api, QObject *parent = nullptr);
    void setNamespace(const QString &nsp);
    const RoomOnline *roomAt(int row) const;

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
    void apply(QList<RoomOnline> rooms);

    ApiClient *m_api;
    QString m_nsp;
    QList<RoomOnline> m_rows;
    QPointer<ApiCall> m_call;
};

} // namespace qpush::admin
