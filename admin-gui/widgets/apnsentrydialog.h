// One APNs configuration of a namespace: name, environment, topic,
// expiration, and credentials imported from files — a .p8 token key (key id,
// team id), a PEM certificate and key, or a .p12 bundle converted here
// (password prompt; subject, topic and expiry shown; wrong password or
// expired certificate said in words). Secrets leave the dialog only when the
// user imported new ones.
#pragma once

#include "apitypes.h"
#include "prompts.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace qpush::admin {

class ApnsEntryDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ApnsEntryDialog(Prompts *prompts, QWidget *parent = nullptr);

    void setEntry(const ApnsEntry &entry);
    void setTakenNames(const QStringList &names) { m_taken = names; }
    ApnsEntry entry() const;

    // Imports; each returns false (and shows why) when the file is not usable.
    bool importP12(const QString &path);
    bool importTokenKey(const QString &path);
    bool importCertificatePem(const QString &path);
    bool importKeyPem(const QString &path);

    QString certificateSummary() const;
    QString problem() const;

Q_SIGNALS:
    void entryAccepted(const qpush::admin::ApnsEntry &entry);

private:
    void done(int result) override;
    void showProblem(const QString &text);
    void updateSummary();
    bool isDev() const;

    Prompts *m_prompts;
    ApnsEntry m_entry;
    QStringList m_taken;
    bool m_editing = false;
    QLineEdit *m_name;
    QComboBox *m_env;
    QLineEdit *m_topic;
    QSpinBox *m_expiration;
    QLineEdit *m_keyId;
    QLineEdit *m_teamId;
    QLabel *m_tokenState;
    QLabel *m_certState;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
    QByteArray m_newCert, m_newKey, m_newTokenKey;
};

} // namespace qpush::admin
