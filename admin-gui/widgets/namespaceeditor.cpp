#include "namespaceeditor.h"

#include "apiclient.h"
#include "apnsentrydialog.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace qpush::admin {

namespace {
QLineEdit *lineEdit(QWidget *parent, const char *name)
{
    auto *e = new QLineEdit(parent);
    e->setObjectName(QLatin1String(name));
    e->setClearButtonEnabled(true);
    return e;
}
} // namespace

NamespaceEditor::NamespaceEditor(ApiClient *api, Prompts *prompts, QWidget *parent)
    : QWidget(parent), m_api(api), m_prompts(prompts)
{
    m_key = lineEdit(this, "nsKey");
    m_key->setPlaceholderText(QStringLiteral("/demo"));
    m_name = lineEdit(this, "nsName");
    m_password = lineEdit(this, "nsPassword");
    m_password->setEchoMode(QLineEdit::Password);
    m_connectCallback = lineEdit(this, "nsConnectCallback");
    m_connectCallback->setPlaceholderText(QStringLiteral("https://app.example/qpush/handshake"));
    m_disconnectCallback = lineEdit(this, "nsDisconnectCallback");
    m_disconnectCallback->setPlaceholderText(
        QStringLiteral("https://app.example/qpush/disconnect"));
    m_callbackAuth = lineEdit(this, "nsCallbackAuth");
    m_callbackAuth->setEchoMode(QLineEdit::Password);
    m_info = new QLabel(this);
    m_info->setObjectName(QStringLiteral("nsInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("&Key:"), m_key);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Password:"), m_password);
    form->addRow(tr("&Connect callback:"), m_connectCallback);
    form->addRow(tr("&Disconnect callback:"), m_disconnectCallback);
    form->addRow(tr("Callback &auth:"), m_callbackAuth);
    form->addRow(QString(), m_info);

    m_apnsTable = new QTableWidget(0, 4, this);
    m_apnsTable->setObjectName(QStringLiteral("apnsTable"));
    m_apnsTable->setHorizontalHeaderLabels(
        {tr("Name"), tr("Environment"), tr("Topic"), tr("Credentials")});
    m_apnsTable->horizontalHeader()->setStretchLastSection(true);
    m_apnsTable->verticalHeader()->hide();
    m_apnsTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_apnsTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_apnsTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto *addApns =
        new QPushButton(QIcon::fromTheme(QStringLiteral("list-add")), tr("A&dd…"), this);
    addApns->setObjectName(QStringLiteral("addApns"));
    m_editApns = new QPushButton(tr("&Edit…"), this);
    m_editApns->setObjectName(QStringLiteral("editApns"));
    m_deleteApns =
        new QPushButton(QIcon::fromTheme(QStringLiteral("list-remove")), tr("Remo&ve"), this);
    m_deleteApns->setObjectName(QStringLiteral("deleteApns"));
    auto *apnsButtons = new QHBoxLayout;
    apnsButtons->addWidget(addApns);
    apnsButtons->addWidget(m_editApns);
    apnsButtons->addWidget(m_deleteApns);
    apnsButtons->addStretch();
    auto *apnsBox = new QGroupBox(tr("APNs configurations"), this);
    auto *apnsLayout = new QVBoxLayout(apnsBox);
    apnsLayout->addWidget(m_apnsTable);
    apnsLayout->addLayout(apnsButtons);

    m_save = new QPushButton(QIcon::fromTheme(QStringLiteral("document-save")), tr("&Save"), this);
    m_save->setObjectName(QStringLiteral("saveNamespace"));
    auto *bottom = new QHBoxLayout;
    bottom->addStretch();
    bottom->addWidget(m_save);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(apnsBox, 1);
    layout->addLayout(bottom);

    for (QLineEdit *e :
         {m_key, m_name, m_password, m_connectCallback, m_disconnectCallback, m_callbackAuth})
        connect(e, &QLineEdit::textEdited, this, &NamespaceEditor::markChanged);
    connect(addApns, &QPushButton::clicked, this, &NamespaceEditor::addApnsEntry);
    connect(m_editApns, &QPushButton::clicked, this,
            [this] { editApnsEntry(m_apnsTable->currentRow()); });
    connect(m_apnsTable, &QTableWidget::cellDoubleClicked, this,
            [this](int row) { editApnsEntry(row); });
    connect(m_deleteApns, &QPushButton::clicked, this,
            [this] { deleteApnsEntry(m_apnsTable->currentRow()); });
    connect(m_apnsTable, &QTableWidget::itemSelectionChanged, this, [this] {
        const bool any = m_apnsTable->currentRow() >= 0;
        m_editApns->setEnabled(any);
        m_deleteApns->setEnabled(any);
    });
    connect(m_save, &QPushButton::clicked, this, &NamespaceEditor::save);
    setEnabled(false);
}

void NamespaceEditor::showNamespace(const NamespaceInfo &ns)
{
    setEnabled(true);
    m_ns = ns;
    m_new = false;
    m_dirty = false;
    m_apns = ns.apnsList;
    m_apnsChanged.clear();
    m_apnsDeleted.clear();
    m_key->setText(ns.key);
    m_key->setReadOnly(true);
    m_key->setClearButtonEnabled(false);
    m_name->setText(ns.name);
    m_password->clear();
    m_password->setPlaceholderText(ns.hasAuthPasswd
                                       ? tr("set — type to change")
                                       : tr("not set — clients' servers cannot log in"));
    m_connectCallback->setText(ns.connectCallback);
    m_disconnectCallback->setText(ns.disconnectCallback);
    m_callbackAuth->clear();
    m_callbackAuth->setPlaceholderText(ns.hasCallbackAuth ? tr("set — type to change")
                                                          : tr("not set"));
    m_info->setText(tr("Last changed %1 from %2")
                        .arg(formatTime(ns.updateDate),
                             ns.clientIp.isEmpty() ? QStringLiteral("—") : ns.clientIp));
    fillApnsTable();
    m_save->setEnabled(false);
}

void NamespaceEditor::startNew()
{
    NamespaceInfo blank;
    showNamespace(blank);
    m_new = true;
    m_key->setReadOnly(false);
    m_key->setClearButtonEnabled(true);
    m_key->setFocus();
    m_info->setText(tr("A new namespace starts online."));
    m_password->setPlaceholderText(tr("the password applications use for the REST API"));
}

bool NamespaceEditor::hasChanges() const
{
    return m_dirty;
}

void NamespaceEditor::markChanged()
{
    m_dirty = true;
    m_save->setEnabled(true);
    Q_EMIT changed();
}

void NamespaceEditor::fillApnsTable()
{
    m_apnsTable->setRowCount(int(m_apns.size()));
    for (qsizetype i = 0; i < m_apns.size(); ++i) {
        const ApnsEntry &e = m_apns.at(i);
        const QStringList cells{e.name, e.env, e.topic, e.credentialSummary()};
        for (int c = 0; c < cells.size(); ++c) {
            auto *item = new QTableWidgetItem(cells.at(c));
            item->setToolTip(cells.at(c));
            m_apnsTable->setItem(int(i), c, item);
        }
    }
    m_apnsTable->resizeColumnsToContents();
    m_editApns->setEnabled(m_apnsTable->currentRow() >= 0);
    m_deleteApns->setEnabled(m_apnsTable->currentRow() >= 0);
}

void NamespaceEditor::addApnsEntry()
{
    auto *dialog = new ApnsEntryDialog(m_prompts, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QStringList taken;
    for (const ApnsEntry &e : std::as_const(m_apns))
        taken << e.name;
    dialog->setTakenNames(taken);
    connect(dialog, &ApnsEntryDialog::entryAccepted, this, [this](const ApnsEntry &e) {
        m_apns.append(e);
        m_apnsChanged.removeAll(e.name);
        m_apnsChanged.append(e.name);
        m_apnsDeleted.removeAll(e.name);
        fillApnsTable();
        markChanged();
    });
    dialog->open();
}

void NamespaceEditor::editApnsEntry(int row)
{
    if (row < 0 || row >= m_apns.size())
        return;
    auto *dialog = new ApnsEntryDialog(m_prompts, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setEntry(m_apns.at(row));
    connect(dialog, &ApnsEntryDialog::entryAccepted, this, [this, row](const ApnsEntry &e) {
        if (row >= m_apns.size())
            return;
        m_apns[row] = e;
        m_apnsChanged.removeAll(e.name);
        m_apnsChanged.append(e.name);
        fillApnsTable();
        markChanged();
    });
    dialog->open();
}

void NamespaceEditor::deleteApnsEntry(int row)
{
    if (row < 0 || row >= m_apns.size())
        return;
    const QString name = m_apns.at(row).name;
    if (!m_prompts->confirm(this, tr("Remove APNs configuration"),
                            tr("Remove the APNs configuration \"%1\"? Its credentials are "
                               "deleted from the server when you save, and pushes naming it "
                               "will not reach iOS devices.")
                                .arg(name),
                            tr("Remove")))
        return;
    m_apns.removeAt(row);
    m_apnsChanged.removeAll(name);
    if (!m_new)
        m_apnsDeleted.append(name);
    fillApnsTable();
    markChanged();
}

NamespaceChanges NamespaceEditor::collect() const
{
    NamespaceChanges c;
    c.key = m_new ? m_key->text().trimmed() : m_ns.key;
    if (m_new && !c.key.isEmpty() && !c.key.startsWith(QLatin1Char('/')))
        c.key.prepend(QLatin1Char('/'));
    if (m_new || m_name->text() != m_ns.name)
        c.name = m_name->text();
    if (!m_password->text().isEmpty())
        c.authPasswd = m_password->text();
    if (m_new || m_connectCallback->text() != m_ns.connectCallback)
        c.connectCallback = m_connectCallback->text().trimmed();
    if (m_new || m_disconnectCallback->text() != m_ns.disconnectCallback)
        c.disconnectCallback = m_disconnectCallback->text().trimmed();
    if (!m_callbackAuth->text().isEmpty())
        c.callbackAuth = m_callbackAuth->text();
    for (const ApnsEntry &e : m_apns)
        if (m_apnsChanged.contains(e.name))
            c.apnsUpserts.append(e);
    c.apnsDeletes = m_apnsDeleted;
    return c;
}

void NamespaceEditor::save()
{
    const NamespaceChanges c = collect();
    if (c.key.isEmpty()) {
        m_key->setFocus();
        ApiError e;
        e.message = tr("Enter a key for the namespace, e.g. /demo.");
        return Q_EMIT failed(tr("Cannot save the namespace"), e);
    }
    m_save->setEnabled(false);
    m_call = m_api->saveNamespace(c);
    m_call->then(this, [this, c](const ApiReply &r) {
        if (!r.ok()) {
            m_save->setEnabled(true);
            return Q_EMIT failed(tr("Cannot save namespace %1").arg(c.key), *r.error);
        }
        const NamespaceInfo ns = NamespaceInfo::fromJson(r.object());
        if (c.authPasswd)
            m_api->setNamespacePassword(ns.key, *c.authPasswd);
        else if (ns.authPasswd)
            m_api->learnPasswords({ns});
        showNamespace(ns);
        Q_EMIT saved(ns);
    });
}

} // namespace qpush::admin
