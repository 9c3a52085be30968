#include "logindialog.h"

#include "apiclient.h"
#include "consolesettings.h"
#include "credentialstore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

namespace qpush::admin {

LoginDialog::LoginDialog(ApiClient *api, ConsoleSettings *settings, CredentialStore *keychain,
                         QWidget *parent)
    : QDialog(parent), m_api(api), m_settings(settings), m_keychain(keychain)
{
    setWindowTitle(tr("Connect to a qpush server"));
    setObjectName(QStringLiteral("loginDialog"));
    m_server = new QComboBox(this);
    m_server->setObjectName(QStringLiteral("server"));
    m_server->setEditable(true);
    m_server->setMinimumContentsLength(32);
    m_server->lineEdit()->setPlaceholderText(QStringLiteral("http://127.0.0.1:56789"));
    m_server->setToolTip(tr("The API port of the server (logic_port, default 56789)"));
    m_admin = new QRadioButton(tr("&Administrator"), this);
    m_admin->setObjectName(QStringLiteral("roleAdmin"));
    m_namespace = new QRadioButton(tr("One &namespace"), this);
    m_namespace->setObjectName(QStringLiteral("roleNamespace"));
    m_admin->setChecked(true);
    m_userLabel = new QLabel(this);
    m_user = new QLineEdit(this);
    m_user->setObjectName(QStringLiteral("user"));
    m_password = new QLineEdit(this);
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_remember = new QCheckBox(tr("Remember the password in the system &keychain"), this);
    m_remember->setObjectName(QStringLiteral("remember"));
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("loginError"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->hide();
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("connect"));

    auto *roles = new QHBoxLayout;
    roles->addWidget(m_admin);
    roles->addWidget(m_namespace);
    roles->addStretch();
    auto *form = new QFormLayout;
    form->addRow(tr("&Server:"), m_server);
    form->addRow(tr("Log in as:"), roles);
    form->addRow(m_userLabel, m_user);
    form->addRow(tr("&Password:"), m_password);
    form->addRow(QString(), m_remember);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);
    m_userLabel->setBuddy(m_user);

    for (const RecentServer &r : m_settings->recentServers())
        m_server->addItem(r.server.toString(), QVariant::fromValue(r.user));
    if (m_server->count() == 0)
        m_server->setEditText(QStringLiteral("http://127.0.0.1:56789"));
    connect(m_server, &QComboBox::activated, this, &LoginDialog::recentChosen);
    connect(m_admin, &QRadioButton::toggled, this, &LoginDialog::updateRoleLabels);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &LoginDialog::connectToServer);
    connect(m_buttons, &QDialogButtonBox::rejected, this, [this] {
        if (m_call)
            m_call->abort();
        reject();
    });
    updateRoleLabels();
    if (m_server->count() > 0)
        recentChosen(0);
}

void LoginDialog::updateRoleLabels()
{
    const bool admin = m_admin->isChecked();
    m_userLabel->setText(admin ? tr("Admin &name:") : tr("&Namespace key:"));
    m_user->setPlaceholderText(admin ? QStringLiteral("admin") : QStringLiteral("/demo"));
}

void LoginDialog::recentChosen(int index)
{
    const QList<RecentServer> recent = m_settings->recentServers();
    if (index < 0 || index >= recent.size())
        return;
    const RecentServer &r = recent.at(index);
    m_server->setEditText(r.server.toString());
    (r.role == Session::Role::Admin ? m_admin : m_namespace)->setChecked(true);
    m_user->setText(r.user);
    m_password->clear();
    m_remember->setChecked(r.passwordInKeychain);
    if (!r.passwordInKeychain)
        return;
    Session s{r.server, r.role, r.user, {}};
    m_keychain->load(s.identity(),
                     [this, user = r.user](const QString &password, const QString &error) {
                         if (m_user->text() != user)
                             return;
                         if (error.isEmpty())
                             m_password->setText(password);
                         else {
                             m_error->setText(error);
                             m_error->show();
                         }
                     });
}

void LoginDialog::setServer(const QString &url)
{
    m_server->setEditText(url);
}

void LoginDialog::setCredentials(Session::Role role, const QString &user, const QString &password)
{
    (role == Session::Role::Admin ? m_admin : m_namespace)->setChecked(true);
    m_user->setText(user);
    m_password->setText(password);
}

Session LoginDialog::session() const
{
    QString text = m_server->currentText().trimmed();
    if (!text.contains(QStringLiteral("://")))
        text.prepend(QStringLiteral("http://"));
    Session s;
    s.server = QUrl(text);
    s.role = m_admin->isChecked() ? Session::Role::Admin : Session::Role::Namespace;
    s.user = m_user->text().trimmed();
    if (s.role == Session::Role::Namespace && !s.user.startsWith(QLatin1Char('/')))
        s.user.prepend(QLatin1Char('/'));
    s.password = m_password->text();
    return s;
}

void LoginDialog::setBusy(bool busy)
{
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!busy);
    m_buttons->button(QDialogButtonBox::Ok)->setText(busy ? tr("Connecting…") : tr("&Connect"));
}

void LoginDialog::connectToServer()
{
    const Session s = session();
    if (!s.isValid() || (s.server.scheme() != u"http" && s.server.scheme() != u"https")) {
        m_error->setText(tr("Enter the server's API address, e.g. http://127.0.0.1:56789, and "
                            "a name."));
        m_error->show();
        return;
    }
    m_error->hide();
    m_api->setSession(s);
    setBusy(true);
    m_call = m_api->login();
    m_call->then(this, [this, s](const ApiReply &r) {
        setBusy(false);
        if (!r.ok()) {
            if (r.error->cancelled)
                return;
            m_error->setText(r.error->message);
            m_error->setToolTip(r.error->details);
            m_error->show();
            return;
        }
        const bool remember = m_remember->isChecked();
        const RecentServer entry{s.server, s.role, s.user, remember};
        bool wasStored = false;
        for (const RecentServer &r : m_settings->recentServers())
            wasStored |= r == entry && r.passwordInKeychain;
        m_settings->addRecentServer(entry);
        // The keychain is touched only when the user asked for it, or to
        // remove what an earlier "remember" stored.
        if (remember)
            m_keychain->store(s.identity(), s.password, [](const QString &) {});
        else if (wasStored)
            m_keychain->remove(s.identity(), [](const QString &) {});
        accept();
    });
}

} // namespace qpush::admin
