// Look up one client by id, show its info and edit what the API lets an
// operator change (device token, leaveMessage); per-room switches for APNs
// do-not-disturb and leave-message (SPEC §4 room-apns, room-leave-message).
#pragma once

#include "apitypes.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace qpush::admin {

class ApiCall;
class ApiClient;
struct ApiError;

class ClientView : public QWidget
{
    Q_OBJECT
public:
    ClientView(ApiClient *api, QWidget *parent = nullptr);

    void setNamespace(const QString &nsp);
    void lookUp(const QString &clientId);
    const ClientInfo &shown() const { return m_client; }

public Q_SLOTS:
    void saveClient();

Q_SIGNALS:
    void failed(const QString &what, const qpush::admin::ApiError &error);
    void done(const QString &message);

private:
    void showClient(const ClientInfo &c);
    void roomApns(bool add);
    void roomLeaveMessage(bool on);

    ApiClient *m_api;
    QString m_nsp;
    ClientInfo m_client;
    QLineEdit *m_id;
    QLabel *m_info;
    QLineEdit *m_deviceToken;
    QCheckBox *m_leaveMessage;
    QPushButton *m_save;
    QLineEdit *m_room;
    QLineEdit *m_dndRooms;
    QPointer<ApiCall> m_call;
};

} // namespace qpush::admin
