// The console's main window: the namespace list (admin: filter, paging,
// live counts) beside the selected namespace's tabs — settings, dashboard,
// reports, push composer, clients — and the namespace actions. Destructive
// actions are enabled only while the namespace is offline (the server
// answers 409 otherwise) and each confirmation names what is lost.
#pragma once

#include "apitypes.h"
#include "prompts.h"

#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QLineEdit;
class QPushButton;
class QSplitter;
class QTabWidget;
class QTableView;
class QTimer;

namespace qpush::admin {

class ApiCall;
class ApiClient;
class ClientView;
class ConsoleSettings;
class DashboardView;
class NamespaceEditor;
class NamespaceListModel;
class PushComposer;
class ReportsView;
struct ApiError;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    enum Tab { SettingsTab, DashboardTab, ReportsTab, PushTab, ClientsTab };

    MainWindow(ApiClient *api, ConsoleSettings *settings, Prompts prompts,
               QWidget *parent = nullptr);
    ~MainWindow() override;

    // Shows the namespaces of the logged-in session.
    void start();
    void selectNamespace(const QString &key);
    QString currentKey() const { return m_current.key; }
    const NamespaceInfo &currentNamespace() const { return m_current; }

    Prompts &prompts() { return m_prompts; }
    NamespaceListModel *namespaces() const { return m_model; }
    NamespaceEditor *editor() const { return m_editor; }
    DashboardView *dashboard() const { return m_dashboard; }
    ReportsView *reports() const { return m_reports; }
    PushComposer *composer() const { return m_composer; }
    ClientView *clients() const { return m_clients; }
    QTabWidget *tabs() const { return m_tabs; }
    QAction *action(const char *name) const;

public Q_SLOTS:
    void newNamespace();
    void setOffline(bool offline);
    void clearRealtimeData();
    void clearLegacyClients();
    void flushData();
    void deleteNamespace();
    void refresh();
    void about();

Q_SIGNALS:
    void namespaceShown(const QString &key);
    void actionDone(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildActions();
    void buildLayout();
    void currentRowChanged();
    void showNamespace(const NamespaceInfo &ns);
    void reloadCurrent();
    void updateActions();
    void apiFailed(const QString &what, const ApiError &error, bool interactive);
    void destructive(const QString &title, const QString &text, const QString &confirm,
                     const std::function<ApiCall *()> &call, const QString &doneText,
                     bool removesNamespace);
    void status(const QString &text);

    ApiClient *m_api;
    ConsoleSettings *m_settings;
    Prompts m_prompts;
    NamespaceInfo m_current;
    NamespaceListModel *m_model;
    QTimer *m_refresh;
    QWidget *m_listPane;
    QLineEdit *m_filter;
    QTableView *m_list;
    QPushButton *m_previous;
    QPushButton *m_next;
    QLabel *m_pageLabel;
    QSplitter *m_split;
    QLabel *m_title;
    QTabWidget *m_tabs;
    NamespaceEditor *m_editor;
    DashboardView *m_dashboard;
    ReportsView *m_reports;
    PushComposer *m_composer;
    ClientView *m_clients;
    QHash<QString, QAction *> m_actions;
    QPointer<ApiCall> m_call;
    QString m_pendingSelect;
    bool m_askingPassword = false;
};

} // namespace qpush::admin
