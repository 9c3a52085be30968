// The settings of one namespace (SPEC §5): name, password and callback auth
// (write-only: shown as set / not set, sent only when changed), callbacks,
// and the APNs entries with their credentials. New namespaces too.
#pragma once

#include "apitypes.h"
#include "prompts.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace qpush::admin {

class ApiCall;
class ApiClient;
struct ApiError;

class NamespaceEditor : public QWidget
{
    Q_OBJECT
public:
    NamespaceEditor(ApiClient *api, Prompts *prompts, QWidget *parent = nullptr);

    void showNamespace(const NamespaceInfo &ns);
    void startNew();
    bool isNew() const { return m_new; }
    bool hasChanges() const;
    const NamespaceInfo &current() const { return m_ns; }

    // The APNs entry dialog's work, reachable for the tests.
    void addApnsEntry();
    void editApnsEntry(int row);
    void deleteApnsEntry(int row);

public Q_SLOTS:
    void save();

Q_SIGNALS:
    void saved(const qpush::admin::NamespaceInfo &ns);
    void failed(const QString &what, const qpush::admin::ApiError &error);
    void changed();

private:
    void fillApnsTable();
    void markChanged();
    NamespaceChanges collect() const;

    ApiClient *m_api;
    Prompts *m_prompts;
    NamespaceInfo m_ns;
    bool m_new = false;
    bool m_dirty = false;
    QList<ApnsEntry> m_apns; // as shown, with pending edits
    QStringList m_apnsChanged;
    QStringList m_apnsDeleted;
    QLineEdit *m_key;
    QLineEdit *m_name;
    QLineEdit *m_password;
    QLineEdit *m_connectCallback;
    QLineEdit *m_disconnectCallback;
    QLineEdit *m_callbackAuth;
    QLabel *m_info;
    QTableWidget *m_apnsTable;
    QPushButton *m_editApns;
    QPushButton *m_deleteApns;
    QPushButton *m_save;
    QPointer<ApiCall> m_call;
};

} // namespace qpush::admin
