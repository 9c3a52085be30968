// Connect to a server: API URL (recent servers offered), admin or one
// namespace's credentials; the password is kept in the platform keychain
// only when the user ticks the box. Accepted once the server said yes.
#pragma once

#include "session.h"

#include <QDialog>
#include <QPointer>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QRadioButton;

namespace qpush::admin {

class ApiCall;
class ApiClient;
class ConsoleSettings;
class CredentialStore;

class LoginDialog : public QDialog
{
    Q_OBJECT
public:
    LoginDialog(ApiClient *api, ConsoleSettings *settings, CredentialStore *keychain,
                QWidget *parent = nullptr);
    Session session() const;

    void setServer(const QString &url);
    void setCredentials(Session::Role role, const QString &user, const QString &password);

public Q_SLOTS:
    void connectToServer();

private:
    void recentChosen(int index);
    void setBusy(bool busy);
    void updateRoleLabels();

    ApiClient *m_api;
    ConsoleSettings *m_settings;
    CredentialStore *m_keychain;
    QComboBox *m_server;
    QRadioButton *m_admin;
    QRadioButton *m_namespace;
    QLabel *m_userLabel;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QCheckBox *m_remember;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
    QPointer<ApiCall> m_call;
};

} // namespace qpush::admin
