// A test push into one namespace (POST /api/auth/push): room, JSON payload
// checked while typing (the error position is pointed at), APNs
// configuration, expiry, leaveMessage and "simulate loss". Emits pushed(id)
// so the window opens the resulting report.
#pragma once

#include "apitypes.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace qpush::admin {

class ApiCall;
class ApiClient;
struct ApiError;

class PushComposer : public QWidget
{
    Q_OBJECT
public:
    PushComposer(ApiClient *api, QWidget *parent = nullptr);

    void setNamespace(const NamespaceInfo &ns);
    QString payloadProblem() const;

public Q_SLOTS:
    void send();

Q_SIGNALS:
    void pushed(qint64 id, qint64 expectAckCount);
    void failed(const QString &what, const qpush::admin::ApiError &error);

private:
    void validate();

    ApiClient *m_api;
    QString m_nsp;
    QLineEdit *m_room;
    QPlainTextEdit *m_payload;
    QLabel *m_problem;
    QComboBox *m_apnsName;
    QSpinBox *m_expire;
    QCheckBox *m_leaveMessage;
    QCheckBox *m_lost;
    QPushButton *m_send;
    QLabel *m_result;
    QPointer<ApiCall> m_call;
};

} // namespace qpush::admin
