#include "apnsentrydialog.h"

#include "apnscredentials.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace qpush::admin {

namespace {
constexpr qint64 MaxCredentialFileBytes = 1 << 20;

std::optional<QByteArray> readSmallFile(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QObject::tr("Cannot open %1: %2").arg(path, f.errorString());
        return std::nullopt;
    }
    if (f.size() > MaxCredentialFileBytes) {
        *error = QObject::tr("%1 is too large to be a credential file.").arg(path);
        return std::nullopt;
    }
    return f.readAll();
}
} // namespace

ApnsEntryDialog::ApnsEntryDialog(Prompts *prompts, QWidget *parent)
    : QDialog(parent), m_prompts(prompts)
{
    setObjectName(QStringLiteral("apnsEntryDialog"));
    setWindowTitle(tr("APNs configuration"));
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("apnsName"));
    m_name->setPlaceholderText(QStringLiteral("default"));
    m_env = new QComboBox(this);
    m_env->setObjectName(QStringLiteral("apnsEnv"));
    m_env->addItem(tr("Production (api.push.apple.com)"), QStringLiteral("production"));
    m_env->addItem(tr("Development (api.sandbox.push.apple.com)"), QStringLiteral("dev"));
    m_topic = new QLineEdit(this);
    m_topic->setObjectName(QStringLiteral("apnsTopic"));
    m_topic->setPlaceholderText(QStringLiteral("com.example.app"));
    m_expiration = new QSpinBox(this);
    m_expiration->setObjectName(QStringLiteral("apnsExpiration"));
    m_expiration->setRange(0, 30 * 24 * 3600);
    m_expiration->setSuffix(tr(" s"));
    m_expiration->setSpecialValueText(tr("0 (deliver once, do not store)"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Environment:"), m_env);
    form->addRow(tr("&Topic (bundle id):"), m_topic);
    form->addRow(tr("E&xpiration:"), m_expiration);

    m_keyId = new QLineEdit(this);
    m_keyId->setObjectName(QStringLiteral("tokenKeyId"));
    m_teamId = new QLineEdit(this);
    m_teamId->setObjectName(QStringLiteral("tokenTeamId"));
    m_tokenState = new QLabel(this);
    m_tokenState->setObjectName(QStringLiteral("tokenState"));
    auto *importP8 = new QPushButton(tr("Import .p&8 key…"), this);
    importP8->setObjectName(QStringLiteral("importP8"));
    auto *tokenBox = new QGroupBox(tr("Token authentication (recommended)"), this);
    auto *tokenForm = new QFormLayout(tokenBox);
    tokenForm->addRow(tr("Key:"), m_tokenState);
    tokenForm->addRow(QString(), importP8);
    tokenForm->addRow(tr("Key &ID:"), m_keyId);
    tokenForm->addRow(tr("Te&am ID:"), m_teamId);

    m_certState = new QLabel(this);
    m_certState->setObjectName(QStringLiteral("certSummary"));
    m_certState->setWordWrap(true);
    m_certState->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *importP12Button = new QPushButton(tr("Import .&p12…"), this);
    importP12Button->setObjectName(QStringLiteral("importP12"));
    auto *importCert = new QPushButton(tr("PEM &certificate…"), this);
    auto *importKey = new QPushButton(tr("PEM &key…"), this);
    auto *certButtons = new QHBoxLayout;
    certButtons->addWidget(importP12Button);
    certButtons->addWidget(importCert);
    certButtons->addWidget(importKey);
    certButtons->addStretch();
    auto *certBox =
        new QGroupBox(tr("Certificate authentication (for the environment above)"), this);
    auto *certLayout = new QVBoxLayout(certBox);
    certLayout->addWidget(m_certState);
    certLayout->addLayout(certButtons);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("apnsProblem"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b00020"));
    m_problem->hide();

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(tokenBox);
    layout->addWidget(certBox);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_env, &QComboBox::currentIndexChanged, this, &ApnsEntryDialog::updateSummary);
    auto pick = [this](const QString &title, const QString &filter, auto import) {
        const QString path = m_prompts->openFile(this, title, filter);
        if (!path.isEmpty())
            (this->*import)(path);
    };
    connect(importP8, &QPushButton::clicked, this, [=] {
        pick(tr("APNs token key"), tr("Token keys (*.p8);;All files (*)"),
             &ApnsEntryDialog::importTokenKey);
    });
    connect(importP12Button, &QPushButton::clicked, this, [=] {
        pick(tr("APNs certificate bundle"), tr("PKCS#12 (*.p12 *.pfx);;All files (*)"),
             &ApnsEntryDialog::importP12);
    });
    connect(importCert, &QPushButton::clicked, this, [=] {
        pick(tr("APNs certificate (PEM)"), tr("PEM (*.pem *.crt *.cer);;All files (*)"),
             &ApnsEntryDialog::importCertificatePem);
    });
    connect(importKey, &QPushButton::clicked, this, [=] {
        pick(tr("Private key (PEM)"), tr("PEM (*.pem *.key);;All files (*)"),
             &ApnsEntryDialog::importKeyPem);
    });
    updateSummary();
}

void ApnsEntryDialog::setEntry(const ApnsEntry &entry)
{
    m_entry = entry;
    m_editing = true;
    m_name->setText(entry.name);
    m_name->setReadOnly(true); // entries are merged by name on the server
    m_env->setCurrentIndex(qMax(0, m_env->findData(entry.env)));
    m_topic->setText(entry.topic);
    m_expiration->setValue(int(entry.expiration));
    m_keyId->setText(entry.tokenKeyId);
    m_teamId->setText(entry.tokenTeamId);
    updateSummary();
}

bool ApnsEntryDialog::isDev() const
{
    return m_env->currentData().toString() == u"dev";
}

void ApnsEntryDialog::showProblem(const QString &text)
{
    m_problem->setText(text);
    m_problem->setVisible(!text.isEmpty());
}

QString ApnsEntryDialog::problem() const
{
    return m_problem->isVisible() ? m_problem->text() : QString();
}

QString ApnsEntryDialog::certificateSummary() const
{
    return m_certState->text();
}

void ApnsEntryDialog::updateSummary()
{
    if (!m_newTokenKey.isEmpty())
        m_tokenState->setText(tr("new key imported (saved with the namespace)"));
    else
        m_tokenState->setText(m_entry.hasTokenKey ? tr("set on the server") : tr("not set"));

    if (!m_newCert.isEmpty()) {
        const CertificateInfo info = describeCertificate(m_newCert);
        QString text =
            tr("New certificate: %1\nTopic: %2\nExpires: %3")
                .arg(info.subject, info.topic.isEmpty() ? tr("—") : info.topic,
                     QLocale::system().toString(info.expiry.toLocalTime(), QLocale::LongFormat));
        text +=
            m_newKey.isEmpty() ? tr("\nKey: missing (import the PEM key)") : tr("\nKey: imported");
        m_certState->setText(text);
        return;
    }
    const ApnsEntry::CertSummary &c = isDev() ? m_entry.devCertInfo : m_entry.productionCertInfo;
    if (!c.present) {
        m_certState->setText(tr("No certificate for this environment."));
        return;
    }
    QString text = tr("On the server: %1").arg(c.subject.isEmpty() ? tr("certificate") : c.subject);
    if (!c.topic.isEmpty())
        text += tr("\nTopic: %1").arg(c.topic);
    if (c.expiryMs > 0)
        text += tr("\nExpires: %1").arg(formatTime(c.expiryMs));
    if (!c.error.isEmpty())
        text += QLatin1Char('\n') + c.error;
    m_certState->setText(text);
}

bool ApnsEntryDialog::importP12(const QString &path)
{
    QString error;
    const auto bytes = readSmallFile(path, &error);
    if (!bytes) {
        showProblem(error);
        return false;
    }
    for (;;) {
        const auto password =
            m_prompts->askText(this, tr("Password of the .p12 file"),
                               tr("Password protecting %1:").arg(QFileInfo(path).fileName()), true);
        if (!password)
            return false;
        const Pkcs12Bundle bundle = convertPkcs12(*bytes, *password);
        if (bundle.wrongPassword) {
            showProblem(tr("Wrong password for %1. Try again.").arg(QFileInfo(path).fileName()));
            continue;
        }
        if (!bundle.ok()) {
            // An expired certificate is shown, but not taken.
            showProblem(tr("%1: %2").arg(QFileInfo(path).fileName(), bundle.error));
            return false;
        }
        showProblem({});
        m_newCert = bundle.certificatePem;
        m_newKey = bundle.privateKeyPem;
        if (m_topic->text().isEmpty())
            m_topic->setText(bundle.info.topic);
        updateSummary();
        return true;
    }
}

bool ApnsEntryDialog::importTokenKey(const QString &path)
{
    QString error;
    const auto bytes = readSmallFile(path, &error);
    if (!bytes) {
        showProblem(error);
        return false;
    }
    const TokenKey key = readTokenKey(*bytes, path);
    if (!key.ok()) {
        showProblem(tr("%1: %2").arg(QFileInfo(path).fileName(), key.error));
        return false;
    }
    showProblem({});
    m_newTokenKey = key.pem;
    if (m_keyId->text().isEmpty())
        m_keyId->setText(key.keyIdFromFileName);
    updateSummary();
    return true;
}

bool ApnsEntryDialog::importCertificatePem(const QString &path)
{
    QString error;
    const auto bytes = readSmallFile(path, &error);
    if (!bytes) {
        showProblem(error);
        return false;
    }
    const CertificateInfo info = describeCertificate(*bytes);
    if (!info.ok() || info.expired) {
        showProblem(tr("%1: %2").arg(QFileInfo(path).fileName(),
                                     info.ok()
                                         ? tr("the certificate expired on %1")
                                               .arg(QLocale::system().toString(
                                                   info.expiry.toLocalTime(), QLocale::LongFormat))
                                         : info.error));
        return false;
    }
    showProblem({});
    m_newCert = *bytes;
    if (m_topic->text().isEmpty())
        m_topic->setText(info.topic);
    updateSummary();
    return true;
}

bool ApnsEntryDialog::importKeyPem(const QString &path)
{
    QString error;
    const auto bytes = readSmallFile(path, &error);
    if (!bytes) {
        showProblem(error);
        return false;
    }
    if (!m_newCert.isEmpty()) {
        const QString mismatch = checkKeyPair(m_newCert, *bytes);
        if (!mismatch.isEmpty()) {
            showProblem(tr("%1: %2").arg(QFileInfo(path).fileName(), mismatch));
            return false;
        }
    }
    showProblem({});
    m_newKey = *bytes;
    updateSummary();
    return true;
}

ApnsEntry ApnsEntryDialog::entry() const
{
    ApnsEntry e = m_entry;
    e.name = m_name->text().trimmed();
    e.env = m_env->currentData().toString();
    e.topic = m_topic->text().trimmed();
    e.expiration = m_expiration->value();
    e.tokenKeyId = m_keyId->text().trimmed();
    e.tokenTeamId = m_teamId->text().trimmed();
    if (!m_newTokenKey.isEmpty()) {
        e.tokenKey = QString::fromUtf8(m_newTokenKey);
        e.hasTokenKey = true;
    }
    if (!m_newCert.isEmpty()) {
        const CertificateInfo info = describeCertificate(m_newCert);
        ApnsEntry::CertSummary s{
            info.subject, info.topic, {}, info.expiry.toMSecsSinceEpoch(), true};
        if (e.env == u"dev") {
            e.devCert = QString::fromUtf8(m_newCert);
            e.devKey = QString::fromUtf8(m_newKey);
            e.devCertInfo = s;
        } else {
            e.productionCert = QString::fromUtf8(m_newCert);
            e.productionKey = QString::fromUtf8(m_newKey);
            e.productionCertInfo = s;
        }
    }
    return e;
}

void ApnsEntryDialog::done(int result)
{
    if (result == QDialog::Accepted) {
        const ApnsEntry e = entry();
        if (e.name.isEmpty()) {
            showProblem(tr("Give the configuration a name (pushes choose it by apnsName; "
                           "\"default\" in namespace / is the fallback)."));
            m_name->setFocus();
            return;
        }
        if (!m_editing && m_taken.contains(e.name)) {
            showProblem(tr("This namespace already has a configuration named \"%1\".").arg(e.name));
            return;
        }
        if (!m_newCert.isEmpty() && m_newKey.isEmpty()) {
            showProblem(tr("The certificate needs its private key: import the PEM key too."));
            return;
        }
        if (!m_newTokenKey.isEmpty() && (e.tokenKeyId.isEmpty() || e.tokenTeamId.isEmpty())) {
            showProblem(tr("A token key needs its key ID and your team ID."));
            return;
        }
        Q_EMIT entryAccepted(e);
    }
    QDialog::done(result);
}

} // namespace qpush::admin
