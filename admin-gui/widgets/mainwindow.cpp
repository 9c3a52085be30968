#include "mainwindow.h"

#include "apiclient.h"
#include "clientview.h"
#include "consolesettings.h"
#include "dashboardview.h"
#include "errors.h"
#include "namespaceeditor.h"
#include "namespacemodel.h"
#include "pushcomposer.h"
#include "reportsview.h"

#include "shared/version.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

// Resources of a static library are registered explicitly.
static void initIconResources()
{
    Q_INIT_RESOURCE(icons);
}

namespace qpush::admin {

MainWindow::MainWindow(ApiClient *api, ConsoleSettings *settings, Prompts prompts, QWidget *parent)
    : QMainWindow(parent), m_api(api), m_settings(settings), m_prompts(std::move(prompts)),
      m_model(new NamespaceListModel(api, this)), m_refresh(new QTimer(this))
{
    initIconResources();
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("qpush console"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/qpush-admin.svg")));
    m_editor = new NamespaceEditor(api, &m_prompts, this);
    m_dashboard = new DashboardView(api, this);
    m_reports = new ReportsView(api, this);
    m_composer = new PushComposer(api, this);
    m_clients = new ClientView(api, this);
    buildActions();
    buildLayout();
    m_dashboard->setInterval(m_settings->refreshIntervalMs());
    m_refresh->setInterval(m_settings->refreshIntervalMs());
    connect(m_refresh, &QTimer::timeout, m_model, &NamespaceListModel::refresh);

    connect(m_model, &NamespaceListModel::loaded, this, [this] {
        m_pageLabel->setText(tr("page %1 of %2 · %3 namespaces")
                                 .arg(m_model->page())
                                 .arg(m_model->pageCount())
                                 .arg(m_model->total()));
        m_previous->setEnabled(m_model->page() > 1);
        m_next->setEnabled(m_model->page() < m_model->pageCount());
        const QString want = m_pendingSelect.isEmpty() ? m_current.key : m_pendingSelect;
        const int row = m_model->rowOf(want);
        if (row >= 0) {
            if (m_list->currentIndex().row() != row)
                m_list->selectRow(row);
            else if (!m_editor->hasChanges() && !m_editor->isNew())
                // Keep the shown namespace fresh (offline state, counts).
                showNamespace(*m_model->namespaceAt(row));
            m_pendingSelect.clear();
        } else if (!m_current.key.isEmpty() && m_pendingSelect.isEmpty() && !m_editor->isNew() &&
                   m_model->total() == 0) {
            showNamespace({});
        }
    });
    connect(m_model, &NamespaceListModel::failed, this,
            [this](const ApiError &e) { apiFailed(tr("Cannot list the namespaces"), e, false); });
    connect(m_list->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::currentRowChanged);

    auto viewFailed = [this](const QString &what, const ApiError &e) { apiFailed(what, e, true); };
    auto pollFailed = [this](const QString &what, const ApiError &e) { apiFailed(what, e, false); };
    connect(m_editor, &NamespaceEditor::failed, this, viewFailed);
    connect(m_reports, &ReportsView::failed, this, viewFailed);
    connect(m_composer, &PushComposer::failed, this, viewFailed);
    connect(m_clients, &ClientView::failed, this, viewFailed);
    connect(m_dashboard, &DashboardView::failed, this, pollFailed);
    connect(m_clients, &ClientView::done, this, &MainWindow::status);
    connect(m_editor, &NamespaceEditor::saved, this, [this](const NamespaceInfo &ns) {
        status(tr("Namespace %1 saved.").arg(ns.key));
        m_pendingSelect = ns.key;
        showNamespace(ns);
        m_model->refresh();
    });
    connect(m_composer, &PushComposer::pushed, this, [this](qint64 id, qint64 expected) {
        status(tr("Push %1 sent to %2 online client(s).").arg(id).arg(expected));
        m_tabs->setCurrentIndex(ReportsTab);
        m_reports->openReport(id);
    });

    if (!restoreGeometry(m_settings->windowGeometry()))
        resize(1180, 760);
    restoreState(m_settings->windowState());
    m_split->restoreState(m_settings->splitterState(QStringLiteral("main")));
    updateActions();
}

MainWindow::~MainWindow() = default;

QAction *MainWindow::action(const char *name) const
{
    return m_actions.value(QLatin1String(name));
}

void MainWindow::buildActions()
{
    auto add = [this](const char *name, const QString &text, const QString &icon,
                      const QKeySequence &keys, auto slot) {
        auto *a = new QAction(QIcon::fromTheme(icon, QIcon(QStringLiteral(":/icons/") + icon +
                                                           QStringLiteral(".svg"))),
                              text, this);
        a->setObjectName(QLatin1String(name));
        if (!keys.isEmpty())
            a->setShortcut(keys);
        connect(a, &QAction::triggered, this, slot);
        m_actions.insert(QLatin1String(name), a);
        return a;
    };
    add("newNamespace", tr("&New namespace…"), QStringLiteral("list-add"), QKeySequence::New,
        &MainWindow::newNamespace);
    add("saveNamespace", tr("&Save namespace"), QStringLiteral("document-save"), QKeySequence::Save,
        [this] { m_editor->save(); });
    QAction *offline = add("offline", tr("Namespace &offline"), QStringLiteral("network-offline"),
                           QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), [] {});
    offline->setCheckable(true);
    disconnect(offline, &QAction::triggered, this, nullptr);
    connect(offline, &QAction::triggered, this, &MainWindow::setOffline);
    add("clearRealtime", tr("Clear &real-time data…"), QStringLiteral("edit-clear"), {},
        &MainWindow::clearRealtimeData);
    add("clearLegacy", tr("Clear &legacy clients…"), QStringLiteral("user-trash"), {},
        &MainWindow::clearLegacyClients);
    add("flush", tr("&Flush data…"), QStringLiteral("edit-delete"), {}, &MainWindow::flushData);
    add("delete", tr("&Delete namespace…"), QStringLiteral("edit-delete-shred"),
        QKeySequence(Qt::CTRL | Qt::Key_Delete), &MainWindow::deleteNamespace);
    add("refresh", tr("&Refresh"), QStringLiteral("view-refresh"), QKeySequence::Refresh,
        &MainWindow::refresh);
    add("about", tr("&About qpush console"), QStringLiteral("help-about"), {}, &MainWindow::about);
    add("quit", tr("&Quit"), QStringLiteral("application-exit"), QKeySequence::Quit,
        [this] { close(); });
    add("findNamespace", tr("&Find namespace"), QStringLiteral("edit-find"), QKeySequence::Find,
        [this] {
            m_filter->setFocus();
            m_filter->selectAll();
        });

    QMenu *file = menuBar()->addMenu(tr("&Console"));
    file->addAction(action("refresh"));
    file->addSeparator();
    file->addAction(action("quit"));
    QMenu *ns = menuBar()->addMenu(tr("&Namespace"));
    for (const char *name : {"newNamespace", "saveNamespace", "findNamespace"})
        ns->addAction(action(name));
    ns->addSeparator();
    ns->addAction(action("offline"));
    ns->addSeparator();
    for (const char *name : {"clearRealtime", "clearLegacy", "flush", "delete"})
        ns->addAction(action(name));
    QMenu *view = menuBar()->addMenu(tr("&View"));
    const QStringList tabNames{tr("&Settings"), tr("&Dashboard"), tr("&Reports"), tr("&Push"),
                               tr("C&lients")};
    for (int i = 0; i < tabNames.size(); ++i) {
        auto *a = new QAction(tabNames.at(i), this);
        a->setShortcut(QKeySequence(Qt::CTRL | (Qt::Key_1 + i)));
        connect(a, &QAction::triggered, this, [this, i] { m_tabs->setCurrentIndex(i); });
        view->addAction(a);
    }
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(action("about"));

    QToolBar *bar = addToolBar(tr("Namespace"));
    bar->setObjectName(QStringLiteral("namespaceToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    for (const char *name : {"newNamespace", "saveNamespace", "refresh"})
        bar->addAction(action(name));
    bar->addSeparator();
    bar->addAction(action("offline"));
    bar->addSeparator();
    for (const char *name : {"clearRealtime", "clearLegacy", "flush", "delete"})
        bar->addAction(action(name));
}

void MainWindow::buildLayout()
{
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("namespaceFilter"));
    m_filter->setPlaceholderText(tr("Filter: /key or name"));
    m_filter->setClearButtonEnabled(true);
    m_list = new QTableView(this);
    m_list->setObjectName(QStringLiteral("namespaceList"));
    m_list->setModel(m_model);
    m_list->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->verticalHeader()->hide();
    m_list->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_list->setWordWrap(false);
    m_list->setAlternatingRowColors(true);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_previous = new QPushButton(style()->standardIcon(QStyle::SP_ArrowLeft), QString(), this);
    m_previous->setToolTip(tr("Previous page"));
    m_next = new QPushButton(style()->standardIcon(QStyle::SP_ArrowRight), QString(), this);
    m_next->setToolTip(tr("Next page"));
    m_pageLabel = new QLabel(this);
    auto *paging = new QHBoxLayout;
    paging->addWidget(m_previous);
    paging->addWidget(m_pageLabel, 1, Qt::AlignCenter);
    paging->addWidget(m_next);
    m_listPane = new QWidget(this);
    auto *listLayout = new QVBoxLayout(m_listPane);
    listLayout->setContentsMargins(0, 0, 0, 0);
    listLayout->addWidget(m_filter);
    listLayout->addWidget(m_list, 1);
    listLayout->addLayout(paging);

    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("namespaceTitle"));
    QFont f = m_title->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    f.setBold(true);
    m_title->setFont(f);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("namespaceTabs"));
    m_tabs->addTab(m_editor, QIcon(QStringLiteral(":/icons/settings.svg")), tr("Settings"));
    m_tabs->addTab(m_dashboard, QIcon(QStringLiteral(":/icons/dashboard.svg")), tr("Dashboard"));
    m_tabs->addTab(m_reports, QIcon(QStringLiteral(":/icons/reports.svg")), tr("Reports"));
    m_tabs->addTab(m_composer, QIcon(QStringLiteral(":/icons/push.svg")), tr("Push"));
    m_tabs->addTab(m_clients, QIcon(QStringLiteral(":/icons/clients.svg")), tr("Clients"));
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (index == ReportsTab && !m_current.key.isEmpty())
            m_reports->reload();
    });
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_title);
    rightLayout->addWidget(m_tabs, 1);

    m_split = new QSplitter(this);
    m_split->setObjectName(QStringLiteral("mainSplit"));
    m_split->addWidget(m_listPane);
    m_split->addWidget(right);
    m_split->setStretchFactor(0, 2);
    m_split->setStretchFactor(1, 5);
    m_split->setSizes({440, 840});
    setCentralWidget(m_split);

    auto *filterTimer = new QTimer(this);
    filterTimer->setSingleShot(true);
    filterTimer->setInterval(300);
    connect(m_filter, &QLineEdit::textChanged, filterTimer, qOverload<>(&QTimer::start));
    connect(filterTimer, &QTimer::timeout, this, [this] {
        const QString text = m_filter->text().trimmed();
        if (text.startsWith(QLatin1Char('/')))
            m_model->setFilter(text, {});
        else
            m_model->setFilter({}, text);
    });
    connect(m_previous, &QPushButton::clicked, this,
            [this] { m_model->setPage(m_model->page() - 1); });
    connect(m_next, &QPushButton::clicked, this, [this] { m_model->setPage(m_model->page() + 1); });
    statusBar()->showMessage(tr("Not connected"));
}

void MainWindow::start()
{
    const Session &s = m_api->session();
    setWindowTitle(tr("qpush console — %1").arg(s.identity()));
    m_listPane->setVisible(s.isAdmin());
    m_actions.value(QStringLiteral("newNamespace"))->setVisible(s.isAdmin());
    for (const char *name : {"clearRealtime", "clearLegacy", "flush", "delete", "findNamespace"})
        action(name)->setVisible(s.isAdmin());
    status(tr("Connected to %1 as %2").arg(s.server.toDisplayString(), s.user));
    if (s.isAdmin()) {
        m_model->refresh();
        m_refresh->start();
        return;
    }
    // One namespace's credentials: that namespace only.
    m_call = m_api->getNamespace(s.user);
    m_call->then(this, [this](const ApiReply &r) {
        if (!r.ok())
            return apiFailed(tr("Cannot read the namespace"), *r.error, true);
        showNamespace(NamespaceInfo::fromJson(r.object()));
    });
}

void MainWindow::selectNamespace(const QString &key)
{
    m_pendingSelect = key;
    const int row = m_model->rowOf(key);
    if (row >= 0)
        m_list->selectRow(row);
    else
        m_model->refresh();
}

void MainWindow::currentRowChanged()
{
    const NamespaceInfo *ns = m_model->namespaceAt(m_list->currentIndex().row());
    if (!ns || ns->key == m_current.key)
        return;
    if (m_editor->hasChanges() &&
        !m_prompts.confirm(this, tr("Unsaved changes"),
                           tr("The changes to namespace %1 are not saved. Discard them?")
                               .arg(m_current.key.isEmpty() ? tr("(new)") : m_current.key),
                           tr("Discard"))) {
        return;
    }
    showNamespace(*ns);
}

void MainWindow::showNamespace(const NamespaceInfo &ns)
{
    const bool changed = ns.key != m_current.key;
    m_current = ns;
    if (ns.key.isEmpty()) {
        m_title->setText(tr("No namespace selected"));
        m_editor->setEnabled(false);
    } else {
        m_title->setText(QStringLiteral("%1 — %2 (%3)")
                             .arg(ns.key, ns.name.isEmpty() ? tr("unnamed") : ns.name,
                                  ns.offline ? tr("offline") : tr("online")));
        m_editor->showNamespace(ns);
    }
    m_composer->setNamespace(ns);
    if (changed) {
        m_dashboard->setNamespace(ns.key);
        m_reports->setNamespace(ns.key);
        m_clients->setNamespace(ns.key);
        if (m_tabs->currentIndex() == ReportsTab && !ns.key.isEmpty())
            m_reports->reload();
    }
    updateActions();
    Q_EMIT namespaceShown(ns.key);
}

void MainWindow::updateActions()
{
    const bool any = !m_current.key.isEmpty();
    const bool offline = any && m_current.offline;
    QAction *off = action("offline");
    off->setEnabled(any);
    off->setChecked(offline);
    const QString needsOffline = tr("Set the namespace offline first");
    for (const char *name : {"clearRealtime", "clearLegacy", "flush", "delete"}) {
        QAction *a = action(name);
        a->setEnabled(offline);
        a->setStatusTip(offline ? QString() : needsOffline);
        a->setToolTip(offline ? a->text().remove(QLatin1Char('&')) : needsOffline);
    }
    action("saveNamespace")->setEnabled(any || m_editor->isNew());
    m_tabs->setTabEnabled(DashboardTab, any);
    m_tabs->setTabEnabled(ReportsTab, any);
    m_tabs->setTabEnabled(PushTab, any && !offline);
    m_tabs->setTabEnabled(ClientsTab, any);
}

void MainWindow::newNamespace()
{
    m_list->clearSelection();
    m_current = {};
    m_dashboard->setNamespace({});
    m_reports->setNamespace({});
    m_clients->setNamespace({});
    m_composer->setNamespace({});
    m_title->setText(tr("New namespace"));
    m_editor->startNew();
    m_tabs->setCurrentIndex(SettingsTab);
    updateActions();
}

void MainWindow::setOffline(bool offline)
{
    if (m_current.key.isEmpty())
        return;
    const QString key = m_current.key;
    if (offline &&
        !m_prompts.confirm(this, tr("Set %1 offline").arg(key),
                           tr("Set namespace %1 offline? Its connected clients are disconnected "
                              "and new connections and pushes are refused until it is online "
                              "again.")
                               .arg(key),
                           tr("Set offline"))) {
        action("offline")->setChecked(false);
        return;
    }
    NamespaceChanges c;
    c.key = key;
    c.offline = offline;
    action("offline")->setEnabled(false);
    m_call = m_api->saveNamespace(c);
    m_call->then(this, [this, key, offline](const ApiReply &r) {
        action("offline")->setEnabled(true);
        if (!r.ok()) {
            updateActions();
            return apiFailed(tr("Cannot change namespace %1").arg(key), *r.error, true);
        }
        const NamespaceInfo ns = NamespaceInfo::fromJson(r.object());
        if (ns.key == m_current.key)
            showNamespace(ns);
        status(offline ? tr("%1 is offline.").arg(key) : tr("%1 is online.").arg(key));
        m_model->refresh();
        Q_EMIT actionDone(offline ? tr("%1 is offline.").arg(key) : tr("%1 is online.").arg(key));
    });
}

void MainWindow::destructive(const QString &title, const QString &text, const QString &confirm,
                             const std::function<ApiCall *()> &call, const QString &doneText,
                             bool removesNamespace)
{
    if (m_current.key.isEmpty() || !m_current.offline)
        return;
    if (!m_prompts.confirm(this, title, text, confirm))
        return;
    const QString key = m_current.key;
    m_call = call();
    // Deleting a large namespace takes a while: progress, and a way out.
    auto *progress = new QProgressDialog(title + QStringLiteral("…"), tr("Cancel"), 0, 0, this);
    progress->setAttribute(Qt::WA_DeleteOnClose);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(400);
    connect(progress, &QProgressDialog::canceled, m_call, &ApiCall::abort);
    m_call->then(this, [this, key, doneText, removesNamespace, title,
                        progress = QPointer<QProgressDialog>(progress)](const ApiReply &r) {
        if (progress)
            progress->close();
        if (!r.ok() && r.error->cancelled)
            return status(tr("%1: cancelled (the server may still finish it).").arg(title));
        if (!r.ok())
            return apiFailed(title, *r.error, true);
        QString message = doneText;
        if (r.json.isArray())
            message +=
                QLatin1Char(' ') + tr("%n client(s) removed.", nullptr, int(r.array().size()));
        status(message);
        if (removesNamespace && m_current.key == key)
            showNamespace({});
        m_model->refresh();
        Q_EMIT actionDone(message);
    });
}

void MainWindow::clearRealtimeData()
{
    const QString key = m_current.key;
    destructive(
        tr("Clear real-time data of %1").arg(key),
        tr("Clear the real-time data of %1? The online bookkeeping (who is connected, "
           "online counts) is reset and every remaining connection of the namespace is "
           "closed. Stored pushes, reports and clients are kept.")
            .arg(key),
        tr("Clear real-time data"), [this, key] { return m_api->clearRealtimeData(key); },
        tr("Real-time data of %1 cleared.").arg(key), false);
}

void MainWindow::clearLegacyClients()
{
    const QString key = m_current.key;
    destructive(
        tr("Clear legacy clients of %1").arg(key),
        tr("Delete the clients of %1 that have not connected for the server's "
           "client_legacy_expire time? Their stored info, device tokens, room "
           "memberships and offline messages are lost.")
            .arg(key),
        tr("Delete legacy clients"), [this, key] { return m_api->clearLegacyClients(key); },
        tr("Legacy clients of %1 cleared.").arg(key), false);
}

void MainWindow::flushData()
{
    const QString key = m_current.key;
    destructive(
        tr("Flush data of %1").arg(key),
        tr("Delete all data of %1? Every push and report, every client with its device "
           "token and rooms, the offline message lists, the room message counters and "
           "the statistics are lost. The namespace itself and its settings stay.")
            .arg(key),
        tr("Delete all data"), [this, key] { return m_api->deleteNamespace(key, false); },
        tr("Data of %1 deleted.").arg(key), false);
}

void MainWindow::deleteNamespace()
{
    const QString key = m_current.key;
    destructive(
        tr("Delete namespace %1").arg(key),
        tr("Delete namespace %1 and all its data? Its settings, password, callbacks and "
           "APNs credentials, every push and report, every client with its device token "
           "and rooms, the offline message lists, counters and statistics are lost. "
           "Clients and servers using %1 stop working.")
            .arg(key),
        tr("Delete namespace"), [this, key] { return m_api->deleteNamespace(key, true); },
        tr("Namespace %1 deleted.").arg(key), true);
}

void MainWindow::refresh()
{
    if (m_api->session().isAdmin())
        m_model->refresh();
    else
        start();
    if (m_tabs->currentIndex() == ReportsTab)
        m_reports->reload();
}

void MainWindow::about()
{
    QString server = m_api->serverSoftware();
    if (server.isEmpty())
        server = tr("not reported (this server's API has no version information)");
    auto *box = new QMessageBox(this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("aboutBox"));
    box->setWindowTitle(tr("About qpush console"));
    box->setIconPixmap(QIcon(QStringLiteral(":/icons/qpush-admin.svg")).pixmap(64, 64));
    box->setText(tr("<h3>qpush console %1</h3>"
                    "<p>The desktop console of qpush, a self-hosted Socket.IO push server.</p>"
                    "<p>Server: %2<br>Server version: %3</p>"
                    "<p>Qt %4</p>")
                     .arg(versionString(),
                          m_api->session().server.toDisplayString().toHtmlEscaped(),
                          server.toHtmlEscaped(), QString::fromLatin1(qVersion())));
    box->open();
}

void MainWindow::apiFailed(const QString &what, const ApiError &error, bool interactive)
{
    if (error.cancelled)
        return;
    if (error.needsNamespacePassword) {
        // Ask once at a time; the views reload when the password is known.
        if (m_askingPassword)
            return;
        m_askingPassword = true;
        const auto password = m_prompts.askText(
            this, tr("Namespace password"),
            tr("This view uses the namespace's own API (/api/auth). Enter the password of "
               "namespace %1:")
                .arg(error.namespaceKey),
            true);
        m_askingPassword = false;
        if (!password)
            return status(errorLine(what, error));
        m_api->setNamespacePassword(error.namespaceKey, *password);
        reloadCurrent();
        return;
    }
    status(errorLine(what, error));
    if (interactive)
        showError(this, what, error);
}

void MainWindow::reloadCurrent()
{
    if (m_tabs->currentIndex() == ReportsTab)
        m_reports->reload();
    if (m_tabs->currentIndex() == DashboardTab)
        m_dashboard->setNamespace(m_current.key);
}

void MainWindow::status(const QString &text)
{
    statusBar()->showMessage(text);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_editor->hasChanges() &&
        !m_prompts.confirm(this, tr("Unsaved changes"),
                           tr("The changes to namespace %1 are not saved. Quit anyway?")
                               .arg(m_current.key.isEmpty() ? tr("(new)") : m_current.key),
                           tr("Quit"))) {
        event->ignore();
        return;
    }
    m_settings->setWindowLayout(saveGeometry(), saveState());
    m_settings->setSplitterState(QStringLiteral("main"), m_split->saveState());
    m_settings->sync();
    event->accept();
}

} // namespace qpush::admin
